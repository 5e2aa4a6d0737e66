"""SMTP handlers that misbehave on purpose, served by a real aiosmtpd server on loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from tests.notify.smtp import Recorder, free_port


@contextmanager
def serve(handler: object) -> Iterator[int]:
    """Run `handler` as an SMTP server on a free loopback port; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@dataclass
class Picky(Recorder):
    """Refuses the recipients named in `refuse` with the reply given; takes the others."""

    refuse: dict[str, str] = field(default_factory=dict)  # address -> "452 mailbox full"
    refuse_data: dict[str, str] = field(default_factory=dict)  # Message-ID -> reply to DATA

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = message_from_bytes(envelope.content, policy=default)["Message-ID"]
        if message_id in self.refuse_data:
            return self.refuse_data[message_id]
        return await super().handle_DATA(server, session, envelope)


class DeliveryClock:
    """Time that moves only when the sink takes a message, by `step` each time.

    Leases then run out after a number of deliveries, not after a stretch of wall time, so
    a test of two senders racing a lease races no real timer.
    """

    def __init__(self, start: datetime, step: timedelta) -> None:
        self._now = start
        self._step = step
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def tick(self) -> None:
        with self._lock:
            self._now += self._step


@dataclass
class SlowSink:
    """Takes every message after `delay` seconds, noting its Message-ID; each is a tick."""

    clock: DeliveryClock
    delay: float = 0.01
    message_ids: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=default)
        self.message_ids.append(str(message["Message-ID"]))
        self.clock.tick()
        return "250 Message accepted for delivery"
