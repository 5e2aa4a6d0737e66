"""The queue's saved views: the filters on screen saved under a name (v), renamed (R),
deleted (D) and moved among the tabs (< >). Each is the operator's own, stored by
`store.tickets.saved_views`, one write per key in a thread worker.

A slice of `QueueScreen`: the actions live here, the keys in `VIEW_KEYS`, the sections on
the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from dispatcher.read_models.queue import ALL_KEY, QueueFilter, Section
from dispatcher.screens.context import ScreenContext
from dispatcher.widgets.picker import ConfirmScreen, PromptScreen

VIEW_KEYS: list[BindingType] = [
    Binding(
        "v",
        "save_view",
        "Save view",
        id="queue.save_view",
        show=False,
        tooltip="Save the filters as a named view",
    ),
    Binding(
        "R",
        "rename_view",
        "Rename view",
        id="queue.rename_view",
        show=False,
        tooltip="Rename this saved view",
    ),
    Binding(
        "D",
        "delete_view",
        "Delete view",
        id="queue.delete_view",
        show=False,
        tooltip="Delete this saved view",
    ),
    Binding(
        "less_than_sign",
        "move_view(-1)",
        "Move view left",
        id="queue.view_left",
        show=False,
        tooltip="Move this saved view left",
    ),
    Binding(
        "greater_than_sign",
        "move_view(1)",
        "Move view right",
        id="queue.view_right",
        show=False,
        tooltip="Move this saved view right",
    ),
]

VIEWS_WRITE = "views-write"  # the worker group: a failure is a toast, not the status line


class QueueViews(Screen[None]):
    """The saved-view actions of `QueueScreen`."""

    context: ScreenContext
    section: str
    sections: list[Section]
    extra: QueueFilter

    if TYPE_CHECKING:

        def current_section(self, sections: list[Section] | None = None) -> Section: ...

        def _requery(self, *, cursor_at: int | None = 0) -> None: ...

        async def show_tabs(self) -> None: ...

        def count(self) -> object: ...

    @dataclass
    class Changed(Message):
        sections: list[Section]
        current: str

    def action_save_view(self) -> None:
        filters = self.current_section().filters.merged(self.extra)

        def named(name: str | None) -> None:
            if name:
                self.change_views("create", name=name, filters=filters)

        self.app.push_screen(PromptScreen("Save these filters as a view named:"), named)

    def _own_view(self) -> Section | None:
        section = self.current_section()
        if section.view_id is None:
            self.notify("this is a built-in section; save a view with v", severity="warning")
            return None
        return section

    def action_rename_view(self) -> None:
        section = self._own_view()
        if section is None:
            return

        def named(name: str | None) -> None:
            if name:
                self.change_views("rename", view_id=section.view_id, name=name)

        self.app.push_screen(PromptScreen("Rename the view to:", section.name), named)

    def action_delete_view(self) -> None:
        section = self._own_view()
        if section is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.change_views("delete", view_id=section.view_id)

        self.app.push_screen(ConfirmScreen("Delete this view?", [section.name]), confirmed)

    def action_move_view(self, offset: int) -> None:
        section = self._own_view()
        if section is not None:
            self.change_views("move", view_id=section.view_id, offset=offset)

    @work(thread=True, exclusive=True, exit_on_error=False, group=VIEWS_WRITE)
    def change_views(self, what: str, **args: Any) -> None:
        """One write; a refusal (a name taken, say) fails the worker and shows as a toast."""
        from dispatcher.store.tickets import saved_views

        store, user_id, current = self.context.store, self.context.operator.id, self.section
        with store.write() as session:
            if what == "create":
                info = saved_views.create_view(
                    session, user_id=user_id, name=args["name"], filters=args["filters"]
                )
                current = f"view-{info.id}"
            elif what == "rename":
                saved_views.rename_view(
                    session, user_id=user_id, view_id=args["view_id"], name=args["name"]
                )
            elif what == "delete":
                saved_views.delete_view(session, user_id=user_id, view_id=args["view_id"])
                current = ALL_KEY
            else:
                saved_views.move_view(
                    session, user_id=user_id, view_id=args["view_id"], offset=args["offset"]
                )
        with store.read() as session:
            sections = saved_views.sections(session, user_id=user_id)
        self.post_message(self.Changed(sections, current))

    async def on_queue_views_changed(self, event: Changed) -> None:
        self.sections = event.sections
        if event.current != self.section:
            self.section = event.current
            self.extra = QueueFilter()
            self._requery()
        await self.show_tabs()
        self.count()
