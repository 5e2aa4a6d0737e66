"""The `dispatcher` command's entry point.

`kb search` is answered by `dispatcher.kb_search_quick` when it can be (the search alone
needs neither Typer's subcommands nor SQLAlchemy); everything else goes to the command line
interface in `dispatcher.cli`.
"""

from __future__ import annotations

import sys


def main() -> None:
    from dispatcher.kb_search_quick import answer

    if answer(sys.argv[1:]):
        return
    from dispatcher.cli import main as cli_main

    cli_main()
