"""`dispatcher watch`: the background jobs without a console (SLA sweep, auto-close, the
outbox sender, the IMAP poll)."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from dispatcher.cli._common import set_db, state


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
) -> None:
    """Raise SLA alerts, close timed-out tickets, send and fetch mail while no console is open."""
    set_db(ctx, db)
    from dispatcher.scheduling import MailJobs, SlaJobs, make_scheduler
    from dispatcher.store.sla.alerts import SweepResult

    store = state(ctx).store()
    mail_jobs = MailJobs.from_settings(state(ctx).settings(), store=store) if mail else None

    def report(result: SweepResult) -> None:
        if result.fired or result.closed:
            typer.echo(
                f"sweep: {len(result.fired)} alerts, {len(result.breached)} breaches, "
                f"{len(result.closed)} auto-closed"
            )

    jobs = SlaJobs(store=store, on_sweep=report)
    if once:
        jobs.sweep()
        if mail_jobs is not None:
            sent = mail_jobs.send_outbox()
            if sent is not None and (sent.sent or sent.retrying or sent.failed):
                typer.echo(
                    f"outbox: {len(sent.sent)} sent, {len(sent.retrying)} to retry, "
                    f"{len(sent.failed)} failed"
                )
            polled = mail_jobs.poll_imap()
            if polled is not None and polled.read:
                typer.echo("imap: " + ", ".join(f"{v} {k}" for k, v in polled.counts().items()))
        return

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        scheduler = make_scheduler(jobs, event_loop=loop, sweep_seconds=interval, mail=mail_jobs)
        scheduler.start()
        typer.echo(f"watching {store.url.render_as_string(hide_password=True)}; Ctrl+C stops")
        await stop.wait()
        scheduler.shutdown(wait=True)

    asyncio.run(run())
