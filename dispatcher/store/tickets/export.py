"""Export of tickets: JSON (the interchange format of `docs/interchange.md`: everything the
KPI figures are folded from) and CSV (scalar fields and each ticket's figures).

Export streams: tickets are read in keyset pages by id, each page with its messages,
events, ratings and relations (`export_relations`), one short read session per page, so
a million tickets never sit in memory. The NPS answers no ticket carries follow the
tickets, as `nps_answer` records."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.domain.errors import NotFoundError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import (
    Category,
    Client,
    Contact,
    Message,
    NpsPulse,
    Queue,
    Rating,
    Ticket,
    TicketEvent,
    TicketFact,
    User,
)
from dispatcher.store.tickets.export_common import (
    IN_CHUNK,
    NPS_ANSWER,
    ExportFilter,
    in_chunks,
    iso,
)
from dispatcher.store.tickets.export_common import names as _names
from dispatcher.store.tickets.export_relations import (
    attachments_of,
    iter_nps_answers,
    ticket_extras,
)
from dispatcher.store.tickets.writes import parse_ref

__all__ = [
    "CSV_FIELDS",
    "IN_CHUNK",
    "SCALAR_FIELDS",
    "ExportFilter",
    "count_tickets",
    "export_page",
    "in_chunks",
    "iso",
    "iter_export",
    "list_tickets",
    "ticket_dict",
    "write_csv",
    "write_json",
]

EXPORT_PAGE = 500
EVERYTHING = ExportFilter()  # no filter


SCALAR_FIELDS = (
    "ref",
    "subject",
    "status",
    "priority",
    "channel",
    "client",
    "contact",
    "category",
    "queue",
    "assignee",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
)
# The CSV's figures of each ticket, from its KPI facts (minutes: calendar and business).
FACT_FIELDS = (
    "first_response_at",
    "first_response_minutes",
    "first_response_business_minutes",
    "first_resolved_at",
    "resolution_minutes",
    "resolution_business_minutes",
    "sla_first_response",
    "sla_resolution",
    "sla_update",
    "csat",
)
CSV_FIELDS = SCALAR_FIELDS + FACT_FIELDS


def _filtered(query: Any, filters: ExportFilter) -> Any:
    if filters.statuses:
        query = query.where(col(Ticket.status).in_([s.value for s in filters.statuses]))
    if filters.since is not None:
        query = query.where(col(Ticket.created_at) >= filters.since)
    if filters.client_id is not None:
        query = query.where(Ticket.client_id == filters.client_id)
    return query


def count_tickets(session: Session, *, filters: ExportFilter = EVERYTHING) -> int:
    query = _filtered(select(func.count()).select_from(Ticket), filters)
    return int(session.exec(query).one())


def export_page(
    session: Session,
    *,
    filters: ExportFilter = EVERYTHING,
    after_id: int = 0,
    limit: int = EXPORT_PAGE,
    with_history: bool = True,
    with_content: bool = True,
) -> list[dict[str, Any]]:
    """The next page of tickets (ids above `after_id`) as plain dicts, in id order;
    `with_content`: attachments carry their content (base64), not only their metadata."""
    query = select(Ticket).where(col(Ticket.id) > after_id).order_by(col(Ticket.id)).limit(limit)
    tickets: list[Ticket] = list(session.exec(_filtered(query, filters)).all())
    return _as_dicts(session, tickets, with_history=with_history, with_content=with_content)


def list_tickets(
    session: Session, *, filters: ExportFilter = EVERYTHING, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest matching tickets, newest first, as plain dicts without messages."""
    query = select(Ticket).order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
    tickets: list[Ticket] = list(session.exec(_filtered(query, filters).limit(limit)).all())
    return _as_dicts(session, tickets, with_history=False)


