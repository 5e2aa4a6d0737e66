"""The client's equipment items: what a ticket or a contract can be about."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.domain.errors import ConflictError, NotFoundError
from dispatcher.store.clients.clients import get_client
from dispatcher.store.lookup import flush_or_conflict, id_or_none, one_line
from dispatcher.store.models import ContractEquipment, Equipment, Ticket
from dispatcher.store.tickets.writes import UNSET


def _serial(session: Session, serial: str | None, *, exclude_id: int | None = None) -> str | None:
    if serial is None or not serial.strip():
        return None
    cleaned = one_line(serial, what="a serial number", max_length=100)
    existing = session.exec(select(Equipment).where(Equipment.serial == cleaned)).first()
    if existing is not None and existing.id != exclude_id:
        raise ConflictError(f"serial {cleaned!r} is already item {existing.id} ({existing.name!r})")
    return cleaned


def add_equipment(
    session: Session,
    *,
    client_id: int,
    name: str,
    kind: str = "",
    serial: str | None = None,
    location: str = "",
    notes: str = "",
) -> Equipment:
    get_client(session, client_id=client_id)
    item = Equipment(
        client_id=client_id,
        name=one_line(name, what="an equipment item's name", max_length=200),
        kind=one_line(kind, what="the kind", max_length=100, required=False),
        serial=_serial(session, serial),
        location=one_line(location, what="the location", max_length=200, required=False),
        notes=notes.strip(),
    )
    session.add(item)
    flush_or_conflict(session, f"serial {item.serial!r}")
    return item


def list_equipment(session: Session, *, client_id: int | None = None) -> list[Equipment]:
    query = select(Equipment).order_by(col(Equipment.client_id), col(Equipment.name))
    if client_id is not None:
        query = query.where(Equipment.client_id == client_id)
    return list(session.exec(query).all())


def get_equipment(session: Session, *, equipment_id: int) -> Equipment:
    item = session.get(Equipment, equipment_id)
    if item is None:
        raise NotFoundError("equipment item with id", equipment_id)
    return item


def resolve_equipment(session: Session, *, ref: str | int) -> Equipment:
    """An equipment item by serial number, or by id when given digits."""
    if isinstance(ref, int):
        return get_equipment(session, equipment_id=ref)
    key = ref.strip()
    found = session.exec(select(Equipment).where(Equipment.serial == key)).first()
    if found is None and (number := id_or_none(key)) is not None:
        found = session.get(Equipment, number)
    if found is None:
        raise NotFoundError("equipment item", repr(ref))
    return found


def edit_equipment(
    session: Session,
    *,
    equipment_id: int,
    name: str = UNSET,
    kind: str = UNSET,
    serial: str | None = UNSET,
    location: str = UNSET,
    notes: str = UNSET,
) -> Equipment:
    """Change what is given; `serial=None` (or "") clears the serial number."""
    item = get_equipment(session, equipment_id=equipment_id)
    if name is not UNSET:
        item.name = one_line(name, what="an equipment item's name", max_length=200)
    if kind is not UNSET:
        item.kind = one_line(kind, what="the kind", max_length=100, required=False)
    if serial is not UNSET:
        item.serial = _serial(session, serial, exclude_id=equipment_id)
    if location is not UNSET:
        item.location = one_line(location, what="the location", max_length=200, required=False)
    if notes is not UNSET:
        item.notes = notes.strip()
    session.add(item)
    flush_or_conflict(session, f"serial {item.serial!r}")
    return item


def remove_equipment(session: Session, *, equipment_id: int) -> Equipment:
    item = get_equipment(session, equipment_id=equipment_id)
    tickets = int(
        session.exec(
            select(func.count()).select_from(Ticket).where(Ticket.equipment_id == equipment_id)
        ).one()
    )
    if tickets:
        raise ConflictError(
            f"equipment item {item.name!r} has {tickets} ticket(s) and cannot be removed"
        )
    for link in session.exec(
        select(ContractEquipment).where(ContractEquipment.equipment_id == equipment_id)
    ).all():
        session.delete(link)
    session.flush()  # the children first: the ORM does not order them
    session.delete(item)
    flush_or_conflict(session, "equipment item")
    return item
