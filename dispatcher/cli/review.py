"""`dispatcher admin intake review ...`: mail held because its sender may not write to the
ticket it claims (not the ticket's contact, not on its thread, not the client's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import (
    acting_user_id,
    id_parser,
    print_json,
    print_table,
    sanitize,
    state,
)

if TYPE_CHECKING:
    from dispatcher.store.mail.review import HeldView

app = typer.Typer(
    help="Mail held for review: it claims a ticket its sender may not write to.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
HeldId = Annotated[int, typer.Argument(help="Id from 'review list'", parser=id_parser)]
AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this user (default: the global --as)")
]


def _data(view: HeldView, *, body: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": view.id,
        "ticket": view.ticket_id,
        "from": view.from_address,
        "from_name": view.from_name,
        "subject": view.subject,
        "reason": view.reason,
        "received_at": view.received_at,
        "source": view.source,
        "size": view.size,
        "attachments": view.attachments,
        "decision": view.decision,
        "decided_at": view.decided_at,
        "accepted_into": view.accepted_ticket_id,
    }
    if body:
        data["body"] = view.body
    return data


@app.command("list")
def review_list(
    ctx: typer.Context,
    everything: Annotated[
        bool, typer.Option("--all", help="Include accepted and rejected messages")
    ] = False,
    ticket: Annotated[str | None, typer.Option("--ticket", help="Only those claiming it")] = None,
    as_json: JsonOption = False,
) -> None:
    """Held messages: the ticket each claims, its sender and why it was held."""
    from dispatcher.store.mail import review
    from dispatcher.store.tickets.writes import parse_ref

    ticket_id = parse_ref(ticket) if ticket is not None else None
    with state(ctx).store().read() as session:
        rows = review.held_mail(session, include_decided=everything, ticket_id=ticket_id)
    if as_json:
        print_json([_data(v) for v in rows])
        return
    print_table(
        ["id", "received", "claims", "from", "subject", "why held", "decision"],
        [
            [
                v.id,
                f"{v.received_at:%Y-%m-%d %H:%M}",
                f"#{v.ticket_id}",
                v.from_address,
                v.subject,
                v.reason,
                v.decision.value if v.decision else "",
            ]
            for v in rows
        ],
    )


@app.command("show")
def review_show(
    ctx: typer.Context,
    held_id: HeldId,
    raw: Annotated[
        bool, typer.Option("--raw", help="Write the message's raw bytes to stdout")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """One held message: why it was held and its text (or, with --raw, its bytes)."""
    import sys

    from dispatcher.store.mail import review

    with state(ctx).store().read() as session:
        row = review.get_held(session, held_id=held_id)
        view, data = review.HeldView.of(row), row.raw
    if raw:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    if as_json:
        print_json(_data(view, body=True))
        return
    typer.echo(f"#{view.id}: claims #{view.ticket_id}, from {sanitize(view.from_address)}")
    typer.echo(f"subject: {sanitize(view.subject)}")
    typer.echo(f"held: {sanitize(view.reason)}")
    if view.decision is not None:
        typer.echo(f"decided: {view.decision.value} at {view.decided_at:%Y-%m-%d %H:%M}")
    typer.echo("")
    typer.echo(sanitize(view.body))


@app.command("accept")
def review_accept(
    ctx: typer.Context,
    held_id: HeldId,
    add_contact: Annotated[
        bool,
        typer.Option(
            "--add-contact", help="First make the sender a contact of the ticket's client"
        ),
    ] = False,
    queue: Annotated[
        str | None,
        typer.Option(
            "--queue", help="Queue of a follow-up ticket (when the claimed one is closed)"
        ),
    ] = None,
    login: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Let a held message in onto the ticket it claims.

    Without --add-contact it joins the thread and changes nothing else; with it the
    sender becomes one of the client's people, and their answer counts (it may resume,
    close or reopen the ticket).
    """
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.mail import review

    cli = state(ctx)
    with cli.store().write() as session:
        actor_id = acting_user_id(ctx, session, login)
        queue_id = _queue_id(session, queue or cli.settings().mail_queue)
        result = review.accept(
            session,
            held_id=held_id,
            actor_id=actor_id,
            now=utcnow(),
            add_contact=add_contact,
            queue_id=queue_id,
        )
    data = {
        "id": held_id,
        "outcome": result.outcome.value,
        "ticket": result.ticket_id,
        "notes": result.notes,
    }
    if as_json:
        print_json(data)
        return
    what = "opened" if result.outcome.value == "new_tickets" else "added to"
    notes = f" ({'; '.join(result.notes)})" if result.notes else ""
    typer.echo(sanitize(f"held message {held_id} {what} #{result.ticket_id}{notes}"))


@app.command("reject")
def review_reject(
    ctx: typer.Context,
    held_id: HeldId,
    login: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Keep a held message out for good (the same message arriving again stays out)."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.mail import review

    with state(ctx).store().write() as session:
        actor_id = acting_user_id(ctx, session, login)
        row = review.reject(session, held_id=held_id, actor_id=actor_id, now=utcnow())
        ticket_id = row.ticket_id
    if as_json:
        print_json({"id": held_id, "decision": "rejected", "ticket": ticket_id})
        return
    typer.echo(f"held message {held_id} rejected; #{ticket_id} was left as it was")


def _queue_id(session: Any, name: str | None) -> int | None:
    from dispatcher.store.tickets.classification import resolve_queue

    return None if name is None else resolve_queue(session, ref=name).id
