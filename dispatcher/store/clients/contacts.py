"""Contacts of a client and their contact points (emails, phones), and finding a caller
as a dispatcher types.

Contact points are stored normalised (emails lower-cased, phones as digits with a
leading `+` kept) next to what the admin typed, and each one belongs to one contact
only, so an incoming address or caller number names exactly one person.

Phones are compared by their national number (`phone_key`): `+7 916 555 12 34`,
`8 916 555-12-34` and `916 555 12 34` are one number, whichever way it was saved."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from dispatcher.domain.enums import ContactPointKind
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.clients.clients import get_client
from dispatcher.store.clients.points import PHONE_CHARS, normalize_point
from dispatcher.store.lookup import flush_or_conflict, fold, id_or_none, one_line
from dispatcher.store.models import (
    Client,
    Contact,
    ContactPoint,
    Message,
    Rating,
    Ticket,
    table_of,
)
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
    if point is None and kind == ContactPointKind.phone:
        # The same number saved in another format (`8 916 ...` for `+7 916 ...`): the one
        # contact whose number it is nationally, if only one has it.
        national = phone_key(value)
        owners = session.exec(
            select(ContactPoint.contact_id)
            .where(
                ContactPoint.kind == kind,
                phone_key_sql(col(ContactPoint.value)) == national,
            )
            .distinct()
            .limit(2)
        ).all()
        return session.get(Contact, owners[0]) if len(owners) == 1 and national else None
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


# --- finding a caller -------------------------------------------------------------------

# Russia and Kazakhstan: `+7` is the country code and a leading `8` the trunk prefix of
# the same eleven-digit number; either is dropped to compare national numbers.
_COUNTRY, _TRUNK, _FULL_DIGITS = "7", "8", 11
MIN_SEARCH_DIGITS = 3


def phone_key(value: str) -> str:
    """A phone number's national digits, as a caller would be looked up by.

    `+7 916 555 12 34`, `8 (916) 555-12-34`, `7 916 5551234` and `916 555 12 34` all give
    `9165551234`; `00` before a country code counts as `+`; other countries' numbers keep
    their country code (`+44 20 7946 0958` gives `442079460958`). Not a number: `""`.
    """
    cleaned = value.strip()
    if not cleaned or not PHONE_CHARS.match(cleaned):
        return ""
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    international = cleaned.startswith("+")
    if not international and digits.startswith("00"):
        digits, international = digits[2:], True
    if international:
        return digits[1:] if digits.startswith(_COUNTRY) else digits
    if len(digits) == _FULL_DIGITS and digits[0] in (_COUNTRY, _TRUNK):
        return digits[1:]
    return digits


def _query_keys(text: str) -> list[str]:
    """What a partly typed number may be. Its national digits; and when it starts with the
    trunk `8` or the country `7` without `+` and is not eleven digits long yet, both those
    digits as typed (`812...` may be a number without its prefix) and without the prefix."""
    key = phone_key(text)
    keys = [key]
    cleaned = text.strip()
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    if (
        not cleaned.startswith(("+", "00"))
        and digits[:1] in (_COUNTRY, _TRUNK)
        and len(digits) < _FULL_DIGITS
    ):
        keys += [digits, digits[1:]]
    return [k for k in dict.fromkeys(keys) if len(k) >= MIN_SEARCH_DIGITS]


def phone_key_sql(value: Any) -> Any:
    """`phone_key` of a stored phone (`ContactPoint.value`: digits, maybe a leading `+`)
    as an SQL expression, the same on SQLite and PostgreSQL."""
    length = func.length(value)
    return case(
        (value.like(f"+{_COUNTRY}%"), func.substr(value, 3)),
        (value.like("+%"), func.substr(value, 2)),
        (value.like(f"00{_COUNTRY}%"), func.substr(value, 4)),
        (value.like("00%"), func.substr(value, 3)),
        (
            and_(length == _FULL_DIGITS, or_(value.like(f"{_COUNTRY}%"), value.like(f"{_TRUNK}%"))),
            func.substr(value, 2),
        ),
        else_=value,
    )


@dataclass(frozen=True, slots=True)
class ContactMatch:
    """One hit of `search_contacts`: a contact, their client, and what matched."""

    contact_id: int
    name: str
    client_id: int
    client_name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]  # as typed when saved
    matched_on: str  # "name", "email" or "phone"
    matched: str  # the name, email or phone (as saved) that matched

    @property
    def email(self) -> str | None:
        return self.emails[0] if self.emails else None


def _word_rank(haystack: str, needle: str) -> int | None:
    """0: starts with it, 1: a word starts with it, 2: contains it; None: no match."""
    position = haystack.find(needle)
    if position < 0:
        return None
    if position == 0:
        return 0
    words = re.split(r"[\s\-_.,@()\"'«»]+", haystack)
    return 1 if any(word.startswith(needle) for word in words) else 2


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_contacts(
    session: Session, *, text: str, client_id: int | None = None, limit: int = 20
) -> list[ContactMatch]:
    """Active contacts whose name, email or phone matches `text`, best first; with
    `client_id`, only that client's.

    Names match ignoring case in any script (compared in Python, as `find_clients` does);
    emails by their stored lower-cased value; phones by their national number in any
    format (`phone_key`), so `+7 916 555 12 34` finds a contact saved as
    `8 916 555-12-34`. A name starting with the text ranks first, then a word of it, then
    anywhere; at the same rank names before emails before phones.
    """
    needle = fold(" ".join(text.split()))
    if not needle or limit <= 0:
        return []
    contact = table_of(Contact)
    point = table_of(ContactPoint)
    active = contact.c.active.is_(True)
    mine = contact.c.client_id == client_id if client_id is not None else true()
    conn = session.connection()  # plain rows: a name search reads every contact's name
    contacts: dict[int, tuple[str, int]] = {}
    found: dict[int, tuple[tuple[int, int, str], str, str]] = {}

    def offer(contact_id: int, rank: int, order: int, on: str, matched: str) -> None:
        sort = (rank, order, fold(contacts[contact_id][0]))
        if contact_id not in found or sort < found[contact_id][0]:
            found[contact_id] = (sort, on, matched)

    if any(ch.isalpha() for ch in needle):
        people = sa_select(contact.c.id, contact.c.name, contact.c.client_id).where(active, mine)
        for contact_id, name, owner in conn.execute(people):
            rank = _word_rank(fold(name), needle)
            if rank is not None:
                contacts[contact_id] = (name, owner)
                offer(contact_id, rank, 0, "name", name)

    points = (
        sa_select(
            point.c.contact_id, point.c.value, point.c.display, contact.c.name, contact.c.client_id
        )
        .join(contact, contact.c.id == point.c.contact_id)
        .where(active, mine)
    )
    if "@" in needle or not any(ch.isdigit() for ch in needle):
        email_rows = conn.execute(
            points.where(
                point.c.kind == ContactPointKind.email.value,
                point.c.value.like(_like(needle.lower()), escape="\\"),
            ).limit(limit * 5)
        )
        for contact_id, value, display, name, owner in email_rows:
            contacts[contact_id] = (name, owner)
            offer(contact_id, 0 if value.startswith(needle) else 2, 1, "email", display)
    keys = _query_keys(needle)
    if keys:
        national = phone_key_sql(point.c.value)
        phone_rows = conn.execute(
            points.add_columns(national)
            .where(
                point.c.kind == ContactPointKind.phone.value,
                or_(*(national.like(_like(k), escape="\\") for k in keys)),
            )
            .limit(limit * 5)
        )
        for contact_id, _value, display, name, owner, stored in phone_rows:
            contacts[contact_id] = (name, owner)
            rank = 0 if any(stored.startswith(k) for k in keys) else 2
            offer(contact_id, rank, 2, "phone", display)

    best = sorted(found.items(), key=lambda item: item[1][0])[:limit]
    ids = [contact_id for contact_id, _ in best]
    all_points = contact_points(session, contact_ids=ids)
    client_ids = {contacts[i][1] for i in ids}
    names = dict(
        session.exec(select(Client.id, Client.name).where(col(Client.id).in_(client_ids))).all()
    )
    result = []
    for contact_id, (_sort, on, matched) in best:
        name, owner = contacts[contact_id]
        own = all_points[contact_id]
        result.append(
            ContactMatch(
                contact_id=contact_id,
                name=name,
                client_id=owner,
                client_name=names.get(owner, ""),
                emails=tuple(p.display for p in own if p.kind == ContactPointKind.email),
                phones=tuple(p.display for p in own if p.kind == ContactPointKind.phone),
                matched_on=on,
                matched=matched,
            )
        )
    return result
