"""`dispatcher admin intake ...`: mail in (import files, a maildir or an mbox; the quarantine)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dispatcher.cli import review
from dispatcher.cli._common import (
    fail,
    id_parser,
    path_parser,
    print_json,
    print_table,
    progress,
    sanitize,
    state,
)

app = typer.Typer(help="Mail intake: import messages, the quarantine.", no_args_is_help=True)
quarantine_app = typer.Typer(
    help="Messages that could not be read, kept with their bytes.", no_args_is_help=True
)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(review.app, name="review")  # next to `admin intake quarantine`

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _queue_id(ctx: typer.Context, name: str | None) -> int | None:
    from sqlmodel import select

    from dispatcher.domain.errors import NotFoundError
    from dispatcher.store.models import Queue

    name = name or state(ctx).settings().mail_queue
    if name is None:
        return None
    with state(ctx).store().read() as session:
        queue = session.exec(select(Queue).where(Queue.name == name)).first()
    if queue is None:
        raise NotFoundError("queue", name)
    return queue.id


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="An .eml file, a folder of them, a maildir or an mbox", parser=path_parser
        ),
    ],
    queue: Annotated[str | None, typer.Option("--queue", help="Queue of new tickets")] = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest every message under PATH: new tickets, threaded replies, noise, quarantine.

    Each message is stored in its own transaction, so an interrupted import can simply be
    run again: what was stored is counted as duplicates.
    """
    from dispatcher.intake import sources
    from dispatcher.intake.parse import IntakeLimits
    from dispatcher.intake.pipeline import ingest_all
    from dispatcher.intake.sources import RawMail
    from dispatcher.store.mail.inbound import InboundResult

    store = state(ctx).store()
    queue_id = _queue_id(ctx, queue)
    path = path.expanduser()
    if not path.exists():
        fail(f"no such file or folder: {path}")
    with progress("importing mail", total=sources.count(path)) as bar:
        task = bar.task_ids[0]

        def step(_mail: RawMail, _result: InboundResult) -> None:
            bar.advance(task)

        limits = IntakeLimits.from_settings(state(ctx).settings().intake)
        summary = ingest_all(
            store, sources.iter_path(path), queue_id=queue_id, on_each=step, limits=limits
        )
    if as_json:
        print_json(summary.counts())
    else:
        typer.echo(
            ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in summary.counts().items())
        )


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    released: Annotated[bool, typer.Option("--all", help="Include released messages")] = False,
    as_json: JsonOption = False,
) -> None:
    """Quarantined messages with their reasons."""
    from dispatcher.store.mail import quarantine

    with state(ctx).store().read() as session:
        rows = quarantine.quarantined(session, include_released=released)
    data = [
        {
            "id": r.id,
            "received_at": r.received_at,
            "size": len(r.raw),
            "source": r.source,
            "reason": r.reason,
            "released_at": r.released_at,
        }
        for r in rows
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        ["id", "received", "bytes", "source", "reason"],
        [
            [d["id"], r.received_at.strftime("%Y-%m-%d %H:%M"), d["size"], r.source, r.reason]
            for d, r in zip(data, rows, strict=True)
        ],
    )


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context,
    quarantine_id: Annotated[
        int, typer.Argument(help="Id from 'quarantine list'", parser=id_parser)
    ],
    raw: Annotated[
        bool, typer.Option("--raw", help="Write the message's raw bytes to stdout")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """One quarantined message: its reason and its text (or, with --raw, its bytes)."""
    import sys

    from dispatcher.intake.charset import decode_bytes
    from dispatcher.store.mail import quarantine

    with state(ctx).store().read() as session:
        row = quarantine.get_quarantined(session, quarantine_id=quarantine_id)
    if raw:
        sys.stdout.buffer.write(row.raw)
        sys.stdout.flush()
        return
    text = decode_bytes(row.raw[:100_000], None)
    if as_json:
        print_json(
            {
                "id": row.id,
                "sha256": row.sha256,
                "source": row.source,
                "reason": row.reason,
                "received_at": row.received_at,
                "released_at": row.released_at,
                "size": len(row.raw),
                "text": text,
            }
        )
        return
    typer.echo(f"#{row.id} from {sanitize(row.source)} ({len(row.raw)} bytes)")
    typer.echo(f"reason: {sanitize(row.reason)}")
    typer.echo("")
    typer.echo(sanitize(text))


@quarantine_app.command("release")
def quarantine_release(
    ctx: typer.Context,
    quarantine_id: Annotated[
        int, typer.Argument(help="Id from 'quarantine list'", parser=id_parser)
    ],
    queue: Annotated[str | None, typer.Option("--queue", help="Queue of a new ticket")] = None,
    as_json: JsonOption = False,
) -> None:
    """Let a quarantined message in as a ticket (or a reply), best effort on its text."""
    from dispatcher.intake.pipeline import release

    store = state(ctx).store()
    result = release(store, quarantine_id=quarantine_id, queue_id=_queue_id(ctx, queue))
    data = {"outcome": result.outcome.value, "ticket": result.ticket_id, "notes": result.notes}
    if as_json:
        print_json(data)
    elif result.ticket_id is not None:
        typer.echo(f"released into #{result.ticket_id} ({result.outcome.value.replace('_', ' ')})")
    else:
        typer.echo(f"released: {result.outcome.value.replace('_', ' ')}")
