"""What a reply template is rendered against: a ticket's placeholders.

The placeholders a template may use (all plain strings)::

    ticket.ref ticket.number ticket.subject ticket.priority ticket.status
    ticket.first_response_due ticket.resolution_due     (local time of the plan's calendar)
    client.name   contact.name contact.email
    sender.name sender.login        (the person sending: sign with this)
    assignee.name assignee.login    (the engineer the ticket is assigned to, if any)
    engineer.name                   (the assignee, else the sender: for "engineer X will...")
    article.title article.url article.slug (the article inserted, if any)
    articles (every inserted article, each with title/url/slug)
    escalation.vendor escalation.vendor_ref             (the latest escalation, if any)

The namespaces are `KNOWN`; a template naming anything else is refused when saved.
`PLACEHOLDERS` lists each with what it stands for, for the template editor and
`admin templates placeholders`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from dispatcher.domain.enums import ACTIVE_STATUSES, ContactPointKind
from dispatcher.domain.errors import NotFoundError
from dispatcher.domain.templating import Namespace
from dispatcher.store.models import (
    Calendar,
    Client,
    Contact,
    ContactPoint,
    Escalation,
    SlaPlan,
    Ticket,
    User,
)

KNOWN = frozenset(
    {
        "ticket",
        "client",
        "contact",
        "engineer",
        "sender",
        "assignee",
        "article",
        "articles",
        "escalation",
    }
)

# Every placeholder, grouped by whom it names, with what it stands for.
PLACEHOLDERS: tuple[tuple[str, str], ...] = (
    ("sender.name", "the person sending the reply (sign with this)"),
    ("sender.login", "the sender's login"),
    ("assignee.name", "the engineer the ticket is assigned to (empty: unassigned)"),
    ("assignee.login", "the assignee's login"),
    ("engineer.name", "the assignee, else the sender"),
    ("client.name", "the client (company)"),
    ("contact.name", "the person who wrote or called"),
    ("contact.email", "the contact's email address"),
    ("ticket.ref", "the ticket's reference, e.g. #1042"),
    ("ticket.number", "the ticket's number, e.g. 1042"),
    ("ticket.subject", "the ticket's subject"),
    ("ticket.priority", "the ticket's priority"),
    ("ticket.status", "the ticket's status"),
    ("ticket.first_response_due", "the first-response deadline (the plan's local time)"),
    ("ticket.resolution_due", "the resolution deadline (the plan's local time)"),
    ("article.title", "the first inserted KB article's title"),
    ("article.url", "... its link"),
    ("article.slug", "... its slug"),
    ("articles", "every inserted article (each with title, url, slug)"),
    ("escalation.vendor", "the vendor of the latest escalation"),
    ("escalation.vendor_ref", "the vendor's reference"),
)


def missing_hint(names: Sequence[str], *, has_sender: bool) -> str:
    """What to do about placeholders without a value: a preview without a sender says to
    preview as someone (`sender: preview with --as LOGIN`)."""
    parts: list[str] = []
    for name in names:
        space = name.split(".", 1)[0]
        if space == "sender" and not has_sender:
            parts.append("sender: preview with --as LOGIN")
        elif space in ("assignee", "engineer"):
            parts.append(f"{name}: the ticket has no assignee")
        elif space in ("article", "articles"):
            parts.append(f"{name}: preview with --article SLUG")
        else:
            parts.append(f"{name}: the ticket has no value for it")
    return "; ".join(dict.fromkeys(parts))


DUE_FORMAT = "%Y-%m-%d %H:%M %Z"


DEFAULT_KB_URL = "kb:{slug}"  # how an article is linked when no public KB address is set


@dataclass(frozen=True, slots=True)
class ArticleLink:
    slug: str
    title: str
    url: str


def ticket_context(
    session: Session,
    *,
    ticket_id: int,
    sender_id: int | None,
    articles: Sequence[ArticleLink] = (),
) -> dict[str, Any]:
    """Everything a template may name, for this ticket (plain strings only)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    zone = _zone_of(session, ticket)
    context: dict[str, Any] = {
        "ticket": Namespace(
            "ticket",
            {
                "ref": f"#{ticket_id}",
                "number": str(ticket_id),
                "subject": ticket.subject,
                "priority": ticket.priority.value,
                "status": ticket.status.value,
                **_due("first_response_due", ticket.first_response_due, zone),
                **_due("resolution_due", ticket.resolution_due, zone),
            },
        )
    }
    if ticket.client_id is not None and (client := session.get(Client, ticket.client_id)):
        context["client"] = Namespace("client", {"name": client.name})
    if ticket.contact_id is not None and (contact := session.get(Contact, ticket.contact_id)):
        context["contact"] = Namespace(
            "contact",
            {"name": contact.name, **email_of_contact(session, contact_id=ticket.contact_id)},
        )
    sender = session.get(User, sender_id) if sender_id is not None else None
    if sender is not None:
        context["sender"] = Namespace("sender", {"name": sender.name, "login": sender.login})
    assignee = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    if assignee is not None:
        context["assignee"] = Namespace(
            "assignee", {"name": assignee.name, "login": assignee.login}
        )
    engineer = assignee or sender
    if engineer is not None:
        context["engineer"] = Namespace("engineer", {"name": engineer.name})
    context.update(ticket_context_articles(articles))
    escalation = session.exec(
        select(Escalation)
        .where(Escalation.ticket_id == ticket_id)
        .order_by(col(Escalation.created_at).desc(), col(Escalation.id).desc())
        .limit(1)
    ).first()
    if escalation is not None:
        values = {"vendor": escalation.vendor, "vendor_ref": escalation.vendor_ref}
        context["escalation"] = Namespace("escalation", {k: v for k, v in values.items() if v})
    return context


