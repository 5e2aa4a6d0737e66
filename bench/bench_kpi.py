"""KPI benchmark: `report kpi` over a month at scale, the backfill, and what keeping the
facts adds to a ticket write.

    python bench/bench_kpi.py [--sizes 100000,1000000] [--history-max 100000] [--runs 7]
                              [--lives 150] [--write-rounds 5] [--writes-only]
                              [--keep DIR] [--reuse]

For each size it builds a SQLite database in a temporary directory and prints:

* the backfill (`rebuild_facts`, what `dispatcher admin report rebuild-facts` runs) over
  the demo's tickets with their full history: tickets per second;
* `report kpi` for October 2026 (the month before the demo's `now`), ungrouped and by
  engineer: p50 / max over `--runs` runs of what the command does in-process (the missing
  facts check, the report, the figures), wall-clock and CPU; and the whole command once
  as a new process (`dispatcher report kpi ... --json`, interpreter start included);
* the cost of the facts on ticket writes: `--lives` ticket lives of five writes each
  (create, assign, reply, in progress, resolve) through `Store.write()`, alternately with
  the facts refresh and with it switched off, mean ms per write and the difference; that
  `--write-rounds` times, each on a fresh copy of the database, and the median of the
  rounds' differences (`--writes-only`: only this).

Sizes above `--history-max` are built from the demo's first `--history-max` tickets (the
demo spreads them over its last 90 days, about 33,000 a month at 100k), then their ticket
and fact rows copied with new ids, each copy 91 days earlier than the last: a million
tickets is ten such quarters, two and a half years of a busy helpdesk, the month measured
the same one throughout. The copies carry facts, not history: the report reads only facts.
`--sizes 5000 --history-max 5000 --runs 2 --lives 10` is a quick check that it still runs.
The machine's load is printed: CPU time is the figure that does not depend on it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dispatcher.demo.generate import generate
from dispatcher.domain.enums import MessageKind, Priority, TicketStatus
from dispatcher.domain.kpi.groups import GroupBy
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from dispatcher.store.reports.facts import missing_facts, rebuild_facts
from dispatcher.store.reports.kpi import Period, kpi_report
from dispatcher.store.tickets import writes

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
MONTH = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
COPY_SHIFT_DAYS = 91
TARGET_S = {GroupBy.none: 1.0, GroupBy.engineer: 1.5}
TARGET_WRITE_OVERHEAD = 0.10


def build(
    path: Path, size: int, history_max: int, bases: dict[int, tuple[Path, dict[str, float]]]
) -> dict[str, float]:
    """The database of `size` tickets at `path`; the demo and backfill of its first
    `history_max` are made once and reused by the next size (`bases`)."""
    base = min(size, history_max)
    if base not in bases:
        made = path.with_name(f"base_{base}.db")
        bases[base] = (made, build_base(made, base))
    made, figures = bases[base]
    with sqlite3.connect(made) as source, sqlite3.connect(path) as target:
        source.backup(target)
    figures = dict(figures)
    if size > base:
        figures.update(copy_rows(path, base, size))
    with sqlite3.connect(path) as conn:
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return figures


def build_base(path: Path, base: int) -> dict[str, float]:
    for stale in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        stale.unlink(missing_ok=True)  # a kept folder's earlier run: made again
    store = Store.open(str(path))
    migrate.upgrade(store.engine)

    def progress(n: int) -> None:
        print(f"\r  demo: {n:,} / {base:,} tickets", end="", file=sys.stderr, flush=True)

    summary = generate(store, tickets=base, seed=42, now=NOW, on_progress=progress)
    print(file=sys.stderr)
    started, cpu = time.perf_counter(), time.process_time()

    def backfill(done: int, total: int) -> None:
        print(f"\r  backfill: {done:,} / {total:,}", end="", file=sys.stderr, flush=True)

    rebuilt = rebuild_facts(store, on_progress=backfill)
    print(file=sys.stderr)
    figures = {
        "demo_tickets": float(summary.tickets),
        "demo_events": float(summary.events),
        "backfill_seconds": time.perf_counter() - started,
        "backfill_cpu": time.process_time() - cpu,
        "backfill_tickets": float(rebuilt),
    }
    store.dispose()
    return figures


def _shifted(column: str, days: int) -> str:
    """SQL for an instant column `days` earlier, in the text form the store writes."""
    return (
        f"CASE WHEN {column} IS NULL OR {column} LIKE '9999%' THEN {column} ELSE "
        f"strftime('%Y-%m-%d %H:%M:%S', {column}, '-{days} days') || substr({column}, 20) END"
    )


def copy_rows(path: Path, base: int, size: int) -> dict[str, float]:
    """Grow the ticket and fact tables to `size` rows with earlier copies of the first
    `base` tickets."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    instants = {
        "ticket": {"created_at", "updated_at", "resolved_at", "closed_at"},
        "ticket_fact": {
            "created_at",
            "first_response_at",
            "first_resolved_at",
            "last_resolved_at",
            "inactive_since",
            "first_response_decided_at",
            "resolution_decided_at",
            "update_decided_at",
            "csat_at",
            "status_since",
            "counted_to",
        },
    }
    key = {"ticket": "id", "ticket_fact": "ticket_id"}
    started = time.perf_counter()
    copied, copy = base, 0
    while copied < size:
        copy += 1
        count = min(base, size - copied)
        days = copy * COPY_SHIFT_DAYS
        conn.execute("BEGIN")
        for table in ("ticket", "ticket_fact"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            names = ", ".join(columns)
            values = []
            for column in columns:
                if column == key[table]:
                    values.append(f"{column} + {copy * base}")
                elif column in ("merged_into_id", "folded_event_id"):
                    values.append("NULL")  # a copy has no history: a change folds it whole
                elif column in instants[table]:
                    values.append(_shifted(column, days))
                else:
                    values.append(column)
            conn.execute(
                f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} FROM {table} "
                f"WHERE {key[table]} <= ?",
                (count,),
            )
        conn.execute("COMMIT")
        copied += count
        print(f"\r  copies: {copied:,} / {size:,} tickets", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    seconds = time.perf_counter() - started
    conn.close()
    return {"copy_rows": float(size - base), "copy_seconds": seconds}


def bench_report(path: Path, runs: int) -> dict[GroupBy, tuple[float, float, float]]:
    """(wall p50, wall max, cpu p50) in seconds of the in-process report, per grouping."""
    store = Store.open(str(path))
    results = {}
    for by in (GroupBy.none, GroupBy.engineer):
        walls, cpus = [], []
        for i in range(runs + 1):
            wall, cpu = time.perf_counter(), time.process_time()
            with store.read() as session:
                missing = missing_facts(session, start=MONTH.start, end=MONTH.end)
                report = kpi_report(session, period=MONTH, by=by, zone=UTC)
            if i:  # the first run warms the page cache
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
        assert missing == 0, f"{missing} tickets of the month have no facts"
        figures = report[0][1]
        print(
            f"    {by.value:9} {len(report):3} group(s): created {figures['created']['total']:,}"
            if by == GroupBy.none
            else f"    {by.value:9} {len(report):3} group(s)"
        )
        results[by] = (statistics.median(walls), max(walls), statistics.median(cpus))
    store.dispose()
    return results


def bench_cli(path: Path, by: GroupBy) -> float:
    command = [
        str(Path(sys.executable).with_name("dispatcher")),
        "report",
        "kpi",
        "--db",
        str(path),
        "--from",
        "2026-10-01T00:00Z",
        "--to",
        "2026-11-01T00:00Z",
        "--by",
        by.value,
        "--json",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def bench_writes(path: Path, lives: int) -> dict[str, float]:
    """Mean ms per write with and without the facts refresh, alternating life by life."""
    work = path.with_name("writes.db")
    for stale in (work.with_name("writes.db-wal"), work.with_name("writes.db-shm")):
        stale.unlink(missing_ok=True)  # a stopped run's: not of this copy
    shutil.copyfile(path, work)
    store = Store.open(str(work))
    raw = sqlite3.connect(work)
    client, contact = raw.execute(
        "SELECT client_id, id FROM contact WHERE client_id IS NOT NULL ORDER BY id LIMIT 1"
    ).fetchone()
    engineer = raw.execute("SELECT id FROM user WHERE role = 'engineer' LIMIT 1").fetchone()[0]
    raw.close()
    module = vars(writes)  # the facts refresh is switched off in the module's namespace
    real = module["refresh_facts"]
    times: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    at = NOW

    def timed(on: bool, action: Callable[[Any], Any]) -> Any:
        wall, started = time.perf_counter(), time.process_time()
        with store.write() as session:
            result = action(session)
        times[on].append(time.perf_counter() - wall)
        cpu[on].append(time.process_time() - started)
        return result

    try:
        # One life each way first, not measured: the modules a write imports on first use,
        # the calendars built once, the statements compiled once.
        for life in range(-2, 2 * lives):
            on = life % 2 == 0
            module["refresh_facts"] = real if on else _no_facts
            at += timedelta(minutes=7)
            ticket = timed(on, _create(client, contact, life, at))
            steps = _steps(ticket.id, engineer, at)
            for step in steps:
                timed(on, step)
            if life < 0:
                times[on].clear()
                cpu[on].clear()
    finally:
        module["refresh_facts"] = real
        store.dispose()
        work.unlink(missing_ok=True)
    mean = {on: statistics.fmean(values) * 1000 for on, values in times.items()}
    mean_cpu = {on: statistics.fmean(values) * 1000 for on, values in cpu.items()}
    return {
        "with_ms": mean[True],
        "without_ms": mean[False],
        "with_cpu_ms": mean_cpu[True],
        "without_cpu_ms": mean_cpu[False],
        "writes": float(len(times[True])),
    }


def _create(client: int, contact: int, life: int, at: datetime) -> Callable[[Any], Any]:
    data = writes.NewTicket(
        subject=f"bench {life}",
        client_id=client,
        contact_id=contact,
        body="hello",
        priority=Priority.high,
    )
    return lambda s: writes.create_ticket(s, data=data, actor_id=None, now=at)


def _steps(tid: int, engineer: int, at: datetime) -> list[Callable[[Any], Any]]:
    """A life after its creation: assigned, answered, in progress, resolved."""
    minute = timedelta(minutes=1)
    return [
        lambda s: writes.assign(
            s, ticket_id=tid, expected_version=None, actor_id=None, assignee_id=engineer,
            now=at + minute,
        ),
        lambda s: writes.add_message(
            s, ticket_id=tid, kind=MessageKind.reply, body="On it", actor_id=engineer,
            now=at + 2 * minute,
        ),
        lambda s: writes.change_status(
            s, ticket_id=tid, expected_version=None, actor_id=engineer,
            status=TicketStatus.in_progress, now=at + 3 * minute,
        ),
        lambda s: writes.change_status(
            s, ticket_id=tid, expected_version=None, actor_id=engineer,
            status=TicketStatus.resolved, now=at + 4 * minute,
        ),
    ]  # fmt: skip


def _no_facts(*_args: Any, **_kwargs: Any) -> None:
    return None


def report_build(built: dict[str, float]) -> None:
    rate = built["backfill_tickets"] / max(built["backfill_seconds"], 1e-9)
    print(
        f"  backfill: {built['backfill_tickets']:,.0f} tickets "
        f"({built['demo_events']:,.0f} events) in {built['backfill_seconds']:.1f} s, "
        f"{rate:,.0f} tickets/s (CPU {built['backfill_cpu']:.1f} s)"
    )
    if "copy_rows" in built:
        print(f"  copied {built['copy_rows']:,.0f} rows in {built['copy_seconds']:.1f} s")


def measure_reports(path: Path, runs: int) -> bool:
    """Print the report's figures; whether one is over its target."""
    failed = False
    print(f"  report kpi, October 2026, in-process over {runs} runs:")
    for by, (p50, worst, cpu) in bench_report(path, runs).items():
        verdict = "ok" if p50 <= TARGET_S[by] else "OVER TARGET"
        failed |= p50 > TARGET_S[by]
        print(
            f"    {by.value:9} p50 {p50:.3f} s, max {worst:.3f} s, CPU p50 {cpu:.3f} s "
            f"(target {TARGET_S[by]} s: {verdict})"
        )
    for by in (GroupBy.none, GroupBy.engineer):
        print(f"  the whole command, a new process, --by {by.value}: "
              f"{bench_cli(path, by):.2f} s")  # fmt: skip
    return failed


def measure_writes(path: Path, lives: int, rounds: int) -> bool:
    """Print the cost of the facts on ticket writes, round by round and the median of the
    rounds; whether the median is over the target (CPU time, which the load moves less)."""
    print("  the cost of the facts on ticket writes:")
    overheads, overheads_cpu = [], []
    for _ in range(rounds):
        cost = bench_writes(path, lives)
        overhead = cost["with_ms"] / cost["without_ms"] - 1
        overhead_cpu = cost["with_cpu_ms"] / cost["without_cpu_ms"] - 1
        overheads.append(overhead)
        overheads_cpu.append(overhead_cpu)
        print(
            f"    {cost['writes']:.0f} writes each way: with facts {cost['with_ms']:.2f} ms, "
            f"without {cost['without_ms']:.2f} ms (+{overhead * 100:.1f} %); CPU "
            f"{cost['with_cpu_ms']:.2f} vs {cost['without_cpu_ms']:.2f} ms "
            f"(+{overhead_cpu * 100:.1f} %), load {os.getloadavg()[0]:.1f}"
        )
    median, median_cpu = statistics.median(overheads), statistics.median(overheads_cpu)
    verdict = "ok" if median_cpu <= TARGET_WRITE_OVERHEAD else "OVER TARGET"
    print(
        f"    median of {rounds} rounds: +{median * 100:.1f} % wall-clock, "
        f"+{median_cpu * 100:.1f} % CPU (target {TARGET_WRITE_OVERHEAD * 100:.0f} %: {verdict})"
    )
    return median_cpu > TARGET_WRITE_OVERHEAD


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--history-max", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lives", type=int, default=150)
    parser.add_argument("--write-rounds", type=int, default=5)
    parser.add_argument(
        "--writes-only", action="store_true", help="measure only the cost on ticket writes"
    )
    parser.add_argument("--keep", type=Path, help="build the databases here and keep them")
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep: measure the databases built before"
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_kpi_"))
    folder.mkdir(parents=True, exist_ok=True)
    failed = False
    bases: dict[int, tuple[Path, dict[str, float]]] = {}
    try:
        for size in sizes:
            path = folder / f"kpi_{size}.db"
            print(f"\n{size:,} tickets")
            if not (args.reuse and path.exists()):
                path.unlink(missing_ok=True)
                report_build(build(path, size, args.history_max, bases))
            if not args.writes_only:
                failed |= measure_reports(path, args.runs)
            failed |= measure_writes(path, args.lives, args.write_rounds)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nload average {os.getloadavg()[0]:.1f}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
