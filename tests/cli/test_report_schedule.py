"""`dispatcher admin report schedule list|add|remove`: what is mailed, to whom, when."""

from __future__ import annotations

import pytest

from dispatcher.store.db.engine import Store
from tests.cli.helpers import as_json, error, ok
from tests.factories import world


@pytest.fixture
def url(store: Store, db_url: str) -> str:
    world(store)
    return db_url


def test_add_list_and_remove(url: str) -> None:
    added = as_json(
        url, "report", "schedule", "add", "weekly-digest", "--at", "Mon 08:00",
        "--tz", "Europe/Moscow",
    )  # fmt: skip
    assert added["at"] == "mon 08:00"
    assert added["to"] == ["leads"]
    assert added["timezone"] == "Europe/Moscow"
    client = as_json(
        url, "report", "schedule", "add", "client-report", "--client", "acme",
        "--at", "1st 09:00", "--tz", "UTC", "--lang", "ru",
    )  # fmt: skip
    assert (client["client"], client["to"], client["language"]) == ("Acme", [], "ru")
    listed = as_json(url, "report", "schedule", "list")
    assert [s["kind"] for s in listed] == ["weekly-digest", "client-report"]
    table = ok(url, "report", "schedule", "list").stdout
    assert "the client's contacts" in table
    assert "mon 08:00 Europe/Moscow" in table
    ok(url, "report", "schedule", "remove", str(added["id"]))
    assert [s["id"] for s in as_json(url, "report", "schedule", "list")] == [client["id"]]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["monthly", "--at", "mon 08:00"], "no report 'monthly'"),
        (["weekly-digest", "--at", "someday"], "--at"),
        (["client-report", "--at", "31st 09:00", "--client", "Acme"], "1 to 28"),
        (["client-report", "--at", "1st 09:00"], "needs --client"),
        (["client-report", "--at", "1st 09:00", "--client", "Nobody"], "client"),
        (["client-report", "--at", "1st 09:00", "--client", "Acme", "--to", "x@other.example"],
         "its own people"),
        (["weekly-digest", "--at", "mon 08:00", "--to", "not an address"], "--to"),
        (["weekly-digest", "--at", "mon 08:00", "--tz", "Mars/Olympus"], "time zone"),
        (["weekly-digest", "--at", "mon 08:00", "--lang", "de"], "--lang"),
        (["weekly-digest", "--at", "\x1b[31mmon 08:00"], "--at"),
    ],
)  # fmt: skip
def test_bad_input_is_one_error_line(url: str, args: list[str], says: str) -> None:
    assert says in error(url, "report", "schedule", "add", *args)


def test_removing_what_is_not_there(url: str) -> None:
    assert "no report schedule 99" in error(url, "report", "schedule", "remove", "99")
    assert "error:" in error(url, "report", "schedule", "remove", "x")
