"""Opening the console from the command line. Textual is imported only here."""

from __future__ import annotations

from dispatcher.cli._common import CliState


def open_console(cli_state: CliState) -> None:
    from dispatcher.identity import sign_in

    store = cli_state.store()
    operator = sign_in(store, cli_state.login)

    from dispatcher.app import DispatcherApp

    DispatcherApp(settings=cli_state.settings(), store=store, operator=operator).run()
