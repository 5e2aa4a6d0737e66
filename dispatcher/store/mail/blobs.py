"""Attachments of inbound mail: listed on their message, content stored once by SHA-256."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from sqlalchemy import insert as core_insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from dispatcher.store.models import Attachment, Blob, table_of

if TYPE_CHECKING:
    from dispatcher.store.mail.inbound import InboundAttachment


def _insert_ignore(session: Session, values: dict[str, object]) -> None:
    table = table_of(Blob)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two backends are supported
        session.execute(core_insert(table).values(**values))


def store_blobs(session: Session, *, attachments: tuple[InboundAttachment, ...]) -> None:
    """Each attachment's content, stored once by its SHA-256."""
    for item in attachments:
        digest = hashlib.sha256(item.data).hexdigest()
        _insert_ignore(session, {"sha256": digest, "size": len(item.data), "data": item.data})


def store_attachments(
    session: Session, *, message_row_id: int, attachments: tuple[InboundAttachment, ...]
) -> None:
    """Each attachment listed on its message; content stored once by its SHA-256."""
    store_blobs(session, attachments=attachments)
    for item in attachments:
        session.add(
            Attachment(
                message_id=message_row_id,
                filename=item.filename or "attachment",
                content_type=item.content_type,
                size=len(item.data),
                sha256=hashlib.sha256(item.data).hexdigest(),
            )
        )
    session.flush()


def contents(session: Session, *, digests: list[str]) -> dict[str, bytes]:
    """The stored content of each digest there is."""
    if not digests:
        return {}
    rows = session.exec(select(Blob).where(col(Blob.sha256).in_(digests))).all()
    return {row.sha256: row.data for row in rows}


def drop_unlisted(session: Session, *, digests: list[str], keep: set[str]) -> int:
    """Delete the blobs of `digests` no attachment lists and `keep` does not name."""
    dropped = 0
    for digest in dict.fromkeys(digests):
        if digest in keep:
            continue
        listed = session.exec(select(Attachment.id).where(Attachment.sha256 == digest)).first()
        blob = session.get(Blob, digest)
        if listed is None and blob is not None:
            session.delete(blob)
            dropped += 1
    session.flush()
    return dropped
