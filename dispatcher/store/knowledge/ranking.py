"""Ranking knowledge-base articles for a query, over any SQL connection (no ORM).

The console and the commands reach it through `search.search` with a session; `kb search`
reaches it with a bare DB-API connection (`quick_db`), so that a search from the shell
does not load SQLAlchemy and the models first (that alone is most of a second). Both give
the same SQL: statements are written with `:name` placeholders, lists spelled out one
placeholder per item (`_in`), and run through `Sql`.

Both backends index the same thing: each article's title and body as lines of stems
(`kb_search_doc`, written by `search.reindex` whenever an article changes). A query becomes
the same stems (`dispatcher.domain.search_text`), and any of them may match: BM25 puts the
articles with more, rarer query words first, and a title word counts `TITLE_WEIGHT` times a
body word. SQLite ranks with FTS5's `bm25()`. PostgreSQL finds the matching articles with
its GIN index, takes the `CANDIDATES` best by `ts_rank` (cheap, but blind to how rare a word
is: ranked by it alone, the evaluation sets fell below plain BM25) and orders those by the
same BM25 (`dispatcher.domain.bm25`), from the term statistics migration 0012 keeps. It
reads each candidate's tsvector (stored by migration 0014), so on a big knowledge base the
rarest words choose the candidates within `PG_BUDGET` articles (`_within_budget`).

Typo tolerance, on both backends: a query word whose term no article holds (or, for the
word being typed, that no term starts with) is replaced by the term of the word one typing
mistake away that most articles hold (`_respelled`), so "acccounting" finds "accounting",
the snippet highlights the word as the knowledge base spells it, and each hit says what
was searched for instead (`SearchHit.respelled`).

Two steps (ranking and snippets in one query cost about twice as much at 100k articles):
the index ranks ids and stops at the limit; only those articles are then read and their
snippets cut, in Python, from the original text with the matching words highlighted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dispatcher.domain import bm25
from dispatcher.domain.enums import ArticleStatus, Visibility
from dispatcher.domain.search_text import (
    Query,
    fts5_match,
    matching_spans,
    respellings,
    snippet,
    tsquery,
    with_terms,
)

TITLE_WEIGHT = 3.0
SNIPPET_WIDTH = 160
PRUNE_FROM = 5000  # articles: below this, every query term is matched
COMMON_SHARE = 0.2  # a term in more than this share of the articles does not choose candidates
KEEP_WHEN_ALL_COMMON = 3
CANDIDATES = 200  # PostgreSQL: matching articles (best by ts_rank) that BM25 orders
PG_BUDGET = 2000  # PostgreSQL: articles the rarest words choose as candidates (see below)
RESPELLED_WORDS = 2  # at most this many words of a query are respelled (see `_respelled`)

Respelled = tuple[tuple[str, str], ...]  # (the word as typed, the word searched for)

_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")  # `:name`, not a `::type` cast

# PostgreSQL's tsvector of a search document (title weight A, body D), stored by migration
# 0014 and GIN-indexed.
PG_DOCUMENT = "d.document"
# ts_rank weights are {D, C, B, A}: a title word (A) counts TITLE_WEIGHT body words (D).
PG_WEIGHTS = "{" + f"{round(1 / TITLE_WEIGHT, 4)}, 0.2, 0.4, 1.0" + "}"


class Sql(Protocol):
    """Runs one statement with `:name` placeholders and returns its rows."""

    @property
    def dialect(self) -> str:  # "sqlite" or "postgresql"
        ...

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]: ...


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
    # The query's words the knowledge base does not hold, each with the word searched for
    # instead ("directoy", "directory"): the same on every hit of one search.
    respelled: Respelled = ()

    def matched(self, most: int = 6) -> tuple[str, ...]:
        """The words that made it match, as the title and snippet write them (lowercased,
        each once, the title's first): why this article is suggested."""
        found: dict[str, None] = {}
        for text, spans in ((self.title, self.title_highlights), (self.snippet, self.highlights)):
            for start, end in spans:
                found.setdefault(text[start:end].lower(), None)
        return tuple(found)[:most]


@dataclass(frozen=True, slots=True)
class Filters:
    """Which articles may be shown: by status, visibility, tag and the reader's groups."""

    statuses: frozenset[str]
    visibility: str | None = None
    tag: str | None = None
    reader_groups: frozenset[str] | None = None  # None: the reader sees every group

    @classmethod
    def of(
        cls,
        *,
        statuses: Collection[ArticleStatus],
        visibility: Visibility | None,
        tag: str | None,
        reader_groups: Collection[str] | None,
    ) -> Filters:
        return cls(
            statuses=frozenset(ArticleStatus(s).value for s in statuses),
            visibility=None if visibility is None else Visibility(visibility).value,
            tag=None if tag is None else " ".join(tag.split()).lower(),
            reader_groups=(
                None
                if reader_groups is None
                else frozenset(g.strip().lower() for g in reader_groups)
            ),
        )

    def shows(self, row: _Article) -> bool:
        return (
            row.status in self.statuses
            and (self.visibility is None or row.visibility == self.visibility)
            and (self.tag is None or self.tag in row.tags)
            and (
                self.reader_groups is None
                or not row.groups
                or bool(self.reader_groups & {g.lower() for g in row.groups})
            )
        )


def rank(db: Sql, *, parsed: Query, limit: int, filters: Filters) -> list[SearchHit]:
    """The best `limit` articles for the parsed query that pass the filters, best first."""
    if not filters.statuses or parsed.empty:
        return []
    # Articles limited to groups are filtered after ranking: fetch a few more to fill up.
    fetch = limit if filters.reader_groups is None else limit * 4
    params: dict[str, Any] = {"limit": fetch}
    where = [f"a.status IN ({_in('status', sorted(filters.statuses), params)})"]
    if filters.visibility is not None:
        where.append("a.visibility = :visibility")
        params["visibility"] = filters.visibility
    if filters.tag is not None:
        where.append("a.id IN (SELECT article_id FROM kb_article_tag WHERE tag = :tag)")
        params["tag"] = filters.tag
    conditions = " AND ".join(where)
    counts = TermCounts(db)
    parsed, said = _respelled(counts, parsed)
    if db.dialect == "sqlite":
        match = _fts5_match(counts, parsed)
        params["match"] = match
        weights = f"{TITLE_WEIGHT}, 1.0"
        # First without the join (most articles pass the filters, and joining every
        # match costs as much as ranking it): rank a few more, filter while reading them.
        # bm25() is named once and sorted by its name: spelled twice, it runs twice a match.
        quick_fetch = fetch * 2 + 10
        ranked = _ranked(
            db,
            f"SELECT rowid, bm25(kb_fts, {weights}) AS fts_rank FROM kb_fts "
            "WHERE kb_fts MATCH :match ORDER BY fts_rank, rowid LIMIT :limit",
            {"match": match, "limit": quick_fetch},
        )
        hits = _hits(db, ranked=ranked, parsed=parsed, limit=limit, filters=filters, said=said)
        if len(hits) == limit or len(ranked) < quick_fetch:
            return hits
        sql = (
            f"SELECT f.rowid, bm25(kb_fts, {weights}) AS fts_rank "
            "FROM kb_fts f JOIN kb_article a ON a.id = f.rowid "
            f"WHERE kb_fts MATCH :match AND {conditions} "
            "ORDER BY fts_rank, f.rowid LIMIT :limit"
        )
        ranked = _ranked(db, sql, params)
    else:
        ranked = _pg_ranked(counts, parsed=parsed, conditions=conditions, params=params)
    return _hits(db, ranked=ranked, parsed=parsed, limit=limit, filters=filters, said=said)


def _pg_ranked(
    counts: TermCounts, *, parsed: Query, conditions: str, params: dict[str, Any]
) -> list[tuple[int, float]]:
    """PostgreSQL: the `CANDIDATES` best matches by ts_rank, ordered by BM25."""
    db = counts.db
    narrow = _within_budget(counts, without_common_terms(db, parsed, counts=counts))
    match = tsquery(parsed)
    params["tsq"] = match if narrow == parsed else f"({tsquery(narrow)}) & ({match})"
    fetch = params["limit"]
    params["limit"] = max(CANDIDATES, fetch)
    rows = db.rows(
        "SELECT d.article_id, d.title_terms, d.body_terms "
        "FROM kb_search_doc d JOIN kb_article a ON a.id = d.article_id, "
        "to_tsquery('simple', :tsq) AS q "
        f"WHERE {PG_DOCUMENT} @@ q AND {conditions} "
        f"ORDER BY ts_rank('{PG_WEIGHTS}', {PG_DOCUMENT}, q, 1) DESC, d.article_id "
        "LIMIT :limit",
        params,
    )
    if not rows:
        return []
    stats = _pg_stats(counts, parsed)
    scored = [
        (
            int(r[0]),
            bm25.score(
                str(r[1]).split(), str(r[2]).split(), parsed, stats, title_weight=TITLE_WEIGHT
            ),
        )
        for r in rows
    ]
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:fetch]


