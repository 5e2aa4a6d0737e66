"""KB search reads what it shows and asks once: the statements one ranking runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest

from dispatcher.domain.enums import ArticleStatus, Visibility
from dispatcher.domain.search_text import parse_query
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import articles, ranking, search

FILLER = [
    ("Office opening hours", "The office is open on weekdays from nine to six."),
    ("Booking a meeting room", "Rooms are booked in the calendar of the floor."),
    ("Парковка у офиса", "Гостевые места на парковке бронирует секретарь."),
    ("Coffee machine", "Descale it every month with the tablets in the kitchen."),
]


class Recording:
    """`ranking.Sql` that keeps every statement it runs."""

    def __init__(self, inner: ranking.Sql) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        self.statements.append((sql, dict(params)))
        return self.inner.rows(sql, params)

    def listed(self, table: str) -> list[list[Any]]:
        """The values each statement on `table` listed in an IN (...)."""
        return [
            [v for k, v in params.items() if k.rsplit("_", 1)[-1].isdigit()]
            for sql, params in self.statements
            if f"FROM {table} " in sql
        ]


def _add(store: Store, now: datetime, slug: str, title: str, body: str, **more: Any) -> None:
    with store.write() as session:
        articles.upsert_article(
            session,
            slug=slug,
            title=title,
            body=body,
            tags=more.get("tags", ()),
            visibility=Visibility.internal,
            groups=more.get("groups", ()),
            status=ArticleStatus.published,
            now=now,
        )


def _rank(store: Store, query: str, *, limit: int, **filters: Any) -> tuple[list[str], Recording]:
    with store.read() as session:
        db = Recording(search.SessionSql(session))
        hits = ranking.rank(
            db,
            parsed=parse_query(query),
            limit=limit,
            filters=ranking.Filters.of(
                statuses=(ArticleStatus.published,),
                visibility=None,
                tag=None,
                reader_groups=filters.get("reader_groups"),
            ),
        )
    return [h.slug for h in hits], db


@pytest.fixture
def widgets(store: Store, now: datetime) -> Store:
    for n, (title, body) in enumerate(FILLER):
        _add(store, now, f"filler-{n}", title, body)
    # w00 matches best (the word in its title and thrice in its body), w14 least.
    for n in range(15):
        body = " ".join(["Widget"] * (15 - n) + ["spare parts and other notes"] * (n + 1))
        title = "Widget care" if n == 0 else f"Shelf {n}"
        groups = ("hr",) if n < 3 else ()
        _add(store, now, f"w{n:02}", title, body, groups=groups)
    return store


def test_only_the_articles_shown_are_read(widgets: Store) -> None:
    slugs, db = _rank(widgets, "widget", limit=4)
    assert slugs == ["w00", "w01", "w02", "w03"]
    # The index ranked more than four (to filter while reading), but only the four shown
    # were read, bodies and tags.
    assert [len(ids) for ids in db.listed("kb_article")] == [4]
    assert [len(ids) for ids in db.listed("kb_article_tag")] == [4]


def test_articles_filtered_out_are_made_up_from_the_next_ones(widgets: Store) -> None:
    slugs, db = _rank(widgets, "widget", limit=4, reader_groups=["it"])
    assert slugs == ["w03", "w04", "w05", "w06"]  # w00-w02 are for the hr group only
    read = db.listed("kb_article")
    assert sum(len(ids) for ids in read) == len({i for ids in read for i in ids})  # once each
    everyone, _ = _rank(widgets, "widget", limit=15)
    assert slugs == [s for s in everyone if s not in {"w00", "w01", "w02"}][:4]


def test_a_ranking_asks_for_each_terms_article_count_once(
    widgets: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking, "PRUNE_FROM", 10)  # so that common words are left out
    slugs, db = _rank(widgets, "widget spare wigdet office", limit=3)
    assert slugs == ["filler-0"]  # the widget words are in most articles: "office" chooses
    vocabulary = "kb_fts_vocab" if widgets.is_sqlite else "kb_term_stat"
    asked = [t for terms in db.listed(vocabulary) for t in terms]
    assert {"widget", "spare", "offic", "wigdet", "wiget"} <= set(asked)  # and respellings
    assert len(asked) == len(set(asked))
    totals = "kb_fts_docsize" if widgets.is_sqlite else "kb_index_total"
    assert sum(f"FROM {totals}" in sql for sql, _ in db.statements) <= 1


def test_statements_reach_the_driver_in_its_placeholder_style() -> None:
    sql = "SELECT 'simple'::regconfig, x FROM t WHERE a = :a AND b IN (:t_0, :t_1)"
    assert ranking.driver_sql(sql, "sqlite") == sql
    assert ranking.driver_sql(sql, "postgresql") == (
        "SELECT 'simple'::regconfig, x FROM t WHERE a = %(a)s AND b IN (%(t_0)s, %(t_1)s)"
    )
