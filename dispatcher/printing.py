"""JSON for scripts and tables for people, printed without the command line's imports.

The output a command shares with its quick path (answered before the command line loads,
e.g. `dispatcher.admin_quick`); `dispatcher.cli._common` prints through these too. JSON
needs the standard library alone, a table loads Rich when one is printed.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from enum import Enum

TYPE_CHECKING = False  # `typing` is not imported at run time: the quick paths count imports
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_text(data: Any) -> str:
    """`data` as indented JSON, non-ASCII text as it is (control characters escaped)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str = "") -> None:
    """A table for people. Cell text is shown literally: markup in data never acts."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(sanitize(title)) if title else None, show_lines=False)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*(Text(sanitize("" if cell is None else str(cell))) for cell in row))
    Console().print(table)


def sanitize(text: str) -> str:
    """Text with terminal control characters removed, so escape sequences cannot act."""
    from dispatcher.text import plain

    return plain(text)
