"""Opening the console from the command line. Textual is imported only here."""

from __future__ import annotations

import os
import sys

from dispatcher.cli._common import CliState
from dispatcher.terminal import console_environment, without_flow_control


def open_console(cli_state: CliState) -> None:
    console_environment()
    from dispatcher.identity import sign_in

    put_back = without_flow_control(sys.stdin)
    try:
        store = cli_state.store()
        operator = sign_in(store, cli_state.login)

        from dispatcher.app import DispatcherApp

        app = DispatcherApp(settings=cli_state.settings(), store=store, operator=operator)
        app.run()
    finally:
        put_back()
    # Everything is written and committed by now. Tearing the interpreter down (every
    # module of Textual, SQLAlchemy, ...) took about 3 s of a measured 3.4 s quit; the
    # connections are closed here, then the process leaves at once.
    store.dispose()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
