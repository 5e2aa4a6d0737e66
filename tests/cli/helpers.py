"""Running the real command line in tests: success, JSON, and the one-line errors."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

from dispatcher.cli import app

runner = CliRunner()


def run(db_url: str, *args: str) -> Result:
    # Wide enough that tables do not wrap the cells the tests look for.
    return runner.invoke(app, ["admin", "--db", db_url, *args], env={"COLUMNS": "200"})


def ok(db_url: str, *args: str) -> Result:
    result = run(db_url, *args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result


def as_json(db_url: str, *args: str) -> Any:
    return json.loads(ok(db_url, *args, "--json").stdout)


def error(db_url: str, *args: str) -> str:
    """Run a command that must fail: one `error:` line on stderr, exit code 2, no traceback."""
    result = run(db_url, *args)
    assert result.exit_code == 2, (args, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (args, result.stderr)
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return lines[0]
