"""The SLA clock, derived from its events.

A ticket's clock is a list of events (started, paused, resumed, plan changed, met). The due
time of each target is computed from those events and the calendar every time it is needed,
so a deadline can always be explained, and editing a calendar recomputes open tickets
without rewriting any past event.

Business time counts only while the clock runs: it pauses while the ticket waits on the
client, and from resolution until a reopen. A target whose budget was used up is breached
from the instant it ran out, and stays breached (with that instant as its due time) through
any pause and resume until it is met: how late it is never resets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple, Protocol

from dispatcher.domain.enums import EventKind, SlaTarget

# The sort key of a ticket with no pending deadline (paused, or no plan): after every real
# one. A sentinel instead of NULL keeps keyset paging a plain row-value comparison that
# sorts the same on SQLite and PostgreSQL.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class BusinessTime(Protocol):
    """What the clock needs of a calendar."""

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime: ...

    def business_minutes_between(self, start: datetime, end: datetime) -> float: ...


@dataclass(frozen=True, slots=True)
class Budgets:
    """Business minutes allowed per target; None where the plan sets no such target."""

    first_response: int | None
    resolution: int | None
    update: int | None = None

    def of(self, target: SlaTarget) -> int | None:
        match target:
            case SlaTarget.first_response:
                return self.first_response
            case SlaTarget.resolution:
                return self.resolution
            case SlaTarget.update:
                return self.update


@dataclass(frozen=True, slots=True)
class ClockEvent:
    at: datetime
    kind: EventKind
    target: SlaTarget | None = None  # for sla_met
    budgets: Budgets | None = None  # for sla_started and sla_plan_changed
    reason: str = ""


class TargetState(StrEnum):
    pending = "pending"
    paused = "paused"
    met = "met"
    met_late = "met_late"
    breached = "breached"
    none = "none"  # the plan sets no such target


@dataclass(frozen=True, slots=True)
class TargetClock:
    target: SlaTarget
    budget: int | None
    elapsed: float  # business minutes counted so far (up to `now` or the meeting)
    due_at: datetime | None  # None while paused or when there is no target
    met_at: datetime | None
    state: TargetState
    # (minutes of business time left, the instant that much is left), largest first
    warnings: tuple[tuple[int, datetime], ...] = ()

    @property
    def remaining(self) -> float | None:
        return None if self.budget is None else self.budget - self.elapsed


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the timeline: the clock running or paused between two instants."""

    start: datetime
    end: datetime
    running: bool
    business_minutes: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ClockState:
    targets: dict[SlaTarget, TargetClock]
    paused: bool
    segments: list[Segment] = field(default_factory=list)

    def next_due(self) -> datetime | None:
        dues = [
            t.due_at
            for t in self.targets.values()
            if t.due_at is not None and t.state in (TargetState.pending, TargetState.breached)
        ]
        return min(dues) if dues else None


_RUNNING_TARGETS = (SlaTarget.first_response, SlaTarget.resolution)


def compute(
    events: Sequence[ClockEvent],
    calendar: BusinessTime,
    *,
    now: datetime,
    warn_before: Sequence[int] = (),
) -> ClockState:
    """Replay the clock's events against the calendar as of `now`.

    `warn_before` lists the plan's warning thresholds in business minutes left.
    """
    ordered = sorted(events, key=lambda e: e.at)
    budgets: Budgets | None = None
    running_since: datetime | None = None
    elapsed = 0.0
    met: dict[SlaTarget, tuple[datetime, float]] = {}
    segments: list[Segment] = []
    cursor: datetime | None = None
    pause_reason = ""
    # Business minutes counted at the latest public reply: the update target runs from there.
    update_anchor: float | None = None

    def close_run(at: datetime) -> None:
        nonlocal elapsed, running_since
        if running_since is not None and at > running_since:
            minutes = calendar.business_minutes_between(running_since, at)
            elapsed += minutes
            segments.append(Segment(running_since, at, True, minutes))
        running_since = None

    for event in ordered:
        match event.kind:
            case EventKind.sla_started | EventKind.sla_plan_changed:
                if event.budgets is not None:
                    budgets = event.budgets
                if event.kind == EventKind.sla_started:
                    running_since, cursor = event.at, event.at
            case EventKind.sla_paused:
                if running_since is not None:
                    close_run(event.at)
                    cursor, pause_reason = event.at, event.reason
            case EventKind.sla_resumed:
                if running_since is None and cursor is not None:
                    segments.append(Segment(cursor, event.at, False, 0.0, pause_reason))
                    running_since = event.at
                if event.target is not None:
                    # A reopen: the target met at resolution is pending again, with the
                    # business time already counted (the resolved spell is a pause).
                    met.pop(event.target, None)
            case EventKind.sla_met if event.target is not None:
                at_elapsed = elapsed
                if running_since is not None and event.at > running_since:
                    at_elapsed += calendar.business_minutes_between(running_since, event.at)
                if event.target in (SlaTarget.first_response, SlaTarget.update):
                    update_anchor = at_elapsed
                if event.target != SlaTarget.update and event.target not in met:
                    met[event.target] = (event.at, at_elapsed)
            case _:
                pass

    paused = running_since is None and budgets is not None
    if running_since is not None:
        current = elapsed + calendar.business_minutes_between(running_since, now)
        if now > running_since:
            segments.append(
                Segment(
                    running_since,
                    now,
                    True,
                    calendar.business_minutes_between(running_since, now),
                )
            )
    else:
        current = elapsed
        if cursor is not None and now > cursor:
            segments.append(Segment(cursor, now, False, 0.0, pause_reason))

    run = _Run(segments, running_since, elapsed, current, calendar, now)
    targets = {
        target: _target_clock(target, budgets, met.get(target), run, warn_before)
        for target in _RUNNING_TARGETS
    }
    targets[SlaTarget.update] = _update_clock(budgets, update_anchor, run, warn_before)
    return ClockState(targets=targets, paused=paused, segments=segments)


