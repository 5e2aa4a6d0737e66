"""The SLA clock on hand-built timelines: pauses, resumes, reopens and breaches."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from dispatcher.domain.enums import EventKind, SlaTarget
from dispatcher.domain.sla import (
    Budgets,
    ClockEvent,
    TargetState,
    alert_key,
    alert_steps,
    compute,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class AlwaysOpen:
    """A 24x7 calendar: business time is wall time."""

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        return max(0.0, (end - start).total_seconds() / 60)


CAL = AlwaysOpen()
BUDGETS = Budgets(first_response=60, resolution=480)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def started() -> ClockEvent:
    return ClockEvent(at=T0, kind=EventKind.sla_started, budgets=BUDGETS)


def paused(minutes: float) -> ClockEvent:
    return ClockEvent(at=at(minutes), kind=EventKind.sla_paused, reason="waiting on client")


def resumed(minutes: float, target: SlaTarget | None = None) -> ClockEvent:
    return ClockEvent(at=at(minutes), kind=EventKind.sla_resumed, target=target)


def met(minutes: float, target: SlaTarget) -> ClockEvent:
    return ClockEvent(at=at(minutes), kind=EventKind.sla_met, target=target)


def test_a_breach_survives_a_pause_and_a_resume() -> None:
    """First response (60 min) ran out at 09:60; 6h later the client is asked a question,
    answers 2 h on: the target is breached since 10:00 throughout, never "-0m"."""
    events = [started(), paused(422), resumed(542)]
    breach = at(60)

    before = compute(events[:1], CAL, now=at(421))
    waiting = compute(events[:2], CAL, now=at(500))
    after = compute(events, CAL, now=at(543))

    for clock in (before, waiting, after):
        first = clock.targets[SlaTarget.first_response]
        assert first.state == TargetState.breached
        assert first.due_at == breach
        assert first.remaining is not None
        assert first.remaining <= -361  # late by more than six hours of business time
    assert waiting.paused
    # While waiting, the still running resolution target is paused, the breach is not.
    assert waiting.targets[SlaTarget.resolution].state == TargetState.paused
    assert waiting.next_due() == breach
    assert after.next_due() == breach
    # How late, in business minutes, does not grow while the clock is paused.
    late_waiting = waiting.targets[SlaTarget.first_response].remaining
    assert (
        late_waiting
        == compute(events[:2], CAL, now=at(540)).targets[SlaTarget.first_response].remaining
    )


def test_a_breach_after_the_pause_is_counted_from_the_running_time() -> None:
    """30 minutes used, paused for an hour, resumed: the breach is 30 minutes after the
    resume, and stays there once it has happened."""
    events = [started(), paused(30), resumed(90)]
    assert compute(events, CAL, now=at(100)).targets[SlaTarget.first_response].due_at == at(120)
    late = compute(events, CAL, now=at(300)).targets[SlaTarget.first_response]
    assert late.state == TargetState.breached
    assert late.due_at == at(120)
    # Paused again after the breach: still breached at the same instant.
    again = [*events, paused(200), resumed(260)]
    for now in (at(230), at(400)):
        first = compute(again, CAL, now=now).targets[SlaTarget.first_response]
        assert (first.state, first.due_at) == (TargetState.breached, at(120))


def test_the_breach_key_is_stable_across_a_pause_so_it_fires_once() -> None:
    events = [started(), paused(200), resumed(260)]
    keys = set()
    for now, timeline in ((at(100), events[:1]), (at(300), events)):
        clock = compute(timeline, CAL, now=now, warn_before=(15,))
        for step in alert_steps(clock):
            if step.target == SlaTarget.first_response and step.is_breach:
                keys.add(alert_key(1, step.target, step.due_at, step.threshold))
    assert len(keys) == 1


def test_nothing_fires_while_the_clock_is_paused() -> None:
    clock = compute([started(), paused(100)], CAL, now=at(200), warn_before=(60, 15))
    assert clock.paused
    assert alert_steps(clock) == []
    assert clock.targets[SlaTarget.first_response].state == TargetState.breached


def test_a_reopened_target_is_pending_again_and_met_at_the_second_resolution() -> None:
    events = [
        started(),
        met(20, SlaTarget.first_response),
        met(100, SlaTarget.resolution),
        paused(100),
        resumed(160, SlaTarget.resolution),
    ]
    reopened = compute(events, CAL, now=at(170))
    resolution = reopened.targets[SlaTarget.resolution]
    assert resolution.state == TargetState.pending
    assert resolution.due_at == at(160 + 380)  # 100 used, 380 left
    resolved_again = compute(
        [*events, met(200, SlaTarget.resolution), paused(200)], CAL, now=at(300)
    )
    again = resolved_again.targets[SlaTarget.resolution]
    assert again.state == TargetState.met
    assert again.met_at == at(200)
    assert math.isclose(again.elapsed, 140)


def test_the_update_target_breach_is_stable_too() -> None:
    budgets = Budgets(first_response=60, resolution=480, update=120)
    events = [
        ClockEvent(at=T0, kind=EventKind.sla_started, budgets=budgets),
        met(30, SlaTarget.first_response),
        paused(200),
        resumed(260),
    ]
    update = compute(events, CAL, now=at(300)).targets[SlaTarget.update]
    assert update.state == TargetState.breached
    assert update.due_at == at(150)  # 120 minutes after the reply at +30
