"""Who else has a ticket open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    login: str
    name: str
    seen_at: datetime
