"""`dispatcher admin outbox ...`: mail waiting to go out, sent, failed or cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import (
    acting_user_id,
    fail,
    id_parser,
    print_json,
    print_table,
    sanitize,
    state,
)

if TYPE_CHECKING:
    from dispatcher.store.mail.outbox_admin import OutboxView

app = typer.Typer(
    help="The outbox: mail to send, sent, failed, cancelled; retry or cancel one.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
ItemId = Annotated[int, typer.Argument(help="Id from 'outbox list'", parser=id_parser)]
AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this user (default: the global --as)")
]


def _data(view: OutboxView, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": view.id,
        "ticket": view.ticket_id,
        "kind": view.kind,
        "status": view.status,
        "to": view.to_addresses,
        "cc": view.cc_addresses,
        "subject": view.subject,
        "attempts": view.attempts,
        "next_attempt_at": view.next_attempt_at,
        "last_error": view.last_error,
        "created_at": view.created_at,
        "sent_at": view.sent_at,
    }
    if full:
        data |= {"message_id": view.message_id, "headers": view.headers, "body": view.body}
    return data


@app.command("list")
def outbox_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="pending, sending, sent, failed or cancelled"),
    ] = None,
    ticket: Annotated[str | None, typer.Option("--ticket", help="Only mail about it")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100_000, help="At most this many")
    ] = 200,
    as_json: JsonOption = False,
) -> None:
    """Outgoing mail, newest first."""
    from dispatcher.domain.enums import OutboxStatus
    from dispatcher.store.mail import outbox_admin
    from dispatcher.store.tickets.writes import parse_ref

    wanted = None
    if status is not None:
        try:
            wanted = OutboxStatus(status.strip().lower())
        except ValueError:
            fail(f"--status must be one of {', '.join(s.value for s in OutboxStatus)}")
    ticket_id = parse_ref(ticket) if ticket is not None else None
    with state(ctx).store().read() as session:
        rows = outbox_admin.list_outbox(session, status=wanted, ticket_id=ticket_id, limit=limit)
    if as_json:
        print_json([_data(v) for v in rows])
        return
    print_table(
        ["id", "created", "ticket", "kind", "status", "to", "tries", "last error"],
        [
            [
                v.id,
                f"{v.created_at:%Y-%m-%d %H:%M}",
                f"#{v.ticket_id}" if v.ticket_id is not None else "",
                v.kind,
                v.status.value,
                v.to_addresses,
                v.attempts,
                v.last_error,
            ]
            for v in rows
        ],
    )


@app.command("show")
def outbox_show(ctx: typer.Context, item_id: ItemId, as_json: JsonOption = False) -> None:
    """One outgoing mail in full: its state, headers and text."""
    from dispatcher.store.mail import outbox_admin

    with state(ctx).store().read() as session:
        view = outbox_admin.show(session, item_id=item_id)
    if as_json:
        print_json(_data(view, full=True))
        return
    ticket = f" about #{view.ticket_id}" if view.ticket_id is not None else ""
    typer.echo(f"#{view.id}: {view.kind}{ticket}, {view.status.value}, {view.attempts} tries")
    typer.echo(sanitize(f"to: {view.to_addresses}"))
    if view.cc_addresses:
        typer.echo(sanitize(f"cc: {view.cc_addresses}"))
    typer.echo(sanitize(f"subject: {view.subject}"))
    if view.last_error:
        typer.echo(sanitize(f"last error: {view.last_error}"))
    typer.echo("")
    typer.echo(sanitize(view.body))


@app.command("retry")
def outbox_retry(ctx: typer.Context, item_id: ItemId, as_json: JsonOption = False) -> None:
    """Send a failed, cancelled or waiting mail at the sender's next run."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.mail import outbox_admin

    with state(ctx).store().write() as session:
        view = outbox_admin.retry(session, item_id=item_id, now=utcnow())
    if as_json:
        print_json(_data(view))
        return
    typer.echo(f"outbox item {item_id} goes at the sender's next run")


@app.command("cancel")
def outbox_cancel(
    ctx: typer.Context,
    item_id: ItemId,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the ticket's history")] = "",
    login: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Never send a mail that has not gone yet (the ticket's history records it)."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.mail import outbox_admin

    with state(ctx).store().write() as session:
        actor_id = acting_user_id(ctx, session, login)
        view = outbox_admin.cancel(
            session, item_id=item_id, actor_id=actor_id, now=utcnow(), reason=reason
        )
    if as_json:
        print_json(_data(view))
        return
    typer.echo(f"outbox item {item_id} cancelled; it will not be sent")
