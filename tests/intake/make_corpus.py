"""Writes tests/intake/corpus/*.eml: awkward real-world mail, byte for byte.

The files are committed; this script documents how each was made and rebuilds them
(`python -m tests.intake.make_corpus`). `[#1]` and `<ack@dispatcher.local>` are placeholders
the tests replace with a real ticket number and a real outgoing Message-ID.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
RU = "Добрый день! Не работает принтер в бухгалтерии, ошибка E-42. Срочно!"
RU_SUBJECT = "Не печатает принтер"


def b64_word(text: str, charset: str) -> bytes:
    return b"=?" + charset.encode() + b"?B?" + base64.b64encode(text.encode(charset)) + b"?="


def q_word(text: str, charset: str) -> bytes:
    encoded = quopri.encodestring(text.encode(charset), header=True).replace(b"=\n", b"")
    return b"=?" + charset.encode() + b"?Q?" + encoded + b"?="


def headers(*lines: bytes) -> bytes:
    return b"\r\n".join(lines) + b"\r\n\r\n"


def build() -> dict[str, bytes]:
    c: dict[str, bytes] = {}
    c["plain_utf8.eml"] = (
        headers(
            b"From: Anna Client <anna@acme.example>",
            b"To: support@helpdesk.example",
            b"Subject: VPN is down",
            b"Date: Wed, 18 Nov 2026 10:15:00 +0300",
            b"Message-ID: <plain-1@acme.example>",
            b"MIME-Version: 1.0",
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Transfer-Encoding: 8bit",
        )
        + "Nobody can connect since the morning. Ошибка 809.\r\n".encode()
    )
    c["cp1251.eml"] = (
        headers(
            b"From: " + b64_word("Анна Клиент", "windows-1251") + b" <anna@acme.example>",
            b"To: support@helpdesk.example",
            b"Subject: " + b64_word(RU_SUBJECT, "windows-1251"),
            b"Message-ID: <cp1251-1@acme.example>",
            b"MIME-Version: 1.0",
            b"Content-Type: text/plain; charset=windows-1251",
            b"Content-Transfer-Encoding: 8bit",
        )
        + RU.encode("cp1251")
        + b"\r\n"
    )
    c["koi8r_qp.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: " + q_word(RU_SUBJECT, "koi8-r"),
        b"Message-ID: <koi8-1@acme.example>",
        b"MIME-Version: 1.0",
        b'Content-Type: text/plain; charset="KOI8-R"',
        b"Content-Transfer-Encoding: quoted-printable",
    ) + quopri.encodestring(RU.encode("koi8_r"))
    c["wrong_charset.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: declared latin-1, written in windows-1251",
        b"Message-ID: <wrong-1@acme.example>",
        b"Content-Type: text/plain; charset=iso-8859-1",
        b"Content-Transfer-Encoding: 8bit",
    ) + RU.encode("cp1251")
    c["unknown_charset.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: " + b"=?x-made-up?B?" + base64.b64encode(RU_SUBJECT.encode("koi8_r")) + b"?=",
        b"Message-ID: <unknown-1@acme.example>",
        b"Content-Type: text/plain; charset=x-made-up-charset",
        b"Content-Transfer-Encoding: 8bit",
    ) + RU.encode("koi8_r")
    c["raw_8bit_headers.eml"] = headers(
        b"From: " + "Анна".encode("cp1251") + b" <anna@acme.example>",
        b"Subject: " + RU_SUBJECT.encode("cp1251"),
        b"Message-ID: <raw8-1@acme.example>",
        b"Content-Type: text/plain",
    ) + RU.encode("cp1251")
    c["html_only.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: HTML only",
        b"Message-ID: <html-1@acme.example>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/html; charset=utf-8",
    ) + (
        b"<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
        b"<body><p>Hello&nbsp;team,</p><p>the <b>printer</b> &amp; the scanner are down."
        b"</p><ul><li>floor 2</li><li>floor 3</li></ul>"
        b'<p>See <a href="https://status.acme.example/x">the status page</a>.</p>'
        b"<table><tr><td>Model</td><td>HP 4000</td></tr></table></body></html>"
    )
    plain_qp = quopri.encodestring(("Привет! " + "long words " * 20).encode("utf-8"))
    c["alternative_qp.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: alternative",
        b"Message-ID: <alt-1@acme.example>",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/alternative; boundary="b1"',
    ) + (
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + plain_qp + b"\r\n"
        b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML twin</p>\r\n--b1--\r\n"
    )
    c["base64_body.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: base64",
        b"Message-ID: <b64-1@acme.example>",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: base64",
    ) + base64.encodebytes("Тело в base64: сервер не отвечает.".encode())
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    c["attachments.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: logs attached",
        b"Message-ID: <att-1@acme.example>",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="mix"',
    ) + (
        b"--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached files.\r\n"
        b'--mix\r\nContent-Type: application/pdf; name="report.pdf"\r\n'
        b'Content-Disposition: attachment; filename="report.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf) + b"--mix\r\n"
        b"Content-Type: image/png\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''%D1%81%D0%BA%D1%80%D0%B8%D0%BD.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(png) + b"--mix\r\n"
        b'Content-Type: application/octet-stream; name="'
        + b64_word("журнал.log", "utf-8")
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(b"log line\n")
        + b"--mix\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        b'filename="copy.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(pdf)
        + b"--mix--\r\n"
    )
    c["long_lines.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: " + b"very long subject " * 120,
            b"Message-ID: <long-1@acme.example>",
            b"Content-Type: text/plain; charset=utf-8",
        )
        + b"x" * 200_000
        + b" end-of-long-line\r\n"
    )
    c["malformed_headers.eml"] = (
        b"From: Anna Client <anna@acme.example\r\n"
        b"To: ,,, <>, support@helpdesk.example,\r\n"
        b"Subject: =?utf-8?B?not base64 at all!?= broken words =?bogus?Q?=ZZ?=\r\n"
        b"Subject: a second subject\r\n"
        b"Date: yesterday at noon\r\n"
        b"Message-ID: malformed-1@acme.example\r\n"
        b"This line has no colon\r\n"
        b"Content-Type: text/plain; charset=\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"Tm90IHF1aXRlIGJhc2U2NCE=!!!\r\n"
    )
    c["no_message_id.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: no Message-ID here",
            b"Date: Wed, 18 Nov 2026 10:15:00 +0300",
        )
        + b"Same bytes twice must make one ticket.\r\n"
    )
    c["reply_in_reply_to.eml"] = (
        headers(
            b"From: Anna Client <anna@acme.example>",
            b"Subject: Re: VPN is down",
            b"Message-ID: <reply-1@acme.example>",
            b"In-Reply-To: <plain-1@acme.example>",
            b"References: <plain-1@acme.example>",
        )
        + b"It is still down on floor 3.\r\n"
    )
    c["reply_subject_ref.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: RE: [#1] VPN is down",
            b"Message-ID: <reply-2@acme.example>",
        )
        + b"Any news?\r\n"
    )
    c["reply_to_notification.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: Re: We have your request",
            b"Message-ID: <reply-3@acme.example>",
            b"In-Reply-To: <ack@dispatcher.local>",
        )
        + b"Here are more details.\r\n"
    )
    c["auto_submitted.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: Re: [#1] We have your request",
            b"Message-ID: <auto-1@acme.example>",
            b"Auto-Submitted: auto-replied",
            b"In-Reply-To: <ack@dispatcher.local>",
        )
        + b"I am away until Monday.\r\n"
    )
    c["out_of_office_en.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: Out of Office: [#1] VPN is down",
            b"Message-ID: <ooo-en@acme.example>",
        )
        + b"I am out of the office.\r\n"
    )
    c["out_of_office_ru.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: " + b64_word("Автоответ: [#1] VPN is down", "utf-8"),
        b"Message-ID: <ooo-ru@acme.example>",
        b"Content-Type: text/plain; charset=koi8-r",
    ) + "Я в отпуске до понедельника.".encode("koi8_r")
    c["precedence_bulk.eml"] = (
        headers(
            b"From: news@acme.example",
            b"Subject: Weekly digest",
            b"Message-ID: <bulk-1@acme.example>",
            b"Precedence: bulk",
        )
        + b"Nothing for the helpdesk.\r\n"
    )
    c["x_autoreply.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: Re: [#1] Resolved",
            b"Message-ID: <xauto-1@acme.example>",
            b"X-Autoreply: yes",
        )
        + b"Thank you for your message.\r\n"
    )
    c["bounce_dsn.eml"] = headers(
        b"From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)",
        b"To: support@helpdesk.example",
        b"Subject: Undelivered Mail Returned to Sender",
        b"Message-ID: <dsn-1@mx.acme.example>",
        b"Auto-Submitted: auto-replied",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"',
    ) + (
        b"--dsn\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        b"Final-Recipient: rfc822; anna@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--dsn\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: support@helpdesk.example\r\nTo: anna@acme.example\r\n"
        b"Subject: [#1] We have your request\r\nMessage-ID: <ack@dispatcher.local>\r\n\r\n"
        b"we have registered your request\r\n--dsn--\r\n"
    )
    c["bounce_plain.eml"] = (
        headers(
            b"From: Mail Delivery Subsystem <mailer-daemon@mx.acme.example>",
            b"Subject: Mail delivery failed: returning message to sender",
            b"Message-ID: <dsn-2@mx.acme.example>",
            b"X-Failed-Recipients: anna@acme.example",
        )
        + b"This message was created automatically.\r\n\r\n"
        + b"  anna@acme.example\r\n    mailbox unavailable\r\n"
    )
    c["unreadable_binary.eml"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 3
    c["no_sender.eml"] = (
        headers(
            b"Subject: who sent this?",
            b"Message-ID: <nosender-1@acme.example>",
        )
        + b"There is no From, Sender, Reply-To or Return-Path.\r\n"
    )
    c["empty.eml"] = b""
    c["confirm_reply.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: Re: [#1] Resolved: VPN is down",
            b"Message-ID: <confirm-1@acme.example>",
        )
        + b'Confirm, works now.\r\n\r\nOn Wed, Support wrote:\r\n> reply "confirm"\r\n'
    )
    c["rating_reply.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: Re: [#1] Resolved: VPN is down",
        b"Message-ID: <rating-1@acme.example>",
        b"Content-Type: text/plain; charset=windows-1251",
    ) + "5 - спасибо, быстро!\r\n\r\n> Please reply\r\n".encode("cp1251")
    c["not_fixed_reply.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: Re: [#1] Resolved: VPN is down",
            b"Message-ID: <notfixed-1@acme.example>",
        )
        + b"It is still broken, 3 printers on floor 2.\r\n"
    )
    c["domain_sender.eml"] = (
        headers(
            b"From: Boss <boss@acme.example>",
            b"Subject: Printer jam",
            b"Message-ID: <domain-1@acme.example>",
        )
        + b"Please send someone.\r\n"
    )
    c["unknown_sender.eml"] = (
        headers(
            b"From: stranger@nowhere.example",
            b"Subject: Hello?",
            b"Message-ID: <unknown-sender-1@nowhere.example>",
        )
        + b"Do you do support?\r\n"
    )
    c["hostile_text.eml"] = (
        headers(
            b"From: anna@acme.example",
            b"Subject: [bold red]markup[/] \x1b[31mescape",
            b"Message-ID: <hostile-1@acme.example>",
        )
        + b"[link=https://evil.example]click[/link] \x1b]0;title\x07 body\r\n"
    )
    return c


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, data in build().items():
        (CORPUS / name).write_bytes(data)
    mbox = b""
    for name in ("plain_utf8.eml", "reply_in_reply_to.eml", "cp1251.eml"):
        data = (CORPUS / name).read_bytes().replace(b"\r\n", b"\n")
        mbox += (
            b"From anna@acme.example Wed Nov 18 10:15:00 2026\n"
            + data.replace(b"\nFrom ", b"\n>From ")
            + b"\n"
        )
    (CORPUS / "three.mbox").write_bytes(mbox)


if __name__ == "__main__":
    main()
