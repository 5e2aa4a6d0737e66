"""The console App: wiring only (the screens' context, theme, keymap, scheduler, modes and
the alert poll). Each screen is its own controller, handed the one `ScreenContext` built
here: the store, the operator, the clock, the settings and the intervals.

Modes by role: a dispatcher works in the queue; an engineer starts in "my work" and has
the queue of their competences; a lead has all of it plus the alerts panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from dispatcher.config import Settings
from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.enums import Role
from dispatcher.identity import Operator
from dispatcher.screens.context import Intervals, ScreenContext
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.db.engine import Store

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from dispatcher.store.sla.alerts import AlertView, SweepResult


# Command palette providers, imported when the palette first opens.
def _ticket_commands() -> Any:
    from dispatcher.commands import TicketCommands

    return TicketCommands


def _client_commands() -> Any:
    from dispatcher.commands import ClientCommands

    return ClientCommands


def _action_commands() -> Any:
    from dispatcher.commands import ActionCommands

    return ActionCommands


class DispatcherApp(App[None]):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "dispatcher"
    COMMANDS = App.COMMANDS | {_ticket_commands, _client_commands, _action_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave the console"),
        Binding(
            "f1,question_mark", "help", "Help", id="app.help", tooltip="Every key on this screen"
        ),
        Binding("f2", "switch_mode('queue')", "Queue", id="app.queue", tooltip="The live queue"),
        Binding("f3", "knowledge_base", "KB", id="app.kb", tooltip="Search the knowledge base"),
        Binding(
            "f4",
            "switch_mode('my_work')",
            "My work",
            id="app.my_work",
            tooltip="Tickets assigned to you",
        ),
        Binding(
            "f5",
            "switch_mode('alerts')",
            "Alerts panel",
            id="app.alerts_panel",
            show=False,
            tooltip="Every open SLA alert (leads)",
        ),
        Binding(
            "f6",
            "templates",
            "Templates",
            id="app.templates",
            show=False,  # in help (F1); the footer (and its snapshots) stay as they are
            tooltip="Reply templates: browse, preview; leads edit",
        ),
        Binding(
            "exclamation_mark",
            "show_alerts",
            "Alerts",
            id="app.alerts",
            tooltip="Open SLA alerts for you",
        ),
    ]

    open_alerts: reactive[int] = reactive(0)

    class AlertsPolled(Message):
        def __init__(self, alerts: list[AlertView], asked: int) -> None:
            super().__init__()
            self.alerts = alerts
            self.asked = asked  # which poll this answers: only the latest one counts

    class Swept(Message):
        """The scheduler's SLA sweep ran (in its thread): the alerts may have changed."""

        def __init__(self, result: SweepResult) -> None:
            super().__init__()
            self.result = result

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        operator: Operator,
        run_scheduler: bool = True,
        clock: Clock = utcnow,
        watch_changes: bool = True,
        intervals: Intervals | None = None,
    ) -> None:
        """`intervals` defaults to the console's, with `settings.refresh_seconds` for the
        queue's change watch; `watch_changes=False` turns that watch off."""
        super().__init__()
        if intervals is None:
            intervals = Intervals(changes=settings.refresh_seconds)
        if not watch_changes:
            intervals = replace(intervals, changes=None)
        self.context = ScreenContext(
            store=store, operator=operator, settings=settings, clock=clock, intervals=intervals
        )
        self.run_scheduler = run_scheduler
        self.scheduler: AsyncIOScheduler | None = None
        self._seen_alerts: set[int] | None = None
        self._alert_polls = 0

    @property
    def operator(self) -> Operator:
        return self.context.operator

    # --- modes by role -------------------------------------------------------------

    def _queue(self) -> Screen[Any]:
        engineer = self.operator.role == Role.engineer
        return QueueScreen(self.context, competences_only=engineer)

    def _my_work(self) -> Screen[Any]:
        from dispatcher.screens.my_work import MyWorkScreen

        return MyWorkScreen(self.context)

    def _alerts(self) -> Screen[Any]:
        from dispatcher.screens.alerts import AlertsScreen

        return AlertsScreen(self.context)

    def modes_for(self, role: Role) -> dict[str, Callable[[], Screen[Any]]]:
        modes: dict[str, Callable[[], Screen[Any]]] = {"queue": self._queue}
        if role in (Role.engineer, Role.lead):
            modes["my_work"] = self._my_work
        if role == Role.lead:
            modes["alerts"] = self._alerts
        return modes

    def on_mount(self) -> None:
        settings = self.context.settings
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        if settings.keymap:
            self.set_keymap(settings.keymap)
        self._show_identity()
        modes = self.modes_for(self.operator.role)
        for name, make in modes.items():
            self.add_mode(name, make)
        self.switch_mode("my_work" if self.operator.role == Role.engineer else "queue")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_mode" and parameters:
            return str(parameters[0]) in self.modes_for(self.operator.role)
        return True

    def on_ready(self) -> None:
        if self.run_scheduler:
            self.prepare_scheduler()
        self.poll_alerts()
        every = self.context.intervals.alerts
        if every is not None:
            self.set_interval(every, self.poll_alerts)

    @work(thread=True, exit_on_error=False, group="scheduler")
    def prepare_scheduler(self) -> None:
        """Build the background jobs off the UI thread (mail settings read the database),
        then start the scheduler on the event loop. Each SLA sweep posts `Swept`."""
        from dispatcher.scheduling import MailJobs, SlaJobs, make_scheduler

        store, clock = self.context.store, self.context.clock
        mail = MailJobs.from_settings(self.context.settings, store=store)
        sla = SlaJobs(store=store, clock=clock, on_sweep=self._swept)
        self.call_from_thread(self._start_scheduler, make_scheduler(sla, mail=mail))

    def _swept(self, result: SweepResult) -> None:
        self.post_message(self.Swept(result))  # from the scheduler's thread

    def _start_scheduler(self, scheduler: AsyncIOScheduler) -> None:
        self.scheduler = scheduler
        scheduler.start()

    def on_unmount(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    # --- alerts --------------------------------------------------------------------

    def poll_alerts(self) -> None:
        """Read the operator's open alerts (every `Intervals.alerts`, and after a sweep)."""
        self._alert_polls += 1
        self._poll_alerts(self._alert_polls)

    @work(thread=True, exclusive=True, exit_on_error=False, group="alert-poll")
    def _poll_alerts(self, asked: int) -> None:
        from dispatcher.store.sla import alerts

        me, now = self.context.operator, self.context.clock()
        with self.context.store.read() as session:
            found = alerts.open_alerts(session, user_id=me.id, role=me.role, now=now)
        self.post_message(self.AlertsPolled(found, asked))

    def on_dispatcher_app_swept(self, event: Swept) -> None:
        self.poll_alerts()

    def on_dispatcher_app_alerts_polled(self, event: AlertsPolled) -> None:
        if event.asked != self._alert_polls:
            return  # a cancelled poll's thread ran on: a later answer is on its way
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

    # --- actions -------------------------------------------------------------------

    def action_show_alerts(self) -> None:
        self.push_screen(self._alerts())

    def action_help(self) -> None:
        from dispatcher.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen.of(self.screen))

    def action_knowledge_base(self) -> None:
        from dispatcher.screens.kb import KbScreen

        if not isinstance(self.screen, KbScreen):
            self.push_screen(KbScreen(self.context))

    def action_templates(self) -> None:
        from dispatcher.screens.templates import TemplatesScreen

        if not isinstance(self.screen, TemplatesScreen):
            self.push_screen(TemplatesScreen(self.context))

    async def action_pop_screen(self) -> None:
        """Back: pop a pushed screen; from a mode's own screen, back to the start mode."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "queue":
            await self.switch_mode("queue")
