"""The `dispatcher` command's entry point.

Three commands are answered before the command line interface loads, when they can be
(none needs Typer's subcommands, nor SQLAlchemy before its first frame): `admin users
list` by `dispatcher.admin_quick`, `kb search` by `dispatcher.kb_search_quick`, and the
console itself (`dispatcher [--db URL] [--as LOGIN]`) by `dispatcher.console_quick`.
Everything else goes to the command line interface in `dispatcher.cli`.
"""

from __future__ import annotations

import sys


def main() -> None:
    from dispatcher import admin_quick

    if admin_quick.answer(sys.argv[1:]):
        return
    from dispatcher.kb_search_quick import answer

    if answer(sys.argv[1:]):
        return
    from dispatcher.console_quick import answer as open_console

    if open_console(sys.argv[1:]):
        return
    from dispatcher.cli import main as cli_main

    cli_main()
