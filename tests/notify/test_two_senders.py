"""Every console runs a sender: two of them on one database send each message exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta

from sqlmodel import col, select

from dispatcher.domain.enums import OutboxStatus
from dispatcher.notify.sender import SendResult, SmtpAccount, deliver_due
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import outbox
from dispatcher.store.models import OutboxItem
from tests.notify.sinks import DeliveryClock, SlowSink, serve

COUNT = 30
BATCH = 20
STEP = timedelta(minutes=1)  # the time one delivery takes, on the injected clock
LEASE = 8 * STEP  # shorter than a batch: a batch's tail is taken over midway


def _enqueue(store: Store, now: datetime, count: int) -> list[str]:
    with store.write() as session:
        items = [
            outbox.enqueue(
                session,
                kind="reply",
                to_addresses=f"client{n}@acme.example",
                subject=f"answer {n}",
                body="Hello.",
                now=now,
            )
            for n in range(count)
        ]
        return [i.message_id for i in items]


def _unsent(store: Store) -> int:
    with store.read() as session:
        rows = session.exec(
            select(OutboxItem.id).where(col(OutboxItem.status) != OutboxStatus.sent)
        ).all()
    return len(rows)


def test_two_senders_on_one_database_send_each_message_once(
    store: Store, db_url: str, now: datetime
) -> None:
    message_ids = _enqueue(store, now, COUNT)
    clock = DeliveryClock(now, STEP)
    sink = SlowSink(clock, delay=0.01)
    results: list[SendResult] = []
    errors: list[BaseException] = []

    def console(account: SmtpAccount) -> None:
        own = Store.open(db_url)  # each console has its own engine on the shared database
        try:
            deadline = time.monotonic() + 60
            while _unsent(own) and time.monotonic() < deadline:
                results.append(deliver_due(own, account, clock=clock, batch=BATCH, lease=LEASE))
                time.sleep(0.002)
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            own.dispose()

    with serve(sink) as port:
        account = SmtpAccount(host="127.0.0.1", port=port, timeout=10)
        senders = [threading.Thread(target=console, args=(account,)) for _ in range(2)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=90)
    assert not errors
    assert not any(s.is_alive() for s in senders)
    delivered = Counter(sink.message_ids)
    assert set(delivered) == set(message_ids)
    assert [m for m, n in delivered.items() if n > 1] == []  # nothing sent twice
    assert _unsent(store) == 0
    # The leases did run out midway: one sender found rows the other had taken over.
    assert any(r.taken_over for r in results)
    with store.read() as session:
        ids = [i.id for i in outbox.items(session)]
    assert sorted(i for r in results for i in r.sent) == ids  # each marked sent once


def test_a_sender_whose_lease_ran_out_neither_sends_nor_marks(store: Store, now: datetime) -> None:
    [message_id] = _enqueue(store, now, 1)
    with store.write() as session:
        [slow] = outbox.claim_due(session, now=now, owner="slow", lease=LEASE)
    later = now + LEASE
    with store.write() as session:
        [fast] = outbox.claim_due(session, now=later, owner="fast", lease=LEASE)
    assert fast.id == slow.id
    with store.write() as session:
        assert not outbox.renew(session, item_id=slow.id, owner="slow", now=later, lease=LEASE)
        assert not outbox.mark_sent(session, item_id=slow.id, owner="slow", now=later)
        assert (
            outbox.mark_failed(session, item_id=slow.id, owner="slow", error="x", now=later) is None
        )
        assert not outbox.defer(session, item_id=slow.id, owner="slow", error="x", now=later)
        assert outbox.renew(session, item_id=fast.id, owner="fast", now=later, lease=LEASE)
    # While the new owner's renewed lease holds, nobody else may claim the row.
    with store.write() as session:
        assert outbox.claim_due(session, now=later + LEASE - STEP, owner="third") == []
        assert outbox.mark_sent(session, item_id=fast.id, owner="fast", now=later)
    with store.read() as session:
        [item] = outbox.items(session)
    assert (item.message_id, item.status, item.attempts) == (message_id, OutboxStatus.sent, 2)
