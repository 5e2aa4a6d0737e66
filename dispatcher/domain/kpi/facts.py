"""A ticket's facts for the KPIs, folded from its append-only history.

The store keeps one row of these per ticket (`ticket_fact`), so a report aggregates indexed
rows instead of replaying every history. A change folds only its new events into the
facts it stored before (`fold_into`): `TicketFacts` is the whole state of the fold, the
odometer of business minutes included, so folding a history in two parts gives exactly,
float for float, what `fold` gives in one. The backfill (`dispatcher admin report
rebuild-facts`) folds each whole history, so the two can never disagree.

The fold reads events in the order they were recorded. What counts:

* **Public response**: a `message_added` of kind `reply` by a team member (an event with
  an actor; an imported one that names a user unknown here keeps it as `imported_actor`).
  Kinds listed in `RESPONSE_MESSAGE_KINDS` count the same: `call` is there for the day
  the console logs calls to the client as messages of that kind. Inbound mail, internal
  notes and automatic notifications (`notification_queued`, never a message) never count.
* **Status**: every event that changes it (`status_changed`, `reopened`, `assigned`,
  `classified`, `escalated`, `merged`) moves the ticket from one status spell to the next.
  Until the first resolution each spell's business minutes go to requester wait
  (`waiting_client`), vendor wait (`escalated`: a colleague escalation makes the ticket
  `assigned` instead) or team work (any other active status); a spell in `closed` before
  any resolution (closed for want of an answer, then reopened) is none of them.
* **Resolution**: the first and the latest entry into `resolved`; **reopen**: each
  `reopened` event (as `ticket.reopen_count` counts them).
* **SLA** per target: the outcome is decided by the first of its `sla_met` (met, or
  breached when the event says `late`) and its `sla_breached`; the regular-update target,
  which the plan may not set, is decided by its first breach, else met at the first
  resolution (when a first response came before it). Breaches after the outcome was decided
  (a resolution target breached again after a reopen) are counted, for "ever breached".
* **CSAT**: the latest `rated` event of kind `csat`.

Business minutes are those of the calendar handed in (the ticket's plan's); with none,
calendar minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from dispatcher.domain.enums import ACTIVE_STATUSES, EventKind, SlaTarget, TicketStatus

# Message kinds whose `message_added` by a team member is a public response.
RESPONSE_MESSAGE_KINDS = frozenset({"reply", "call"})

# The event kinds the fold reads; the store fetches only these.
FACT_EVENTS: tuple[EventKind, ...] = (
    EventKind.created,
    EventKind.classified,
    EventKind.assigned,
    EventKind.status_changed,
    EventKind.reopened,
    EventKind.escalated,
    EventKind.message_added,
    EventKind.merged,
    EventKind.rated,
    EventKind.sla_started,
    EventKind.sla_plan_changed,
    EventKind.sla_met,
    EventKind.sla_breached,
)

_ACTIVE = frozenset(ACTIVE_STATUSES)
_TARGETS = (SlaTarget.first_response, SlaTarget.resolution, SlaTarget.update)


class CountsBusinessTime(Protocol):
    """What the fold needs of a calendar (`domain.calendar.BusinessCalendar` is one)."""

    def business_minutes_between(self, start: datetime, end: datetime) -> float: ...


class HistoryEvent(NamedTuple):
    """One event of a ticket's history, as the fold reads it."""

    at: datetime
    kind: str  # an EventKind value; a kind the fold does not know is skipped
    actor_id: int | None
    data: Mapping[str, Any]


class Duration(NamedTuple):
    """A stretch of a ticket's life in minutes: wall-clock, and business of its calendar."""

    calendar: float
    business: float


class Outcome(StrEnum):
    met = "met"
    breached = "breached"


@dataclass(slots=True)
class TargetFacts:
    outcome: Outcome | None = None
    decided_at: datetime | None = None
    breaches: int = 0  # `sla_breached` events of this target, before or after the outcome

    @property
    def ever_breached(self) -> bool:
        return self.outcome == Outcome.breached or self.breaches > 0


def _targets() -> dict[SlaTarget, TargetFacts]:
    return {target: TargetFacts() for target in _TARGETS}