def _within_budget(counts: TermCounts, narrow: Query) -> Query:
    """PostgreSQL: of the words that choose the candidates, the rarest, as long as the
    articles holding them stay within `PG_BUDGET` (the rarest one at least); the others
    still count in the ranking.

    PostgreSQL reads each matching article's stored tsvector to rank it (about 10 µs
    each): at 100k articles, queries matching 12k of them made p95 117 ms, 48 ms within
    the budget, with the same recall and MRR of the evaluation queries among them. FTS5
    reads posting lists instead and needs no budget.
    """
    words = [*narrow.terms, *narrow.prefixes]
    if len(words) < 2 or counts.totals()[0] < PRUNE_FROM:
        return narrow
    docs = counts.of(narrow.terms) | {p: counts.prefix_docs(p) for p in narrow.prefixes}
    kept: set[str] = set()
    held = 0
    for word in sorted(words, key=lambda w: docs.get(w, 0)):
        if kept and held + docs.get(word, 0) > PG_BUDGET:
            break
        kept.add(word)
        held += docs.get(word, 0)
    prefixes = tuple(p for p in narrow.prefixes if p in kept)
    return Query(
        terms=tuple(t for t in narrow.terms if t in kept),
        prefixes=prefixes,
        exact_alternatives=narrow.exact_alternatives if prefixes else (),
    )


