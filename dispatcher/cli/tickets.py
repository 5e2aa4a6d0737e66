"""`dispatcher admin tickets ...`: create, list, show, import and export tickets; list and
save their attachments."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from dispatcher.cli._common import (
    TIME_HELP,
    acting_user_id,
    checked_path,
    echo,
    fail,
    id_parser,
    parse_instant,
    path_parser,
    print_json,
    print_table,
    progress,
    sanitize,
    state,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from dispatcher.store.models import Ticket

app = typer.Typer(help="Tickets: create, import, export.", no_args_is_help=True)
attachment_app = typer.Typer(
    help="The attachments of a ticket's messages: list them, save one.", no_args_is_help=True
)
app.add_typer(attachment_app, name="attachment")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this user (default: the global --as)")
]
FormatOption = Annotated[
    str | None,
    typer.Option("--format", help="json or csv (default: from the file name, else json)"),
]
StatusOption = Annotated[
    list[str] | None,
    typer.Option("--status", help="Only tickets in this status (repeatable, or comma-separated)"),
]


def _statuses(values: list[str] | None) -> tuple[Any, ...]:
    from dispatcher.domain.enums import TicketStatus

    result = []
    for value in values or []:
        for part in value.split(","):
            part = part.strip().lower()
            if not part:
                continue
            try:
                result.append(TicketStatus(part))
            except ValueError:
                allowed = ", ".join(s.value for s in TicketStatus)
                fail(f"status must be one of {allowed}, not {part!r}")
    return tuple(result)


def _format(fmt: str | None, path: str | None) -> str:
    if fmt is None:
        return "csv" if path and path.lower().endswith(".csv") else "json"
    fmt = fmt.strip().lower()
    if fmt not in ("json", "csv"):
        fail(f"format must be json or csv, not {fmt!r}")
    return fmt


@app.command("create")
def create(
    ctx: typer.Context,
    client: Annotated[str, typer.Option("--client", help="Client name or id")],
    subject: Annotated[str, typer.Option("--subject", help="What the request is about")],
    body: Annotated[str, typer.Option("--body", help="The request as the client said it")] = "",
    priority: Annotated[
        str | None, typer.Option("--priority", help="low, normal, high or urgent")
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option("--contact", help="The client's contact: name, email, phone or id"),
    ] = None,
    category: Annotated[str | None, typer.Option("--category", help="Category name or id")] = None,
    channel: Annotated[
        str, typer.Option("--channel", help="email, phone, chat, web or walk_in")
    ] = "phone",
    login: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a request; prints its reference (like #1042)."""
    from dispatcher.domain.enums import Channel, Priority
    from dispatcher.store.clients.clients import resolve_client
    from dispatcher.store.clients.contacts import resolve_contact
    from dispatcher.store.tickets.classification import resolve_category
    from dispatcher.store.tickets.writes import NewTicket, create_ticket

    try:
        wanted_channel = Channel(channel.strip().lower())
    except ValueError:
        fail(f"channel must be one of {', '.join(c.value for c in Channel)}, not {channel!r}")
    wanted_priority: Priority | None = None
    if priority is not None:
        try:
            wanted_priority = Priority(priority.strip().lower())
        except ValueError:
            allowed = ", ".join(p.value for p in Priority)
            fail(f"priority must be one of {allowed}, not {priority!r}")
    with state(ctx).store().write() as session:
        actor_id = acting_user_id(ctx, session, login)
        client_row = resolve_client(session, ref=client)
        contact_row = (
            resolve_contact(session, ref=contact, client_id=client_row.id) if contact else None
        )
        category_row = resolve_category(session, ref=category) if category else None
        if wanted_priority is None:
            wanted_priority = (
                category_row.default_priority if category_row else None
            ) or Priority.normal
        ticket = create_ticket(
            session,
            data=NewTicket(
                subject=subject,
                body=body,
                client_id=client_row.id,
                contact_id=contact_row.id if contact_row else None,
                priority=wanted_priority,
                channel=wanted_channel,
                category_id=category_row.id if category_row else None,
            ),
            actor_id=actor_id,
        )
        result = _brief(ticket)
    if as_json:
        print_json(result)
    else:
        typer.echo(result["ref"])


def _brief(ticket: Ticket) -> dict[str, Any]:
    from dispatcher.store.tickets.export import iso

    return {
        "ref": ticket.ref,
        "id": ticket.id,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "first_response_due": iso(ticket.first_response_due),
        "resolution_due": iso(ticket.resolution_due),
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    status: StatusOption = None,
    client: Annotated[str | None, typer.Option("--client", help="Client name or id")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help="At most this many")
    ] = 50,
    as_json: JsonOption = False,
) -> None:
    """Tickets, newest first."""
    from dispatcher.store.clients.clients import resolve_client
    from dispatcher.store.tickets import export

    statuses = _statuses(status)
    with state(ctx).store().read() as session:
        filters = export.ExportFilter(
            statuses=statuses,
            client_id=resolve_client(session, ref=client).id if client else None,
        )
        rows = export.list_tickets(session, filters=filters, limit=limit)
    if as_json:
        print_json(rows)
        return
    print_table(
        ["ref", "status", "priority", "client", "assignee", "created", "subject"],
        [
            [
                r["ref"],
                r["status"],
                r["priority"],
                r["client"] or "",
                r["assignee"] or "",
                r["created_at"][:16].replace("T", " "),
                r["subject"],
            ]
            for r in rows
        ],
    )


