"""Full-text search over the knowledge base, on SQLite (FTS5, BM25) and PostgreSQL.

Keeping the index (`reindex`, `rebuild`) and searching with a session (`search`,
`suggest_for_ticket`); the ranking itself is `ranking.rank`, which runs over any SQL
connection (see there for how articles are ranked).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from dispatcher.domain.enums import ArticleStatus, MessageKind, Visibility
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.domain.quoting import client_words
from dispatcher.domain.search_text import Query, index_terms, parse_query
from dispatcher.store.knowledge.ranking import Filters, SearchHit, driver_sql, rank
from dispatcher.store.models import KbArticle, Message, Ticket, table_of
from dispatcher.store.models.knowledge import KbSearchDoc

__all__ = ["SearchHit", "SessionSql", "count_indexed", "rebuild", "reindex", "search"]

DEFAULT_LIMIT = 20
SUGGESTIONS = 5


class SessionSql:
    """`ranking.Sql` over a session: the statements run in the session's transaction.

    They go to the driver as they are (`exec_driver_sql`): parsing a `text()` statement for
    its placeholders and binding them one by one costs more than running it, with the
    hundreds a respelling lookup lists.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self.dialect = session.get_bind().dialect.name

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        connection = self._session.connection()
        return connection.exec_driver_sql(driver_sql(sql, self.dialect), params).all()


# --- keeping the index -------------------------------------------------------------------


def reindex(session: Session, *, article_id: int, title: str, body: str) -> None:
    """Write the article's search document (the index follows it on both backends)."""
    doc = session.get(KbSearchDoc, article_id)
    title_terms, body_terms = index_terms(title), index_terms(body)
    if doc is None:
        session.add(
            KbSearchDoc(article_id=article_id, title_terms=title_terms, body_terms=body_terms)
        )
    elif (doc.title_terms, doc.body_terms) != (title_terms, body_terms):
        doc.title_terms, doc.body_terms = title_terms, body_terms
        session.add(doc)
    session.flush()


def rebuild(session: Session, *, batch_size: int = 1000) -> int:
    """Recompute every article's search document (after a bulk load, or to repair)."""
    docs = table_of(KbSearchDoc)
    articles = table_of(KbArticle)
    session.execute(docs.delete())
    count, last_id = 0, 0
    while True:
        rows = session.execute(
            select(articles.c.id, articles.c.title, articles.c.body)
            .where(articles.c.id > last_id)
            .order_by(articles.c.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        session.execute(
            docs.insert(),
            [
                {
                    "article_id": r[0],
                    "title_terms": index_terms(r[1]),
                    "body_terms": index_terms(r[2]),
                }
                for r in rows
            ],
        )
        count += len(rows)
        last_id = rows[-1][0]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO kb_fts(kb_fts) VALUES ('optimize')"))
    return count


# --- searching ---------------------------------------------------------------------------


def search(
    session: Session,
    *,
    query: str,
    limit: int = DEFAULT_LIMIT,
    typing: bool = False,
    visibility: Visibility | None = None,
    tag: str | None = None,
    statuses: Collection[ArticleStatus] = (ArticleStatus.published,),
    reader_groups: Collection[str] | None = None,
) -> list[SearchHit]:
    """The best `limit` articles for the query, best first.

    `typing`: the query is still being typed, its last word is a prefix. `reader_groups`:
    the groups (competences) of the reader; an article limited to groups is shown only to
    a reader in one of them. None reads everything (leads, admins, the CLI).
    """
    if limit < 1:
        raise ValidationError("the limit must be at least 1")
    parsed = parse_query(query, typing=typing)
    if parsed.empty:
        return []
    return _search(
        session,
        parsed=parsed,
        limit=limit,
        visibility=visibility,
        tag=tag,
        statuses=statuses,
        reader_groups=reader_groups,
    )


def suggest_for_ticket(
    session: Session,
    *,
    ticket_id: int,
    limit: int = SUGGESTIONS,
    visibility: Visibility | None = None,
    reader_groups: Collection[str] | None = None,
) -> list[SearchHit]:
    """Articles that may answer the ticket: searched by its subject and the client's words
    in its first message (quoted mail and signature left out); `SearchHit.matched` says
    which words each was found by."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    first = session.exec(
        select(Message.body)
        .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.inbound)
        .order_by(col(Message.created_at), col(Message.id))
        .limit(1)
    ).first()
    # The client's own words: a quoted earlier mail or a signature would suggest articles
    # about them (a signature's company name, an old thread's subject).
    words = client_words(first or "") or (first or "")
    parsed = parse_query(f"{ticket.subject}\n{words}")
    if parsed.empty:
        return []
    return _search(
        session,
        parsed=parsed,
        limit=limit,
        visibility=visibility,
        tag=None,
        statuses=(ArticleStatus.published,),
        reader_groups=reader_groups,
    )


def _search(
    session: Session,
    *,
    parsed: Query,
    limit: int,
    visibility: Visibility | None,
    tag: str | None,
    statuses: Collection[ArticleStatus],
    reader_groups: Collection[str] | None,
) -> list[SearchHit]:
    filters = Filters.of(
        statuses=statuses, visibility=visibility, tag=tag, reader_groups=reader_groups
    )
    return rank(SessionSql(session), parsed=parsed, limit=limit, filters=filters)


def count_indexed(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(KbSearchDoc)).one())