@dataclass(slots=True)
class TicketFacts:
    created_at: datetime
    status: TicketStatus = TicketStatus.new
    status_since: datetime | None = None  # when the current status spell began
    status_since_business: float = 0.0  # business minutes from creation to then
    first_response_at: datetime | None = None
    first_response: Duration | None = None
    # Public responses up to the first resolution (the first response among them).
    responses_before_resolution: int = 0
    first_resolved_at: datetime | None = None
    resolution: Duration | None = None  # creation to the first resolution
    last_resolved_at: datetime | None = None
    full_resolution: Duration | None = None  # creation to the latest resolution
    reopen_count: int = 0
    # Business minutes before the first resolution, by whose turn it was.
    requester_wait: float = 0.0
    team_work: float = 0.0
    vendor_wait: float = 0.0
    # When the ticket last stopped being active (None while it is active), and the earlier
    # inactive spells a reopen ended: enough to tell whether it was active at any instant.
    inactive_since: datetime | None = None
    reopened_spells: list[tuple[datetime, datetime]] = field(default_factory=list)
    update_target: bool = False  # the plan sets a regular-update target
    sla: dict[SlaTarget, TargetFacts] = field(default_factory=_targets)
    csat_score: int | None = None
    csat_at: datetime | None = None
    # The odometer: business minutes from creation to `counted_to`, the latest instant
    # counted so far. Later instants are counted on from there, so resuming a fold counts
    # exactly the spans a fold of the whole history counts.
    counted_to: datetime | None = None
    counted_business: float = 0.0

    def __post_init__(self) -> None:
        if self.status_since is None:
            self.status_since = self.created_at
        if self.counted_to is None:
            self.counted_to = self.created_at


def status_after(kind: str, data: Mapping[str, Any]) -> TicketStatus | None:
    """The status an event leaves the ticket in, when the event changes it."""
    match kind:
        case EventKind.status_changed | EventKind.reopened:
            value = data.get("to")
        case EventKind.assigned | EventKind.escalated | EventKind.merged:
            value = _second(data.get("status"))
        case EventKind.classified:
            changes = data.get("changes")
            value = _second(changes.get("status")) if isinstance(changes, Mapping) else None
        case _:
            return None
    try:
        return TicketStatus(value) if value is not None else None
    except ValueError:
        return None


def _second(pair: Any) -> Any:
    return pair[1] if isinstance(pair, list | tuple) and len(pair) == 2 else None


def is_public_response(event: HistoryEvent) -> bool:
    if event.kind != EventKind.message_added:
        return False
    if event.data.get("kind") not in RESPONSE_MESSAGE_KINDS:
        return False
    return event.actor_id is not None or bool(event.data.get("imported_actor"))


def fold(
    created_at: datetime,
    events: Iterable[HistoryEvent],
    calendar: CountsBusinessTime | None,
) -> TicketFacts:
    """The facts of a ticket created at `created_at` with this history (in recorded order)."""
    return fold_into(TicketFacts(created_at=created_at), events, calendar)


def fold_into(
    facts: TicketFacts,
    events: Iterable[HistoryEvent],
    calendar: CountsBusinessTime | None,
) -> TicketFacts:
    """Fold more events (recorded after those `facts` were folded from) into `facts`, in
    place; `facts` back. `fold_into(fold(c, a, cal), b, cal)` equals `fold(c, a + b, cal)`
    for the same calendar."""
    odometer = _Odometer(facts, calendar)
    for event in events:
        _apply(facts, event, odometer)
    return facts


class _Odometer:
    """Business minutes from the ticket's creation to an instant, counted forward: the
    instants of a history come (almost always) in order, so the calendar walks the ticket's
    life once, not once per figure. Its position is kept in the facts (`counted_to`,
    `counted_business`), so a fold resumed later counts on from where the last one
    stopped."""

    __slots__ = ("_calendar", "_created", "_facts")

    def __init__(self, facts: TicketFacts, calendar: CountsBusinessTime | None) -> None:
        self._calendar, self._created, self._facts = calendar, facts.created_at, facts

    def at(self, instant: datetime) -> float:
        facts = self._facts
        last = facts.counted_to or self._created
        if instant <= self._created:
            return 0.0
        if instant < last:  # out of order (an imported clock event): count it apart
            return _business(self._created, instant, self._calendar)
        if instant > last:
            facts.counted_business += _business(last, instant, self._calendar)
            facts.counted_to = instant
        return facts.counted_business

    def duration(self, instant: datetime) -> Duration:
        """Creation to `instant`, wall-clock and business."""
        wall = max(0.0, (instant - self._created).total_seconds() / 60)
        return Duration(wall, self.at(instant))


