"""Backups of a SQLite database, and restoring one.

A copy is made with SQLite's online backup API from a connection that holds one read
transaction for the whole copy. That transaction pins a snapshot (WAL mode: readers and
the writer do not block each other), so the copy is the database exactly as of the moment
it began, and writes committed meanwhile neither show up in it nor restart it. (Without
the pinned snapshot the API starts over whenever another connection writes between two of
its steps: an 86 MB file under ~76 writes/s was never done.)

Everything written is written whole: a backup goes to `<target>.partial` beside the target,
is fsynced and then renamed; a restore checks the file (`PRAGMA integrity_check`, a schema
revision this version knows) and then copies it into the live database in one write
transaction, which other connections see entirely or not at all.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Collection
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path

from dispatcher.domain.errors import ValidationError

Progress = Callable[[int, int], None]  # (pages copied, pages in all)
STEP_PAGES = 4096  # 16 MiB of 4 KiB pages per step: a few calls of the progress bar
_INTEGRITY_ERRORS_SHOWN = 3


def backup_name(source: Path, *, now: datetime) -> str:
    """The file name of a backup of `source` made at `now`: `helpdesk-20261201T093000Z.db`."""
    return f"{source.stem}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{source.suffix or '.db'}"


def backup_sqlite(
    source: Path, target: Path, *, progress: Progress | None = None, pages: int = STEP_PAGES
) -> None:
    """Copy a live SQLite database to `target`, consistent as of the moment it began."""
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        with closing(_open_snapshot(source)) as src:
            with closing(sqlite3.connect(partial)) as dst:
                _copy(src, dst, progress=progress, pages=pages)
                # One self-contained file: opening it later leaves no -wal or -shm beside it.
                dst.execute("PRAGMA journal_mode=DELETE")
        _fsync(partial)
        os.replace(partial, target)  # only a complete copy takes the target's name
        _fsync(target.parent)
    except OSError as exc:
        raise ValidationError(f"cannot write the backup to {target}: {_reason(exc)}") from None
    except sqlite3.Error as exc:
        raise ValidationError(f"cannot write the backup to {target}: {exc}") from None
    finally:
        _discard(partial)


def check_backup(path: Path, *, known: Collection[str], head: str) -> str:
    """The schema revision of a backup file fit to restore; a ValidationError otherwise."""
    with closing(_open_snapshot(path)) as conn:
        return _checked_revision(conn, path, known=known, head=head)


def restore_sqlite(
    backup: Path,
    live: Path,
    *,
    known: Collection[str],
    head: str,
    progress: Progress | None = None,
    pages: int = STEP_PAGES,
) -> str:
    """Replace the database at `live` with the backup file, once it passes the checks.

    Returns the backup's schema revision. The check and the copy read one snapshot of the
    backup. A live database that SQLite can open is overwritten in one write transaction
    (other processes that have it open see the old or the new content, never a mix); a
    missing one is written whole and renamed into place, as is one SQLite cannot read at all.
    """
    if backup.resolve() == live.resolve():
        raise ValidationError("the backup to restore is the database itself")
    with closing(_open_snapshot(backup)) as src:
        revision = _checked_revision(src, backup, known=known, head=head)
        if live.exists() and _is_database(live):
            try:
                with closing(sqlite3.connect(live, timeout=30)) as dst:
                    _copy(src, dst, progress=progress, pages=pages)
            except sqlite3.Error as exc:
                raise ValidationError(f"cannot restore into {live}: {exc}") from None
        else:
            _replace_whole(src, live, progress=progress, pages=pages)
    return revision


# --- the parts --------------------------------------------------------------------------


def _open_snapshot(path: Path) -> sqlite3.Connection:
    """A read-only connection holding a read transaction: one snapshot until it is closed."""
    if not path.is_file():
        raise ValidationError(f"no database file {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ValidationError(f"cannot open {path}: {exc}") from None
    try:
        conn.isolation_level = None
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the snapshot
    except sqlite3.DatabaseError as exc:
        conn.close()
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            raise ValidationError(f"{path} is not a SQLite database ({exc})") from None
        raise ValidationError(f"{path} fails SQLite's integrity check: {exc}") from None
    return conn


def _copy(
    src: sqlite3.Connection, dst: sqlite3.Connection, *, progress: Progress | None, pages: int
) -> None:
    def step(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    src.backup(dst, pages=pages, progress=step)


def _checked_revision(
    conn: sqlite3.Connection, path: Path, *, known: Collection[str], head: str
) -> str:
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise ValidationError(f"{path} fails SQLite's integrity check: {exc}") from None
    if problems != ["ok"]:
        shown = "; ".join(problems[:_INTEGRITY_ERRORS_SHOWN])
        more = len(problems) - _INTEGRITY_ERRORS_SHOWN
        raise ValidationError(
            f"{path} fails SQLite's integrity check: {shown}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:
        raise ValidationError(f"{path} is not a dispatcher database (no schema version)") from None
    if len(rows) != 1:
        raise ValidationError(f"{path} is not a dispatcher database (no schema version)")
    revision = str(rows[0][0])
    if revision not in known:
        raise ValidationError(
            f"{path} is at schema {revision}, which this version of dispatcher does not know "
            f"(it knows up to {head}): restore it with the version that made it"
        )
    return revision


def _is_database(path: Path) -> bool:
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        return False
    return True


def _replace_whole(
    src: sqlite3.Connection, live: Path, *, progress: Progress | None, pages: int
) -> None:
    """Write the copy beside `live`, fsync it and rename it into place. A stale `-wal` of
    a file SQLite could not read would be applied to the new file: it goes first."""
    partial = live.with_name(live.name + ".partial")
    try:
        live.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        with closing(sqlite3.connect(partial)) as dst:
            _copy(src, dst, progress=progress, pages=pages)
        _fsync(partial)
        for suffix in ("-wal", "-shm", "-journal"):
            live.with_name(live.name + suffix).unlink(missing_ok=True)
        os.replace(partial, live)
        _fsync(live.parent)
    except OSError as exc:
        raise ValidationError(f"cannot restore into {live}: {_reason(exc)}") from None
    except sqlite3.Error as exc:
        raise ValidationError(f"cannot restore into {live}: {exc}") from None
    finally:
        _discard(partial)


def _discard(path: Path) -> None:
    with suppress(OSError):
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
