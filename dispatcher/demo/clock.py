"""One ticket's SLA clock while its life is simulated, kept as `dispatcher.store.sla.clock`
keeps it: the clock events appended to the ticket's history (the same kinds, data and
reasons), and the due columns derived from them by `dispatcher.domain.sla.compute` over
the plan's business calendar.

The same rules the store applies, on in-memory values: simulating a ticket costs no round
trip, and `sla_clock.state` of the written ticket gives back exactly these columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from dispatcher.demo.world import Plan
from dispatcher.domain.enums import EventKind, Priority, SlaTarget, TicketStatus
from dispatcher.domain.sla import (
    NO_DEADLINE,
    Budgets,
    ClockEvent,
    ClockState,
    alert_steps,
    compute,
)
from dispatcher.store.sla.clock import PAUSED_STATUSES

# Appends one event to the ticket's history: (at, kind, actor id, data, reason).
Record = Callable[[datetime, EventKind, int | None, dict[str, Any], str], None]

_REOPENED_FROM = (TicketStatus.resolved, TicketStatus.closed)


class TicketClock:
    """The SLA clock of one simulated ticket. `start`, `on_public_reply`, `on_status_change`
    and `_meet` are the `sla_clock` functions of those names; `columns` is `refresh_due`."""

    __slots__ = (
        "plan", "priority", "budgets", "warn_before", "record", "_events", "_recorded",
        "first_response_due", "resolution_due", "responded_at", "paused_since", "_met", "_run",
    )  # fmt: skip

    def __init__(self, plan: Plan, priority: Priority, record: Record) -> None:
        self.plan = plan
        self.priority = priority
        self.budgets = plan.budgets[priority]
        self.warn_before = plan.warn_before[priority]
        self.record = record
        # The clock events as `sla_clock.clock_events` reads them back, made when the clock
        # is next replayed from what was recorded since (most never need to be).
        self._events: list[ClockEvent] = []
        self._recorded: list[tuple[datetime, EventKind, dict[str, Any], str]] = []
        # The columns `refresh_due` keeps: the due times as of the latest change that left
        # the target running.
        self.first_response_due: datetime | None = None
        self.resolution_due: datetime | None = None
        self.responded_at: datetime | None = None
        self.paused_since: datetime | None = None
        self._met: set[SlaTarget] = set()  # `_meet` records each target once
        # Since when the clock runs, and the business minutes it had counted by then.
        self._run: tuple[datetime, float] | None = None

    # ------------------------------------------------------------ the clock events

    def start(self, at: datetime, actor: int | None, contract_id: int | None) -> None:
        """`sla_clock.start`: the plan's budgets for the ticket's priority run from `at`."""
        budgets = self.budgets
        data = {
            "plan": self.plan.name,
            "priority": self.priority.value,
            "budgets": {
                "first_response": budgets.first_response,
                "resolution": budgets.resolution,
                "update": budgets.update,
            },
            "contract_id": contract_id,
        }
        self._add(at, EventKind.sla_started, actor, data)

    def on_public_reply(self, at: datetime, actor: int | None) -> None:
        """`sla_clock.on_public_reply`: the first reply meets first response; each later
        one restarts the update target."""
        if self.responded_at is not None:
            self._add(at, EventKind.sla_met, actor, {"target": SlaTarget.update.value})
            return
        self.responded_at = at
        self._meet(at, SlaTarget.first_response, actor)

    def on_status_change(
        self, at: datetime, old: TicketStatus, new: TicketStatus, actor: int | None
    ) -> None:
        """`sla_clock.on_status_change`: resolving meets resolution; the clock pauses while
        the ticket waits or is done, and resumes when it is worked again."""
        if new == TicketStatus.resolved:
            self._meet(at, SlaTarget.resolution, actor)
        was_paused, paused = old in PAUSED_STATUSES, new in PAUSED_STATUSES
        if paused == was_paused:
            return
        data = {"status": new.value}
        if not paused and old in _REOPENED_FROM:
            data["target"] = SlaTarget.resolution.value  # reopened: resolution runs again
        kind = EventKind.sla_paused if paused else EventKind.sla_resumed
        self._add(at, kind, actor, data, f"status {old.value} → {new.value}")
        self.paused_since = at if paused else None

    def _meet(self, at: datetime, target: SlaTarget, actor: int | None) -> None:
        """`sla_clock._meet`: late if after the due time the ticket showed until then."""
        if target in self._met:
            return
        self._met.add(target)
        due = self.first_response_due if target == SlaTarget.first_response else self.resolution_due
        late = bool(due and at > due)
        self._add(at, EventKind.sla_met, actor, {"target": target.value, "late": late})

    def _add(
        self,
        at: datetime,
        kind: EventKind,
        actor: int | None,
        data: dict[str, Any],
        reason: str = "",
    ) -> None:
        """Record the event in the ticket's history, and for the clock's next replay."""
        self.record(at, kind, actor, data, reason)
        self._recorded.append((at, kind, data, reason))
        if kind in (EventKind.sla_started, EventKind.sla_resumed):
            # As `refresh_due` after every clock event. Only these two move a running
            # target's due time (meeting a target or pausing leaves the others' where they
            # were), so the clock is replayed after them alone.
            clock = self._state(at)
            self._refresh(clock)
            self._run = (at, sum(s.business_minutes for s in clock.segments if s.running))
        elif kind == EventKind.sla_paused:
            self._run = None

    # ------------------------------------------------------------------ the due times

    def _state(self, at: datetime, warn_before: Sequence[int] = ()) -> ClockState:
        """`sla_clock.state`: the clock replayed by the domain as of `at`."""
        for recorded_at, kind, data, reason in self._recorded:
            # As `sla_clock.clock_events` reads the event's data back.
            target, budgets = data.get("target"), data.get("budgets")
            self._events.append(
                ClockEvent(
                    at=recorded_at,
                    kind=kind,
                    target=SlaTarget(target) if target else None,
                    budgets=Budgets(**budgets) if budgets else None,
                    reason=reason,
                )
            )
        self._recorded.clear()
        return compute(self._events, self.plan.calendar, now=at, warn_before=warn_before)

    def _refresh(self, clock: ClockState) -> None:
        """The due columns as `refresh_due` sets them: kept while a target is not running."""
        first = clock.targets[SlaTarget.first_response].due_at
        resolution = clock.targets[SlaTarget.resolution].due_at
        if first is not None:
            self.first_response_due = first
        if resolution is not None:
            self.resolution_due = resolution

    def instant_counted(self, minutes: int) -> datetime:
        """When the running clock will have counted `minutes` of business time since the
        start (when it last started or resumed, if it had by then): for the simulation's
        "answered at 40 % of the time allowed" or "fixed at 130 %"."""
        assert self._run is not None, "the clock is running"
        since, counted = self._run
        left = minutes - counted
        if left <= 0:
            return since
        # In UTC, as the rest of the simulation's instants (the calendar answers in local time).
        return self.after_business_minutes(since, _whole_minutes(left))

    def after_business_minutes(self, at: datetime, minutes: int) -> datetime:
        """`minutes` of the plan's business time after `at` (e.g. the confirmation window)."""
        return self.plan.calendar.add_business_minutes(at, minutes).astimezone(UTC)

    def columns(
        self, now: datetime, *, status: TicketStatus, resolved_at: datetime | None
    ) -> dict[str, Any]:
        """The ticket's SLA columns as `sla_clock.refresh_due` leaves them."""
        next_update_due: datetime | None = None
        next_due = next_alert = NO_DEADLINE
        if self.paused_since is None:
            clock = self._state(now, self.warn_before)
            self._refresh(clock)
            next_update_due = clock.targets[SlaTarget.update].due_at
            next_due = clock.next_due() or NO_DEADLINE
            # The earliest alert step, even one already past: the sweep fires it next.
            steps = alert_steps(clock)
            next_alert = steps[0].fire_at if steps else NO_DEADLINE
        # else paused: no target is running, so nothing is due (and `compute` says as much).
        if status == TicketStatus.resolved and resolved_at is not None:
            # A resolved ticket's next act is its auto-close, after the confirmation window.
            next_alert = self.after_business_minutes(resolved_at, self.plan.confirm_minutes)
        return {
            "first_response_due": self.first_response_due,
            "first_responded_at": self.responded_at,
            "resolution_due": self.resolution_due,
            "next_update_due": next_update_due,
            "sla_paused_since": self.paused_since,
            "next_due_at": next_due,
            "next_alert_at": next_alert,
        }


def _whole_minutes(minutes: float) -> int:
    """Rounded up to a whole minute, forgiving float noise."""
    whole = int(minutes)
    return whole if minutes - whole < 1e-9 else whole + 1
