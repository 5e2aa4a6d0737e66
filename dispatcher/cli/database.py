"""`dispatcher admin init` and `dispatcher admin db ...`: the schema, backups, repairs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dispatcher.cli._common import (
    DbOption,
    echo,
    fail,
    path_parser,
    print_json,
    progress,
    set_db,
    state,
)

if TYPE_CHECKING:
    from dispatcher.store.db.engine import Store

db_app = typer.Typer(
    help="The database: schema migrations, backups and repairs.", no_args_is_help=True
)


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
        echo(f"{url} is up to date (schema {after})")
    else:
        echo(f"{url} is ready (schema {before or 'empty'} -> {after})")
    _reset_sequences(store)


def _reset_sequences(store: Store) -> int:
    from dispatcher.store.db.repair import reset_sequences

    resets = reset_sequences(store.engine)
    for reset in resets:
        echo(
            f"repaired {reset.sequence}: the next {reset.table} id was {reset.next_before}, "
            f"behind rows up to {reset.next_after - 1}; now {reset.next_after}"
        )
    return len(resets)


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
        echo(f"{current or 'empty'} ({note})")
    if current != head:
        raise typer.Exit(1)


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    target: Annotated[
        Path,
        typer.Argument(
            help="File to write the copy to, or a folder for a dated file", parser=path_parser
        ),
    ],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the target")] = False,
) -> None:
    """Copy the SQLite database safely while it is in use.

    The copy is the database as of the moment it starts, however much is written meanwhile;
    the file appears only when the copy is complete. A folder gets a file named after the
    database and the time (helpdesk-20261201T093000Z.db).
    """
    set_db(ctx, db)
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.db.backup import backup_name, backup_sqlite

    store = state(ctx).store()
    if not store.is_sqlite:
        fail("backup copies SQLite databases; for PostgreSQL use pg_dump")
    source = Path(store.url.database or "")
    target = _absolute(target)
    if target.is_dir():
        target = target / backup_name(source, now=utcnow())
    if target == source:
        fail("the backup cannot overwrite the database itself")
    if target.exists() and not force:
        fail(f"{target} exists; add --force to overwrite it")
    with progress("backing up", total=None) as bar:
        task = bar.task_ids[0]

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        backup_sqlite(source, target, progress=step)
    echo(f"backed up {source} to {target}")


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    backup: Annotated[Path, typer.Argument(help="The backup file to restore", parser=path_parser)],
    db: DbOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
) -> None:
    """Replace the SQLite database with a checked backup.

    The backup must pass SQLite's integrity check and be at a schema this version knows;
    the database is replaced in one transaction (whole, or not at all).
    """
    set_db(ctx, db)
    from dispatcher.store.db import migrate
    from dispatcher.store.db.backup import check_backup, restore_sqlite
    from dispatcher.store.db.engine import database_url, is_memory, is_sqlite

    url = database_url(state(ctx).settings().database_url)
    if not is_sqlite(url) or is_memory(url):
        fail("restore replaces a SQLite database file; for PostgreSQL use pg_restore")
    live = Path(url.database or "")
    backup = _absolute(backup)
    known, head = migrate.known_revisions(), migrate.head_revision()
    revision = check_backup(backup, known=known, head=head)
    if not yes:
        typer.confirm(f"Replace {live} with {backup} (schema {revision})?", abort=True)
    with progress("restoring", total=None) as bar:
        task = bar.task_ids[0]

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        restore_sqlite(backup, live, known=known, head=head, progress=step)
    echo(f"restored {live} from {backup} (schema {revision})")
    if revision != head:
        echo(f"the backup is at schema {revision}: run 'dispatcher admin db upgrade'")


@db_app.command("repair")
def db_repair(ctx: typer.Context, db: DbOption = None) -> None:
    """Move PostgreSQL's id sequences past the rows (SQLite needs none).

    Needed after rows were inserted with their own ids and the sequences were not moved
    (a bulk load, a demo killed midway): every insert would fail on a duplicate key.
    `admin init` does the same.
    """
    set_db(ctx, db)
    store = state(ctx).store()
    if store.is_sqlite:
        echo("nothing to repair: SQLite's ids always follow the rows")
        return
    if _reset_sequences(store) == 0:
        echo("nothing to repair: every id sequence is past its table's rows")


def _absolute(path: Path) -> Path:
    """A path typed on the command line, `~` expanded, made absolute (links resolved)."""
    return path.expanduser().resolve()
