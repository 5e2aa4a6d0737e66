"""Repairs a database may need after something went wrong outside the store's own writes.

PostgreSQL's serial sequences do not move when rows are inserted with explicit ids (a bulk
load, a restore, a demo killed before it set them): the next insert then takes an id that
exists and fails on a duplicate key, and so does every one after it. `reset_sequences`
moves every sequence that owns an id column past the largest id in its table. It never
moves one back, so ids of deleted rows are not handed out again. SQLite needs nothing of
the kind: a row's id follows the largest one in its table (and AUTOINCREMENT's counter is
kept by SQLite itself, explicit ids included).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text


@dataclass(frozen=True, slots=True)
class SequenceReset:
    table: str
    column: str
    sequence: str
    next_before: int  # the id the next insert would have taken
    next_after: int


# Sequences owned by a column of a table in the current schema: `serial` columns
# (dependency type 'a') and identity columns ('i').
_OWNED_SEQUENCES = text(
    """
    SELECT seq.relname, tbl.relname, col.attname
    FROM pg_class seq
    JOIN pg_namespace ns ON ns.oid = seq.relnamespace
    JOIN pg_depend dep ON dep.objid = seq.oid
        AND dep.classid = 'pg_class'::regclass
        AND dep.refclassid = 'pg_class'::regclass
        AND dep.deptype IN ('a', 'i')
    JOIN pg_class tbl ON tbl.oid = dep.refobjid
    JOIN pg_attribute col ON col.attrelid = tbl.oid AND col.attnum = dep.refobjsubid
    WHERE seq.relkind = 'S' AND ns.nspname = current_schema()
    ORDER BY tbl.relname, col.attname
    """
)


def reset_sequences(bind: Engine | Connection) -> list[SequenceReset]:
    """Move every id sequence past its table's largest id (PostgreSQL; nothing on SQLite).

    Given an engine, in a transaction of its own; given a connection, in the transaction it
    is in (a bulk load can keep its sequences right in every batch it commits). Each table
    is locked against inserts (`EXCLUSIVE`: reads go on) while its largest id is read and
    the sequence set, so no insert can slip in between.
    """
    if bind.dialect.name != "postgresql":
        return []
    if isinstance(bind, Connection):
        return _reset_all(bind)
    with bind.begin() as conn:
        return _reset_all(conn)


def _reset_all(conn: Connection) -> list[SequenceReset]:
    return [
        reset
        for sequence, table, column in conn.execute(_OWNED_SEQUENCES).all()
        if (reset := _reset(conn, sequence=sequence, table=table, column=column)) is not None
    ]


def _reset(conn: Connection, *, sequence: str, table: str, column: str) -> SequenceReset | None:
    quote = conn.dialect.identifier_preparer.quote
    conn.execute(text(f"LOCK TABLE {quote(table)} IN EXCLUSIVE MODE"))
    largest = conn.execute(text(f"SELECT max({quote(column)}) FROM {quote(table)}")).scalar()
    last, called = conn.execute(text(f"SELECT last_value, is_called FROM {quote(sequence)}")).one()
    next_before = int(last) + 1 if called else int(last)
    if largest is None or next_before > int(largest):
        return None
    conn.execute(
        text("SELECT setval(CAST(:sequence AS regclass), :value, true)"),
        {"sequence": quote(sequence), "value": int(largest)},
    )
    return SequenceReset(
        table=table,
        column=column,
        sequence=sequence,
        next_before=next_before,
        next_after=int(largest) + 1,
    )
