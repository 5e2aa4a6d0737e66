"""`dispatcher admin ...`: setting the helpdesk up. Every command calls the store's functions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dispatcher.cli import (
    clients,
    contacts,
    contracts,
    demo,
    directory,
    equipment,
    intake,
    kb,
    sla,
    templates,
    tickets,
    users,
)
from dispatcher.cli._common import DbOption, fail, print_json, progress, set_db, state

admin_app = typer.Typer(help="Set up and look after the helpdesk.", no_args_is_help=True)
db_app = typer.Typer(help="The database: schema migrations and backups.", no_args_is_help=True)
admin_app.add_typer(db_app, name="db")
admin_app.add_typer(users.app, name="users")
admin_app.add_typer(directory.queues_app, name="queues")
admin_app.add_typer(directory.categories_app, name="categories")
admin_app.add_typer(clients.clients_app, name="clients")
admin_app.add_typer(contacts.contacts_app, name="contacts")
admin_app.add_typer(contracts.contracts_app, name="contracts")
admin_app.add_typer(equipment.equipment_app, name="equipment")
admin_app.add_typer(tickets.app, name="tickets")
admin_app.add_typer(kb.app, name="kb")
admin_app.add_typer(sla.sla_app, name="sla")
admin_app.add_typer(sla.calendar_app, name="calendar")
admin_app.add_typer(intake.app, name="intake")
admin_app.add_typer(templates.app, name="templates")
admin_app.command("demo")(demo.demo)


@admin_app.callback()
def admin(ctx: typer.Context, db: DbOption = None) -> None:
    set_db(ctx, db)


@admin_app.command("init")
def init(ctx: typer.Context, db: DbOption = None) -> None:
    """Create the database, or bring it up to date."""
    set_db(ctx, db)
    from dispatcher.store.db import migrate

    store = state(ctx).store(must_be_ready=False, must_exist=False)
    before = migrate.current_revision(store.engine)
    migrate.upgrade(store.engine)
    after = migrate.current_revision(store.engine)
    url = store.url.render_as_string(hide_password=True)
    if before == after:
        typer.echo(f"{url} is up to date (schema {after})")
    else:
        typer.echo(f"{url} is ready (schema {before or 'empty'} -> {after})")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, db: DbOption = None) -> None:
    """Apply the migrations the database has not had yet."""
    init(ctx, db)


@db_app.command("current")
def db_current(
    ctx: typer.Context,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the database's schema revision; exit code 1 when it is not up to date."""
    set_db(ctx, db)
    from dispatcher.store.db import migrate

    store = state(ctx).store(must_be_ready=False)
    current, head = migrate.current_revision(store.engine), migrate.head_revision()
    if as_json:
        print_json({"current": current, "head": head, "up_to_date": current == head})
    else:
        note = "up to date" if current == head else f"behind: head is {head}"
        typer.echo(f"{current or 'empty'} ({note})")
    if current != head:
        raise typer.Exit(1)


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="File to write the copy to")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the target")] = False,
) -> None:
    """Copy a live SQLite database safely (SQLite's online backup API)."""
    set_db(ctx, db)
    from dispatcher.store.db import migrate

    store = state(ctx).store()
    if not store.is_sqlite:
        fail("backup copies SQLite databases; for PostgreSQL use pg_dump")
    source = Path(store.url.database or "")
    target = target.expanduser().resolve()
    if target == source:
        fail("the backup cannot overwrite the database itself")
    if target.exists() and not force:
        fail(f"{target} exists; add --force to overwrite it")
    with progress("backing up", total=None) as bar:
        task = bar.task_ids[0]

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        migrate.backup_sqlite(source, target, progress=step)
    typer.echo(f"backed up {source} to {target}")
