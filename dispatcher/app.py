"""The console App: wiring only (the screens' context, theme, keymap, scheduler, modes and
the alert poll). Each screen is its own controller, handed the one `ScreenContext` built
here: the store, the operator, the clock, the settings and the intervals.

Modes by role: a dispatcher works in the queue; an engineer starts in "my work" and has
the queue of their competences; a lead has all of it plus the alerts panel and starts
on the dashboard (an admin has the dashboard too).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.enums import Role
from dispatcher.identity import Operator
from dispatcher.screens.context import Backend, FirstLook, Intervals, ScreenContext
from dispatcher.screens.queue import QueueScreen

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from dispatcher.config import Settings
    from dispatcher.scheduling import MailStatus, SlaJobs
    from dispatcher.store.db.engine import Store
    from dispatcher.store.sla.alerts import AlertView, SweepResult

# The background work waits for the queue's first rows; should they never come (the read
# failed), it starts this many seconds after the first frame all the same.
BACKGROUND_AT_LATEST = 3.0
# More new alerts than this at once are one toast that counts them, not a toast each.
TOASTED_ALERTS = 3


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


def start_mode(role: Role) -> str:
    """Where each role starts: engineers in their own work, the lead on the dashboard,
    everybody else in the queue."""
    return {Role.engineer: "my_work", Role.lead: "dashboard"}.get(role, "queue")


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
            "alerts_panel",
            "Alerts panel",
            id="app.alerts_panel",
            show=False,
            tooltip="Every open SLA alert (leads); your own alerts for everybody else",
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
            "f7",
            "switch_mode('dashboard')",
            "Dashboard",
            id="app.dashboard",
            show=False,  # in help (F1) and the palette; the lead starts on it
            tooltip="The lead's dashboard: KPIs, SLA at risk, per engineer and queue",
        ),
        Binding(
            "f9",
            "review",
            "Needs review",
            id="app.review",
            show=False,  # in help (F1) and the palette; the header counts what waits
            tooltip="Mail held for review: accept, reject, open its ticket",
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
    held_mail: reactive[int] = reactive(0)  # mail waiting for review (dispatchers, leads)

    class AlertsPolled(Message):
        def __init__(self, alerts: list[AlertView], asked: int) -> None:
            super().__init__()
            self.alerts = alerts
            self.asked = asked  # which poll this answers: only the latest one counts

    class HeldPolled(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class MailChanged(Message):
        """A mail server stopped or started taking our login (from the job's thread)."""

        def __init__(self, status: MailStatus) -> None:
            super().__init__()
            self.status = status

    class Swept(Message):
        """The scheduler's SLA sweep ran (in its thread): the alerts may have changed."""

        def __init__(self, result: SweepResult) -> None:
            super().__init__()
            self.result = result

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        store: Store | None = None,
        operator: Operator,
        run_scheduler: bool = True,
        clock: Clock = utcnow,
        watch_changes: bool = True,
        intervals: Intervals | None = None,
        backend: Backend | None = None,
        first: FirstLook | None = None,
    ) -> None:
        """The store and the settings are handed in (`store`, `settings`), or come from a
        `backend` opened after the first frame, with `first` (what the quick start read)
        for that frame: the theme, the keymap, the refresh interval, the first window.

        `intervals` defaults to the console's, with `refresh_seconds` for the queue's
        change watch; `watch_changes=False` turns that watch off."""
        super().__init__()
        if backend is None:
            if store is None or settings is None:
                raise ValueError("the console needs a store and settings, or a backend")
            backend = Backend(store, settings)
        if first is None:
            settings = backend.settings
            first = FirstLook(settings.theme, settings.keymap, settings.refresh_seconds)
        self.first = first
        if intervals is None:
            intervals = Intervals(changes=first.refresh_seconds)
        if not watch_changes:
            intervals = replace(intervals, changes=None)
        self.context = ScreenContext(
            backend, operator, clock, intervals, first_window=first.first_window
        )
        self.run_scheduler = run_scheduler
        self.scheduler: AsyncIOScheduler | None = None
        self._sla_jobs: SlaJobs | None = None
        self._background = False  # the polls and the scheduler have started
        self._seen_alerts: set[int] | None = None
        self.mail_trouble: dict[str, MailStatus] = {}  # by service, while it fails
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

    def _dashboard(self) -> Screen[Any]:
        from dispatcher.screens.dashboard import DashboardScreen

        return DashboardScreen(self.context)

    def modes_for(self, role: Role) -> dict[str, Callable[[], Screen[Any]]]:
        modes: dict[str, Callable[[], Screen[Any]]] = {"queue": self._queue}
        if role in (Role.engineer, Role.lead, Role.dispatcher):
            modes["my_work"] = self._my_work
        if role == Role.lead:
            modes["alerts"] = self._alerts
        if role in (Role.lead, Role.admin):
            modes["dashboard"] = self._dashboard
        return modes

    def start_mode(self, role: Role) -> str:
        return start_mode(role)

    def on_mount(self) -> None:
        first = self.first
        if first.theme in self.available_themes:
            self.theme = first.theme
        if first.keymap:
            self.set_keymap(first.keymap)
        self._show_identity()
        modes = self.modes_for(self.operator.role)
        for name, make in modes.items():
            self.add_mode(name, make)
        self.switch_mode(self.start_mode(self.operator.role))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_mode" and parameters:
            return str(parameters[0]) in self.modes_for(self.operator.role)
        if action == "review":
            return self.reviews
        return True

    @property
    def reviews(self) -> bool:
        """Dispatchers, leads and admins decide on held mail; engineers do not."""
        return self.operator.role != Role.engineer

    def on_ready(self) -> None:
        """A dispatcher's first screen is the queue: everything in the background (the
        alert and review polls, the scheduler and its catch-up sweep) waits until its first
        rows are drawn, so none of it competes with the first read and frame. Every other
        start screen gets it at once."""
        if self.start_mode(self.operator.role) != "queue":
            self.start_background()
        elif self.context.intervals.alerts is not None:
            self.set_timer(BACKGROUND_AT_LATEST, self.start_background)

    def on_queue_screen_loaded(self, event: QueueScreen.Loaded) -> None:
        """A queue window arrived (bubbling up from the screen, which has drawn it)."""
        if self._background:
            return
        if self.context.intervals.alerts is None:
            self.start_background()  # polls driven by hand (tests): nothing to wait for
        else:
            self.call_after_refresh(self.start_background)  # once the rows are painted

    def start_background(self) -> None:
        if self._background:
            return
        self._background = True
        steps = self.context.backend.import_steps()
        if steps is None:
            self._run_background()
        else:
            self.run_worker(self._import_then_run(steps), group="imports")

    async def _import_then_run(self, steps: Iterator[None]) -> None:
        """The quick start's backend: what opening it imports is imported here, on the
        UI's thread, one module per step (see `Backend`). Between two steps every message
        waiting is handled and the screen drawn: a key pressed meanwhile is answered after
        one module's import, and what it opened (a form) is there for the keys after it."""
        for _ in steps:
            drawn = asyncio.Event()
            self.call_after_refresh(drawn.set)
            await drawn.wait()
        self._run_background()

    def _run_background(self) -> None:
        self.context.backend.start()
        self.warm_store()
        if self.run_scheduler:
            self.prepare_scheduler()
        self.poll_alerts()
        every = self.context.intervals.alerts
        if every is not None:
            self.set_interval(every, self.poll_alerts)

    @work(thread=True, exit_on_error=False, group="warm-up")
    def warm_store(self) -> None:
        """Build what this console's first write would otherwise build holding the database's
        write lock (the business calendars), while nobody waits for it."""
        store = self.context.store  # opened by now, or being opened
        from dispatcher.store.tickets.history import show_times_in

        show_times_in(self.operator.zone)  # "changed by someone else ... at 10:30 MSK"
        store.warm_up()

    @work(thread=True, exit_on_error=False, group="scheduler")
    def prepare_scheduler(self) -> None:
        """Build the background jobs off the UI thread (mail settings read the database),
        then start the scheduler on the event loop. Each SLA sweep posts `Swept`."""
        from dispatcher.scheduling import MailJobs, SlaJobs, make_scheduler

        store, clock = self.context.store, self.context.clock
        mail = MailJobs.from_settings(self.context.settings, store=store)
        mail.on_status = self.mail_status
        sla = SlaJobs(store=store, clock=clock, on_sweep=self._swept)
        self._sla_jobs = sla
        self.call_from_thread(self._start_scheduler, make_scheduler(sla, mail=mail))

    def mail_status(self, status: MailStatus) -> None:
        self.post_message(self.MailChanged(status))  # from the mail job's thread

    def on_dispatcher_app_mail_changed(self, event: MailChanged) -> None:
        if event.status.problem is None:
            self.mail_trouble.pop(event.status.service, None)
        else:
            self.mail_trouble[event.status.service] = event.status
        self._show_identity()

    def _swept(self, result: SweepResult) -> None:
        self.post_message(self.Swept(result))  # from the scheduler's thread

    def _start_scheduler(self, scheduler: AsyncIOScheduler) -> None:
        self.scheduler = scheduler
        scheduler.start()

    def on_unmount(self) -> None:
        """Quitting: no job starts any more, a running sweep stops after its batch, and
        nothing waits for them (see `dispatcher.scheduling`); a store never opened stays
        unopened, and the reads waiting for it end."""
        self.context.backend.abandon()
        if self._sla_jobs is not None:
            self._sla_jobs.stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    # --- alerts --------------------------------------------------------------------

    def poll_alerts(self) -> None:
        """Read the operator's open alerts (every `Intervals.alerts`, and after a sweep),
        and how much mail waits for review."""
        self._alert_polls += 1
        if self.reviews:
            self._poll_held()
        self._poll_alerts(self._alert_polls)

    @work(thread=True, exclusive=True, exit_on_error=False, group="alert-poll")
    def _poll_alerts(self, asked: int) -> None:
        from dispatcher.store.sla import alerts

        me, now = self.context.operator, self.context.clock()
        with self.context.store.read() as session:
            found = alerts.open_alerts(session, user_id=me.id, role=me.role, now=now)
        self.post_message(self.AlertsPolled(found, asked))

    @work(thread=True, exclusive=True, exit_on_error=False, group="held-poll")
    def _poll_held(self) -> None:
        from dispatcher.store.mail import review

        with self.context.store.read() as session:
            count, _ = review.waiting(session)
        self.post_message(self.HeldPolled(count))

    def on_dispatcher_app_held_polled(self, event: HeldPolled) -> None:
        self.held_mail = event.count

    def on_dispatcher_app_swept(self, event: Swept) -> None:
        self.poll_alerts()

    def on_alerts_screen_changed(self, event: Message) -> None:
        """An alert was acknowledged or snoozed on the alerts panel: the count follows."""
        self.poll_alerts()

    def on_dispatcher_app_alerts_polled(self, event: AlertsPolled) -> None:
        if event.asked != self._alert_polls:
            return  # a cancelled poll's thread ran on: a later answer is on its way
        ids = {a.id for a in event.alerts}
        if self._seen_alerts is not None:
            fresh = [a for a in event.alerts if a.id not in self._seen_alerts]
            if len(fresh) > TOASTED_ALERTS:  # e.g. a catch-up sweep after a night: one toast
                breaches = sum(1 for a in fresh if a.kind == "breach")
                self.notify(
                    f"{len(fresh)} new SLA alerts ({breaches} breached, "
                    f"{len(fresh) - breaches} warnings): press ! to see them",
                    title="SLA alerts",
                    severity="error" if breaches else "warning",
                    timeout=10,
                    markup=False,
                )
            else:
                for alert in fresh:
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

    def watch_held_mail(self) -> None:
        self._show_identity()

    def _show_identity(self) -> None:
        alerts = self.open_alerts
        count = f" · {alerts} alert{'s' if alerts != 1 else ''}" if alerts else ""
        if self.held_mail:
            count += f" · {self.held_mail} mail to review (F9)"
        if self.context.is_lead:
            zone = self.context.operator.zone
            for s in sorted(self.mail_trouble.values(), key=lambda s: s.service):
                count += f" · mail: {s.service} {s.problem} {s.at.astimezone(zone):%H:%M}"
        self.sub_title = f"{self.operator.name} · {self.operator.role}{count}"

    # --- actions -------------------------------------------------------------------

    def action_show_alerts(self) -> None:
        self.push_screen(self._alerts())

    async def action_alerts_panel(self) -> None:
        """F5: the lead's alerts mode; everybody else's own alerts, from any screen."""
        from dispatcher.screens.alerts import AlertsScreen

        if "alerts" in self.modes_for(self.operator.role):
            await self.switch_mode("alerts")
        elif not isinstance(self.screen, AlertsScreen):
            self.action_show_alerts()

    def action_help(self) -> None:
        from dispatcher.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen.of(self.screen))

    def action_knowledge_base(self) -> None:
        from dispatcher.screens.kb import KbScreen

        if not isinstance(self.screen, KbScreen):
            self.push_screen(KbScreen(self.context))

    def action_review(self) -> None:
        from dispatcher.screens.review import ReviewScreen

        if not isinstance(self.screen, ReviewScreen):
            self.push_screen(ReviewScreen(self.context))

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
