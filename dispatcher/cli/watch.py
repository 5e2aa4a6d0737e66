"""`dispatcher watch`: the background jobs without a console (SLA sweep, auto-close, the
outbox sender, the IMAP poll, the reports by mail and the NPS pulse).

It logs one line per mail sent (INFO), retried (WARNING) and failed (ERROR), per fetch
(INFO), and whatever else the jobs warn about, on stdout, with the time in local time and
its zone; `--quiet` keeps the warnings and errors only. The lines come from the
`dispatcher.*` loggers (`dispatcher.mail.send`, `dispatcher.mail.fetch`, this command's
`dispatcher.watch`); only this command shows them, the console never does.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from dispatcher.cli._common import sanitize, set_db, state

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from dispatcher.scheduling import MailJobs, ReportJobs, SlaJobs

watch_log = logging.getLogger("dispatcher.watch")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LocalTimeFormatter(logging.Formatter):
    """`2026-11-18 10:30:00+03:00 WARNING dispatcher.mail.send: ...`; control characters
    removed (a line may quote what a mail server said)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        at = datetime.fromtimestamp(record.created).astimezone()
        return at.isoformat(sep=" ", timespec="seconds")

    def format(self, record: logging.LogRecord) -> str:
        return sanitize(super().format(record))


@contextmanager
def logging_to(stream: TextIO, *, quiet: bool) -> Iterator[None]:
    """The `dispatcher.*` log lines on `stream` while the block runs, and only then."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LocalTimeFormatter(LOG_FORMAT))
    root = logging.getLogger("dispatcher")
    level = root.level
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def watch(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Database URL or SQLite path")] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="Seconds between SLA sweeps")
    ] = 15.0,
    once: Annotated[
        bool, typer.Option("--once", help="Sweep, send and poll mail once, and exit")
    ] = False,
    mail: Annotated[
        bool, typer.Option("--mail/--no-mail", help="Send the outbox and poll IMAP (as configured)")
    ] = True,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Log only warnings and errors")
    ] = False,
) -> None:
    """Raise SLA alerts, close timed-out tickets, send and fetch mail while no console is open."""
    set_db(ctx, db)
    from dispatcher.scheduling import MailJobs, ReportJobs, SlaJobs
    from dispatcher.store.sla.alerts import SweepResult

    store = state(ctx).store()
    mail_jobs = MailJobs.from_settings(state(ctx).settings(), store=store) if mail else None

    def report(result: SweepResult) -> None:
        if result.fired or result.closed:
            watch_log.info(
                "sweep: %s alerts, %s breaches, %s auto-closed",
                len(result.fired),
                len(result.breached),
                len(result.closed),
            )

    jobs = SlaJobs(store=store, on_sweep=report)
    days = mail_jobs.nps_pulse_days if mail_jobs else state(ctx).settings().nps_pulse_days
    reports = ReportJobs(store=store, nps_pulse_days=days)
    with logging_to(sys.stdout, quiet=quiet):
        if once:
            _once(jobs, reports, mail_jobs)
            return
        asyncio.run(_run(jobs, reports, mail_jobs, interval=interval, url=store.url))


def _once(jobs: SlaJobs, reports: ReportJobs, mail_jobs: MailJobs | None) -> None:
    jobs.sweep()
    queued, pulses = reports.run()
    if queued.queued or pulses:
        watch_log.info("reports: %s queued, %s NPS questions", len(queued.queued), len(pulses))
    if mail_jobs is None:
        return
    sent = mail_jobs.send_outbox()  # a line per message sent, retried or failed
    if sent is not None and (sent.sent or sent.retrying or sent.failed):
        watch_log.info(
            "outbox: %s sent, %s to retry, %s failed",
            len(sent.sent),
            len(sent.retrying),
            len(sent.failed),
        )
    mail_jobs.poll_imap()  # the fetch logs its own line


async def _run(
    jobs: SlaJobs,
    reports: ReportJobs,
    mail_jobs: MailJobs | None,
    *,
    interval: float,
    url: URL,
) -> None:
    from dispatcher.scheduling import make_scheduler

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = make_scheduler(
        jobs, event_loop=loop, sweep_seconds=interval, mail=mail_jobs, reports=reports
    )
    scheduler.start()
    watch_log.info("watching %s; Ctrl+C stops", url.render_as_string(hide_password=True))
    await stop.wait()
    scheduler.shutdown(wait=True)