def _rating(session: Session, *, ticket_id: int) -> dict[str, Any] | None:
    """The ticket's latest CSAT rating (1-5), or None."""
    from sqlmodel import col, select

    from dispatcher.domain.enums import RatingKind
    from dispatcher.store.models import Rating
    from dispatcher.store.tickets.export import iso

    rating = session.exec(
        select(Rating)
        .where(Rating.ticket_id == ticket_id, Rating.kind == RatingKind.csat)
        .order_by(col(Rating.at).desc(), col(Rating.id).desc())
    ).first()
    if rating is None:
        return None
    return {"score": rating.score, "of": 5, "at": iso(rating.at), "comment": rating.comment}


def _with_attachments(session: Session, item: dict[str, Any], *, ticket_id: int) -> None:
    """Each message's row id and attachments, the ticket's attachments and its rating."""
    from sqlmodel import select

    from dispatcher.store.mail.attachments import ticket_attachments
    from dispatcher.store.models import Message

    row_ids = dict(
        session.exec(
            select(Message.message_id, Message.id).where(Message.ticket_id == ticket_id)
        ).all()
    )
    listed = [
        {"message": a.message_id, "name": a.name, "content_type": a.content_type, "size": a.size}
        for a in ticket_attachments(session, ticket_id=ticket_id)
    ]
    for message in item["messages"]:
        message["id"] = row_ids.get(message["message_id"])
        message["attachments"] = [
            {k: v for k, v in a.items() if k != "message"}
            for a in listed
            if a["message"] == message["id"]
        ]
    item["attachments"] = listed
    item["rating"] = _rating(session, ticket_id=ticket_id)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The ticket's reference, like #1042")],
    as_json: JsonOption = False,
) -> None:
    """One ticket: its fields, rating, messages (with their attachments) and history."""
    from dispatcher.domain.sizes import human_size
    from dispatcher.store.tickets import export
    from dispatcher.store.tickets.history import describe
    from dispatcher.store.tickets.writes import parse_ref

    ticket_id = parse_ref(ref)
    with state(ctx).store().read() as session:
        item = export.ticket_dict(session, ticket_id=ticket_id)
        _with_attachments(session, item, ticket_id=ticket_id)
    if as_json:
        print_json(item)
        return
    fields = [
        "status",
        "priority",
        "channel",
        "client",
        "contact",
        "category",
        "queue",
        "assignee",
        "created_at",
        "updated_at",
        "first_response_due",
        "resolution_due",
        "resolved_at",
        "closed_at",
    ]
    lines = [f"{item['ref']}  {item['subject']}"]
    lines += [f"  {name}: {item[name]}" for name in fields if item.get(name) is not None]
    if item["rating"] is not None:
        rating = item["rating"]
        lines.append(f"  rating: {rating['score']} of 5 ({rating['at']})")
    lines.append("")
    lines.append(f"messages ({len(item['messages'])}):")
    for message in item["messages"]:
        who = message["from"] or message["author"] or ""
        head = f"  [{message['created_at']}] {message['kind']} {who}".rstrip()
        lines.append(f"{head}  (message {message['id']})")
        lines += [f"    {line}" for line in message["body"].splitlines()]
        for a in message["attachments"]:
            lines.append(
                f"    attachment: {a['name']} ({a['content_type']}, {human_size(a['size'])})"
            )
    lines.append("")
    lines.append("history:")
    for event in item["events"]:
        actor = event["actor"] or "system"
        line = f"  {event['at']}  {describe(event['kind'], event['data'])} by {actor}"
        if event["reason"]:
            line += f" ({event['reason']})"
        lines.append(line)
    typer.echo(sanitize("\n".join(lines)))


@attachment_app.command("list")
def attachment_list(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The ticket's reference, like #1042")],
    as_json: JsonOption = False,
) -> None:
    """The ticket's attachments in message order: message id, name, type and size."""
    from dispatcher.domain.sizes import human_size
    from dispatcher.store.mail.attachments import ticket_attachments
    from dispatcher.store.tickets.writes import parse_ref

    with state(ctx).store().read() as session:
        listed = ticket_attachments(session, ticket_id=parse_ref(ref))
    if as_json:
        print_json(
            [
                {
                    "message": a.message_id,
                    "name": a.name,
                    "content_type": a.content_type,
                    "size": a.size,
                }
                for a in listed
            ]
        )
        return
    print_table(
        ["message", "name", "type", "size"],
        [[a.message_id, a.name, a.content_type, human_size(a.size)] for a in listed],
    )


