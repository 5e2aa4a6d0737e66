"""Store benchmark: the demo's insert rate and the live-queue window query at scale.

    python bench/bench_store.py [--sizes 100000,1000000] [--keep] [--runs 200]

For each size it builds a SQLite database in a temporary directory and prints:

* the demo generator's insert rate (tickets with their full history, per second);
* the live-queue window (`dispatcher.store.tickets.queue.queue_window`, the query the
  console's queue screen runs: active tickets by due time, 200 rows, keyset-paged) for one
  queue and for every queue, first window and a deep one (90 % down), p50 / p95 over
  `--runs` runs, through the store (a short session per window, as the console does)
  beside the very same SQL through raw sqlite3, the floor, and the ratio of the two;
* EXPLAIN QUERY PLAN of the window queries (they must walk `ix_ticket_queue_due`, or
  `ix_ticket_active_due` for every queue).

Sizes above `--history-max` (100,000 by default) are built from the demo's first
`--history-max` tickets with full history, then their ticket rows copied (new ids, no
events or messages) up to the size: the window query reads the ticket table (and the few
clients, users, categories and alerts it joins), and the full generator at 1M takes
minutes (~19 rows per ticket). `--history-max 1000000` builds 1M the slow way.
`--sizes 10000` is a quick check that the benchmark still runs.
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
from dispatcher.read_models.queue import PAGE_SIZE, QueueFilter, WindowKey
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from dispatcher.store.models import ACTIVE_STATUS_SQL
from dispatcher.store.tickets.queue import (
    driver_sql,
    explain_queue_window,
    queue_window,
    queue_window_statement,
)

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
TARGET_P95_MS = 5.0

Case = tuple[QueueFilter, WindowKey | None]  # what one run of a variant reads


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

    def deep_key(queue: int | None) -> WindowKey | None:
        """The key 90 % of the way down the active tickets of `queue` (None: every queue)."""
        where = "" if queue is None else f"AND queue_id = {int(queue)}"
        keys = raw.execute(
            f"SELECT next_due_at, id FROM ticket WHERE {ACTIVE_STATUS_SQL} {where} "
            "ORDER BY next_due_at, id"
        ).fetchall()
        if not keys:
            return None
        text_due, ticket_id = keys[int(len(keys) * 0.9)]
        return (datetime.fromisoformat(text_due).replace(tzinfo=UTC), ticket_id)

    # Each variant: the (filter, after) pairs it cycles through, one per queue.
    one_queue = [QueueFilter(queue_id=q) for q in queues]
    deep_one: list[Case] = [(f, k) for f in one_queue if (k := deep_key(f.queue_id)) is not None]
    deep_all: list[Case] = [(QueueFilter(), k) for k in [deep_key(None)] if k is not None]
    variants: list[tuple[str, list[Case]]] = [
        ("one queue, first window", [(f, None) for f in one_queue]),
        ("one queue, deep (90%, keyset)", deep_one),
        ("all queues, first window", [(QueueFilter(), None)]),
        ("all queues, deep (90%)", deep_all),
    ]
    dialect = sqlite_dialect.dialect()

    def through_store(cases: list[Case]) -> Callable[[int], Any]:
        def run(i: int) -> None:
            filters, after = cases[i % len(cases)]
            with store.read() as session:
                window = queue_window(session, filters=filters, after=after)
            assert len(window.rows) <= PAGE_SIZE

        return run

    def through_raw(cases: list[Case]) -> Callable[[int], Any]:
        statements = [
            driver_sql(queue_window_statement(filters=f, after=a), dialect) for f, a in cases
        ]

        def run(i: int) -> None:
            sql, params = statements[i % len(statements)]
            raw.execute(sql, params).fetchall()

        return run

    # The two paths must return the same tickets.
    for _, cases in variants:
        for filters, after in cases[:3]:
            with store.read() as session:
                window = queue_window(session, filters=filters, after=after)
            sql, params = driver_sql(queue_window_statement(filters=filters, after=after), dialect)
            raw_ids = [r[0] for r in raw.execute(sql, params).fetchall()]
            assert [r.id for r in window.rows] == raw_ids[:PAGE_SIZE], "store and raw differ"

    print(f"  live-queue window ({PAGE_SIZE} rows, queue_window), ms over {runs} runs:")
    print(f"    {'':30} {'p50':>7} {'p95':>7}   {'raw p50':>7} {'raw p95':>7}   ratio p95")
    worst = 0.0
    for name, cases in variants:
        if not cases:
            print(f"    {name:30} (no active tickets)")
            continue
        ours, floor = timed(through_store(cases), runs), timed(through_raw(cases), runs)
        p50, p95 = statistics.median(ours), percentile(ours, 0.95)
        r50, r95 = statistics.median(floor), percentile(floor, 0.95)
        worst = max(worst, p95)
        print(f"    {name:30} {p50:7.2f} {p95:7.2f}   {r50:7.2f} {r95:7.2f}   {p95 / r95:5.1f}x")
    verdict = "ok" if worst < TARGET_P95_MS else "OVER TARGET"
    print(f"  worst store p95 {worst:.2f} ms (target < {TARGET_P95_MS} ms): {verdict}")

    with store.read() as session:
        for name, cases in variants:
            if cases:
                filters, after = cases[0]
                plan = "; ".join(explain_queue_window(session, filters=filters, after=after))
                print(f"  plan, {name}: {plan}")
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
