"""The ticket dialogs and the alerts panel speak in labels, never in codes: statuses, link
kinds and escalation targets from the vocabulary, typed times shown back in the
operator's zone with the date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from textual.widgets import Input, Label, OptionList, Select

from dispatcher.domain.enums import AlertKind, EscalationTarget, LinkKind, SlaTarget, TicketStatus
from dispatcher.read_models.tickets import Named, TicketBrief
from dispatcher.screens.alerts import left_text, row_cells
from dispatcher.screens.dialogs.escalate import EscalateDialog, EscalateResult, parse_when
from dispatcher.screens.dialogs.link import LinkDialog
from dispatcher.screens.dialogs.merge import MergeDialog
from dispatcher.screens.dialogs.status import StatusDialog
from dispatcher.store.sla.alerts import AlertView
from tests.ui.ticket_side import HOSTILE, Host

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
CODES = ("in_progress", "waiting_client", "LinkKind", "TicketStatus", "EscalationTarget")


def _text(widget: Label) -> str:
    return str(widget.content)


def _no_codes(text: str) -> None:
    for code in CODES:
        assert code not in text, text


async def test_status_dialog_names_the_status_in_words() -> None:
    app = Host(lambda: StatusDialog(current=TicketStatus.waiting_client))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = " ".join(_text(label) for label in app.screen.query(Label))
        assert "Status now: waiting on client" in shown
        _no_codes(shown)
        options = app.screen.query_one(OptionList)
        assert options.option_count > 0
        for n in range(options.option_count):
            _no_codes(str(options.get_option_at_index(n).prompt))


def _brief(ticket_id: int) -> TicketBrief:
    return TicketBrief(
        id=ticket_id,
        subject=HOSTILE,
        status=TicketStatus.in_progress,
        client="ООО «Ромашка»",
        assignee=None,
        messages=1,
    )


async def test_link_preview_names_status_and_kind_in_words() -> None:
    app = Host(lambda: LinkDialog(ticket_id=7, subject="Принтер", messages=2, load=_brief))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        kind = app.screen.query_one("#link-kind", Select)
        kind.value = LinkKind.duplicate
        await pilot.press(*"#12")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        preview = _text(app.screen.query_one("#preview", Label))
        assert "in progress" in preview
        assert "(duplicate)" in preview
        assert "assignee nobody · 1 message" in preview
        assert "[@click=app.quit]Click me[/]" in preview  # markup shows as text
        assert "\x1b" not in preview
        _no_codes(preview)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert len(app.dismissed) == 1


async def test_merge_preview_names_the_status_in_words() -> None:
    app = Host(lambda: MergeDialog(ticket_id=7, subject="Принтер", messages=3, load=_brief))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*"12")
        await app.workers.wait_for_complete()
        await pilot.pause()
        preview = _text(app.screen.query_one("#preview", Label))
        assert "in progress · client ООО «Ромашка»" in preview
        assert "moves 3 messages of #7 into #12" in preview
        _no_codes(preview)


def test_a_typed_time_is_in_the_operators_zone() -> None:
    at = parse_when("2026-11-20 15:00", now=NOW, zone=MOSCOW)
    assert at == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert parse_when("2h", now=NOW, zone=MOSCOW) == NOW + timedelta(hours=2)


async def test_escalate_shows_typed_times_back_in_the_operators_zone() -> None:
    people = [Named(id=3, name="Иван Петров")]

    def make() -> EscalateDialog:
        return EscalateDialog(ref="#7", people=people, now=NOW, zone=MOSCOW)

    app = Host(make)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        target = app.screen.query_one("#target", Select)
        shown = [str(prompt) for prompt, _value in target._options]
        assert shown == ["colleague", "vendor"]
        target.value = EscalationTarget.vendor
        app.screen.query_one("#vendor", Input).value = "Cisco"
        app.screen.query_one("#promised", Input).value = "2026-11-20 15:00"
        app.screen.query_one("#checkin", Input).value = "2h"
        await pilot.pause()
        times = _text(app.screen.query_one("#escalate-times", Label))
        assert "their promise: Fri 20 Nov 15:00 MSK" in times
        assert "our check-in: Thu 19 Nov 14:00 MSK" in times  # 11:00 UTC
        await pilot.press("ctrl+s")
        await pilot.pause()
    result = app.dismissed[0]
    assert isinstance(result, EscalateResult)
    assert result.promised_at == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _alert(kind: AlertKind, due: datetime) -> AlertView:
    return AlertView(
        id=1,
        ticket_id=5,
        subject="Письмо от незнакомца",
        kind=kind,
        message="",
        due_at=due,
        fired_at=due,
        target=SlaTarget.resolution,
        owner=None,
    )


def test_mail_to_review_in_the_alerts_panel_fits_and_names_no_sla_target() -> None:
    row = _alert(AlertKind.attention, NOW - timedelta(hours=2))
    cells = [str(cell) for cell in row_cells(row, NOW, MOSCOW)]
    assert cells[1:4] == ["mail", "to review", "unassigned"]
    assert cells[5] == "19 Nov 10:00 MSK"
    assert left_text(row, NOW) == "2h 00m ago"
    breach = _alert(AlertKind.breach, NOW - timedelta(minutes=5))
    assert [str(c) for c in row_cells(breach, NOW, MOSCOW)][1:3] == ["breach", "resolution"]
    assert left_text(breach, NOW) == "5m late"
