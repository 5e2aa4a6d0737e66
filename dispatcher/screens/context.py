"""What every screen and dialog is handed: the store, who is at the keyboard, the clock,
the settings and how often things run by themselves. The App builds one; a screen never
reaches for `self.app.<attribute>` or for the wall clock.

The store and the settings come through a `Backend`: handed in open (the ordinary command,
tests), or opened once in a thread after the first frame (the console's quick start,
`dispatcher.console_quick`: SQLAlchemy, the models and the settings' validation cost most
of a second, and the first screen needs none of them). Every screen reads the store in a
thread worker, so a worker that asks before it is open waits in its thread, never on the
UI. What opening imports is imported first on the UI's own thread, a module at a time
between frames (`Backend.import_steps`): SQLAlchemy's import, like many a package's, breaks
when a second thread imports it at the same time (a key that opens a form, a poll), and
the opening thread then imports nothing the others might.

Intervals are seconds; `None` means "never by itself": tests hand in `Intervals.manual()`
and drive each poll, beat and debounced search themselves, so nothing they check depends
on how fast the machine is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.enums import Role
from dispatcher.read_models.presence import HEARTBEAT_SECONDS

if TYPE_CHECKING:
    from datetime import datetime

    from dispatcher.read_models.queue import QueueWindow

if TYPE_CHECKING:
    from dispatcher.config import Settings
    from dispatcher.identity import Operator
    from dispatcher.store.db.engine import Store


@dataclass(frozen=True, slots=True)
class Intervals:
    """How often the console reads by itself, and how long typing must pause before a
    search. The defaults are the console's; `changes` comes from `refresh_seconds`."""

    changes: float | None = 0.2  # the queue asks the database whether anybody committed
    alerts: float | None = 5.0  # the app polls the operator's open SLA alerts
    ticket_poll: float | None = 1.0  # an open ticket checks its version
    heartbeat: float | None = HEARTBEAT_SECONDS  # an open ticket says who is looking at it
    my_work: float | None = 5.0  # "my work" reads its list again
    filter_text: float | None = 0.25  # quiet typing before the queue's text filter applies
    kb_search: float | None = 0.15  # ... before the KB screen searches
    article_search: float | None = 0.2  # ... before the composer searches articles
    client_search: float | None = 0.2  # ... before the new-ticket form finds clients
    draft_save: float | None = 1.0  # ... before unsent text is saved as a draft

    @classmethod
    def manual(cls) -> Intervals:
        """Nothing runs by itself: every poll, beat and search is driven by hand."""
        return cls(
            changes=None,
            alerts=None,
            ticket_poll=None,
            heartbeat=None,
            my_work=None,
            filter_text=None,
            kb_search=None,
            article_search=None,
            client_search=None,
            draft_save=None,
        )


class ConsoleClosingError(RuntimeError):
    """A read asked for a store the console quit before opening."""


class Backend:
    """The store and the settings: at hand, or opened by `opener` in a thread of its own
    once `start` is called (by the App, after its first frame and `import_steps`). Asking
    for either waits, in the asker's thread, until it is open; a failed opening raises its
    error to every asker (a worker shows it)."""

    def __init__(
        self,
        store: Store | None = None,
        settings: Settings | None = None,
        *,
        opener: Callable[[], tuple[Settings, Store]] | None = None,
        imports: Callable[[], Iterator[None]] | None = None,
    ) -> None:
        if opener is None and (store is None or settings is None):
            raise ValueError("a backend needs its store and settings, or an opener")
        self._store = store
        self._settings = settings
        self._opener = opener
        self._imports = imports
        self._error: BaseException | None = None
        self._opened = threading.Event()
        self._lock = threading.Lock()
        self._started = opener is None
        if opener is None:
            self._opened.set()

    @property
    def is_open(self) -> bool:
        return self._opened.is_set() and self._error is None

    def import_steps(self) -> Iterator[None] | None:
        """What opening imports, one module per step, for the App to take on its own
        thread before `start`; None when there is nothing to import (the store is open)."""
        if self._started or self._imports is None:
            return None
        return self._imports()

    def start(self) -> None:
        """Open in the background (once; nothing to do when already open)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._open, name="open-store", daemon=True).start()

    def abandon(self) -> None:
        """The console is closing: if the opening has not begun, it never will, and every
        read waiting for it is let go with `ConsoleClosingError` (its thread can end)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        self._error = ConsoleClosingError("the console is closing")
        self._opened.set()

    def _open(self) -> None:
        assert self._opener is not None
        try:
            self._settings, self._store = self._opener()
        except BaseException as exc:  # handed to whoever asks, in their thread
            self._error = exc
        finally:
            self._opened.set()

    def _wait(self) -> None:
        self._opened.wait()  # started by the App, never by an asker: see `import_steps`
        if self._error is not None:
            raise self._error

    @property
    def store(self) -> Store:
        self._wait()
        assert self._store is not None
        return self._store

    @property
    def settings(self) -> Settings:
        self._wait()
        assert self._settings is not None
        return self._settings

    def dispose(self) -> None:
        """Close the store's connections, if it was opened."""
        if self._opened.is_set() and self._store is not None:
            self._store.dispose()


@dataclass(frozen=True, slots=True)
class FirstWindow:
    """The live queue's default window (every active ticket, most urgent first), read
    before the console drew anything, and when."""

    window: QueueWindow
    read_at: datetime


@dataclass(frozen=True, slots=True)
class FirstLook:
    """What the first frame needs before the settings are loaded and checked: the theme,
    the keymap, the queue's refresh interval; and, for a console that starts in the
    queue, its first window."""

    theme: str
    keymap: dict[str, str]
    refresh_seconds: float
    first_window: FirstWindow | None = None


@dataclass(frozen=True, slots=True)
class ScreenContext:
    backend: Backend
    operator: Operator
    clock: Clock = utcnow
    intervals: Intervals = field(default_factory=Intervals)
    first_window: FirstWindow | None = None  # for the queue's first frame (quick start)

    @classmethod
    def of(
        cls,
        *,
        store: Store,
        operator: Operator,
        settings: Settings,
        clock: Clock = utcnow,
        intervals: Intervals | None = None,
    ) -> ScreenContext:
        """A context over a store and settings at hand."""
        return cls(Backend(store, settings), operator, clock, intervals or Intervals())

    @property
    def store(self) -> Store:
        """The store (waits while it is being opened: ask from a thread worker)."""
        return self.backend.store

    @property
    def settings(self) -> Settings:
        return self.backend.settings

    @property
    def is_lead(self) -> bool:
        return self.operator.role in (Role.lead, Role.admin)
