"""Knowledge-base articles: upsert by slug, read models, drafts, importing Markdown folders.

The slug is an article's stable key: importing the same folder again updates articles in
place (bumping `version` only when something really changed), never duplicates them. Every
change reindexes the article (`search.reindex`) in the same transaction; search never
writes articles, so the import goes one way, articles -> search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import defer
from sqlmodel import Session, col, delete, select

from dispatcher.domain.enums import ArticleStatus, MessageKind, TicketStatus, Visibility
from dispatcher.domain.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from dispatcher.domain.frontmatter import (
    MAX_TAG,
    MAX_TITLE,
    ArticleSource,
    FrontMatterError,
    parse_article,
    valid_slug,
)
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import search
from dispatcher.store.models import KbArticle, KbArticleTag, Message, Ticket, table_of

IMPORT_BATCH = 200


class Outcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """An article without its body: what lists show."""

    id: int
    slug: str
    title: str
    visibility: Visibility
    status: ArticleStatus
    groups: tuple[str, ...]
    tags: tuple[str, ...]
    version: int
    uses: int
    helpful_votes: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Article(ArticleSummary):
    body: str = ""


@dataclass(frozen=True, slots=True)
class UpsertResult:
    article: Article
    outcome: Outcome


def upsert_article(
    session: Session,
    *,
    slug: str,
    title: str,
    body: str,
    tags: Sequence[str],
    visibility: Visibility | str,
    groups: Sequence[str],
    status: ArticleStatus | str = ArticleStatus.published,
    author_id: int | None = None,
    now: datetime,
    expected_version: int | None = None,
) -> UpsertResult:
    """Create the article with this slug, or update it if anything differs.

    `expected_version` is the version the editor opened (0: a new article): an article
    saved by somebody else since is refused (`StaleVersionError`), as is a new one whose
    slug is taken (`ConflictError`); nothing is written. None (an import) checks nothing.
    The groups are kept as given: an empty list makes the article visible to everyone.
    """
    slug = slug.strip()
    if not valid_slug(slug):
        raise ValidationError(f"not a usable slug: {slug!r}")
    title = " ".join(title.split())
    if not title:
        raise ValidationError(f"article {slug}: the title is empty")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"article {slug}: the title is longer than {MAX_TITLE} characters")
    try:
        visibility = Visibility(visibility)
        status = ArticleStatus(status)
    except ValueError as exc:
        raise ValidationError(f"article {slug}: {exc}") from None
    clean_tags = _unique(" ".join(t.split()).lower() for t in tags)
    for tag in clean_tags:
        if len(tag) > MAX_TAG:
            raise ValidationError(f"article {slug}: the tag {tag!r} is longer than {MAX_TAG}")
    clean_groups = _unique(g.strip() for g in groups)

    article = session.exec(select(KbArticle).where(KbArticle.slug == slug)).one_or_none()
    _check_version(slug, article, expected_version)
    if article is None:
        article = KbArticle(
            slug=slug,
            title=title,
            body=body,
            visibility=visibility,
            status=status,
            groups=list(clean_groups),
            author_id=author_id,
            created_at=now,
            updated_at=now,
        )
        session.add(article)
        session.flush()
        _set_tags(session, article_id=_id(article), tags=clean_tags)
        search.reindex(session, article_id=_id(article), title=title, body=body)
        return UpsertResult(_article(article, clean_tags), Outcome.created)

    old_tags = _tags_of(session, [_id(article)]).get(_id(article), ())
    same = (
        article.title == title
        and article.body == body
        and article.visibility == visibility
        and article.status == status
        and tuple(article.groups) == clean_groups
        and sorted(old_tags) == sorted(clean_tags)
    )
    if same:
        return UpsertResult(_article(article, old_tags), Outcome.unchanged)
    article.title = title
    article.body = body
    article.visibility = visibility
    article.status = status
    article.groups = list(clean_groups)
    article.updated_at = now
    article.version += 1
    if author_id is not None and article.author_id is None:
        article.author_id = author_id
    session.add(article)
    if sorted(old_tags) != sorted(clean_tags):
        session.exec(delete(KbArticleTag).where(col(KbArticleTag.article_id) == article.id))
        _set_tags(session, article_id=_id(article), tags=clean_tags)
    session.flush()
    search.reindex(session, article_id=_id(article), title=title, body=body)
    return UpsertResult(_article(article, clean_tags), Outcome.updated)


def _check_version(slug: str, article: KbArticle | None, expected: int | None) -> None:
    if expected is None:
        return
    if article is None:
        if expected:
            raise NotFoundError("article", slug)
        return
    if expected == 0:
        raise ConflictError(f"an article {slug!r} exists already: open it to edit it")
    if article.version != expected:
        changed = article.updated_at.strftime("%Y-%m-%d %H:%M")
        raise StaleVersionError(
            f"article {slug}",
            expected,
            article.version,
            [f"it was saved again at {changed} UTC (version {article.version})"],
        )


def get_article(session: Session, *, slug: str) -> Article:
    article = session.exec(select(KbArticle).where(KbArticle.slug == slug.strip())).one_or_none()
    if article is None:
        raise NotFoundError("article", slug)
    return _article(article, _tags_of(session, [_id(article)]).get(_id(article), ()))


def list_articles(
    session: Session,
    *,
    visibility: Visibility | None = None,
    status: ArticleStatus | None = None,
    tag: str | None = None,
    limit: int | None = None,
) -> list[ArticleSummary]:
    """Articles by slug, without their bodies."""
    query = select(KbArticle).options(defer(KbArticle.body)).order_by(col(KbArticle.slug))  # type: ignore[arg-type]
    if visibility is not None:
        query = query.where(KbArticle.visibility == Visibility(visibility))
    if status is not None:
        query = query.where(KbArticle.status == ArticleStatus(status))
    if tag is not None:
        tagged = select(KbArticleTag.article_id).where(KbArticleTag.tag == tag.strip().lower())
        query = query.where(col(KbArticle.id).in_(tagged))
    if limit is not None:
        query = query.limit(limit)
    rows = session.exec(query).all()
    tags = _tags_of(session, [_id(row) for row in rows])
    return [
        ArticleSummary(
            id=_id(row),
            slug=row.slug,
            title=row.title,
            visibility=Visibility(row.visibility),
            status=ArticleStatus(row.status),
            groups=tuple(row.groups),
            tags=tags.get(_id(row), ()),
            version=row.version,
            uses=row.uses,
            helpful_votes=row.helpful_votes,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


# --- uses and votes ----------------------------------------------------------------------


def record_use(session: Session, *, article_id: int) -> int:
    """Count one use (inserted into a reply or a note); the new count."""
    return _bump(session, article_id=article_id, column="uses")


def vote_helpful(session: Session, *, article_id: int) -> int:
    """Count one "helpful" vote; the new count."""
    return _bump(session, article_id=article_id, column="helpful_votes")


def _bump(session: Session, *, article_id: int, column: str) -> int:
    table = table_of(KbArticle)
    target = table.c[column]
    result = session.execute(
        update(table).where(table.c.id == article_id).values({column: target + 1}).returning(target)
    ).first()
    if result is None:
        raise NotFoundError("article", str(article_id))
    return int(result[0])


# --- a draft from a resolved ticket ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftSource:
    """What a new article from a ticket starts with (the lead edits it before saving)."""

    ticket_id: int
    slug: str
    title: str
    body: str


def draft_from_ticket(session: Session, *, ticket_id: int) -> DraftSource:
    """A draft article prefilled from a resolved (or closed) ticket and its last reply."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    if ticket.status not in (TicketStatus.resolved, TicketStatus.closed):
        raise ValidationError(
            f"#{ticket_id} is {ticket.status.value}: a draft article comes from a solved ticket"
        )
    reply = session.exec(
        select(Message.body)
        .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.reply)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(1)
    ).first()
    if reply is None:
        raise ValidationError(f"#{ticket_id} has no reply to start an article from")
    return DraftSource(
        ticket_id=ticket_id,
        slug=f"from-ticket-{ticket_id}",
        title=ticket.subject,
        body=reply.strip() + "\n",
    )


