"""What a demo run made, for the command's summary line (or its --json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class DemoSummary:
    seed: int
    now: datetime
    users: int = 0
    clients: int = 0
    contacts: int = 0
    contracts: int = 0
    templates: int = 0
    articles: int = 0
    tickets: int = 0
    events: int = 0
    messages: int = 0
    active: int = 0
    breached: int = 0
    seconds: float = 0.0
    ticket_seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.ticket_seconds if self.ticket_seconds > 0 else 0.0
