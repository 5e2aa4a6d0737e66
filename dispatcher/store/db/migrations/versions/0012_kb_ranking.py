"""kb ranking: term statistics on PostgreSQL, so that it ranks by BM25 as SQLite does

PostgreSQL's `ts_rank` has no inverse document frequency: a word in every article counts as
much as a rare one, and on the evaluation sets it ranked below plain BM25. BM25 needs, per
term, the number of articles that hold it, and the articles' lengths; FTS5 keeps both
(`kb_fts_vocab`, `kb_fts_docsize`). On PostgreSQL a trigger on `kb_search_doc` keeps them in
`kb_term_stat` (term, articles) and `kb_index_total` (articles, terms), exact through
inserts, updates, deletes and cascades. Nothing changes on SQLite.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The distinct terms of a search document row (`r`), and its length in terms.
_TERMS = (
    "SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('simple'::regconfig, "
    "r.title_terms || ' ' || r.body_terms))) AS term"
)
_LENGTH = (
    "(CASE WHEN r.title_terms = '' THEN 0 "
    "ELSE length(r.title_terms) - length(replace(r.title_terms, ' ', '')) + 1 END + "
    "CASE WHEN r.body_terms = '' THEN 0 "
    "ELSE length(r.body_terms) - length(replace(r.body_terms, ' ', '')) + 1 END)"
)

UPKEEP = f"""
CREATE FUNCTION kb_term_stat_upkeep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE kb_term_stat s SET docs = s.docs - 1
        FROM ({_TERMS.replace("r.", "OLD.")}) AS o WHERE s.term = o.term;
        UPDATE kb_index_total SET docs = docs - 1, terms = terms - {_LENGTH.replace("r.", "OLD.")}
        WHERE id = 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO kb_term_stat (term, docs)
        SELECT n.term, 1 FROM ({_TERMS.replace("r.", "NEW.")}) AS n ORDER BY n.term
        ON CONFLICT (term) DO UPDATE SET docs = kb_term_stat.docs + 1;
        UPDATE kb_index_total SET docs = docs + 1, terms = terms + {_LENGTH.replace("r.", "NEW.")}
        WHERE id = 1;
    END IF;
    RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        'CREATE TABLE kb_term_stat (term text COLLATE "C" PRIMARY KEY, docs integer NOT NULL)'
    )
    op.execute(
        "CREATE TABLE kb_index_total (id integer PRIMARY KEY CHECK (id = 1), "
        "docs bigint NOT NULL, terms bigint NOT NULL)"
    )
    op.execute(
        "INSERT INTO kb_term_stat (term, docs) SELECT t.term, count(*) FROM kb_search_doc r, "
        f"LATERAL ({_TERMS}) AS t GROUP BY t.term"
    )
    op.execute(
        "INSERT INTO kb_index_total (id, docs, terms) "
        f"SELECT 1, count(*), coalesce(sum({_LENGTH}), 0) FROM kb_search_doc r"
    )
    op.execute(UPKEEP)
    op.execute(
        "CREATE TRIGGER kb_search_doc_stat AFTER INSERT OR UPDATE OR DELETE ON kb_search_doc "
        "FOR EACH ROW EXECUTE FUNCTION kb_term_stat_upkeep()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS kb_search_doc_stat ON kb_search_doc")
    op.execute("DROP FUNCTION IF EXISTS kb_term_stat_upkeep()")
    op.execute("DROP TABLE IF EXISTS kb_index_total")
    op.execute("DROP TABLE IF EXISTS kb_term_stat")
