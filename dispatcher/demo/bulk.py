"""Bulk writes of the simulated tickets: plain row dicts with explicit ids, so one ticket's
rows reference each other without a round trip, written a batch per transaction with
SQLAlchemy Core inserts (or, on SQLite, the driver's executemany).

A batch is whole or absent: a run stopped midway leaves the setup and whole batches of
tickets, and the demo refuses a database with data, so it is rerun with `--reset`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Table, insert, text
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from dispatcher.store.db.engine import Store
from dispatcher.store.models import Escalation, Message, Rating, Ticket, TicketEvent, table_of

Row = dict[str, Any]


class Rows:
    """The rows of the tickets simulated since the last write; ids count on across batches."""

    def __init__(self) -> None:
        self.tickets: list[Row] = []
        self.events: list[Row] = []
        self.messages: list[Row] = []
        self.escalations: list[Row] = []
        self.ratings: list[Row] = []
        self.last_ticket_id = self.last_event_id = self.last_message_id = 0
        self.last_escalation_id = self.last_rating_id = 0

    def new_ticket_id(self) -> int:
        """The id of the next ticket; its row is added when its life is finished."""
        self.last_ticket_id += 1
        return self.last_ticket_id

    def new_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def add_escalation(self, row: Row) -> None:
        self.last_escalation_id += 1
        row["id"] = self.last_escalation_id
        self.escalations.append(row)

    def add_rating(self, row: Row) -> None:
        self.last_rating_id += 1
        row["id"] = self.last_rating_id
        self.ratings.append(row)

    def write(self, store: Store, writer: Writer) -> tuple[int, int, int]:
        """Write what is waiting in one transaction: (tickets, events, messages) written."""
        written = (len(self.tickets), len(self.events), len(self.messages))
        if not self.tickets:
            return written
        with store.write() as session:
            for model, rows in (
                (Ticket, self.tickets),
                (Escalation, self.escalations),
                (Message, self.messages),
                (TicketEvent, self.events),
                (Rating, self.ratings),
            ):
                if rows:
                    writer.insert(session, table_of(model), rows)
        writer.forget()
        self.tickets, self.events, self.messages = [], [], []
        self.escalations, self.ratings = [], []
        return written


def bump_sequences(store: Store) -> None:
    """PostgreSQL: explicit ids do not move the sequences; move them past the rows."""
    with store.write() as session:
        for name in ("ticket", "ticket_event", "message", "escalation", "rating"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
            )


class Writer:
    """Bulk inserts of plain dicts: SQLAlchemy Core, or (SQLite, `fast`) the driver's
    executemany with the values converted up front exactly as the column types would
    convert them, about twice the rate of the Core insert with its per-value processing."""

    def __init__(self, *, fast: bool) -> None:
        self.fast = fast
        self._plans: dict[tuple[str, tuple[str, ...]], _FastInsert] = {}
        # A ticket's instants recur across its rows (an event's time is its message's, the
        # ticket's last change): each is converted once per batch.
        self._instants: dict[datetime, str] = {}

    def insert(self, session: Session, table: Table, rows: list[Row]) -> None:
        if not self.fast:
            session.execute(insert(table), rows)
            return
        connection = session.connection()
        key = (table.name, tuple(rows[0]))  # one table's rows all have the same keys
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _FastInsert(table, connection.dialect, key[1])
        connection.exec_driver_sql(plan.sql, plan.params(rows, self._instants))

    def forget(self) -> None:
        """The batch is written: its instants will not come again."""
        self._instants = {}


class _FastInsert:
    """The compiled INSERT of a table for rows with these keys, and how to turn a row dict
    into its parameters. A column the rows leave out gets its default, as in Core."""

    def __init__(self, table: Table, dialect: Any, keys: tuple[str, ...]) -> None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        names = tuple(compiled.positiontup or ())
        self.sql = str(compiled)
        self.getter = itemgetter(*(name for name in names if name in keys))
        self.defaults: list[tuple[int, Any]] = []  # (position, value), in position order
        self.instants: list[int] = []
        self.json: list[int] = []
        for index, name in enumerate(names):
            column = table.columns[name]
            if name not in keys:
                if column.default is None or not column.default.is_scalar:
                    raise TypeError(f"no value for {table.name}.{name} and no plain default")
                self.defaults.append((index, column.default.arg))  # type: ignore[attr-defined]
                continue
            if isinstance(column.type, UTCDateTime):
                self.instants.append(index)
            elif isinstance(column.type, JSON):
                self.json.append(index)
            elif isinstance(column.type, DateTime | Date):
                raise TypeError(f"no fast conversion for {column.type!r}")

    def params(self, rows: list[Row], instants: dict[datetime, str]) -> list[tuple[Any, ...]]:
        """Each row's values, converted as the column types would convert them."""
        getter, defaults = self.getter, self.defaults
        json_indexes, encode = self.json, encode_json
        instant_indexes, known = self.instants, instants.get
        result = []
        for row in rows:
            values = list(getter(row))
            for index, default in defaults:
                values.insert(index, default)
            for index in instant_indexes:
                value = values[index]
                if value is not None:
                    text_value = known(value)
                    if text_value is None:
                        text_value = instants[value] = _sqlite_datetime(value)
                    values[index] = text_value
            for index in json_indexes:
                value = values[index]
                if value is not None:
                    values[index] = encode(value)
            result.append(tuple(values))
        return result


def _sqlite_datetime(value: datetime) -> str:
    """As SQLModel's UTCDateTime over SQLite's DATETIME: UTC text with microseconds."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:-6]  # without "+00:00"


def _json_encoder() -> Callable[[Any], str]:
    """`json.dumps` with its default options (SQLAlchemy's JSON serializer), with CPython's
    C encoder made once instead of once a call: the same text in half the time."""
    plain = json.JSONEncoder()
    try:
        from _json import encode_basestring_ascii, make_encoder
    except ImportError:  # no C accelerator
        return plain.encode
    # The arguments `JSONEncoder.iterencode` gives it for `json.dumps(value)` (no check for
    # cycles: these values are fresh dicts of plain values).
    chunks = make_encoder(
        None, plain.default, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return lambda value: "".join(chunks(value, 0))


encode_json = _json_encoder()
