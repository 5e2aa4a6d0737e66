"""kb search: stemmed search documents, FTS5 on SQLite, a GIN tsvector index on PostgreSQL

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must stay the very expression `dispatcher.store.kb_search` queries with (PostgreSQL).
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'D'))"
)


def upgrade() -> None:
    op.create_table(
        "kb_search_doc",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # External content: the stems live once, in kb_search_doc; triggers keep FTS5 in step.
        op.execute(
            "CREATE VIRTUAL TABLE kb_fts USING fts5(title_terms, body_terms, "
            "content='kb_search_doc', content_rowid='article_id', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        # How many articles hold each term: lets a search leave out terms too common to rank.
        op.execute("CREATE VIRTUAL TABLE kb_fts_vocab USING fts5vocab(kb_fts, 'row')")
        op.execute(
            "CREATE TRIGGER kb_search_doc_ai AFTER INSERT ON kb_search_doc BEGIN "
            "INSERT INTO kb_fts(rowid, title_terms, body_terms) "
            "VALUES (new.article_id, new.title_terms, new.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER kb_search_doc_ad AFTER DELETE ON kb_search_doc BEGIN "
            "INSERT INTO kb_fts(kb_fts, rowid, title_terms, body_terms) "
            "VALUES ('delete', old.article_id, old.title_terms, old.body_terms); END"
        )
        op.execute(
            "CREATE TRIGGER kb_search_doc_au AFTER UPDATE ON kb_search_doc BEGIN "
            "INSERT INTO kb_fts(kb_fts, rowid, title_terms, body_terms) "
            "VALUES ('delete', old.article_id, old.title_terms, old.body_terms); "
            "INSERT INTO kb_fts(rowid, title_terms, body_terms) "
            "VALUES (new.article_id, new.title_terms, new.body_terms); END"
        )
    elif dialect == "postgresql":
        op.execute(f"CREATE INDEX ix_kb_search_doc_tsv ON kb_search_doc USING gin ({PG_DOCUMENT})")
    _index_existing_articles()


def _index_existing_articles() -> None:
    from dispatcher.domain.search_text import index_terms

    bind = op.get_bind()
    docs = sa.table(
        "kb_search_doc",
        sa.column("article_id", sa.Integer()),
        sa.column("title_terms", sa.Text()),
        sa.column("body_terms", sa.Text()),
    )
    rows = bind.execute(sa.text("SELECT id, title, body FROM kb_article ORDER BY id")).all()
    for start in range(0, len(rows), 500):
        batch = [
            {"article_id": r[0], "title_terms": index_terms(r[1]), "body_terms": index_terms(r[2])}
            for r in rows[start : start + 500]
        ]
        bind.execute(docs.insert(), batch)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("kb_search_doc_ai", "kb_search_doc_ad", "kb_search_doc_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS kb_fts_vocab")
        op.execute("DROP TABLE IF EXISTS kb_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_kb_search_doc_tsv")
    op.drop_table("kb_search_doc")
