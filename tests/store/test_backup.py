"""Backups of a live SQLite database under write load, and restoring them."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from dispatcher.domain.errors import ValidationError
from dispatcher.store.db import migrate
from dispatcher.store.db.backup import backup_sqlite, restore_sqlite

WRITES = 1000  # the writer's bound: ~10 s at 100 writes/s, then it stops by itself
FILLER_PAGES = 8000  # ~32 MB: many steps of the backup API's old 256-page stride


def _live_database(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE filler (data BLOB)")
    conn.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY)")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO filler SELECT randomblob(4000) FROM n",
        (FILLER_PAGES,),
    )
    conn.close()


class Writer(threading.Thread):
    """Another connection committing one row about every 10 ms, up to WRITES rows."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=10000")
        try:
            while self.committed < WRITES and not self.stop.is_set():
                conn.execute("INSERT INTO probe DEFAULT VALUES")
                self.committed += 1
                time.sleep(0.01)
        finally:
            conn.close()

    def wait_for(self, count: int) -> None:
        while self.committed < count and self.is_alive():
            time.sleep(0.005)


def test_a_backup_completes_while_another_connection_writes_100_times_a_second(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "live.db", tmp_path / "copies" / "copy.db"
    _live_database(source)
    writer = Writer(source)
    writer.start()
    writer.wait_for(10)
    before = writer.committed
    steps: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        if not steps:  # make sure rows are committed while the copy is under way
            writer.wait_for(writer.committed + 3)
        steps.append((done, total))

    try:
        backup_sqlite(source, target, progress=progress)
        still_writing = writer.is_alive() and writer.committed < WRITES
        after = writer.committed
    finally:
        writer.stop.set()
        writer.join()

    assert still_writing, "the backup only finished once the writes had stopped"
    assert steps[-1][0] == steps[-1][1]
    assert not target.with_name("copy.db.partial").exists()
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ids = [row[0] for row in copy.execute("SELECT id FROM probe ORDER BY id")]
        # One snapshot: every row committed before it, none missing in between.
        assert ids == list(range(1, len(ids) + 1))
        assert before <= len(ids) <= after
        assert copy.execute("SELECT count(*) FROM filler").fetchone() == (FILLER_PAGES,)
    finally:
        copy.close()
    assert not (tmp_path / "copies" / "copy.db-wal").exists()  # one self-contained file


def test_a_backup_that_cannot_be_written_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    _live_database(source)
    with pytest.raises(ValidationError, match="cannot write the backup to /proc/nope/x.db"):
        backup_sqlite(source, Path("/proc/nope/x.db"))


def _dispatcher_file(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    conn.execute("CREATE TABLE queue (name TEXT)")
    conn.execute("INSERT INTO queue VALUES ('from the backup')")
    conn.commit()
    conn.close()


def test_restore_replaces_a_live_database_in_one_transaction(tmp_path: Path) -> None:
    head = migrate.head_revision()
    saved, live = tmp_path / "saved.db", tmp_path / "live.db"
    _dispatcher_file(saved, head)
    _live_database(live)
    reader = sqlite3.connect(live, isolation_level=None)  # another process has it open
    try:
        assert restore_sqlite(saved, live, known={head}, head=head) == head
        assert reader.execute("SELECT name FROM queue").fetchall() == [("from the backup",)]
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        reader.close()


def test_restore_refuses_an_unknown_schema_and_leaves_the_database(tmp_path: Path) -> None:
    saved, live = tmp_path / "newer.db", tmp_path / "live.db"
    _dispatcher_file(saved, "9999")
    _live_database(live)
    with pytest.raises(ValidationError, match="schema 9999, which this version .* not know"):
        restore_sqlite(saved, live, known={"0001", "0002"}, head="0002")
    conn = sqlite3.connect(live)
    assert conn.execute("SELECT count(*) FROM filler").fetchone() == (FILLER_PAGES,)
    conn.close()