def ticket_dict(session: Session, *, ticket_id: int) -> dict[str, Any]:
    """One ticket with its messages and history, as in an export, plus its SLA times."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    item = _as_dicts(session, [ticket], with_history=True)[0]
    item["first_response_due"] = iso(ticket.first_response_due)
    item["first_responded_at"] = iso(ticket.first_responded_at)
    item["resolution_due"] = iso(ticket.resolution_due)
    return item


def _as_dicts(
    session: Session, tickets: Sequence[Ticket], *, with_history: bool, with_content: bool = False
) -> list[dict[str, Any]]:
    if not tickets:
        return []
    ids = [t.id or 0 for t in tickets]
    clients = _names(session, Client, Client.name, {t.client_id for t in tickets})
    contacts = _names(session, Contact, Contact.name, {t.contact_id for t in tickets})
    categories = _names(session, Category, Category.name, {t.category_id for t in tickets})
    queues = _names(session, Queue, Queue.name, {t.queue_id for t in tickets})
    user_ids: set[int | None] = {t.assignee_id for t in tickets}
    messages: dict[int, list[Message]] = {}
    events: dict[int, list[TicketEvent]] = {}
    ratings: dict[int, list[dict[str, Any]]] = {}
    facts: dict[int, TicketFact] = {}
    for chunk in in_chunks(ids):
        for fact in session.exec(select(TicketFact).where(col(TicketFact.ticket_id).in_(chunk))):
            facts[fact.ticket_id] = fact
    if with_history:
        ratings = _ratings(session, ids)
        for chunk in in_chunks(ids):
            for message in session.exec(
                select(Message)
                .where(col(Message.ticket_id).in_(chunk))
                .order_by(col(Message.ticket_id), col(Message.created_at), col(Message.id))
            ).all():
                messages.setdefault(message.ticket_id, []).append(message)
                user_ids.add(message.author_id)
            for event in session.exec(
                select(TicketEvent)
                .where(col(TicketEvent.ticket_id).in_(chunk))
                .order_by(col(TicketEvent.ticket_id), col(TicketEvent.id))
            ).all():
                events.setdefault(event.ticket_id, []).append(event)
                user_ids.add(event.actor_id)
    logins = _names(session, User, User.login, user_ids)
    extras: dict[int, dict[str, Any]] = {}
    attachments: dict[int, list[dict[str, Any]]] = {}
    if with_history:
        extras = ticket_extras(session, tickets, logins=logins)
        message_ids = [m.id or 0 for listed in messages.values() for m in listed]
        attachments = attachments_of(session, message_ids, with_content=with_content)
    page = []
    for ticket in tickets:
        item: dict[str, Any] = {
            "ref": ticket.ref,
            "subject": ticket.subject,
            "status": ticket.status.value,
            "priority": ticket.priority.value,
            "channel": ticket.channel.value,
            "client": clients.get(ticket.client_id),
            "contact": contacts.get(ticket.contact_id),
            "category": categories.get(ticket.category_id),
            "queue": queues.get(ticket.queue_id),
            "assignee": logins.get(ticket.assignee_id),
            "created_at": iso(ticket.created_at),
            "updated_at": iso(ticket.updated_at),
            "resolved_at": iso(ticket.resolved_at),
            "closed_at": iso(ticket.closed_at),
            "reopen_count": ticket.reopen_count,
            **_fact_fields(facts.get(ticket.id or 0)),
        }
        if with_history:
            item.update(extras[ticket.id or 0])
            item["ratings"] = ratings.get(ticket.id or 0, [])
            item["messages"] = [
                {
                    "message_id": m.message_id,
                    "kind": m.kind.value,
                    "channel": m.channel.value,
                    "author": logins.get(m.author_id),
                    "from": m.from_address,
                    "to": m.to_addresses,
                    "cc": m.cc_addresses,
                    "subject": m.subject,
                    "body": m.body,
                    "created_at": iso(m.created_at),
                    "in_reply_to": m.in_reply_to,
                    "references": m.references,
                    "attachments": attachments.get(m.id or 0, []),
                }
                for m in messages.get(ticket.id or 0, [])
            ]
            item["events"] = [
                {
                    "kind": e.kind.value,
                    "at": iso(e.at),
                    "actor": logins.get(e.actor_id),
                    "data": e.data,
                    "reason": e.reason,
                }
                for e in events.get(ticket.id or 0, [])
            ]
        page.append(item)
    return page


def iter_export(
    store: Store,
    *,
    filters: ExportFilter = EVERYTHING,
    page_size: int = EXPORT_PAGE,
    with_history: bool = True,
    with_content: bool = True,
) -> Iterator[dict[str, Any]]:
    """Every matching ticket, page by page, one short read session per page; with the
    history, then the NPS answers no ticket carries (`nps_answer` records)."""
    after = 0
    while True:
        with store.read() as session:
            page = export_page(
                session,
                filters=filters,
                after_id=after,
                limit=page_size,
                with_history=with_history,
                with_content=with_content,
            )
        yield from page
        if len(page) < page_size:
            break
        after = parse_ref(page[-1]["ref"])
    if with_history:
        yield from iter_nps_answers(store, filters=filters)


def write_json(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """A JSON array, one record per line (so it streams both ways); returns the count of
    tickets (NPS answers are not counted)."""
    count = written = 0
    out.write("[")
    for item in records:
        out.write(",\n" if written else "\n")
        out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        written += 1
        count += item.get("record") != NPS_ANSWER
    out.write("\n]\n")
    return count


def write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One row per ticket with the scalar fields and its figures; empty cells for nulls."""
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    count = 0
    for item in records:
        if item.get("record") == NPS_ANSWER:
            continue
        writer.writerow({k: "" if item.get(k) is None else item[k] for k in CSV_FIELDS})
        count += 1
    return count