def _apply(facts: TicketFacts, event: HistoryEvent, odometer: _Odometer) -> None:
    status = status_after(event.kind, event.data)
    if status is not None and status != facts.status:
        _change_status(facts, status, event.at, odometer)
    if event.kind == EventKind.reopened:
        facts.reopen_count += 1
    elif is_public_response(event):
        if facts.first_resolved_at is None:
            facts.responses_before_resolution += 1
        if facts.first_response_at is None:
            facts.first_response_at = event.at
            facts.first_response = odometer.duration(event.at)
    elif event.kind in (EventKind.sla_started, EventKind.sla_plan_changed):
        budgets = event.data.get("budgets")
        if isinstance(budgets, Mapping):
            facts.update_target = budgets.get("update") is not None
        elif "budgets" in event.data:  # the plan sets no targets for this priority
            facts.update_target = False
    elif event.kind in (EventKind.sla_met, EventKind.sla_breached):
        _sla_event(facts, event)
    elif event.kind == EventKind.rated and event.data.get("kind", "csat") == "csat":
        score = event.data.get("score")
        if isinstance(score, int) and not isinstance(score, bool):
            facts.csat_score, facts.csat_at = score, event.at


def _change_status(
    facts: TicketFacts, status: TicketStatus, at: datetime, odometer: _Odometer
) -> None:
    old, since = facts.status, facts.status_since or facts.created_at
    business = odometer.at(at)
    if facts.first_resolved_at is None and old in _ACTIVE:
        minutes = max(0.0, business - facts.status_since_business)
        if old == TicketStatus.waiting_client:
            facts.requester_wait += minutes
        elif old == TicketStatus.escalated:
            facts.vendor_wait += minutes
        else:
            facts.team_work += minutes
    if old in _ACTIVE and status not in _ACTIVE:
        facts.inactive_since = at
    elif old not in _ACTIVE and status in _ACTIVE:
        facts.reopened_spells.append((facts.inactive_since or since, at))
        facts.inactive_since = None
    facts.status, facts.status_since, facts.status_since_business = status, at, business
    if status == TicketStatus.resolved:
        took = odometer.duration(at)
        if facts.first_resolved_at is None:
            facts.first_resolved_at, facts.resolution = at, took
            update = facts.sla[SlaTarget.update]
            if facts.update_target and facts.first_response_at is not None:
                if update.outcome is None:
                    update.outcome, update.decided_at = Outcome.met, at
        facts.last_resolved_at, facts.full_resolution = at, took


def _sla_event(facts: TicketFacts, event: HistoryEvent) -> None:
    try:
        target = SlaTarget(str(event.data.get("target")))
    except ValueError:
        return
    state = facts.sla[target]
    if event.kind == EventKind.sla_breached:
        state.breaches += 1
        if state.outcome is None:
            state.outcome, state.decided_at = Outcome.breached, event.at
    elif target != SlaTarget.update and state.outcome is None:
        # Each later public reply meets the update target again: those decide nothing.
        state.outcome = Outcome.breached if event.data.get("late") else Outcome.met
        state.decided_at = event.at


def _business(start: datetime, end: datetime, calendar: CountsBusinessTime | None) -> float:
    if end <= start:
        return 0.0
    if calendar is None:
        return (end - start).total_seconds() / 60
    return calendar.business_minutes_between(start, end)


def in_backlog_at(
    at: datetime,
    *,
    created_at: datetime,
    inactive_since: datetime | None,
    reopened_spells: Iterable[tuple[datetime, datetime]] = (),
) -> bool:
    """Whether the ticket is in the backlog at the instant `at`: created before it, and
    active at it (a ticket resolved at exactly `at` is not; one created then is not yet)."""
    if created_at >= at:
        return False
    if inactive_since is not None and at >= inactive_since:
        return False
    return not any(start <= at < end for start, end in reopened_spells)
