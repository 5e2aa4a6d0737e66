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
  alternating, medians; the app's CPU time (user+sys) and RSS then; and quit: from Ctrl+Q,
  pressed `--settle` seconds after the first rows (the background jobs running by then),
  to the shell's next line on screen (the command runs in `sh -c 'CMD; echo MARK'`, so
  the figure holds the terminal's restore, the exit and the shell's return, as a person
  sees them);
* `queue_window` (the console's window query, 200 rows, a short read session as the console
  runs it) against the same SQL in raw sqlite3, 5 alternating rounds of 200: wall p50/p95
  and CPU time per window, each beside the floor; the target on the median of the rounds'
  p95 ratios (one round caught by a busy moment does not decide it);
* the queue refresh in the app (`console_inner.py refresh`: query in a worker, message,
  table redrawn, frame composed), `--refreshes` of each kind alternating: one row changed
  by another connection (to its frame; and how many lines the table drew: that row) and
  nothing changed (no line drawn, no frame); CPU beside wall; the RSS every 100 refreshes;
* key to frame while the SLA sweep and the outbox sender run (`console_inner.py keys`:
  from the key handed to the app to the frame that shows the cursor moved), and the
  sweep's own ticks meanwhile;
* `dispatcher admin users list --json` against `python -c pass` and the same query in raw
  sqlite3 (`bench_admin.py`), whole processes, wall and CPU;
* where start-up goes: `-X importtime` of the console's modules, biggest first.

Figures are wall time on a shared machine: the load average is printed at the start and
the end; a figure taken under load says more about the machine than about the console.
"""

from __future__ import annotations

import argparse
import compileall
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

from bench_admin import admin_figures  # noqa: E402
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


def _cpu_s(pid: str) -> float:
    """User+sys seconds the process has run: what it cost, however loaded the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child(pid: str) -> str:
    """The command the pane's shell runs (the shell waits for it, then prints the mark)."""
    for _ in range(1000):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return children[0]
        time.sleep(0.001)
    raise RuntimeError(f"the pane's shell {pid} started nothing")


PROMPT = "dspb-prompt-back"


def screen_once(command: str, marker: re.Pattern[str], settle: float) -> Run:
    """One run in a private tmux server (160x45): seconds to `marker` on screen, the CPU
    time and RSS then, and seconds from Ctrl+Q (pressed `settle` seconds later) until the
    shell's next line shows."""
    socket = f"dspb-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    _launch(socket, f"sh -c '{command}; echo {PROMPT}; sleep 60'")
    try:
        took = _wait_for(socket, marker, started)
        app = _child(_tmux(socket, "display", "-p", "#{pane_pid}").strip())
        cpu = _cpu_s(app)
        time.sleep(0.3)  # let the start-up work after the first frame settle
        rss = _rss_mb(app)
        time.sleep(max(0.0, settle - 0.3))
        pressed = time.perf_counter()
        _tmux(socket, "send-keys", "C-q")
        quit_s = _wait_for(socket, re.compile(PROMPT), pressed)
        return Run(took, cpu, rss, quit_s)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
        time.sleep(0.2)


@dataclass
class Run:
    seconds: float
    cpu: float
    rss: float
    quit: float


def first_screens(
    commands: dict[str, tuple[str, re.Pattern[str]]], runs: int, settle: float
) -> dict[str, list[Run]]:
    """Every command `runs` times, alternating (A B C A B C ...), after one warm-up each."""
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for i in range(runs + 1):  # the first round warms the page cache and is dropped
        for name, (command, marker) in commands.items():
            run = screen_once(command, marker, settle)
            if i:
                results[name].append(run)
    return results


@dataclass
class Timed:
    """Wall milliseconds of each run, and the CPU milliseconds (user+sys) they took in all."""

    ms: list[float]
    cpu_ms: float

    @property
    def cpu_per_run(self) -> float:
        return self.cpu_ms / len(self.ms)


def query_times(path: Path, runs: int) -> Timed:
    """`queue_window` as the console runs it: a short read session, the default window."""
    from dispatcher.store.db.engine import Store
    from dispatcher.store.tickets.queue import queue_window

    store = Store.open(str(path))
    samples = []
    cpu = 0.0
    for i in range(runs + 1):
        cpu_started, started = time.process_time(), time.perf_counter()
        with store.read() as session:
            window = queue_window(session)
        if i:
            samples.append((time.perf_counter() - started) * 1000)
            cpu += (time.process_time() - cpu_started) * 1000
    assert window.rows
    store.dispose()
    return Timed(samples, cpu)


