"""KB search: quality on our evaluation set, beside plain FTS5, and latency at 100k articles.

    python bench/bench_kb.py                  # quality + latency at 100k generated articles
    python bench/bench_kb.py --articles 0     # quality only
    python bench/bench_kb.py --postgres postgresql+psycopg://postgres@127.0.0.1/kb_bench
                                              # latency on PostgreSQL (an empty database)

Quality: the English and Russian articles of bench/kb_eval/ (one bilingual knowledge
base, as a helpdesk has), and queries worded differently from the articles they should
find (paraphrased questions, other word forms). For each language: recall@5 (the share of
queries whose article is among the first five) and MRR (mean of 1/rank, 0 when not in
the first 20), for

- ours: `search.search`, exactly as `dispatcher kb search` and the console call it;
- floor: plain FTS5 over the raw title and body (unicode61, no stemming, no stop words),
  ranked by bm25(); its query is every word of the question joined by OR (the stronger
  floor; with FTS5's default AND, shown as "floor AND", most paraphrases find nothing).

Latency: `search.search` (ranking, then reading the top 20 and cutting their snippets)
over generated articles plus the evaluation set, p50/p95 over the evaluation queries,
whole and as typed (each query cut mid-word, the last word a prefix); and the same
ranking over the bare `sqlite3` connection that `dispatcher kb search` uses
(`plain_db`), which skips the ORM. Each line gives wall-clock and CPU time of this process
(the machine may be busy: CPU time is the steadier figure), and the first pass over the
queries apart (caches cold: SQLite's pages, the stems of words seen).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dispatcher.domain.enums import ArticleStatus
from dispatcher.domain.search_text import index_terms, parse_query
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store, make_engine
from dispatcher.store.knowledge import articles, plain_db, search
from dispatcher.store.knowledge.ranking import Filters, rank
from dispatcher.store.models import KbArticle, table_of
from dispatcher.store.models.knowledge import KbSearchDoc

HERE = Path(__file__).parent / "kb_eval"
TOP = 20
NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)


def load() -> dict[str, dict[str, Any]]:
    """The project's own two sets (the help-page sets are `kb_eval/evaluate.py`'s)."""
    paths = [HERE / "en.json", HERE / "ru.json"]
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in paths}


def open_store(url: str) -> Store:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return Store.open(url)


def add_eval_articles(store: Store, sets: dict[str, dict[str, Any]]) -> None:
    with store.write() as session:
        for data in sets.values():
            for a in data["articles"]:
                articles.upsert_article(
                    session,
                    slug=a["slug"],
                    title=a["title"],
                    body=a["body"],
                    tags=[],
                    visibility="internal",
                    groups=[],
                    now=NOW,
                )


def ranks_ours(store: Store, queries: list[dict[str, Any]], *, typing: bool) -> list[int | None]:
    out = []
    with store.read() as session:
        for q in queries:
            hits = search.search(session, query=q["q"], limit=TOP, typing=typing)
            out.append(_rank([h.slug for h in hits], q["relevant"]))
    return out


def plain_fts(sets: dict[str, dict[str, Any]]) -> tuple[sqlite3.Connection, dict[int, str]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='unicode61')")
    slugs = {}
    n = 0
    for data in sets.values():
        for a in data["articles"]:
            n += 1
            slugs[n] = a["slug"]
            conn.execute(
                "INSERT INTO f(rowid, title, body) VALUES (?, ?, ?)", (n, a["title"], a["body"])
            )
    return conn, slugs


def ranks_floor(
    conn: sqlite3.Connection, slugs: dict[int, str], queries: list[dict[str, Any]], *, op: str
) -> list[int | None]:
    out = []
    for q in queries:
        words = [w for w in re.findall(r"\w+", q["q"].lower()) if w]
        match = f" {op} ".join(f'"{w}"' for w in words)
        rows = conn.execute(
            "SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT ?", (match, TOP)
        ).fetchall()
        out.append(_rank([slugs[r[0]] for r in rows], q["relevant"]))
    return out


def _rank(found: list[str], relevant: list[str]) -> int | None:
    for i, slug in enumerate(found, start=1):
        if slug in relevant:
            return i
    return None


def metrics(ranks: list[int | None]) -> tuple[float, float]:
    recall5 = sum(1 for r in ranks if r is not None and r <= 5) / len(ranks)
    mrr = sum(1 / r for r in ranks if r is not None) / len(ranks)
    return recall5, mrr


def quality(sets: dict[str, dict[str, Any]], tmp: Path) -> None:
    store = open_store(str(tmp / "eval.db"))
    add_eval_articles(store, sets)
    conn, slugs = plain_fts(sets)
    n_articles = sum(len(d["articles"]) for d in sets.values())
    print(f"quality: {n_articles} articles (one bilingual KB), top {TOP}")
    print(f"{'lang':4} {'queries':>7}  {'what':34} {'recall@5':>8} {'MRR':>6}")
    for lang, data in sets.items():
        queries = data["queries"]
        rows = [
            ("ours (as the CLI and console search)", ranks_ours(store, queries, typing=True)),
            ("ours, whole words only", ranks_ours(store, queries, typing=False)),
            ("floor: plain FTS5 bm25, words ORed", ranks_floor(conn, slugs, queries, op="OR")),
            ("floor AND: plain FTS5 bm25, default", ranks_floor(conn, slugs, queries, op="AND")),
        ]
        for what, ranks in rows:
            r5, mrr = metrics(ranks)
            print(f"{lang:4} {len(queries):7}  {what:34} {r5:8.3f} {mrr:6.3f}")
        missed = [q["q"] for q, r in zip(queries, rows[0][1], strict=True) if r is None or r > 5]
        if missed:
            print(f"     ours missed (not in top 5): {missed}")
    store.dispose()


# --- latency at scale ----------------------------------------------------------------------


def vocabulary(sets: dict[str, dict[str, Any]], rng: random.Random, *, harsh: bool) -> list[str]:
    """Words by Zipf rank: the evaluation corpus's words and 30k made-up ones (rarer terms,
    product names, codes). `harsh`: the evaluation words take the most frequent ranks, so
    every query word is in most articles (the worst case); otherwise ranks are shuffled.
    """
    words: list[str] = []
    for data in sets.values():
        for a in data["articles"]:
            words += re.findall(r"[^\W_]+", f"{a['title']} {a['body']}")
    seen = list(dict.fromkeys(w.lower() for w in words))
    latin, cyrillic = "abcdefghijklmnopqrstuvwxyz", "абвгдежзиклмнопрстуфхцчшщыэюя"
    for _ in range(30_000):
        letters = latin if rng.random() < 0.5 else cyrillic
        seen.append("".join(rng.choice(letters) for _ in range(rng.randint(4, 11))))
    if not harsh:
        rng.shuffle(seen)
    return seen


def generate(
    store: Store, count: int, sets: dict[str, dict[str, Any]], seed: int, *, harsh: bool
) -> float:
    rng = random.Random(seed)
    vocab = vocabulary(sets, rng, harsh=harsh)
    weights = [1 / (rank + 10) for rank in range(len(vocab))]  # Zipf-like
    articles, docs = table_of(KbArticle), table_of(KbSearchDoc)
    started = time.perf_counter()
    batch = 2000
    for start in range(0, count, batch):
        rows, search_rows = [], []
        for n in range(start, min(count, start + batch)):
            title = " ".join(rng.choices(vocab, weights, k=rng.randint(3, 7))).capitalize()
            words = rng.choices(vocab, weights, k=rng.randint(90, 220))
            body = ". ".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12))
            rows.append(
                {
                    "id": n + 1,
                    "slug": f"gen/{n}",
                    "title": title[:500],
                    "body": body,
                    "visibility": "internal",
                    "status": "published",
                    "groups": [],
                    "uses": 0,
                    "helpful_votes": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                    "version": 1,
                }
            )
            search_rows.append(
                {
                    "article_id": n + 1,
                    "title_terms": index_terms(title),
                    "body_terms": index_terms(body),
                }
            )
        with store.write() as session:
            session.execute(articles.insert(), rows)
            session.execute(docs.insert(), search_rows)
    if store.engine.dialect.name == "postgresql":  # ids were given: move the sequence on
        with store.write() as session:
            session.connection().exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('kb_article', 'id'), max(id)) FROM kb_article"
            )
    add_eval_articles(store, sets)
    with store.write() as session:
        if store.engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("INSERT INTO kb_fts(kb_fts) VALUES ('optimize')")
        session.connection().exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def latency(
    sets: dict[str, dict[str, Any]], url: str, count: int, seed: int, rounds: int, harsh: bool
) -> None:
    store = open_store(url)
    with store.read() as session:
        fresh = not session.execute(select(func.count()).select_from(KbArticle)).scalar_one()
    how = "query words among the most frequent" if harsh else "query words at random Zipf ranks"
    if fresh:
        took = generate(store, count, sets, seed, harsh=harsh)
        print(
            f"\nlatency: {count:,} generated ({how}) + the evaluation articles, "
            f"built in {took:.0f} s"
        )
    else:
        print(f"\nlatency: the database at {store.engine.url.render_as_string()}")
    for lang, data in sets.items():
        r5, mrr = metrics(ranks_ours(store, data["queries"], typing=True))
        print(f"  quality among them, {lang}: recall@5 {r5:.3f}  MRR {mrr:.3f}")
    queries = [q["q"] for data in sets.values() for q in data["queries"]]
    typed = [q[: max(3, int(len(q) * 0.6))] for q in queries]  # cut mid-word: a prefix
    mistyped = [with_typo(q) for q in queries]

    def measure(texts: list[str], typing: bool) -> Timings:
        timings = Timings()
        with store.read() as session:
            for text in texts:  # the first pass: nothing cached yet, counted apart
                with timings.first():
                    search.search(session, query=text, limit=TOP, typing=typing)
            for _ in range(rounds):
                for text in texts:
                    with timings.measured():
                        search.search(session, query=text, limit=TOP, typing=typing)
        return timings

    def measure_plain(texts: list[str], typing: bool) -> Timings:
        db = plain_db.open_plain(str(store.engine.url.database))
        assert db is not None, "the database is not at this version's schema"
        filters = Filters.of(
            statuses=(ArticleStatus.published,), visibility=None, tag=None, reader_groups=None
        )
        timings = Timings()
        for text in texts:  # the first pass: nothing cached yet, counted apart
            with timings.first():
                rank(db, parsed=parse_query(text, typing=typing), limit=TOP, filters=filters)
        for _ in range(rounds):
            for text in texts:
                with timings.measured():
                    rank(db, parsed=parse_query(text, typing=typing), limit=TOP, filters=filters)
        db.close()
        return timings

    print(
        "  (wall ms, then CPU ms of this process; `first`: the first pass over the queries, "
        "caches cold)"
    )
    runs: list[tuple[str, Callable[[list[str], bool], Timings]]] = [("session", measure)]
    if store.engine.dialect.name == "sqlite":  # `kb search` reads PostgreSQL by the session
        runs.append(("driver only", measure_plain))
    for what, texts, typing in (
        ("whole queries", queries, False),
        ("as typed (last word a prefix)", typed, True),
        ("a typo in the longest word, as typed", mistyped, True),
    ):
        for how_run, run in runs:
            timings = run(texts, typing)
            print(f"  {what:30} {how_run:11} {timings.report()}")
    store.dispose()


def with_typo(query: str) -> str:
    """The query with the middle letter of its longest word dropped ("refusing" →
    "refuing"): a word for the search to respell."""
    words = re.findall(r"[^\W_]+", query)
    longest = max(words, key=len, default="")
    if len(longest) < 5:
        return query
    middle = len(longest) // 2
    return query.replace(longest, longest[:middle] + longest[middle + 1 :], 1)


class Timings:
    """Per-query wall and CPU times (ms): the measured rounds, and the first pass apart."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.first_wall: list[float] = []
        self.first_cpu: list[float] = []

    @contextmanager
    def measured(self) -> Iterator[None]:
        with self._timed(self.wall, self.cpu):
            yield

    @contextmanager
    def first(self) -> Iterator[None]:
        with self._timed(self.first_wall, self.first_cpu):
            yield

    @staticmethod
    @contextmanager
    def _timed(wall: list[float], cpu: list[float]) -> Iterator[None]:
        w0, c0 = time.perf_counter(), time.process_time()
        yield
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)

    def report(self) -> str:
        return (
            f"n={len(self.wall):4}  p50 {_p(self.wall, 50):6.1f} p95 {_p(self.wall, 95):6.1f}  "
            f"CPU p50 {_p(self.cpu, 50):5.1f} p95 {_p(self.cpu, 95):5.1f}  "
            f"max {max(self.wall):6.1f}  | first p95 {_p(self.first_wall, 95):6.1f} "
            f"CPU {_p(self.first_cpu, 95):5.1f}"
        )


def _p(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    if percent == 50:
        return statistics.median(ordered)
    return ordered[max(0, int(len(ordered) * percent / 100) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="generated; 0: no latency")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    parser.add_argument(
        "--harsh", action="store_true", help="generated articles full of the query words"
    )
    parser.add_argument("--db", type=Path, help="keep (or reuse) the big database here")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="the big knowledge base in this PostgreSQL database (filled when empty)",
    )
    args = parser.parse_args()
    sets = load()
    with tempfile.TemporaryDirectory() as tmp:
        quality(sets, Path(tmp))
        if args.articles:
            url = args.postgres or str(args.db or Path(tmp) / "big.db")
            latency(sets, url, args.articles, args.seed, args.rounds, args.harsh)


if __name__ == "__main__":
    main()
