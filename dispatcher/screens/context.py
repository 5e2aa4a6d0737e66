"""What every screen and dialog is handed: the store, who is at the keyboard, the clock,
the settings and how often things run by themselves. The App builds one; a screen never
reaches for `self.app.<attribute>` or for the wall clock.

Intervals are seconds; `None` means "never by itself": tests hand in `Intervals.manual()`
and drive each poll, beat and debounced search themselves, so nothing they check depends
on how fast the machine is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.enums import Role
from dispatcher.read_models.presence import HEARTBEAT_SECONDS

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


@dataclass(frozen=True, slots=True)
class ScreenContext:
    store: Store
    operator: Operator
    settings: Settings
    clock: Clock = utcnow
    intervals: Intervals = field(default_factory=Intervals)

    @property
    def is_lead(self) -> bool:
        return self.operator.role in (Role.lead, Role.admin)
