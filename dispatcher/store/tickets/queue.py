"""The live queue: the active tickets the console's queue screen shows, a window at a time.

One query, `queue_window`: the active tickets matching a filter (one queue or every queue,
statuses, assignee, priority, client, words of the subject, ...), in one sort order,
keyset-paged on (sort value, id), with the client name, the assignee login and the category
joined in. In the default order (urgency: `next_due_at`, then `id`) it is written so the
planner walks the partial index `ix_ticket_queue_due` (`ix_ticket_active_due` for every
queue) and stops after one window:

* the status filter is the literal `IN` list of the index's WHERE clause (a bound list
  would not match the partial index; the plan is checked by tests/store/test_queue_window.py);
* paging compares the row value `(sort value, id)`, never OFFSET;
* it selects plain columns through Core, not ORM objects (about half the time per window).

`bench/bench_store.py` times it against the same SQL through raw sqlite3: at 1M tickets a
window of 200 costs about 2.4 ms p95 through the store, 0.8 ms raw; the difference is
building the statement and turning rows into read models, not the plan, which
`explain_queue_window` shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Select,
    String,
    Table,
    TextClause,
    TypeDecorator,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    tuple_,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from dispatcher.domain.enums import AlertKind, Priority, TicketStatus
from dispatcher.domain.errors import ValidationError
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.read_models.queue import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    QueueFilter,
    QueueSort,
    QueueWindow,
    SortKey,
    WindowKey,
)
from dispatcher.store.lookup import id_or_none
from dispatcher.store.models import (
    ACTIVE_STATUS_SQL,
    Alert,
    Category,
    Client,
    Contact,
    ContactPoint,
    Ticket,
    User,
    table_of,
)
from dispatcher.store.tickets.queue_rows import STATUS, window_of


class _Raw(TypeDecorator[Any]):
    """A result column taken as the driver returns it (text on SQLite, datetime on PG)."""

    impl = String
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> None:
        return None


def _tables() -> tuple[Table, Table, Table]:
    return (
        table_of(Ticket),
        table_of(Client),
        table_of(User),
    )


def _priority_rank(column: ColumnElement[Any]) -> ColumnElement[int]:
    return case(*((column == p.value, p.rank) for p in Priority), else_=9)


def _sort_column(key: SortKey) -> ColumnElement[Any]:
    ticket, client, user = _tables()
    category = table_of(Category)
    if key == SortKey.urgency:
        return ticket.c.next_due_at
    if key == SortKey.ref:
        return ticket.c.id
    if key == SortKey.priority:
        return _priority_rank(type_coerce(ticket.c.priority, String))
    if key == SortKey.client:
        return func.coalesce(client.c.name, "")
    if key == SortKey.subject:
        return func.lower(ticket.c.subject)
    if key == SortKey.category:
        return func.coalesce(category.c.name, "")
    if key == SortKey.assignee:
        return func.coalesce(user.c.login, "")
    return type_coerce(ticket.c.status, String)


def _conditions(filters: QueueFilter) -> list[ColumnElement[bool] | TextClause]:
    ticket = table_of(Ticket)
    where: list[ColumnElement[bool] | TextClause] = [text(f"{ticket.name}.{ACTIVE_STATUS_SQL}")]
    if filters.queue_id is not None:
        where.append(ticket.c.queue_id == filters.queue_id)
    if filters.statuses:
        where.append(type_coerce(ticket.c.status, String).in_([s.value for s in filters.statuses]))
    if filters.unassigned:
        where.append(ticket.c.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        where.append(ticket.c.assignee_id == filters.assignee_id)
    if filters.priorities:
        where.append(
            type_coerce(ticket.c.priority, String).in_([p.value for p in filters.priorities])
        )
    if filters.client_id is not None:
        where.append(ticket.c.client_id == filters.client_id)
    words = filters.text.split()
    # A bare number is a reference only when it is the whole search ("1042"); among other
    # words ("printer 2") it is just a word.
    where.extend(_word_matches(word, bare_ref=len(words) == 1) for word in words)
    if filters.category_ids is not None:
        where.append(ticket.c.category_id.in_(filters.category_ids or (-1,)))
    if filters.needs_first_response:
        where.append(ticket.c.first_responded_at.is_(None))
    return where


def _spellings(word: str) -> list[str]:
    """The word as typed, lower, capitalised and upper case, each once: SQLite's `lower()`
    folds ASCII only, so `иванов` must also be looked for as `Иванов` and `ИВАНОВ`."""
    return list(dict.fromkeys((word, word.lower(), word.capitalize(), word.upper())))


def _holds(column: ColumnElement[Any], word: str) -> ColumnElement[bool]:
    return or_(*(column.icontains(w, autoescape=True) for w in _spellings(word)))


def _word_matches(word: str, *, bare_ref: bool) -> ColumnElement[bool]:
    """One word of the `/` search: `#123` is that ticket; any other word must be in the
    ticket's subject, client's name, or its contact's name or email, or (`bare_ref`, a
    search of one number) be the ticket's number.

    The client and contact sides are uncorrelated sub-selects over the small client and
    contact tables, run once per query, so the queue still walks its due-date index and
    each ticket costs one look-up in a list, not a join.
    """
    ticket = table_of(Ticket)
    client, contact, point = table_of(Client), table_of(Contact), table_of(ContactPoint)
    ref = word.strip("[]")
    number = id_or_none(ref.removeprefix("#"))
    if ref.startswith("#") and number is not None:
        return ticket.c.id == number
    clients = select(client.c.id).where(_holds(client.c.name, word))
    contacts = select(contact.c.id).where(_holds(contact.c.name, word))
    emails = select(point.c.contact_id).where(
        type_coerce(point.c.kind, String) == "email", _holds(point.c.value, word)
    )
    matches = [
        _holds(ticket.c.subject, word),
        ticket.c.client_id.in_(clients),
        ticket.c.contact_id.in_(contacts.union(emails)),
    ]
    if bare_ref and number is not None:
        matches.insert(0, ticket.c.id == number)
    return or_(*matches)


def queue_window_statement(
    *,
    filters: QueueFilter = QueueFilter(),  # noqa: B008 - frozen, so a safe default
    sort: QueueSort = QueueSort(),  # noqa: B008
    after: WindowKey | None = None,
    limit: int = PAGE_SIZE,
) -> Select[Any]:
    """The window query `queue_window` runs: `limit + 1` rows (one more tells whether
    another window follows). Public for `explain_queue_window` and the benchmark."""
    ticket, client, user = _tables()
    category, alert = table_of(Category), table_of(Alert)
    order = _sort_column(sort.key)
    where = _conditions(filters)
    if after is not None:
        value, after_id = after
        bound = tuple_(order, ticket.c.id)
        keyset = tuple_(
            bindparam(_AFTER_VALUE, value, type_=order.type),
            bindparam(_AFTER_ID, after_id, type_=ticket.c.id.type),
        )
        where.append(bound < keyset if sort.descending else bound > keyset)
    warned = (
        select(alert.c.id)
        .where(
            alert.c.ticket_id == ticket.c.id,
            type_coerce(alert.c.kind, String) == AlertKind.warning.value,
            alert.c.due_at == ticket.c.next_due_at,
        )
        .exists()
    )
    # Enums and datetimes come back raw and are converted in one pass in `queue_window`:
    # the column types' per-value hooks cost more than the query itself at 200 rows.
    sort_value = type_coerce(order, _Raw) if sort.key == SortKey.urgency else order
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
            category.c.name,
            ticket.c.first_responded_at.is_not(None),
            warned,
            sort_value,
            type_coerce(ticket.c.next_update_due, _Raw),
        )
        .select_from(
            ticket.outerjoin(client, client.c.id == ticket.c.client_id)
            .outerjoin(user, user.c.id == ticket.c.assignee_id)
            .outerjoin(category, category.c.id == ticket.c.category_id)
        )
        .where(and_(*where))
        .order_by(
            *((order.desc(), ticket.c.id.desc()) if sort.descending else (order, ticket.c.id))
        )
        .limit(limit + 1)
    )


def queue_window(
    session: Session,
    *,
    filters: QueueFilter = QueueFilter(),  # noqa: B008 - frozen, so a safe default
    sort: QueueSort = QueueSort(),  # noqa: B008
    after: WindowKey | None = None,
    limit: int = PAGE_SIZE,
) -> QueueWindow:
    """A window of the active tickets matching `filters`, in `sort` order, starting after
    `after` (the `next_key` of the previous window): keyset paging on (sort value, id).

    The default order (urgency) walks the partial index on `next_due_at`; other orders sort
    the matching active tickets (about 5 % of the table) and stop after one window.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"a queue window holds 1 to {MAX_PAGE_SIZE} tickets, not {limit}")
    connection = session.connection()
    prepared = _prepared(connection.dialect, filters, sort, after is not None, limit)
    return window_of(prepared.fetch(connection, after), limit, urgency=sort.key == SortKey.urgency)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A window query compiled once for the driver: its SQL text and parameters, with the
    keyset's two filled in at each run. Run through the driver's own cursor: SQLAlchemy's
    statement cache key and row objects cost more than the query itself (at 200 rows)."""

    sql: str
    values: dict[str, Any]
    names: tuple[str, ...] | None  # the order of positional parameters (sqlite3)
    after_value: Callable[[Any], Any] | None  # the keyset's sort value as the driver takes it

    def fetch(self, connection: Connection, after: WindowKey | None) -> list[Any]:
        values = self.values
        if after is not None:
            value, after_id = after
            process = self.after_value
            values = {
                **values,
                _AFTER_VALUE: process(value) if process else value,
                _AFTER_ID: after_id,
            }
        params = values if self.names is None else tuple(values[n] for n in self.names)
        dbapi = connection.dialect.loaded_dbapi
        cursor = connection.connection.cursor()
        try:
            cursor.execute(self.sql, params)
            return list(cursor.fetchall())
        except dbapi.Error as exc:
            raise DBAPIError.instance(self.sql, params, exc, dbapi.Error) from exc
        finally:
            cursor.close()


_AFTER_VALUE, _AFTER_ID = "after_value", "after_id"
_PREPARED: dict[tuple[Any, ...], _Prepared] = {}
_PREPARED_MAX = 256  # one per filter, sort and page size seen; a search types many


def _prepared(
    dialect: Dialect, filters: QueueFilter, sort: QueueSort, paged: bool, limit: int
) -> _Prepared:
    key = (dialect.name, filters, sort, paged, limit)
    prepared = _PREPARED.get(key)
    if prepared is None:
        after: WindowKey | None = None
        if paged:  # placeholders: each run binds its own keyset
            after = (NO_DEADLINE if sort.key == SortKey.urgency else 0, 0)
        statement = queue_window_statement(filters=filters, sort=sort, after=after, limit=limit)
        sql, values, names, binds = _compiled(statement, dialect)
        process = None
        if paged:
            process = binds[_AFTER_VALUE].type.dialect_impl(dialect).bind_processor(dialect)
        prepared = _Prepared(sql, values, names, process)
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.clear()
        _PREPARED[key] = prepared
    return prepared


def _compiled(
    statement: Select[Any], dialect: Dialect
) -> tuple[str, dict[str, Any], tuple[str, ...] | None, dict[str, BindParameter[Any]]]:
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values: dict[str, Any] = {}
    binds: dict[str, BindParameter[Any]] = {}
    for name, value in compiled.params.items():
        # An IN list is rendered as one parameter per item, `<name>_1`, `<name>_2`, ...
        bind = compiled.binds[name if name in compiled.binds else name.rsplit("_", 1)[0]]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        values[name] = processor(value) if processor else value
        binds[name] = bind
    names = None if compiled.positiontup is None else tuple(compiled.positiontup)
    return str(compiled), values, names, binds


def driver_sql(statement: Select[Any], dialect: Dialect) -> tuple[str, Any]:
    """`statement` as the database driver takes it: the SQL text and its parameters (a
    tuple for positional drivers such as sqlite3, else a dict), bind values converted by
    their column types as a session would (a UTC instant becomes SQLite's stored text)."""
    sql, values, names, _ = _compiled(statement, dialect)
    if names is not None:
        return sql, tuple(values[name] for name in names)
    return sql, values


def explain_queue_window(
    session: Session,
    *,
    filters: QueueFilter = QueueFilter(),  # noqa: B008 - frozen, so a safe default
    sort: QueueSort = QueueSort(),  # noqa: B008
    after: WindowKey | None = None,
    limit: int = PAGE_SIZE,
) -> list[str]:
    """EXPLAIN (QUERY PLAN on SQLite) of the window query: shows which index it walks."""
    connection = session.connection()
    statement = queue_window_statement(filters=filters, sort=sort, after=after, limit=limit)
    sql, params = driver_sql(statement, connection.dialect)
    if connection.dialect.name == "sqlite":
        result = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        return [str(row[-1]) for row in result]
    result = connection.exec_driver_sql(f"EXPLAIN {sql}", params)
    return [str(row[0]) for row in result]


def count_queue(session: Session, *, filters: QueueFilter) -> int:
    """How many active tickets match `filters`: a section's live count."""
    ticket = table_of(Ticket)
    statement = select(func.count()).select_from(ticket).where(and_(*_conditions(filters)))
    return int(session.execute(statement).scalar_one())


@dataclass(frozen=True, slots=True)
class TicketHit:
    id: int
    subject: str
    status: TicketStatus

    @property
    def ref(self) -> str:
        return f"#{self.id}"


def find_tickets(session: Session, *, text: str, limit: int = 10) -> list[TicketHit]:
    """Tickets for the command palette: `#1042` (or `1042`) finds that ticket in any state;
    words find active tickets whose subject holds them all, most urgent first."""
    ticket = table_of(Ticket)
    needle = text.strip()
    hits: list[TicketHit] = []
    ref = needle.strip("[]").lstrip("#")
    number = id_or_none(ref)
    if number is not None:
        row = session.execute(
            select(ticket.c.id, ticket.c.subject, type_coerce(ticket.c.status, String)).where(
                ticket.c.id == number
            )
        ).first()
        if row is not None:
            hits.append(TicketHit(row[0], row[1], STATUS[row[2]]))
    if needle and not needle.startswith("#"):
        window = queue_window(session, filters=QueueFilter(text=needle), limit=limit)
        hits += [TicketHit(r.id, r.subject, r.status) for r in window.rows]
    unique = {h.id: h for h in reversed(hits)}  # the first hit of each ticket wins
    return sorted(unique.values(), key=hits.index)[:limit]
