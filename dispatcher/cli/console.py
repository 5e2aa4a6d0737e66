"""Opening the console from the command line. Textual is imported only here."""

from __future__ import annotations

from dispatcher.cli._common import CliState


def open_console(cli_state: CliState) -> None:
    from dispatcher.app import DispatcherApp

    store = cli_state.store()
    DispatcherApp(settings=cli_state.settings(), store=store).run()
