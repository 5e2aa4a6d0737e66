"""Core statements run on the SQLite driver's cursor, for the statements of every write.

Executing a compiled, cached Core statement through SQLAlchemy costs about 0.08-0.1 ms
of CPU here (its execution context, events and result metadata); the statement itself
costs SQLite about 0.02 ms. The facts a ticket write keeps (`store.reports.facts`) run two
or three statements per change, so that overhead alone was a third of their cost.

`DriverStatement` compiles a Core statement once per set of columns it writes, then runs
it on the DBAPI connection beneath the session's, in the same transaction. Its parameters
and values pass through the column types' own bind and result processors (those of the
engine's dialect; a NULL is read as None without them), so it writes and reads exactly
what `Connection.execute` would (`tests/store/test_driver_statements.py` holds the two
against each other). What it does not do: the engine's cursor events do not see it, and
it runs on SQLite alone (the qmark parameter style); `runs_on` says whether a connection
can take it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.expression import Delete, Insert, Select, Update

Statement = Select[*tuple[Any, ...]] | Insert | Update | Delete


def runs_on(connection: Connection) -> bool:
    """Whether `DriverStatement` can run on this connection (SQLite's driver)."""
    return connection.dialect.name == "sqlite" and connection.dialect.paramstyle == "qmark"


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    parameters: tuple[str, ...]  # the name of each `?` mark, in order
    held: Mapping[str, Any]  # the values of the parameters the statement holds (literals)
    binds: tuple[tuple[int, Callable[[Any], Any]], ...]  # which marks a type processes
    columns: tuple[str, ...]  # a SELECT's result columns, by name
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # which columns a type processes


class DriverStatement:
    """A Core statement run on the driver's cursor of a connection's transaction.

    For an INSERT or UPDATE, the columns it writes are the keys of the parameters given
    (as `Connection.execute` does it), one compiled form per set of keys. Compiled for
    the dialect of the first connection it runs on: the store's SQLite engines are alike.
    """

    def __init__(self, statement: Statement) -> None:
        self._statement = statement
        self._compiled: dict[frozenset[str] | None, _Compiled] = {}

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
        """A SELECT's first row as a mapping of column name to value; None if no row."""
        compiled = self._compiled.get(None) or self._compile(connection.dialect, None)
        row = _driver(connection).execute(compiled.sql, _bound(compiled, parameters)).fetchone()
        if row is None:
            return None
        values = list(row)
        for index, process in compiled.results:
            if values[index] is not None:  # a NULL reads as None through every type here
                values[index] = process(values[index])
        return dict(zip(compiled.columns, values, strict=True))

    def write(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Run an INSERT or UPDATE with these values; how many rows it changed."""
        keys = frozenset(parameters)
        compiled = self._compiled.get(keys) or self._compile(connection.dialect, keys)
        cursor = _driver(connection).execute(compiled.sql, _bound(compiled, parameters))
        return int(cursor.rowcount)

    def _compile(self, dialect: Dialect, keys: frozenset[str] | None) -> _Compiled:
        compiled = self._statement.compile(
            dialect=dialect, column_keys=None if keys is None else sorted(keys)
        )
        names: Sequence[str] = compiled.positiontup or ()
        binds = compiled.binds
        held = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        columns: tuple[str, ...] = ()
        results: list[tuple[int, Callable[[Any], Any]]] = []
        if isinstance(self._statement, Select):
            selected = list(self._statement.selected_columns)
            columns = tuple(str(column.name) for column in selected)
            results = _processing(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in selected
            )
        found = _Compiled(
            sql=compiled.string,
            parameters=tuple(names),
            held=held,
            binds=tuple(
                _processing(
                    binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
                )
            ),
            columns=columns,
            results=tuple(results),
        )
        self._compiled[keys] = found
        return found


def _processing(
    processors: Iterable[Callable[[Any], Any] | None],
) -> list[tuple[int, Callable[[Any], Any]]]:
    return [(index, process) for index, process in enumerate(processors) if process is not None]


def _bound(compiled: _Compiled, parameters: Mapping[str, Any]) -> list[Any]:
    given = {**compiled.held, **parameters} if compiled.held else parameters
    values = [given[name] for name in compiled.parameters]
    for index, process in compiled.binds:
        values[index] = process(values[index])
    return values


def _driver(connection: Connection) -> Any:
    """The sqlite3 connection beneath this one, in its transaction."""
    found = connection.connection.driver_connection
    assert found is not None, "the connection is closed"
    return found
