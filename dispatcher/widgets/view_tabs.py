"""The queue's sections as tabs, each with its live count: built-ins, then saved views."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.widgets import Tab, Tabs

from dispatcher.text import plain


def tab_label(name: str, count: int | None, *, pinned: bool) -> Content:
    """`Name 12`: the view's name is the user's own text, shown literally."""
    pin = "📌 " if pinned else ""
    tally = "…" if count is None else f"{count:,}"
    return Content(f"{pin}{plain(name)} {tally}")


class ViewTabs(Tabs, can_focus=False):
    """Dumb: `show_sections()` sets the tabs; a click posts `Chosen`.

    Textual's own `TabActivated` also fires when tabs are rebuilt or set from code, so the
    screen listens to `Chosen` only: what the person clicked.
    """

    @dataclass
    class Chosen(Message):
        key: str

    async def _on_tab_clicked(self, event: Tab.Clicked) -> None:
        event.stop()
        if event.tab.id is not None:
            self.post_message(self.Chosen(event.tab.id))

    DEFAULT_CSS = "ViewTabs { height: 2; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._keys: list[str] = []

    async def show_sections(
        self,
        sections: list[tuple[str, str, bool]],
        counts: dict[str, int],
        current: str,
    ) -> None:
        """`sections` are (key, name, pinned) in order; `counts` by key (missing: unknown).

        Tabs that are leaving the screen (the app is quitting) draw nothing: a read that
        answers then is dropped, as there is nothing to mount its tabs into.
        """
        if not self.is_attached:
            return
        keys = [key for key, _, _ in sections]
        if keys != self._keys:
            await self.clear()
            for key, name, pinned in sections:
                if not self.is_attached:  # the app began quitting while the tabs were built
                    return
                await self.add_tab(Tab(tab_label(name, counts.get(key), pinned=pinned), id=key))
            self._keys = keys
        else:
            for key, name, pinned in sections:
                self.query_one(f"#{key}", Tab).label = tab_label(
                    name, counts.get(key), pinned=pinned
                )
        if current in keys and self.active != current:
            self.active = current
