"""The admin path stays quick: the command line loads no UI, and no database code until a
command needs it. Each check runs a fresh interpreter, so nothing this test process already
imported can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dispatcher.store.db import migrate
from dispatcher.store.db.engine import make_engine

PROBE = """
import json, sys
{body}
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & {{"textual", "sqlalchemy", "sqlmodel"}})
print(json.dumps(loaded))
"""


def _loaded(body: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_command_line_loads_neither_textual_nor_the_database() -> None:
    assert _loaded("import dispatcher.cli") == []


def test_help_loads_neither_textual_nor_the_database() -> None:
    body = """
from dispatcher.cli import main
sys.argv = ["dispatcher", "admin", "--help"]
try:
    main()
except SystemExit:
    pass
"""
    assert _loaded(body) == []


def test_an_admin_command_never_loads_textual(tmp_path: Path) -> None:
    db = tmp_path / "hygiene.db"
    migrate.upgrade(make_engine(f"sqlite:///{db}"))
    body = f"""
from dispatcher.cli import main
sys.argv = ["dispatcher", "admin", "users", "list", "--json", "--db", {str(db)!r}]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
"""
    loaded = _loaded(body)
    assert "textual" not in loaded
    assert "sqlalchemy" in loaded  # the probe really ran a database command


@pytest.mark.parametrize("module", ["dispatcher.store.db.engine", "dispatcher.domain.sla"])
def test_the_data_layers_load_no_textual(module: str) -> None:
    assert "textual" not in _loaded(f"import {module}")
