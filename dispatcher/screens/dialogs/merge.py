"""Merge this ticket into another, after a preview of both and of what moves."""

from __future__ import annotations

from dispatcher.read_models.tickets import TicketBrief
from dispatcher.screens.dialogs.pick_ticket import PickTicketDialog


class MergeDialog(PickTicketDialog):
    verb = "Merge"

    def describe(self, brief: TicketBrief) -> str:
        moving = f"{self.messages} message" + ("" if self.messages == 1 else "s")
        return (
            super().describe(brief)
            + f"\nMerging moves {moving} of #{self.ticket_id} into {brief.ref}; "
            f"#{self.ticket_id} becomes merged and its SLA clock stops."
        )
