"""Import, pass one: every record of the file validated, the names it uses collected, and
those names mapped to this database's ids before anything is written.

An unknown client, contact, category, queue, assignee, SLA plan or contract stops the
import with an error naming the ticket (`create_missing` adds missing clients and
contacts instead); an unknown login that only acted in the history is kept as text. A ref
that appears twice in the file is an error naming both records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.enums import EventKind
from dispatcher.domain.errors import DispatcherError, ValidationError
from dispatcher.store.clients.clients import add_client
from dispatcher.store.clients.contacts import add_contact
from dispatcher.store.lookup import M
from dispatcher.store.models import Category, Client, Contact, Contract, Queue, SlaPlan, User
from dispatcher.store.tickets.export import in_chunks
from dispatcher.store.tickets.records import TicketRecord, complaint, parse_record
from dispatcher.store.tickets.related_records import (
    NpsAnswerRecord,
    TicketExtras,
    check_kind,
    is_nps_answer,
    parse_extras,
    parse_nps_answer,
)


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    duplicates: int = 0
    renumbered: dict[str, str] = field(default_factory=dict)  # original ref -> new ref
    created_clients: list[str] = field(default_factory=list)
    created_contacts: list[str] = field(default_factory=list)
    nps_answers: int = 0  # NPS answers without a ticket, imported
    links_kept_as_notes: int = 0  # links and merges to tickets the file lacks
    attachments_without_content: int = 0  # listed in the file, content nowhere

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "renumbered": self.renumbered,
            "created_clients": self.created_clients,
            "created_contacts": self.created_contacts,
            "nps_answers": self.nps_answers,
            "links_kept_as_notes": self.links_kept_as_notes,
            "attachments_without_content": self.attachments_without_content,
        }


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One ticket of the file, parsed: the ticket and what hangs off it."""

    ticket: TicketRecord
    extras: TicketExtras


def parse_item(raw: dict[str, Any], *, position: int) -> ImportItem | NpsAnswerRecord:
    check_kind(raw, position)
    if is_nps_answer(raw):
        return parse_nps_answer(raw, position=position)
    ticket = parse_record(raw, position=position)
    extras = parse_extras(raw, position=position, messages=len(ticket.messages))
    return ImportItem(ticket, extras)


def current_plan(item: ImportItem) -> str | None:
    """The SLA plan the ticket is under: the file's `sla_plan`, or else the plan its
    latest clock start or plan change names."""
    if item.extras.sla_plan:
        return item.extras.sla_plan
    for event in reversed(item.ticket.events):
        if event.kind in (EventKind.sla_started, EventKind.sla_plan_changed):
            plan = event.data.get("plan")
            return plan if isinstance(plan, str) and plan else None
    return None


def _fail(label: str, message: str) -> ValidationError:
    """`ticket #5: no client 'X' ... (record 3)`: the ticket first, where it is last."""
    name, _, where = label.partition(" (")
    return ValidationError(f"{name}: {message}" + (f" ({where}" if where else ""))


@dataclass
class Wanted:
    """Pass one: every name the file refers to, with the first record that does (its
    error label), and every ref with its position."""

    total: int = 0
    max_number: int = 0
    refs: dict[str, int] = field(default_factory=dict)  # ref -> position
    clients: dict[str, str] = field(default_factory=dict)
    contacts: dict[tuple[str | None, str], str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    assignees: dict[str, str] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)
    contracts: dict[str, str] = field(default_factory=dict)
    actors: set[str] = field(default_factory=set)

    def add(self, item: ImportItem | NpsAnswerRecord) -> None:
        if isinstance(item, NpsAnswerRecord):
            label = f"NPS answer (record {item.position})"
            self.clients.setdefault(item.client, label)
            if item.contact:
                self.contacts.setdefault((item.client, item.contact), label)
            return
        ticket, extras = item.ticket, item.extras
        label = f"ticket {ticket.ref} (record {extras.position})"
        first = self.refs.setdefault(ticket.ref, extras.position)
        if first != extras.position:
            raise complaint({"ref": ticket.ref}, extras.position)(
                f"the ref appears twice in the file (first in record {first})"
            )
        self.total += 1
        self.max_number = max(self.max_number, ticket.number)
        if ticket.client:
            self.clients.setdefault(ticket.client, label)
        if ticket.contact:
            self.contacts.setdefault((ticket.client, ticket.contact), label)
        if ticket.category:
            self.categories.setdefault(ticket.category, label)
        if ticket.queue:
            self.queues.setdefault(ticket.queue, label)
        if ticket.assignee:
            self.assignees.setdefault(ticket.assignee, label)
        if extras.sla_plan:
            self.plans.setdefault(extras.sla_plan, label)
        if extras.contract:
            self.contracts.setdefault(extras.contract, label)
        self.actors.update(e.actor for e in ticket.events if e.actor)
        self.actors.update(m.author for m in ticket.messages if m.author)
        self.actors.update(extras.logins())
        plan = current_plan(item)
        if plan:
            self.plans.setdefault(plan, label)


