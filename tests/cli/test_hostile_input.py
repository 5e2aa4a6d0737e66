"""Input that used to end in a traceback: now one `error:` line and exit code 2 each.

(`test_fuzz.py` feeds every command a list of such values; these are the cases issue #14
names, kept as plain regression tests.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dispatcher.store.db.engine import Store
from tests.cli.helpers import error
from tests.factories import new_ticket, world

TOO_BIG = "99999999999999999999"  # > 2**63: SQLite's driver raised OverflowError


@pytest.fixture
def helpdesk(db_url: str) -> str:
    store = Store.open(db_url)
    new_ticket(store, world(store), now=datetime.now(UTC))
    store.dispose()
    return db_url


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["tickets", "show", f"#{TOO_BIG}"], "not a ticket reference"),
        (["tickets", "show", "#9223372036854775808"], "not a ticket reference"),
        (["sla", "explain", f"#{TOO_BIG}"], "not a ticket reference"),
        (["templates", "preview", "x", "--ticket", TOO_BIG], "not a ticket reference"),
        (["users", "show", TOO_BIG], "no user"),
        (["clients", "show", TOO_BIG], "no client"),
        (["contacts", "show", TOO_BIG], "no contact"),
        (["contracts", "show", TOO_BIG], "no contract"),
        (["equipment", "show", TOO_BIG], "no equipment item"),
        (["queues", "edit", TOO_BIG, "--name", "x"], "no queue"),
        (["users", "competences", "edit", TOO_BIG, "--name", "x"], "no competence"),
        (["users", "leave", "remove", TOO_BIG], "is not an id"),
        (["intake", "quarantine", "show", TOO_BIG], "is not an id"),
        (["tickets", "list", "--limit", TOO_BIG], "--limit"),
        (["users", "show", "²"], "no user"),  # a digit to str.isdigit, not to int()
    ],
)
def test_ids_out_of_range(helpdesk: str, args: list[str], expected: str) -> None:
    assert expected in error(helpdesk, *args)


@pytest.mark.parametrize("at", ["9999-12-31T23:59+00:00", "0001-01-01T00:00+14:00"])
def test_an_instant_that_overflows(helpdesk: str, at: str) -> None:
    line = error(helpdesk, "sla", "due", "--plan", "premium", "--priority", "high", "--at", at)
    assert "--at" in line
    assert "out of range" in line


def test_an_import_nested_100000_deep(helpdesk: str, tmp_path: Path) -> None:
    source = tmp_path / "deep.json"
    source.write_text("[" * 100_000)
    assert "nested too deeply" in error(helpdesk, "tickets", "import", str(source))


def test_an_sla_file_nested_5000_deep(helpdesk: str, tmp_path: Path) -> None:
    arrays, tables = tmp_path / "arrays.toml", tmp_path / "tables.toml"
    arrays.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    tables.write_text("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n")
    for file in (arrays, tables):
        assert "nested too deeply" in error(helpdesk, "sla", "load", str(file))


def test_a_backup_into_proc(helpdesk: str) -> None:
    if not helpdesk.startswith("sqlite"):
        pytest.skip("backup copies SQLite databases")
    assert "cannot write the backup" in error(helpdesk, "db", "backup", "/proc/nope/x.db")


@pytest.mark.parametrize(
    "args",
    [
        ["tickets", "import", "x" * 5000],
        ["tickets", "export", "a\x00b"],
        ["sla", "load", "x" * 5000],
        ["kb", "import", "x" * 5000],
    ],
)
def test_paths_the_system_refuses(helpdesk: str, args: list[str]) -> None:
    line = error(helpdesk, *args)
    assert "File name too long" in line or "NUL" in line


def test_an_import_with_a_cell_over_the_csv_limit(helpdesk: str, tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    source.write_text("ref,subject,created_at\n#1," + "x" * 200_000 + ",2026-01-01T00:00Z\n")
    assert "field larger than field limit" in error(helpdesk, "tickets", "import", str(source))


@pytest.mark.parametrize(
    "body", ["{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "{% if 1 %}" * 3000 + "x"]
)
def test_a_template_nested_too_deep(helpdesk: str, tmp_path: Path, body: str) -> None:
    source = tmp_path / "deep.txt"
    source.write_text("Subject: hi\n" + body + "\n")
    assert "nested too deeply" in error(helpdesk, "templates", "add", "deep", "--file", str(source))
