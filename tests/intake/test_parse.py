"""Parsing the corpus: charsets right or wrong, encoded words, HTML, attachments, noise."""

from __future__ import annotations

import pytest

from dispatcher.intake.charset import decode_bytes
from dispatcher.intake.html import html_to_text
from dispatcher.intake.parse import Unreadable, header_text, parse_message
from tests.intake.helpers import CORPUS, corpus

RU = "Добрый день! Не работает принтер в бухгалтерии, ошибка E-42. Срочно!"
RU_SUBJECT = "Не печатает принтер"


@pytest.mark.parametrize(
    "name",
    [
        "cp1251.eml",
        "koi8r_qp.eml",
        "wrong_charset.eml",
        "unknown_charset.eml",
        "raw_8bit_headers.eml",
    ],
)
def test_russian_mail_reads_right_whatever_the_charset_claims(name: str) -> None:
    mail = parse_message(corpus(name))
    assert mail.body.strip() == RU
    assert mail.from_address == "anna@acme.example"
    if name != "wrong_charset.eml":
        assert mail.subject == RU_SUBJECT


def test_rfc2047_sender_name_in_windows_1251() -> None:
    assert parse_message(corpus("cp1251.eml")).from_name == "Анна Клиент"


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (RU.encode("cp1251"), "windows-1251"),
        (RU.encode("koi8_r"), "koi8-r"),
        (RU.encode("koi8_r"), "windows-1251"),  # declared wrong
        (RU.encode("utf-8"), "windows-1251"),  # declared wrong
        (RU.encode("cp1251"), None),
        (RU.encode("koi8_r"), "no-such-charset"),
        (RU.encode("cp1251"), "us-ascii"),
    ],
)
def test_decode_bytes_falls_back_to_the_plausible_charset(
    data: bytes, declared: str | None
) -> None:
    assert decode_bytes(data, declared) == RU


def test_western_text_stays_western() -> None:
    assert decode_bytes("Café crème à la gare".encode("latin-1"), None) == "Café crème à la gare"
    assert decode_bytes("Grüße".encode("cp1252"), "windows-1252") == "Grüße"


def test_encoded_words_decoded_and_broken_ones_kept_as_written() -> None:
    assert header_text("=?utf-8?Q?caf=C3=A9?= =?utf-8?B?0J/RgNC40LLQtdGC?=") == "caféПривет"
    mail = parse_message(corpus("malformed_headers.eml"))
    assert mail.subject.startswith("=?utf-8?B?not base64 at all!?=")
    assert mail.from_address == "anna@acme.example"  # salvaged from an unclosed <...>
    assert mail.message_id == "<malformed-1@acme.example>"  # angle brackets added
    assert mail.date is None  # "yesterday at noon"


def test_quoted_printable_and_base64_bodies() -> None:
    assert parse_message(corpus("alternative_qp.eml")).body.startswith("Привет! long words")
    assert parse_message(corpus("base64_body.eml")).body == "Тело в base64: сервер не отвечает."


def test_html_only_becomes_readable_text() -> None:
    body = parse_message(corpus("html_only.eml")).body
    assert "Hello team," in body
    assert "the printer & the scanner are down." in body
    assert "- floor 2\n- floor 3" in body
    assert "the status page (https://status.acme.example/x)" in body
    assert "alert" not in body
    assert "color" not in body
    assert "<" not in body


def test_html_to_text_keeps_pre_blocks() -> None:
    assert html_to_text("<pre>a\n  b</pre><p>x&lt;y</p>") == "a\n  b\n\nx<y"


def test_attachments_with_encoded_names() -> None:
    mail = parse_message(corpus("attachments.eml"))
    assert mail.body == "See the attached files."
    names = [(a.filename, a.content_type, len(a.data)) for a in mail.attachments]
    assert names == [
        ("report.pdf", "application/pdf", 1040),
        ("скрин.png", "image/png", 208),
        ("журнал.log", "application/octet-stream", 9),
        ("copy.pdf", "application/pdf", 1040),
    ]
    assert mail.attachments[0].data.startswith(b"%PDF-1.4")


def test_very_long_lines_are_kept_whole() -> None:
    mail = parse_message(corpus("long_lines.eml"))
    assert len(mail.body) > 200_000
    assert mail.body.endswith("end-of-long-line")
    assert len(mail.subject) == 500


@pytest.mark.parametrize(
    "name",
    [
        "auto_submitted.eml",
        "out_of_office_en.eml",
        "out_of_office_ru.eml",
        "precedence_bulk.eml",
        "x_autoreply.eml",
    ],
)
def test_auto_replies_are_recognised(name: str) -> None:
    mail = parse_message(corpus(name))
    assert mail.auto_reply
    assert not mail.bounce


@pytest.mark.parametrize("name", ["bounce_dsn.eml", "bounce_plain.eml"])
def test_bounces_name_the_failed_address(name: str) -> None:
    mail = parse_message(corpus(name))
    assert mail.bounce
    assert not mail.auto_reply
    assert mail.bounced_recipients == ("anna@acme.example",)


def test_a_dsn_names_the_message_it_returns() -> None:
    assert parse_message(corpus("bounce_dsn.eml")).original_message_ids == (
        "<ack@dispatcher.local>",
    )


def test_ordinary_mail_is_neither_noise_nor_bounce() -> None:
    for path in CORPUS.glob("*.eml"):
        if path.name.startswith(("plain", "reply", "cp1251", "koi8", "attach", "html")):
            mail = parse_message(path.read_bytes())
            assert not mail.auto_reply, path.name
            assert not mail.bounce, path.name


