"""Import: the rows that hang off a ticket (ratings, escalations) written with it, and the
rows between tickets (links, merge targets) and between a client and us (NPS answers
without a ticket) written once every ticket of the file is in.

Links and merges name the other ticket by its original ref; it is looked up among the
tickets of the file (wherever it landed here, renumbered or already there). One the file
lacks is never guessed at: the ticket gets an internal note saying what it was linked to
in the source, and the import goes on. Every write here is idempotent, so a re-run after
a crash completes what is missing and adds nothing twice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dispatcher.domain.enums import MessageKind, RatingKind
from dispatcher.store.models import (
    Contact,
    Escalation,
    Message,
    NpsPulse,
    Rating,
    Ticket,
    TicketLink,
)
from dispatcher.store.tickets.export import iso
from dispatcher.store.tickets.import_names import ImportReport, Resolver
from dispatcher.store.tickets.related_records import (
    EscalationRecord,
    LinkRecord,
    NpsAnswerRecord,
    RatingRecord,
)


@dataclass(frozen=True, slots=True)
class PendingRelations:
    """The cross-ticket part of one imported ticket, kept until every ticket is in."""

    ticket_id: int
    ref: str  # the original ref
    merged_into: str | None
    links: tuple[LinkRecord, ...]


def insert_ratings(session: Session, *, ticket: Ticket, ratings: Sequence[RatingRecord]) -> None:
    """The ticket's ratings as rows: CSAT on the ticket, NPS as the client's answer to a
    question asked after the ticket (so a later export carries it again)."""
    for number, item in enumerate(ratings, start=1):
        contact_id = ticket.contact_id
        if item.contact and ticket.client_id is not None:
            contact_id = (
                session.exec(
                    select(Contact.id).where(
                        Contact.client_id == ticket.client_id, Contact.name == item.contact
                    )
                ).first()
                or contact_id
            )
        if item.kind == RatingKind.csat:
            session.add(
                Rating(
                    ticket_id=ticket.id,
                    client_id=ticket.client_id,
                    contact_id=contact_id,
                    kind=item.kind,
                    score=item.score,
                    comment=item.comment,
                    at=item.at,
                )
            )
            continue
        if ticket.client_id is None:
            continue  # an NPS answer is a client's: nothing to count it for
        rating = Rating(
            client_id=ticket.client_id,
            contact_id=contact_id,
            kind=item.kind,
            score=item.score,
            comment=item.comment,
            at=item.at,
        )
        session.add(rating)
        session.flush()
        if contact_id is not None:
            session.add(
                NpsPulse(
                    contact_id=contact_id,
                    ticket_id=ticket.id,
                    message_id=f"<imported-nps-{ticket.id}-{number}-{iso(item.at)}@dispatcher.local>",
                    asked_at=item.at,
                    rating_id=rating.id,
                )
            )
    session.flush()


def insert_escalations(
    session: Session,
    *,
    ticket: Ticket,
    escalations: Sequence[EscalationRecord],
    resolver: Resolver,
) -> None:
    """The ticket's escalations as rows, with their original times; a colleague unknown
    here is named in the note."""
    for item in escalations:
        to_user_id = resolver.users.get(item.to) if item.to else None
        note = item.note
        if item.to and to_user_id is None:
            note = f"{note}\n(to {item.to})".strip()
        session.add(
            Escalation(
                ticket_id=ticket.id or 0,
                target=item.target,
                to_user_id=to_user_id,
                vendor=item.vendor,
                vendor_ref=item.vendor_ref,
                promised_at=item.promised_at,
                next_checkin_at=item.next_checkin_at,
                note=note,
                created_at=item.created_at,
                created_by_id=resolver.users.get(item.created_by) if item.created_by else None,
                closed_at=item.closed_at,
            )
        )
    session.flush()


def insert_relations(
    session: Session,
    *,
    pending: Sequence[PendingRelations],
    placed: Mapping[str, int],
    resolver: Resolver,
    report: ImportReport,
) -> None:
    """Links and merge targets of a batch of imported tickets; `placed` maps each original
    ref of the file to the ticket id it has here."""
    for item in pending:
        if item.merged_into is not None:
            into = placed.get(item.merged_into)
            if into is not None and into != item.ticket_id:
                ticket = session.get(Ticket, item.ticket_id)
                if ticket is not None and ticket.merged_into_id is None:
                    ticket.merged_into_id = into
                    session.add(ticket)
            else:
                _note(session, item=item, kind="merged into", other=item.merged_into, report=report)
        for record_ in item.links:
            other = placed.get(record_.other)
            kind = record_.kind
            if other is None or other == item.ticket_id:
                what = f"linked ({kind.value}) to"
                _note(session, item=item, kind=what, other=record_.other, report=report)
                continue
            exists = session.exec(
                select(TicketLink.id).where(
                    TicketLink.ticket_id == item.ticket_id,
                    TicketLink.other_ticket_id == other,
                    TicketLink.kind == kind,
                )
            ).first()
            if exists is not None:
                continue
            session.add(
                TicketLink(
                    ticket_id=item.ticket_id,
                    other_ticket_id=other,
                    kind=kind,
                    created_at=record_.created_at,
                    created_by_id=resolver.users.get(record_.created_by or ""),
                )
            )
    session.flush()


def _note(
    session: Session, *, item: PendingRelations, kind: str, other: str, report: ImportReport
) -> None:
    """An internal note for a relation to a ticket the file lacks (once, however often the
    import runs)."""
    number = other.lstrip("#")
    message_id = f"<import-link-{item.ticket_id}-{kind.split()[0]}-{number}@dispatcher.local>"
    if session.exec(select(Message.id).where(Message.message_id == message_id)).first():
        return
    ticket = session.get(Ticket, item.ticket_id)
    if ticket is None:
        return
    session.add(
        Message(
            ticket_id=item.ticket_id,
            kind=MessageKind.note,
            subject=ticket.subject,
            body=(
                f"In the source helpdesk, {item.ref} was {kind} {other}; "
                "that ticket was not in the imported file."
            ),
            created_at=ticket.created_at,
            message_id=message_id,
        )
    )
    report.links_kept_as_notes += 1


def insert_nps_answers(
    session: Session,
    *,
    answers: Sequence[NpsAnswerRecord],
    resolver: Resolver,
    report: ImportReport,
) -> None:
    """NPS answers without a ticket; one already here (same client, contact, time and
    score) is not added again."""
    for item in answers:
        client_id = resolver.clients[item.client]
        contact_id = resolver.contacts[(item.client, item.contact)] if item.contact else None
        query = select(Rating.id).where(
            Rating.kind == RatingKind.nps,
            Rating.client_id == client_id,
            Rating.at == item.at,
            Rating.score == item.score,
            col(Rating.ticket_id).is_(None),
        )
        if contact_id is None:
            query = query.where(col(Rating.contact_id).is_(None))
        else:
            query = query.where(Rating.contact_id == contact_id)
        if session.exec(query).first() is not None:
            continue
        session.add(
            Rating(
                client_id=client_id,
                contact_id=contact_id,
                kind=RatingKind.nps,
                score=item.score,
                comment=item.comment,
                at=item.at,
            )
        )
        report.nps_answers += 1
    session.flush()