def save_draft(
    session: Session,
    *,
    draft: DraftSource,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    visibility: Visibility = Visibility.internal,
    author_id: int | None,
    now: datetime,
) -> int:
    """Store the draft article (status draft, linked to its ticket); its id. A new
    article: a slug already taken is refused, never overwritten."""
    result = upsert_article(
        session,
        slug=draft.slug,
        title=title,
        body=body,
        tags=tags,
        visibility=visibility,
        groups=(),
        status=ArticleStatus.draft,
        author_id=author_id,
        now=now,
        expected_version=0,
    )
    article = session.get(KbArticle, result.article.id)
    assert article is not None
    article.source_ticket_id = draft.ticket_id
    session.add(article)
    session.flush()
    return result.article.id


# --- importing a folder ------------------------------------------------------------------


@dataclass
class KbImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
        }


def markdown_files(folder: Path) -> list[Path]:
    """Every `*.md` under the folder, in a stable order; hidden folders are skipped."""
    if not folder.exists():
        raise NotFoundError("folder", folder)
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder")
    return sorted(
        p
        for p in folder.rglob("*.md")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def read_folder(folder: Path) -> tuple[list[tuple[str, ArticleSource]], list[tuple[str, str]]]:
    """Parse every Markdown file: the good ones with their file names, and the failures.

    Two files claiming the same slug: the one whose path is that slug keeps it (else the
    first by name); the other fails, naming it.
    """
    parsed: list[tuple[str, ArticleSource]] = []
    failed: list[tuple[str, str]] = []
    for path in markdown_files(folder):
        name = path.relative_to(folder).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            failed.append((name, "not UTF-8 text"))
            continue
        except OSError as exc:
            failed.append((name, f"cannot be read: {exc.strerror or exc}"))
            continue
        try:
            source = parse_article(text, source=name, default_slug=name.removesuffix(".md"))
        except FrontMatterError as exc:
            where = f"line {exc.line}: " if exc.line else ""
            failed.append((name, where + exc.reason))
            continue
        parsed.append((name, source))
    owner: dict[str, str] = {}
    for name, source in parsed:
        current = owner.get(source.slug)
        if current is None or (
            name.removesuffix(".md") == source.slug and current.removesuffix(".md") != source.slug
        ):
            owner[source.slug] = name
    good = []
    for name, source in parsed:
        if owner[source.slug] == name:
            good.append((name, source))
        else:
            failed.append((name, f"slug {source.slug!r} is already used by {owner[source.slug]}"))
    failed.sort()
    return good, failed


def import_folder(
    store: Store,
    *,
    folder: Path,
    author_id: int | None,
    now: datetime,
    batch_size: int = IMPORT_BATCH,
    on_progress: Callable[[int, int], None] | None = None,
) -> KbImportReport:
    """Import every `*.md` under the folder; a bad file is reported, the rest still import."""
    good, failed = read_folder(folder)
    report = KbImportReport(failed=failed)
    done = 0
    for start in range(0, len(good), batch_size):
        batch = good[start : start + batch_size]
        with store.write() as session:
            outcomes = []
            for name, source in batch:
                result = upsert_article(
                    session,
                    slug=source.slug,
                    title=source.title,
                    body=source.body,
                    tags=source.tags,
                    visibility=source.visibility,
                    groups=source.groups,
                    status=source.status,
                    author_id=author_id,
                    now=now,
                )
                outcomes.append((name, result.outcome))
        for name, outcome in outcomes:
            getattr(report, outcome.value).append(name)
        done += len(batch)
        if on_progress is not None:
            on_progress(done, len(good))
    return report


# --- helpers -----------------------------------------------------------------------------


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    result: list[str] = []
    for value in values:
        if value and value not in result:
            result.append(value)
    return tuple(result)


def _id(article: KbArticle) -> int:
    assert article.id is not None, "flush the article first"
    return article.id


def _set_tags(session: Session, *, article_id: int, tags: Sequence[str]) -> None:
    for tag in tags:
        session.add(KbArticleTag(article_id=article_id, tag=tag))
    session.flush()


def _tags_of(session: Session, article_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    result: dict[int, list[str]] = {}
    for start in range(0, len(article_ids), 1000):
        chunk = article_ids[start : start + 1000]
        rows = session.exec(
            select(KbArticleTag.article_id, KbArticleTag.tag)
            .where(col(KbArticleTag.article_id).in_(chunk))
            .order_by(col(KbArticleTag.article_id), col(KbArticleTag.tag))
        ).all()
        for article_id, tag in rows:
            result.setdefault(article_id, []).append(tag)
    return {k: tuple(v) for k, v in result.items()}


def _article(row: KbArticle, tags: Sequence[str]) -> Article:
    return Article(
        id=_id(row),
        slug=row.slug,
        title=row.title,
        visibility=Visibility(row.visibility),
        status=ArticleStatus(row.status),
        groups=tuple(row.groups),
        tags=tuple(sorted(tags)),
        version=row.version,
        uses=row.uses,
        helpful_votes=row.helpful_votes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        body=row.body,
    )
