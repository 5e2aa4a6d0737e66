"""KB articles in the store: upsert by slug, versions, tags, read models, folder import."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from dispatcher.domain.enums import ArticleStatus, Visibility
from dispatcher.domain.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import articles
from dispatcher.store.models import KbArticle, KbArticleTag


def _upsert(store: Store, now: datetime, **changes: object) -> articles.UpsertResult:
    values: dict[str, object] = {
        "slug": "network/vpn",
        "title": "VPN token",
        "body": "Reset it.",
        "tags": ["vpn", "Token"],
        "visibility": Visibility.internal,
        "groups": [],
        "status": ArticleStatus.published,
    }
    values.update(changes)
    with store.write() as session:
        return articles.upsert_article(session, now=now, **values)  # type: ignore[arg-type]


def test_upsert_creates_then_updates_in_place(store: Store, now: datetime) -> None:
    first = _upsert(store, now)
    assert first.outcome == articles.Outcome.created
    assert first.article.version == 1
    assert first.article.tags == ("token", "vpn")

    same = _upsert(store, now + timedelta(hours=1))
    assert same.outcome == articles.Outcome.unchanged
    assert same.article.version == 1
    assert same.article.updated_at == now

    later = now + timedelta(hours=2)
    changed = _upsert(store, later, body="Reset it twice.", tags=["vpn", "reset"])
    assert changed.outcome == articles.Outcome.updated
    assert changed.article.id == first.article.id
    assert changed.article.version == 2
    assert changed.article.updated_at == later

    with store.read() as session:
        assert session.exec(select(func.count()).select_from(KbArticle)).one() == 1
        tags = session.exec(select(KbArticleTag.tag).order_by(col(KbArticleTag.tag))).all()
        assert list(tags) == ["reset", "vpn"]
        article = articles.get_article(session, slug="network/vpn")
    assert article.body == "Reset it twice."
    assert article.tags == ("reset", "vpn")


def test_visibility_or_groups_change_bumps_the_version(store: Store, now: datetime) -> None:
    _upsert(store, now)
    assert _upsert(store, now, visibility="public").article.version == 2
    assert _upsert(store, now, visibility="public", groups=["network"]).article.version == 3


def test_list_filters_and_omits_bodies(store: Store, now: datetime) -> None:
    _upsert(store, now, slug="b", title="B", visibility="public", tags=["printer"])
    _upsert(store, now, slug="a", title="A", tags=["vpn"])
    with store.read() as session:
        every = articles.list_articles(session)
        public = articles.list_articles(session, visibility=Visibility.public)
        tagged = articles.list_articles(session, tag="VPN")
    assert [a.slug for a in every] == ["a", "b"]
    assert not hasattr(every[0], "body")
    assert [a.slug for a in public] == ["b"]
    assert [a.slug for a in tagged] == ["a"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"slug": "bad slug"}, "not a usable slug"),
        ({"title": "   "}, "title is empty"),
        ({"visibility": "secret"}, "secret"),
        ({"tags": ["x" * 65]}, "longer than 64"),
    ],
)
def test_upsert_refuses_bad_values(
    store: Store, now: datetime, changes: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment):
        _upsert(store, now, **changes)


def test_get_unknown_article(store: Store) -> None:
    with store.read() as session, pytest.raises(NotFoundError, match="no article nope"):
        articles.get_article(session, slug="nope")


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_import_folder_reports_bad_files_and_imports_the_rest(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    _write(folder, "network/vpn.md", "---\ntitle: VPN\ntags: [vpn]\n---\nReset the token.")
    _write(folder, "printer.md", "# Printer jams\n\nOpen tray 2.")
    _write(folder, "broken.md", "---\ntitle: X\nowner: me\n---\n")
    _write(folder, "dup.md", "---\ntitle: Dup\nslug: printer\n---\n")
    _write(folder, ".git/ignored.md", "---\nbad\n")
    (folder / "latin1.md").write_bytes("# caf\xe9".encode("latin-1"))

    report = articles.import_folder(store, folder=folder, author_id=None, now=now)
    assert sorted(report.created) == ["network/vpn.md", "printer.md"]
    failed = dict(report.failed)
    assert failed.keys() == {"broken.md", "dup.md", "latin1.md"}
    assert failed["broken.md"].startswith("line 3: unknown key 'owner'")
    assert "already used by printer.md" in failed["dup.md"]
    assert failed["latin1.md"] == "not UTF-8 text"

    _write(folder, "printer.md", "# Printer jams\n\nOpen tray 3.")
    again = articles.import_folder(store, folder=folder, author_id=None, now=now)
    assert again.updated == ["printer.md"]
    assert again.unchanged == ["network/vpn.md"]
    assert again.created == []
    with store.read() as session:
        slugs = [a.slug for a in articles.list_articles(session)]
        printer = articles.get_article(session, slug="printer")
    assert slugs == ["network/vpn", "printer"]
    assert printer.version == 2


def test_import_missing_folder(store: Store, now: datetime, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no folder"):
        articles.import_folder(store, folder=tmp_path / "nope", author_id=None, now=now)


def test_an_edit_from_a_stale_version_is_refused_and_writes_nothing(
    store: Store, now: datetime
) -> None:
    opened = _upsert(store, now, groups=["second-line"]).article  # both leads open version 1
    first = _upsert(store, now, body="Lead one's fix.", groups=["second-line"], expected_version=1)
    assert first.article.version == 2
    with pytest.raises(StaleVersionError, match="article network/vpn was changed") as caught:
        _upsert(store, now, body="Lead two's fix.", groups=[], expected_version=opened.version)
    assert "version 2" in str(caught.value)
    with store.read() as session:
        kept = articles.get_article(session, slug="network/vpn")
    assert (kept.body, kept.groups, kept.version) == ("Lead one's fix.", ("second-line",), 2)
    # A new article (version 0) may not take a slug in use; a missing one is not there.
    with pytest.raises(ConflictError, match="exists already"):
        _upsert(store, now, title="Other", expected_version=0)
    with pytest.raises(NotFoundError):
        _upsert(store, now, slug="gone", expected_version=3)
    assert _upsert(store, now, slug="fresh", expected_version=0).article.version == 1


def test_a_draft_never_overwrites_an_article(store: Store, now: datetime) -> None:
    _upsert(store, now, slug="from-ticket-7", groups=["leads"])
    draft = articles.DraftSource(7, "from-ticket-7", "Draft", "Text")
    with store.write() as session, pytest.raises(ConflictError):
        articles.save_draft(
            session, draft=draft, title="Draft", body="Text", author_id=None, now=now
        )
    with store.read() as session:
        assert articles.get_article(session, slug="from-ticket-7").groups == ("leads",)
