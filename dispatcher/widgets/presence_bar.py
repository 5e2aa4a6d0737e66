"""One line saying who else has this ticket open right now."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from dispatcher.read_models.presence import Viewer
from dispatcher.text import plain


def describe_viewers(viewers: Sequence[Viewer]) -> str:
    if not viewers:
        return "nobody else has this ticket open"
    names = ", ".join(f"{plain(v.login)} ({plain(v.name)})" for v in viewers)
    verb = "has" if len(viewers) == 1 else "have"
    return f"{names} also {verb} this ticket open"


class PresenceBar(Static):
    """Dumb: `show()` with the other viewers; `-others` class while anyone else is there."""

    DEFAULT_CSS = "PresenceBar { height: 1; padding: 0 1; }"

    def show(self, viewers: Sequence[Viewer]) -> None:
        self.set_class(bool(viewers), "-others")
        self.update(Text(describe_viewers(viewers)))
