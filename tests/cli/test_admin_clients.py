"""`dispatcher admin clients|contacts|contracts|equipment ...` through the real command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from dispatcher.store.db.engine import Store
from tests.cli.helpers import as_json, error, ok
from tests.factories import new_ticket, world

# --- clients and domains --------------------------------------------------------------


def test_clients(db_url: str) -> None:
    ok(db_url, "clients", "add", "ООО Ромашка", "--domain", "Romashka.RU", "--notes", "VIP")
    ok(db_url, "clients", "add", "Acme")
    listed = as_json(db_url, "clients", "list")
    assert [(c["name"], c["domains"]) for c in listed] == [
        ("Acme", []),
        ("ООО Ромашка", ["romashka.ru"]),
    ]
    shown = as_json(db_url, "clients", "show", "ооо ромашка", "--on", "2026-11-18")
    assert shown["notes"] == "VIP"
    assert shown["coverage"]["state"] == "none"
    ok(db_url, "clients", "edit", "Acme", "--name", "Acme Corp", "--notes", "new")
    ok(db_url, "clients", "domains", "add", "Acme Corp", "acme.example", "acme.org")
    domains = as_json(db_url, "clients", "domains", "list", "--client", "acme corp")
    assert [d["domain"] for d in domains] == ["acme.example", "acme.org"]
    ok(db_url, "clients", "domains", "remove", "ACME.org")
    assert len(as_json(db_url, "clients", "domains", "list")) == 2
    ok(db_url, "clients", "deactivate", "Acme Corp")
    assert [c["name"] for c in as_json(db_url, "clients", "list")] == ["ООО Ромашка"]
    assert len(as_json(db_url, "clients", "list", "--all")) == 2
    ok(db_url, "clients", "activate", "Acme Corp")
    human = ok(db_url, "clients", "list").stdout
    assert "Acme Corp" in human
    assert "romashka.ru" in human


def test_client_show_lists_everything(db_url: str, store: Store) -> None:
    world(store)
    ok(db_url, "equipment", "add", "--client", "Acme", "--name", "Router", "--serial", "R-1")
    shown = as_json(db_url, "clients", "show", "Acme", "--on", "2026-11-18")
    assert [c["name"] for c in shown["contacts"]] == ["Anna Client"]
    assert shown["contacts"][0]["emails"] == ["anna@acme.example"]
    assert [(c["number"], c["state"]) for c in shown["contracts"]] == [("C-1", "valid")]
    assert [e["serial"] for e in shown["equipment"]] == ["R-1"]
    assert shown["coverage"]["state"] == "valid"
    human = ok(db_url, "clients", "show", "Acme", "--on", "2026-11-18").stdout
    for text in ("Anna Client", "C-1", "Router", "contract C-1 valid"):
        assert text in human


def test_find_clients(db_url: str) -> None:
    ok(db_url, "clients", "add", "ООО Ромашка")
    ok(
        db_url,
        "contacts",
        "add",
        "--client",
        "ООО Ромашка",
        "--name",
        "Ёлкина Анна",
        "--email",
        "Anna@Romashka.example",
        "--phone",
        "+7 (495) 765-43-21",
    )
    for text, matched_on in (
        ("РОМАШКА", "client"),
        ("елкина", "contact"),
        ("anna@ROMASHKA", "email"),
        ("765 43 21", "phone"),
    ):
        hits = as_json(db_url, "clients", "find", text)
        assert [(h["name"], h["matched_on"]) for h in hits] == [("ООО Ромашка", matched_on)]
    assert as_json(db_url, "clients", "find", "nothing") == []
    assert "Ёлкина Анна" in ok(db_url, "clients", "find", "анна").stdout


BAD_CLIENT_COMMANDS: list[tuple[list[str], str]] = [
    (["clients", "add", "acme"], "already exists"),
    (["clients", "add", "123"], "only digits"),
    (["clients", "add", " "], "cannot be empty"),
    (["clients", "add", "New", "--domain", "not a domain"], "not an email domain"),
    (["clients", "add", "New", "--domain", "acme.example"], "already belongs to client"),
    (["clients", "show", "Nobody"], "no client 'Nobody'"),
    (["clients", "show", "999"], "no client '999'"),
    (["clients", "show", "Acme", "--on", "tomorrow"], "not a date"),
    (["clients", "edit", "Acme"], "nothing to change"),
    (["clients", "edit", "Nobody", "--notes", "x"], "no client"),
    (["clients", "edit", "Acme", "--name", "other"], "already exists"),
    (["clients", "deactivate", "Nobody"], "no client"),
    (["clients", "activate", "Acme"], "already active"),
    (["clients", "find", "x", "--limit", "0"], "--limit"),
    (["clients", "domains", "add", "Nobody", "x.example"], "no client"),
    (["clients", "domains", "remove", "nobody.example"], "no client domain"),
    (["clients", "domains", "list", "--client", "Nobody"], "no client"),
]


def test_bad_client_commands(db_url: str) -> None:
    # One database for every case: a refused command changes nothing.
    ok(db_url, "clients", "add", "Acme", "--domain", "acme.example")
    ok(db_url, "clients", "add", "Other")
    for args, message in BAD_CLIENT_COMMANDS:
        assert message in error(db_url, *args), args


# --- contacts -------------------------------------------------------------------------


def test_contacts(db_url: str, store: Store) -> None:
    world(store)
    ok(
        db_url,
        "contacts",
        "add",
        "--client",
        "acme",
        "--name",
        "Boris",
        "--email",
        "Boris@ACME.example",
        "--phone",
        "8 (800) 555-35-35",
        "--position",
        "CTO",
    )
    contacts = as_json(db_url, "contacts", "list", "--client", "Acme")
    boris = next(c for c in contacts if c["name"] == "Boris")
    assert (boris["emails"], boris["phones"]) == (["boris@acme.example"], ["88005553535"])
    shown = as_json(db_url, "contacts", "show", "BORIS@acme.example")
    assert shown["points"][0]["display"] == "Boris@ACME.example"
    assert as_json(db_url, "contacts", "show", "8 800 555 35 35")["id"] == boris["id"]
    ok(
        db_url,
        "contacts",
        "edit",
        str(boris["id"]),
        "--name",
        "Boris K",
        "--add-email",
        "b@home.example",
        "--remove",
        "88005553535",
    )
    shown = as_json(db_url, "contacts", "show", str(boris["id"]))
    assert (shown["name"], shown["emails"], shown["phones"]) == (
        "Boris K",
        ["boris@acme.example", "b@home.example"],
        [],
    )
    ok(db_url, "contacts", "edit", "b@home.example", "--inactive")
    assert [c["name"] for c in as_json(db_url, "contacts", "list")] == ["Anna Client"]
    assert len(as_json(db_url, "contacts", "list", "--all")) == 2
    ok(db_url, "contacts", "remove", "b@home.example")
    assert len(as_json(db_url, "contacts", "list", "--all")) == 1
    assert "Anna Client" in ok(db_url, "contacts", "list").stdout


BAD_CONTACT_COMMANDS: list[tuple[list[str], str]] = [
    (["contacts", "add", "--client", "Acme", "--name", "X", "--email", "bad"], "not an email"),
    (["contacts", "add", "--client", "Acme", "--name", "X", "--phone", "call"], "not a phone"),
    (
        ["contacts", "add", "--client", "Acme", "--name", "X", "--email", "ANNA@acme.example"],
        "already belongs to contact 'Anna Client'",
    ),
    (["contacts", "add", "--client", "Nobody", "--name", "X"], "no client"),
    (["contacts", "add", "--client", "Acme", "--name", ""], "cannot be empty"),
    (["contacts", "add", "--client", "Acme"], "Missing option"),
    (["contacts", "show", "nobody@acme.example"], "no contact"),
    (["contacts", "show", "999"], "no contact"),
    (["contacts", "edit", "anna@acme.example"], "nothing to change"),
    (["contacts", "edit", "anna@acme.example", "--remove", "x@y.example"], "no email"),
    (["contacts", "edit", "anna@acme.example", "--client", "Nobody"], "no client"),
    (["contacts", "edit", "anna@acme.example", "--add-phone", "x"], "not a phone"),
    (["contacts", "remove", "anna@acme.example"], "deactivate it instead"),
    (["contacts", "remove", "999"], "no contact"),
    (["contacts", "list", "--client", "Nobody"], "no client"),
]


def test_bad_contact_commands(db_url: str, store: Store, now: datetime) -> None:
    # One database for every case: a refused command changes nothing.
    new_ticket(store, world(store), now=now)
    for args, message in BAD_CONTACT_COMMANDS:
        assert message in error(db_url, *args), args


# --- contracts and equipment ----------------------------------------------------------


def test_contracts_and_equipment(db_url: str, store: Store) -> None:
    world(store)
    ok(
        db_url,
        "equipment",
        "add",
        "--client",
        "Acme",
        "--name",
        "Core switch",
        "--kind",
        "switch",
        "--serial",
        "SW-1",
        "--location",
        "Rack 1",
    )
    ok(db_url, "equipment", "add", "--client", "Acme", "--name", "Printer")
    items = as_json(db_url, "equipment", "list", "--client", "Acme")
    assert [(e["name"], e["serial"]) for e in items] == [("Core switch", "SW-1"), ("Printer", None)]
    printer_id = str(items[1]["id"])
    ok(
        db_url,
        "contracts",
        "add",
        "C-2",
        "--client",
        "Acme",
        "--plan",
        "standard",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--equipment",
        "SW-1",
        "--equipment",
        printer_id,
    )
    contracts = {c["number"]: c for c in as_json(db_url, "contracts", "list", "--on", "2026-11-18")}
    assert contracts["C-2"]["state"] == "expired"
    assert contracts["C-1"]["state"] == "valid"
    assert [e["name"] for e in contracts["C-2"]["equipment"]] == ["Core switch", "Printer"]
    assert contracts["C-2"]["plan"] == "standard"
    shown = as_json(db_url, "contracts", "show", "C-2", "--on", "2024-06-01")
    assert shown["state"] == "not_started"
    ok(db_url, "contracts", "edit", "C-1", "--to", "2026-06-30", "--plan", "standard")
    check = as_json(db_url, "contracts", "check", "Acme", "--on", "2026-11-18")
    assert (check["state"], check["covered"], check["contract"]) == ("expired", False, "C-1")
    assert (
        "expired on 2026-06-30"
        in ok(db_url, "contracts", "check", "Acme", "--on", "2026-11-18").stdout
    )
    ok(db_url, "contracts", "edit", "C-1", "--open-ended", "--number", "C-1a")
    assert as_json(db_url, "contracts", "check", "Acme", "--on", "2026-11-18")["covered"] is True
    ok(db_url, "contracts", "edit", "C-2", "--no-equipment")
    assert as_json(db_url, "contracts", "show", "C-2")["equipment"] == []
    ok(db_url, "equipment", "edit", "SW-1", "--serial", "SW-9", "--location", "Rack 2")
    item = as_json(db_url, "equipment", "show", "SW-9")
    assert (item["location"], item["client"]) == ("Rack 2", "Acme")
    ok(db_url, "equipment", "remove", "SW-9")
    ok(db_url, "contracts", "remove", "C-2")
    assert [c["number"] for c in as_json(db_url, "contracts", "list")] == ["C-1a"]
    assert "C-1a" in ok(db_url, "contracts", "list").stdout
    assert "Printer" in ok(db_url, "equipment", "list").stdout


BAD_CONTRACT_AND_EQUIPMENT_COMMANDS: list[tuple[list[str], str]] = [
    (
        [
            "contracts",
            "add",
            "C-1",
            "--client",
            "Acme",
            "--plan",
            "standard",
            "--from",
            "2026-01-01",
        ],
        "already exists",
    ),
    (
        [
            "contracts",
            "add",
            "C-9",
            "--client",
            "Acme",
            "--plan",
            "gold",
            "--from",
            "2026-01-01",
        ],
        "no SLA plan 'gold'",
    ),
    (
        [
            "contracts",
            "add",
            "C-9",
            "--client",
            "Nobody",
            "--plan",
            "standard",
            "--from",
            "2026-01-01",
        ],
        "no client",
    ),
    (
        [
            "contracts",
            "add",
            "C-9",
            "--client",
            "Acme",
            "--plan",
            "standard",
            "--from",
            "01.01.2026",
        ],
        "not a date",
    ),
    (
        [
            "contracts",
            "add",
            "C-9",
            "--client",
            "Acme",
            "--plan",
            "standard",
            "--from",
            "2026-01-01",
            "--to",
            "2025-01-01",
        ],
        "before it starts",
    ),
    (
        [
            "contracts",
            "add",
            "C-9",
            "--client",
            "Acme",
            "--plan",
            "standard",
            "--from",
            "2026-01-01",
            "--equipment",
            "NOPE",
        ],
        "no equipment item",
    ),
    (["contracts", "add", "C-9", "--client", "Acme", "--plan", "standard"], "Missing option"),
    (["contracts", "show", "C-404"], "no contract"),
    (["contracts", "edit", "C-1"], "nothing to change"),
    (["contracts", "edit", "C-1", "--to", "2026-01-01", "--open-ended"], "not both"),
    (["contracts", "edit", "C-1", "--to", "2020-01-01"], "before it starts"),
    (["contracts", "edit", "C-404", "--notes", "x"], "no contract"),
    (["contracts", "remove", "C-1"], "ticket"),
    (["contracts", "check", "Nobody"], "no client"),
    (["contracts", "list", "--on", "soon"], "not a date"),
    (
        ["equipment", "add", "--client", "Acme", "--name", "X", "--serial", "SN-1"],
        "already item",
    ),
    (["equipment", "add", "--client", "Nobody", "--name", "X"], "no client"),
    (["equipment", "add", "--client", "Acme", "--name", " "], "cannot be empty"),
    (["equipment", "show", "SN-404"], "no equipment item"),
    (["equipment", "edit", "SN-1"], "nothing to change"),
    (["equipment", "edit", "SN-404", "--name", "X"], "no equipment item"),
    (["equipment", "remove", "SN-404"], "no equipment item"),
    (["equipment", "list", "--client", "Nobody"], "no client"),
]


def test_bad_contract_and_equipment_commands(db_url: str, store: Store, now: datetime) -> None:
    # One database for every case: a refused command changes nothing.
    new_ticket(store, world(store), now=now)
    ok(db_url, "equipment", "add", "--client", "Acme", "--name", "Switch", "--serial", "SN-1")
    for args, message in BAD_CONTRACT_AND_EQUIPMENT_COMMANDS:
        assert message in error(db_url, *args), args
    assert [c["number"] for c in as_json(db_url, "contracts", "list")] == ["C-1"]
    assert [e["serial"] for e in as_json(db_url, "equipment", "list")] == ["SN-1"]


def test_equipment_with_a_contract_from_another_client_is_refused(
    db_url: str, store: Store
) -> None:
    world(store)
    ok(db_url, "clients", "add", "Other")
    ok(db_url, "equipment", "add", "--client", "Other", "--name", "Theirs", "--serial", "T-1")
    message = error(
        db_url,
        "contracts",
        "add",
        "C-9",
        "--client",
        "Acme",
        "--plan",
        "standard",
        "--from",
        "2026-01-01",
        "--equipment",
        "T-1",
    )
    assert "belongs to another client" in message


# --- hostile text and unusable databases ----------------------------------------------


@pytest.mark.parametrize("name", ["[bold red]x[/]", "Evil \x1b[31mred", "[link=file:///etc]y[/]"])
def test_hostile_client_names(db_url: str, name: str) -> None:
    ok(db_url, "clients", "add", name)
    assert as_json(db_url, "clients", "list")[0]["name"] == name
    human = ok(db_url, "clients", "list").stdout
    assert name.replace("\x1b", "") in human
    assert "\x1b" not in human
    assert "\x1b" not in ok(db_url, "clients", "show", name).stdout
    assert "\x1b" not in ok(db_url, "clients", "add", name + " 2").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["clients", "list"],
        ["clients", "add", "X"],
        ["clients", "find", "x"],
        ["contacts", "list"],
        ["contracts", "list"],
        ["equipment", "list"],
    ],
)
def test_unusable_databases(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "missing.db"
    assert "no database at" in error(str(missing), *args)
    assert not missing.exists()
    assert "database error" in error("postgresql://nobody@127.0.0.1:1/x", *args)