def raw_times(path: Path, runs: int) -> Timed:
    """The very SQL `queue_window` runs, through raw sqlite3: the floor for the window."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from dispatcher.store.tickets.queue import driver_sql, queue_window_statement

    sql, params = driver_sql(queue_window_statement(), sqlite_dialect.dialect())
    raw = sqlite3.connect(path)
    samples = []
    cpu = 0.0
    for i in range(runs + 1):
        cpu_started, started = time.process_time(), time.perf_counter()
        rows = raw.execute(sql, params).fetchall()
        if i:
            samples.append((time.perf_counter() - started) * 1000)
            cpu += (time.process_time() - cpu_started) * 1000
    assert rows
    raw.close()
    return Timed(samples, cpu)


@dataclass
class Windows:
    """`queue_window` against its raw floor: every wall sample of each, the median round's
    CPU per window, and the ratio of the two p95s round by round (a round of each runs
    back to back, so a ratio holds when the machine's load moves between rounds)."""

    ours: Timed
    raw: Timed
    p95_ratios: list[float]


def window_times(path: Path, runs: int, rounds: int = 5) -> Windows:
    """`queue_window` and its raw floor, `rounds` times alternating (the machine's load
    moves)."""
    ours: list[Timed] = []
    floor: list[Timed] = []
    for _ in range(rounds):
        ours.append(query_times(path, runs))
        floor.append(raw_times(path, runs))

    def merged(timed: list[Timed]) -> Timed:
        cpu = statistics.median(t.cpu_per_run for t in timed)
        samples = [ms for t in timed for ms in t.ms]
        return Timed(samples, cpu * len(samples))

    ratios = [p95(a.ms) / p95(b.ms) for a, b in zip(ours, floor, strict=True)]
    return Windows(merged(ours), merged(floor), ratios)


def inner(what: str, path: Path, count: int) -> dict[str, Any]:
    """One of `console_inner.py`'s measurements, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("console_inner.py")), what, str(path),
         str(count)],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# What `dispatcher --db FILE --as LOGIN` imports before its first frame (the quick start).
QUICK_START_IMPORTS = (
    "import dispatcher.entry, dispatcher.admin_quick, dispatcher.kb_search_quick, "
    "dispatcher.console_quick, dispatcher.app, dispatcher.store.tickets.plain_queue, "
    "dispatcher.store.db.plain, dispatcher.terminal"
)


def import_profile(top: int = 12) -> list[tuple[float, str]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", QUICK_START_IMPORTS],
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
         f"{QUICK_START_IMPORTS}; print(time.perf_counter()-t)"],
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


def bench_window_and_refresh(path: Path, args: argparse.Namespace) -> None:
    """The window query against its raw floor, the refresh in the app and its memory."""
    windows = window_times(path, 200)
    window, raw = windows.ours, windows.raw
    query = window.ms
    line(
        "queue_window (200 rows, through the store)",
        f"p50 {p50(query):.2f} / p95 {p95(query):.2f} ms",
        f"raw sqlite3 p50 {p50(raw.ms):.2f} / p95 {p95(raw.ms):.2f} ms",
        "",
        True,
    )
    ratios = windows.p95_ratios
    line(
        "  p95 against raw sqlite3, round by round",
        f"median {p50(ratios):.2f}x",
        "rounds " + ", ".join(f"{r:.2f}" for r in ratios),
        "<= 2x raw sqlite3",
        p50(ratios) <= 2,
    )
    ratio = window.cpu_per_run / raw.cpu_per_run
    line(
        "  the same, CPU time per window (user+sys)",
        f"{window.cpu_per_run:.2f} ms ({ratio:.1f}x)",
        f"raw sqlite3 {raw.cpu_per_run:.2f} ms",
        "<= 2x raw sqlite3",
        ratio <= 2,
    )

    refresh = inner("refresh", path, args.refreshes)
    ms = refresh["ms"]
    line(
        f"queue refresh, one row changed ({len(ms)} refreshes)",
        f"p50 {p50(ms):.1f} / p95 {p95(ms):.1f} ms",
        f"window query p95 {p95(query):.2f} ms",
        "p95 <= 30 ms",
        p95(ms) <= 30,
    )
    lines = refresh["lines"]
    line(
        "  lines it drew (of the page)",
        f"median {p50(lines):g}, max {max(lines)}",
        f"CPU p50 {p50(refresh['cpu_ms']):.1f} / p95 {p95(refresh['cpu_ms']):.1f} ms",
        "that row only (1)",
        max(lines) <= 1,
    )
    none = refresh["ms_none"]
    line(
        "queue refresh, nothing changed",
        f"p50 {p50(none):.1f} / p95 {p95(none):.1f} ms",
        f"CPU p50 {p50(refresh['cpu_ms_none']):.1f} / p95 {p95(refresh['cpu_ms_none']):.1f} ms",
        "draws nothing (0 lines)",
        max(refresh["lines_none"]) == 0,
    )
    grown = refresh["rss_after"] - refresh["rss_first"]
    trace = ", ".join(f"{mb:.0f}" for mb in refresh["rss_trace"])
    line(
        f"memory after {2 * len(ms)} refreshes (headless)",
        f"{refresh['rss_after']:.0f} MB ({grown:+.1f} MB)",
        f"first screen {refresh['rss_rows']:.0f}, counted {refresh['rss_first']:.0f} MB",
        "flat (< +5 MB)",
        grown < 5,
    )
    print(f"  {'':44} RSS every 100 refreshes: {trace} MB")


def bench_size(path: Path, args: argparse.Namespace, harlequin: str | None) -> None:
    here = Path(__file__).parent
    bare = f"{sys.executable} {here / 'bare_app.py'}"
    commands = {
        "floor": (bare, FLOOR_ROW),
        "dispatcher": (f"{DISPATCHER} --db {path} --as olga", ROW),
    }
    if harlequin:
        commands["harlequin"] = (f"{harlequin} -a sqlite {path}", HARLEQUIN_READY)
    runs = first_screens(commands, args.runs, args.settle)
    first = {name: p50([r.seconds for r in rs]) for name, rs in runs.items()}
    cpu = {name: p50([r.cpu for r in rs]) for name, rs in runs.items()}
    quits = {name: p50([r.quit for r in rs]) for name, rs in runs.items()}
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
    line(
        "  its CPU time (user+sys) to the first rows",
        f"{cpu['dispatcher']:.2f} s",
        f"bare Textual {cpu['floor']:.2f} s ({cpu['dispatcher'] / cpu['floor']:.1f}x)",
        "",
        True,
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
        f"quit ({args.settle:g} s in; Ctrl+Q to the prompt)",
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
    if args.first_screen_only:
        return

    bench_window_and_refresh(path, args)

    keys = inner("keys", path, args.presses)
    ms, sweeps = keys["ms"], keys["sweeps"]
    line(
        f"key to frame under sweep + mail ({len(ms)} keys)",
        f"p50 {p50(ms):.1f} / p95 {p95(ms):.1f} ms",
        f"{len(sweeps)} sweeps meanwhile; CPU p50 {p50(keys['cpu_ms']):.1f} ms",
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

    admin = admin_figures(path, args.runs)
    command, python = admin.processes["admin"], admin.processes["python"]
    raw_query = admin.processes["query"]
    line(
        "admin users list --json (whole process)",
        f"{command.wall_s:.3f} s (CPU {command.cpu_s:.3f})",
        f"python -c pass {python.wall_s:.3f}, raw query {raw_query.wall_s:.3f} s",
        f"<= 2x python + query {admin.target_s:.3f}",
        admin.met,
    )
    sqlalchemy = admin.processes["sqlalchemy"]
    print(f"  {'':44} python -c 'import sqlalchemy' alone: {sqlalchemy.wall_s:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds on the first screen before Ctrl+Q"
    )
    parser.add_argument("--refreshes", type=int, default=1000)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--history-max", type=int, default=100_000)
    parser.add_argument("--workdir", help="keep (and reuse) the databases here")
    parser.add_argument(
        "--first-screen-only",
        action="store_true",
        help="the first screen, quit and memory; not the window, refresh and key timings",
    )
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
    # The start-up is timed as an installed wheel starts: with the bytecode written (pip
    # compiles a wheel's modules; an editable install under PYTHONDONTWRITEBYTECODE never).
    compileall.compile_dir(Path(__file__).parents[1] / "dispatcher", quiet=1)
    if args.harlequin and not os.access(args.harlequin, os.X_OK):
        print(f"harlequin not found at {args.harlequin}: measured without it")
        args.harlequin = None
    try:
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print("where the quick start's imports go (ms, cumulative per top-level import):")
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
