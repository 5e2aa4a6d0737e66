"""Dashboard benchmark: the lead's dashboard after its key, and `report kpi` for a month.

    python bench/bench_dashboard.py [--sizes 100000,1000000] [--history-max 100000]
                                    [--runs 5] [--keep DIR] [--reuse]

The databases are built as `bench_kpi.py` builds them (the demo's tickets with their
history and facts; above `--history-max`, earlier copies of their ticket and fact rows).
For each size it prints, p50 / max over `--runs` runs:

* `report kpi` for October 2026 in-process (the missing-facts check and the report),
  ungrouped and by engineer: targets 1 s and 1.5 s;
* the dashboard in a headless console of the lead (clock at the demo's `now`), opened
  from the queue with its key (F7, sent as the terminal sends it): the first paint (the
  first frame of the mounted screen, its layout with placeholders, leaves the compositor;
  target 0.5 s), then when each part has been read and shown: the
  tiles (today, this week, this month and the periods before), SLA at risk, the
  per-engineer and per-queue tables, the 30-day trend. The first paint's CPU time (the
  console process, its reading threads included) is printed too: on a loaded machine it
  is the figure that says what the console itself spends.

Each run is a new console, so the screen is built from nothing each time. The machine's
load is printed: the figures are wall-clock and move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_kpi import NOW, TARGET_S, bench_report, build  # noqa: E402
from textual import events  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from dispatcher.app import DispatcherApp  # noqa: E402
from dispatcher.config import load_settings  # noqa: E402
from dispatcher.domain.enums import Role  # noqa: E402
from dispatcher.domain.kpi.groups import GroupBy  # noqa: E402
from dispatcher.identity import sign_in  # noqa: E402
from dispatcher.screens.context import Intervals  # noqa: E402
from dispatcher.screens.dashboard import DashboardScreen  # noqa: E402
from dispatcher.store.db.engine import Store  # noqa: E402
from dispatcher.widgets.kpi_trend import KpiTrend  # noqa: E402

TARGET_PAINT_S = 0.5
PARTS = ("paint", "tiles", "at risk", "tables", "trend")


class FromTheQueue(DispatcherApp):
    """The lead's console starting in the queue, so the dashboard is opened by its key."""

    def start_mode(self, role: Role) -> str:
        return "queue"


def _lead(store: Store) -> str:
    with store.engine.connect() as conn:
        from sqlalchemy import text

        login = conn.execute(
            text("SELECT login FROM user WHERE role = 'lead' ORDER BY id LIMIT 1")
        ).scalar()
    if login is None:
        raise SystemExit("the demo has no lead")
    return str(login)


async def _open_once(store: Store, login: str) -> dict[str, float]:
    app = FromTheQueue(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, login),
        run_scheduler=False,
        clock=lambda: NOW,
        intervals=Intervals.manual(),
    )
    found: dict[str, float] = {}
    started = cpu = 0.0
    painted = asyncio.Event()
    display = app._display

    def displayed(screen: Screen[Any], renderable: Any) -> None:
        """The compositor's output for a screen (what a terminal would be sent)."""
        display(screen, renderable)
        if (
            "paint" not in found
            and renderable is not None
            and isinstance(screen, DashboardScreen)
            and any(trend.spec is not None for trend in screen.query(KpiTrend))  # mounted
        ):
            found["paint"] = time.perf_counter() - started
            found["paint CPU"] = time.process_time() - cpu
            painted.set()

    app._display = displayed  # type: ignore[method-assign]
    async with app.run_test(size=(160, 56)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        # The key as the terminal sends it; not `pilot.press`, which then waits for the
        # process to be idle (up to a second, twice) while the reading thread works.
        key = events.Key("f7", None)
        key.set_sender(app)
        driver = app._driver
        assert driver is not None
        started, cpu = time.perf_counter(), time.process_time()
        driver.send_message(key)
        await painted.wait()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        queues = screen.query_one("#dash-queues", DataTable)
        checks: dict[str, Callable[[], bool]] = {
            "tiles": lambda: bool(screen.periods),
            "at risk": lambda: screen.at_risk is not None,
            "tables": lambda: queues.row_count > 0,
            "trend": lambda: screen.days is not None,
        }
        while len(found) < len(PARTS) + 1:
            for part, done in checks.items():
                if part not in found and done():
                    found[part] = time.perf_counter() - started
            await asyncio.sleep(0.005)
    return found


def bench_dashboard(path: Path, runs: int) -> dict[str, list[float]]:
    store = Store.open(str(path))
    login = _lead(store)
    results: dict[str, list[float]] = {part: [] for part in ("paint CPU", *PARTS)}
    for i in range(runs + 1):
        found = asyncio.run(_open_once(store, login))
        if i:  # the first run warms the page cache
            for part, seconds in found.items():
                results[part].append(seconds)
    store.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--history-max", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the databases here and keep them")
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep: measure the databases built before"
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_dashboard_"))
    folder.mkdir(parents=True, exist_ok=True)
    bases: dict[int, tuple[Path, dict[str, float]]] = {}
    for size in sizes:
        path = folder / f"dashboard_{size}.db"
        print(f"{size:,} tickets")
        if not (args.reuse and path.exists()):
            build(path, size, args.history_max, bases)
        report: dict[GroupBy, Any] = bench_report(path, args.runs)
        for by, (p50, worst, cpu) in report.items():
            verdict = "ok" if p50 <= TARGET_S[by] else "over"
            print(
                f"  report kpi, a month, by {by.value:9}: p50 {p50:.3f} s, max {worst:.3f} s, "
                f"CPU p50 {cpu:.3f} s (target {TARGET_S[by]} s: {verdict})"
            )
        for part, values in bench_dashboard(path, args.runs).items():
            target = f" (target {TARGET_PAINT_S} s)" if part == "paint" else ""
            print(
                f"  dashboard after F7, {part:8}: p50 {statistics.median(values):.3f} s, "
                f"max {max(values):.3f} s{target}"
            )
        print(f"  load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
