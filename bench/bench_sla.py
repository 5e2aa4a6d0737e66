"""SLA sweep benchmark: the scheduler's job at 1M tickets with 100k of them open.

    python bench/bench_sla.py [--size 1000000] [--open 100000] [--runs 200] [--keep]
        [--from DB]

Builds the database as bench_store.py does (the demo's first 100k tickets with full
history, their ticket rows copied up to --size; or starts from a copy of `--from`, a
database built so, e.g. `bench_console.py`'s `console-1000000.db`: building takes minutes),
opens tickets until --open are active,
then times `SlaJobs.sweep` (a write transaction per batch, as the console and `dispatcher
watch` run it):

* catch-up: the first sweep, which raises every alert that came due "while nothing ran";
* idle: a sweep with nothing due (the index probe every 15 s on a quiet desk);
* steady: a sweep with at least --due tickets due (about what 100k open tickets produce per
  15 s: each raises 3-5 alerts over a life of a day or two), each replaying its clock
  events; the demo's own tickets come due too as the clock moves 15 s a run, so the figure
  line says how many tickets and alerts a run handled on average.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench_store import NOW, build, percentile

from dispatcher.scheduling import SlaJobs
from dispatcher.store.db.engine import Store
from dispatcher.store.models import ACTIVE_STATUS_SQL

TARGET_P95_MS = 20.0
STAMP = "%Y-%m-%d %H:%M:%S.%f"


def open_more(path: Path, wanted: int) -> int:
    """Reopen copied (history-less) closed tickets until `wanted` are active."""
    conn = sqlite3.connect(path, isolation_level=None)
    active = conn.execute(f"SELECT count(*) FROM ticket WHERE {ACTIVE_STATUS_SQL}").fetchone()[0]
    missing = max(0, wanted - active)
    conn.execute("BEGIN")
    conn.execute(
        f"UPDATE ticket SET status = 'open', next_due_at = ?, next_alert_at = '9999-12-31 "
        f"00:00:00.000000' WHERE id IN (SELECT id FROM ticket WHERE NOT ({ACTIVE_STATUS_SQL}) "
        "AND id > 100000 ORDER BY id LIMIT ?)",
        ((NOW + timedelta(days=2)).strftime(STAMP), missing),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    total = conn.execute(f"SELECT count(*) FROM ticket WHERE {ACTIVE_STATUS_SQL}").fetchone()[0]
    conn.close()
    return int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=35, help="tickets due per steady sweep")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="profile the steady sweeps (slows them)"
    )
    parser.add_argument(
        "--from", dest="source", help="start from a copy of this database (built as above)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dispatcher-bench-sla-"))
    path = workdir / "sla.db"
    try:
        if args.source:
            print(f"copying {args.source} to {workdir}")
            with sqlite3.connect(args.source) as source, sqlite3.connect(path) as copy:
                source.backup(copy)
        else:
            print(f"building {args.size:,} tickets in {workdir}")
            build(path, args.size, 100_000)
        active = open_more(path, args.open)
        print(f"{args.size:,} tickets, {active:,} active")
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        store = Store.open(str(path))
        clock = {"now": NOW}
        jobs = SlaJobs(store, clock=lambda: clock["now"])

        started = time.perf_counter()
        first = jobs.sweep()
        catch_up = time.perf_counter() - started
        print(
            f"catch-up sweep: {first.tickets:,} tickets due, {len(first.fired):,} alerts raised, "
            f"{len(first.closed):,} auto-closed in {catch_up:.2f} s"
        )

        idle = []
        for i in range(args.runs):
            clock["now"] = NOW + timedelta(seconds=i)
            started = time.perf_counter()
            jobs.sweep()
            idle.append((time.perf_counter() - started) * 1000)

        raw = sqlite3.connect(path, isolation_level=None)
        real_active = [
            row[0]
            for row in raw.execute(
                f"SELECT id FROM ticket WHERE {ACTIVE_STATUS_SQL} AND id <= 100000 "
                "AND sla_plan_id IS NOT NULL ORDER BY id"
            )
        ]
        steady = []
        steady_cpu = []  # the sweep's own CPU time (this thread's): what the load leaves out
        profiler = cProfile.Profile() if args.profile else None
        processed = fired = 0
        for i in range(args.runs):
            at = NOW + timedelta(minutes=10, seconds=15 * i)
            picked = [real_active[(i * args.due + k) % len(real_active)] for k in range(args.due)]
            raw.execute("BEGIN")
            raw.executemany(
                "UPDATE ticket SET next_alert_at = ? WHERE id = ?",
                [((at - timedelta(seconds=1)).strftime(STAMP), t) for t in picked],
            )
            raw.execute("COMMIT")
            clock["now"] = at
            cpu_started, started = time.thread_time(), time.perf_counter()
            result = jobs.sweep() if profiler is None else profiler.runcall(jobs.sweep)
            steady.append((time.perf_counter() - started) * 1000)
            steady_cpu.append((time.thread_time() - cpu_started) * 1000)
            assert result.tickets >= args.due, result
            # Real demo tickets also come due as the clock moves on: count what was done.
            processed += result.tickets
            fired += len(result.fired)
        raw.close()
        store.dispose()

        def line(label: str, samples: list[float]) -> str:
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
            return f"{label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms ({verdict} {TARGET_P95_MS:g} ms)"

        print(line("idle sweep (nothing due)", idle))
        print(
            line(
                f"steady sweep (>= {args.due} due; on average {processed / args.runs:.0f} "
                f"tickets and {fired / args.runs:.1f} alerts a run)",
                steady,
            )
        )
        print(line("  the same, CPU time (user+sys) of the sweeping thread", steady_cpu))
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if profiler is not None:
            print("where the steady sweeps' time goes (cProfile, cumulative):")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