@dataclass
class Resolver:
    """Names of the file mapped to ids of this database."""

    clients: dict[str, int] = field(default_factory=dict)
    contacts: dict[tuple[str | None, str], int] = field(default_factory=dict)
    categories: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # id, queue
    queues: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    plans: dict[str, int] = field(default_factory=dict)
    contracts: dict[str, tuple[int, int]] = field(default_factory=dict)  # id, client id
    contract_on: dict[tuple[int, date], int | None] = field(default_factory=dict)  # on a day


def scan(records: Iterable[dict[str, Any]]) -> Wanted:
    """Pass one: validate every record and collect the names they use."""
    wanted = Wanted()
    for position, raw in enumerate(records, start=1):
        wanted.add(parse_item(raw, position=position))
    return wanted


def resolve(
    session: Session, *, wanted: Wanted, create_missing: bool, report: ImportReport
) -> Resolver:
    """Map every name to an id; unknown ones are an error (or created, for clients/contacts)."""
    found = Resolver()
    found.clients = _ids_by(session, Client, Client.name, wanted.clients)
    found.queues = _ids_by(session, Queue, Queue.name, wanted.queues)
    found.users = _ids_by(session, User, User.login, set(wanted.assignees) | wanted.actors)
    found.plans = _ids_by(session, SlaPlan, SlaPlan.name, wanted.plans)
    for chunk in in_chunks(sorted(wanted.categories)):
        for row in session.exec(select(Category).where(col(Category.name).in_(chunk))).all():
            found.categories[row.name] = (row.id or 0, row.queue_id)
    for chunk in in_chunks(sorted(wanted.contracts)):
        for contract in session.exec(select(Contract).where(col(Contract.number).in_(chunk))):
            found.contracts[contract.number] = (contract.id or 0, contract.client_id)
    for names, mapping, what in (
        (wanted.categories, found.categories, "category"),
        (wanted.queues, found.queues, "queue"),
        (wanted.assignees, found.users, "user"),
        (wanted.plans, found.plans, "SLA plan"),
        (wanted.contracts, found.contracts, "contract"),
    ):
        for name, label in names.items():
            if name not in mapping:
                raise _fail(label, f"no {what} {name!r} in this database (add it first)")
    for name, label in wanted.clients.items():
        if name in found.clients:
            continue
        if not create_missing:
            raise _fail(
                label,
                f"no client {name!r} in this database "
                "(add it first, or import with --create-missing)",
            )
        try:
            client = add_client(session, name=name)
        except DispatcherError as exc:
            raise _fail(label, str(exc)) from None
        found.clients[name] = client.id or 0
        report.created_clients.append(name)
    for (client_name, name), label in wanted.contacts.items():
        client_id = found.clients.get(client_name) if client_name else None
        query = select(Contact.id, Contact.client_id).where(Contact.name == name)
        if client_id is not None:
            query = query.where(Contact.client_id == client_id)
        matches = session.exec(query.order_by(col(Contact.id)).limit(2)).all()
        if len(matches) > 1 and client_id is None:
            raise _fail(label, f"more than one contact is called {name!r}; give the client")
        if matches:
            found.contacts[(client_name, name)] = matches[0][0] or 0
            continue
        if not create_missing or client_id is None:
            hint = "add it first, or import with --create-missing" if client_id else "add it first"
            raise _fail(
                label,
                f"no contact {name!r}"
                + (f" at client {client_name!r}" if client_name else "")
                + f" in this database ({hint})",
            )
        try:
            contact = add_contact(session, client_id=client_id, name=name)
        except DispatcherError as exc:
            raise _fail(label, str(exc)) from None
        found.contacts[(client_name, name)] = contact.id or 0
        report.created_contacts.append(f"{name} ({client_name})")
    return found


def _ids_by(session: Session, model: type[M], column: Any, names: Iterable[str]) -> dict[str, int]:
    result: dict[str, int] = {}
    pk = model.id  # type: ignore[attr-defined]
    for chunk in in_chunks(sorted(set(names))):
        for row_id, name in session.exec(select(pk, column).where(col(column).in_(chunk))).all():
            result[name] = row_id
    return result
