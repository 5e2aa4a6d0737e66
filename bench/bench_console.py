"""Console benchmark: every figure of the console's speed beside its floor and target.

    python bench/bench_console.py [--sizes 100000,1000000] [--runs 7] [--workdir DIR]
        [--refreshes 1000] [--presses 200] [--harlequin PATH]

(`make bench` runs it.) For each size it builds a SQLite database (`bench_store.build`;
above `--history-max` a copy of that database grown with copied ticket rows; reused from
`--workdir`) and prints, each figure beside the floor measured in the same run:

* first screen: from launching the command in a real terminal (a private tmux server,
  160x45) to the first rows on screen (capture-pane every 5 ms), for `dispatcher --db ...
  --as olga`, the bare Textual app (`bare_app.py`: Header, 40 lines, Footer) and harlequin
  on the same file (its own venv, `--harlequin`; skipped when absent), `--runs` runs each,
  alternating, medians; the RSS then; and quit: Ctrl+Q to the process's exit;
* `queue_window` (the console's window query, 200 rows) against the same SQL in raw sqlite3;
* the queue refresh in the app (`console_inner.py refresh`: query in a worker, message,
  table redrawn, frame composed), p50/p95 over `--refreshes`, and the RSS after them;
* key to frame while the SLA sweep and the outbox sender run (`console_inner.py keys`),
  and the sweep's own ticks meanwhile;
* `dispatcher admin users list --json` against `python -c pass`;
* where start-up goes: `-X importtime` of the console's modules, biggest first.

Figures are wall time on a shared machine: the load average is printed at the start and
the end; a figure taken under load says more about the machine than about the console.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_store import build, copy_tickets, percentile  # noqa: E402

DISPATCHER = str(Path(sys.executable).with_name("dispatcher"))
ROW = re.compile(r"#\d+\s+(urgent|high|normal|low)\s")
FLOOR_ROW = re.compile(r"#40 normal line")
HARLEQUIN_READY = re.compile(r"main db")  # its data catalog has read the file


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _launch(socket: str, command: str) -> None:
    _tmux(socket, "new-session", "-d", "-x", "160", "-y", "45", command)


def _wait_for(socket: str, marker: re.Pattern[str], started: float) -> float:
    """Seconds from `started` until `marker` shows in the pane (capture-pane every 5 ms)."""
    while True:
        screen = _tmux(socket, "capture-pane", "-p")
        if marker.search(screen):
            return time.perf_counter() - started
        if time.perf_counter() - started > 60:
            raise RuntimeError(f"not on screen after 60 s:\n{screen}")
        time.sleep(0.005)


def _rss_mb(pid: str) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def _gone(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True


def screen_once(command: str, marker: re.Pattern[str], quit_key: str | None = None) -> Run:
    """One run in a private tmux server (160x45): seconds to `marker` on screen, the RSS
    then, and (with `quit_key`) seconds from that key to the process's exit."""
    socket = f"dspb-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    _launch(socket, command)
    try:
        took = _wait_for(socket, marker, started)
        pid = _tmux(socket, "display", "-p", "#{pane_pid}").strip()
        time.sleep(0.3)  # let the start-up work after the first frame settle
        rss = _rss_mb(pid)
        quit_s = None
        if quit_key is not None:
            pressed = time.perf_counter()
            _tmux(socket, "send-keys", quit_key)
            while not _gone(pid) and time.perf_counter() - pressed < 30:
                time.sleep(0.002)
            if _gone(pid):  # else: still running 30 s after the key, no figure
                quit_s = time.perf_counter() - pressed
        return Run(took, rss, quit_s)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        time.sleep(0.2)


@dataclass
class Run:
    seconds: float
    rss: float
    quit: float | None = None


