"""The client directory: clients, their email domains, contacts, contracts and equipment.

Repository functions, keyword-only, taking the session. Contact points are stored
normalised (emails lower-cased, phones as digits with a leading `+` kept) next to what the
admin typed, and each one belongs to one contact only, so an incoming address or caller
number names exactly one person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.domain.enums import ContactPointKind
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.models import (
    Client,
    ClientDomain,
    Contact,
    ContactPoint,
    Contract,
    ContractEquipment,
    Equipment,
    Message,
    Rating,
    SlaPlan,
    Ticket,
)
from dispatcher.store.team import (
    flush_or_conflict,
    fold,
    name_taken,
    one_line,
    resolve_named,
)
from dispatcher.store.tickets import UNSET

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_DOMAIN_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 3, 15


# --- normalising contact points -------------------------------------------------------


def normalize_email(value: str) -> str:
    """`Anna@Acme.Example ` → `anna@acme.example`; refuses what is not an address."""
    cleaned = value.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise ValidationError(f"not an email address: {value!r}")
    return cleaned


def normalize_phone(value: str) -> str:
    """`+7 (495) 123-45-67` → `+74951234567`: digits only, a leading `+` kept."""
    cleaned = value.strip()
    if not _PHONE_CHARS.match(cleaned):
        raise ValidationError(
            f"not a phone number: {value!r} (digits, spaces, ( ) - . / and a leading +)"
        )
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
        raise ValidationError(
            f"not a phone number: {value!r} "
            f"(expected {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits)"
        )
    return ("+" if cleaned.startswith("+") else "") + digits


def normalize_domain(value: str) -> str:
    """`@Acme.Example` → `acme.example`; internationalised names kept in Unicode."""
    cleaned = value.strip().lstrip("@").rstrip(".").lower()
    labels = cleaned.split(".")
    if (
        len(cleaned) > 253
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
    ):
        raise ValidationError(f"not an email domain: {value!r} (expected e.g. acme.example)")
    return cleaned


def normalize_point(kind: ContactPointKind, value: str) -> str:
    return normalize_email(value) if kind == ContactPointKind.email else normalize_phone(value)


# --- clients --------------------------------------------------------------------------


def _client_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    name = one_line(name, what="a client's name", max_length=200, digits_ok=False)
    taken = name_taken(session, model=Client, column=Client.name, name=name, exclude_id=exclude_id)
    if taken is not None:
        raise ConflictError(f"a client named {taken.name!r} already exists")
    return name


def add_client(
    session: Session, *, name: str, notes: str = "", domains: Iterable[str] = ()
) -> Client:
    client = Client(name=_client_name(session, name), notes=notes.strip())
    session.add(client)
    flush_or_conflict(session, f"client {client.name!r}")
    for domain in domains:
        add_client_domain(session, client_id=client.id or 0, domain=domain)
    return client


def list_clients(session: Session, *, include_inactive: bool = False) -> list[Client]:
    query = select(Client).order_by(col(Client.name))
    if not include_inactive:
        query = query.where(col(Client.active).is_(True))
    return list(session.exec(query).all())


def get_client(session: Session, *, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError("client with id", client_id)
    return client


def resolve_client(session: Session, *, ref: str | int) -> Client:
    """A client by name (exactly, or ignoring case in any script when unambiguous) or id."""
    return resolve_named(session, model=Client, column=Client.name, ref=ref, what="client")


def edit_client(
    session: Session, *, client_id: int, name: str = UNSET, notes: str = UNSET
) -> Client:
    client = get_client(session, client_id=client_id)
    if name is not UNSET:
        client.name = _client_name(session, name, exclude_id=client_id)
    if notes is not UNSET:
        client.notes = notes.strip()
    session.add(client)
    flush_or_conflict(session, f"client {client.name!r}")
    return client


def set_client_active(session: Session, *, client_id: int, active: bool) -> Client:
    """Deactivate (or bring back) a client; its tickets, contacts and contracts stay."""
    client = get_client(session, client_id=client_id)
    if client.active == active:
        state = "active" if active else "deactivated"
        raise ConflictError(f"client {client.name!r} is already {state}")
    client.active = active
    session.add(client)
    session.flush()
    return client


def deactivate_client(session: Session, *, client_id: int) -> Client:
    return set_client_active(session, client_id=client_id, active=False)


def activate_client(session: Session, *, client_id: int) -> Client:
    return set_client_active(session, client_id=client_id, active=True)


# --- email domains --------------------------------------------------------------------


def add_client_domain(session: Session, *, client_id: int, domain: str) -> ClientDomain:
    client = get_client(session, client_id=client_id)
    domain = normalize_domain(domain)
    existing = session.exec(select(ClientDomain).where(ClientDomain.domain == domain)).first()
    if existing is not None:
        owner = session.get(Client, existing.client_id)
        raise ConflictError(
            f"the domain {domain} already belongs to client {owner.name if owner else '?'!r}"
        )
    row = ClientDomain(client_id=client.id or 0, domain=domain)
    session.add(row)
    flush_or_conflict(session, f"domain {domain}")
    return row


def list_client_domains(session: Session, *, client_id: int | None = None) -> list[ClientDomain]:
    query = select(ClientDomain).order_by(col(ClientDomain.domain))
    if client_id is not None:
        query = query.where(ClientDomain.client_id == client_id)
    return list(session.exec(query).all())


def remove_client_domain(session: Session, *, domain: str) -> ClientDomain:
    key = normalize_domain(domain)
    row = session.exec(select(ClientDomain).where(ClientDomain.domain == key)).first()
    if row is None:
        raise NotFoundError("client domain", key)
    session.delete(row)
    session.flush()
    return row


def client_for_domain(session: Session, *, domain: str) -> Client | None:
    """The client a sender's domain identifies, if any."""
    try:
        key = normalize_domain(domain)
    except ValidationError:
        return None
    row = session.exec(select(ClientDomain).where(ClientDomain.domain == key)).first()
    return session.get(Client, row.client_id) if row else None