@dataclass(frozen=True, slots=True)
class _Run:
    """The replayed timeline as of `now`: what every target's clock is read from."""

    segments: list[Segment]
    running_since: datetime | None  # None while paused
    before_run: float  # business minutes counted before the current run
    current: float  # business minutes counted up to `now`
    calendar: BusinessTime
    now: datetime

    def reached_at(self, minutes: float) -> datetime | None:
        """The instant the running clock had counted `minutes` of business time, or None
        when it has not counted that much yet."""
        counted = 0.0
        for segment in self.segments:
            if not segment.running:
                continue
            if counted + segment.business_minutes >= minutes - 1e-9:
                needed = max(0.0, minutes - counted)
                return self.calendar.add_business_minutes(segment.start, _ceil_minutes(needed))
            counted += segment.business_minutes
        return None


def _update_clock(
    budgets: Budgets | None,
    anchor: float | None,
    run: _Run,
    warn_before: Sequence[int],
) -> TargetClock:
    """Regular updates: after the first response, each public reply restarts the budget."""
    if budgets is None or budgets.update is None or anchor is None:
        budget = budgets.update if budgets else None
        return TargetClock(SlaTarget.update, budget, 0.0, None, None, TargetState.none)
    return _target_clock(SlaTarget.update, budgets, None, run, warn_before, offset=anchor)


def _target_clock(
    target: SlaTarget,
    budgets: Budgets | None,
    met: tuple[datetime, float] | None,
    run: _Run,
    warn_before: Sequence[int],
    *,
    offset: float = 0.0,
) -> TargetClock:
    """One target's clock; `offset` is the business time counted before its budget
    started (the update target runs from the latest public reply)."""
    current = run.current - offset
    budget = budgets.of(target) if budgets else None
    if budget is None:
        return TargetClock(target, None, current, None, met[0] if met else None, TargetState.none)
    if met is not None:
        met_at, at_elapsed = met
        at_elapsed -= offset
        state = TargetState.met if at_elapsed <= budget + 1e-9 else TargetState.met_late
        return TargetClock(target, budget, at_elapsed, None, met_at, state)
    thresholds = sorted({m for m in warn_before if 0 < m < budget}, reverse=True)
    if current >= budget - 1e-9 and current > 0:
        # Used up, in this run or an earlier one: breached since the budget ran out, paused
        # or not. The due time is that instant, so the lateness keeps counting from it.
        due = run.reached_at(offset + budget) or run.now
        warnings = tuple((m, run.reached_at(offset + budget - m) or due) for m in thresholds)
        return TargetClock(target, budget, current, due, None, TargetState.breached, warnings)
    running_since = run.running_since
    if running_since is None:
        return TargetClock(target, budget, current, None, None, TargetState.paused)
    left = budget - (run.before_run - offset)

    def instant_when_left(minutes: float) -> datetime:
        ahead = left - minutes
        if ahead <= 0:
            return run.reached_at(offset + budget - minutes) or running_since
        return run.calendar.add_business_minutes(running_since, _ceil_minutes(ahead))

    due = instant_when_left(0)
    state = TargetState.breached if run.now >= due else TargetState.pending
    warnings = tuple((m, instant_when_left(m)) for m in thresholds)
    return TargetClock(target, budget, current, due, None, state, warnings)


def _ceil_minutes(minutes: float) -> int:
    whole = int(minutes)
    return whole if minutes - whole < 1e-9 else whole + 1


def alert_key(ticket_id: int, target: SlaTarget, due_at: datetime, threshold: int) -> str:
    """The idempotency key of one alert: the same ticket, target, deadline and threshold."""
    stamp = due_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"{ticket_id}:{target.value}:{stamp}:{threshold}"


class AlertStep(NamedTuple):
    target: SlaTarget
    threshold: int  # business minutes left when it fires; 0 for the breach itself
    fire_at: datetime
    due_at: datetime
    first_warning: bool = False  # the target's earliest warning (the largest threshold)

    @property
    def is_breach(self) -> bool:
        return self.threshold == 0


def alert_steps(clock: ClockState) -> list[AlertStep]:
    """Every warning and breach the running clock will raise, in firing order."""
    steps: list[AlertStep] = []
    if clock.paused:
        return steps  # nothing fires while the clock waits (a breach stays on the targets)
    for target in clock.targets.values():
        if target.due_at is None or target.state not in (
            TargetState.pending,
            TargetState.breached,
        ):
            continue
        steps.extend(
            AlertStep(target.target, m, at, target.due_at, first_warning=i == 0)
            for i, (m, at) in enumerate(target.warnings)
        )
        steps.append(AlertStep(target.target, 0, target.due_at, target.due_at))
    return sorted(steps, key=lambda step: (step.fire_at, -step.threshold))


def next_alert_after(clock: ClockState, now: datetime) -> datetime | None:
    """When the sweep must next look at this ticket."""
    later = [step.fire_at for step in alert_steps(clock) if step.fire_at > now]
    return min(later) if later else None
