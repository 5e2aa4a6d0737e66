"""Opening the console from the command line. Textual is imported only here."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TextIO

from dispatcher.cli._common import CliState


def open_console(cli_state: CliState) -> None:
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


def without_flow_control(stream: TextIO) -> Callable[[], None]:
    """Turn the terminal's XON/XOFF flow control off now; the function returned puts it back.

    Ctrl+Q quits the console, but until Textual has put the terminal in raw mode (most of
    the first second) the terminal driver takes Ctrl+Q as XON and the key never arrives:
    the console stayed open. Not a terminal (a pipe, a test): nothing to do.
    """
    try:
        import termios

        fd = stream.fileno()
        if not os.isatty(fd):
            return lambda: None
        before = termios.tcgetattr(fd)
        after = list(before)
        after[0] &= ~termios.IXON  # the input flags
        termios.tcsetattr(fd, termios.TCSANOW, after)
    except (ImportError, OSError, ValueError, AttributeError):
        return lambda: None

    def put_back() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, before)
        except (OSError, termios.error):
            pass

    return put_back
