"""Background jobs on APScheduler's AsyncIOScheduler: the SLA sweep and auto-close, the
outbox sender, the IMAP poll, and the reports by mail (digests, client reports, the NPS
pulse), which only queue mail: they run whether or not SMTP is configured.

The same jobs run inside the console (on Textual's event loop) and in the headless
`dispatcher watch`. Jobs are plain `def`s run in a thread pool of their own (`JOB_THREADS`),
so database work never blocks the event loop, and quitting the console never waits for
one: the loop's default executor, which the console's exit waits for, holds only the
console's own work (the operator's writes). A job cut off by the exit loses nothing: each
batch of the sweep, and each mail, is one transaction, rolled back if it did not commit,
and done again by the next run; `SlaJobs.stop` ends a sweep between two batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.store.db.engine import Store
from dispatcher.store.reports import digests, nps
from dispatcher.store.sla import alerts

if TYPE_CHECKING:
    import asyncio

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from dispatcher.config import Settings
    from dispatcher.domain.notification_templates import NotificationTemplates
    from dispatcher.intake.imap import ImapAccount
    from dispatcher.intake.parse import IntakeLimits
    from dispatcher.intake.pipeline import Summary
    from dispatcher.notify.sender import SendResult, SmtpAccount

log = logging.getLogger(__name__)

SWEEP_SECONDS = 15.0
JOB_THREADS = 4  # one per job: each runs at most one at a time
REPORT_SECONDS = 300.0  # how often due digests and NPS questions are looked for


@dataclass
class SlaJobs:
    store: Store
    clock: Clock = utcnow
    on_sweep: Callable[[alerts.SweepResult], None] | None = None
    # Set when the console quits: a sweep stops after the batch it is writing.
    stop: threading.Event = field(default_factory=threading.Event)

    def sweep(self) -> alerts.SweepResult:
        """One pass: raise due alerts, then close resolved tickets past their window."""
        now = self.clock()
        result = alerts.SweepResult()
        # Batches until nothing is due, so a backlog after downtime clears in one run.
        while not self.stop.is_set():
            with self.store.write() as session:
                batch = alerts.sweep(session, now=now)
            result.tickets += batch.tickets
            result.fired += batch.fired
            result.breached += batch.breached
            if batch.tickets < alerts.SWEEP_BATCH:
                break
        while not self.stop.is_set():
            with self.store.write() as session:
                closed = alerts.auto_close(session, now=now)
            result.closed += closed
            if len(closed) < alerts.SWEEP_BATCH:
                break
        if self.on_sweep is not None:
            self.on_sweep(result)
        return result


@dataclass(frozen=True, slots=True)
class MailStatus:
    """How reaching a mail server went, when that changed: `problem` ("login failed",
    "connection failed", "fetch failed") is None once it works again."""

    service: str  # "SMTP" or "IMAP"
    problem: str | None
    at: datetime


def smtp_problem(error: BaseException) -> str:
    from dispatcher.notify.sender import LoginFailed

    return "login failed" if isinstance(error, LoginFailed) else "connection failed"


def imap_problem(error: BaseException) -> str:
    import imaplib

    cause = error.__cause__
    if isinstance(cause, imaplib.IMAP4.error) and not isinstance(cause, imaplib.IMAP4.abort):
        return "login failed"  # the server said NO (connecting raises OSError or abort)
    return "connection failed" if cause is not None else "fetch failed"


@dataclass
class MailJobs:
    """The outbox sender and the IMAP poll; either is off when its server is not configured.

    `on_status` hears when a server stops (or starts again) taking our login or connection
    (the console shows it to leads). It is called from the job's thread."""

    store: Store
    smtp: SmtpAccount | None = None
    imap: ImapAccount | None = None
    templates: NotificationTemplates | None = None
    queue_id: int | None = None
    send_seconds: float = 30.0
    poll_seconds: float = 60.0
    clock: Clock = utcnow
    nps_pulse_days: int = 90
    limits: IntakeLimits | None = None  # per-attachment size and count; the defaults if None
    on_status: Callable[[MailStatus], None] | None = None
    _problems: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def _report(self, service: str, problem: str | None) -> None:
        if self._problems.get(service) == problem:
            return
        self._problems[service] = problem
        if self.on_status is not None:
            self.on_status(MailStatus(service, problem, self.clock()))

    @classmethod
    def from_settings(cls, settings: Settings, *, store: Store) -> MailJobs:
        """Accounts from the settings, passwords from the environment or a file."""
        from sqlmodel import select

        from dispatcher.domain.errors import NotFoundError
        from dispatcher.domain.notification_templates import NotificationTemplates
        from dispatcher.intake.imap import ImapAccount, secret
        from dispatcher.notify.sender import SmtpAccount
        from dispatcher.store.models import Queue

        smtp = imap = None
        s = settings.smtp
        if s.host:
            smtp = SmtpAccount(
                host=s.host,
                port=s.port,
                from_address=s.from_address,
                username=s.username,
                password=secret(env=s.password_env, file=s.password_file, what="smtp password"),
                starttls=s.starttls,
                ssl=s.ssl,
            )
        i = settings.imap
        queue_id = None
        if i.host:
            imap = ImapAccount(
                host=i.host,
                port=i.port,
                username=i.username or "",
                password=secret(env=i.password_env, file=i.password_file, what="imap password"),
                ssl=i.ssl,
                starttls=i.starttls,
                folder=i.folder,
                processed_folder=i.processed_folder,
            )
            queue_name = i.queue or settings.mail_queue
            if queue_name:
                with store.read() as session:
                    queue = session.exec(select(Queue).where(Queue.name == queue_name)).first()
                if queue is None:
                    raise NotFoundError("queue", queue_name)
                queue_id = queue.id
        templates = NotificationTemplates(
            {k: v.model_dump(exclude_none=True) for k, v in settings.notifications.items()}
        )
        from dispatcher.intake.parse import IntakeLimits

        return cls(
            store=store,
            smtp=smtp,
            imap=imap,
            templates=templates,
            queue_id=queue_id,
            send_seconds=s.send_seconds,
            poll_seconds=i.poll_seconds,
            nps_pulse_days=settings.nps_pulse_days,
            limits=IntakeLimits.from_settings(settings.intake),
        )

    def send_outbox(self) -> SendResult | None:
        if self.smtp is None:
            return None
        from dispatcher.domain.notification_templates import DEFAULT_TEMPLATES
        from dispatcher.notify.sender import ServerUnavailable, deliver_due, open_smtp

        result = deliver_due(
            self.store, self.smtp, templates=self.templates or DEFAULT_TEMPLATES, clock=self.clock
        )
        if result.unavailable is not None:
            self._report("SMTP", smtp_problem(result.unavailable))
        elif result.connected:
            self._report("SMTP", None)
        elif self._problems.get("SMTP"):  # nothing was due: is the server back?
            try:
                open_smtp(self.smtp).close()
            except ServerUnavailable as exc:
                self._report("SMTP", smtp_problem(exc))
            else:
                self._report("SMTP", None)
        return result

    def poll_imap(self) -> Summary | None:
        if self.imap is None:
            return None
        from dispatcher.intake.imap import ImapError, poll

        try:
            summary = poll(
                self.store,
                self.imap,
                clock=self.clock,
                queue_id=self.queue_id,
                limits=self.limits,
            )
        except ImapError as exc:
            log.warning("%s", exc)  # the next poll tries again
            self._report("IMAP", imap_problem(exc))
            return None
        self._report("IMAP", None)
        return summary


