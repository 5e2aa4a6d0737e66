"""Import, pass two: one ticket of the file written as rows (the ticket, its messages with
their attachments, its history and its SLA clock), its figures folded from them.

The history is copied with its original times, actors (by login) and data; the ticket's
`created` event is written again (it carries `imported_from`, the dedupe key). A ticket
whose history has an SLA clock (an `sla_started`, and a plan named by the file's
`sla_plan` or by its clock events) keeps every clock event and its plan, and its due
columns are derived from them again, so its SLA figures are the source's. A ticket
without one (from another helpdesk) that is still active gets a fresh
clock from its creation time under the client's current contract; a finished one gets no
clock (its SLA compliance is then not counted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.enums import ACTIVE_STATUSES, EventKind, MessageKind, TicketStatus
from dispatcher.store.mail.blobs import store_blobs
from dispatcher.store.mail.inbound import InboundAttachment
from dispatcher.store.models import Attachment, Blob, Contact, Message, Ticket
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets.export import in_chunks, iso
from dispatcher.store.tickets.history import record
from dispatcher.store.tickets.import_names import ImportItem, ImportReport, Resolver, current_plan
from dispatcher.store.tickets.records import CLOCK_KINDS
from dispatcher.store.tickets.related_records import AttachmentRecord

PUBLIC_KINDS = (MessageKind.reply, MessageKind.call)


def insert_ticket(
    session: Session,
    *,
    item: ImportItem,
    ticket_id: int | None,
    resolver: Resolver,
    actor_id: int | None,
    now: datetime,
    report: ImportReport,
) -> Ticket:
    """Write one ticket with its messages, attachments and history; its facts refreshed."""
    record_, extras = item.ticket, item.extras
    category_id, category_queue = (
        resolver.categories[record_.category] if record_.category else (None, None)
    )
    queue_id = resolver.queues[record_.queue] if record_.queue else category_queue
    client_id = resolver.clients[record_.client] if record_.client else None
    contact_id = resolver.contacts[(record_.client, record_.contact)] if record_.contact else None
    if client_id is None and contact_id is not None:
        contact = session.get(Contact, contact_id)
        client_id = contact.client_id if contact else None
    contract_id = _contract(session, item=item, client_id=client_id, resolver=resolver)
    created = next((e for e in record_.events if e.kind == EventKind.created), None)
    creator_login = extras.created_by or (created.actor if created else None)
    creator = resolver.users.get(creator_login) if creator_login else None
    ticket = Ticket(
        id=ticket_id,
        subject=record_.subject,
        status=record_.status,
        priority=record_.priority,
        channel=record_.channel,
        queue_id=queue_id,
        category_id=category_id,
        client_id=client_id,
        contact_id=contact_id,
        contract_id=contract_id,
        assignee_id=resolver.users[record_.assignee] if record_.assignee else None,
        created_by_id=creator or actor_id,
        created_at=record_.created_at,
        updated_at=record_.created_at,
        resolved_at=record_.resolved_at,
        closed_at=record_.closed_at,
        reopen_count=record_.reopen_count,
    )
    session.add(ticket)
    session.flush()
    missing = _without_content(session, extras.attachments)
    data: dict[str, Any] = dict(created.data) if created else {}
    data.update(
        {
            "channel": record_.channel.value,
            "subject": record_.subject,
            "priority": record_.priority.value,
            "imported_from": record_.ref,
            "imported_at": iso(now),
        }
    )
    if created and created.actor:
        data["original_actor"] = created.actor
    if missing:
        # No row can list an attachment whose content is nowhere: the history keeps it.
        data["attachments_not_carried"] = [
            {
                "message": a.message + 1,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in missing
        ]
        report.attachments_without_content += len(missing)
    record(
        session,
        ticket=ticket,
        kind=EventKind.created,
        actor_id=actor_id,
        now=record_.created_at,
        data=data,
        reason=created.reason if created else "",
        bump=False,
    )
    rows = [
        Message(
            ticket_id=ticket.id or 0,
            kind=message.kind,
            channel=message.channel,
            author_id=resolver.users.get(message.author) if message.author else None,
            contact_id=contact_id if message.kind == MessageKind.inbound else None,
            from_address=message.from_address,
            to_addresses=message.to_addresses,
            cc_addresses=message.cc_addresses,
            subject=message.subject or record_.subject,
            body=message.body,
            created_at=message.created_at,
            message_id=message.message_id,
            in_reply_to=message.in_reply_to,
            references=message.references,
        )
        for message in record_.messages
    ]
    session.add_all(rows)
    if extras.attachments:
        session.flush()
        _insert_attachments(session, rows=rows, attachments=extras.attachments, missing=missing)
    # The source's clock is kept when it is one: started, under a plan that it names.
    plan = current_plan(item)
    own_clock = plan is not None and any(e.kind == EventKind.sla_started for e in record_.events)
    active = record_.status in ACTIVE_STATUSES
    for event in record_.events:
        if event.kind == EventKind.created:
            continue
        if not own_clock and active and event.kind in CLOCK_KINDS:
            continue  # a clock without its start: a fresh clock replaces it below
        event_data = dict(event.data)
        actor = resolver.users.get(event.actor) if event.actor else None
        if event.actor and actor is None:
            event_data["imported_actor"] = event.actor
        record(
            session,
            ticket=ticket,
            kind=event.kind,
            actor_id=actor,
            now=event.at,
            data=event_data,
            reason=event.reason,
            bump=not event.kind.startswith("sla_"),
        )
    session.flush()
    public = [m.created_at for m in record_.messages if m.kind in PUBLIC_KINDS]
    first_public = extras.first_responded_at or (min(public) if public else None)
    ticket.first_responded_at = first_public
    if own_clock:
        assert plan is not None
        ticket.sla_plan_id = resolver.plans[plan]
        sla_clock.refresh_due(session, ticket=ticket, now=now)
    elif active:
        ticket.first_responded_at = None
        sla_clock.start(session, ticket=ticket, actor_id=actor_id, now=now)
        if first_public is not None:
            sla_clock.on_public_reply(session, ticket=ticket, actor_id=actor_id, now=first_public)
        if record_.status in sla_clock.PAUSED_STATUSES:
            sla_clock.on_status_change(
                session, ticket=ticket, old=TicketStatus.open, actor_id=actor_id, now=now
            )
        elif first_public is not None:
            sla_clock.refresh_due(session, ticket=ticket, now=now)
    ticket.updated_at = record_.updated_at
    session.add(ticket)
    session.flush()
    return ticket


def _contract(
    session: Session, *, item: ImportItem, client_id: int | None, resolver: Resolver
) -> int | None:
    """The file's contract (by number), or else the client's contract on the creation day."""
    if item.extras.contract:
        return resolver.contracts[item.extras.contract][0]
    if client_id is None:
        return None
    created_at = item.ticket.created_at
    key = (client_id, created_at.date())
    if key not in resolver.contract_on:
        contract = sla_clock.contract_for(session, client_id=client_id, on=created_at)
        resolver.contract_on[key] = contract.id if contract else None
    return resolver.contract_on[key]


def _without_content(
    session: Session, attachments: tuple[AttachmentRecord, ...]
) -> list[AttachmentRecord]:
    """The attachments the file lists without content whose content this database lacks."""
    wanted = sorted({a.sha256 for a in attachments if a.content is None})
    if not wanted:
        return []
    present: set[str] = set()
    for chunk in in_chunks(wanted):
        present.update(session.exec(select(Blob.sha256).where(col(Blob.sha256).in_(chunk))))
    return [a for a in attachments if a.content is None and a.sha256 not in present]


def _insert_attachments(
    session: Session,
    *,
    rows: list[Message],
    attachments: tuple[AttachmentRecord, ...],
    missing: list[AttachmentRecord],
) -> None:
    carried = tuple(
        InboundAttachment(a.name, a.content_type, a.content)
        for a in attachments
        if a.content is not None
    )
    store_blobs(session, attachments=carried)
    skipped = {id(a) for a in missing}
    for item in attachments:
        if id(item) in skipped:
            continue
        session.add(
            Attachment(
                message_id=rows[item.message].id or 0,
                filename=item.name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
            )
        )
    session.flush()
