"""The `dispatcher` command: no subcommand opens the console; `admin` sets everything up."""

from __future__ import annotations

from typing import Annotated, ClassVar

import typer

from dispatcher import __version__
from dispatcher.cli._common import DispatcherGroup, state


class RootGroup(DispatcherGroup):
    # Each loaded when the command line names it (`dispatcher --help` lists them all).
    lazy: ClassVar[dict[str, str]] = {
        "admin": "dispatcher.cli.admin:admin_app",
        "kb": "dispatcher.cli.kb_search:app",
        "report": "dispatcher.cli.report:app",
        "ticket": "dispatcher.cli.ticket:app",
        "watch": "dispatcher.cli.watch:watch",
    }


app = typer.Typer(
    cls=RootGroup,
    name="dispatcher",
    help="A keyboard-first helpdesk console.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dispatcher {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite file path (default: DISPATCHER_DATABASE_URL or config)",
        ),
    ] = None,
    login: Annotated[
        str | None,
        typer.Option("--as", help="Work as this user (default: your OS login)"),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version"),
    ] = False,
) -> None:
    cli_state = state(ctx)
    cli_state.db = db
    cli_state.login = login
    ctx.call_on_close(cli_state.close)
    if ctx.invoked_subcommand is None:
        from dispatcher.cli.console import open_console

        open_console(cli_state)


def main() -> None:
    app()
