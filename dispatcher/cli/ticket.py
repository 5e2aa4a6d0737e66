"""`dispatcher ticket ...`: every action of the ticket screen as a command.

Each command makes the write the console makes, through the same store function, in one
transaction: the operator is `--as LOGIN` (or the global `--as`, else the OS login, as for
the console) and must be an active user; the version checked is `--expect-version N`
when given (a ticket changed since is refused with what changed), else the ticket's
current one. An engineer acts, as in the console, only on the tickets their queue shows
them: those of their competences, those without a category, and their own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import TIME_HELP, echo, fail, parse_instant, print_json, state

if TYPE_CHECKING:
    from sqlmodel import Session

    from dispatcher.store.models import Ticket, User

app = typer.Typer(
    help="Act on one ticket as the console does: show, assign, take, status, reply, note, "
    "call, escalate, classify, merge, link.",
    no_args_is_help=True,
)

MAX_VERSION = 2**62  # far beyond any ticket's, and within every database's integers
Ref = Annotated[str, typer.Argument(help="The ticket's reference, like #1042")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]
As = Annotated[str | None, typer.Option("--as", help="Act as this user (default: the global --as)")]
Expect = Annotated[
    int | None,
    typer.Option(
        "--expect-version",
        min=1,
        max=MAX_VERSION,
        help="Refuse if the ticket is no longer at this version (default: its current one)",
    ),
]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the history)")]


# --- who acts, on what ------------------------------------------------------------------


def _operator(ctx: typer.Context, session: Session, login: str | None) -> User:
    """The user the command acts as: an active one."""
    from dispatcher.domain.errors import NotFoundError
    from dispatcher.identity import os_login
    from dispatcher.store.people.users import get_user_by_login

    wanted = (login or state(ctx).login or os_login()).strip()
    if not wanted:
        fail("cannot tell who you are: give --as LOGIN")
    try:
        user = get_user_by_login(session, login=wanted)
    except NotFoundError:
        fail(f"no user {wanted!r}: give --as LOGIN of a user of this helpdesk")
    if not user.active:
        fail(f"user {user.login!r} is deactivated and cannot act on tickets")
    from dispatcher.store.tickets.history import show_times_in

    show_times_in(_zone(user))  # a refusal says when the others' changes were, in theirs
    return user


def _may_act(session: Session, *, user: User, ticket: Ticket) -> None:
    """Refuse what the console does not let an engineer reach."""
    from dispatcher.domain.enums import Role
    from dispatcher.store.tickets.saved_views import competence_categories

    if user.role != Role.engineer or ticket.assignee_id == user.id:
        return
    if ticket.category_id is None:
        return
    if ticket.category_id not in competence_categories(session, user_id=user.id or 0):
        fail(
            f"{ticket.ref} is outside your competences: an engineer acts on tickets of their "
            "competences, uncategorised ones and their own"
        )


def _ticket(session: Session, ref: str, *, user: User | None = None) -> Ticket:
    from dispatcher.store.tickets.writes import get_ticket, parse_ref

    ticket = get_ticket(session, ticket_id=parse_ref(ref))
    if user is not None:
        _may_act(session, user=user, ticket=ticket)
    return ticket


def _version(ticket: Ticket, expected: int | None) -> int:
    return ticket.version if expected is None else expected


def _zone(user: User) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        from datetime import UTC

        return UTC


def _text(value: str, *, option: str) -> str:
    """A text option; `-` reads it from standard input."""
    if value == "-":
        value = sys.stdin.read()
    if "\x00" in value:
        fail(f"{option}: text cannot contain a NUL character")
    return value


# --- output -----------------------------------------------------------------------------


def _brief(session: Session, ticket: Ticket) -> dict[str, Any]:
    from dispatcher.store.models import User as UserRow
    from dispatcher.store.tickets.export import iso

    assignee = session.get(UserRow, ticket.assignee_id) if ticket.assignee_id else None
    return {
        "ref": ticket.ref,
        "id": ticket.id,
        "version": ticket.version,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "assignee": assignee.login if assignee else None,
        "first_response_due": iso(ticket.first_response_due),
        "first_responded_at": iso(ticket.first_responded_at),
        "resolution_due": iso(ticket.resolution_due),
    }


def _done(result: dict[str, Any], line: str, as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        echo(f"{line} (v{result['version']})")


# --- commands ---------------------------------------------------------------------------


@app.command("show")
def show(ctx: typer.Context, ref: Ref, as_json: Json = False) -> None:
    """The ticket: fields, version, thread and history (times in your own zone)."""
    from sqlmodel import col, select

    from dispatcher.store.models import TicketEvent
    from dispatcher.store.tickets import export
    from dispatcher.store.tickets.history import describe, names_for

    with state(ctx).store().read() as session:
        ticket = _ticket(session, ref)
        item = export.ticket_dict(session, ticket_id=ticket.id or 0)
        item = {"id": ticket.id, "version": ticket.version, **item}
        if as_json:
            print_json(item)
            return
        zone = _reader_zone(ctx, session)
        events = session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(col(TicketEvent.id))
        ).all()
        names = names_for(session, events)
    echo("\n".join(_shown(item, zone, names, describe)))


def _reader_zone(ctx: typer.Context, session: Session) -> Any:
    """The zone of whoever reads (`--as`, else the OS login), UTC for a stranger."""
    from datetime import UTC

    from sqlmodel import select

    from dispatcher.identity import os_login
    from dispatcher.store.models import User as UserRow

    login = (state(ctx).login or os_login() or "").strip()
    user = session.exec(select(UserRow).where(UserRow.login == login)).first() if login else None
    return _zone(user) if user is not None else UTC


def _shown(item: dict[str, Any], zone: Any, names: Any, describe: Any) -> list[str]:
    """The ticket as a person reads it: words from the vocabulary, times in `zone`."""
    from datetime import datetime

    from dispatcher import vocabulary
    from dispatcher.text import plain, when

    def at(value: str | None) -> str:
        return when(datetime.fromisoformat(value), zone, year=True) if value else "—"

    lines = [f"{item['ref']}  {plain(item['subject'])}  (v{item['version']})"]
    words = {
        "status": vocabulary.status,
        "priority": vocabulary.priority,
        "channel": vocabulary.channel,
    }
    for name in ("status", "priority", "channel", "client", "contact", "category", "queue"):
        if item.get(name) is not None:
            value = words[name](item[name]) if name in words else plain(str(item[name]))
            lines.append(f"  {name}: {value}")
    if item.get("assignee") is not None:
        lines.append(f"  assignee: {item['assignee']}")
    for name, label in (
        ("first_response_due", "first response due"),
        ("first_responded_at", "first response"),
        ("resolution_due", "resolution due"),
    ):
        if item.get(name) is not None:
            lines.append(f"  {label}: {at(item[name])}")
    lines += ["", f"messages ({len(item['messages'])}):"]
    for message in item["messages"]:
        who = plain(message["author"] or message["from"] or "")
        kind = vocabulary.message_kind(message["kind"])
        lines.append(f"  [{at(message['created_at'])}] {kind} {who}".rstrip())
        if message["kind"] == "call" and message.get("subject"):
            lines.append(f"    {plain(message['subject'])}")
        lines += [f"    {plain(line)}" for line in message["body"].splitlines()]
    lines += ["", "history:"]
    for event in item["events"]:
        line = f"  {at(event['at'])}  {describe(event['kind'], event['data'], names)}"
        line += f" by {event['actor'] or vocabulary.word('the system')}"
        if event["reason"]:
            line += f" ({plain(event['reason'])})"
        lines.append(line)
    return lines


@app.command("assign")
def assign(
    ctx: typer.Context,
    ref: Ref,
    assignee: Annotated[
        str | None,
        typer.Argument(help="Login of the engineer (default: the one suggested)"),
    ] = None,
    nobody: Annotated[bool, typer.Option("--nobody", help="Take the ticket back")] = False,
    reason: Reason = "",
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Assign the ticket (the suggestion is recorded, so an override shows in history)."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.people.users import resolve_user
    from dispatcher.store.tickets.routing import suggest_assignee
    from dispatcher.store.tickets.writes import assign as assign_ticket

    if nobody and assignee is not None:
        fail("give a login or --nobody, not both")
    now = utcnow()
    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        suggestion = suggest_assignee(session, ticket_id=ticket.id or 0, now=now)
        if nobody:
            target_id = None
        elif assignee is not None:
            target_id = resolve_user(session, ref=assignee).id
        elif suggestion.chosen_id is None:
            fail(f"nobody can take {ticket.ref} now ({suggestion.reason}): give a login")
        else:
            target_id = suggestion.chosen_id
        why = reason or (suggestion.reason if target_id == suggestion.chosen_id else "override")
        ticket = assign_ticket(
            session,
            ticket_id=ticket.id or 0,
            expected_version=_version(ticket, expect),
            actor_id=user.id,
            assignee_id=target_id,
            suggested_id=suggestion.chosen_id,
            reason=why,
            now=now,
        )
        result = _brief(session, ticket)
    _done(result, f"{result['ref']} assigned to {result['assignee'] or 'nobody'}", as_json)


@app.command("take")
def take(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="The ticket's reference, or 'next' for the most urgent one")
    ],
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Take the ticket yourself: assigned to you and in progress."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.tickets import taking

    now = utcnow()
    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        if ref.strip().lower() == "next":
            if expect is not None:
                fail("--expect-version needs a ticket reference, not 'next'")
            taken = taking.take_next(session, user_id=user.id or 0, now=now)
            if taken is None:
                fail(f"no ticket for {user.login} to take now")
            ticket = taken
        else:
            ticket = _ticket(session, ref, user=user)
            ticket = taking.take(
                session,
                ticket_id=ticket.id or 0,
                expected_version=_version(ticket, expect),
                user_id=user.id or 0,
                now=now,
            )
        result = _brief(session, ticket)
    _done(result, f"{result['ref']} taken by {result['assignee']}", as_json)


@app.command("status")
def status(
    ctx: typer.Context,
    ref: Ref,
    new_status: Annotated[
        str,
        typer.Argument(
            metavar="STATUS",
            help="in_progress, waiting_client, resolved, closed, open, ... ",
        ),
    ],
    reason: Reason = "",
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Change the ticket's status (waiting_client pauses the SLA clock)."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.domain.enums import TicketStatus
    from dispatcher.store.tickets.writes import change_status

    wanted = new_status.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        target = TicketStatus(wanted)
    except ValueError:
        allowed = ", ".join(s.value for s in TicketStatus if s != TicketStatus.merged)
        fail(f"status must be one of {allowed}, not {new_status!r}")
    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        ticket = change_status(
            session,
            ticket_id=ticket.id or 0,
            expected_version=_version(ticket, expect),
            actor_id=user.id,
            status=target,
            reason=reason,
            now=utcnow(),
        )
        result = _brief(session, ticket)
    _done(result, f"{result['ref']} is {result['status']}", as_json)


def _send(
    ctx: typer.Context,
    *,
    kind: Any,
    ref: str,
    body: str,
    subject: str,
    expect: int | None,
    login: str | None,
) -> dict[str, Any]:
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.replies.compose import send

    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        message_id = send(
            session,
            ticket_id=ticket.id or 0,
            kind=kind,
            subject=subject,
            body=body,
            sender_id=user.id or 0,
            expected_version=_version(ticket, expect),
            now=utcnow(),
        )
        result = _brief(session, ticket)
        result["message_id"] = message_id
    return result


Body = Annotated[str, typer.Option("--body", help="The text ('-' reads standard input)")]


@app.command("reply")
def reply(
    ctx: typer.Context,
    ref: Ref,
    body: Body,
    subject: Annotated[
        str, typer.Option("--subject", help="Subject (default: Re: the ticket's)")
    ] = "",
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """A public reply: mailed to the contact's email, meets the first response. The text
    is sent as typed."""
    from dispatcher.domain.enums import MessageKind

    result = _send(
        ctx,
        kind=MessageKind.reply,
        ref=ref,
        body=_text(body, option="--body"),
        subject=_text(subject, option="--subject"),
        expect=expect,
        login=login,
    )
    _done(result, f"reply queued for mail on {result['ref']}", as_json)


@app.command("note")
def note(
    ctx: typer.Context,
    ref: Ref,
    body: Body,
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """An internal note: never leaves the team, never counts as a response."""
    from dispatcher.domain.enums import MessageKind

    result = _send(
        ctx,
        kind=MessageKind.note,
        ref=ref,
        body=_text(body, option="--body"),
        subject="",
        expect=expect,
        login=login,
    )
    _done(result, f"note added to {result['ref']}", as_json)


@app.command("call")
def call(
    ctx: typer.Context,
    ref: Ref,
    summary: Annotated[
        str, typer.Option("--summary", help="What was said ('-' reads standard input)")
    ],
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Who was on the line: a contact of the ticket's client (name, email, "
            "phone or id), or anybody in words (default: the ticket's contact)",
        ),
    ] = None,
    incoming: Annotated[
        bool, typer.Option("--incoming", help="The client called (default: we called)")
    ] = False,
    minutes: Annotated[
        int | None, typer.Option("--minutes", min=0, max=24 * 60, help="How long it took")
    ] = None,
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Log a call with the client: it is a public response (it meets the first response)."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.domain.errors import NotFoundError
    from dispatcher.store.clients.contacts import resolve_contact
    from dispatcher.store.tickets.calls import CallDirection, log_call

    text = _text(summary, option="--summary")
    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        contact_id, party = ticket.contact_id, ""
        if to is not None:
            if "\x00" in to:
                fail("--to: text cannot contain a NUL character")
            try:
                contact_id = resolve_contact(session, ref=to, client_id=ticket.client_id).id
            except NotFoundError:
                contact_id, party = None, to
        if contact_id is None and not party:
            fail(f"{ticket.ref} has no contact: say who was on the line with --to")
        logged = log_call(
            session,
            ticket_id=ticket.id or 0,
            expected_version=_version(ticket, expect),
            actor_id=user.id,
            summary=text,
            contact_id=contact_id,
            party=party,
            direction=CallDirection.incoming if incoming else CallDirection.outgoing,
            minutes=minutes,
            now=utcnow(),
        )
        result = _brief(session, ticket)
        result["message_id"] = logged.message_id
        result["call"] = {
            "direction": logged.direction.value,
            "with": logged.party,
            "contact_id": logged.contact_id,
            "minutes": logged.minutes,
        }
    _done(result, f"call with {logged.party} logged on {result['ref']}", as_json)


@app.command("escalate")
def escalate(
    ctx: typer.Context,
    ref: Ref,
    to: Annotated[str | None, typer.Option("--to", help="A colleague's login")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="An external vendor")] = None,
    vendor_ref: Annotated[str, typer.Option("--vendor-ref", help="Their reference")] = "",
    promised: Annotated[
        str | None,
        typer.Option("--promised", help=f"When they promised it ({TIME_HELP}, your time zone)"),
    ] = None,
    check_in: Annotated[
        str | None,
        typer.Option("--check-in", help=f"When to ask them next ({TIME_HELP}, your time zone)"),
    ] = None,
    note_text: Annotated[str, typer.Option("--note", help="What was handed over")] = "",
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Hand the ticket to a more qualified colleague or to an external vendor."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.domain.enums import EscalationTarget
    from dispatcher.store.people.users import resolve_user
    from dispatcher.store.tickets.relations import escalate as escalate_ticket

    if (to is None) == (vendor is None):
        fail("give either --to LOGIN (a colleague) or --vendor NAME")
    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        zone = _zone(user)
        colleague = resolve_user(session, ref=to) if to is not None else None
        if colleague is not None and colleague.id == user.id:
            fail("escalate to somebody else: you cannot escalate to yourself")
        escalate_ticket(
            session,
            ticket_id=ticket.id or 0,
            expected_version=_version(ticket, expect),
            actor_id=user.id,
            target=EscalationTarget.colleague if colleague else EscalationTarget.vendor,
            to_user_id=colleague.id if colleague else None,
            vendor=vendor or "",
            vendor_ref=vendor_ref,
            promised_at=parse_instant(promised, option="--promised", zone=zone)
            if promised
            else None,
            next_checkin_at=parse_instant(check_in, option="--check-in", zone=zone)
            if check_in
            else None,
            note=note_text,
            now=utcnow(),
        )
        result = _brief(session, ticket)
    whom = f"colleague {to}" if to is not None else f"vendor {vendor}"
    _done(result, f"{result['ref']} escalated to {whom}", as_json)


@app.command("classify")
def classify(
    ctx: typer.Context,
    ref: Ref,
    category: Annotated[str | None, typer.Option("--category", help="Name or id")] = None,
    priority: Annotated[
        str | None, typer.Option("--priority", help="low, normal, high or urgent")
    ] = None,
    client: Annotated[str | None, typer.Option("--client", help="Name or id")] = None,
    contact: Annotated[
        str | None,
        typer.Option("--contact", help="The caller: name, email, phone or id"),
    ] = None,
    contract: Annotated[str | None, typer.Option("--contract", help="Contract number")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="A clearer subject")] = None,
    reason: Reason = "",
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Set what the ticket is about; only what is given changes."""
    from sqlmodel import select

    from dispatcher.domain.clock import utcnow
    from dispatcher.store.clients.clients import resolve_client
    from dispatcher.store.clients.contacts import resolve_contact
    from dispatcher.store.models import Contact, Contract
    from dispatcher.store.tickets.classification import parse_priority, resolve_category
    from dispatcher.store.tickets.writes import classify as classify_ticket

    changes: dict[str, Any] = {}
    if priority is not None:
        changes["priority"] = parse_priority(priority)
    if subject is not None:
        changes["subject"] = _text(subject, option="--subject")
    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        if category is not None:
            changes["category_id"] = resolve_category(session, ref=category).id
        client_id = ticket.client_id
        if client is not None:
            client_id = changes["client_id"] = resolve_client(session, ref=client).id
            current = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
            if current is not None and current.client_id != client_id:
                changes["contact_id"] = None  # the old client's caller cannot stay
        if contact is not None:
            changes["contact_id"] = resolve_contact(session, ref=contact, client_id=client_id).id
        if contract is not None:
            row = session.exec(select(Contract).where(Contract.number == contract.strip())).first()
            if row is None:
                fail(f"no contract {contract!r}")
            changes["contract_id"] = row.id
        if not changes:
            fail("nothing to change: give --category, --priority, --client, --contact, ...")
        ticket = classify_ticket(
            session,
            ticket_id=ticket.id or 0,
            expected_version=_version(ticket, expect),
            actor_id=user.id,
            reason=reason,
            now=utcnow(),
            **changes,
        )
        result = _brief(session, ticket)
    fields = ", ".join(k.removesuffix("_id") for k in changes)
    _done(result, f"{result['ref']} classified: {fields}", as_json)


