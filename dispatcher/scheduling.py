"""Background jobs on APScheduler's AsyncIOScheduler: the SLA sweep and auto-close.

The same jobs run inside the console (on Textual's event loop) and in the headless
`dispatcher watch`. Jobs are plain `def`s, so APScheduler runs them in the loop's default
executor: database work never blocks the event loop (MEASURED.md, section 5).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dispatcher.store import alerts
from dispatcher.store.engine import Store

if TYPE_CHECKING:
    import asyncio

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

SWEEP_SECONDS = 15.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SlaJobs:
    store: Store
    clock: Callable[[], datetime] = utcnow
    on_sweep: Callable[[alerts.SweepResult], None] | None = None

    def sweep(self) -> alerts.SweepResult:
        """One pass: raise due alerts, then close resolved tickets past their window."""
        now = self.clock()
        result = alerts.SweepResult()
        # Batches until nothing is due, so a backlog after downtime clears in one run.
        while True:
            with self.store.write() as session:
                batch = alerts.sweep(session, now=now)
            result.tickets += batch.tickets
            result.fired += batch.fired
            result.breached += batch.breached
            if batch.tickets < alerts.SWEEP_BATCH:
                break
        while True:
            with self.store.write() as session:
                closed = alerts.auto_close(session, now=now)
            result.closed += closed
            if len(closed) < alerts.SWEEP_BATCH:
                break
        if self.on_sweep is not None:
            self.on_sweep(result)
        return result


def make_scheduler(
    jobs: SlaJobs,
    *,
    event_loop: asyncio.AbstractEventLoop | None = None,
    sweep_seconds: float = SWEEP_SECONDS,
) -> AsyncIOScheduler:
    """A scheduler whose first sweep runs at once (catching up on what was missed)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(event_loop=event_loop, timezone=UTC)
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
    return scheduler
