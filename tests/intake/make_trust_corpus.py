"""Writes tests/intake/corpus_trust/*.eml: mail that tests who may write to a ticket, how
answers to a resolution read, how noise is labelled and what hidden HTML hides.

The files are committed; this script documents how each was made and rebuilds them
(`python -m tests.intake.make_trust_corpus`). As in `make_corpus`, `[#1]` and
`<ack@dispatcher.local>` are placeholders the tests replace with a real ticket number and
a real outgoing Message-ID.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dispatcher.intake.pipeline import ingest
from dispatcher.intake.sources import RawMail
from dispatcher.store.db.engine import Store
from dispatcher.store.mail.inbound import InboundResult
from tests.intake.make_corpus import b64_word, headers

# Beside the main corpus, not in it: tests import that folder whole and count its files.
TRUST = Path(__file__).parent / "corpus_trust"

RESOLUTION_QUOTE = (
    b"> Hello Anna Client,\r\n>\r\n> we believe ticket [#1] (VPN is down) is resolved.\r\n>\r\n"
    b'> Please reply to this message:\r\n> - "confirm" if it works now, or a rating from 1 '
    b"(poor) to 5 (excellent);\r\n> - or tell us what is still wrong, and we reopen it.\r\n"
)


def _text(*lines: bytes, body: bytes, charset: str = "utf-8") -> bytes:
    return (
        headers(
            *lines,
            b"MIME-Version: 1.0",
            f"Content-Type: text/plain; charset={charset}".encode(),
            b"Content-Transfer-Encoding: 8bit",
        )
        + body
    )


def build() -> dict[str, bytes]:
    c: dict[str, bytes] = {}
    c["other_client_confirms.eml"] = _text(
        b"From: Bob Globex <bob@globex.example>",
        b"To: support@helpdesk.example",
        b"Subject: Re: [#1] Resolved: VPN is down",
        b"Message-ID: <other-client-1@globex.example>",
        body=b"Confirm, works now. 5\r\n\r\nOn Wed, Nov 18, 2026 at 10:15 AM Support "
        b"<support@helpdesk.example> wrote:\r\n" + RESOLUTION_QUOTE,
    )
    c["stranger_in_reply_to.eml"] = _text(
        b"From: mallory@evil.example",
        b"To: support@helpdesk.example",
        b"Subject: Re: VPN is down",
        b"Message-ID: <stranger-1@evil.example>",
        b"In-Reply-To: <plain-1@acme.example>",
        b"References: <plain-1@acme.example>",
        body=b"Still broken, reopen it and send me the logs.\r\n",
    )
    c["stranger_to_ack.eml"] = _text(
        b"From: Mallory <mallory@evil.example>",
        b"Subject: Re: We have your request",
        b"Message-ID: <stranger-2@evil.example>",
        b"In-Reply-To: <ack@dispatcher.local>",
        body=b"Please also send me the VPN password.\r\n",
    )
    c["stranger_auto_reply.eml"] = _text(
        b"From: mallory@evil.example",
        b"Subject: Out of Office: [#1] VPN is down",
        b"Message-ID: <stranger-ooo@evil.example>",
        b"Auto-Submitted: auto-replied",
        body=b"I am away.\r\n",
    )
    c["hostile_stranger.eml"] = _text(
        b"From: mallory@evil.example",
        b"Subject: [#1] [bold red]urgent[/] \x1b[31mreopen",
        b"Message-ID: <stranger-hostile@evil.example>",
        body=b"[link=https://evil.example]click[/link] \x1b]0;pwned\x07 not fixed\r\n",
    )
    # Our own mailbox as the sender: it is on every ticket's thread (in To), so only
    # knowing it is a mailbox of ours (other clients wrote to it too) keeps it out.
    c["spoofed_support.eml"] = _text(
        b"From: Support <support@helpdesk.example>",
        b"To: support@helpdesk.example",
        b"Subject: Re: [#1] Resolved: VPN is down",
        b"Message-ID: <spoofed-1@evil.example>",
        body=b"Confirmed, please close. 5\r\n",
    )
    c["globex_request.eml"] = _text(
        b"From: Bob Globex <bob@globex.example>",
        b"To: support@helpdesk.example",
        b"Subject: Printer jams",
        b"Message-ID: <globex-1@globex.example>",
        body=b"The printer in room 4 jams.\r\n",
    )
    c["anna_cc_carol.eml"] = _text(
        b"From: Anna Client <anna@acme.example>",
        b"To: support@helpdesk.example",
        b"Cc: Carol Partner <carol@partner.example>",
        b"Subject: Re: VPN is down",
        b"Message-ID: <anna-cc-1@acme.example>",
        b"In-Reply-To: <plain-1@acme.example>",
        body=b"Carol from our integrator is in copy, she sees it too.\r\n",
    )
    c["carol_replies.eml"] = _text(
        b"From: Carol Partner <carol@partner.example>",
        b"Subject: RE: [#1] VPN is down",
        b"Message-ID: <carol-1@partner.example>",
        body=b"Same here: error 809 on every laptop.\r\n",
    )
    c["colleague_at_domain.eml"] = _text(
        b"From: " + b64_word("Павел Сидоров", "utf-8") + b" <pavel@acme.example>",
        b"Subject: RE: [#1] VPN is down",
        b"Message-ID: <pavel-1@acme.example>",
        body="У меня тоже не подключается.\r\n".encode(),
    )
    c["new_person_at_domain.eml"] = _text(
        b"From: Maria Ivanova <maria@acme.example>",
        b"Subject: Printer on floor 3",
        b"Message-ID: <maria-1@acme.example>",
        body=b"The printer on floor 3 jams on every page.\r\n",
    )
    dsn = (
        b"--dsn\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        b"Final-Recipient: rfc822; anna@acme.example\r\nAction: {action}\r\n"
        b"Status: {status}\r\nDiagnostic-Code: smtp; {diagnostic}\r\n\r\n"
        b"--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"From: support@helpdesk.example\r\nTo: anna@acme.example\r\n"
        b"Subject: [#1] We have your request\r\nMessage-ID: <ack@dispatcher.local>\r\n"
        b"\r\n--dsn--\r\n"
    )
    for name, action, status, diagnostic in (
        (
            "bounce_rejected.eml",
            b"failed",
            b"5.1.1",
            b"550 5.1.1 <anna@acme.example>: Recipient address rejected: User unknown",
        ),
        (
            "bounce_delayed.eml",
            b"delayed",
            b"4.4.7",
            b"451 4.4.7 delivery delayed, will retry",
        ),
    ):
        c[name] = headers(
            b"From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)",
            b"To: support@helpdesk.example",
            b"Subject: Undelivered Mail Returned to Sender",
            f"Message-ID: <{name}@mx.acme.example>".encode(),
            b"MIME-Version: 1.0",
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"',
        ) + dsn.replace(b"{action}", action).replace(b"{status}", status).replace(
            b"{diagnostic}", diagnostic
        )
    c["answer_unclear.eml"] = _text(
        b"From: anna@acme.example",
        b"Subject: Re: [#1] Resolved: VPN is down",
        b"Message-ID: <answer-unclear@acme.example>",
        body=b"I'll check tomorrow and let you know.\r\n\r\nBest regards,\r\nAnna\r\n"
        b"Tel: +7 495 123-45-67 ext. 5\r\n\r\nOn Wed, Nov 18, 2026 at 10:15 AM Support "
        b"<support@helpdesk.example> wrote:\r\n" + RESOLUTION_QUOTE,
    )
    c["answer_question.eml"] = _text(
        b"From: anna@acme.example",
        b"Subject: Re: [#1] Resolved: VPN is down",
        b"Message-ID: <answer-question@acme.example>",
        body=b"Thanks, it works! Another question: how do I connect a second monitor?\r\n"
        b"\r\n-----Original Message-----\r\nFrom: Support [mailto:support@helpdesk.example]\r\n"
        b"Sent: Wednesday, November 18, 2026 10:15 AM\r\nTo: anna@acme.example\r\n"
        b"Subject: [#1] Resolved: VPN is down\r\n\r\nwe believe ticket [#1] is resolved.\r\n",
    )
    c["answer_not_fixed_ru.eml"] = _text(
        b"From: anna@acme.example",
        b"Subject: Re: [#1] Resolved: VPN is down",
        b"Message-ID: <answer-not-fixed-ru@acme.example>",
        body="Всё ещё не работает, ошибка 809 на месте.\r\n\r\nср, 18 нояб. 2026 г. в 10:15, "
        "Support <support@helpdesk.example>:\r\n".encode("koi8_r")
        + RESOLUTION_QUOTE,
        charset="koi8-r",
    )
    c["answer_rating_ru.eml"] = _text(
        b"From: anna@acme.example",
        b"Subject: Re: [#1] Resolved: VPN is down",
        b"Message-ID: <answer-rating-ru@acme.example>",
        body="Спасибо, всё заработало. Оценка: 4 из 5\r\n\r\nС уважением,\r\nАнна\r\n"
        "тел. +7 (495) 123-45-67\r\n\r\n-----Исходное сообщение-----\r\nОт: Support "
        "[mailto:support@helpdesk.example]\r\nОтправлено: 18 ноября 2026 г. 10:15\r\n"
        "Кому: anna@acme.example\r\nТема: [#1] Resolved: VPN is down\r\n\r\n"
        "Please reply: confirm, or a rating from 1 (poor) to 5.\r\n".encode("cp1251"),
        charset="windows-1251",
    )
    c["html_hidden.eml"] = headers(
        b"From: anna@acme.example",
        b"Subject: Scanner error",
        b"Message-ID: <html-hidden-1@acme.example>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/html; charset=utf-8",
    ) + (
        b"<html><head><style>.x{display:none}</style><title>TITLE-TEXT</title></head><body>"
        b'<div style="display:none;max-height:0;overflow:hidden">SECRET-PREHEADER</div>'
        b'<span style="mso-hide:all; font-size:0">MSO-HIDDEN</span>'
        b"<p>The scanner on floor 2 shows error E-17.</p>"
        b"<div hidden>HIDDEN-ATTRIBUTE <p>still hidden</p></div>"
        b'<p style="visibility: hidden">INVISIBLE-TEXT</p>'
        b'<div aria-hidden="true"><a href="https://t.example/c">ARIA-TRACKING</a></div>'
        b"<script>document.write('SCRIPT-TEXT')</script>"
        b"<p>Please call me at extension 214.</p>"
        b'<img src="https://t.example/o.gif" width="1" height="1" alt="TRACKING-PIXEL">'
        b'<img src="https://t.example/p.gif" style="width:0px;height:0px" alt="STYLE-PIXEL">'
        b'<img src="cid:logo" width="120" alt="Acme logo">'
        b"</body></html>"
    )
    return c


def trust_mail(name: str, **replace: str) -> bytes:
    """A message of this corpus; `ticket=` and `ack=` replace the placeholders."""
    data = (TRUST / name).read_bytes()
    if "ticket" in replace:
        data = data.replace(b"[#1]", f"[#{replace['ticket']}]".encode())
    if "ack" in replace:
        data = data.replace(b"<ack@dispatcher.local>", replace["ack"].encode())
    return data


def feed_trust(store: Store, name: str, *, now: datetime, **replace: str) -> InboundResult:
    return ingest(store, RawMail(source=name, data=trust_mail(name, **replace)), now=now)


def main() -> None:
    TRUST.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (TRUST / name).write_bytes(data)


if __name__ == "__main__":
    main()
