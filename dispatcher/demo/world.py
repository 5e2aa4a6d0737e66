"""What the ticket simulation knows of the setup: plain frozen values, read back from the
rows the setup wrote, so that simulating a ticket never goes to the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dispatcher.domain.calendar import BusinessCalendar
from dispatcher.domain.enums import Priority
from dispatcher.domain.sla import Budgets


@dataclass(frozen=True, slots=True)
class Plan:
    """An SLA plan as `dispatcher.store.sla.clock` reads it for a ticket."""

    id: int
    name: str
    calendar: BusinessCalendar
    budgets: dict[Priority, Budgets]
    warn_before: dict[Priority, tuple[int, ...]]
    confirm_minutes: int


@dataclass(frozen=True, slots=True)
class Contract:
    id: int
    plan_id: int
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    name: str
    language: str  # "ru" or "en"
    domain: str
    weight: int  # how much they write in
    contacts: tuple[Contact, ...]
    contracts: tuple[Contract, ...]
    equipment: tuple[int, ...]

    def contract_on(self, day: date) -> Contract | None:
        """As `sla_clock.contract_for`, in memory: the latest-starting contract valid that day."""
        best: Contract | None = None
        for contract in self.contracts:
            if contract.valid_from <= day and (
                contract.valid_to is None or contract.valid_to >= day
            ):
                if best is None or (contract.valid_from, contract.id) > (best.valid_from, best.id):
                    best = contract
        return best


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    queue_id: int
    default_priority: Priority | None
    weight: int
    # (user id, login) of the active engineers with the competence, by the clients' language
    engineers_ru: tuple[tuple[int, str], ...]
    engineers_en: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class World:
    plans: dict[int, Plan]
    default_plan_id: int
    clients: tuple[Client, ...]
    categories: tuple[Category, ...]
    intake_queue_id: int
    dispatchers_ru: tuple[int, ...]
    dispatchers_en: tuple[int, ...]
