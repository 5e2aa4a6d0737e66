"""`dispatcher ticket show|assign|take|status|reply|note|call|escalate|classify|merge|link`:
the console's actions as commands, over the same store functions, version-checked."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from dispatcher.cli import app
from dispatcher.domain.enums import MessageKind, TicketStatus
from dispatcher.store.clients.contacts import add_contact
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Category, Message, OutboxItem, Ticket, User
from dispatcher.store.tickets import writes
from tests.factories import World, new_ticket, world

runner = CliRunner()


def run(db_url: str, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(
        app, ["--db", db_url, "ticket", *args], input=stdin, env={"COLUMNS": "200"}
    )


def ok(db_url: str, *args: str) -> Any:
    result = run(db_url, *args, "--json")
    assert result.exit_code == 0, (args, result.output)
    assert result.stderr == ""
    return json.loads(result.stdout)


def error(db_url: str, *args: str) -> str:
    result = run(db_url, *args)
    assert result.exit_code == 2, (args, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (args, result.stderr)
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def helpdesk(store: Store, now: datetime) -> tuple[World, Ticket]:
    w = world(store)
    return w, new_ticket(store, w, now=now)


def _ticket(store: Store, ticket_id: int | None) -> Ticket:
    with store.read() as session:
        return writes.get_ticket(session, ticket_id=ticket_id or 0)


def test_show_gives_the_version_thread_and_history(
    db_url: str, helpdesk: tuple[World, Ticket]
) -> None:
    _w, ticket = helpdesk
    shown = ok(db_url, "show", ticket.ref)
    assert (shown["ref"], shown["version"], shown["status"]) == (ticket.ref, 1, "new")
    assert [m["kind"] for m in shown["messages"]] == ["inbound"]
    plain = run(db_url, "show", str(ticket.id))
    assert plain.exit_code == 0
    assert "VPN is down  (v1)" in plain.stdout
    assert "created from phone by olga" in plain.stdout


def test_a_dispatchers_day_as_commands(
    db_url: str, store: Store, helpdesk: tuple[World, Ticket]
) -> None:
    w, ticket = helpdesk
    ref = ticket.ref
    classified = ok(db_url, "classify", ref, "--priority", "urgent", "--as", "olga")
    assert (classified["priority"], classified["status"]) == ("urgent", "open")
    line = error(db_url, "assign", ref, "--as", "olga")  # nobody has a shift today
    assert "nobody can take #1 now" in line
    assigned = ok(db_url, "assign", ref, "ivan", "--as", "olga")
    assert (assigned["assignee"], assigned["status"]) == ("ivan", "assigned")
    moved = ok(db_url, "assign", ref, "petr", "--reason", "knows the site", "--as", "olga")
    assert moved["assignee"] == "petr"
    taken = ok(db_url, "take", ref, "--as", "ivan")
    assert (taken["assignee"], taken["status"]) == ("ivan", "in_progress")
    noted = ok(db_url, "note", ref, "--body", "Проверил логи роутера", "--as", "ivan")
    assert noted["first_responded_at"] is None  # a note is no response
    replied = ok(
        db_url, "reply", ref, "--body", "Здравствуйте, Анна! {{ как есть }}", "--as", "ivan"
    )
    assert replied["first_responded_at"] is not None
    waiting = ok(db_url, "status", ref, "waiting-client", "--reason", "ждём ответа", "--as", "ivan")
    assert waiting["status"] == "waiting_client"
    escalated = ok(
        db_url,
        "escalate",
        ref,
        "--vendor",
        "ООО Связь",
        "--vendor-ref",
        "INC-7",
        "--check-in",
        "2026-11-20T10:00",
        "--as",
        "ivan",
    )
    assert escalated["status"] == "escalated"
    assert escalated["version"] > taken["version"]
    with store.read() as session:
        messages = session.exec(select(Message).where(Message.ticket_id == ticket.id)).all()
        mail = session.exec(select(OutboxItem)).all()
    reply = next(m for m in messages if m.kind == MessageKind.reply)
    assert reply.body == "Здравствуйте, Анна! {{ как есть }}"  # text, never a template
    assert reply.to_addresses == "anna@acme.example"
    assert any(o.to_addresses == "anna@acme.example" and o.kind == "reply" for o in mail)
    history = run(db_url, "show", ref).stdout
    assert "assigned to petr by olga (knows the site)" in history
    assert any("by ivan (ждём ответа)" in line for line in history.splitlines())


def test_a_stale_expect_version_is_refused_and_nothing_changes(
    db_url: str, store: Store, helpdesk: tuple[World, Ticket]
) -> None:
    _w, ticket = helpdesk
    ok(db_url, "note", ticket.ref, "--body", "first", "--as", "olga")  # v1 -> v2
    for args in (
        ("status", ticket.ref, "resolved"),
        ("assign", ticket.ref, "ivan"),
        ("take", ticket.ref),
        ("note", ticket.ref, "--body", "late"),
        ("reply", ticket.ref, "--body", "late"),
        ("call", ticket.ref, "--summary", "late"),
        ("classify", ticket.ref, "--priority", "low"),
        ("escalate", ticket.ref, "--vendor", "V"),
        ("link", ticket.ref, "#1"),
    ):
        line = error(db_url, *args, "--expect-version", "1", "--as", "ivan")
        assert "was changed by someone else since you opened it" in line, args
        assert "note added by olga" in line
    after = _ticket(store, ticket.id)
    assert (after.version, after.status, after.first_responded_at) == (2, "new", None)
    current = ok(
        db_url, "status", ticket.ref, "in_progress", "--expect-version", "2", "--as", "olga"
    )
    assert current["version"] == 3


def test_a_refusal_tells_the_time_of_the_others_change_in_the_operators_zone(
    db_url: str, store: Store, helpdesk: tuple[World, Ticket]
) -> None:
    from dispatcher.store.people.users import edit_user

    w, ticket = helpdesk
    with store.write() as session:
        edit_user(session, user_id=w.engineer.id or 0, timezone="Europe/Moscow")
    ok(db_url, "note", ticket.ref, "--body", "first", "--as", "olga")  # v1 -> v2
    line = error(
        db_url, "note", ticket.ref, "--body", "late", "--expect-version", "1", "--as", "ivan"
    )
    assert "note added by olga at " in line
    assert line.rstrip().endswith("MSK"), line


def test_a_call_logged_from_the_command_line_stops_the_first_response_clock(
    db_url: str, store: Store, helpdesk: tuple[World, Ticket]
) -> None:
    w, ticket = helpdesk
    with store.write() as session:
        caller = add_contact(
            session, client_id=w.client.id or 0, name="Пётр Звонков", phones=["8 916 555-12-34"]
        )
    logged = ok(
        db_url,
        "call",
        ticket.ref,
        "--to",
        "+7 916 555 12 34",  # found in another format
        "--summary",
        "Объяснил, как перезапустить VPN",
        "--minutes",
        "6",
        "--as",
        "olga",
    )
    assert logged["first_responded_at"] is not None
    assert logged["call"] == {
        "direction": "outgoing",
        "with": "Пётр Звонков",
        "contact_id": caller.id,
        "minutes": 6,
    }
    result = run(
        db_url,
        "call",
        ticket.ref,
        "--incoming",
        "--to",
        "их бухгалтер",
        "--summary",
        "-",
        "--as",
        "olga",
        stdin="Спросили про счёт\n",
    )
    assert result.exit_code == 0, result.output
    assert "call with их бухгалтер logged on" in result.stdout
    default = ok(
        db_url, "call", ticket.ref, "--summary", "Called back", "--as", "olga"
    )  # the ticket's contact
    assert default["call"]["with"] == "Anna Client"
    shown = run(db_url, "show", ticket.ref).stdout
    assert "Call to Пётр Звонков · 6 min" in shown
    assert "Call from их бухгалтер" in shown
    with store.read() as session:
        kinds = session.exec(select(Message.kind).where(Message.ticket_id == ticket.id)).all()
    assert kinds.count(MessageKind.call) == 3


def test_merge_and_link(db_url: str, store: Store, helpdesk: tuple[World, Ticket]) -> None:
    w, ticket = helpdesk
    other = new_ticket(store, w, now=ticket.created_at, subject="VPN down again")
    third = new_ticket(store, w, now=ticket.created_at, subject="Printer")
    linked = ok(db_url, "link", third.ref, ticket.ref, "--kind", "parent", "--as", "olga")
    assert (linked["other"], linked["link"]) == (ticket.ref, "parent")
    merged = ok(db_url, "merge", other.ref, ticket.ref, "--reason", "дубль", "--as", "olga")
    assert (merged["status"], merged["into"]) == ("merged", ticket.ref)
    assert _ticket(store, other.id).merged_into_id == ticket.id
    assert "cannot be merged into itself" in error(
        db_url, "merge", ticket.ref, ticket.ref, "--as", "olga"
    )


def test_classify_sets_the_caller_so_a_phone_ticket_can_be_answered(
    db_url: str, store: Store, now: datetime
) -> None:
    w = world(store)
    with store.write() as session:
        ticket = writes.create_ticket(
            session, data=writes.NewTicket(subject="Звонок: не печатает"), actor_id=None, now=now
        )
        add_contact(
            session,
            client_id=w.client.id or 0,
            name="Мария Звонит",
            emails=["maria@acme.example"],
            phones=["8 916 555-12-34"],
        )
    line = error(db_url, "reply", ticket.ref, "--body", "Hello", "--as", "olga")
    assert "has no contact email" in line
    ok(
        db_url,
        "classify",
        ticket.ref,
        "--client",
        "Acme",
        "--contact",
        "+79165551234",
        "--as",
        "olga",
    )
    ok(db_url, "reply", ticket.ref, "--body", "Добрый день", "--as", "olga")
    with store.read() as session:
        reply = session.exec(
            select(Message).where(Message.ticket_id == ticket.id, Message.kind == "reply")
        ).one()
    assert reply.to_addresses == "maria@acme.example"


def test_an_engineer_cannot_act_where_the_console_does_not_let_them(
    db_url: str, store: Store, helpdesk: tuple[World, Ticket]
) -> None:
    w, ticket = helpdesk
    with store.write() as session:
        outside = Category(name="Accounting", queue_id=w.queue.id)
        session.add(outside)
        session.flush()
        writes.classify(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=None,
            category_id=outside.id,
        )
        lena = session.exec(select(User).where(User.login == "lena")).one()
        petr = session.exec(select(User).where(User.login == "petr")).one()
        petr.active = False
        session.add(petr)
    assert "outside your competences" in error(db_url, "take", ticket.ref, "--as", "ivan")
    assert "outside your competences" in error(
        db_url, "status", ticket.ref, "resolved", "--as", "ivan"
    )
    assert "deactivated" in error(db_url, "note", ticket.ref, "--body", "x", "--as", "petr")
    assert "no user 'nobody'" in error(db_url, "note", ticket.ref, "--body", "x", "--as", "nobody")
    assert ok(db_url, "take", ticket.ref, "--as", lena.login)["assignee"] == "lena"
    assert _ticket(store, ticket.id).status == TicketStatus.in_progress


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("show", "#99999"), "no ticket #99999"),
        (("show", "nope"), "not a ticket reference"),
        (("status", "#1", "done"), "status must be one of"),
        (("status", "#1", "merged"), "use merge"),
        (("assign", "#1", "ivan", "--nobody"), "not both"),
        (("assign", "#1", "ghost"), "no user 'ghost'"),
        (("escalate", "#1"), "either --to LOGIN"),
        (("escalate", "#1", "--to", "olga", "--as", "olga"), "yourself"),
        (("escalate", "#1", "--vendor", "V", "--promised", "soon"), "not an ISO 8601"),
        (("classify", "#1"), "nothing to change"),
        (("classify", "#1", "--priority", "asap"), "unknown priority"),
        (("classify", "#1", "--contact", "nobody@else.example"), "no contact"),
        (("link", "#1", "#1"), "cannot be linked to itself"),
        (("link", "#1", "#2", "--kind", "sibling"), "kind must be one of"),
        (("note", "#1", "--body", "  "), "empty"),
        (("call", "#1", "--summary", "hi", "--minutes", "-3"), "--minutes"),
        (("call", "#1", "--summary", " "), "summary"),
        (("note", "#1", "--body", "\x1b]0;title\x07[bold]x[/]"), None),
    ],
)
def test_misuse_is_one_error_line(
    db_url: str, helpdesk: tuple[World, Ticket], args: tuple[str, ...], expected: str | None
) -> None:
    _w, ticket = helpdesk
    assert ticket.ref == "#1"
    if expected is None:  # hostile text is kept as text and never reaches the terminal
        result = run(db_url, *args, "--as", "olga")
        assert result.exit_code == 0
        assert "\x1b" not in result.output
        return
    needs_as = args[0] != "show" and "--as" not in args
    line = error(db_url, *args, *(("--as", "olga") if needs_as else ()))
    assert expected in line
    assert "\x1b" not in line


def test_show_reads_as_a_person_would_in_the_readers_zone(
    db_url: str, store: Store, helpdesk: tuple[World, Ticket]
) -> None:
    from dispatcher.store.people.users import edit_user

    w, ticket = helpdesk
    with store.write() as session:
        edit_user(session, user_id=w.dispatcher.id or 0, timezone="Europe/Moscow")
    ok(db_url, "status", ticket.ref, "waiting_client", "--as", "olga")
    result = runner.invoke(app, ["--db", db_url, "--as", "olga", "ticket", "show", ticket.ref])
    assert result.exit_code == 0, result.output
    shown = result.stdout
    assert "status: waiting on client" in shown
    assert "waiting_client" not in shown
    assert "MSK" in shown
    assert "+00:00" not in shown