def test_without_message_id_the_content_hash_stands_in() -> None:
    first = parse_message(corpus("no_message_id.eml"))
    again = parse_message(corpus("no_message_id.eml"))
    assert not first.has_message_id
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@content-hash.invalid>")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.eml", "empty message"),
        ("unreadable_binary.eml", "not a mail message"),
        ("no_sender.eml", "no sender address"),
    ],
)
def test_unreadable_mail_says_why(name: str, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        parse_message(corpus(name))


def test_control_characters_never_reach_the_text() -> None:
    mail = parse_message(corpus("hostile_text.eml"))
    assert "\x1b" not in mail.subject
    assert "\x1b" not in mail.body
    assert "\x07" not in mail.body
    assert "[bold red]markup[/]" in mail.subject  # kept literally; the UI shows it inert


def _mail(*headers: bytes, body: bytes = b"Hello.\r\n") -> bytes:
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


_BASICS = (b"From: anna@acme.example", b"To: support@helpdesk.example", b"MIME-Version: 1.0")


def _with_attachments(*names: bytes, text: bytes, charset: bytes) -> bytes:
    parts = [
        b"--b1\r\nContent-Type: text/plain; charset=" + charset + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text + b"\r\n"
    ]
    for name in names:
        parts.append(
            b'--b1\r\nContent-Type: application/octet-stream; name="' + name + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
        )
    return _mail(
        *_BASICS,
        b"Subject: files",
        b"Message-ID: <files-8bit@acme.example>",
        b'Content-Type: multipart/mixed; boundary="b1"',
        body=b"".join(parts) + b"--b1--\r\n",
    )


@pytest.mark.parametrize(
    ("names", "text", "charset"),
    [
        (("отчёт.pdf", "café.txt"), "Отчёт и счёт во вложении.", "utf-8"),
        (("отчёт.pdf",), "Отчёт во вложении, проверьте пожалуйста.", "windows-1251"),
        (("café.txt",), "Voici la note du café.", "iso-8859-1"),
    ],
    ids=["utf-8", "windows-1251", "latin-1"],
)
def test_raw_8bit_attachment_names_are_read_not_quarantined(
    names: tuple[str, ...], text: str, charset: str
) -> None:
    raw = _with_attachments(
        *(n.encode(charset) for n in names), text=text.encode(charset), charset=charset.encode()
    )
    mail = parse_message(raw)  # was: Unreadable("'Header' object has no attribute 'split'")
    assert [a.filename for a in mail.attachments] == list(names)
    assert all(a.data == b"%PDF-1.4\n" for a in mail.attachments)
    assert mail.body == text


def test_a_nul_byte_in_headers_is_dropped_not_quarantined() -> None:
    raw = _mail(
        b"From: Anna\x00 Client <anna@acme.example>",
        b"To: support@helpdesk.example",
        b"Subject: VPN\x00 is down",
        b"Message-ID: <nul-1@acme.example>",
        b"MIME-Version: 1.0",
        b'Content-Type: text/plain; charset="utf-8\x00"',
        body="Ошибка 809 с утра.\r\n".encode(),
    )
    mail = parse_message(raw)  # was: Unreadable("... embedded null character")
    assert (mail.subject, mail.from_name, mail.from_address) == (
        "VPN is down",
        "Anna Client",
        "anna@acme.example",
    )
    assert mail.body == "Ошибка 809 с утра."


@pytest.mark.parametrize(
    ("subject", "text", "charset"),
    [
        ("印表機無法列印", "印表機無法列印，請盡快協助。", "big5"),
        ("ПРИНТЕР НЕ ПЕЧАТАЕТ", RU, "windows-1251"),
        ("ПРИНТЕР НЕ ПЕЧАТАЕТ", RU, "koi8-r"),
        ("Re: [JIRA] (OPS-1234) VPN gateway timeout: сбой", RU, "windows-1251"),
        ("Re: [JIRA] (OPS-1234) VPN gateway timeout: сбой", RU, "koi8-r"),
    ],
    ids=["big5", "cp1251-capitals", "koi8r-capitals", "cp1251-mostly-latin", "koi8r-mostly-latin"],
)
def test_raw_8bit_subjects_are_read_in_the_charset_of_the_text(
    subject: str, text: str, charset: str
) -> None:
    codec = charset.replace("windows-", "cp")
    raw = _mail(
        b"From: " + "Анна".encode(codec) + b" <anna@acme.example>"
        if codec != "big5"
        else b"From: anna@acme.example",
        b"To: support@helpdesk.example",
        b"Subject: " + subject.encode(codec),
        b"Message-ID: <raw-subject@acme.example>",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/alternative; boundary="alt"',
        body=(
            b"--alt\r\nContent-Type: text/plain; charset=" + charset.encode() + b"\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text.encode(codec) + b"\r\n"
            b"--alt\r\nContent-Type: text/html; charset=" + charset.encode() + b"\r\n\r\n"
            b"<p>" + text.encode(codec) + b"</p>\r\n--alt--\r\n"
        ),
    )
    mail = parse_message(raw)
    assert mail.body == text
    assert mail.subject == subject  # was: latin-1 mojibake, or the other Cyrillic charset
    if codec != "big5":
        assert mail.from_name == "Анна"


def test_raw_8bit_utf8_subject_wins_over_the_bodys_charset() -> None:
    raw = _mail(
        *_BASICS,
        "Subject: Счёт за ноябрь".encode(),
        b"Message-ID: <utf8-subject@acme.example>",
        b"Content-Type: text/plain; charset=windows-1251",
        body=RU.encode("cp1251"),
    )
    mail = parse_message(raw)
    assert (mail.subject, mail.body) == ("Счёт за ноябрь", RU)
