"""`dispatcher admin demo`: fill a fresh database with a realistic team and history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dispatcher.cli._common import fail, parse_instant, print_json, progress, set_db, state

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file path (or DISPATCHER_DATABASE_URL)"),
]


def _parse_now(value: str | None) -> datetime | None:
    """`--now` as every command reads a time, except that the demo wants it with a zone:
    which time of day a demo pretends should not depend on the computer it was made on."""
    if value is None:
        return None
    at = parse_instant(value, option="--now")
    if datetime.fromisoformat(value.strip()).tzinfo is None:
        fail(f"--now: give a time zone, e.g. {value}Z or {value}+03:00")
    return at.astimezone(UTC)


def demo(
    ctx: typer.Context,
    tickets: Annotated[
        int, typer.Option("--tickets", min=0, help="How many tickets of history to make")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same data")] = 42,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Pretend it is this time (ISO 8601 with zone; default: now)"),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Wipe a database that already has data first")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --reset")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
    db: DbOption = None,
) -> None:
    """Fill a new database with a realistic demo team and ticket history.

    Works on a fresh path (the schema is created) or an empty database; a database with
    data is refused unless --reset wipes it first.
    """
    set_db(ctx, db)
    from dispatcher.demo.generate import default_now, generate, has_data
    from dispatcher.store.db import migrate

    at = _parse_now(now) or default_now()
    store = state(ctx).store(must_be_ready=False, must_exist=False)
    url = store.url.render_as_string(hide_password=True)
    current = migrate.current_revision(store.engine)
    if current is not None and current != migrate.head_revision():
        fail(
            f"the database is at schema {current}, this version needs "
            f"{migrate.head_revision()}: run 'dispatcher admin db upgrade' first"
        )
    if current is not None:
        with store.read() as session:
            counts = has_data(session)
        if any(counts.values()):
            held = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
            if not reset:
                fail(f"{url} already has data ({held}): add --reset to wipe it first")
            if not yes:
                typer.confirm(f"Wipe {url} ({held}) and fill it with demo data?", abort=True)
            migrate.downgrade(store.engine, "base")
            current = None
    if current is None:
        migrate.upgrade(store.engine)

    with progress("demo tickets", total=tickets) as bar:
        task = bar.task_ids[0]

        def step(done: int) -> None:
            bar.update(task, completed=done)

        summary = generate(store, tickets=tickets, seed=seed, now=at, on_progress=step)

    if as_json:
        print_json(
            {
                "database": url,
                "seed": summary.seed,
                "now": summary.now,
                "users": summary.users,
                "clients": summary.clients,
                "contacts": summary.contacts,
                "contracts": summary.contracts,
                "templates": summary.templates,
                "articles": summary.articles,
                "tickets": summary.tickets,
                "events": summary.events,
                "messages": summary.messages,
                "active": summary.active,
                "breached": summary.breached,
                "by_status": summary.by_status,
                "seconds": round(summary.seconds, 2),
                "tickets_per_second": round(summary.tickets_per_second),
            }
        )
        return
    typer.echo(
        f"{url}: demo data for seed {seed} as of {summary.now:%Y-%m-%d %H:%M} UTC: "
        f"{summary.users} users, {summary.clients} clients, {summary.tickets} tickets "
        f"({summary.active} active, {summary.breached} past due; {summary.events} events, "
        f"{summary.messages} messages) in {summary.seconds:.1f} s"
    )
    typer.echo("log in as admin (admin), olga (dispatcher), ivan (engineer) or lena (lead)")
