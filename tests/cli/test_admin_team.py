"""`dispatcher admin users|queues|categories ...` through the real command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dispatcher.store.db.engine import Store
from tests.cli.helpers import as_json, error, ok
from tests.factories import world

# --- users ----------------------------------------------------------------------------


def test_add_list_show_users(db_url: str) -> None:
    out = ok(
        db_url,
        "users",
        "add",
        "maria",
        "--name",
        "Мария",
        "--role",
        "engineer",
        "--tz",
        "Europe/Moscow",
        "--email",
        "maria@example.com",
    ).stdout
    assert "added user maria (engineer" in out
    ok(db_url, "users", "add", "boris", "--name", "Boris", "--role", "lead")
    users = as_json(db_url, "users", "list")
    assert [(u["login"], u["role"]) for u in users] == [("boris", "lead"), ("maria", "engineer")]
    assert as_json(db_url, "users", "list", "--role", "lead")[0]["login"] == "boris"
    shown = as_json(db_url, "users", "show", "maria")
    assert shown["timezone"] == "Europe/Moscow"
    assert shown["email"] == "maria@example.com"
    assert shown["now"] == "off shift"  # no shifts yet
    human = ok(db_url, "users", "list").stdout
    assert "maria" in human
    assert "Мария" in human
    assert "maria" in ok(db_url, "users", "show", str(shown["id"])).stdout


def test_edit_deactivate_activate_remove(db_url: str) -> None:
    ok(db_url, "users", "add", "maria", "--name", "Maria")
    ok(db_url, "users", "edit", "maria", "--role", "admin", "--email", "m@example.com")
    assert as_json(db_url, "users", "show", "maria")["role"] == "admin"
    ok(db_url, "users", "edit", "maria", "--email", "")
    assert as_json(db_url, "users", "show", "maria")["email"] is None
    ok(db_url, "users", "deactivate", "maria")
    assert as_json(db_url, "users", "list") == []
    assert as_json(db_url, "users", "list", "--all")[0]["active"] is False
    assert "already deactivated" in error(db_url, "users", "deactivate", "maria")
    ok(db_url, "users", "activate", "maria")
    ok(db_url, "users", "remove", "maria")
    assert as_json(db_url, "users", "list", "--all") == []


def test_a_user_with_history_is_only_deactivated(db_url: str, store: Store, now: Any) -> None:
    from tests.factories import new_ticket

    w = world(store)
    new_ticket(store, w, now=now)
    assert "deactivate" in error(db_url, "users", "remove", "olga")
    assert as_json(db_url, "users", "show", "olga")["active"] is True


BAD_USER_COMMANDS: list[tuple[list[str], str]] = [
    (["users", "add", "bad login", "--name", "X"], "not a login"),
    (["users", "add", "777", "--name", "X"], "only digits"),
    (["users", "add", "x", "--name", " "], "cannot be empty"),
    (["users", "add", "x", "--name", "X", "--role", "boss"], "unknown role"),
    (["users", "add", "x", "--name", "X", "--email", "nope"], "not an email"),
    (["users", "add", "x", "--name", "X", "--tz", "Mars/Base"], "unknown time zone"),
    (["users", "add", "x", "--name", "X", "--competence", "nope"], "no competence"),
    (["users", "add", "x"], "Missing option"),
    (["users", "add", "olga", "--name", "Again"], "already exists"),
    (["users", "show", "nobody"], "no user 'nobody'"),
    (["users", "show", "999"], "no user '999'"),
    (["users", "edit", "olga"], "nothing to change"),
    (["users", "edit", "nobody", "--name", "X"], "no user"),
    (["users", "edit", "olga", "--role", "boss"], "unknown role"),
    (["users", "list", "--role", "boss"], "unknown role"),
    (["users", "deactivate", "nobody"], "no user"),
    (["users", "activate", "olga"], "already active"),
    (["users", "remove", "nobody"], "no user"),
    (["users", "frobnicate"], "No such command"),
]


def test_bad_user_commands(db_url: str, store: Store) -> None:
    # One database for every case: a refused command changes nothing.
    world(store)
    for args, message in BAD_USER_COMMANDS:
        assert message in error(db_url, *args), args
    users = as_json(db_url, "users", "list", "--all")
    assert [(u["login"], u["active"]) for u in users] == [
        ("ivan", True),
        ("lena", True),
        ("olga", True),
        ("petr", True),
    ]


# --- competences ----------------------------------------------------------------------


def test_competences(db_url: str, store: Store) -> None:
    world(store)
    ok(db_url, "users", "competences", "add", "printers", "--name", "Printers")
    ok(db_url, "users", "competences", "grant", "olga", "printers", "network")
    listed = as_json(db_url, "users", "competences", "list")
    assert {c["code"]: c["users"] for c in listed} == {
        "network": ["ivan", "olga", "petr"],
        "printers": ["olga"],
    }
    assert as_json(db_url, "users", "show", "olga")["competences"] == ["network", "printers"]
    ok(db_url, "users", "competences", "revoke", "olga", "network")
    ok(db_url, "users", "competences", "edit", "printers", "--name", "Printers & copiers")
    out = ok(db_url, "users", "competences", "remove", "printers").stdout
    assert "from 1 user" in out
    assert [c["code"] for c in as_json(db_url, "users", "competences", "list")] == ["network"]


BAD_COMPETENCE_COMMANDS: list[tuple[list[str], str]] = [
    (["users", "competences", "add", "network"], "already exists"),
    (["users", "competences", "add", "bad code"], "not a competence code"),
    (["users", "competences", "grant", "ivan", "network"], "already has"),
    (["users", "competences", "grant", "ivan", "nope"], "no competence 'nope'"),
    (["users", "competences", "grant", "nobody", "network"], "no user"),
    (["users", "competences", "revoke", "olga", "network"], "does not have"),
    (["users", "competences", "remove", "network"], "needed by categories Network"),
    (["users", "competences", "remove", "nope"], "no competence"),
    (["users", "competences", "edit", "nope", "--name", "X"], "no competence"),
]


def test_bad_competence_commands(db_url: str, store: Store) -> None:
    # One database for every case: a refused command changes nothing.
    world(store)
    for args, message in BAD_COMPETENCE_COMMANDS:
        assert message in error(db_url, *args), args


# --- shifts and leave -----------------------------------------------------------------


def test_shifts(db_url: str, store: Store) -> None:
    world(store)
    ok(db_url, "users", "edit", "ivan", "--tz", "Europe/Moscow")
    ok(db_url, "users", "shifts", "set", "ivan", "mon-fri 09:00-18:00", "sun 22:00-06:00")
    shifts = as_json(db_url, "users", "shifts", "list", "ivan")
    assert [s["text"] for s in shifts][-1] == "sun 22:00-06:00"
    assert shifts[-1]["overnight"] is True
    assert len(shifts) == 6
    # Wednesday 10:30 in Moscow, given with an offset and as the user's local time.
    on = as_json(db_url, "users", "shifts", "check", "ivan", "--at", "2026-11-18T07:30+00:00")
    assert on["available"] is True
    local = as_json(db_url, "users", "shifts", "check", "ivan", "--at", "2026-11-18T08:30")
    assert local["available"] is False
    night = ok(db_url, "users", "shifts", "check", "ivan", "--at", "2026-11-23T03:00").stdout
    assert "on shift" in night
    ok(db_url, "users", "shifts", "set", "ivan", "sat 00:00-24:00")
    assert [s["text"] for s in as_json(db_url, "users", "shifts", "list", "ivan")] == [
        "sat 00:00-24:00"
    ]
    assert "removed 1 shift" in ok(db_url, "users", "shifts", "clear", "ivan").stdout


BAD_SHIFT_COMMANDS: list[tuple[list[str], str]] = [
    (["users", "shifts", "set", "ivan", "mon-fri 9-18"], "not a time interval"),
    (["users", "shifts", "set", "ivan", "moon 09:00-18:00"], "not a day of the week"),
    (["users", "shifts", "set", "ivan", "mon 25:00-26:00"], "not a time of day"),
    (["users", "shifts", "set", "ivan", "mon 09:00-09:00"], "empty"),
    (["users", "shifts", "set", "ivan", "mon 09:00-18:00", "mon 12:00-13:00"], "overlap"),
    (["users", "shifts", "set", "ivan"], "Missing argument"),
    (["users", "shifts", "set", "nobody", "mon 09:00-18:00"], "no user"),
    (["users", "shifts", "list", "nobody"], "no user"),
    (["users", "shifts", "check", "ivan", "--at", "yesterday"], "--at: not an ISO 8601 date-time"),
]


def test_bad_shift_commands(db_url: str, store: Store) -> None:
    # One database for every case: a refused command changes nothing.
    world(store)
    for args, message in BAD_SHIFT_COMMANDS:
        assert message in error(db_url, *args), args


def test_leave(db_url: str, store: Store) -> None:
    world(store)
    ok(db_url, "users", "shifts", "set", "ivan", "daily 00:00-24:00")
    out = ok(
        db_url,
        "users",
        "leave",
        "add",
        "ivan",
        "--from",
        "2026-11-18",
        "--to",
        "2026-11-20",
        "--reason",
        "Отпуск",
    ).stdout
    assert "away 2026-11-18 to 2026-11-20" in out
    ok(db_url, "users", "leave", "add", "petr", "--from", "2020-01-01")
    rows = as_json(db_url, "users", "leave", "list", "--all")
    assert [(r["login"], r["starts_on"], r["ends_on"]) for r in rows] == [
        ("petr", "2020-01-01", "2020-01-01"),
        ("ivan", "2026-11-18", "2026-11-20"),
    ]
    assert [r["login"] for r in as_json(db_url, "users", "leave", "list", "ivan", "--all")] == [
        "ivan"
    ]
    assert "petr" not in [r["login"] for r in as_json(db_url, "users", "leave", "list")]
    check = as_json(db_url, "users", "shifts", "check", "ivan", "--at", "2026-11-19T12:00+00:00")
    assert (check["on_shift"], check["on_leave"], check["available"]) == (True, True, False)
    ok(db_url, "users", "leave", "remove", str(rows[1]["id"]))
    check = as_json(db_url, "users", "shifts", "check", "ivan", "--at", "2026-11-19T12:00+00:00")
    assert check["available"] is True


BAD_LEAVE_COMMANDS: list[tuple[list[str], str]] = [
    (["users", "leave", "add", "ivan", "--from", "2026-13-01"], "not a date"),
    (["users", "leave", "add", "ivan", "--from", "2026-12-02", "--to", "2026-12-01"], "before"),
    (["users", "leave", "add", "ivan", "--from", "2026-12-05"], "already on leave"),
    (["users", "leave", "add", "nobody", "--from", "2026-12-05"], "no user"),
    (["users", "leave", "remove", "999"], "no leave 999"),
    (["users", "leave", "remove", "abc"], "valid integer"),
    (["users", "leave", "list", "nobody"], "no user"),
]


def test_bad_leave_commands(db_url: str, store: Store) -> None:
    # One database for every case: a refused command changes nothing.
    world(store)
    ok(db_url, "users", "leave", "add", "ivan", "--from", "2026-12-01", "--to", "2026-12-10")
    for args, message in BAD_LEAVE_COMMANDS:
        assert message in error(db_url, *args), args


# --- queues and categories ------------------------------------------------------------


def test_queues_and_categories(db_url: str, store: Store) -> None:
    world(store)
    ok(db_url, "queues", "add", "Выезд", "--description", "Field work")
    ok(db_url, "categories", "add", "Принтеры", "--queue", "выезд", "--priority", "low")
    ok(
        db_url,
        "categories",
        "add",
        "VPN",
        "--queue",
        "Support",
        "--competence",
        "network",
        "--priority",
        "high",
    )
    queues = as_json(db_url, "queues", "list")
    assert {q["name"]: q["categories"] for q in queues} == {
        "Support": ["Network", "VPN"],
        "Выезд": ["Принтеры"],
    }
    categories = {c["name"]: c for c in as_json(db_url, "categories", "list")}
    assert (categories["VPN"]["queue"], categories["VPN"]["competence"]) == ("Support", "network")
    assert categories["Принтеры"]["default_priority"] == "low"
    assert categories["Принтеры"]["competence"] is None
    only = as_json(db_url, "categories", "list", "--queue", "Выезд")
    assert [c["name"] for c in only] == ["Принтеры"]
    ok(db_url, "categories", "edit", "vpn", "--no-competence", "--no-priority", "--queue", "Выезд")
    vpn = {c["name"]: c for c in as_json(db_url, "categories", "list")}["VPN"]
    assert (vpn["queue"], vpn["competence"], vpn["default_priority"]) == ("Выезд", None, None)
    ok(db_url, "queues", "edit", "Выезд", "--name", "Field")
    ok(db_url, "categories", "remove", "VPN")
    ok(db_url, "categories", "remove", "Принтеры")
    ok(db_url, "queues", "remove", "Field")
    assert [q["name"] for q in as_json(db_url, "queues", "list")] == ["Support"]
    assert "Support" in ok(db_url, "queues", "list").stdout
    assert "Network" in ok(db_url, "categories", "list").stdout


BAD_DIRECTORY_COMMANDS: list[tuple[list[str], str]] = [
    (["queues", "add", "support"], "already exists"),
    (["queues", "add", "42"], "only digits"),
    (["queues", "add", ""], "cannot be empty"),
    (["queues", "edit", "Nowhere", "--name", "X"], "no queue 'Nowhere'"),
    (["queues", "edit", "Support"], "nothing to change"),
    (["queues", "remove", "Support"], "Network"),
    (["queues", "remove", "Nowhere"], "no queue"),
    (["categories", "add", "X", "--queue", "Nowhere"], "no queue"),
    (["categories", "add", "X", "--queue", "Support", "--competence", "nope"], "no competence"),
    (
        ["categories", "add", "X", "--queue", "Support", "--priority", "asap"],
        "unknown priority",
    ),
    (["categories", "add", "network", "--queue", "Support"], "already exists"),
    (["categories", "add", "X"], "Missing option"),
    (["categories", "edit", "Nope", "--name", "X"], "no category"),
    (["categories", "edit", "Network"], "nothing to change"),
    (["categories", "edit", "Network", "--priority", "asap"], "unknown priority"),
    (["categories", "edit", "Network", "--competence", "x", "--no-competence"], "not both"),
    (["categories", "list", "--queue", "Nowhere"], "no queue"),
    (["categories", "remove", "Nope"], "no category"),
]


def test_bad_directory_commands(db_url: str, store: Store) -> None:
    # One database for every case: a refused command changes nothing.
    world(store)
    for args, message in BAD_DIRECTORY_COMMANDS:
        assert message in error(db_url, *args), args
    assert [c["name"] for c in as_json(db_url, "categories", "list")] == ["Network"]
    assert [q["name"] for q in as_json(db_url, "queues", "list")] == ["Support"]


def test_a_category_with_tickets_cannot_be_removed(db_url: str, store: Store, now: Any) -> None:
    from tests.factories import new_ticket

    w = world(store)
    new_ticket(store, w, now=now)
    assert "1 ticket(s)" in error(db_url, "categories", "remove", "Network")


# --- hostile text and unusable databases ----------------------------------------------


def test_hostile_text_is_stored_and_printed_literally(db_url: str) -> None:
    ok(db_url, "users", "add", "mallory", "--name", "[bold red]x[/] \x1b[31mred")
    assert as_json(db_url, "users", "list")[0]["name"] == "[bold red]x[/] \x1b[31mred"
    human = ok(db_url, "users", "list").stdout
    assert "[bold red]x[/]" in human
    assert "\x1b" not in human
    ok(db_url, "queues", "add", "[link=http://evil]q[/link]")
    assert "[link=http://evil]q[/link]" in ok(db_url, "queues", "list").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["users", "list"],
        ["users", "add", "x", "--name", "X"],
        ["users", "competences", "list"],
        ["users", "leave", "list"],
        ["queues", "list"],
        ["categories", "list"],
    ],
)
def test_unusable_databases(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "missing.db"
    assert "no database at" in error(str(missing), *args)
    assert not missing.exists()
    assert "database error" in error("postgresql://nobody@127.0.0.1:1/x", *args)
