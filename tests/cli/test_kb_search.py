"""`dispatcher kb search`: the same ranking as the store, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from typer.testing import CliRunner, Result

from dispatcher.cli import app
from dispatcher.domain.enums import Visibility
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import articles, search

runner = CliRunner()


def _kb(db_url: str, *args: str) -> Result:
    return runner.invoke(app, ["kb", "--db", db_url, *args], env={"COLUMNS": "200"})


def _json(db_url: str, *args: str) -> Any:
    result = _kb(db_url, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _seed(store: Store, now: datetime) -> None:
    seeds = [
        ("printer", "Принтер не печатает", "Переустановите драйвер принтера.", "public"),
        ("toner", "Toner low", "Replace the printer's toner cartridge.", "internal"),
        ("vpn", "VPN token", "Reset the token in the portal.", "public"),
        ("hours", "Office hours", "Open on weekdays.", "internal"),
        ("coffee", "Coffee machine", "Descale monthly.", "internal"),
        ("badge", "Badge lost", "Security issues a new one.", "internal"),
    ]
    with store.write() as session:
        for slug, title, body, visibility in seeds:
            articles.upsert_article(
                session,
                slug=slug,
                title=title,
                body=body,
                tags=[slug],
                visibility=visibility,
                groups=[],
                now=now,
            )


def test_search_json_lists_title_score_snippet_in_store_order(
    db_url: str, store: Store, now: datetime
) -> None:
    _seed(store, now)
    hits = _json(db_url, "search", "принтеры toner")
    assert {h["slug"] for h in hits} == {"toner", "printer"}
    assert {"title", "score", "snippet", "highlights", "rank"} <= set(hits[0])
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    with store.read() as session:
        same = search.search(session, query="принтеры toner", limit=10, typing=True)
    assert [h["slug"] for h in hits] == [h.slug for h in same]


def test_limit_visibility_tag_and_whole_words(db_url: str, store: Store, now: datetime) -> None:
    _seed(store, now)
    assert len(_json(db_url, "search", "printer toner token", "--limit", "1")) == 1
    public = _json(db_url, "search", "принтер toner", "--visibility", "public")
    assert [h["slug"] for h in public] == ["printer"]
    assert [h["slug"] for h in _json(db_url, "search", "printer", "--tag", "toner")] == ["toner"]
    assert [h["slug"] for h in _json(db_url, "search", "tok")] == ["vpn"]
    assert _json(db_url, "search", "tok", "--whole-words") == []


def test_text_output_shows_titles_and_hostile_text_literally(
    db_url: str, store: Store, now: datetime
) -> None:
    with store.write() as session:
        articles.upsert_article(
            session,
            slug="evil",
            title="[bold]Evil[/bold] \x1b[31mred",
            body="evil token",
            tags=[],
            visibility=Visibility.internal,
            groups=[],
            now=now,
        )
    result = _kb(db_url, "search", "evil")
    assert result.exit_code == 0, result.output
    assert "[bold]Evil[/bold]" in result.stdout
    assert "\x1b[31m" not in result.stdout
    assert "no articles found" in _kb(db_url, "search", "nothing-like-this").stdout


def test_bad_input_is_one_error_line(db_url: str) -> None:
    for args in (
        ["search", " "],
        ["search", "x", "--visibility", "secret"],
        ["search", "x", "--limit", "0"],
    ):
        result = _kb(db_url, *args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("error: ")


def test_a_mistyped_word_finds_the_article_as_the_kb_spells_it(
    db_url: str, store: Store, now: datetime
) -> None:
    _seed(store, now)
    hits = _json(db_url, "search", "tonner cartridge")
    assert [h["slug"] for h in hits][:1] == ["toner"]
    snippet = hits[0]["snippet"]
    assert [snippet[s:e] for s, e in hits[0]["highlights"]] == ["toner", "cartridge"]


def test_a_respelled_word_is_said_above_the_results_and_in_json(
    db_url: str, store: Store, now: datetime
) -> None:
    _seed(store, now)
    result = _kb(db_url, "search", "replace tonre")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "searched as: tonre → toner"
    assert "Toner low" in result.stdout
    hits = _json(db_url, "search", "принетр")
    assert [(h["slug"], h["respelled"]) for h in hits] == [("printer", {"принетр": "принтер"})]
    assert _json(db_url, "search", "toner")[0]["respelled"] == {}
