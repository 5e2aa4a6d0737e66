"""Classify: category, priority, client, the caller, contract and equipment, in one form.
The caller is found as you type (by name, email or phone in any format) with a loader
handed in; choosing one of another client's contacts moves the client too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Label, Select

from dispatcher.domain.enums import Priority
from dispatcher.read_models.tickets import ClassifyChoices, Named, TicketDetail
from dispatcher.screens.dialogs._base import Dialog
from dispatcher.screens.dialogs.call import CallerFinder, CallerPicker
from dispatcher.text import plain

FIELDS = ("category_id", "priority", "client_id", "contract_id", "equipment_id")


@dataclass(frozen=True, slots=True)
class ClassifyResult:
    """Only the fields the dispatcher changed (None clears a field)."""

    changes: dict[str, Any]


def _options(rows: tuple[Named, ...]) -> list[tuple[Text, int]]:
    return [(Text(plain(r.name)), r.id) for r in rows]


def _id(value: Named | None) -> int | None:
    return value.id if value else None


class ClassifyDialog(Dialog[ClassifyResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="classify.save", tooltip="Save the classification"),
    ]

    def __init__(
        self,
        *,
        detail: TicketDetail,
        choices: ClassifyChoices,
        find_callers: CallerFinder | None = None,
        search_delay: float | None = None,
    ) -> None:
        super().__init__()
        self.detail = detail
        self.choices = choices
        self.find_callers = find_callers
        self.search_delay = search_delay
        self.current: dict[str, Any] = {
            "category_id": _id(detail.category),
            "priority": detail.priority,
            "client_id": _id(detail.client),
            "contract_id": _id(detail.contract),
            "equipment_id": _id(detail.equipment),
        }

    def compose(self) -> ComposeResult:
        c = self.current
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text(f"Classify {self.detail.ref}: {plain(self.detail.subject)}"))
            yield Label("Category")
            yield Select(
                _options(self.choices.categories),
                value=c["category_id"] or Select.NULL,
                id="category_id",
            )
            yield Label("Priority")
            yield Select(
                [(Text(p.value), p) for p in Priority],
                value=c["priority"],
                allow_blank=False,
                id="priority",
            )
            yield Label("Client")
            yield Select(
                _options(self.choices.clients), value=c["client_id"] or Select.NULL, id="client_id"
            )
            if self.find_callers is not None:
                yield Label("Caller")
                yield CallerPicker(
                    find=self.find_callers,
                    delay=self.search_delay,
                    current=self.detail.contact,
                    id="caller",
                )
            yield Label("Contract (blank: the client's valid one)")
            yield Select(
                _options(self.choices.contracts),
                value=c["contract_id"] or Select.NULL,
                id="contract_id",
            )
            yield Label("Equipment")
            yield Select(
                _options(self.choices.equipment),
                value=c["equipment_id"] or Select.NULL,
                id="equipment_id",
            )
            yield Label(Text("ctrl+s saves · escape cancels"), classes="hint")
            yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#category_id", Select).focus()

    def on_caller_picker_chosen(self, event: CallerPicker.Chosen) -> None:
        """Another client's contact: the client follows the caller."""
        client = self.query_one("#client_id", Select)
        if client.value != event.match.client_id and any(
            c.id == event.match.client_id for c in self.choices.clients
        ):
            client.value = event.match.client_id

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()

    def action_save(self) -> None:
        changes: dict[str, Any] = {}
        for name in FIELDS:
            value = self.query_one(f"#{name}", Select).value
            value = None if value is Select.NULL else value
            if value != self.current[name]:
                changes[name] = value
        caller = self.query(CallerPicker).first().chosen if self.query(CallerPicker) else None
        contact = self.detail.contact
        if caller is not None and caller.contact_id != (contact.id if contact else None):
            changes["contact_id"] = caller.contact_id
        elif "client_id" in changes and contact is not None:
            changes["contact_id"] = None  # the old client's caller cannot stay
        if "client_id" in changes and "contract_id" not in changes:
            changes.pop("contract_id", None)  # the new client's valid contract is found
        if (
            "client_id" in changes
            and "equipment_id" not in changes
            and self.current["equipment_id"]
        ):
            changes["equipment_id"] = None  # the old client's item cannot stay
        self.dismiss(ClassifyResult(changes))
