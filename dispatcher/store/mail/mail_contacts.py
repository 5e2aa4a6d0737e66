"""Contacts the mail intake adds: a new person writing from a client's domain.

Such a person becomes a contact of that client at once (so their ticket has a contact, and
notifications reach them), flagged `is_new` until a dispatcher has checked them. A
dispatcher letting a held message in may make its sender a contact as well; that one is
checked already.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from dispatcher.domain.errors import NotFoundError
from dispatcher.store.clients import contacts
from dispatcher.store.models import Contact

MAX_NAME = 200


def name_for(address: str, display_name: str = "") -> str:
    """A contact's name from the mail: the display name, else the address's local part."""
    name = " ".join(display_name.replace("\n", " ").split()).strip("\"' ")
    if not name or "@" in name:
        name = address.split("@", 1)[0]
    return name[:MAX_NAME] or address[:MAX_NAME]


def add_from_mail(
    session: Session,
    *,
    client_id: int,
    address: str,
    display_name: str = "",
    note: str = "",
    is_new: bool = True,
) -> Contact:
    """A contact of the client with this email address (which no contact has yet)."""
    contact = contacts.add_contact(
        session,
        client_id=client_id,
        name=name_for(address, display_name),
        emails=[address],
        notes=note,
    )
    contact.is_new = is_new
    session.add(contact)
    session.flush()
    return contact


def new_contacts(session: Session, *, client_id: int | None = None) -> list[Contact]:
    """Contacts the intake added that no dispatcher has checked yet, oldest first."""
    query = select(Contact).where(col(Contact.is_new).is_(True)).order_by(col(Contact.id))
    if client_id is not None:
        query = query.where(Contact.client_id == client_id)
    return list(session.exec(query).all())


def mark_checked(session: Session, *, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("contact with id", contact_id)
    contact.is_new = False
    session.add(contact)
    session.flush()
    return contact
