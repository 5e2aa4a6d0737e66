"""The live queue: active tickets of one queue by due time, a page at a time.

One query, the one the console's queue screen runs: the active tickets of a queue (or of
every queue) ordered by `next_due_at` then `id`, keyset-paged on that pair, with the client
name and the assignee login joined in. It is written so the planner walks the partial
index `ix_ticket_queue_due` (`ix_ticket_active_due` for every queue) and stops after one
page:

* the status filter is the literal `IN` list of the index's WHERE clause (a bound list
  would not match the partial index, see MEASURED.md section 2);
* paging compares the row value `(next_due_at, id)`, never OFFSET;
* it selects plain columns through Core, not ORM objects (about half the time per page).

At 1M tickets a page costs about as much as the same SQL through raw sqlite3; the
benchmark is `bench/bench_store.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    TextClause,
    TypeDecorator,
    and_,
    bindparam,
    select,
    text,
    tuple_,
    type_coerce,
)
from sqlmodel import Session

from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.domain.errors import ValidationError
from dispatcher.store.models import ACTIVE_STATUS_SQL, Client, Ticket, User, table_of

PAGE_SIZE = 200
MAX_PAGE_SIZE = 1_000

QueueKey = tuple[datetime, int]


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the live queue: plain values, safe to hand to a widget."""

    id: int
    subject: str
    status: TicketStatus
    priority: Priority
    next_due_at: datetime  # NO_DEADLINE when paused or nothing is pending
    sla_paused_since: datetime | None
    updated_at: datetime
    version: int
    queue_id: int | None
    client: str | None
    assignee: str | None

    @property
    def ref(self) -> str:
        return f"#{self.id}"

    @property
    def key(self) -> QueueKey:
        """Where the next page starts when this is the last row shown."""
        return (self.next_due_at, self.id)


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    next_key: QueueKey | None  # None on the last page

    @property
    def has_more(self) -> bool:
        return self.next_key is not None


_STATUS = {s.value: s for s in TicketStatus}
_PRIORITY = {p.value: p for p in Priority}


class _Raw(TypeDecorator[Any]):
    """A result column taken as the driver returns it (text on SQLite, datetime on PG)."""

    impl = String
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> None:
        return None


def _utc(value: str | datetime) -> datetime:
    """A stored UTC instant: SQLite keeps it as text with no offset (see UTCDateTime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _tables() -> tuple[Table, Table, Table]:
    return (
        table_of(Ticket),
        table_of(Client),
        table_of(User),
    )


def queue_page_statement(*, all_queues: bool, keyset: bool) -> Select[Any]:
    """The page query, with bound parameters `queue_id`, `due`, `after_id` and `limit`.

    Built from four fixed shapes, so SQLAlchemy compiles each once and then serves it
    from its statement cache.
    """
    ticket, client, user = _tables()
    where: list[ColumnElement[bool] | TextClause] = [text(f"{ticket.name}.{ACTIVE_STATUS_SQL}")]
    if not all_queues:
        where.append(ticket.c.queue_id == bindparam("queue_id"))
    if keyset:
        where.append(
            tuple_(ticket.c.next_due_at, ticket.c.id)
            > tuple_(
                bindparam("due", type_=ticket.c.next_due_at.type),
                bindparam("after_id", type_=ticket.c.id.type),
            )
        )
    # Enums and datetimes come back raw and are converted in one pass below: the column
    # types' per-value hooks cost more than the query itself at 200 rows.
    return (
        select(
            ticket.c.id,
            ticket.c.subject,
            type_coerce(ticket.c.status, String),
            type_coerce(ticket.c.priority, String),
            type_coerce(ticket.c.next_due_at, _Raw),
            type_coerce(ticket.c.sla_paused_since, _Raw),
            type_coerce(ticket.c.updated_at, _Raw),
            ticket.c.version,
            ticket.c.queue_id,
            client.c.name,
            user.c.login,
        )
        .select_from(
            ticket.outerjoin(client, client.c.id == ticket.c.client_id).outerjoin(
                user, user.c.id == ticket.c.assignee_id
            )
        )
        .where(and_(*where))
        .order_by(ticket.c.next_due_at, ticket.c.id)
        .limit(bindparam("limit"))
    )


_STATEMENTS = {
    (all_queues, keyset): queue_page_statement(all_queues=all_queues, keyset=keyset)
    for all_queues in (False, True)
    for keyset in (False, True)
}


def queue_page(
    session: Session,
    *,
    queue_id: int | None,
    after: QueueKey | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """A page of the live queue: active tickets of `queue_id` (None: every queue), soonest
    due first, starting after the key `after` (the `next_key` of the previous page)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"a queue page holds 1 to {MAX_PAGE_SIZE} tickets, not {limit}")
    params: dict[str, Any] = {"limit": limit + 1}
    if queue_id is not None:
        params["queue_id"] = queue_id
    if after is not None:
        params["due"], params["after_id"] = after
    statement = _STATEMENTS[(queue_id is None, after is not None)]
    status, priority, utc = _STATUS.__getitem__, _PRIORITY.__getitem__, _utc
    rows = [
        QueueRow(
            id=r[0],
            subject=r[1],
            status=status(r[2]),
            priority=priority(r[3]),
            next_due_at=utc(r[4]),
            sla_paused_since=None if r[5] is None else utc(r[5]),
            updated_at=utc(r[6]),
            version=r[7],
            queue_id=r[8],
            client=r[9],
            assignee=r[10],
        )
        for r in session.execute(statement, params).all()
    ]
    if len(rows) > limit:
        rows.pop()
        return QueuePage(rows=rows, next_key=rows[-1].key)
    return QueuePage(rows=rows, next_key=None)


def explain_queue_page(session: Session, *, queue_id: int | None, keyset: bool) -> list[str]:
    """EXPLAIN (QUERY PLAN on SQLite) of the page query: shows which index it walks."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = _STATEMENTS[(queue_id is None, keyset)].compile(dialect=dialect)
    due = datetime(2000, 1, 1, tzinfo=UTC)
    values: dict[str, Any] = dict(compiled.params)  # defaults, such as SQLite's OFFSET 0
    values.update(queue_id=queue_id or 0, limit=PAGE_SIZE + 1, after_id=0)
    if dialect.name == "sqlite":
        values["due"] = "2000-01-01 00:00:00.000000"  # how UTCDateTime stores it there
        positional = tuple(values[name] for name in compiled.positiontup or ())
        result = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional)
        return [str(row[-1]) for row in result]
    values["due"] = due
    result = connection.exec_driver_sql(f"EXPLAIN {compiled}", values)
    return [str(row[0]) for row in result]
