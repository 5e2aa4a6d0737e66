"""The corpus of awkward messages and ways to feed it to the intake."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dispatcher.intake.pipeline import ingest
from dispatcher.intake.sources import RawMail
from dispatcher.store.db.engine import Store
from dispatcher.store.mail.inbound import InboundResult

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str, **replace: str) -> bytes:
    """A corpus message; `ticket=` replaces the `[#1]` placeholder, `ack=` the Message-ID one."""
    data = (CORPUS / name).read_bytes()
    if "ticket" in replace:
        data = data.replace(b"[#1]", f"[#{replace['ticket']}]".encode())
    if "ack" in replace:
        data = data.replace(b"<ack@dispatcher.local>", replace["ack"].encode())
    return data


def feed(store: Store, name: str, *, now: datetime, **replace: str) -> InboundResult:
    return ingest(store, RawMail(source=name, data=corpus(name, **replace)), now=now)


def synthetic_message(index: int) -> bytes:
    """Message `index` of a realistic stream: new requests, replies to earlier ones, noise."""
    kind = index % 10
    sender = f"user{index % 97}@client{index % 13}.example"
    if kind in (3, 7) and index >= 10:
        parent = index - 10 + (0 if (index - 10) % 10 not in (3, 7, 9) else 1)
        sender = f"user{parent % 97}@client{parent % 13}.example"  # who opened the ticket
        head = (
            f"Subject: Re: request {parent}\r\nIn-Reply-To: <m{parent}@bench.example>\r\n"
            f"References: <m{parent}@bench.example>\r\n"
        )
        body = b"Any news on this?\r\n"
        ctype = "text/plain; charset=utf-8"
    elif kind == 9:
        head = f"Subject: Out of office: request {index}\r\nAuto-Submitted: auto-replied\r\n"
        body = b"I am away this week.\r\n"
        ctype = "text/plain; charset=us-ascii"
    elif kind == 5:
        head = "Subject: =?windows-1251?B?zeUg7+Xn4PLg5fIg7/Do7fLl8A==?=\r\n"
        body = f"Принтер в кабинете {index} не печатает.\r\n".encode("cp1251")
        ctype = "text/plain; charset=windows-1251"
    else:
        head = f"Subject: request {index}: VPN drops every few minutes\r\n"
        body = ("Since this morning the VPN drops. Details below.\r\n" * 8).encode()
        ctype = "text/plain; charset=utf-8"
    return (
        f"From: User {index} <{sender}>\r\nTo: support@helpdesk.example\r\n"
        f"Message-ID: <m{index}@bench.example>\r\nDate: Wed, 18 Nov 2026 10:15:00 +0300\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {ctype}\r\n{head}\r\n"
    ).encode() + body


def make_maildir(path: Path, count: int) -> Path:
    """A maildir of `count` synthetic messages, in delivery order by file name."""
    for sub in ("new", "cur", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (path / "new" / f"{index:08d}.bench:2,").write_bytes(synthetic_message(index))
    return path