def ticket_context_articles(articles: Sequence[ArticleLink]) -> dict[str, Any]:
    """The `article` (the first inserted) and `articles` placeholders; none without any."""
    if not articles:
        return {}
    links = [
        Namespace("article", {"title": a.title, "url": a.url, "slug": a.slug}) for a in articles
    ]
    return {"article": links[0], "articles": links}


def article_link(slug: str, title: str, *, kb_url: str | None = None) -> ArticleLink:
    """The article's link: `{kb_url}/{slug}` with a public KB address, else `kb:{slug}`."""
    if kb_url:
        url = f"{kb_url.rstrip('/')}/{quote(slug, safe='/')}"
    else:
        url = DEFAULT_KB_URL.format(slug=slug)
    return ArticleLink(slug=slug, title=title, url=url)


def latest_active_ticket(session: Session) -> int | None:
    """The active ticket changed most recently: what a template is previewed against."""
    return session.exec(
        select(Ticket.id)
        .where(col(Ticket.status).in_(ACTIVE_STATUSES))
        .order_by(col(Ticket.updated_at).desc(), col(Ticket.id).desc())
        .limit(1)
    ).first()


def sample_context() -> dict[str, Any]:
    """Every placeholder with a made-up value: what a template is checked against."""
    article = {"title": "Resetting a VPN token", "url": "kb:net/vpn", "slug": "net/vpn"}
    return {
        "ticket": Namespace(
            "ticket",
            {
                "ref": "#1042",
                "number": "1042",
                "subject": "VPN down",
                "priority": "high",
                "status": "open",
                "first_response_due": "2025-01-06 10:00 UTC",
                "resolution_due": "2025-01-07 18:00 UTC",
            },
        ),
        "client": Namespace("client", {"name": "Acme"}),
        "contact": Namespace("contact", {"name": "Anna", "email": "anna@acme.example"}),
        "engineer": Namespace("engineer", {"name": "Ivan"}),
        "assignee": Namespace("assignee", {"name": "Ivan", "login": "ivan"}),
        "sender": Namespace("sender", {"name": "Olga", "login": "olga"}),
        "article": Namespace("article", article),
        "articles": [Namespace("article", article)],
        "escalation": Namespace("escalation", {"vendor": "Cisco", "vendor_ref": "SR-1"}),
    }


def _zone_of(session: Session, ticket: Ticket) -> ZoneInfo:
    plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
    calendar = session.get(Calendar, plan.calendar_id) if plan else None
    try:
        return ZoneInfo(calendar.timezone if calendar else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _due(key: str, value: datetime | None, zone: ZoneInfo) -> dict[str, str]:
    return {} if value is None else {key: value.astimezone(zone).strftime(DUE_FORMAT)}


def email_of_contact(session: Session, *, contact_id: int) -> dict[str, str]:
    point = session.exec(
        select(ContactPoint)
        .where(
            ContactPoint.contact_id == contact_id,
            ContactPoint.kind == ContactPointKind.email,
            col(ContactPoint.bouncing).is_(False),
        )
        .order_by(col(ContactPoint.id))
        .limit(1)
    ).first()
    return {"email": point.value} if point else {}