def first_screens(
    commands: dict[str, tuple[str, re.Pattern[str]]], runs: int
) -> dict[str, list[Run]]:
    """Every command `runs` times, alternating (A B C A B C ...), after one warm-up each."""
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for i in range(runs + 1):  # the first round warms the page cache and is dropped
        for name, (command, marker) in commands.items():
            run = screen_once(command, marker, quit_key="C-q")
            if i:
                results[name].append(run)
    return results


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
    assert window.rows
    store.dispose()
    return samples


def raw_times(path: Path, runs: int) -> list[float]:
    """The very SQL `queue_window` runs, through raw sqlite3: the floor for the window."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from dispatcher.store.tickets.queue import driver_sql, queue_window_statement

    sql, params = driver_sql(queue_window_statement(), sqlite_dialect.dialect())
    raw = sqlite3.connect(path)
    samples = []
    for i in range(runs + 1):
        started = time.perf_counter()
        rows = raw.execute(sql, params).fetchall()
        if i:
            samples.append((time.perf_counter() - started) * 1000)
    assert rows
    raw.close()
    return samples


def inner(what: str, path: Path, count: int) -> dict[str, Any]:
    """One of `console_inner.py`'s measurements, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("console_inner.py")), what, str(path),
         str(count)],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def process_seconds(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Wall seconds of whole processes, alternating, after one warm-up round."""
    results: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs + 1):
        for name, argv in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            if i:
                results[name].append(time.perf_counter() - started)
    return results


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


def ensure_database(workdir: Path, size: int, history_max: int) -> Path:
    """`console-SIZE.db` in `workdir`: built once, then reused. A size above `history_max`
    grows a copy of the `history_max` database (its full history) with copied ticket rows,
    as `bench_store.build` does, instead of generating the whole history again."""
    path = workdir / f"console-{size}.db"
    if path.exists():
        return path
    base = workdir / f"console-{history_max}.db"
    if size > history_max and base.exists():
        shutil.copyfile(base, path)
        copy_tickets(path, history_max, size)
        with sqlite3.connect(path) as conn:
            conn.execute("ANALYZE")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        build(path, size, history_max)
    return path


def line(what: str, figure: str, floor: str, target: str, ok: bool) -> None:
    print(f"  {what:44} {figure:26} {floor:30} {target:24} {'ok' if ok else 'OVER TARGET'}")


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    return percentile(samples, 0.95)


def bench_size(path: Path, args: argparse.Namespace, harlequin: str | None) -> None:
    here = Path(__file__).parent
    bare = f"{sys.executable} {here / 'bare_app.py'}"
    commands = {
        "floor": (bare, FLOOR_ROW),
        "dispatcher": (f"{DISPATCHER} --db {path} --as olga", ROW),
    }
    if harlequin:
        commands["harlequin"] = (f"{harlequin} -a sqlite {path}", HARLEQUIN_READY)
    runs = first_screens(commands, args.runs)
    first = {name: p50([r.seconds for r in rs]) for name, rs in runs.items()}
    quits = {
        name: p50([r.quit for r in rs if r.quit is not None] or [float("inf")])
        for name, rs in runs.items()
    }
    rss = {name: p50([r.rss for r in rs]) for name, rs in runs.items()}
    ours, floor = first["dispatcher"], first["floor"]
    worst = max(r.seconds for r in runs["dispatcher"])
    print(f"  {'':44} {'figure (median)':26} {'floor (same run)':30} {'target':24}")
    line(
        "first screen of tickets (tmux 160x45)",
        f"{ours:.3f} s (max {worst:.3f})",
        f"bare Textual {floor:.3f} s ({ours / floor:.1f}x)",
        "<= 1.6x the floor",
        ours <= 1.6 * floor,
    )
    if "harlequin" in first:
        theirs = first["harlequin"]
        line(
            "first screen against harlequin",
            f"{ours:.3f} s",
            f"harlequin {theirs:.3f} s ({ours / theirs:.2f}x)",
            "<= 0.5x harlequin",
            ours <= 0.5 * theirs,
        )
    else:
        print("  first screen against harlequin: not measured (harlequin is not installed)")
    line(
        "quit (Ctrl+Q to process exit)",
        f"{quits['dispatcher']:.3f} s",
        f"bare Textual {quits['floor']:.3f} s",
        "<= 0.3 s",
        quits["dispatcher"] <= 0.3,
    )
    line(
        "memory at first screen (RSS)",
        f"{rss['dispatcher']:.0f} MB",
        f"bare Textual {rss['floor']:.0f} MB",
        "<= 150 MB",
        rss["dispatcher"] <= 150,
    )

    query, raw = query_times(path, 200), raw_times(path, 200)
    line(
        "queue_window (200 rows, through the store)",
        f"p50 {p50(query):.2f} / p95 {p95(query):.2f} ms",
        f"raw sqlite3 p95 {p95(raw):.2f} ms ({p95(query) / p95(raw):.1f}x)",
        "<= 2x raw sqlite3",
        p95(query) <= 2 * p95(raw),
    )

    refresh = inner("refresh", path, args.refreshes)
    ms = refresh["ms"]
    line(
        f"queue refresh in the app ({len(ms)} refreshes)",
        f"p50 {p50(ms):.1f} / p95 {p95(ms):.1f} ms",
        f"window query p95 {p95(query):.2f} ms",
        "p95 <= 30 ms",
        p95(ms) <= 30,
    )
    grown = refresh["rss_after"] - refresh["rss_first"]
    line(
        f"memory after {len(ms)} refreshes (headless)",
        f"{refresh['rss_after']:.0f} MB ({grown:+.1f} MB)",
        f"at its first screen {refresh['rss_first']:.0f} MB",
        "flat (< +5 MB)",
        grown < 5,
    )

    keys = inner("keys", path, args.presses)
    ms, sweeps = keys["ms"], keys["sweeps"]
    line(
        f"key to frame under sweep + mail ({len(ms)} keys)",
        f"p50 {p50(ms):.1f} / p95 {p95(ms):.1f} ms",
        f"{len(sweeps)} sweeps ran meanwhile",
        "p95 <= 16 ms",
        p95(ms) <= 16,
    )
    if sweeps:
        line(
            "SLA sweep, one tick (while keys pressed)",
            f"p50 {p50(sweeps):.1f} / p95 {p95(sweeps):.1f} ms",
            f"outbox send p95 {p95(keys['sends']):.1f} ms",
            "p95 <= 20 ms",
            p95(sweeps) <= 20,
        )

    admin = process_seconds(
        {
            "admin": [DISPATCHER, "admin", "users", "list", "--json", "--db", str(path)],
            "python": [sys.executable, "-c", "pass"],
        },
        args.runs,
    )
    ours, floor = p50(admin["admin"]), p50(admin["python"])
    line(
        "admin users list --json",
        f"{ours:.3f} s",
        f"python -c pass {floor:.3f} s ({ours / floor:.1f}x)",
        "<= 2x python + query",
        ours <= 2 * floor + p50(query) / 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--refreshes", type=int, default=1000)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--history-max", type=int, default=100_000)
    parser.add_argument("--workdir", help="keep (and reuse) the databases here")
    parser.add_argument(
        "--harlequin",
        default=shutil.which("harlequin"),
        help="harlequin's executable (in a venv of its own); skipped when not found",
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("error: tmux is needed for the first-screen timing")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="dispatcher-console-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["DISPATCHER_CONFIG_FILE"] = os.devnull  # an empty config
    if args.harlequin and not os.access(args.harlequin, os.X_OK):
        print(f"harlequin not found at {args.harlequin}: measured without it")
        args.harlequin = None
    try:
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print("where start-up goes (ms, cumulative per top-level import):")
        for ms, name in import_profile():
            print(f"  {ms:8.1f}  {name}")
        for size in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
            path = ensure_database(workdir, size, args.history_max)
            print(f"\n== {size:,} tickets ({path.stat().st_size / 1e6:,.0f} MB) ==")
            bench_size(path, args, args.harlequin)
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
