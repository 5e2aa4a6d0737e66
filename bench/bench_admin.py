"""Admin path benchmark (issue #13): `dispatcher admin users list --json` as a whole process,
beside its floors.

    python bench/bench_admin.py [--db PATH] [--runs 9]

Without `--db` it makes the demo database (`dispatcher admin demo`, a fixed seed and "now")
in a temporary directory. Four processes, `--runs` times each in turn (A B C D A B C D ...)
after one warm-up round, the wall and CPU (user+sys) time of each from the kernel's
accounting of the finished process (`os.wait4`), medians:

* `python -c pass`: the interpreter alone, the floor;
* the query: the very SQL the command runs (recorded from the store as it runs the
  command's store functions), through raw sqlite3 in a fresh interpreter, its rows printed
  as JSON;
* `import sqlalchemy`: what any command reading through the store pays before its query;
* the command itself.

The target: the command within 2x `python -c pass` plus the query (the raw-sqlite3 process
less the bare interpreter). `admin_figures` is what `bench_console.py` prints per size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DISPATCHER = str(Path(sys.executable).with_name("dispatcher"))
DEMO_NOW = "2026-11-18T07:30:00+00:00"

RAW_QUERY = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
rows = [conn.execute(sql, params).fetchall() for sql, params in json.loads(sys.argv[2])]
print(json.dumps(rows, default=str))
"""


@dataclass
class Process:
    """Medians over the counted runs of one command: wall and CPU seconds."""

    wall: list[float]
    cpu: list[float]

    @property
    def wall_s(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_s(self) -> float:
        return statistics.median(self.cpu)


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user+sys) seconds of one run of `argv`, its output thrown away."""
    env = os.environ | {"DISPATCHER_CONFIG_FILE": os.devnull}
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{argv} exited {child.returncode}: {errors.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def alternate(commands: dict[str, list[str]], runs: int) -> dict[str, Process]:
    """Every command `runs` times in turn, after one warm-up round that is not counted."""
    results = {name: Process([], []) for name in commands}
    for i in range(runs + 1):
        for name, argv in commands.items():
            wall, cpu = run_once(argv)
            if i:
                results[name].wall.append(wall)
                results[name].cpu.append(cpu)
    return results


def recorded_sql(db: Path) -> list[tuple[str, list[Any]]]:
    """The statements `admin users list` runs, with their parameters, as the store runs them."""
    from sqlalchemy import event

    from dispatcher.store.db.engine import Store
    from dispatcher.store.people import competences, users

    store = Store.open(str(db))
    statements: list[tuple[str, list[Any]]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements.append((sql, list(params or ())))

    event.listen(store.engine, "before_cursor_execute", record)
    with store.read() as session:
        users.list_users(session)
        competences.competences_by_user(session)
    store.dispose()
    return [(sql, ps) for sql, ps in statements if sql.lstrip().upper().startswith("SELECT")]


def admin_commands(db: Path) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "python": [python, "-c", "pass"],
        "query": [python, "-c", RAW_QUERY, str(db), json.dumps(recorded_sql(db))],
        "sqlalchemy": [python, "-c", "import sqlalchemy"],
        "admin": [DISPATCHER, "admin", "users", "list", "--json", "--db", str(db)],
    }


@dataclass
class AdminFigures:
    processes: dict[str, Process]

    @property
    def target_s(self) -> float:
        """2x the bare interpreter plus the query (the raw process less the interpreter)."""
        python, query = self.processes["python"].wall_s, self.processes["query"].wall_s
        return 2 * python + max(0.0, query - python)

    @property
    def met(self) -> bool:
        return self.processes["admin"].wall_s <= self.target_s


def admin_figures(db: Path, runs: int) -> AdminFigures:
    return AdminFigures(alternate(admin_commands(db), runs))


def print_figures(figures: AdminFigures, runs: int) -> None:
    p = figures.processes
    print(f"  whole processes, {runs} runs each in turn, medians (wall s / CPU s):")
    labels = {
        "python": "python -c pass (the floor)",
        "query": "the same query in raw sqlite3",
        "sqlalchemy": "python -c 'import sqlalchemy'",
        "admin": "dispatcher admin users list --json",
    }
    for name, label in labels.items():
        spread = f"(min {min(p[name].wall):.3f}, max {max(p[name].wall):.3f})"
        print(f"    {label:40} {p[name].wall_s:7.3f} / {p[name].cpu_s:6.3f}  {spread}")
    admin, python = p["admin"], p["python"]
    verdict = "ok" if figures.met else "OVER TARGET"
    print(
        f"  admin users list --json: {admin.wall_s:.3f} s ({admin.wall_s / python.wall_s:.1f}x "
        f"python -c pass {python.wall_s:.3f} s; CPU {admin.cpu_s:.3f} s against "
        f"{python.cpu_s:.3f} s); target <= 2x python + the query = {figures.target_s:.3f} s: "
        f"{verdict}"
    )


def demo_database(workdir: Path) -> Path:
    db = workdir / "demo.db"
    subprocess.run(
        [DISPATCHER, "admin", "demo", "--db", str(db), "--now", DEMO_NOW, "--json"],
        check=True,
        capture_output=True,
        env=os.environ | {"DISPATCHER_CONFIG_FILE": os.devnull},
    )
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a SQLite database (default: a new demo database)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dispatcher-bench-admin-"))
    try:
        db = Path(args.db) if args.db else demo_database(workdir)
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print_figures(admin_figures(db, args.runs), args.runs)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
