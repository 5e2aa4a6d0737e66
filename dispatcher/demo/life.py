"""One ticket's life while it is simulated: its row, its history, its messages, its clock.

Each step records the events the store's writes record for it (`add_message`,
`change_status`, `merge`, `escalate`: their kinds, data and reasons, and which of them bump
the version), so a demo history reads as one the console wrote. The SLA clock's part is
`dispatcher.demo.clock.TicketClock`: the store's clock events and due columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatcher.demo.bulk import Rows
from dispatcher.demo.catalogue import MESSAGE_DOMAIN
from dispatcher.demo.clock import TicketClock
from dispatcher.demo.world import Client, Contact, Plan
from dispatcher.domain.enums import Channel, EventKind, MessageKind, Priority, TicketStatus
from dispatcher.store.tickets.calls import CallDirection, describe_call

SUPPORT = f"support@{MESSAGE_DOMAIN}"

# (at, order of recording, kind, actor id, data, reason, bumps the version)
_Event = tuple[datetime, int, str, int | None, dict[str, Any], str, bool]


class Life:
    """One ticket's state while its life is simulated, with the rows it produced."""

    __slots__ = (
        "rows", "seed", "id", "row", "client", "contact", "events", "clock", "status",
        "last_message_id", "root_id",
    )  # fmt: skip

    def __init__(
        self,
        rows: Rows,
        *,
        seed: int,
        row: dict[str, Any],
        plan: Plan,
        client: Client,
        contact: Contact,
    ) -> None:
        self.rows = rows
        self.seed = seed
        self.id: int = row["id"]
        self.row = row
        self.client = client
        self.contact = contact
        self.events: list[_Event] = []
        self.clock = TicketClock(plan, Priority(row["priority"]), self._record_clock)
        self.status = TicketStatus(row["status"])
        self.last_message_id: str | None = None
        self.root_id = ""

    def event(
        self,
        at: datetime,
        kind: EventKind,
        actor: int | None,
        data: dict[str, Any],
        reason: str = "",
        *,
        bump: bool = True,
    ) -> None:
        self.events.append((at, len(self.events), kind.value, actor, data, reason, bump))

    def _record_clock(
        self, at: datetime, kind: EventKind, actor: int | None, data: dict[str, Any], reason: str
    ) -> None:
        self.event(at, kind, actor, data, reason, bump=False)  # as `sla_clock` records them

    def message(
        self,
        at: datetime,
        kind: MessageKind,
        body: str,
        *,
        author: int | None = None,
        ticket_id: int | None = None,
        event: bool = True,
    ) -> None:
        """A message on the ticket (or, `ticket_id`, the one it was merged into); a public
        reply goes to the SLA clock as `add_message` sends it."""
        mid = self.rows.new_message_id()
        row, contact = self.row, self.contact
        inbound = kind == MessageKind.inbound
        call = kind == MessageKind.call
        if inbound:
            channel = row["channel"]
        else:
            channel = Channel.phone.value if call else Channel.email.value
        domain = self.client.domain if inbound else MESSAGE_DOMAIN
        message_id = f"<demo{self.seed}.{mid}@{domain}>"
        if kind == MessageKind.note:
            from_address, to_address = "", ""
        elif call:  # the engineer rang the contact back, as `calls.log_call` records it
            from_address, to_address = "", contact.name
        elif inbound:
            from_address = contact.email if channel == Channel.email.value else ""
            to_address = SUPPORT if from_address else ""
        else:
            from_address, to_address = SUPPORT, contact.email
        if call:
            subject = describe_call(CallDirection.outgoing, contact.name, None)
        elif not self.root_id:
            subject = row["subject"]
        else:
            subject = f"Re: [#{self.id}] {row['subject']}"
        self.rows.messages.append(
            {
                "id": mid,
                "ticket_id": ticket_id or self.id,
                "kind": kind.value,
                "channel": channel,
                "author_id": None if inbound else author,
                "contact_id": row["contact_id"] if inbound or call else None,
                "from_address": from_address,
                "to_addresses": to_address,
                "cc_addresses": "",
                "subject": subject,
                "body": body,
                "created_at": at,
                "message_id": message_id,
                "in_reply_to": self.last_message_id,
                "references": self.root_id,
                "is_auto_reply": False,
                "is_bounce": False,
            }
        )
        if not self.root_id:
            self.root_id = message_id
        self.last_message_id = message_id
        if event:
            self.event(
                at,
                EventKind.message_added,
                None if inbound else author,
                {"kind": kind.value, "message": mid},
            )
        if kind in (MessageKind.reply, MessageKind.call):
            self.clock.on_public_reply(at, author)

    def set_status(
        self,
        at: datetime,
        new: TicketStatus,
        actor: int | None,
        reason: str = "",
        *,
        kind: EventKind = EventKind.status_changed,
        data: dict[str, Any] | None = None,
    ) -> None:
        """A status change (or a merge or escalation, `kind`), then the SLA clock's part."""
        old = self.status
        self.event(at, kind, actor, data or {"from": old.value, "to": new.value}, reason)
        self.status = new
        self.row["status"] = new.value
        self.clock.on_status_change(at, old, new, actor)

    def finish(self, now: datetime) -> None:
        """The life is over (or `now` is reached): its SLA columns, versions and rows."""
        row, rows = self.row, self.rows
        row.update(self.clock.columns(now, status=self.status, resolved_at=row["resolved_at"]))
        version, updated = 1, row["created_at"]
        self.events.sort()  # by time, then in the order recorded (unique: nothing further)
        event_id, ticket_id, append = rows.last_event_id, self.id, rows.events.append
        for at, _order, kind, actor, data, reason, bump in self.events:
            if bump:
                version += 1
                updated = at
            event_id += 1
            append(
                {
                    "id": event_id,
                    "ticket_id": ticket_id,
                    "at": at,
                    "actor_id": actor,
                    "kind": kind,
                    "version": version,
                    "data": data,
                    "reason": reason,
                }
            )
        rows.last_event_id = event_id
        row["version"] = version
        row["updated_at"] = updated
        rows.tickets.append(row)
