"""Quitting never waits for a background job: the jobs run in a pool of their own, never in
the event loop's default executor (which the console's exit waits for, as it holds the
operator's own writes), and a sweep asked to stop writes no further batch."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta

from sqlmodel import select

from dispatcher.domain.enums import Priority
from dispatcher.scheduling import SlaJobs, make_scheduler
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Alert
from dispatcher.store.sla import alerts
from tests.factories import new_ticket, world

# Only a safety net for a job that never runs (a hung test is worse than a failed one).
JOB_NEVER_RAN = 120.0


class HeldSweep(SlaJobs):
    """A sweep that notes the thread it runs in, then waits until the test lets it go."""

    def __init__(self, store: Store) -> None:
        super().__init__(store=store)
        self.thread = ""
        self.running = threading.Event()
        self.release = threading.Event()

    def sweep(self) -> alerts.SweepResult:
        self.thread = threading.current_thread().name
        self.running.set()
        self.release.wait(JOB_NEVER_RAN)
        return alerts.SweepResult()


async def test_jobs_run_outside_the_loops_default_executor(store: Store) -> None:
    loop = asyncio.get_running_loop()
    default_threads: set[str] = set()
    await loop.run_in_executor(None, lambda: default_threads.add(threading.current_thread().name))
    jobs = HeldSweep(store)
    scheduler = make_scheduler(jobs, event_loop=loop)
    scheduler.start()
    try:
        async with asyncio.timeout(JOB_NEVER_RAN):
            while not jobs.running.is_set():  # noqa: ASYNC110 - the job runs in its thread
                await asyncio.sleep(0.01)
        assert jobs.thread.startswith("dispatcher-job")
        assert jobs.thread not in default_threads
    finally:
        jobs.release.set()
        scheduler.shutdown(wait=True)


def test_a_sweep_asked_to_stop_writes_nothing_more(store: Store, now: datetime) -> None:
    w = world(store)
    new_ticket(store, w, now=now - timedelta(hours=2), priority=Priority.high)  # breached
    jobs = SlaJobs(store=store, clock=lambda: now)
    jobs.stop.set()  # the console is quitting
    result = jobs.sweep()
    assert (result.tickets, result.fired, result.closed) == (0, [], [])
    with store.read() as session:
        assert session.exec(select(Alert)).all() == []
    jobs.stop.clear()
    assert jobs.sweep().fired  # the next sweep (this console's or another's) raises it
