"""Link this ticket to another (related, duplicate, parent), after a preview."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Select

from dispatcher import vocabulary
from dispatcher.domain.enums import LinkKind
from dispatcher.read_models.tickets import TicketBrief
from dispatcher.screens.dialogs.pick_ticket import PickTicketDialog


class LinkDialog(PickTicketDialog):
    verb = "Link"

    def extra(self) -> ComposeResult:
        yield Select(
            [(Text(vocabulary.link_kind(k)), k) for k in LinkKind],
            value=LinkKind.related,
            allow_blank=False,
            id="link-kind",
        )

    def describe(self, brief: TicketBrief) -> str:
        return super().describe(brief) + (
            f"\nLinks #{self.ticket_id} to {brief.ref} ({vocabulary.link_kind(self.kind())})"
        )

    def kind(self) -> LinkKind:
        return LinkKind(str(self.query_one("#link-kind", Select).value))