def _pg_stats(counts: TermCounts, parsed: Query) -> bm25.IndexStats:
    articles, length = counts.totals()
    return bm25.IndexStats(
        articles=articles,
        average_length=length / articles if articles else 0.0,
        term_articles=counts.of([*parsed.terms, *parsed.exact_alternatives]),
        prefix_articles={p: counts.prefix_docs(p) for p in parsed.prefixes},
    )


def _totals(db: Sql) -> tuple[int, int]:
    """How many articles the index holds (SQLite: the highest id), and their terms (PG)."""
    if db.dialect == "sqlite":
        return int(db.rows("SELECT max(rowid) FROM kb_fts_docsize", {})[0][0] or 0), 0
    found = db.rows("SELECT docs, terms FROM kb_index_total WHERE id = 1", {})
    return (int(found[0][0]), int(found[0][1])) if found else (0, 0)


def driver_sql(sql: str, dialect: str) -> str:
    """The statement as the driver takes it: `:name` for sqlite3, `%(name)s` for psycopg."""
    return sql if dialect == "sqlite" else _PLACEHOLDER.sub(r"%(\1)s", sql)


def _in(name: str, values: Sequence[object], params: dict[str, Any]) -> str:
    """`:name_0, :name_1, ...` for an IN list, the values put into `params`."""
    keys = [f"{name}_{n}" for n in range(len(values))]
    params.update(zip(keys, values, strict=True))
    return ", ".join(f":{k}" for k in keys)


def _ranked(db: Sql, sql: str, params: dict[str, Any]) -> list[tuple[int, float]]:
    """SQLite: ids and scores from FTS5's bm25() (lower is better there, higher here)."""
    return [(int(r[0]), -float(r[1])) for r in db.rows(sql, params)]


