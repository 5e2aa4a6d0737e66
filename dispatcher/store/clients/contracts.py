"""Service contracts: which SLA plan a client has, when, and for which equipment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.clients.clients import get_client
from dispatcher.store.clients.equipment import get_equipment
from dispatcher.store.lookup import flush_or_conflict, id_or_none, one_line, resolve_named
from dispatcher.store.models import Contract, ContractEquipment, Equipment, SlaPlan, Ticket
from dispatcher.store.tickets.writes import UNSET


def resolve_plan(session: Session, *, ref: str | int) -> SlaPlan:
    """An SLA plan by name (any case) or id."""
    return resolve_named(session, model=SlaPlan, column=SlaPlan.name, ref=ref, what="SLA plan")


class ContractState(StrEnum):
    valid = "valid"
    expired = "expired"
    not_started = "not_started"
    none = "none"  # the client has no contract at all


def contract_state(contract: Contract, *, on: date) -> ContractState:
    """Whether a contract covers the day `on` (both ends inclusive; no end: open-ended)."""
    if on < contract.valid_from:
        return ContractState.not_started
    if contract.valid_to is not None and on > contract.valid_to:
        return ContractState.expired
    return ContractState.valid


@dataclass(frozen=True, slots=True)
class ContractCheck:
    """The answer to "is this client covered on that day?" for the ticket form's warning."""

    state: ContractState
    contract: Contract | None  # the valid one, else the one that lapsed last, else the next

    @property
    def covered(self) -> bool:
        return self.state == ContractState.valid

    def describe(self) -> str:
        c = self.contract
        if c is None:
            return "no contract: the default SLA plan applies"
        if self.state == ContractState.valid:
            return f"contract {c.number} valid" + (f" to {c.valid_to}" if c.valid_to else "")
        if self.state == ContractState.expired:
            return f"contract {c.number} expired on {c.valid_to}: the default SLA plan applies"
        return f"contract {c.number} starts on {c.valid_from}: the default SLA plan applies"


def check_client_contract(session: Session, *, client_id: int, on: date) -> ContractCheck:
    """Whether the client has a contract valid on `on`; if not, whether one has expired."""
    get_client(session, client_id=client_id)
    contracts = list_contracts(session, client_id=client_id)
    by_state: dict[ContractState, list[Contract]] = {}
    for contract in contracts:
        by_state.setdefault(contract_state(contract, on=on), []).append(contract)
    if valid := by_state.get(ContractState.valid):
        # The latest-starting one wins, as for the SLA clock.
        return ContractCheck(
            ContractState.valid, max(valid, key=lambda c: (c.valid_from, c.id or 0))
        )
    if expired := by_state.get(ContractState.expired):
        return ContractCheck(
            ContractState.expired, max(expired, key=lambda c: (c.valid_to or date.min, c.id or 0))
        )
    if upcoming := by_state.get(ContractState.not_started):
        return ContractCheck(
            ContractState.not_started, min(upcoming, key=lambda c: (c.valid_from, c.id or 0))
        )
    return ContractCheck(ContractState.none, None)


