"""F1 / `?`: every key that works on the screen underneath, generated from its bindings.

Each line is the key (after the user's `[keymap]` overrides), what it does, the binding's
id (what to name in `[keymap]` to change it) and its tooltip, in full: the table sizes its
columns to their longest cell and scrolls both ways when the terminal is narrower. Lines are
grouped by where the key works: the focused widget, the screen, everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


@dataclass(frozen=True, slots=True)
class KeyHelp:
    keys: str
    description: str
    id: str
    tooltip: str
    group: str = ""  # where the key works: "On this screen", "Everywhere", ...


def key_help(screen: Screen[Any]) -> list[KeyHelp]:
    """The active bindings of `screen` (its focused widget, the screen, the app), one line
    per action, in the order they are declared."""
    lines: dict[tuple[str, str], KeyHelp] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or not (binding.description or binding.tooltip):
            continue
        name = (active.node.__class__.__name__, binding.action)
        display = screen.app.get_key_display(binding)
        if name in lines:
            known = lines[name]
            if display not in known.keys.split(" / "):
                lines[name] = KeyHelp(
                    f"{known.keys} / {display}", known.description, known.id, known.tooltip
                )
            continue
        del key
        lines[name] = KeyHelp(
            display,
            binding.description,
            binding.id or "",
            active.tooltip or binding.tooltip,
            _group(screen, active.node),
        )
    order = {GROUPS[0]: 0, GROUPS[2]: 2}
    return sorted(lines.values(), key=lambda line: order.get(line.group, 1))


GROUPS = ("On this screen", "In the focused part", "Everywhere")


def _group(screen: Screen[Any], node: object) -> str:
    if node is screen:
        return GROUPS[0]
    if node is screen.app:
        return GROUPS[2]
    return GROUPS[1]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "close", "Close", id="help.close", tooltip="Back"),
    ]

    def __init__(self, lines: list[KeyHelp]) -> None:
        super().__init__()
        self.lines = lines

    @classmethod
    def of(cls, screen: Screen[Any]) -> HelpScreen:
        return cls(key_help(screen))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Static(
                Content("Keys on this screen (change them in [keymap] by id)"),
                classes="dialog-title",
            )
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", "Id", "More")
        group = None
        for line in self.lines:
            if line.group and line.group != group:
                group = line.group
                table.add_row(Text(group, style="bold"), Text(""), Text(""), Text(""))
            # Rich Text, not Content: the table sizes its columns by measuring Rich
            # renderables (Content cells left every column as narrow as its header).
            table.add_row(
                Text(line.keys), Text(line.description), Text(line.id), Text(line.tooltip)
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
