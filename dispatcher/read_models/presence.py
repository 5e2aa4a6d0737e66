"""Who else has a ticket open, and how often a console says it is looking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

HEARTBEAT_SECONDS = 10.0  # an open ticket's console beats this often
STALE_AFTER = timedelta(seconds=2 * HEARTBEAT_SECONDS + 5)  # about two beats missed


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    login: str
    name: str
    seen_at: datetime
