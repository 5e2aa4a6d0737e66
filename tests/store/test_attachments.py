"""A ticket's attachments: listed in message order, saved under a safe name, never over a file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dispatcher.domain.enums import MessageKind
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import blobs
from dispatcher.store.mail.attachments import (
    AmbiguousAttachmentError,
    AttachmentInfo,
    safe_filename,
    save_attachment,
    ticket_attachments,
)
from dispatcher.store.mail.inbound import InboundAttachment
from dispatcher.store.tickets.writes import add_message
from tests.factories import World, new_ticket, world

PDF = b"%PDF-1.4\n" + bytes(range(256))


def _message_with(
    store: Store, ticket_id: int, *files: tuple[str, str, bytes], now: datetime
) -> int:
    with store.write() as session:
        message = add_message(
            session,
            ticket_id=ticket_id,
            kind=MessageKind.inbound,
            body="see the attachment",
            actor_id=None,
            from_address="anna@acme.example",
            now=now,
        )
        assert message.id is not None
        blobs.store_attachments(
            session,
            message_row_id=message.id,
            attachments=tuple(InboundAttachment(n, t, d) for n, t, d in files),
        )
        return message.id


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


@pytest.fixture
def ticket_id(store: Store, w: World, now: datetime) -> int:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    return ticket.id


def test_attachments_are_listed_in_message_order(
    store: Store, ticket_id: int, now: datetime
) -> None:
    later = _message_with(
        store, ticket_id, ("screen.png", "image/png", b"PNG"), now=now + timedelta(hours=1)
    )
    first = _message_with(
        store,
        ticket_id,
        ("отчёт.pdf", "application/pdf", PDF),
        ("log.txt", "text/plain", b"x" * 10),
        now=now,
    )
    with store.read() as session:
        listed = ticket_attachments(session, ticket_id=ticket_id)
    assert listed == [
        AttachmentInfo(first, "отчёт.pdf", "application/pdf", len(PDF)),
        AttachmentInfo(first, "log.txt", "text/plain", 10),
        AttachmentInfo(later, "screen.png", "image/png", 3),
    ]


def test_a_ticket_without_attachments_lists_none_and_a_missing_ticket_is_named(
    store: Store, ticket_id: int
) -> None:
    with store.read() as session:
        assert ticket_attachments(session, ticket_id=ticket_id) == []
        with pytest.raises(NotFoundError, match="no ticket #999"):
            ticket_attachments(session, ticket_id=999)


def test_saving_writes_the_bytes_and_never_overwrites(
    store: Store, ticket_id: int, now: datetime, tmp_path: Path
) -> None:
    _message_with(store, ticket_id, ("отчёт.pdf", "application/pdf", PDF), now=now)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "отчёт (2).pdf").write_bytes(b"someone else's")
    with store.read() as session:
        paths = [
            save_attachment(session, ticket_id=ticket_id, name="отчёт.pdf", to_dir=folder)
            for _ in range(3)
        ]
    assert [p.name for p in paths] == ["отчёт.pdf", "отчёт (3).pdf", "отчёт (4).pdf"]
    assert all(p.parent == folder and p.read_bytes() == PDF for p in paths)
    assert (folder / "отчёт (2).pdf").read_bytes() == b"someone else's"


def test_a_saved_attachment_is_never_executable(
    store: Store, ticket_id: int, now: datetime, tmp_path: Path
) -> None:
    _message_with(store, ticket_id, ("run.sh", "text/x-sh", b"#!/bin/sh\necho hi\n"), now=now)
    with store.read() as session:
        path = save_attachment(session, ticket_id=ticket_id, name="run.sh", to_dir=tmp_path)
    assert path.stat().st_mode & 0o111 == 0


def test_a_name_matches_ignoring_case_when_nothing_matches_exactly(
    store: Store, ticket_id: int, now: datetime, tmp_path: Path
) -> None:
    _message_with(store, ticket_id, ("Report.PDF", "application/pdf", PDF), now=now)
    with store.read() as session:
        path = save_attachment(session, ticket_id=ticket_id, name="report.pdf", to_dir=tmp_path)
    assert path.name == "Report.PDF"


@pytest.mark.parametrize(
    ("stored", "saved"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/path/x.pdf", "x.pdf"),
        ("..", "attachment"),
        ("...", "attachment"),
        (".bashrc", "bashrc"),
        ("  . hidden.txt", "hidden.txt"),
        ("a\x00b\x1b[31mc.txt", "ab[31mc.txt"),
        ("line\nbreak\ttab.txt", "line break tab.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("zero\u200bwidth.doc", "zerowidth.doc"),
        ('what?<is>:this|"*.txt', "what__is__this___.txt"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("Com1.tar.gz", "_Com1.tar.gz"),
        ("lpt9 .log", "_lpt9.log"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("trailing dots...", "trailing dots"),
        ("", "attachment"),
        ("отчёт.pdf", "отчёт.pdf"),
    ],
)
def test_names_are_made_safe(stored: str, saved: str) -> None:
    assert safe_filename(stored) == saved


def test_a_long_name_keeps_its_extension_within_the_limit() -> None:
    name = safe_filename("я" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 255
    assert name.startswith("я" * 100)


def test_a_hostile_stored_name_is_saved_inside_the_folder(
    store: Store, ticket_id: int, now: datetime, tmp_path: Path
) -> None:
    folder = tmp_path / "a" / "inbox"
    folder.mkdir(parents=True)
    _message_with(store, ticket_id, ("../../escape.sh", "text/x-sh", b"rm -rf"), now=now)
    with store.read() as session:
        path = save_attachment(session, ticket_id=ticket_id, name="../../escape.sh", to_dir=folder)
    assert path == folder / "escape.sh"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["inbox"]


def test_the_same_name_on_two_messages_asks_for_the_message(
    store: Store, ticket_id: int, now: datetime, tmp_path: Path
) -> None:
    first = _message_with(store, ticket_id, ("log.txt", "text/plain", b"first"), now=now)
    second = _message_with(
        store, ticket_id, ("log.txt", "text/plain", b"second"), now=now + timedelta(minutes=5)
    )
    with store.read() as session:
        with pytest.raises(AmbiguousAttachmentError) as asked:
            save_attachment(session, ticket_id=ticket_id, name="log.txt", to_dir=tmp_path)
        assert asked.value.message_ids == [first, second]
        assert f"messages {first}, {second}" in str(asked.value)
        path = save_attachment(
            session, ticket_id=ticket_id, name="log.txt", to_dir=tmp_path, message_id=second
        )
    assert path.read_bytes() == b"second"


def test_what_is_missing_is_named(
    store: Store, w: World, ticket_id: int, now: datetime, tmp_path: Path
) -> None:
    message = _message_with(store, ticket_id, ("log.txt", "text/plain", b"x"), now=now)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    other = new_ticket(store, w, now=now)
    with store.read() as session:
        cases: list[tuple[dict[str, object], str]] = [
            ({"ticket_id": 999, "name": "log.txt"}, "no ticket #999"),
            ({"ticket_id": ticket_id, "name": "nope.pdf"}, f"attachment on #{ticket_id} named"),
            (
                {"ticket_id": ticket_id, "name": "log.txt", "message_id": 12345},
                f"no message 12345 on #{ticket_id}",
            ),
            (
                {"ticket_id": other.id, "name": "log.txt", "message_id": message},
                f"no message {message} on #{other.id}",
            ),
            ({"ticket_id": ticket_id, "name": "log.txt", "to_dir": tmp_path / "x"}, "no folder"),
        ]
        for kwargs, expected in cases:
            arguments: dict[str, object] = {"to_dir": tmp_path, **kwargs}
            with pytest.raises(NotFoundError, match=expected):
                save_attachment(session, **arguments)  # type: ignore[arg-type]
        (tmp_path / "file").write_text("")
        with pytest.raises(ValidationError, match="is not a folder"):
            save_attachment(session, ticket_id=ticket_id, name="log.txt", to_dir=tmp_path / "file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
