"""Hosting the composer and the KB screen alone under Pilot (helpers for their tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.app import App
from textual.screen import Screen

from dispatcher.domain.enums import ArticleStatus, Visibility
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import articles


class Host(App[None]):
    """An empty app that opens one screen and keeps what it dismissed with."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make = make
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.results.append)


def add_article(
    store: Store,
    now: datetime,
    slug: str,
    title: str,
    body: str,
    *,
    visibility: Visibility = Visibility.internal,
    tags: tuple[str, ...] = (),
    status: ArticleStatus = ArticleStatus.published,
) -> int:
    with store.write() as session:
        result = articles.upsert_article(
            session,
            slug=slug,
            title=title,
            body=body,
            tags=tags,
            visibility=visibility,
            groups=(),
            status=status,
            now=now,
        )
    return result.article.id


FILLER = [
    ("Office hours", "Open on weekdays from nine to six."),
    ("Coffee machine", "Descale it every month."),
    ("Badge lost", "Security issues a new badge."),
    ("Парковка", "Гостевые места бронирует секретарь."),
    ("Meeting rooms", "Book them in the floor calendar."),
]


def add_filler(store: Store, now: datetime) -> None:
    for n, (title, body) in enumerate(FILLER):
        add_article(store, now, f"filler-{n}", title, body)
