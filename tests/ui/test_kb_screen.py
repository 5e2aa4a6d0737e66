"""The KB screen under Pilot: search as you type, filters, preview, votes, leads write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import Input, Markdown, OptionList, Static, TextArea

from dispatcher.domain.enums import ArticleStatus, MessageKind, TicketStatus, Visibility
from dispatcher.screens.dialogs.editor import EditorScreen
from dispatcher.screens.kb import KbScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import articles
from dispatcher.store.models import KbArticle
from dispatcher.store.tickets import writes
from tests.factories import World, new_ticket, world
from tests.ui.harness import screen_context, settle
from tests.ui.kb_helpers import Host, add_article, add_filler

HOSTILE = "[@click=app.quit]Click[/] \x1b[31mred"


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _host(store: Store, login: str) -> Host:
    context = screen_context(store, login)
    return Host(lambda: KbScreen(context))


def _slugs(screen: KbScreen) -> list[str]:
    return [row.slug for row in screen.rows]


def _status(screen: KbScreen) -> str:
    return str(screen.query_one("#kb-status", Static).render())


async def test_typing_searches_word_forms_with_debounce(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    add_filler(store, now)
    add_article(store, now, "printer", "Принтер не печатает", "Переустановите драйвер.")
    add_article(store, now, "vpn", "VPN token", "Reset the token.", visibility=Visibility.public)
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await settle(pilot)
        assert len(screen.rows) == 7  # the empty query lists articles
        before = screen.searches
        await pilot.press(*"принтеры")
        await settle(pilot)
        assert screen.searches == before  # typing alone searches nothing: it waits
        assert screen.typing.pending
        screen.typing.flush()  # the pause in typing (a timer in the console) comes
        await settle(pilot)
        assert _slugs(screen) == ["printer"]
        assert screen.searches == before + 1  # eight keys, one search
        assert screen.current is not None
        assert screen.current.slug == "printer"
        screen.query_one("#kb-query", Input).value = ""
        await pilot.press(*"vpn tok", "enter")  # Enter searches at once
        await settle(pilot)
        assert _slugs(screen) == ["vpn"]
        assert screen.searches == before + 2
        assert not screen.typing.pending


async def test_a_mistyped_word_is_searched_as_the_knowledge_base_spells_it(
    store: Store, w: World
) -> None:
    now = datetime.now(UTC)
    add_filler(store, now)
    add_article(store, now, "printer", "Принтер не печатает", "Переустановите драйвер.")
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await settle(pilot)
        await pilot.press(*"принетр", "enter")  # no word starts so: a typo
        await settle(pilot)
        assert _slugs(screen) == ["printer"]
        assert _status(screen) == "1 article · searched as: принетр → принтер"
        screen.query_one("#kb-query", Input).value = ""
        await pilot.press("slash", *"принт", "enter")  # a word being typed is not respelled
        await settle(pilot)
        assert _slugs(screen) == ["printer"]
        assert _status(screen) == "1 article"


async def test_visibility_and_tag_filters(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    add_filler(store, now)
    add_article(store, now, "a", "Printer jam", "Tray.", visibility=Visibility.public)
    add_article(store, now, "b", "Printer firmware", "Flash.", tags=("firmware",))
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await pilot.press(*"printer")
        screen.typing.flush()
        await settle(pilot)
        assert sorted(_slugs(screen)) == ["a", "b"]
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("v")  # internal only
        await settle(pilot)
        assert _slugs(screen) == ["b"]
        await pilot.press("v")  # public only
        await settle(pilot)
        assert _slugs(screen) == ["a"]
        await pilot.press("v")  # all again
        await settle(pilot)
        assert sorted(_slugs(screen)) == ["a", "b"]
        await pilot.press("t")
        await settle(pilot)
        assert not isinstance(app.screen, KbScreen)
        await pilot.press(*"firm", "enter")
        await settle(pilot)
        assert _slugs(screen) == ["b"]
        assert "tag: firmware" in str(screen.query_one("#kb-filters", Static).render())


async def test_helpful_votes_count_and_hostile_titles_stay_text(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    article_id = add_article(store, now, "evil", HOSTILE, "Body **bold**.")
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await settle(pilot)
        assert screen.current is not None
        options = screen.query_one("#kb-results", OptionList)
        label = str(options.get_option_at_index(0).prompt)
        assert "[@click=app.quit]Click[/]" in label
        assert "\x1b" not in label
        options.focus()
        await pilot.press("plus")
        await settle(pilot)
        assert "1 helpful" in _status(screen)
        assert screen.current is not None
        assert screen.current.helpful_votes == 1  # the preview shows the count it made
        assert "helpful 1" in screen.query_one("#kb-article", Markdown).source
        assert app.is_running
    with store.read() as session:
        article = session.get(KbArticle, article_id)
        assert article is not None
        assert article.helpful_votes == 1


async def test_only_leads_write_articles(store: Store, w: World) -> None:
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await settle(pilot)
        assert screen.searches >= 1  # the first listing has set the status
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("n")
        assert "only leads" in _status(screen)
        assert isinstance(app.screen, KbScreen)


async def test_a_lead_creates_then_edits_an_article(store: Store, w: World) -> None:
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        editor = app.screen
        editor.query_one("#field-slug", Input).value = "net/vpn"
        editor.query_one("#field-title", Input).value = "VPN token"
        editor.query_one("#field-tags", Input).value = "vpn, token"
        editor.query_one("#field-visibility", Input).value = "public"
        editor.query_one("#editor-body", TextArea).text = "Reset the token."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
        assert "net/vpn" in _slugs(screen)
        assert screen.current is not None
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.query_one("#field-title", Input).value == "VPN token"
        app.screen.query_one("#editor-body", TextArea).text = "Reset the certificate."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
    with store.read() as session:
        article = articles.get_article(session, slug="net/vpn")
    assert (article.visibility, article.tags, article.version) == (
        Visibility.public,
        ("token", "vpn"),
        2,
    )
    assert article.body == "Reset the certificate."


async def test_a_draft_from_a_resolved_ticket_is_prefilled(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    ticket = new_ticket(store, w, now=now, subject="Printer prints blank pages")
    assert ticket.id is not None
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.reply,
            body="Replace the toner cartridge.",
            actor_id=w.engineer.id,
            now=now,
        )
        writes.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=now,
        )
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, KbScreen)
        await pilot.press(*f"#{ticket.id}", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        editor = app.screen
        assert editor.query_one("#field-title", Input).value == "Printer prints blank pages"
        assert "toner cartridge" in editor.query_one("#editor-body", TextArea).text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
    with store.read() as session:
        article = articles.get_article(session, slug=f"from-ticket-{ticket.id}")
    assert article.status == ArticleStatus.draft


async def test_a_second_lead_saving_a_stale_article_is_refused_and_keeps_the_text(
    store: Store, w: World
) -> None:
    now = datetime.now(UTC)
    add_filler(store, now)
    with store.write() as session:
        articles.upsert_article(
            session,
            slug="net/vpn",
            title="VPN token",
            body="Reset the token.",
            tags=["vpn"],
            visibility=Visibility.internal,
            groups=["second-line"],
            now=now,
        )
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await pilot.press(*"vpn")
        screen.typing.flush()
        await settle(pilot)
        assert screen.current is not None
        assert screen.current.slug == "net/vpn"
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        assert editor.query_one("#field-groups", Input).value == "second-line"
        # The other lead saves first, from the same version.
        with store.write() as session:
            articles.upsert_article(
                session,
                slug="net/vpn",
                title="VPN token",
                body="Lead one's fix.",
                tags=["vpn"],
                visibility=Visibility.internal,
                groups=["second-line"],
                now=now,
                expected_version=1,
            )
        editor.query_one("#editor-body", TextArea).text = "Lead two's fix."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is editor  # refused: the form stays, the text with it
        message = str(editor.query_one("#editor-message", Static).render())
        assert "was changed by someone else" in message
        assert editor.query_one("#editor-body", TextArea).text == "Lead two's fix."
    with store.read() as session:
        article = articles.get_article(session, slug="net/vpn")
    assert (article.body, article.groups, article.version) == (
        "Lead one's fix.",
        ("second-line",),
        2,
    )


async def test_the_editor_keeps_and_edits_the_groups(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    add_filler(store, now)
    with store.write() as session:
        articles.upsert_article(
            session,
            slug="net/vpn",
            title="VPN token",
            body="Reset the token.",
            tags=["vpn"],
            visibility=Visibility.internal,
            groups=["second-line"],
            now=now,
        )
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await pilot.press(*"vpn")
        screen.typing.flush()
        await settle(pilot)
        screen.query_one("#kb-results", OptionList).focus()
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.query_one("#editor-body", TextArea).text = "Reset the token twice."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
        await pilot.press("e")
        await settle(pilot)
        again = app.screen
        assert isinstance(again, EditorScreen)
        again.query_one("#field-groups", Input).value = "second-line, leads"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
    with store.read() as session:
        article = articles.get_article(session, slug="net/vpn")
    assert (article.body, article.groups, article.version) == (
        "Reset the token twice.",
        ("second-line", "leads"),
        3,
    )