@attachment_app.command("save")
def attachment_save(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The ticket's reference, like #1042")],
    name: Annotated[str, typer.Argument(help="The attachment's name, as 'tickets show' lists it")],
    to: Annotated[
        Path,
        typer.Option("--to", help="The folder to save it in (it must exist)", parser=path_parser),
    ],
    message: Annotated[
        int | None,
        typer.Option(
            "--message",
            help="The message's id ('tickets show' lists it), when several have that name",
            parser=id_parser,
        ),
    ] = None,
) -> None:
    """Save one attachment into a folder; prints the file written (never over another file)."""
    from dispatcher.store.mail.attachments import save_attachment
    from dispatcher.store.tickets.writes import parse_ref

    ticket_id = parse_ref(ref)
    with state(ctx).store().read() as session:
        try:
            path = save_attachment(
                session, ticket_id=ticket_id, name=name, to_dir=to, message_id=message
            )
        except OSError as exc:
            fail(f"cannot write into {to}: {exc.strerror or exc}")
    echo(str(path))


@app.command("export")
def export(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="File to write, or - for stdout")] = "-",
    fmt: FormatOption = None,
    status: StatusOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help=f"Only tickets created on or after this date or time ({TIME_HELP}, "
            "this computer's local time)",
        ),
    ] = None,
    client: Annotated[str | None, typer.Option("--client", help="Client name or id")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file")] = False,
    no_content: Annotated[
        bool,
        typer.Option(
            "--no-attachment-content",
            help="JSON: list attachments (name, type, size, SHA-256) without their content",
        ),
    ] = False,
) -> None:
    """Export tickets as JSON (with messages, history, ratings, escalations, links and
    attachments) or CSV (one row per ticket)."""
    from dispatcher.store.clients.clients import resolve_client
    from dispatcher.store.tickets import export

    kind = _format(fmt, None if target == "-" else target)
    store = state(ctx).store()
    with store.read() as session:
        filters = export.ExportFilter(
            statuses=_statuses(status),
            since=parse_instant(since, option="--since") if since is not None else None,
            client_id=resolve_client(session, ref=client).id if client else None,
        )
        total = export.count_tickets(session, filters=filters)
    path = None if target == "-" else checked_path(target)
    if path is not None and path.exists() and not force:
        fail(f"{path} exists; add --force to overwrite it")
    with _output(path) as out, progress("exporting tickets", total=total) as bar:
        task = bar.task_ids[0]

        def counted(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for n, item in enumerate(rows, start=1):
                yield item
                if n % 100 == 0:
                    bar.update(task, completed=n)

        rows = counted(
            export.iter_export(
                store, filters=filters, with_history=kind == "json", with_content=not no_content
            )
        )
        if kind == "json":
            count = export.write_json(rows, out)
        else:
            count = export.write_csv(rows, out)
        bar.update(task, completed=count)
    if path is not None:
        echo(f"exported {count} ticket{'s' if count != 1 else ''} to {path}", err=True)


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or the file written whole: a temporary file renamed into place on success."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(partial, path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    finally:
        partial.unlink(missing_ok=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[
        Path, typer.Argument(help="JSON or CSV file made by export", parser=path_parser)
    ],
    fmt: FormatOption = None,
    create_missing: Annotated[
        bool,
        typer.Option("--create-missing", help="Create clients and contacts the database lacks"),
    ] = False,
    renumber: Annotated[
        bool, typer.Option("--renumber", help="Give every ticket a new number")
    ] = False,
    login: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import tickets; importing the same file again skips what is already there."""
    from dispatcher.store.tickets import importing, records

    kind = _format(fmt, str(source))
    path = source.expanduser()
    if not path.is_file():
        fail(f"no file {path}")
    store = state(ctx).store()
    with store.read() as session:
        actor_id = acting_user_id(ctx, session, login)

    def raw_records() -> Iterator[dict[str, Any]]:
        try:
            with path.open(encoding="utf-8", newline="") as stream:
                reader = records.read_json if kind == "json" else records.read_csv
                yield from reader(stream)
        except UnicodeDecodeError:
            fail(f"{path} is not UTF-8 text")
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror or exc}")

    with progress("importing tickets", total=None) as bar:
        task = bar.task_ids[0]

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = importing.import_tickets(
            store,
            source=raw_records,
            actor_id=actor_id,
            create_missing=create_missing,
            renumber=renumber,
            on_progress=step,
        )
    if as_json:
        print_json(report.as_dict())
        return
    typer.echo(
        f"imported {report.imported} of {report.total} tickets, "
        f"{report.duplicates} already there (skipped)"
    )
    if report.renumbered:
        shown = ", ".join(f"{a} -> {b}" for a, b in list(report.renumbered.items())[:20])
        more = len(report.renumbered) - 20
        typer.echo(
            f"{len(report.renumbered)} got new numbers: {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    for name in report.created_clients:
        typer.echo(sanitize(f"created client {name}"))
    for name in report.created_contacts:
        typer.echo(sanitize(f"created contact {name}"))
    if report.nps_answers:
        typer.echo(f"{report.nps_answers} NPS answers without a ticket")
    if report.links_kept_as_notes:
        typer.echo(f"{report.links_kept_as_notes} links to tickets not in the file kept as notes")
    if report.attachments_without_content:
        typer.echo(
            f"{report.attachments_without_content} attachments without content "
            "(listed in the ticket's history)"
        )
