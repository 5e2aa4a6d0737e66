"""Export: what hangs off a page of tickets beyond their messages and history (SLA plan,
contract, creator, merge target, escalations, links, attachments), and the NPS answers
given without a ticket, as plain dicts of the interchange format (`docs/interchange.md`).

Every read takes the page's ids in chunks (`in_chunks`): one query per table per page."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.enums import RatingKind
from dispatcher.store.db.engine import Store
from dispatcher.store.models import (
    Attachment,
    Blob,
    Client,
    Contact,
    Contract,
    Escalation,
    NpsPulse,
    Rating,
    SlaPlan,
    Ticket,
    TicketLink,
    User,
)
from dispatcher.store.tickets.export_common import NPS_ANSWER, ExportFilter, in_chunks, iso, names

ANSWER_PAGE = 1000


def ticket_extras(
    session: Session, tickets: Sequence[Ticket], *, logins: dict[Any, str]
) -> dict[int, dict[str, Any]]:
    """Per ticket id: `sla_plan`, `contract`, `created_by`, `merged_into`,
    `first_responded_at`, `escalations` and `links`. `logins` (user id -> login) is
    extended with the users these name."""
    ids = [t.id or 0 for t in tickets]
    plans = names(session, SlaPlan, SlaPlan.name, {t.sla_plan_id for t in tickets})
    contracts = names(session, Contract, Contract.number, {t.contract_id for t in tickets})
    escalations: dict[int, list[Escalation]] = {}
    links: dict[int, list[TicketLink]] = {}
    users: set[int | None] = {t.created_by_id for t in tickets}
    for chunk in in_chunks(ids):
        for row in session.exec(
            select(Escalation)
            .where(col(Escalation.ticket_id).in_(chunk))
            .order_by(col(Escalation.ticket_id), col(Escalation.id))
        ):
            escalations.setdefault(row.ticket_id, []).append(row)
            users.update((row.to_user_id, row.created_by_id))
        for link in session.exec(
            select(TicketLink)
            .where(col(TicketLink.ticket_id).in_(chunk))
            .order_by(col(TicketLink.ticket_id), col(TicketLink.id))
        ):
            links.setdefault(link.ticket_id, []).append(link)
            users.add(link.created_by_id)
    missing: set[int | None] = {u for u in users if u is not None and u not in logins}
    logins.update(names(session, User, User.login, missing))
    found: dict[int, dict[str, Any]] = {}
    for ticket in tickets:
        ticket_id = ticket.id or 0
        found[ticket_id] = {
            "sla_plan": plans.get(ticket.sla_plan_id),
            "contract": contracts.get(ticket.contract_id),
            "created_by": logins.get(ticket.created_by_id),
            "merged_into": f"#{ticket.merged_into_id}" if ticket.merged_into_id else None,
            "first_responded_at": iso(ticket.first_responded_at),
            "escalations": [
                {
                    "target": e.target.value,
                    "to": logins.get(e.to_user_id),
                    "vendor": e.vendor or None,
                    "vendor_ref": e.vendor_ref or None,
                    "promised_at": iso(e.promised_at),
                    "next_checkin_at": iso(e.next_checkin_at),
                    "note": e.note,
                    "created_at": iso(e.created_at),
                    "created_by": logins.get(e.created_by_id),
                    "closed_at": iso(e.closed_at),
                }
                for e in escalations.get(ticket_id, [])
            ],
            "links": [
                {
                    "other": f"#{link.other_ticket_id}",
                    "kind": link.kind.value,
                    "created_at": iso(link.created_at),
                    "created_by": logins.get(link.created_by_id),
                }
                for link in links.get(ticket_id, [])
            ],
        }
    return found


def attachments_of(
    session: Session, message_ids: Sequence[int], *, with_content: bool
) -> dict[int, list[dict[str, Any]]]:
    """Per message row id: its attachments' metadata, and with `with_content` the
    content as base64."""
    rows: dict[int, list[Attachment]] = {}
    for chunk in in_chunks(list(message_ids)):
        for row in session.exec(
            select(Attachment)
            .where(col(Attachment.message_id).in_(chunk))
            .order_by(col(Attachment.message_id), col(Attachment.id))
        ):
            rows.setdefault(row.message_id, []).append(row)
    contents: dict[str, bytes] = {}
    if with_content:
        digests = sorted({a.sha256 for listed in rows.values() for a in listed})
        for digest_chunk in in_chunks(digests):
            for digest, data in session.exec(
                select(Blob.sha256, Blob.data).where(col(Blob.sha256).in_(digest_chunk))
            ):
                contents[digest] = data
    found: dict[int, list[dict[str, Any]]] = {}
    for message_id, listed in rows.items():
        found[message_id] = []
        for a in listed:
            item: dict[str, Any] = {
                "name": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            if a.sha256 in contents:
                item["content"] = base64.b64encode(contents[a.sha256]).decode("ascii")
            found[message_id].append(item)
    return found


def iter_nps_answers(store: Store, *, filters: ExportFilter) -> Iterator[dict[str, Any]]:
    """The NPS answers no ticket carries (taken by phone, or asked after no ticket), as
    `nps_answer` records, oldest first. A status filter leaves them all out (they have no
    status); `since` and `client` apply."""
    if filters.statuses:
        return
    after = 0
    while True:
        with store.read() as session:
            asked_after_ticket = select(NpsPulse.rating_id).where(
                col(NpsPulse.ticket_id).is_not(None), col(NpsPulse.rating_id).is_not(None)
            )
            query = (
                select(Rating)
                .where(
                    Rating.kind == RatingKind.nps,
                    col(Rating.ticket_id).is_(None),
                    col(Rating.client_id).is_not(None),
                    col(Rating.id) > after,
                    ~col(Rating.id).in_(asked_after_ticket),
                )
                .order_by(col(Rating.id))
                .limit(ANSWER_PAGE)
            )
            if filters.since is not None:
                query = query.where(col(Rating.at) >= filters.since)
            if filters.client_id is not None:
                query = query.where(Rating.client_id == filters.client_id)
            page = list(session.exec(query).all())
            clients = names(session, Client, Client.name, {r.client_id for r in page})
            contacts = names(session, Contact, Contact.name, {r.contact_id for r in page})
        for rating in page:
            yield {
                "record": NPS_ANSWER,
                "client": clients.get(rating.client_id),
                "contact": contacts.get(rating.contact_id),
                "score": rating.score,
                "at": iso(rating.at),
                "comment": rating.comment,
            }
        if len(page) < ANSWER_PAGE:
            return
        after = page[-1].id or 0
