"""Composing: what the operator typed is stored and sent as typed, never evaluated."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatcher.domain.enums import MessageKind
from dispatcher.notify.sender import SmtpAccount, deliver_due
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import outbox
from dispatcher.store.replies.compose import send
from dispatcher.store.tickets import writes
from tests.factories import new_ticket, world
from tests.notify.smtp import smtp_server

HOSTILE = [
    "{{ 1/0 }}",
    "{{ 10**(10**10) }}",
    "{% for a in range(10**9) %}{% for b in range(10**9) %}x{% endfor %}{% endfor %}",
    "{{ ''.__class__.__mro__ }} {{ contact.name }}",
]


@pytest.mark.parametrize("typed", HOSTILE)
def test_a_note_is_stored_verbatim(store: Store, now: datetime, typed: str) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        message_id = send(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.note,
            subject="",
            body=typed,
            sender_id=w.dispatcher.id or 0,
            expected_version=ticket.version,
            now=now,
        )
    with store.read() as session:
        [note] = [
            m for m in writes.messages(session, ticket_id=ticket.id or 0) if m.id == message_id
        ]
    assert (note.kind, note.body) == (MessageKind.note, typed)


def test_a_reply_is_sent_verbatim(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    body = "\n".join(HOSTILE)
    with store.write() as session:
        send(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.reply,
            subject="{{ 10**(10**10) }}",
            body=body,
            sender_id=w.dispatcher.id or 0,
            expected_version=ticket.version,
            now=now,
        )
    with smtp_server() as (server, port):
        result = deliver_due(store, SmtpAccount(host="127.0.0.1", port=port), clock=lambda: now)
    assert len(result.sent) == 2  # the acknowledgement and the reply
    with store.read() as session:
        [reply] = [i for i in outbox.items(session) if i.kind == "reply"]
    assert (reply.subject, reply.body) == (f"[#{ticket.id}] {{{{ 10**(10**10) }}}}", body)
    [mail] = [m for m in server.messages if "10**" in str(m["Subject"])]
    assert mail["Subject"] == f"[#{ticket.id}] {{{{ 10**(10**10) }}}}"
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == body