def _respelled(counts: TermCounts, parsed: Query) -> tuple[Query, Respelled]:
    """The query with the words the knowledge base lacks replaced by their likeliest
    spellings, and what was replaced (the word as typed, the word meant).

    A term in no article (a typo: "acccounting", "принетр") is looked up again as the
    terms of every word one typing mistake away (`respellings`); the one in the most
    articles stands in for it, so the suggestion comes from the knowledge base's own words.
    The word being typed is respelled the same way when no term starts with it ("relatiev"
    is no start of a word: "relative" is meant). A word with no such neighbour stays as it
    is (it still matches nothing).

    At most `RESPELLED_WORDS` words a query, the longest: each costs a lookup of some
    hundreds of terms (about 2 ms at 100k articles), and a long question holds several
    words the knowledge base does not use (respelling every one found nothing more on the
    tuning part); two, so that a correctly spelled word the articles lack does not keep
    the typo beside it from being respelled.
    """
    held = counts.of([*parsed.terms, *parsed.exact_alternatives])
    spellings = parsed.spellings or parsed.terms
    missing = [n for n, term in enumerate(parsed.terms) if not held.get(term, 0)]
    words = {n: spellings[n] for n in missing}
    if (
        parsed.typed
        and not any(held.get(e, 0) for e in parsed.exact_alternatives)
        and not any(counts.has_prefix(p) for p in parsed.prefixes)
    ):
        words[len(parsed.terms)] = parsed.typed
    chosen = sorted(words, key=lambda n: (-len(words[n]), n))[:RESPELLED_WORDS]
    replaced: dict[str, str] = {}
    said: list[tuple[str, str]] = []
    added: tuple[str, ...] = ()
    for n in sorted(chosen):
        best = _likeliest(counts, words[n])
        if best is None:
            continue
        said.append((words[n], best[1]))
        if n < len(parsed.terms):
            replaced[parsed.terms[n]] = best[0]
        else:
            added = (best[0],)
    found = with_terms(parsed, replaced) if replaced else parsed
    if added:
        found = Query(terms=(*found.terms, *added), spellings=(*found.spellings, parsed.typed))
    return found, tuple(said)


def _likeliest(counts: TermCounts, word: str) -> tuple[str, str] | None:
    """The term one typing mistake from the word that most articles hold, if any does,
    and the word it was found as."""
    candidates = respellings(word)
    if not candidates:
        return None
    found = counts.of(list(candidates))
    best = max(candidates, key=lambda t: found.get(t, 0))
    return (best, candidates[best]) if found.get(best, 0) else None


class TermCounts:
    """The index's figures one ranking needs (articles holding each term, the totals),
    each read from the database once: the steps of a ranking ask for the same terms."""

    def __init__(self, db: Sql) -> None:
        self.db = db
        self._held: dict[str, int] = {}
        self._prefixes: dict[str, int] = {}
        self._totals: tuple[int, int] | None = None

    def of(self, terms: Sequence[str]) -> dict[str, int]:
        """`doc_counts` of the terms (a term in no article left out)."""
        missing = [t for t in dict.fromkeys(terms) if t not in self._held]
        if missing:
            found = doc_counts(self.db, missing)
            self._held.update((t, found.get(t, 0)) for t in missing)
        return {t: n for t in terms if (n := self._held[t])}

    def has_prefix(self, prefix: str) -> bool:
        """Whether any article holds a term starting with the prefix."""
        table = "kb_fts_vocab" if self.db.dialect == "sqlite" else "kb_term_stat"
        return bool(
            self.db.rows(
                f"SELECT term FROM {table} WHERE term >= :p AND term < :after LIMIT 1",
                {"p": prefix, "after": _after(prefix)},
            )
        )

    def prefix_docs(self, prefix: str) -> int:
        """At most how many articles hold a term starting with the prefix (the sum over
        those terms, no more than all articles)."""
        if prefix not in self._prefixes:
            if self.db.dialect == "sqlite":
                sql = "SELECT coalesce(sum(doc), 0) FROM kb_fts_vocab WHERE "
            else:
                sql = "SELECT coalesce(sum(docs), 0) FROM kb_term_stat WHERE "
            found = self.db.rows(
                sql + "term >= :p AND term < :after", {"p": prefix, "after": _after(prefix)}
            )
            self._prefixes[prefix] = min(self.totals()[0], int(found[0][0]))
        return self._prefixes[prefix]

    def totals(self) -> tuple[int, int]:
        if self._totals is None:
            self._totals = _totals(self.db)
        return self._totals


