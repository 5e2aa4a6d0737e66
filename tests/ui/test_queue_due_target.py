"""The queue's Due cell names the target it counts down, breached or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatcher.domain.enums import Priority, SlaTarget, TicketStatus
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.read_models.queue import WindowRow
from dispatcher.widgets.queue_table import cells

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def _row(
    due: datetime,
    *,
    responded: bool,
    update_due: datetime | None = None,
    paused: datetime | None = None,
) -> WindowRow:
    return WindowRow(
        id=7,
        subject="Printer",
        status=TicketStatus.in_progress,
        priority=Priority.normal,
        next_due_at=due,
        sla_paused_since=paused,
        updated_at=NOW,
        version=3,
        queue_id=None,
        client="Acme",
        assignee="ivan",
        category=None,
        first_responded=responded,
        warned=False,
        sort_value=due,
        next_update_due=update_due,
    )


def _due(row: WindowRow) -> str:
    return cells(row, NOW, None, False)[-1]


def test_before_the_first_response_it_counts_down_the_first_response() -> None:
    row = _row(NOW + timedelta(hours=2, minutes=3), responded=False)
    assert row.due_target == SlaTarget.first_response
    assert _due(row) == "1st 2h 03m"


def test_a_breached_first_response_says_so_and_how_late() -> None:
    assert _due(_row(NOW - timedelta(hours=6, minutes=2), responded=False)) == "1st -6h 02m"


def test_after_it_the_resolution_or_a_sooner_regular_update() -> None:
    resolution = _row(NOW + timedelta(days=2), responded=True)
    assert resolution.due_target == SlaTarget.resolution
    assert _due(resolution).startswith("fix ")
    soon = NOW + timedelta(minutes=14)
    update = _row(soon, responded=True, update_due=soon)
    assert update.due_target == SlaTarget.update
    assert _due(update) == "upd 14m"


def test_no_deadline_or_a_pause_names_no_target() -> None:
    assert _row(NO_DEADLINE, responded=True).due_target is None
    assert _due(_row(NO_DEADLINE, responded=True, paused=NOW)) == "paused"
