"""Polling an IMAP mailbox: each message stored, and only then marked seen or moved.

A message is fetched with BODY.PEEK (which leaves it unseen), ingested in its own
transaction, and flagged `\\Seen` (or moved to the processed folder) only after that
transaction committed. A crash in between leaves it unseen: the next poll reads it again
and the intake counts it as a duplicate, so nothing is lost and nothing doubled. A store
that cannot take a message now (`RetryLater`: the database locked, say) ends the poll there,
that message and the rest left unseen for the next one.
"""

from __future__ import annotations

import imaplib
import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.errors import DispatcherError
from dispatcher.intake.parse import DEFAULT_LIMITS, IntakeLimits
from dispatcher.intake.pipeline import RetryLater, Summary, ingest, log_fetch
from dispatcher.intake.sources import RawMail
from dispatcher.store.db.engine import Store

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30.0


class ImapError(DispatcherError):
    """The mailbox cannot be reached or refuses us."""


@dataclass(frozen=True, slots=True)
class ImapAccount:
    host: str
    port: int
    username: str
    password: str
    ssl: bool = True
    starttls: bool = False
    folder: str = "INBOX"
    processed_folder: str | None = None


def secret(*, env: str | None, file: str | None, what: str) -> str:
    """A password from the environment variable named `env`, or from the file `file`."""
    if env:
        value = os.environ.get(env)
        if value is None:
            raise DispatcherError(f"{what}: the environment variable {env} is not set")
        return value
    if file:
        try:
            return Path(file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DispatcherError(f"{what}: cannot read {file}: {exc.strerror}") from exc
    return ""


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(
    what: str, response: tuple[str, list[bytes | None]] | tuple[str, list[object]]
) -> list[object]:
    typ, data = response
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise ImapError(f"IMAP {what} failed: {detail}")
    return list(data)


def connect(account: ImapAccount) -> imaplib.IMAP4:
    try:
        if account.ssl:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                account.host,
                account.port,
                ssl_context=ssl.create_default_context(),
                timeout=TIMEOUT_SECONDS,
            )
        else:
            conn = imaplib.IMAP4(account.host, account.port, timeout=TIMEOUT_SECONDS)
            if account.starttls:
                conn.starttls(ssl.create_default_context())
        conn.login(account.username, account.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"IMAP {account.host}:{account.port}: {exc}") from exc
    return conn


def poll(
    store: Store,
    account: ImapAccount,
    *,
    clock: Clock = utcnow,
    queue_id: int | None = None,
    limit: int = 500,
    limits: IntakeLimits | None = None,
) -> Summary:
    """Ingest the folder's unseen messages (up to `limit`), marking each after its commit."""
    summary = Summary()
    conn = connect(account)
    try:
        _check("SELECT", conn.select(_quote(account.folder)))
        if account.processed_folder:
            conn.create(_quote(account.processed_folder))  # fails harmlessly if it exists
        criteria = "UNDELETED" if account.processed_folder else "UNSEEN UNDELETED"
        data = _check("SEARCH", conn.uid("SEARCH", None, criteria))  # type: ignore[arg-type]
        uids = (data[0] or b"").split() if data and isinstance(data[0], bytes) else []
        can_move = _can_move(conn)
        for uid in uids[:limit]:
            raw = _fetch(conn, uid.decode())
            if raw is None:
                continue
            source = f"imap://{account.host}/{account.folder};UID={uid.decode()}"
            try:
                result = ingest(
                    store,
                    RawMail(source=source, data=raw),
                    now=clock(),
                    queue_id=queue_id,
                    limits=limits or DEFAULT_LIMITS,
                )
            except RetryLater as exc:
                log.warning("imap: %s; the poll stops, the rest stays unseen", exc)
                summary.stopped = str(exc)
                break
            summary.add(result)
            _mark(conn, uid.decode(), account, can_move=can_move)  # only after the commit
        if account.processed_folder and uids and not can_move:
            conn.expunge()
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"IMAP {account.host}:{account.port}: {exc}") from exc
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    log_fetch(f"imap://{account.host}/{account.folder}", summary)
    return summary


def _can_move(conn: imaplib.IMAP4) -> bool:
    """Capabilities after login (servers announce more than before it)."""
    typ, data = conn.capability()
    words = b" ".join(d for d in data if isinstance(d, bytes)).upper().split()
    return typ == "OK" and b"MOVE" in words


def _fetch(conn: imaplib.IMAP4, uid: str) -> bytes | None:
    data = _check("FETCH", conn.uid("FETCH", uid, "(BODY.PEEK[])"))
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _mark(conn: imaplib.IMAP4, uid: str, account: ImapAccount, *, can_move: bool) -> None:
    if not account.processed_folder:
        _check("STORE", conn.uid("STORE", uid, "+FLAGS", "(\\Seen)"))
        return
    folder = _quote(account.processed_folder)
    if can_move:
        _check("MOVE", conn.uid("MOVE", uid, folder))
        return
    _check("COPY", conn.uid("COPY", uid, folder))
    _check("STORE", conn.uid("STORE", uid, "+FLAGS", "(\\Seen \\Deleted)"))
