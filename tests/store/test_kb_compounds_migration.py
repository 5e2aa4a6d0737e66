"""Migration 0013 on a knowledge base indexed before it: every document derived again, so
that hyphenated words are found written together, on both backends."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store, make_engine
from dispatcher.store.knowledge import articles, search


def _index_of_0012_then_upgrade(url: str, now: datetime) -> Store:
    engine = make_engine(url)
    migrate.upgrade(engine, "0012")
    engine.dispose()
    store = Store.open(url)
    with store.write() as session:
        for slug, title in (("wifi", "Wi-Fi drops"), ("printer", "Printer jams")):
            articles.upsert_article(
                session, slug=slug, title=title, body="See the manual.", tags=[],
                visibility="internal", groups=[], now=now,
            )  # fmt: skip
        # The documents as the index wrote them before compounds were joined.
        session.connection().execute(
            text("UPDATE kb_search_doc SET title_terms = 'wi fi drop' WHERE article_id = 1")
        )
    if store.is_sqlite:  # PostgreSQL's search needs 0014's stored document
        with store.read() as session:
            assert search.search(session, query="wifi") == []
    store.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return Store.open(url)


def _check(store: Store) -> None:
    with store.read() as session:
        assert [h.slug for h in search.search(session, query="wifi")] == ["wifi"]
        assert [h.slug for h in search.search(session, query="printer")] == ["printer"]
        terms = session.connection().execute(text("SELECT title_terms FROM kb_search_doc"))
        assert sorted(r[0] for r in terms) == ["printer jam", "wi fi wifi drop"]
    store.dispose()


def test_0013_indexes_the_joined_forms_on_sqlite(tmp_path: Path, now: datetime) -> None:
    _check(_index_of_0012_then_upgrade(str(tmp_path / "kb.db"), now))


@pytest.mark.postgres
def test_0013_indexes_the_joined_forms_on_postgres(pg_empty_url: str, now: datetime) -> None:
    store = _index_of_0012_then_upgrade(pg_empty_url, now)
    with store.read() as session:
        stats = session.connection().execute(
            text("SELECT docs FROM kb_term_stat WHERE term = 'wifi'")
        )
        assert stats.scalar() == 1  # the term statistics followed the documents
    _check(store)