@app.command("merge")
def merge(
    ctx: typer.Context,
    ref: Ref,
    into: Annotated[str, typer.Argument(help="The ticket it duplicates, like #1040")],
    reason: Reason = "",
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Merge a duplicate into another ticket: its messages move there."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.tickets.relations import merge as merge_ticket

    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        target = _ticket(session, into, user=user)
        merge_ticket(
            session,
            ticket_id=ticket.id or 0,
            into_id=target.id or 0,
            expected_version=_version(ticket, expect),
            actor_id=user.id,
            reason=reason,
            now=utcnow(),
        )
        result = _brief(session, ticket)
        result["into"] = target.ref
    _done(result, f"{result['ref']} merged into {result['into']}", as_json)


@app.command("link")
def link(
    ctx: typer.Context,
    ref: Ref,
    other: Annotated[str, typer.Argument(help="The other ticket, like #1040")],
    kind: Annotated[str, typer.Option("--kind", help="related, duplicate or parent")] = "related",
    expect: Expect = None,
    login: As = None,
    as_json: Json = False,
) -> None:
    """Tie the ticket to another one."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.domain.enums import LinkKind
    from dispatcher.store.tickets.relations import link as link_tickets
    from dispatcher.store.tickets.writes import lock_for_write

    try:
        link_kind = LinkKind(kind.strip().lower())
    except ValueError:
        fail(f"kind must be one of {', '.join(k.value for k in LinkKind)}, not {kind!r}")
    with state(ctx).store().write() as session:
        user = _operator(ctx, session, login)
        ticket = _ticket(session, ref, user=user)
        target = _ticket(session, other, user=user)
        # Linking changes no field, so the store takes no version; a stale one is refused
        # all the same, as in the console.
        lock_for_write(session, ticket_id=ticket.id or 0, expected_version=expect)
        link_tickets(
            session,
            ticket_id=ticket.id or 0,
            other_id=target.id or 0,
            kind=link_kind,
            actor_id=user.id,
            now=utcnow(),
        )
        result = _brief(session, ticket)
        result["other"] = target.ref
        result["link"] = link_kind.value
    _done(result, f"{result['ref']} linked to {result['other']} ({link_kind.value})", as_json)
