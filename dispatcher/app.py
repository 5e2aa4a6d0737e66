"""The console App: wiring only (settings, store, operator, theme, keymap, first screen)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from dispatcher.config import Settings
from dispatcher.identity import Operator
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.engine import Store


class DispatcherApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "dispatcher"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave the console"),
    ]

    def __init__(self, *, settings: Settings, store: Store, operator: Operator) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.operator = operator

    def on_mount(self) -> None:
        self.sub_title = f"{self.operator.name} · {self.operator.role}"
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.push_screen(QueueScreen(store=self.store, operator=self.operator))
