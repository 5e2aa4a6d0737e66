"""Reply templates: named Jinja2 texts, rendered in a sandbox against a ticket.

The placeholders a template may use (all plain strings)::

    ticket.ref ticket.number ticket.subject ticket.priority ticket.status
    ticket.first_response_due ticket.resolution_due     (local time of the plan's calendar)
    client.name   contact.name contact.email   engineer.name (the assignee, else the sender)
    sender.name   article.title article.url article.slug (the article inserted, if any)
    articles (every inserted article, each with title/url/slug)
    escalation.vendor escalation.vendor_ref             (the latest escalation, if any)

A placeholder that is not known, or has no value for this ticket (no article inserted,
no escalation), is reported by name (`UnknownPlaceholderError`), never rendered blank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import TemplateSyntaxError, Undefined, meta
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlmodel import Session, col, select

from dispatcher.domain.enums import Channel, ContactPointKind, MessageKind
from dispatcher.domain.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from dispatcher.store.models import (
    Calendar,
    Category,
    Client,
    Contact,
    ContactPoint,
    Escalation,
    ReplyTemplate,
    SlaPlan,
    Ticket,
    User,
)

MAX_NAME = 100
MAX_SUBJECT = 500
KNOWN = frozenset(
    {"ticket", "client", "contact", "engineer", "sender", "article", "articles", "escalation"}
)
DUE_FORMAT = "%Y-%m-%d %H:%M %Z"
DEFAULT_KB_URL = "kb:{slug}"  # how an article is linked when no public KB address is set


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # `edit_template`: leave this field as it is


class UnknownPlaceholderError(ValidationError):
    """A template uses placeholders that are unknown or have no value for this ticket."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        listed = ", ".join("{{ " + n + " }}" for n in self.names)
        super().__init__(f"unknown or empty placeholder: {listed}")


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    id: int
    name: str
    subject: str
    body: str
    category: str | None
    channel: Channel | None
    active: bool
    uses: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ArticleLink:
    slug: str
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str


@dataclass
class _Names:
    missing: list[str] = field(default_factory=list)

    def add(self, name: str) -> None:
        if name not in self.missing:
            self.missing.append(name)


# --- rendering ----------------------------------------------------------------------------


def _environment(names: _Names) -> SandboxedEnvironment:
    class Recording(Undefined):
        """Records the placeholder it stands for and renders as nothing (then refused)."""

        __slots__ = ()

        def _name(self) -> str:
            hint = self._undefined_hint
            if self._undefined_name is None:
                return hint or "?"
            parent = self._undefined_obj
            if isinstance(parent, _Ns):
                return f"{parent.path}.{self._undefined_name}"
            return str(self._undefined_name)

        def __str__(self) -> str:
            names.add(self._name())
            return ""

        # `{% if article %}` and `{% for a in articles %}` may test for a value: only
        # rendering one that is missing is an error.
        def __iter__(self) -> Any:
            return iter(())

        def __bool__(self) -> bool:
            return False

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return Recording(name=f"{self._name()}.{name}")

    return SandboxedEnvironment(undefined=Recording, autoescape=False, keep_trailing_newline=True)


class _Ns:
    """A placeholder namespace (`ticket`, `client`, ...): attributes from a dict, no more."""

    def __init__(self, path: str, values: Mapping[str, str]) -> None:
        self.path = path
        self._values = dict(values)

    def __getattr__(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __str__(self) -> str:
        return self._values.get("name") or self._values.get("ref") or self._values.get("title", "")


def check_source(source: str, *, what: str = "template") -> None:
    """Refuse a template that does not parse or names a placeholder nobody provides."""
    env = _environment(_Names())
    try:
        parsed = env.parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"{what}, line {exc.lineno}: {exc.message}") from None
    unknown = sorted(meta.find_undeclared_variables(parsed) - KNOWN)
    if unknown:
        raise UnknownPlaceholderError(unknown)