def _check_period(valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError(f"the contract ends ({valid_to}) before it starts ({valid_from})")


def _set_contract_equipment(
    session: Session, *, contract: Contract, equipment_ids: Iterable[int]
) -> None:
    ids = list(dict.fromkeys(equipment_ids))
    for item_id in ids:
        item = get_equipment(session, equipment_id=item_id)
        if item.client_id != contract.client_id:
            raise ValidationError(
                f"equipment item {item.name!r} (id {item_id}) belongs to another client"
            )
    for link in session.exec(
        select(ContractEquipment).where(ContractEquipment.contract_id == contract.id)
    ).all():
        session.delete(link)
    session.flush()
    session.add_all(
        ContractEquipment(contract_id=contract.id or 0, equipment_id=item_id) for item_id in ids
    )
    session.flush()


def contract_equipment(session: Session, *, contract_id: int) -> list[Equipment]:
    return list(
        session.exec(
            select(Equipment)
            .join(ContractEquipment, col(ContractEquipment.equipment_id) == col(Equipment.id))
            .where(ContractEquipment.contract_id == contract_id)
            .order_by(col(Equipment.name))
        ).all()
    )


def _contract_number(session: Session, number: str, *, exclude_id: int | None = None) -> str:
    number = one_line(number, what="a contract number", max_length=64)
    existing = session.exec(select(Contract).where(Contract.number == number)).first()
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(f"a contract numbered {number!r} already exists")
    return number


def add_contract(
    session: Session,
    *,
    number: str,
    client_id: int,
    plan: str | int,
    valid_from: date,
    valid_to: date | None = None,
    equipment_ids: Iterable[int] = (),
    notes: str = "",
) -> Contract:
    """A service contract: the client gets the SLA plan `plan` (a name or id) over the period."""
    get_client(session, client_id=client_id)
    sla_plan = resolve_plan(session, ref=plan)
    _check_period(valid_from, valid_to)
    contract = Contract(
        number=_contract_number(session, number),
        client_id=client_id,
        sla_plan_id=sla_plan.id or 0,
        valid_from=valid_from,
        valid_to=valid_to,
        notes=notes.strip(),
    )
    session.add(contract)
    flush_or_conflict(session, f"contract {contract.number!r}")
    _set_contract_equipment(session, contract=contract, equipment_ids=equipment_ids)
    return contract


def list_contracts(session: Session, *, client_id: int | None = None) -> list[Contract]:
    query = select(Contract).order_by(col(Contract.client_id), col(Contract.valid_from))
    if client_id is not None:
        query = query.where(Contract.client_id == client_id)
    return list(session.exec(query).all())


def get_contract(session: Session, *, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFoundError("contract with id", contract_id)
    return contract


def resolve_contract(session: Session, *, ref: str | int) -> Contract:
    """A contract by number, or by id when given digits that are no contract's number."""
    if isinstance(ref, int):
        return get_contract(session, contract_id=ref)
    key = ref.strip()
    found = session.exec(select(Contract).where(Contract.number == key)).first()
    if found is None and (number := id_or_none(key)) is not None:
        found = session.get(Contract, number)
    if found is None:
        raise NotFoundError("contract", repr(ref))
    return found


def edit_contract(
    session: Session,
    *,
    contract_id: int,
    number: str = UNSET,
    plan: str | int = UNSET,
    valid_from: date = UNSET,
    valid_to: date | None = UNSET,
    equipment_ids: Iterable[int] = UNSET,
    notes: str = UNSET,
) -> Contract:
    """Change what is given; `valid_to=None` makes it open-ended; `equipment_ids` replaces."""
    contract = get_contract(session, contract_id=contract_id)
    if number is not UNSET:
        contract.number = _contract_number(session, number, exclude_id=contract_id)
    if plan is not UNSET:
        contract.sla_plan_id = resolve_plan(session, ref=plan).id or 0
    new_from = contract.valid_from if valid_from is UNSET else valid_from
    new_to = contract.valid_to if valid_to is UNSET else valid_to
    _check_period(new_from, new_to)
    contract.valid_from, contract.valid_to = new_from, new_to
    if notes is not UNSET:
        contract.notes = notes.strip()
    session.add(contract)
    flush_or_conflict(session, f"contract {contract.number!r}")
    if equipment_ids is not UNSET:
        _set_contract_equipment(session, contract=contract, equipment_ids=equipment_ids)
    return contract


def remove_contract(session: Session, *, contract_id: int) -> Contract:
    contract = get_contract(session, contract_id=contract_id)
    tickets = int(
        session.exec(
            select(func.count()).select_from(Ticket).where(Ticket.contract_id == contract_id)
        ).one()
    )
    if tickets:
        raise ConflictError(
            f"contract {contract.number!r} has {tickets} ticket(s) and cannot be removed; "
            "end it instead (edit --to)"
        )
    for link in session.exec(
        select(ContractEquipment).where(ContractEquipment.contract_id == contract_id)
    ).all():
        session.delete(link)
    session.flush()  # the children first: the ORM does not order them
    session.delete(contract)
    flush_or_conflict(session, f"contract {contract.number!r}")
    return contract
