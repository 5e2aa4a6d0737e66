"""A queue window from the driver's rows: shared by `queue_window` (through SQLAlchemy's
connection) and the console's quick start (`plain_queue`, sqlite3 alone), so both turn
the same rows into the same `WindowRow`s. Imports neither SQLAlchemy nor the models."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.read_models.queue import QueueWindow, WindowRow

STATUS = {s.value: s for s in TicketStatus}
PRIORITY = {p.value: p for p in Priority}


def utc(value: str | datetime) -> datetime:
    """A stored UTC instant: SQLite keeps it as text with no offset (see UTCDateTime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def window_of(raw: Iterable[Sequence[Any]], limit: int, *, urgency: bool) -> QueueWindow:
    """The window of `limit` rows from the window query's `limit + 1` (one more tells that
    another window follows), columns in `queue_window_statement`'s order. Enums and
    instants come raw and are converted here in one pass: the column types' per-value
    hooks cost more than the query itself at 200 rows. In the urgency order the sort value
    is the due instant itself."""
    status, priority = STATUS.__getitem__, PRIORITY.__getitem__
    make = tuple.__new__  # the row's tuple as it is: `WindowRow(...)` would take it apart
    rows: list[WindowRow] = []
    append = rows.append
    if urgency:
        for r in raw:
            due = utc(r[4])
            append(
                make(WindowRow, (
                    r[0], r[1], status(r[2]), priority(r[3]), due,
                    None if r[5] is None else utc(r[5]), utc(r[6]), r[7], r[8], r[9], r[10],
                    r[11], bool(r[12]), bool(r[13]), due,
                    None if r[15] is None else utc(r[15]),
                ))
            )  # fmt: skip
    else:
        for r in raw:
            append(
                make(WindowRow, (
                    r[0], r[1], status(r[2]), priority(r[3]), utc(r[4]),
                    None if r[5] is None else utc(r[5]), utc(r[6]), r[7], r[8], r[9], r[10],
                    r[11], bool(r[12]), bool(r[13]), r[14],
                    None if r[15] is None else utc(r[15]),
                ))
            )  # fmt: skip
    if len(rows) > limit:
        rows.pop()
        return QueueWindow(rows=rows, next_key=rows[-1].key)
    return QueueWindow(rows=rows, next_key=None)
