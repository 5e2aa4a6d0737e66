"""kb compounds: every article's search document derived again, hyphenated words joined

The index now holds a hyphenated word's parts written together beside the parts ("wi-fi":
"wi", "fi", "wifi"), so that "wifi" finds "Wi-Fi" and "e-mail" finds "email". Documents
written before lack the joined forms: each one whose article holds a hyphen is derived
again and written where it differs (the FTS5 triggers and the PostgreSQL term statistics follow the rows).
Nothing changes in the schema; downgrading keeps the documents (the older code reads the
joined forms as words no query of its own names).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
# Only a text with a hyphen holds a compound (as `search_text` spells them).
HYPHENS = {"minus": "-", "hyphen": "\u2010", "nb_hyphen": "\u2011"}


def upgrade() -> None:
    from dispatcher.domain.search_text import index_terms

    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT a.id, a.title, a.body, d.title_terms, d.body_terms FROM kb_article a "
                "JOIN kb_search_doc d ON d.article_id = a.id WHERE a.id > :last AND ("
                + " OR ".join(
                    f"a.title LIKE :{name} OR a.body LIKE :{name}" for name in HYPHENS
                )
                + ") ORDER BY a.id LIMIT :batch"
            ),
            {"last": last, "batch": BATCH, **{name: f"%{c}%" for name, c in HYPHENS.items()}},
        ).all()
        if not rows:
            return
        derived = [(r[0], index_terms(r[1]), index_terms(r[2]), r[3], r[4]) for r in rows]
        changed = [
            {"id": article_id, "title_terms": title, "body_terms": body}
            for article_id, title, body, old_title, old_body in derived
            if (title, body) != (old_title, old_body)
        ]
        if changed:
            bind.execute(
                sa.text(
                    "UPDATE kb_search_doc SET title_terms = :title_terms, "
                    "body_terms = :body_terms WHERE article_id = :id"
                ),
                changed,
            )
        last = rows[-1][0]


def downgrade() -> None:
    """The documents stay as they are (see above)."""
