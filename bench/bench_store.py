"""Store benchmark: the demo's insert rate and the live-queue page query at scale.

    python bench/bench_store.py [--sizes 100000,1000000] [--keep] [--runs 200]

For each size it builds a SQLite database in a temporary directory and prints:

* the demo generator's insert rate (tickets with their full history, per second);
* the live-queue page (`dispatcher.store.queue.queue_page`: active tickets of one queue by
  due time, 200 rows, keyset-paged), first page and a deep page (90 % down the queue),
  p50 / p95 over `--runs` runs, through the store (a short session per page, as the
  console does) beside the very same SQL through raw sqlite3, the floor;
* EXPLAIN QUERY PLAN of the page queries (they must walk `ix_ticket_queue_due`).

Sizes above `--history-max` (100,000 by default) are built from the demo's first
`--history-max` tickets with full history, then their ticket rows copied (new ids, no
events or messages) up to the size: the page query reads only the ticket table, and the
full generator at 1M takes minutes (~19 rows per ticket). `--history-max 1000000` builds
1M the slow way.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect

from dispatcher.demo.generate import generate
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from dispatcher.store.models import ACTIVE_STATUS_SQL
from dispatcher.store.tickets.queue import (
    PAGE_SIZE,
    explain_queue_page,
    queue_page,
    queue_page_statement,
)

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
TARGET_P95_MS = 5.0


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(fn: Callable[[int], Any], runs: int) -> list[float]:
    fn(0)  # warm the page cache and the statement cache
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def build(path: Path, size: int, history_max: int) -> dict[str, float]:
    store = Store.open(str(path))
    migrate.upgrade(store.engine)
    base = min(size, history_max)
    done = [0]

    def progress(n: int) -> None:
        done[0] = n
        print(f"\r  demo: {n:,} / {base:,} tickets", end="", file=sys.stderr, flush=True)

    summary = generate(store, tickets=base, seed=42, now=NOW, on_progress=progress)
    print(file=sys.stderr)
    figures = {
        "demo_tickets": float(summary.tickets),
        "demo_seconds": summary.ticket_seconds,
        "demo_rate": summary.tickets_per_second,
        "demo_rows": float(summary.tickets + summary.events + summary.messages),
    }
    store.dispose()
    if size > base:
        figures.update(copy_tickets(path, base, size))
    with sqlite3.connect(path) as conn:
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return figures


def copy_tickets(path: Path, base: int, size: int) -> dict[str, float]:
    """Grow the ticket table to `size` rows with copies of the first `base` tickets."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(ticket)")]
    others = ", ".join(c for c in columns if c not in ("id", "merged_into_id"))
    started = time.perf_counter()
    copied = base
    copy = 0
    while copied < size:
        copy += 1
        count = min(base, size - copied)
        conn.execute("BEGIN")
        conn.execute(
            f"INSERT INTO ticket (id, merged_into_id, {others}) "
            f"SELECT id + ?, NULL, {others} FROM ticket WHERE id <= ?",
            (copy * base, count),
        )
        conn.execute("COMMIT")
        copied += count
        print(f"\r  copies: {copied:,} / {size:,} tickets", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    seconds = time.perf_counter() - started
    conn.close()
    return {"copy_rows": float(size - base), "copy_seconds": seconds}


def bench_queue(path: Path, runs: int) -> None:
    store = Store.open(str(path))
    raw = sqlite3.connect(path)
    queues = [row[0] for row in raw.execute("SELECT id FROM queue ORDER BY id")]
    active = dict(
        raw.execute(
            f"SELECT queue_id, COUNT(*) FROM ticket WHERE {ACTIVE_STATUS_SQL} GROUP BY queue_id"
        ).fetchall()
    )
    total = raw.execute("SELECT COUNT(*) FROM ticket").fetchone()[0]
    print(f"  {total:,} tickets; active per queue: {active}")

    # The deep page of each queue starts 90 % of the way down its active tickets.
    deep: dict[int, tuple[datetime, int, str]] = {}
    for queue in queues:
        keys = raw.execute(
            f"SELECT next_due_at, id FROM ticket WHERE {ACTIVE_STATUS_SQL} AND queue_id = ? "
            "ORDER BY next_due_at, id",
            (queue,),
        ).fetchall()
        if keys:
            text_due, ticket_id = keys[int(len(keys) * 0.9)]
            due = datetime.fromisoformat(text_due).replace(tzinfo=UTC)
            deep[queue] = (due, ticket_id, text_due)
    deep_queues = [q for q in queues if q in deep]

    dialect = sqlite_dialect.dialect()
    first_sql = str(queue_page_statement(all_queues=False, keyset=False).compile(dialect=dialect))
    deep_sql = str(queue_page_statement(all_queues=False, keyset=True).compile(dialect=dialect))

    def store_first(i: int) -> None:
        with store.read() as session:
            page = queue_page(session, queue_id=queues[i % len(queues)])
        assert len(page.rows) <= PAGE_SIZE

    def store_deep(i: int) -> None:
        queue = deep_queues[i % len(deep_queues)]
        due, ticket_id, _ = deep[queue]
        with store.read() as session:
            queue_page(session, queue_id=queue, after=(due, ticket_id))

    def raw_first(i: int) -> None:
        raw.execute(first_sql, (queues[i % len(queues)], PAGE_SIZE + 1, 0)).fetchall()

    def raw_deep(i: int) -> None:
        queue = deep_queues[i % len(deep_queues)]
        _, ticket_id, text_due = deep[queue]
        raw.execute(deep_sql, (queue, text_due, ticket_id, PAGE_SIZE + 1, 0)).fetchall()

    # The two paths must return the same tickets.
    with store.read() as session:
        page = queue_page(session, queue_id=queues[0])
    raw_ids = [r[0] for r in raw.execute(first_sql, (queues[0], PAGE_SIZE + 1, 0)).fetchall()]
    assert [r.id for r in page.rows] == raw_ids[:PAGE_SIZE], "store and raw pages differ"

    print(f"  live-queue page ({PAGE_SIZE} rows), ms over {runs} runs:")
    print(f"    {'':28} {'p50':>7} {'p95':>7}   {'raw p50':>7} {'raw p95':>7}   ratio p95")
    worst = 0.0
    for name, through_store, through_raw in (
        ("first page", store_first, raw_first),
        ("deep page (90%, keyset)", store_deep, raw_deep),
    ):
        ours, floor = timed(through_store, runs), timed(through_raw, runs)
        p50, p95 = statistics.median(ours), percentile(ours, 0.95)
        r50, r95 = statistics.median(floor), percentile(floor, 0.95)
        worst = max(worst, p95)
        print(f"    {name:28} {p50:7.2f} {p95:7.2f}   {r50:7.2f} {r95:7.2f}   {p95 / r95:5.1f}x")
    verdict = "ok" if worst < TARGET_P95_MS else "OVER TARGET"
    print(f"  worst store p95 {worst:.2f} ms (target < {TARGET_P95_MS} ms): {verdict}")

    with store.read() as session:
        for label, queue_id, keyset in (
            ("first page", queues[0], False),
            ("deep page", queues[0], True),
            ("all queues", None, True),
        ):
            plan = "; ".join(explain_queue_page(session, queue_id=queue_id, keyset=keyset))
            print(f"  plan, {label}: {plan}")
    raw.close()
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated ticket counts")
    parser.add_argument("--runs", type=int, default=200, help="runs per query variant")
    parser.add_argument(
        "--history-max",
        type=int,
        default=100_000,
        help="tickets generated with full history; larger sizes copy ticket rows",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="dispatcher-bench-"))
    print(f"databases in {workdir}")
    try:
        for size in sizes:
            path = workdir / f"bench-{size}.db"
            print(f"\n== {size:,} tickets ==")
            figures = build(path, size, args.history_max)
            print(
                f"  demo insert: {figures['demo_tickets']:,.0f} tickets with history "
                f"({figures['demo_rows']:,.0f} rows) in {figures['demo_seconds']:.1f} s = "
                f"{figures['demo_rate']:,.0f} tickets/s "
                f"({figures['demo_rows'] / figures['demo_seconds']:,.0f} rows/s)"
            )
            if "copy_rows" in figures:
                print(
                    f"  grown by copying {figures['copy_rows']:,.0f} ticket rows in "
                    f"{figures['copy_seconds']:.1f} s"
                )
            size_mb = path.stat().st_size / 1e6
            print(f"  database file: {size_mb:,.0f} MB")
            bench_queue(path, args.runs)
    finally:
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
