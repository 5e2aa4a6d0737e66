"""The console App: wiring only (settings, store, operator, theme, keymap, scheduler, alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive

from dispatcher.config import Settings
from dispatcher.identity import Operator
from dispatcher.screens.alerts import AlertsScreen
from dispatcher.screens.queue import QueueScreen
from dispatcher.store import alerts
from dispatcher.store.engine import Store

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

ALERT_POLL_SECONDS = 5.0


class DispatcherApp(App[None]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "dispatcher"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave the console"),
        Binding(
            "exclamation_mark",
            "show_alerts",
            "Alerts",
            id="app.alerts",
            tooltip="Open SLA alerts for you",
        ),
    ]

    open_alerts: reactive[int] = reactive(0)

    @dataclass
    class AlertsPolled(Message):
        alerts: list[alerts.AlertView]

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        operator: Operator,
        run_scheduler: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.operator = operator
        self.run_scheduler = run_scheduler
        self.scheduler: AsyncIOScheduler | None = None
        self._seen_alerts: set[int] | None = None

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self._show_identity()
        self.push_screen(QueueScreen(store=self.store, operator=self.operator))

    def on_ready(self) -> None:
        if self.run_scheduler:
            from dispatcher.scheduling import SlaJobs, make_scheduler

            self.scheduler = make_scheduler(SlaJobs(store=self.store))
            self.scheduler.start()
        self.poll_alerts()
        self.set_interval(ALERT_POLL_SECONDS, self.poll_alerts)

    def on_unmount(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="alert-poll")
    def poll_alerts(self) -> None:
        with self.store.read() as session:
            found = alerts.open_alerts(
                session,
                user_id=self.operator.id,
                role=self.operator.role,
                now=datetime.now(UTC),
            )
        self.post_message(self.AlertsPolled(found))

    def on_dispatcher_app_alerts_polled(self, event: AlertsPolled) -> None:
        ids = {a.id for a in event.alerts}
        if self._seen_alerts is not None:
            fresh = [a for a in event.alerts if a.id not in self._seen_alerts]
            for alert in fresh[:5]:
                self.notify(
                    alert.message,
                    title="SLA breach" if alert.kind == "breach" else "SLA warning",
                    severity="error" if alert.kind == "breach" else "warning",
                    timeout=10,
                    markup=False,
                )
            if fresh:
                self.bell()
        self._seen_alerts = ids | (self._seen_alerts or set())
        self.open_alerts = len(ids)

    def watch_open_alerts(self) -> None:
        self._show_identity()

    def _show_identity(self) -> None:
        count = f" · {self.open_alerts} alerts" if self.open_alerts else ""
        self.sub_title = f"{self.operator.name} · {self.operator.role}{count}"

    def action_show_alerts(self) -> None:
        self.push_screen(AlertsScreen(store=self.store, operator=self.operator))
