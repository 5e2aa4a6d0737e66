"""A ticket as the detail view and the forms show it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    LinkKind,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.text import when


@dataclass(frozen=True, slots=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class EscalationView:
    target: str
    to: str | None
    vendor: str
    vendor_ref: str
    promised_at: datetime | None
    next_checkin_at: datetime | None
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LinkView:
    other_id: int
    kind: LinkKind
    subject: str
    status: TicketStatus


@dataclass(frozen=True, slots=True)
class AddressView:
    """One email address of a contact; `failing` once mail to it bounced for good."""

    address: str
    failing: bool = False
    failing_since: datetime | None = None
    reason: str = ""  # what the bounce said: "address rejected", "mailbox full", ...

    def describe(self, zone: tzinfo = UTC) -> str:
        """`a@b.c`, or `a@b.c — failing since 18 Nov 2026 10:30 MSK: address rejected`
        (the time written as everywhere else on screen)."""
        if not self.failing:
            return self.address
        since = ""
        if self.failing_since is not None:
            since = f" since {when(self.failing_since, zone, weekday=False, year=True)}"
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.address} — failing{since}{reason}"


@dataclass(frozen=True, slots=True)
class TicketDetail:
    id: int
    subject: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    version: int
    queue: Named | None
    category: Named | None
    client: Named | None
    contact: Named | None
    contract: Named | None
    equipment: Named | None
    plan: str | None
    assignee: Named | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    first_responded_at: datetime | None
    resolution_due: datetime | None
    next_update_due: datetime | None
    sla_paused_since: datetime | None
    next_due_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    merged_into_id: int | None
    escalations: tuple[EscalationView, ...] = ()
    links: tuple[LinkView, ...] = ()
    contact_addresses: tuple[AddressView, ...] = ()  # the contact's email addresses
    contract_ends: date | None = None  # the last day of the ticket's contract
    # No contract on the ticket because the client's had lapsed when it was registered:
    expired_contract: Named | None = None
    expired_on: date | None = None

    @property
    def ref(self) -> str:
        return f"#{self.id}"

    def contract_text(self, today: date) -> str:
        """The contract as the detail shows it: its number, and when it expired if it has;
        a lapsed one is named with its day rather than left blank."""
        if self.contract is not None:
            if self.contract_ends is not None and self.contract_ends < today:
                return f"{self.contract.name} (expired on {self.contract_ends.isoformat()})"
            return self.contract.name
        if self.expired_contract is not None and self.expired_on is not None:
            return (
                f"{self.expired_contract.name} expired on {self.expired_on.isoformat()}:"
                " the default SLA plan applies"
            )
        return "—"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    id: int
    kind: MessageKind
    channel: Channel
    author: str
    created_at: datetime
    subject: str
    body: str
    label: str = ""  # what the intake made of it: "auto-reply", "bounce: address rejected"
    attachments: tuple[AttachmentView, ...] = ()

    @property
    def automatic(self) -> bool:
        """An auto-reply or a bounce: nobody wrote it."""
        return bool(self.label)


@dataclass(frozen=True, slots=True)
class AttachmentView:
    """One attachment of a message, as the thread lists it."""

    name: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    kind: str
    text: str
    reason: str
    version: int


@dataclass(frozen=True, slots=True)
class TicketView:
    """Everything the detail screen shows, read in one unit of work."""

    detail: TicketDetail
    messages: tuple[ThreadMessage, ...]
    history: tuple[HistoryEntry, ...]
    sla: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TicketBrief:
    """What a merge or link preview shows of the other ticket."""

    id: int
    subject: str
    status: TicketStatus
    client: str | None
    assignee: str | None
    messages: int

    @property
    def ref(self) -> str:
        return f"#{self.id}"


@dataclass(frozen=True, slots=True)
class ClassifyChoices:
    categories: tuple[Named, ...]
    clients: tuple[Named, ...]
    contracts: tuple[Named, ...]  # of the ticket's client
    equipment: tuple[Named, ...]  # of the ticket's client


@dataclass(frozen=True, slots=True)
class DeadlinePreview:
    """What the new-ticket form shows before saving: the contract and the deadlines."""

    contract: str  # one line: valid, expired, none
    covered: bool
    expired: bool
    plan: str | None
    first_response_due: datetime | None
    resolution_due: datetime | None