def render(source: str, context: Mapping[str, Any], *, what: str = "template") -> str:
    """Render in the sandbox; every unknown or empty placeholder is reported together."""
    names = _Names()
    env = _environment(names)
    try:
        parsed = env.parse(source)
        for name in sorted(meta.find_undeclared_variables(parsed) - KNOWN - set(context)):
            names.add(name)
        text = env.from_string(parsed).render(dict(context))
    except TemplateSyntaxError as exc:
        raise ValidationError(f"{what}, line {exc.lineno}: {exc.message}") from None
    except SecurityError as exc:
        raise ValidationError(f"{what}: not allowed: {exc}") from None
    except TemplateError as exc:
        raise ValidationError(f"{what}: {exc}") from None
    if names.missing:
        raise UnknownPlaceholderError(names.missing)
    return text


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
        "ticket": _Ns(
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
        context["client"] = _Ns("client", {"name": client.name})
    if ticket.contact_id is not None and (contact := session.get(Contact, ticket.contact_id)):
        context["contact"] = _Ns(
            "contact",
            {"name": contact.name, **_email(session, contact_id=ticket.contact_id)},
        )
    sender = session.get(User, sender_id) if sender_id is not None else None
    if sender is not None:
        context["sender"] = _Ns("sender", {"name": sender.name})
    engineer = session.get(User, ticket.assignee_id) if ticket.assignee_id else sender
    if engineer is not None:
        context["engineer"] = _Ns("engineer", {"name": engineer.name})
    context.update(ticket_context_articles(articles))
    escalation = session.exec(
        select(Escalation)
        .where(Escalation.ticket_id == ticket_id)
        .order_by(col(Escalation.created_at).desc(), col(Escalation.id).desc())
        .limit(1)
    ).first()
    if escalation is not None:
        values = {"vendor": escalation.vendor, "vendor_ref": escalation.vendor_ref}
        context["escalation"] = _Ns("escalation", {k: v for k, v in values.items() if v})
    return context


def ticket_context_articles(articles: Sequence[ArticleLink]) -> dict[str, Any]:
    """The `article` (the first inserted) and `articles` placeholders; none without any."""
    if not articles:
        return {}
    links = [_Ns("article", {"title": a.title, "url": a.url, "slug": a.slug}) for a in articles]
    return {"article": links[0], "articles": links}


def article_link(slug: str, title: str, *, kb_url: str | None = None) -> ArticleLink:
    """The article's link: `{kb_url}/{slug}` with a public KB address, else `kb:{slug}`."""
    if kb_url:
        url = f"{kb_url.rstrip('/')}/{quote(slug, safe='/')}"
    else:
        url = DEFAULT_KB_URL.format(slug=slug)
    return ArticleLink(slug=slug, title=title, url=url)


def preview(
    session: Session,
    *,
    name: str,
    ticket_id: int,
    sender_id: int | None,
    articles: Sequence[ArticleLink] = (),
) -> Rendered:
    """The template rendered against the ticket: what would be sent."""
    template = _get(session, name)
    context = ticket_context(session, ticket_id=ticket_id, sender_id=sender_id, articles=articles)
    return render_pair(template.subject, template.body, context)


def latest_active_ticket(session: Session) -> int | None:
    """The active ticket changed most recently: what a template is previewed against."""
    from dispatcher.domain.enums import ACTIVE_STATUSES

    return session.exec(
        select(Ticket.id)
        .where(col(Ticket.status).in_(ACTIVE_STATUSES))
        .order_by(col(Ticket.updated_at).desc(), col(Ticket.id).desc())
        .limit(1)
    ).first()


def render_pair(subject: str, body: str, context: Mapping[str, Any]) -> Rendered:
    """Subject and body rendered together: the missing names of both in one report."""
    missing: list[str] = []
    out = []
    for source, what in ((subject, "subject"), (body, "body")):
        try:
            out.append(render(source, context, what=what))
        except UnknownPlaceholderError as exc:
            missing += [n for n in exc.names if n not in missing]
            out.append("")
    if missing:
        raise UnknownPlaceholderError(missing)
    return Rendered(subject=" ".join(out[0].split()), body=out[1])


# --- the templates themselves -------------------------------------------------------------


def add_template(
    session: Session,
    *,
    name: str,
    body: str,
    subject: str = "",
    category_id: int | None = None,
    channel: Channel | str | None = None,
    now: datetime,
) -> TemplateInfo:
    name = _clean_name(name)
    if session.exec(select(ReplyTemplate).where(ReplyTemplate.name == name)).first():
        raise ConflictError(f"a template named {name!r} exists already")
    _check(subject=subject, body=body)
    row = ReplyTemplate(
        name=name,
        subject=" ".join(subject.split()),
        body=body,
        category_id=_category(session, category_id),
        channel=_channel(channel),
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _info(session, row)


def edit_template(
    session: Session,
    *,
    name: str,
    now: datetime,
    new_name: str | None = None,
    body: str | None = None,
    subject: str | None = None,
    active: bool | None = None,
    category_id: int | None | _Keep = KEEP,
    channel: Channel | str | None | _Keep = KEEP,
    expected_updated_at: datetime | None = None,
) -> TemplateInfo:
    """Change the named template. With `expected_updated_at` (when the editor read it),
    a template changed since then is refused (`StaleVersionError`), nothing written."""
    row = _get(session, name)
    if expected_updated_at is not None and _utc(row.updated_at) != _utc(expected_updated_at):
        changed = _utc(row.updated_at).strftime("%Y-%m-%d %H:%M:%S UTC")
        raise StaleVersionError(
            f"template {row.name!r}", 0, 0, [f"it was saved again at {changed}"]
        )
    if new_name is not None and _clean_name(new_name) != row.name:
        new_name = _clean_name(new_name)
        if session.exec(select(ReplyTemplate).where(ReplyTemplate.name == new_name)).first():
            raise ConflictError(f"a template named {new_name!r} exists already")
        row.name = new_name
    _check(
        subject=row.subject if subject is None else subject,
        body=row.body if body is None else body,
    )
    if body is not None:
        row.body = body
    if subject is not None:
        row.subject = " ".join(subject.split())
    if active is not None:
        row.active = active
    if not isinstance(category_id, _Keep):
        row.category_id = _category(session, category_id)
    if not isinstance(channel, _Keep):
        row.channel = _channel(channel)
    row.updated_at = now
    session.add(row)
    session.flush()
    return _info(session, row)


def remove_template(session: Session, *, name: str) -> TemplateInfo:
    row = _get(session, name)
    info = _info(session, row)
    session.delete(row)
    session.flush()
    return info


def get_template(session: Session, *, name: str) -> TemplateInfo:
    return _info(session, _get(session, name))


def list_templates(session: Session, *, include_inactive: bool = False) -> list[TemplateInfo]:
    query = select(ReplyTemplate).order_by(col(ReplyTemplate.name))
    if not include_inactive:
        query = query.where(col(ReplyTemplate.active).is_(True))
    categories = {c.id: c.name for c in session.exec(select(Category)).all()}
    return [_info(session, row, categories) for row in session.exec(query).all()]


def record_use(session: Session, *, name: str) -> None:
    row = _get(session, name)
    row.uses += 1
    session.add(row)
    session.flush()


def fuzzy_rank(templates: Sequence[TemplateInfo], typed: str) -> list[TemplateInfo]:
    """Templates whose name or subject holds the typed letters in order, best first.

    Consecutive letters and letters at word starts score higher; ties by use count.
    """
    needle = "".join(typed.lower().split())
    if not needle:
        return sorted(templates, key=lambda t: (-t.uses, t.name))
    scored = []
    for template in templates:
        best = max(_fuzzy(needle, template.name.lower()), _fuzzy(needle, template.subject.lower()))
        if best > 0:
            scored.append((-best, -template.uses, template.name, template))
    return [item[-1] for item in sorted(scored, key=lambda s: s[:3])]


# --- helpers -----------------------------------------------------------------------------


def _fuzzy(needle: str, hay: str) -> int:
    score, at, previous = 0, 0, -2
    for char in needle:
        found = hay.find(char, at)
        if found < 0:
            return 0
        score += 1
        if found == previous + 1:
            score += 2
        if found == 0 or not hay[found - 1].isalnum():
            score += 3
        previous, at = found, found + 1
    return score


def _check(*, subject: str, body: str) -> None:
    if len(" ".join(subject.split())) > MAX_SUBJECT:
        raise ValidationError(f"the subject is longer than {MAX_SUBJECT} characters")
    if not body.strip():
        raise ValidationError("the template's body is empty")
    missing: list[str] = []
    for source, what in ((subject, "subject"), (body, "body")):
        try:
            check_source(source, what=what)
        except UnknownPlaceholderError as exc:
            missing += [n for n in exc.names if n not in missing]
    if missing:
        raise UnknownPlaceholderError(missing)
    # `{{ ticket.nope }}` parses and names a known namespace: rendering finds it.
    render_pair(subject, body, sample_context())


def sample_context() -> dict[str, Any]:
    """Every placeholder with a made-up value: what a template is checked against."""
    article = {"title": "Resetting a VPN token", "url": "kb:net/vpn", "slug": "net/vpn"}
    return {
        "ticket": _Ns(
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
        "client": _Ns("client", {"name": "Acme"}),
        "contact": _Ns("contact", {"name": "Anna", "email": "anna@acme.example"}),
        "engineer": _Ns("engineer", {"name": "Ivan"}),
        "sender": _Ns("sender", {"name": "Olga"}),
        "article": _Ns("article", article),
        "articles": [_Ns("article", article)],
        "escalation": _Ns("escalation", {"vendor": "Cisco", "vendor_ref": "SR-1"}),
    }


def _channel(channel: Channel | str | None) -> Channel | None:
    if not channel:
        return None
    try:
        return Channel(channel)
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise ValidationError(f"unknown channel {channel!r} (one of: {known})") from None


def _utc(value: datetime) -> datetime:
    """Comparable instants: SQLite gives naive UTC back, PostgreSQL may give aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("a template needs a name")
    if len(name) > MAX_NAME:
        raise ValidationError(f"the name is longer than {MAX_NAME} characters")
    return name


def _get(session: Session, name: str) -> ReplyTemplate:
    wanted = " ".join(name.split())
    row = session.exec(select(ReplyTemplate).where(ReplyTemplate.name == wanted)).first()
    if row is None:
        raise NotFoundError("template", wanted)
    return row


def _category(session: Session, category_id: int | None) -> int | None:
    if category_id is not None and session.get(Category, category_id) is None:
        raise NotFoundError("category with id", category_id)
    return category_id


def _info(
    session: Session, row: ReplyTemplate, categories: Mapping[int | None, str] | None = None
) -> TemplateInfo:
    assert row.id is not None
    if categories is None:
        category = session.get(Category, row.category_id) if row.category_id else None
        category_name = category.name if category else None
    else:
        category_name = categories.get(row.category_id)
    return TemplateInfo(
        id=row.id,
        name=row.name,
        subject=row.subject,
        body=row.body,
        category=category_name,
        channel=Channel(row.channel) if row.channel else None,
        active=row.active,
        uses=row.uses,
        updated_at=row.updated_at,
    )


def _zone_of(session: Session, ticket: Ticket) -> ZoneInfo:
    plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
    calendar = session.get(Calendar, plan.calendar_id) if plan else None
    try:
        return ZoneInfo(calendar.timezone if calendar else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _due(key: str, value: datetime | None, zone: ZoneInfo) -> dict[str, str]:
    return {} if value is None else {key: value.astimezone(zone).strftime(DUE_FORMAT)}


def _email(session: Session, *, contact_id: int) -> dict[str, str]:
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


def contact_email(session: Session, *, contact_id: int | None) -> str | None:
    """The address a reply goes to: the contact's first email that does not bounce."""
    if contact_id is None:
        return None
    return _email(session, contact_id=contact_id).get("email")


# --- composing and sending -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComposeInfo:
    """What the composer shows before anything is typed (plain values)."""

    ticket_id: int
    ref: str
    subject: str
    version: int
    recipient_name: str
    recipient_email: str | None
    context: dict[str, Any]
    templates: list[TemplateInfo]


@dataclass(frozen=True, slots=True)
class NewSince:
    """What happened to a ticket after the version a composer opened it at."""

    version: int
    messages: int
    changes: list[str]


def compose_info(session: Session, *, ticket_id: int, sender_id: int | None) -> ComposeInfo:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return ComposeInfo(
        ticket_id=ticket_id,
        ref=f"#{ticket_id}",
        subject=ticket.subject,
        version=ticket.version,
        recipient_name=contact.name if contact else "",
        recipient_email=contact_email(session, contact_id=ticket.contact_id),
        context=ticket_context(session, ticket_id=ticket_id, sender_id=sender_id),
        templates=list_templates(session),
    )


def new_since(session: Session, *, ticket_id: int, version: int) -> NewSince:
    from dispatcher.domain.enums import EventKind
    from dispatcher.store.history import changes_since
    from dispatcher.store.models import TicketEvent

    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    events = session.exec(
        select(TicketEvent.kind).where(
            TicketEvent.ticket_id == ticket_id, col(TicketEvent.version) > version
        )
    ).all()
    return NewSince(
        version=ticket.version,
        messages=sum(1 for kind in events if kind == EventKind.message_added),
        changes=changes_since(session, ticket_id=ticket_id, version=version),
    )


def reply_subject(ref: str, subject: str) -> str:
    """The subject of a reply: always carrying `[#N]`, so answers thread back."""
    subject = " ".join(subject.split())
    return subject if f"[{ref}]" in subject else f"[{ref}] {subject}".strip()


def send(
    session: Session,
    *,
    ticket_id: int,
    kind: MessageKind,
    subject: str,
    body: str,
    sender_id: int,
    expected_version: int,
    articles: Sequence[ArticleLink] = (),
    template_name: str | None = None,
    now: datetime,
) -> int:
    """Render and store a reply or a note; a reply is queued for mail in the same transaction.

    The subject and body are templates themselves: a placeholder without a value refuses
    the whole message. A reply goes to the contact's email (there must be one), meets the
    first-response target, and carries `[#N]` in its subject. A note is never queued.
    Returns the new message's id.
    """
    from dispatcher.store import outbox, tickets

    kind = MessageKind(kind)
    if kind == MessageKind.inbound:
        raise ValidationError("the composer writes replies and notes only")
    context = ticket_context(session, ticket_id=ticket_id, sender_id=sender_id, articles=articles)
    rendered = render_pair(subject, body, context)
    if not rendered.body.strip():
        raise ValidationError(f"an empty {kind.value} cannot be sent")
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    to_address = ""
    if kind == MessageKind.reply:
        to_address = contact_email(session, contact_id=ticket.contact_id) or ""
        if not to_address:
            raise ValidationError(f"#{ticket_id} has no contact email: a reply cannot be sent")
    full_subject = reply_subject(f"#{ticket_id}", rendered.subject or f"Re: {ticket.subject}")
    message = tickets.add_message(
        session,
        ticket_id=ticket_id,
        kind=kind,
        body=rendered.body,
        actor_id=sender_id,
        expected_version=expected_version,
        contact_id=ticket.contact_id if kind == MessageKind.reply else None,
        to_addresses=to_address,
        subject=full_subject,
        now=now,
    )
    assert message.id is not None
    if kind == MessageKind.reply:
        outbox.enqueue(
            session,
            kind="reply",
            to_addresses=to_address,
            subject=full_subject,
            body=rendered.body,
            now=now,
            ticket=session.get(Ticket, ticket_id),
            message_row_id=message.id,
            message_id=message.message_id,
        )
    if template_name:
        record_use(session, name=template_name)
    return message.id
