"""Reply templates: named texts per category or channel, managed by leads and admins.

A template is tried against a sample ticket (`check_template`) before the write that
saves it opens: rendering never runs inside a write transaction. The save itself checks
only what needs no rendering (it parses, names only known placeholders, has a body).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.enums import Channel
from dispatcher.domain.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from dispatcher.domain.language import guess_language
from dispatcher.domain.templating import Rendered, check_pair, render_pair
from dispatcher.store.models import Category, ReplyTemplate
from dispatcher.store.replies.placeholders import (
    KNOWN,
    ArticleLink,
    sample_context,
    ticket_context,
)

MAX_NAME = 100


MAX_SUBJECT = 500


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # `edit_template`: leave this field as it is


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


def check_template(*, subject: str | None = None, body: str | None = None) -> None:
    """Render what is given against a sample ticket, within the sandbox's limits: refuses
    (`ValidationError`, the reason in one line) a template that fails, goes over a
    limit, or names a placeholder a ticket does not have (`{{ ticket.nope }}`). Pure:
    call it before opening the write that saves the template."""
    if subject is not None and len(" ".join(subject.split())) > MAX_SUBJECT:
        raise ValidationError(f"the subject is longer than {MAX_SUBJECT} characters")
    if body is not None and not body.strip():
        raise ValidationError("the template's body is empty")
    check_pair(subject or "", body or "", known=KNOWN)
    render_pair(subject or "", body or "", sample_context(), known=KNOWN)


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
    """Change the named template (`check_template` the new texts first). With
    `expected_updated_at` (when the editor read it), a template changed since then is
    refused (`StaleVersionError`), nothing written."""
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


def fuzzy_rank(
    templates: Sequence[TemplateInfo], typed: str, *, language: str | None = None
) -> list[TemplateInfo]:
    """Templates whose name or subject holds the typed letters in order, best first.

    Consecutive letters and letters at word starts score higher; ties go to the templates
    written in `language` (the ticket's, when given), then by use count.
    """

    def other(template: TemplateInfo) -> bool:
        if language is None:
            return False
        return guess_language([template.subject, template.body]) != language

    needle = "".join(typed.lower().split())
    if not needle:
        return sorted(templates, key=lambda t: (other(t), -t.uses, t.name))
    scored = []
    for template in templates:
        best = max(_fuzzy(needle, template.name.lower()), _fuzzy(needle, template.subject.lower()))
        if best > 0:
            scored.append((-best, other(template), -template.uses, template.name, template))
    return [item[-1] for item in sorted(scored, key=lambda s: s[:4])]


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
    """What a save checks without rendering (`check_template` renders, before the write)."""
    if len(" ".join(subject.split())) > MAX_SUBJECT:
        raise ValidationError(f"the subject is longer than {MAX_SUBJECT} characters")
    if not body.strip():
        raise ValidationError("the template's body is empty")
    check_pair(subject, body, known=KNOWN)


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


@dataclass(frozen=True, slots=True)
class PreviewSource:
    """A template and the placeholders of a ticket: `render()` it once the session is closed."""

    subject: str
    body: str
    context: dict[str, Any]

    def render(self) -> Rendered:
        """What would be sent; refused (`ValidationError`) as `check_template` refuses."""
        return render_pair(self.subject, self.body, self.context, known=KNOWN)


def preview_source(
    session: Session,
    *,
    name: str,
    ticket_id: int,
    sender_id: int | None,
    articles: Sequence[ArticleLink] = (),
) -> PreviewSource:
    """The named template and the ticket's placeholders, to render outside the session."""
    template = _get(session, name)
    context = ticket_context(session, ticket_id=ticket_id, sender_id=sender_id, articles=articles)
    return PreviewSource(template.subject, template.body, context)


def preview(
    session: Session,
    *,
    name: str,
    ticket_id: int,
    sender_id: int | None,
    articles: Sequence[ArticleLink] = (),
) -> Rendered:
    """The template rendered against the ticket: what would be sent."""
    source = preview_source(
        session, name=name, ticket_id=ticket_id, sender_id=sender_id, articles=articles
    )
    return source.render()
