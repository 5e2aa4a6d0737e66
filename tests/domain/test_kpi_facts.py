"""The KPI facts of hand-built ticket timelines (`domain.kpi.facts.fold`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.calendar import BusinessCalendar, CalendarSpec
from dispatcher.domain.enums import EventKind, SlaTarget, TicketStatus
from dispatcher.domain.kpi.facts import (
    Duration,
    HistoryEvent,
    Outcome,
    TicketFacts,
    fold,
    fold_into,
    in_backlog_at,
    is_public_response,
    status_after,
)

MOSCOW = ZoneInfo("Europe/Moscow")
ENGINEER, DISPATCHER = 2, 1
# Office hours in Moscow with Russia's public holidays: 4 November 2026 (a Wednesday) is
# National Unity Day.
OFFICE = BusinessCalendar(
    CalendarSpec(
        timezone="Europe/Moscow",
        hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ("09:00-18:00",)),
        country="RU",
    )
)
BUDGETS = {"first_response": 60, "resolution": 480, "update": 120}


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026, Moscow time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


def ev(
    at: datetime, event: EventKind, actor: int | None = ENGINEER, /, **data: Any
) -> HistoryEvent:
    return HistoryEvent(at, event.value, actor, data)


def created(at: datetime) -> list[HistoryEvent]:
    return [
        ev(at, EventKind.created, DISPATCHER, channel="phone"),
        ev(at, EventKind.sla_started, DISPATCHER, budgets=BUDGETS),
    ]


def status(at: datetime, old: TicketStatus, new: TicketStatus, **extra: Any) -> HistoryEvent:
    kind = extra.pop("kind", EventKind.status_changed)
    return ev(at, kind, **{"from": old.value, "to": new.value}, **extra)


def reply(at: datetime, actor: int | None = ENGINEER, kind: str = "reply") -> HistoryEvent:
    return ev(at, EventKind.message_added, actor, kind=kind, message=1)


def fold_office(start: datetime, events: list[HistoryEvent]) -> TicketFacts:
    return fold(start, events, OFFICE)


def test_business_time_skips_the_weekend() -> None:
    friday = msk(6, 17)
    facts = fold_office(friday, [*created(friday), reply(msk(9, 10))])
    assert facts.first_response_at == msk(9, 10)
    # Friday 17:00-18:00 and Monday 09:00-10:00; 65 hours on the wall clock.
    assert facts.first_response == Duration(65 * 60, 120)


def test_business_time_skips_a_public_holiday() -> None:
    tuesday = msk(3, 17, 30)
    events = [
        *created(tuesday),
        status(msk(3, 17, 40), TicketStatus.new, TicketStatus.in_progress),
        status(msk(5, 9, 30), TicketStatus.in_progress, TicketStatus.resolved),
    ]
    facts = fold_office(tuesday, events)
    # Tuesday 17:30-18:00, Wednesday the 4th closed, Thursday 09:00-09:30.
    assert facts.resolution == Duration(40 * 60, 60)
    assert facts.first_resolved_at == msk(5, 9, 30)
    assert facts.team_work == pytest.approx(60)


def test_no_calendar_counts_wall_clock_minutes() -> None:
    friday = msk(6, 17)
    facts = fold(friday, [*created(friday), reply(msk(9, 10))], None)
    assert facts.first_response == Duration(3900, 3900)


def test_waiting_on_the_client_is_requester_wait_and_resolution_stays_gross() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        status(monday, TicketStatus.new, TicketStatus.in_progress),
        reply(msk(9, 10)),
        status(msk(9, 10), TicketStatus.in_progress, TicketStatus.waiting_client),
        ev(msk(9, 10), EventKind.sla_paused, status="waiting_client"),
        ev(msk(9, 12), EventKind.message_added, None, kind="inbound"),
        status(msk(9, 12), TicketStatus.waiting_client, TicketStatus.in_progress),
        status(msk(9, 13), TicketStatus.in_progress, TicketStatus.resolved),
    ]
    facts = fold_office(monday, events)
    assert facts.requester_wait == pytest.approx(120)
    assert facts.team_work == pytest.approx(120)
    assert facts.vendor_wait == 0
    assert facts.resolution == Duration(240, 240)  # creation to resolution, the wait in it


def test_a_vendor_escalation_is_vendor_wait_and_a_colleague_is_team_work() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        ev(monday, EventKind.assigned, DISPATCHER, status=["new", "assigned"]),
        ev(msk(9, 10), EventKind.escalated, target="vendor", status=["assigned", "escalated"]),
        status(msk(9, 14), TicketStatus.escalated, TicketStatus.in_progress),
        ev(msk(9, 15), EventKind.escalated, target="colleague", status=["in_progress", "assigned"]),
        status(msk(9, 16), TicketStatus.assigned, TicketStatus.resolved),
    ]
    facts = fold_office(monday, events)
    assert facts.vendor_wait == pytest.approx(240)
    assert facts.team_work == pytest.approx(180)
    assert facts.requester_wait == 0


def test_reopen_keeps_first_and_last_resolution_and_the_inactive_spell() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        status(monday, TicketStatus.new, TicketStatus.in_progress),
        reply(msk(9, 9, 30)),
        status(msk(9, 13), TicketStatus.in_progress, TicketStatus.resolved),
        status(
            msk(9, 15), TicketStatus.resolved, TicketStatus.in_progress, kind=EventKind.reopened
        ),
        reply(msk(9, 15, 30)),
        status(msk(9, 16), TicketStatus.in_progress, TicketStatus.resolved),
        status(msk(9, 17), TicketStatus.resolved, TicketStatus.closed),
    ]
    facts = fold_office(monday, events)
    assert facts.reopen_count == 1
    assert facts.first_resolved_at == msk(9, 13)
    assert facts.resolution == Duration(240, 240)
    assert facts.last_resolved_at == msk(9, 16)
    assert facts.full_resolution == Duration(420, 420)
    # The reply after the reopen is not "before the first resolution".
    assert facts.responses_before_resolution == 1
    assert facts.reopened_spells == [(msk(9, 13), msk(9, 15))]
    assert facts.inactive_since == msk(9, 16)  # resolved, then closed: one inactive spell

    def in_backlog(at: datetime) -> bool:
        return in_backlog_at(
            at,
            created_at=monday,
            inactive_since=facts.inactive_since,
            reopened_spells=facts.reopened_spells,
        )

    assert in_backlog(msk(9, 12))
    assert not in_backlog(msk(9, 14))
    assert in_backlog(msk(9, 15, 30))
    assert not in_backlog(msk(9, 16))  # resolved at that very instant
    assert not in_backlog(monday)  # created at that very instant: not yet


def test_the_first_response_is_the_public_reply_not_the_note_before_it() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        reply(msk(9, 9, 10), kind="note"),
        ev(msk(9, 9, 20), EventKind.message_added, None, kind="inbound"),
        ev(msk(9, 9, 25), EventKind.notification_queued, None, kind="acknowledgement"),
        reply(msk(9, 9, 40)),
        reply(msk(9, 10, 0)),
        status(msk(9, 11), TicketStatus.new, TicketStatus.resolved),
    ]
    facts = fold_office(monday, events)
    assert facts.first_response_at == msk(9, 9, 40)
    assert facts.first_response == Duration(40, 40)
    assert facts.responses_before_resolution == 2


def test_a_call_to_the_client_counts_as_a_public_response() -> None:
    monday = msk(9, 9)
    facts = fold_office(monday, [*created(monday), reply(msk(9, 9, 5), kind="call")])
    assert facts.first_response_at == msk(9, 9, 5)


def test_only_team_members_respond() -> None:
    at = msk(9, 9)
    assert not is_public_response(reply(at, actor=None))
    imported = HistoryEvent(at, "message_added", None, {"kind": "reply", "imported_actor": "ivan"})
    assert is_public_response(imported)
    assert not is_public_response(ev(at, EventKind.message_added, kind="note"))


def test_sla_outcomes_are_decided_by_the_first_met_or_breach() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        reply(msk(9, 9, 30)),
        ev(msk(9, 9, 30), EventKind.sla_met, target="first_response", late=False),
        ev(msk(9, 12), EventKind.sla_breached, None, target="update"),
        ev(msk(9, 18), EventKind.sla_breached, None, target="resolution"),
        status(msk(10, 10), TicketStatus.new, TicketStatus.resolved),
        ev(msk(10, 10), EventKind.sla_met, target="resolution", late=True),
    ]
    facts = fold_office(monday, events)
    first, resolution, update = (facts.sla[t] for t in SlaTarget)
    assert (first.outcome, first.decided_at, first.breaches) == (Outcome.met, msk(9, 9, 30), 0)
    assert not first.ever_breached
    assert (resolution.outcome, resolution.decided_at) == (Outcome.breached, msk(9, 18))
    assert resolution.breaches == 1
    assert (update.outcome, update.decided_at) == (Outcome.breached, msk(9, 12))


def test_a_late_met_without_a_breach_event_is_a_breach() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        reply(msk(9, 11)),
        ev(msk(9, 11), EventKind.sla_met, target="first_response", late=True),
    ]
    state = fold_office(monday, events).sla[SlaTarget.first_response]
    assert (state.outcome, state.decided_at, state.breaches) == (Outcome.breached, msk(9, 11), 0)
    assert state.ever_breached


def test_a_breach_after_the_outcome_counts_as_ever_breached() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        status(msk(9, 10), TicketStatus.new, TicketStatus.resolved),
        ev(msk(9, 10), EventKind.sla_met, target="resolution", late=False),
        status(msk(9, 11), TicketStatus.resolved, TicketStatus.open, kind=EventKind.reopened),
        ev(msk(10, 17), EventKind.sla_breached, None, target="resolution"),
    ]
    state = fold_office(monday, events).sla[SlaTarget.resolution]
    assert (state.outcome, state.decided_at, state.breaches) == (Outcome.met, msk(9, 10), 1)
    assert state.ever_breached


def test_the_update_target_is_met_at_the_first_resolution_without_a_breach() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        reply(msk(9, 9, 30)),
        ev(msk(9, 10), EventKind.sla_met, target="update"),  # a later reply decides nothing
        status(msk(9, 11), TicketStatus.new, TicketStatus.resolved),
    ]
    state = fold_office(monday, events).sla[SlaTarget.update]
    assert (state.outcome, state.decided_at) == (Outcome.met, msk(9, 11))


def test_no_update_target_without_a_budget_or_a_first_response() -> None:
    monday = msk(9, 9)
    no_budget = [
        ev(monday, EventKind.sla_started, budgets={**BUDGETS, "update": None}),
        reply(msk(9, 9, 30)),
        status(msk(9, 11), TicketStatus.new, TicketStatus.resolved),
    ]
    assert fold_office(monday, no_budget).sla[SlaTarget.update].outcome is None
    unanswered = [*created(monday), status(msk(9, 11), TicketStatus.new, TicketStatus.resolved)]
    assert fold_office(monday, unanswered).sla[SlaTarget.update].outcome is None


def test_the_latest_csat_rating_counts_and_other_kinds_do_not() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        ev(msk(9, 12), EventKind.rated, None, kind="csat", score=3),
        ev(msk(9, 13), EventKind.rated, None, kind="csat", score=5),
        ev(msk(9, 14), EventKind.rated, None, kind="nps", score=1),
    ]
    facts = fold_office(monday, events)
    assert (facts.csat_score, facts.csat_at) == (5, msk(9, 13))


def test_every_event_that_changes_the_status_moves_it() -> None:
    assert status_after("status_changed", {"from": "new", "to": "open"}) == TicketStatus.open
    assert status_after("assigned", {"status": ["open", "assigned"]}) == TicketStatus.assigned
    assert status_after("assigned", {"assignee": "ivan"}) is None
    classified = {"changes": {"status": ["new", "open"], "priority": ["low", "high"]}}
    assert status_after("classified", classified) == TicketStatus.open
    assert status_after("merged", {"into": 3, "status": ["new", "merged"]}) == TicketStatus.merged
    assert status_after("merged", {"from": 4}) is None  # the ticket merged into
    assert status_after("status_changed", {"to": "no-such-status"}) is None
    assert status_after("message_added", {"kind": "reply"}) is None


def test_unknown_and_odd_events_are_skipped() -> None:
    monday = msk(9, 9)
    events = [
        *created(monday),
        HistoryEvent(msk(9, 10), "some_future_kind", None, {"to": "closed"}),
        ev(msk(9, 10), EventKind.sla_met, target="no-such-target"),
        ev(msk(9, 10), EventKind.rated, None, kind="csat", score="five"),
    ]
    facts = fold_office(monday, events)
    assert facts.status == TicketStatus.new
    assert facts.csat_score is None
    assert all(state.outcome is None for state in facts.sla.values())


def test_an_out_of_order_instant_is_counted_apart() -> None:
    """Imported tickets get their clock events after their history (higher ids, earlier
    times): the fold must not count business time backwards."""
    monday = msk(9, 9)
    events = [
        *created(monday),
        status(msk(9, 12), TicketStatus.new, TicketStatus.in_progress),
        reply(msk(9, 10)),  # recorded after, happened before
        status(msk(9, 13), TicketStatus.in_progress, TicketStatus.resolved),
    ]
    facts = fold_office(monday, events)
    assert facts.first_response == Duration(60, 60)
    assert facts.resolution == Duration(240, 240)
    assert facts.team_work == pytest.approx(240)


def test_spells_cross_days_exactly() -> None:
    start = msk(6, 16)
    events = [
        *created(start),
        status(start + timedelta(days=3), TicketStatus.new, TicketStatus.resolved),
    ]
    facts = fold_office(start, events)
    # Friday 16:00-18:00 and Monday 09:00-16:00.
    assert facts.resolution == Duration(3 * 24 * 60, 120 + 420)
    assert facts.team_work == pytest.approx(540)


def _long_life() -> list[HistoryEvent]:
    """A week of one ticket: a weekend, a holiday, waits, a vendor, a reopen, a breach
    after the outcome, a rating, and a reply recorded after a later instant."""
    return [
        *created(msk(3, 17)),
        ev(msk(3, 17, 30), EventKind.assigned, DISPATCHER, status=["new", "assigned"]),
        reply(msk(5, 10)),  # after the holiday of the 4th
        status(msk(5, 11), TicketStatus.assigned, TicketStatus.waiting_client),
        ev(msk(5, 15), EventKind.message_added, None, kind="inbound"),
        status(msk(5, 15), TicketStatus.waiting_client, TicketStatus.in_progress),
        ev(msk(6, 9), EventKind.escalated, target="vendor", status=["in_progress", "escalated"]),
        ev(msk(6, 12), EventKind.sla_breached, None, target="resolution"),
        status(msk(9, 10), TicketStatus.escalated, TicketStatus.resolved),
        status(msk(9, 12), TicketStatus.resolved, TicketStatus.open, kind=EventKind.reopened),
        reply(msk(9, 11)),  # recorded after, happened before
        ev(msk(9, 13), EventKind.sla_plan_changed, DISPATCHER, budgets=BUDGETS),
        ev(msk(9, 14), EventKind.sla_breached, None, target="resolution"),
        status(msk(10, 10), TicketStatus.open, TicketStatus.resolved),
        ev(msk(10, 12), EventKind.rated, None, score=4, kind="csat"),
        status(msk(12, 10), TicketStatus.resolved, TicketStatus.closed),
    ]


@pytest.mark.parametrize("split", range(len(_long_life()) + 1))
def test_folding_on_from_stored_facts_equals_folding_the_whole_history(split: int) -> None:
    """The store folds each change's new events into the facts it kept (`fold_into`): any
    split of a history folds to exactly, float for float, what the whole history does."""
    events = _long_life()
    whole = fold(events[0].at, events, OFFICE)
    first = fold(events[0].at, events[:split], OFFICE)
    assert fold_into(first, events[split:], OFFICE) == whole


def test_folding_on_in_single_events_equals_folding_the_whole_history() -> None:
    events = _long_life()
    facts = fold(events[0].at, [], OFFICE)
    for event in events:
        facts = fold_into(facts, [event], OFFICE)
    assert facts == fold(events[0].at, events, OFFICE)
    assert facts.counted_to == msk(12, 10)
