"""The `dispatcher` command's entry point.

Two short commands are answered before the command line interface loads, when they can be
(each needs neither Typer's subcommands nor SQLAlchemy): `admin users list` by
`dispatcher.admin_quick`, `kb search` by `dispatcher.kb_search_quick`. Everything else goes
to the command line interface in `dispatcher.cli`.
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
    from dispatcher.cli import main as cli_main

    cli_main()