# --- contacts -------------------------------------------------------------------------


def get_contact(session: Session, *, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("contact with id", contact_id)
    return contact


def contact_by_point(session: Session, *, value: str) -> Contact | None:
    """The contact with that email address or phone number, if any."""
    kind = ContactPointKind.email if "@" in value else ContactPointKind.phone
    try:
        key = normalize_point(kind, value)
    except ValidationError:
        return None
    point = session.exec(
        select(ContactPoint).where(ContactPoint.kind == kind, ContactPoint.value == key)
    ).first()
    return session.get(Contact, point.contact_id) if point else None


def resolve_contact(session: Session, *, ref: str | int) -> Contact:
    """A contact by id, or by one of its email addresses or phone numbers."""
    if isinstance(ref, int):
        return get_contact(session, contact_id=ref)
    key = ref.strip()
    if key.isdigit():
        found = session.get(Contact, int(key))
        if found is not None:
            return found
    found = contact_by_point(session, value=key)
    if found is None:
        raise NotFoundError("contact", repr(ref))
    return found


def _add_points(
    session: Session,
    *,
    contact: Contact,
    kind: ContactPointKind,
    values: Iterable[str],
) -> list[ContactPoint]:
    added: list[ContactPoint] = []
    seen: set[str] = set()
    for display in values:
        key = normalize_point(kind, display)
        if key in seen:
            continue
        seen.add(key)
        existing = session.exec(
            select(ContactPoint).where(ContactPoint.kind == kind, ContactPoint.value == key)
        ).first()
        if existing is not None:
            owner = session.get(Contact, existing.contact_id)
            whose = (
                "this contact"
                if existing.contact_id == contact.id
                else (f"contact {owner.name if owner else '?'!r} (id {existing.contact_id})")
            )
            raise ConflictError(f"the {kind.value} {key} already belongs to {whose}")
        point = ContactPoint(
            contact_id=contact.id or 0, kind=kind, value=key, display=display.strip()[:320]
        )
        session.add(point)
        added.append(point)
    flush_or_conflict(session, f"{kind.value}")
    return added


def add_contact(
    session: Session,
    *,
    client_id: int,
    name: str,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    position: str = "",
    notes: str = "",
) -> Contact:
    get_client(session, client_id=client_id)
    contact = Contact(
        client_id=client_id,
        name=one_line(name, what="a contact's name", max_length=200),
        position=one_line(position, what="the position", max_length=200, required=False),
        notes=notes.strip(),
    )
    session.add(contact)
    flush_or_conflict(session, "contact")
    _add_points(session, contact=contact, kind=ContactPointKind.email, values=emails)
    _add_points(session, contact=contact, kind=ContactPointKind.phone, values=phones)
    return contact


def list_contacts(
    session: Session, *, client_id: int | None = None, include_inactive: bool = False
) -> list[Contact]:
    query = select(Contact).order_by(col(Contact.name), col(Contact.id))
    if client_id is not None:
        query = query.where(Contact.client_id == client_id)
    if not include_inactive:
        query = query.where(col(Contact.active).is_(True))
    return list(session.exec(query).all())


def contact_points(
    session: Session, *, contact_ids: Iterable[int]
) -> dict[int, list[ContactPoint]]:
    """Each contact's emails then phones, in the order they were added."""
    ids = list(contact_ids)
    result: dict[int, list[ContactPoint]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = session.exec(
        select(ContactPoint)
        .where(col(ContactPoint.contact_id).in_(ids))
        .order_by(col(ContactPoint.kind), col(ContactPoint.id))
    ).all()
    for row in rows:
        result[row.contact_id].append(row)
    return result


def edit_contact(
    session: Session,
    *,
    contact_id: int,
    name: str = UNSET,
    position: str = UNSET,
    notes: str = UNSET,
    client_id: int = UNSET,
    active: bool = UNSET,
    add_emails: Sequence[str] = (),
    add_phones: Sequence[str] = (),
    remove_points: Sequence[str] = (),
) -> Contact:
    """Change what is given. `remove_points` are emails or phones of this contact."""
    contact = get_contact(session, contact_id=contact_id)
    if name is not UNSET:
        contact.name = one_line(name, what="a contact's name", max_length=200)
    if position is not UNSET:
        contact.position = one_line(position, what="the position", max_length=200, required=False)
    if notes is not UNSET:
        contact.notes = notes.strip()
    if client_id is not UNSET:
        contact.client_id = get_client(session, client_id=client_id).id or 0
    if active is not UNSET:
        contact.active = active
    session.add(contact)
    for value in remove_points:
        kind = ContactPointKind.email if "@" in value else ContactPointKind.phone
        key = normalize_point(kind, value)
        point = session.exec(
            select(ContactPoint).where(
                ContactPoint.contact_id == contact_id,
                ContactPoint.kind == kind,
                ContactPoint.value == key,
            )
        ).first()
        if point is None:
            raise NotFoundError(f"{kind.value} of this contact:", key)
        session.delete(point)
    session.flush()
    _add_points(session, contact=contact, kind=ContactPointKind.email, values=add_emails)
    _add_points(session, contact=contact, kind=ContactPointKind.phone, values=add_phones)
    return contact


def remove_contact(session: Session, *, contact_id: int) -> Contact:
    """Delete a contact nothing refers to; one who wrote in is deactivated instead."""
    contact = get_contact(session, contact_id=contact_id)
    for column, what in (
        (Ticket.contact_id, "tickets"),
        (Message.contact_id, "messages"),
        (Rating.contact_id, "ratings"),
    ):
        if session.exec(select(column).where(column == contact_id).limit(1)).first() is not None:
            raise ConflictError(
                f"contact {contact.name!r} has {what} and cannot be deleted: deactivate it instead"
            )
    for point in contact_points(session, contact_ids=[contact_id])[contact_id]:
        session.delete(point)
    session.flush()  # the children first: the ORM does not order them
    session.delete(contact)
    flush_or_conflict(session, "contact")
    return contact


# --- finding clients as the dispatcher types ------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientMatch:
    """One hit of `find_clients`: the client, and the contact when a contact matched."""

    client_id: int
    client_name: str
    client_active: bool
    contact_id: int | None
    contact_name: str | None
    matched_on: str  # "client", "contact", "email", "phone" or "domain"
    matched: str  # the text that matched, as stored for display


def _rank(haystack: str, needle: str) -> int | None:
    """0: starts with it, 1: a word starts with it, 2: contains it; None: no match."""
    position = haystack.find(needle)
    if position < 0:
        return None
    if position == 0:
        return 0
    words = re.split(r"[\s\-_.,@()\"'«»]+", haystack)
    return 1 if any(word.startswith(needle) for word in words) else 2


def find_clients(
    session: Session, *, text: str, limit: int = 20, include_inactive: bool = False
) -> list[ClientMatch]:
    """Clients whose name, or whose contacts' names, emails or phones, match `text`.

    Case-insensitive in any script: names are compared in Python (SQLite folds only ASCII,
    and PostgreSQL's folding depends on the database's locale), contact points through
    their stored normalised value. Best matches first: a name starting with the text, a
    word starting with it, then anywhere; clients before contacts. Each client or contact
    appears once.
    """
    needle = fold(" ".join(text.split()))
    if not needle or limit <= 0:
        return []
    clients = {
        cid: (name, active)
        for cid, name, active in session.exec(select(Client.id, Client.name, Client.active)).all()
        if include_inactive or active
    }
    scored: dict[tuple[int, int | None], tuple[tuple[int, int, str], ClientMatch]] = {}

    def offer(rank: int, order: int, match: ClientMatch) -> None:
        key = (match.client_id, match.contact_id)
        sort = (rank, order, fold(match.contact_name or match.client_name))
        if key not in scored or sort < scored[key][0]:
            scored[key] = (sort, match)

    for cid, (name, active) in clients.items():
        rank = _rank(fold(name), needle)
        if rank is not None:
            offer(rank, 0, ClientMatch(cid or 0, name, active, None, None, "client", name))

    contacts = session.exec(
        select(Contact.id, Contact.client_id, Contact.name).where(col(Contact.active).is_(True))
    ).all()
    contact_names = {cid: (client_id, name) for cid, client_id, name in contacts}
    for contact_id, (client_id, name) in contact_names.items():
        rank = _rank(fold(name), needle)
        if rank is not None and client_id in clients:
            client_name, active = clients[client_id]
            offer(
                rank,
                1,
                ClientMatch(client_id, client_name, active, contact_id, name, "contact", name),
            )

    # Contact points are stored normalised, so the database can match them itself.
    patterns: list[tuple[ContactPointKind, str]] = [(ContactPointKind.email, needle.lower())]
    digits = "".join(ch for ch in needle if ch.isdigit())
    if len(digits) >= MIN_PHONE_DIGITS and _PHONE_CHARS.match(needle):
        patterns.append((ContactPointKind.phone, digits))
    for kind, pattern in patterns:
        escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = session.exec(
            select(ContactPoint.contact_id, ContactPoint.value, ContactPoint.display)
            .where(
                ContactPoint.kind == kind,
                col(ContactPoint.value).like(f"%{escaped}%", escape="\\"),
            )
            .limit(limit * 5)
        ).all()
        for contact_id, value, display in rows:
            owner = contact_names.get(contact_id)
            if owner is None or owner[0] not in clients:
                continue
            client_name, active = clients[owner[0]]
            rank = _rank(value.lstrip("+"), pattern) if kind == ContactPointKind.phone else None
            rank = _rank(value, pattern) if rank is None else rank
            offer(
                rank if rank is not None else 2,
                2,
                ClientMatch(
                    owner[0], client_name, active, contact_id, owner[1], kind.value, display
                ),
            )
    ordered = sorted(scored.values(), key=lambda item: item[0])
    return [match for _, match in ordered[:limit]]


# --- SLA plans, by name ---------------------------------------------------------------


def resolve_plan(session: Session, *, ref: str | int) -> SlaPlan:
    """An SLA plan by name (any case) or id."""
    return resolve_named(session, model=SlaPlan, column=SlaPlan.name, ref=ref, what="SLA plan")


# --- equipment ------------------------------------------------------------------------


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
    if found is None and key.isdigit():
        found = session.get(Equipment, int(key))
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


# --- contracts ------------------------------------------------------------------------


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
    if found is None and key.isdigit():
        found = session.get(Contract, int(key))
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
