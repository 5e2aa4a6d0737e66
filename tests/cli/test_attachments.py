"""Attachments from the command line: a real .eml imported, listed, saved byte for byte;
the intake's limits; the rating in `tickets show`."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from dispatcher.store.db.engine import Store
from dispatcher.store.mail import answers
from dispatcher.store.models import Ticket
from tests.cli.helpers import as_json, error, ok
from tests.factories import World, world

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 20
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


def _eml(
    path: Path, *files: tuple[str, str, bytes], message_id: str = "<att-1@acme.example>"
) -> Path:
    mail = EmailMessage()
    mail["From"] = "Анна Клиент <anna@acme.example>"
    mail["To"] = "support@helpdesk.example"
    mail["Subject"] = "Отчёт об ошибке"
    mail["Message-ID"] = message_id
    mail.set_content("Отчёт и снимок экрана во вложении.")
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    path.write_bytes(mail.as_bytes())
    return path


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _import(db_url: str, eml: Path) -> int:
    summary = as_json(db_url, "intake", "import", str(eml))
    assert summary["new_tickets"] == 1, summary
    return 1


def test_an_imported_attachment_is_listed_and_saved_byte_for_byte(
    db_url: str, w: World, tmp_path: Path
) -> None:
    eml = _eml(
        tmp_path / "mail.eml",
        ("отчёт.pdf", "application/pdf", PDF),
        ("screen.png", "image/png", PNG),
    )
    _import(db_url, eml)
    shown = as_json(db_url, "tickets", "show", "#1")
    [message] = shown["messages"]
    expected = [
        {"name": "отчёт.pdf", "content_type": "application/pdf", "size": len(PDF)},
        {"name": "screen.png", "content_type": "image/png", "size": len(PNG)},
    ]
    assert message["attachments"] == expected
    assert shown["attachments"] == [{"message": message["id"], **a} for a in expected]
    assert shown["rating"] is None

    text = ok(db_url, "tickets", "show", "#1").stdout
    assert f"(message {message['id']})" in text
    assert "attachment: отчёт.pdf (application/pdf, 5.0 KB)" in text
    assert "attachment: screen.png (image/png, 308 B)" in text

    listed = as_json(db_url, "tickets", "attachment", "list", "#1")
    assert [a["name"] for a in listed] == ["отчёт.pdf", "screen.png"]

    out = tmp_path / "saved"
    out.mkdir()
    first = ok(db_url, "tickets", "attachment", "save", "#1", "отчёт.pdf", "--to", str(out))
    again = ok(db_url, "tickets", "attachment", "save", "1", "отчёт.pdf", "--to", str(out))
    assert first.stdout.strip() == str(out / "отчёт.pdf")
    assert again.stdout.strip() == str(out / "отчёт (2).pdf")
    assert (out / "отчёт.pdf").read_bytes() == PDF
    assert (out / "отчёт (2).pdf").read_bytes() == PDF
    ok(db_url, "tickets", "attachment", "save", "#1", "screen.png", "--to", str(out))
    assert (out / "screen.png").read_bytes() == PNG


def test_saving_what_is_not_there_is_one_error_line(db_url: str, w: World, tmp_path: Path) -> None:
    eml = _eml(tmp_path / "mail.eml", ("отчёт.pdf", "application/pdf", PDF))
    _import(db_url, eml)
    to = str(tmp_path)
    save = ("tickets", "attachment", "save")
    assert "no ticket #7" in error(db_url, *save, "#7", "отчёт.pdf", "--to", to)
    assert "no attachment on #1 named 'nope.pdf'" in error(
        db_url, *save, "#1", "nope.pdf", "--to", to
    )
    assert "no folder" in error(db_url, *save, "#1", "отчёт.pdf", "--to", to + "/missing")
    assert "no message 99 on #1" in error(
        db_url, *save, "#1", "отчёт.pdf", "--to", to, "--message", "99"
    )
    assert "not a ticket reference" in error(db_url, *save, "x1", "отчёт.pdf", "--to", to)
    assert "--message" in error(db_url, *save, "#1", "отчёт.pdf", "--to", to, "--message", "-3")


def test_the_same_name_on_two_messages_needs_the_message_id(
    db_url: str, w: World, tmp_path: Path
) -> None:
    _import(db_url, _eml(tmp_path / "a.eml", ("log.txt", "text/plain", b"first\n")))
    reply = _eml(
        tmp_path / "b.eml",
        ("log.txt", "text/plain", b"second\n"),
        message_id="<att-2@acme.example>",
    )
    reply.write_bytes(reply.read_bytes().replace(b"Subject: ", b"Subject: [#1] ", 1))
    assert as_json(db_url, "intake", "import", str(reply))["threaded"] == 1
    ids = [m["id"] for m in as_json(db_url, "tickets", "show", "#1")["messages"]]
    out = tmp_path / "out"
    out.mkdir()
    line = error(db_url, "tickets", "attachment", "save", "#1", "log.txt", "--to", str(out))
    assert f"messages {ids[0]}, {ids[1]}" in line
    saved = ok(
        db_url,
        "tickets",
        "attachment",
        "save",
        "#1",
        "log.txt",
        "--to",
        str(out),
        "--message",
        str(ids[1]),
    )
    assert Path(saved.stdout.strip()).read_bytes() == b"second\n"


def test_oversized_and_excess_attachments_are_dropped_with_a_note(
    db_url: str, w: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "dispatcher.toml"
    config.write_text("[intake]\nmax_attachment_mb = 0.004\nmax_attachments = 2\n")
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    big = b"\x00" * (80 * 1024)
    eml = _eml(
        tmp_path / "mail.eml",
        ("x.iso", "application/octet-stream", big),
        ("a.txt", "text/plain", b"a"),
        ("b.txt", "text/plain", b"b"),
        ("c.txt", "text/plain", b"c"),
    )
    _import(db_url, eml)
    shown = as_json(db_url, "tickets", "show", "#1")
    assert [a["name"] for a in shown["attachments"]] == ["a.txt", "b.txt"]
    body = shown["messages"][0]["body"]
    assert body.startswith("Отчёт и снимок экрана во вложении.")
    assert "[attachment x.iso (80 KB) not kept: over 4.1 KB]" in body
    assert "[attachment c.txt (1 B) not kept: over 2 attachments per message]" in body


def test_show_has_the_rating(db_url: str, store: Store, w: World, tmp_path: Path) -> None:
    _import(db_url, _eml(tmp_path / "mail.eml"))
    with store.write() as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None
        answers.rate(session, ticket=ticket, score=4, comment="Ставлю 4", now=ticket.created_at)
    shown = as_json(db_url, "tickets", "show", "#1")
    assert shown["rating"]["score"] == 4
    assert shown["rating"]["comment"] == "Ставлю 4"
    assert "  rating: 4 of 5" in ok(db_url, "tickets", "show", "#1").stdout