def _fact_fields(fact: TicketFact | None) -> dict[str, Any]:
    """First response, resolution, SLA outcome per target and CSAT, as the reports count
    them (`null` where the ticket has none yet)."""
    if fact is None:
        return dict.fromkeys(FACT_FIELDS)
    return {
        "first_response_at": iso(fact.first_response_at),
        "first_response_minutes": fact.first_response_minutes,
        "first_response_business_minutes": fact.first_response_business,
        "first_resolved_at": iso(fact.first_resolved_at),
        "resolution_minutes": fact.resolution_minutes,
        "resolution_business_minutes": fact.resolution_business,
        "sla_first_response": fact.first_response_outcome,
        "sla_resolution": fact.resolution_outcome,
        "sla_update": fact.update_outcome,
        "csat": fact.csat_score,
    }


def _ratings(session: Session, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each ticket's ratings: its CSAT ratings, and the NPS answers to questions asked
    after it (an NPS answer is the client's; the ticket is where it was asked)."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows: list[tuple[int, Rating]] = []
    for chunk in in_chunks(ids):
        for rating in session.exec(select(Rating).where(col(Rating.ticket_id).in_(chunk))):
            rows.append((rating.ticket_id or 0, rating))
        for ticket_id, rating in session.exec(
            select(NpsPulse.ticket_id, Rating)
            .join(Rating, col(Rating.id) == col(NpsPulse.rating_id))
            .where(col(NpsPulse.ticket_id).in_(chunk), col(Rating.ticket_id).is_(None))
        ).all():
            rows.append((ticket_id or 0, rating))
    contacts = _names(session, Contact, Contact.name, {r.contact_id for _, r in rows})
    for ticket_id, rating in sorted(rows, key=lambda row: (row[0], row[1].at, row[1].id or 0)):
        found.setdefault(ticket_id, []).append(
            {
                "kind": rating.kind.value,
                "score": rating.score,
                "at": iso(rating.at),
                "contact": contacts.get(rating.contact_id),
                "comment": rating.comment,
            }
        )
    return found
