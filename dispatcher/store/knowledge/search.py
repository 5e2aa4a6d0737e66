"""Full-text search over the knowledge base, on SQLite (FTS5, BM25) and PostgreSQL.

Both backends index the same thing: each article's title and body as lines of stems
(`KbSearchDoc`, written by `reindex` whenever an article changes). A query becomes the
same stems (`dispatcher.domain.search_text`), and any of them may match: BM25 puts the
articles with more, rarer query words first, and a title word counts `TITLE_WEIGHT` times a
body word. PostgreSQL ranks with `ts_rank` over a weighted tsvector (title `A`, body `D`,
weighted in the same proportion), which orders alike on the usual queries but is not BM25.

Typo tolerance, on both backends: a query term that no article holds is replaced by the
term one typing mistake away that most articles hold (`_respelled`), so "acccounting" finds
"accounting" and the snippet highlights the word as the knowledge base spells it.

Two steps (ranking and snippets in one query cost about twice as much at 100k articles):
the index ranks ids and stops at the limit; only those articles are then read and their
snippets cut, in Python, from the original text with the matching words highlighted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, text
from sqlmodel import Session, col, select

from dispatcher.domain.enums import ArticleStatus, MessageKind, Visibility
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.domain.search_text import (
    Query,
    fts5_match,
    index_terms,
    parse_query,
    respelled,
    snippet,
    tsquery,
    with_terms,
    words,
)
from dispatcher.domain.search_text import matches as term_matches
from dispatcher.store.models import KbArticle, KbArticleTag, Message, Ticket, table_of
from dispatcher.store.models.knowledge import KbSearchDoc

TITLE_WEIGHT = 3.0
DEFAULT_LIMIT = 20
SUGGESTIONS = 5
SNIPPET_WIDTH = 160
PRUNE_FROM = 5000  # articles: below this, every query term is matched
COMMON_SHARE = 0.2  # a term in more than this share of the articles does not choose candidates
KEEP_WHEN_ALL_COMMON = 3
COUNT_UP_TO = 1000  # PostgreSQL: articles counted per term when choosing a respelling

# The expression the PostgreSQL GIN index is built on (migration 0002): spelled the same
# here so that the planner uses the index.
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple'::regconfig, d.title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, d.body_terms), 'D'))"
)
# ts_rank weights are {D, C, B, A}: a title word (A) counts TITLE_WEIGHT body words (D).
PG_WEIGHTS = "{" + f"{round(1 / TITLE_WEIGHT, 4)}, 0.2, 0.4, 1.0" + "}"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One found article, as a list shows it: no body, a snippet with highlights."""

    id: int
    slug: str
    title: str
    visibility: Visibility
    status: ArticleStatus
    tags: tuple[str, ...]
    groups: tuple[str, ...]
    score: float  # higher is better; comparable within one result list only
    snippet: str
    highlights: tuple[tuple[int, int], ...]  # (start, end) in `snippet`
    title_highlights: tuple[tuple[int, int], ...]  # (start, end) in `title`
    uses: int
    helpful_votes: int


# --- keeping the index -------------------------------------------------------------------


def reindex(session: Session, *, article_id: int, title: str, body: str) -> None:
    """Write the article's search document (the index follows it on both backends)."""
    doc = session.get(KbSearchDoc, article_id)
    title_terms, body_terms = index_terms(title), index_terms(body)
    if doc is None:
        session.add(
            KbSearchDoc(article_id=article_id, title_terms=title_terms, body_terms=body_terms)
        )
    elif (doc.title_terms, doc.body_terms) != (title_terms, body_terms):
        doc.title_terms, doc.body_terms = title_terms, body_terms
        session.add(doc)
    session.flush()


