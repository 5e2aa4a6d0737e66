"""The attachments of a ticket's messages: listed, and saved to a folder under a safe name.

A file name comes from the sender, so it is never trusted as a path: `save_attachment`
keeps only its last component, drops control and format characters (an RTL override can
make `cod.exe` look like `exe.doc`), the characters Windows refuses and leading dots (no
hidden or `..` files), and renames the names Windows reserves (`CON`, `nul.txt`,
`COM1.log`). A file already in the folder is never overwritten: the copy is saved as
`name (2).pdf`, `name (3).pdf`, ... (created exclusively, so two saves at once cannot
take the same name either).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.store.models import Attachment, Blob, Message
from dispatcher.store.tickets.writes import get_ticket

FALLBACK_NAME = "attachment"
MAX_NAME_BYTES = 255  # what ext4, APFS and NTFS allow for one name (NTFS: 255 UTF-16 units)
MAX_COPIES = 10_000
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{p}{n}" for p in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")]
)


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """One attachment as a ticket lists it; `message_id` is the message's row id."""

    message_id: int
    name: str
    content_type: str
    size: int


class AmbiguousAttachmentError(ValidationError):
    """More than one message of the ticket has an attachment of that name."""

    def __init__(self, ref: str, name: str, message_ids: list[int]) -> None:
        self.name = name
        self.message_ids = message_ids
        listed = ", ".join(str(i) for i in message_ids)
        super().__init__(
            f"{ref} has attachments named {name!r} on messages {listed}: say which message (its id)"
        )


def _rows(session: Session, *, ticket_id: int) -> list[tuple[Attachment, Message]]:
    get_ticket(session, ticket_id=ticket_id)
    rows = session.exec(
        select(Attachment, Message)
        .join(Message, col(Message.id) == col(Attachment.message_id))
        .where(Message.ticket_id == ticket_id)
        .order_by(col(Message.created_at), col(Message.id), col(Attachment.id))
    ).all()
    return [(a, m) for a, m in rows]


def ticket_attachments(session: Session, *, ticket_id: int) -> list[AttachmentInfo]:
    """Every attachment of the ticket's messages, in message order; NotFoundError without
    the ticket."""
    return [
        AttachmentInfo(
            message_id=message.id or 0,
            name=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
        )
        for attachment, message in _rows(session, ticket_id=ticket_id)
    ]


def safe_filename(name: str) -> str:
    """`name` as a file name that is safe to create in a folder on any system."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]  # the last path component only
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch.isspace()
    )
    name = _WINDOWS_FORBIDDEN.sub("_", name)
    name = " ".join(name.split())
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return FALLBACK_NAME
    stem = name.split(".", 1)[0].rstrip(" ")
    if stem.upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return _fit(name)


def _fit(name: str, suffix: str = "") -> str:
    """`name` with `suffix` added before its extension, cut to MAX_NAME_BYTES of UTF-8."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode()) > 32:
        stem, dot, extension = name, "", ""
    tail = suffix + dot + extension
    room = MAX_NAME_BYTES - len(tail.encode())
    cut = stem.encode()[:room].decode("utf-8", "ignore").rstrip(". ")
    return (cut or FALLBACK_NAME) + tail


def _choose(session: Session, *, ticket_id: int, name: str, message_id: int | None) -> Attachment:
    rows = _rows(session, ticket_id=ticket_id)
    ref = f"#{ticket_id}"
    if message_id is not None:
        on_ticket = session.exec(
            select(Message.id).where(Message.id == message_id, Message.ticket_id == ticket_id)
        ).first()
        if on_ticket is None:
            raise NotFoundError("message", f"{message_id} on {ref}")
        rows = [(a, m) for a, m in rows if m.id == message_id]
    found = [a for a, _ in rows if a.filename == name]
    if not found:
        folded = name.casefold()
        found = [a for a, _ in rows if a.filename.casefold() == folded]
    if not found:
        where = f"on message {message_id} of {ref}" if message_id is not None else f"on {ref}"
        raise NotFoundError(f"attachment {where} named", repr(name))
    messages = list(dict.fromkeys(a.message_id for a in found))
    if len(messages) > 1:
        raise AmbiguousAttachmentError(ref, name, messages)
    return found[0]  # the first of that name on the message


def _create_exclusive(folder: Path, name: str, data: bytes) -> Path:
    for copy in range(1, MAX_COPIES + 1):
        candidate = folder / (name if copy == 1 else _fit(name, f" ({copy})"))
        try:
            fd = os.open(  # never executable, whatever the sender named it
                candidate,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                0o644,
            )
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        except BaseException:
            candidate.unlink(missing_ok=True)
            raise
        return candidate
    raise ValidationError(f"{folder} already has {MAX_COPIES} files named like {name!r}")


def save_attachment(
    session: Session,
    *,
    ticket_id: int,
    name: str,
    to_dir: Path,
    message_id: int | None = None,
) -> Path:
    """Write the attachment `name` of the ticket into `to_dir`; the path it was written to.

    `message_id` (a message's row id) picks one when several messages have an attachment
    of that name (`AmbiguousAttachmentError` otherwise). A name that matches exactly wins
    over one that matches ignoring case. The file's name is `safe_filename(name)`, never an
    existing file's (see the module's docstring).
    """
    attachment = _choose(session, ticket_id=ticket_id, name=name, message_id=message_id)
    if not to_dir.exists():
        raise NotFoundError("folder", to_dir)
    if not to_dir.is_dir():
        raise ValidationError(f"{to_dir} is not a folder")
    blob = session.get(Blob, attachment.sha256)
    if blob is None:
        raise NotFoundError(
            f"stored content of attachment {attachment.filename!r} on", f"#{ticket_id}"
        )
    return _create_exclusive(to_dir, safe_filename(attachment.filename), blob.data)