def _after(prefix: str) -> str:
    """The first string after every string that starts with the prefix (a range's end; the
    PostgreSQL statistics sort by code point, "C", as SQLite does)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def doc_counts(db: Sql, terms: Sequence[str]) -> dict[str, int]:
    """How many articles hold each term."""
    if not terms:
        return {}
    params: dict[str, Any] = {}
    listed = _in("t", terms, params)
    if db.dialect == "sqlite":
        sql = f"SELECT term, doc FROM kb_fts_vocab WHERE term IN ({listed})"
    else:
        sql = f"SELECT term, docs FROM kb_term_stat WHERE term IN ({listed})"
    return {str(t): int(n) for t, n in db.rows(sql, params)}


def _fts5_match(counts: TermCounts, parsed: Query) -> str:
    """The MATCH expression: the articles with a rarer word, ranked by every word.

    `(rare words) AND (all words)` matches exactly the articles with a rare word, but BM25
    still scores every word, common ones included, for those articles.
    """
    narrow = without_common_terms(counts.db, parsed, counts=counts)
    if narrow == parsed:
        return fts5_match(parsed)
    return f"({fts5_match(narrow)}) AND ({fts5_match(parsed)})"


def without_common_terms(db: Sql, parsed: Query, *, counts: TermCounts | None = None) -> Query:
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
    counts = counts or TermCounts(db)
    total = counts.totals()[0]
    if total < PRUNE_FROM:
        return parsed
    docs = counts.of(terms)
    common = {t for t in terms if docs.get(t, 0) > COMMON_SHARE * total}
    kept = [t for t in terms if t not in common]
    if not kept and not parsed.prefixes:
        kept = sorted(terms, key=lambda t: docs.get(t, 0))[:KEEP_WHEN_ALL_COMMON]
        kept = [t for t in terms if t in kept]
    return Query(
        terms=tuple(kept), prefixes=parsed.prefixes, exact_alternatives=parsed.exact_alternatives
    )


@dataclass(frozen=True, slots=True)
class _Article:
    id: int
    slug: str
    title: str
    body: str
    visibility: str
    status: str
    groups: tuple[str, ...]
    tags: tuple[str, ...]
    uses: int
    helpful_votes: int


def _articles(db: Sql, ids: Sequence[int]) -> dict[int, _Article]:
    params: dict[str, Any] = {}
    listed = _in("id", ids, params)
    tags: dict[int, list[str]] = {}
    for article_id, tag in db.rows(
        f"SELECT article_id, tag FROM kb_article_tag WHERE article_id IN ({listed}) ORDER BY tag",
        params,
    ):
        tags.setdefault(int(article_id), []).append(str(tag))
    rows = db.rows(
        'SELECT id, slug, title, body, visibility, status, "groups", uses, helpful_votes '
        f"FROM kb_article WHERE id IN ({listed})",
        params,
    )
    found: dict[int, _Article] = {}
    for r in rows:
        groups = json.loads(r[6]) if isinstance(r[6], str) else (r[6] or [])
        found[int(r[0])] = _Article(
            id=int(r[0]),
            slug=str(r[1]),
            title=str(r[2]),
            body=str(r[3] or ""),
            visibility=str(r[4]),
            status=str(r[5]),
            groups=tuple(str(g) for g in groups),
            tags=tuple(tags.get(int(r[0]), ())),
            uses=int(r[7] or 0),
            helpful_votes=int(r[8] or 0),
        )
    return found


def _hits(
    db: Sql,
    *,
    ranked: Sequence[tuple[int, float]],
    parsed: Query,
    limit: int,
    filters: Filters,
    said: Respelled,
) -> list[SearchHit]:
    hits: list[SearchHit] = []
    # The first `limit` are read first: most often they all pass the filters, and the
    # rest (bodies included) need not be read at all.
    start, size = 0, limit
    while start < len(ranked) and len(hits) < limit:
        chunk = ranked[start : start + size]
        start, size = start + size, len(ranked)
        _add_hits(hits, db, chunk=chunk, parsed=parsed, limit=limit, filters=filters, said=said)
    return hits


def _add_hits(
    hits: list[SearchHit],
    db: Sql,
    *,
    chunk: Sequence[tuple[int, float]],
    parsed: Query,
    limit: int,
    filters: Filters,
    said: Respelled,
) -> None:
    rows = _articles(db, [article_id for article_id, _ in chunk])
    for article_id, score in chunk:
        row = rows.get(article_id)
        if row is None or not filters.shows(row):
            continue
        cut = snippet(row.body, parsed, width=SNIPPET_WIDTH)
        hits.append(
            SearchHit(
                id=article_id,
                slug=row.slug,
                title=row.title,
                visibility=Visibility(row.visibility),
                status=ArticleStatus(row.status),
                tags=row.tags,
                groups=row.groups,
                score=score,
                snippet=cut.text,
                highlights=cut.highlights,
                title_highlights=_title_highlights(row.title, parsed),
                uses=row.uses,
                helpful_votes=row.helpful_votes,
                respelled=said,
            )
        )
        if len(hits) == limit:
            break


def _title_highlights(title: str, parsed: Query) -> tuple[tuple[int, int], ...]:
    return tuple(matching_spans(title, parsed))
