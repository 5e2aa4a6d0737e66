"""Clients and their email domains, and finding a client as a dispatcher types.

Repository functions, keyword-only, taking the session."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dispatcher.domain.enums import ContactPointKind
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.clients.points import PHONE_CHARS, normalize_domain
from dispatcher.store.lookup import flush_or_conflict, fold, name_taken, one_line, resolve_named
from dispatcher.store.models import Client, ClientDomain, Contact, ContactPoint
from dispatcher.store.tickets.writes import UNSET

MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 3, 15


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
    if len(digits) >= MIN_PHONE_DIGITS and PHONE_CHARS.match(needle):
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
