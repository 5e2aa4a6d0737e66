"""`dispatcher watch`: the background jobs without a console (SLA sweep, auto-close)."""

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
    once: Annotated[bool, typer.Option("--once", help="Sweep once and exit")] = False,
) -> None:
    """Raise SLA alerts and close timed-out tickets while no console is open."""
    set_db(ctx, db)
    from dispatcher.scheduling import SlaJobs, make_scheduler
    from dispatcher.store.alerts import SweepResult

    store = state(ctx).store()

    def report(result: SweepResult) -> None:
        if result.fired or result.closed:
            typer.echo(
                f"sweep: {len(result.fired)} alerts, {len(result.breached)} breaches, "
                f"{len(result.closed)} auto-closed"
            )

    jobs = SlaJobs(store=store, on_sweep=report)
    if once:
        jobs.sweep()
        return

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        scheduler = make_scheduler(jobs, event_loop=loop, sweep_seconds=interval)
        scheduler.start()
        typer.echo(f"watching {store.url.render_as_string(hide_password=True)}; Ctrl+C stops")
        await stop.wait()
        scheduler.shutdown(wait=True)

    asyncio.run(run())
