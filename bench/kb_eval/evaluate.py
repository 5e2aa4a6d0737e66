"""KB search quality on the evaluation sets: MRR, recall@5 and nDCG@10, beside plain BM25.

    python bench/kb_eval/evaluate.py                 # every set, both parts
    python bench/kb_eval/evaluate.py --kinds         # and a line per kind of query
    python bench/kb_eval/evaluate.py --backend postgres  # our ranking on PostgreSQL too

Each set file (`*.json` here) is one knowledge base, imported into a fresh SQLite file the
way `admin kb import` stores articles, and queried with `search.search` exactly as
`dispatcher kb search` calls it (the last word may be a prefix). Beside it, on the same
articles:

- `plain BM25`: FTS5 over the raw title and body (unicode61, no stemming, no stop words),
  the query's words ORed, ranked by bm25(): the floor no change may fall below;
- `BM25, our terms`: FTS5 bm25() over our own index (the same terms), the query's terms
  ORed, no weights: what the terms alone are worth.

A query has one right article; MRR counts the first 20 results, nDCG@10 is 1/log2(rank+1)
within the first ten. Sets with a `part` on their queries report the tuning part and the
held-out part apart: a ranking change is judged on the held-out part only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

from dispatcher.domain.search_text import fts5_match, parse_query  # noqa: E402
from dispatcher.store.db import migrate  # noqa: E402
from dispatcher.store.db.engine import Store, make_engine  # noqa: E402
from dispatcher.store.knowledge import articles, search  # noqa: E402

TOP = 20
NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
Ranker = Callable[[str], list[str]]


def load(names: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    paths = sorted(HERE.glob("*.json"))
    sets = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in paths}
    return {k: v for k, v in sets.items() if not names or k in names}


def open_store(url: str) -> Store:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return Store.open(url)


def import_articles(store: Store, data: dict[str, Any]) -> None:
    with store.write() as session:
        for a in data["articles"]:
            articles.upsert_article(
                session,
                slug=a["slug"],
                title=a["title"],
                body=a["body"],
                tags=a.get("tags", []),
                visibility="internal",
                groups=[],
                now=NOW,
            )


def ours(store: Store, *, typing: bool = True) -> Ranker:
    def rank(query: str) -> list[str]:
        with store.read() as session:
            return [h.slug for h in search.search(session, query=query, limit=TOP, typing=typing)]

    return rank


def plain_bm25(data: dict[str, Any]) -> Ranker:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='unicode61')")
    slugs = {}
    for n, a in enumerate(data["articles"], start=1):
        slugs[n] = a["slug"]
        conn.execute(
            "INSERT INTO f(rowid, title, body) VALUES (?, ?, ?)", (n, a["title"], a["body"])
        )

    def rank(query: str) -> list[str]:
        words = re.findall(r"[^\W_]+", query.lower())
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = conn.execute(
            "SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT ?", (match, TOP)
        ).fetchall()
        return [slugs[r[0]] for r in rows]

    return rank


def bm25_our_terms(store: Store) -> Ranker:
    from sqlalchemy import text

    with store.read() as session:
        rows = session.execute(text("SELECT id, slug FROM kb_article")).all()
    slugs = {int(r[0]): str(r[1]) for r in rows}

    def rank(query: str) -> list[str]:
        parsed = parse_query(query)
        if parsed.empty:
            return []
        with store.read() as session:
            rows = session.execute(
                text(
                    "SELECT rowid FROM kb_fts WHERE kb_fts MATCH :m ORDER BY bm25(kb_fts) LIMIT :n"
                ),
                {"m": fts5_match(parsed), "n": TOP},
            ).all()
        return [slugs[r[0]] for r in rows]

    return rank


def rank_of(found: list[str], relevant: list[str]) -> int | None:
    return next((i for i, slug in enumerate(found, start=1) if slug in relevant), None)


def figures(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "MRR": sum(1 / r for r in ranks if r is not None) / n,
        "R@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "nDCG@10": sum(1 / math.log2(r + 1) for r in ranks if r is not None and r <= 10) / n,
    }


def evaluate(
    rankers: dict[str, Ranker], queries: list[dict[str, Any]]
) -> dict[str, list[int | None]]:
    return {
        name: [rank_of(ranker(q["q"]), q["relevant"]) for q in queries]
        for name, ranker in rankers.items()
    }


def report(
    name: str, queries: list[dict[str, Any]], ranks: dict[str, list[int | None]], *, kinds: bool
) -> None:
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(queries):
        groups.setdefault(q.get("part", "all"), []).append(i)
        if kinds and "kind" in q:
            groups.setdefault(f"{q.get('part', 'all')}/{q.get('kind', '-')}", []).append(i)
    for group in sorted(groups, key=lambda g: ("/" in g, g)):
        idx = groups[group]
        line = f"{name:8} {group:18} {len(idx):4}"
        for what, r in ranks.items():
            f = figures([r[i] for i in idx])
            line += f"  | {what}: {f['MRR']:.3f} {f['R@5']:.3f} {f['nDCG@10']:.3f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", help="set names (file stems); default all")
    parser.add_argument("--kinds", action="store_true", help="a line per kind of query")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--json", type=Path, help="write the ranks here")
    args = parser.parse_args()
    sets = load(args.sets)
    print("each cell: MRR R@5 nDCG@10")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in sets.items():
            if args.backend == "postgres":
                url = _postgres_database(name)
            else:
                url = str(Path(tmp) / f"{name}.db")
            store = open_store(url)
            started = time.perf_counter()
            import_articles(store, data)
            took = time.perf_counter() - started
            rankers: dict[str, Ranker] = {"ours": ours(store), "plain BM25": plain_bm25(data)}
            if args.backend == "sqlite":
                rankers["BM25 our terms"] = bm25_our_terms(store)
            print(f"{name}: {len(data['articles'])} articles, imported in {took:.1f} s")
            ranks = evaluate(rankers, data["queries"])
            report(name, data["queries"], ranks, kinds=args.kinds)
            if args.json:
                args.json.write_text(json.dumps({name: ranks}), encoding="utf-8")
            store.dispose()


def _postgres_database(name: str) -> str:
    import psycopg

    base = os.environ.get("DISPATCHER_PG_URL", "postgresql://postgres@127.0.0.1:5432")
    db = "kb_eval_" + re.sub(r"\W", "_", name)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db}")
        conn.execute(f"CREATE DATABASE {db}")
    return f"postgresql+psycopg://{base.split('://', 1)[1]}/{db}"


if __name__ == "__main__":
    main()
