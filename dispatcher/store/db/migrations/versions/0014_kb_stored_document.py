"""kb stored document: PostgreSQL keeps each search document's tsvector in a column

Ranking reads every matching article's tsvector (`ts_rank`, then the GIN recheck), and the
expression index of 0002 left it to be derived again from the terms for each match: at
100k articles a query matching 12k of them spent 0.98 s parsing text. The tsvector is now a
stored generated column (`document`, the same expression) with its own GIN index, written
by PostgreSQL as the terms change. Adding it rewrites the table (about a minute at 100k
articles). SQLite is untouched (FTS5 keeps its own index).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression of 0002's index, and now of the stored column.
_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'D'))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE kb_search_doc ADD COLUMN document tsvector GENERATED ALWAYS AS "
        f"{_DOCUMENT} STORED"
    )
    op.execute("CREATE INDEX ix_kb_search_doc_document ON kb_search_doc USING gin (document)")
    op.execute("DROP INDEX IF EXISTS ix_kb_search_doc_tsv")
    op.execute("ANALYZE kb_search_doc")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_kb_search_doc_tsv ON kb_search_doc USING gin ({_DOCUMENT})")
    op.execute("DROP INDEX IF EXISTS ix_kb_search_doc_document")
    op.execute("ALTER TABLE kb_search_doc DROP COLUMN document")
