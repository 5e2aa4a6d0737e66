"""Contacts of a client and their contact points (emails, phones).

Contact points are stored normalised (emails lower-cased, phones as digits with a
leading `+` kept) next to what the admin typed, and each one belongs to one contact
only, so an incoming address or caller number names exactly one person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from dispatcher.domain.enums import ContactPointKind
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.clients.clients import get_client
from dispatcher.store.clients.points import normalize_point
from dispatcher.store.lookup import flush_or_conflict, fold, id_or_none, one_line
from dispatcher.store.models import Contact, ContactPoint, Message, Rating, Ticket
from dispatcher.store.tickets.writes import UNSET


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


def resolve_contact(session: Session, *, ref: str | int, client_id: int | None = None) -> Contact:
    """A contact by id, or by one of its email addresses or phone numbers.

    With `client_id` it must be one of that client's contacts, and may also be given by
    name (exactly, else ignoring case when that is unambiguous)."""
    if isinstance(ref, int):
        found: Contact | None = get_contact(session, contact_id=ref)
    else:
        key = ref.strip()
        number = id_or_none(key)
        found = session.get(Contact, number) if number is not None else None
        if found is None:
            found = contact_by_point(session, value=key)
        if found is None and client_id is not None:
            people = list_contacts(session, client_id=client_id, include_inactive=True)
            named = [c for c in people if c.name == key] or [
                c for c in people if fold(c.name) == fold(key)
            ]
            if len(named) > 1:
                raise ValidationError(f"more than one contact is called {key!r}: give the email")
            found = named[0] if named else None
    if found is None:
        raise NotFoundError("contact", repr(ref))
    if client_id is not None and found.client_id != client_id:
        client = get_client(session, client_id=client_id)
        raise ValidationError(f"contact {found.name!r} is not at client {client.name!r}")
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