def rebuild(session: Session, *, batch_size: int = 1000) -> int:
    """Recompute every article's search document (after a bulk load, or to repair)."""
    docs = table_of(KbSearchDoc)
    articles = table_of(KbArticle)
    session.execute(docs.delete())
    count, last_id = 0, 0
    while True:
        rows = session.execute(
            select(articles.c.id, articles.c.title, articles.c.body)
            .where(articles.c.id > last_id)
            .order_by(articles.c.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        session.execute(
            docs.insert(),
            [
                {
                    "article_id": r[0],
                    "title_terms": index_terms(r[1]),
                    "body_terms": index_terms(r[2]),
                }
                for r in rows
            ],
        )
        count += len(rows)
        last_id = rows[-1][0]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO kb_fts(kb_fts) VALUES ('optimize')"))
    return count


# --- searching ---------------------------------------------------------------------------


def search(
    session: Session,
    *,
    query: str,
    limit: int = DEFAULT_LIMIT,
    typing: bool = False,
    visibility: Visibility | None = None,
    tag: str | None = None,
    statuses: Collection[ArticleStatus] = (ArticleStatus.published,),
    reader_groups: Collection[str] | None = None,
) -> list[SearchHit]:
    """The best `limit` articles for the query, best first.

    `typing`: the query is still being typed, its last word is a prefix. `reader_groups`:
    the groups (competences) of the reader; an article limited to groups is shown only to
    a reader in one of them. None reads everything (leads, admins, the CLI).
    """
    if limit < 1:
        raise ValidationError("the limit must be at least 1")
    parsed = parse_query(query, typing=typing)
    if parsed.empty:
        return []
    return _search(
        session,
        parsed=parsed,
        limit=limit,
        visibility=visibility,
        tag=tag,
        statuses=statuses,
        reader_groups=reader_groups,
    )


def suggest_for_ticket(
    session: Session,
    *,
    ticket_id: int,
    limit: int = SUGGESTIONS,
    visibility: Visibility | None = None,
    reader_groups: Collection[str] | None = None,
) -> list[SearchHit]:
    """Articles that may answer the ticket: searched by its subject and first message."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    first = session.exec(
        select(Message.body)
        .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.inbound)
        .order_by(col(Message.created_at), col(Message.id))
        .limit(1)
    ).first()
    parsed = parse_query(f"{ticket.subject}\n{first or ''}")
    if parsed.empty:
        return []
    return _search(
        session,
        parsed=parsed,
        limit=limit,
        visibility=visibility,
        tag=None,
        statuses=(ArticleStatus.published,),
        reader_groups=reader_groups,
    )


def _search(
    session: Session,
    *,
    parsed: Query,
    limit: int,
    visibility: Visibility | None,
    tag: str | None,
    statuses: Collection[ArticleStatus],
    reader_groups: Collection[str] | None,
) -> list[SearchHit]:
    # Articles limited to groups are filtered after ranking: fetch a few more to fill up.
    fetch = limit if reader_groups is None else limit * 4
    wanted_statuses = sorted(ArticleStatus(s).value for s in statuses)
    if not wanted_statuses:
        return []
    where = ["a.status IN :statuses"]
    params: dict[str, object] = {"statuses": wanted_statuses, "limit": fetch}
    if visibility is not None:
        where.append("a.visibility = :visibility")
        params["visibility"] = Visibility(visibility).value
    if tag is not None:
        where.append("a.id IN (SELECT article_id FROM kb_article_tag WHERE tag = :tag)")
        params["tag"] = " ".join(tag.split()).lower()
    filters = " AND ".join(where)
    parsed = _respelled(session, parsed)
    if session.get_bind().dialect.name == "sqlite":
        params["match"] = _fts5_match(session, parsed)
        # First without the join (most articles pass the filters, and joining every
        # match costs as much as ranking it): rank a few more, filter while reading them.
        quick = text(
            f"SELECT rowid, -bm25(kb_fts, {TITLE_WEIGHT}, 1.0) FROM kb_fts "
            f"WHERE kb_fts MATCH :match ORDER BY bm25(kb_fts, {TITLE_WEIGHT}, 1.0), rowid "
            "LIMIT :limit"
        )
        quick_fetch = fetch * 2 + 10
        ranked = _ranked(session, quick, {"match": params["match"], "limit": quick_fetch})
        hits = _hits(
            session,
            ranked=ranked,
            parsed=parsed,
            limit=limit,
            reader_groups=reader_groups,
            wanted=_Wanted(frozenset(wanted_statuses), params.get("visibility"), params.get("tag")),
        )
        if len(hits) == limit or len(ranked) < quick_fetch:
            return hits
        sql = (
            f"SELECT f.rowid, -bm25(kb_fts, {TITLE_WEIGHT}, 1.0) AS score "
            "FROM kb_fts f JOIN kb_article a ON a.id = f.rowid "
            f"WHERE kb_fts MATCH :match AND {filters} "
            "ORDER BY bm25(kb_fts, "
            f"{TITLE_WEIGHT}, 1.0), f.rowid LIMIT :limit"
        )
    else:
        params["tsq"] = tsquery(parsed)
        sql = (
            f"SELECT d.article_id, ts_rank('{PG_WEIGHTS}', {PG_DOCUMENT}, q, 1) AS score "
            "FROM kb_search_doc d JOIN kb_article a ON a.id = d.article_id, "
            "to_tsquery('simple', :tsq) AS q "
            f"WHERE {PG_DOCUMENT} @@ q AND {filters} "
            "ORDER BY score DESC, d.article_id LIMIT :limit"
        )
    statement = text(sql).bindparams(bindparam("statuses", expanding=True))
    ranked = _ranked(session, statement, params)
    return _hits(session, ranked=ranked, parsed=parsed, limit=limit, reader_groups=reader_groups)


@dataclass(frozen=True, slots=True)
class _Wanted:
    """Filters checked while reading ranked articles (when the ranking did not apply them)."""

    statuses: frozenset[str]
    visibility: object
    tag: object

    def accepts(self, row: KbArticle, tags: Sequence[str]) -> bool:
        return (
            ArticleStatus(row.status).value in self.statuses
            and (self.visibility is None or Visibility(row.visibility).value == self.visibility)
            and (self.tag is None or self.tag in tags)
        )


def _ranked(session: Session, statement: Any, params: dict[str, object]) -> list[tuple[int, float]]:
    return [(int(r[0]), float(r[1])) for r in session.execute(statement, params).all()]


def _respelled(session: Session, parsed: Query) -> Query:
    """The query with each term the knowledge base lacks replaced by its likeliest spelling.

    A term in no article (a typo: "acccounting", "принетр") is looked up again as every
    term one typing mistake away (`respelled`); the one in the most articles stands in for
    it, so the suggestion comes from the knowledge base's own words. A term with no such
    neighbour stays as it is (it still matches nothing).
    """
    counts = _doc_counts(session, parsed.terms)
    replaced: dict[str, str] = {}
    for term in parsed.terms:
        if counts.get(term, 0):
            continue
        candidates = respelled(term)
        if not candidates:
            continue
        found = _doc_counts(session, candidates)
        best = max(candidates, key=lambda t: found.get(t, 0))
        if found.get(best, 0):
            replaced[term] = best
    return with_terms(parsed, replaced) if replaced else parsed


def _doc_counts(session: Session, terms: Sequence[str]) -> dict[str, int]:
    """How many articles hold each term (on PostgreSQL counted up to `COUNT_UP_TO`)."""
    if not terms:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        statement = text("SELECT term, doc FROM kb_fts_vocab WHERE term IN :terms").bindparams(
            bindparam("terms", expanding=True)
        )
        rows = session.execute(statement, {"terms": list(terms)}).all()
    else:
        statement = text(
            "SELECT t, (SELECT count(*) FROM (SELECT 1 FROM kb_search_doc d "
            f"WHERE {PG_DOCUMENT} @@ to_tsquery('simple', quote_literal(t)) "
            f"LIMIT {COUNT_UP_TO}) AS found) FROM unnest(CAST(:terms AS text[])) AS t"
        )
        rows = session.execute(statement, {"terms": list(terms)}).all()
    return {str(t): int(n) for t, n in rows}


def _fts5_match(session: Session, parsed: Query) -> str:
    """The MATCH expression: the articles with a rarer word, ranked by every word.

    `(rare words) AND (all words)` matches exactly the articles with a rare word, but BM25
    still scores every word, common ones included, for those articles.
    """
    narrow = _without_common_terms(session, parsed)
    if narrow == parsed:
        return fts5_match(parsed)
    return f"({fts5_match(narrow)}) AND ({fts5_match(parsed)})"


def _without_common_terms(session: Session, parsed: Query) -> Query:
    """The words that choose the candidates, on a big knowledge base.

    BM25 costs time in proportion to the articles the match finds, and a term in a large
    share of them hardly tells them apart (its IDF is near zero). With `PRUNE_FROM` or
    more articles, terms in more than `COMMON_SHARE` of them do not choose candidates, as
    long as rarer ones remain; if every term is that common, the `KEEP_WHEN_ALL_COMMON`
    rarest do. The common words still count in the ranking (see `_fts5_match`).
    """
    terms = list(parsed.terms)
    if len(terms) + len(parsed.prefixes) < 2:
        return parsed
    total = session.execute(text("SELECT max(rowid) FROM kb_fts_docsize")).scalar() or 0
    if total < PRUNE_FROM:
        return parsed
    statement = text("SELECT term, doc FROM kb_fts_vocab WHERE term IN :terms").bindparams(
        bindparam("terms", expanding=True)
    )
    docs = {str(t): int(n) for t, n in session.execute(statement, {"terms": terms}).all()}
    common = {t for t in terms if docs.get(t, 0) > COMMON_SHARE * total}
    kept = [t for t in terms if t not in common]
    if not kept and not parsed.prefixes:
        kept = sorted(terms, key=lambda t: docs.get(t, 0))[:KEEP_WHEN_ALL_COMMON]
        kept = [t for t in terms if t in kept]
    return Query(
        terms=tuple(kept), prefixes=parsed.prefixes, exact_alternatives=parsed.exact_alternatives
    )


def _hits(
    session: Session,
    *,
    ranked: Sequence[tuple[int, float]],
    parsed: Query,
    limit: int,
    reader_groups: Collection[str] | None,
    wanted: _Wanted | None = None,
) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [article_id for article_id, _ in ranked]
    rows = {
        row.id: row for row in session.exec(select(KbArticle).where(col(KbArticle.id).in_(ids)))
    }
    tags: dict[int, list[str]] = {}
    for article_id, tag in session.exec(
        select(KbArticleTag.article_id, KbArticleTag.tag)
        .where(col(KbArticleTag.article_id).in_(ids))
        .order_by(col(KbArticleTag.tag))
    ).all():
        tags.setdefault(article_id, []).append(tag)
    groups = None if reader_groups is None else {g.strip().lower() for g in reader_groups}
    hits: list[SearchHit] = []
    for article_id, score in ranked:
        row = rows.get(article_id)
        if row is None:
            continue
        if groups is not None and row.groups and not groups & {str(g).lower() for g in row.groups}:
            continue
        if wanted is not None and not wanted.accepts(row, tags.get(article_id, ())):
            continue
        cut = snippet(row.body, parsed, width=SNIPPET_WIDTH)
        hits.append(
            SearchHit(
                id=article_id,
                slug=row.slug,
                title=row.title,
                visibility=Visibility(row.visibility),
                status=ArticleStatus(row.status),
                tags=tuple(tags.get(article_id, ())),
                groups=tuple(str(g) for g in row.groups),
                score=score,
                snippet=cut.text,
                highlights=cut.highlights,
                title_highlights=_title_highlights(row.title, parsed),
                uses=row.uses,
                helpful_votes=row.helpful_votes,
            )
        )
        if len(hits) == limit:
            break
    return hits


def _title_highlights(title: str, parsed: Query) -> tuple[tuple[int, int], ...]:
    return tuple(
        (w.start, w.end)
        for w in words(title)
        if w.term is not None and term_matches(parsed, w.term)
    )


def count_indexed(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(KbSearchDoc)).one())