@dataclass
class ReportJobs:
    """The scheduled reports (`store.reports.digests`) and the NPS pulse
    (`store.reports.nps`): each run queues what fell due by the clock, once."""

    store: Store
    clock: Clock = utcnow
    nps_pulse_days: int = 90

    def run(self) -> tuple[digests.RunResult, list[int]]:
        now = self.clock()
        with self.store.write() as session:
            queued = digests.run_due(session, now=now)
        with self.store.write() as session:
            pulses = nps.pulse_due(session, now=now, every_days=self.nps_pulse_days)
        return queued, pulses


def make_scheduler(
    jobs: SlaJobs,
    *,
    event_loop: asyncio.AbstractEventLoop | None = None,
    sweep_seconds: float = SWEEP_SECONDS,
    mail: MailJobs | None = None,
    reports: ReportJobs | None = None,
    report_seconds: float = REPORT_SECONDS,
) -> AsyncIOScheduler:
    """A scheduler whose first sweep runs at once (catching up on what was missed). The
    reports run on the sweep's store and clock unless `reports` is given."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(
        event_loop=event_loop,
        timezone=UTC,
        executors={
            "default": ThreadPoolExecutor(
                JOB_THREADS, pool_kwargs={"thread_name_prefix": "dispatcher-job"}
            )
        },
    )
    scheduler.add_job(
        jobs.sweep,
        "interval",
        seconds=sweep_seconds,
        id="sla-sweep",
        next_run_time=jobs.clock(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    if mail is not None and mail.smtp is not None:
        scheduler.add_job(
            mail.send_outbox,
            "interval",
            seconds=mail.send_seconds,
            id="outbox-send",
            next_run_time=jobs.clock(),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    if reports is None:
        days = mail.nps_pulse_days if mail is not None else ReportJobs.nps_pulse_days
        reports = ReportJobs(store=jobs.store, clock=jobs.clock, nps_pulse_days=days)
    scheduler.add_job(
        reports.run,
        "interval",
        seconds=report_seconds,
        id="reports",
        next_run_time=jobs.clock(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    if mail is not None and mail.imap is not None:
        scheduler.add_job(
            mail.poll_imap,
            "interval",
            seconds=mail.poll_seconds,
            id="imap-poll",
            next_run_time=jobs.clock(),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    return scheduler
