"""The helpdesk's vocabulary: every closed set of values the store and the UI share."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    dispatcher = "dispatcher"
    engineer = "engineer"
    lead = "lead"
    admin = "admin"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"

    @property
    def rank(self) -> int:
        """0 for the most urgent; sorts tickets by urgency."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.urgent: 0, Priority.high: 1, Priority.normal: 2, Priority.low: 3}


class TicketStatus(StrEnum):
    new = "new"
    open = "open"
    assigned = "assigned"
    in_progress = "in_progress"
    waiting_client = "waiting_client"
    escalated = "escalated"
    resolved = "resolved"
    closed = "closed"
    merged = "merged"
    spam = "spam"


# Tickets somebody still has to work on: the live queue and the SLA sweep read only these,
# through partial indexes whose WHERE clause spells out this very list.
ACTIVE_STATUSES: tuple[TicketStatus, ...] = (
    TicketStatus.new,
    TicketStatus.open,
    TicketStatus.assigned,
    TicketStatus.in_progress,
    TicketStatus.waiting_client,
    TicketStatus.escalated,
)

# Which status may follow which. A status not listed as a key is final.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.new: frozenset(
        {
            TicketStatus.open,
            TicketStatus.assigned,
            TicketStatus.in_progress,
            TicketStatus.waiting_client,
            TicketStatus.escalated,
            TicketStatus.resolved,
            TicketStatus.closed,
            TicketStatus.merged,
            TicketStatus.spam,
        }
    ),
    TicketStatus.open: frozenset(
        {
            TicketStatus.assigned,
            TicketStatus.in_progress,
            TicketStatus.waiting_client,
            TicketStatus.escalated,
            TicketStatus.resolved,
            TicketStatus.closed,
            TicketStatus.merged,
            TicketStatus.spam,
        }
    ),
    TicketStatus.assigned: frozenset(
        {
            TicketStatus.open,
            TicketStatus.in_progress,
            TicketStatus.waiting_client,
            TicketStatus.escalated,
            TicketStatus.resolved,
            TicketStatus.closed,
            TicketStatus.merged,
        }
    ),
    TicketStatus.in_progress: frozenset(
        {
            TicketStatus.open,
            TicketStatus.assigned,
            TicketStatus.waiting_client,
            TicketStatus.escalated,
            TicketStatus.resolved,
            TicketStatus.merged,
        }
    ),
    TicketStatus.waiting_client: frozenset(
        {
            TicketStatus.open,
            TicketStatus.assigned,
            TicketStatus.in_progress,
            TicketStatus.escalated,
            TicketStatus.resolved,
            TicketStatus.closed,
            TicketStatus.merged,
        }
    ),
    TicketStatus.escalated: frozenset(
        {
            TicketStatus.open,
            TicketStatus.assigned,
            TicketStatus.in_progress,
            TicketStatus.waiting_client,
            TicketStatus.resolved,
            TicketStatus.merged,
        }
    ),
    # A resolved ticket closes on confirmation or timeout, or reopens when the client says
    # it is not fixed.
    TicketStatus.resolved: frozenset(
        {TicketStatus.closed, TicketStatus.open, TicketStatus.in_progress, TicketStatus.assigned}
    ),
    # A closed ticket can still be reopened by a lead; merged and spam are final.
    TicketStatus.closed: frozenset({TicketStatus.open}),
}


def can_transition(current: TicketStatus, target: TicketStatus) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


class Channel(StrEnum):
    email = "email"
    phone = "phone"
    chat = "chat"
    web = "web"
    walk_in = "walk_in"


class MessageKind(StrEnum):
    inbound = "inbound"  # from the client (or a vendor)
    reply = "reply"  # public: goes to the client
    note = "note"  # internal: never leaves the team
    call = "call"  # a phone call to or from the client, logged: public like a reply


class ContactPointKind(StrEnum):
    email = "email"
    phone = "phone"


class Visibility(StrEnum):
    internal = "internal"
    public = "public"


class ArticleStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class EventKind(StrEnum):
    created = "created"
    classified = "classified"
    assigned = "assigned"
    status_changed = "status_changed"
    reopened = "reopened"
    escalated = "escalated"
    message_added = "message_added"
    merged = "merged"
    linked = "linked"
    edited = "edited"
    notification_queued = "notification_queued"
    notification_cancelled = "notification_cancelled"  # withdrawn from the outbox unsent
    rated = "rated"
    # The client's answer to a resolution could not be read as confirmed or not fixed: the
    # ticket keeps its status and a dispatcher is asked to read it.
    answer_unclear = "answer_unclear"
    # The SLA clock, kept as events so every deadline can be explained after the fact.
    sla_started = "sla_started"
    sla_paused = "sla_paused"
    sla_resumed = "sla_resumed"
    sla_plan_changed = "sla_plan_changed"
    sla_met = "sla_met"
    sla_breached = "sla_breached"


class SlaTarget(StrEnum):
    first_response = "first_response"
    resolution = "resolution"
    update = "update"


class AlertKind(StrEnum):
    warning = "warning"
    breach = "breach"
    attention = "attention"  # not an SLA deadline: mail a dispatcher must look at


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"  # gave up after the last retry; shown to the team
    cancelled = "cancelled"  # withdrawn by an admin before it was sent; never sent


class ReviewDecision(StrEnum):
    """What a dispatcher decided about mail held for review."""

    accepted = "accepted"
    rejected = "rejected"


class LinkKind(StrEnum):
    related = "related"
    duplicate = "duplicate"
    parent = "parent"


class RatingKind(StrEnum):
    csat = "csat"  # 1..5 asked at resolution
    nps = "nps"  # 0..10 pulse per client


class EscalationTarget(StrEnum):
    colleague = "colleague"
    vendor = "vendor"
