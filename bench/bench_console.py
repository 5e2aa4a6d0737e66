"""Console benchmark: first screen of tickets, queue refresh, memory, where start-up goes.

    python bench/bench_console.py [--sizes 100000,1000000] [--runs 7] [--workdir DIR]

For each size it builds a SQLite database with `bench_store.build()` (reused from
`--workdir` when already there) and prints:

* start-up: from launching `dispatcher --db ... --as olga` in a real terminal (a private
  tmux server, 160x50) to the first screen showing tickets (capture-pane polled every
  5 ms), median and max over `--runs`; and the console's resident memory then;
* the queue refresh at that size: the window query (`queue_window`, 200 rows, through the
  store) p50/p95, and the whole refresh in the app (query in a worker, message back,
  table redrawn and the frame composed, headless 160x50) p50/p95;
* where start-up goes: `-X importtime` of the console's modules, biggest first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_store import build, percentile  # noqa: E402

DISPATCHER = str(Path(sys.executable).with_name("dispatcher"))
ROW = re.compile(r"#\d+\s+(urgent|high|normal|low)\s")
REFRESH_TARGET_MS = 50.0
START_TARGET_S = 1.0


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def first_screen(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from launch to tickets on screen, and RSS (MB) of the console then."""
    seconds, rss = [], []
    for _ in range(runs + 1):  # the first run warms the page cache and is dropped
        socket = f"dspb-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        _tmux(
            socket,
            "new-session", "-d", "-x", "160", "-y", "50",
            f"{DISPATCHER} --db {path} --as olga",
        )  # fmt: skip
        try:
            while True:
                screen = _tmux(socket, "capture-pane", "-p")
                if ROW.search(screen):
                    took = time.perf_counter() - started
                    break
                if time.perf_counter() - started > 30:
                    raise RuntimeError(f"no tickets after 30 s:\n{screen}")
                time.sleep(0.005)
            pid = _tmux(socket, "display", "-p", "#{pane_pid}").strip()
            status = Path(f"/proc/{pid}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            seconds.append(took)
            rss.append(kb / 1024)
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
            time.sleep(0.2)
    return seconds[1:], rss[1:]


def query_times(path: Path, runs: int) -> list[float]:
    from dispatcher.store.db.engine import Store
    from dispatcher.store.tickets.queue import queue_window

    store = Store.open(str(path))
    samples = []
    for i in range(runs + 1):
        started = time.perf_counter()
        with store.read() as session:
            window = queue_window(session)
        if i:
            samples.append((time.perf_counter() - started) * 1000)
    assert len(window.rows) == 200
    store.dispose()
    return samples


def app_refresh_times(path: Path, runs: int) -> list[float]:
    """The whole refresh in the app: load() → worker → message → table → frame composed."""
    from dispatcher.app import DispatcherApp
    from dispatcher.config import load_settings
    from dispatcher.identity import sign_in
    from dispatcher.screens.queue import QueueScreen
    from dispatcher.store.db.engine import Store

    store = Store.open(str(path))
    app = DispatcherApp(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, "olga"),
        run_scheduler=False,
        watch_changes=False,
    )
    samples: list[float] = []

    async def drive() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            while not screen.table.rows:  # noqa: ASYNC110 - polling is the measurement
                await asyncio.sleep(0.01)
            for _ in range(runs):
                handled = screen.table.rows
                started = time.perf_counter()
                screen.load()
                while screen.table.rows is handled:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
                await pilot.pause()  # the frame with the new rows is composed
                samples.append((time.perf_counter() - started) * 1000)

    asyncio.run(drive())
    store.dispose()
    return samples


def import_profile(top: int = 12) -> list[tuple[float, str]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import dispatcher.cli, dispatcher.app"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip())) // 2
            if depth <= 1:
                rows.append((int(parts[1]) / 1000, name.strip()))
    total = subprocess.run(
        [sys.executable, "-c", "import time; t=time.perf_counter(); "
         "import dispatcher.cli, dispatcher.app; print(time.perf_counter()-t)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows.sort(reverse=True)
    return [(float(total.stdout) * 1000, "(all imports, wall)"), *rows[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--history-max", type=int, default=100_000)
    parser.add_argument("--workdir", help="keep (and reuse) the databases here")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("error: tmux is needed for the first-screen timing")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="dispatcher-console-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["DISPATCHER_CONFIG_FILE"] = os.devnull  # an empty config
    try:
        print("where start-up goes (ms, cumulative per top-level import):")
        for ms, name in import_profile():
            print(f"  {ms:8.1f}  {name}")
        for size in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
            path = workdir / f"console-{size}.db"
            print(f"\n== {size:,} tickets ==")
            if not path.exists():
                build(path, size, args.history_max)
            print(f"  database file: {path.stat().st_size / 1e6:,.0f} MB")
            seconds, rss = first_screen(path, args.runs)
            verdict = "ok" if statistics.median(seconds) < START_TARGET_S else "OVER TARGET"
            print(
                f"  first screen of tickets in tmux: median {statistics.median(seconds):.3f} s, "
                f"max {max(seconds):.3f} s over {len(seconds)} runs "
                f"(target < {START_TARGET_S} s): {verdict}"
            )
            print(f"  console RSS at first screen: median {statistics.median(rss):.1f} MB")
            query = query_times(path, 100)
            print(
                f"  window query (200 rows): p50 {statistics.median(query):.2f} ms, "
                f"p95 {percentile(query, 0.95):.2f} ms"
            )
            refresh = app_refresh_times(path, 40)
            p95 = percentile(refresh, 0.95)
            verdict = "ok" if p95 < REFRESH_TARGET_MS else "OVER TARGET"
            print(
                f"  queue refresh in the app (query + redraw + frame): p50 "
                f"{statistics.median(refresh):.1f} ms, p95 {p95:.1f} ms "
                f"(target < {REFRESH_TARGET_MS:.0f} ms): {verdict}"
            )
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
