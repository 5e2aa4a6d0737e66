"""Escalate to a colleague or a vendor: who, their reference, their promised time and
when we check in next. Times are typed as "4h" / "1h30m" from now, or a date and time in
the operator's zone; the dialog shows each one back as it will be saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, Select

from dispatcher import vocabulary
from dispatcher.domain.durations import parse_duration
from dispatcher.domain.enums import EscalationTarget
from dispatcher.read_models.tickets import Named
from dispatcher.screens.dialogs._base import Dialog
from dispatcher.text import plain, when


@dataclass(frozen=True, slots=True)
class EscalateResult:
    target: EscalationTarget
    to_user_id: int | None
    vendor: str
    vendor_ref: str
    promised_at: datetime | None
    next_checkin_at: datetime | None
    note: str


def parse_when(text: str, *, now: datetime, zone: tzinfo | None = None) -> datetime | None:
    """ "" → None; "4h", "1h30m", "in 2h" → now plus that; else an ISO date and time
    (without an offset: in `zone`, the operator's, else the console's local time)."""
    cleaned = text.strip().removeprefix("in ").strip()
    if not cleaned:
        return None
    try:
        return now + timedelta(minutes=parse_duration(cleaned))
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"{text!r}: write a time like '4h' or '1h30m' from now, or '2026-11-20 15:00'"
        ) from None
    if at.tzinfo:
        return at
    return at.replace(tzinfo=zone) if zone is not None else at.astimezone()


class EscalateDialog(Dialog[EscalateResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Escalate", id="escalate.save", tooltip="Escalate"),
    ]

    def __init__(
        self, *, ref: str, people: list[Named], now: datetime, zone: tzinfo | None = None
    ) -> None:
        super().__init__()
        self.ref = ref
        self.people = people
        self.now = now
        self.zone = zone

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text(f"Escalate {self.ref}"))
            yield Select(
                [
                    (Text(vocabulary.escalation_target(t)), t)
                    for t in (EscalationTarget.colleague, EscalationTarget.vendor)
                ],
                value=EscalationTarget.colleague,
                allow_blank=False,
                id="target",
            )
            yield Label("Colleague")
            yield Select([(Text(plain(p.name)), p.id) for p in self.people], id="colleague")
            yield Input(placeholder="vendor (who)", id="vendor")
            yield Input(placeholder="their reference", id="vendor-ref")
            yield Input(placeholder="their promised time: 4h, or 2026-11-20 15:00", id="promised")
            yield Input(placeholder="our next check-in: 2h, or a date and time", id="checkin")
            yield Input(placeholder="note", id="note")
            yield Label("", id="escalate-times")
            yield Label("", id="escalate-error", classes="error")
            yield Label(Text("ctrl+s escalates · escape cancels"), classes="hint")
            yield Button("Escalate", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#target", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("promised", "checkin"):
            self._show_times()

    def _show_times(self) -> None:
        """The typed times as they will be saved, in the operator's zone with the date."""
        zone = self.zone or UTC
        parts = []
        for widget_id, name in (("promised", "their promise"), ("checkin", "our check-in")):
            try:
                at = parse_when(self._text(widget_id), now=self.now, zone=self.zone)
            except ValueError:
                parts.append(f"{name}: not a time yet")
                continue
            if at is not None:
                parts.append(f"{name}: {when(at, zone)}")
        self.query_one("#escalate-times", Label).update(Text(" · ".join(parts)))

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def action_save(self) -> None:
        target = EscalationTarget(str(self.query_one("#target", Select).value))
        colleague = self.query_one("#colleague", Select).value
        error = self.query_one("#escalate-error", Label)
        try:
            promised = parse_when(self._text("promised"), now=self.now, zone=self.zone)
            checkin = parse_when(self._text("checkin"), now=self.now, zone=self.zone)
        except ValueError as exc:
            error.update(Text(plain(str(exc))))
            return
        to_user = colleague if isinstance(colleague, int) else None
        if target == EscalationTarget.colleague and to_user is None:
            error.update(Text("choose the colleague"))
            return
        if target == EscalationTarget.vendor and not self._text("vendor"):
            error.update(Text("name the vendor"))
            return
        self.dismiss(
            EscalateResult(
                target=target,
                to_user_id=to_user if target == EscalationTarget.colleague else None,
                vendor=self._text("vendor") if target == EscalationTarget.vendor else "",
                vendor_ref=self._text("vendor-ref"),
                promised_at=promised,
                next_checkin_at=checkin,
                note=self._text("note"),
            )
        )
