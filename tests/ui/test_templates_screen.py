"""The templates screen under Pilot: leads write, everyone browses and previews; the
composer links articles to the public KB address when one is set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.text import Text
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static, TextArea

from dispatcher.config import load_settings
from dispatcher.domain.enums import Channel, MessageKind, Visibility
from dispatcher.screens.composer import ComposerScreen
from dispatcher.screens.dialogs.editor import EditorScreen
from dispatcher.screens.templates import TemplatesScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.replies import templates
from dispatcher.store.replies.templates import TemplateInfo
from tests.factories import World, new_ticket, world
from tests.ui.harness import screen_context, settle
from tests.ui.kb_helpers import Host, add_article
from tests.ui.queue_helpers import console

HOSTILE = "[@click=app.quit]Click[/] [bold red]loud[/] \x1b[31mred"


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _host(store: Store, login: str) -> Host:
    context = screen_context(store, login)
    return Host(lambda: TemplatesScreen(context))


def _stored(store: Store) -> dict[str, TemplateInfo]:
    with store.read() as session:
        return {t.name: t for t in templates.list_templates(session, include_inactive=True)}


def _add(store: Store, name: str, body: str, subject: str = "") -> None:
    with store.write() as session:
        templates.add_template(
            session, name=name, subject=subject, body=body, now=datetime.now(UTC)
        )


def _top(app: Host) -> Screen[Any]:
    """The screen on top now (a function, so an earlier check does not narrow it)."""
    return app.screen


def _templates_screen(app: Host) -> TemplatesScreen:
    screen = app.screen
    assert isinstance(screen, TemplatesScreen)
    return screen


def _preview(screen: TemplatesScreen) -> str:
    return str(screen.query_one("#templates-preview", Static).render())


def _editor_status(editor: EditorScreen) -> str:
    return str(editor.query_one("#editor-message", Static).render())


def _fill(editor: EditorScreen, **values: str) -> None:
    for name, value in values.items():
        if name == "body":
            editor.query_one("#editor-body", TextArea).text = value
        else:
            editor.query_one(f"#field-{name}", Input).value = value


async def test_a_lead_creates_edits_previews_and_deactivates(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC), subject="VPN down")
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = _templates_screen(app)
        screen.query_one(OptionList).focus()
        await pilot.press("n")
        editor = _top(app)
        assert isinstance(editor, EditorScreen)
        _fill(
            editor,
            name="vpn reply",
            category="network",
            channel="email",
            subject="Re: {{ ticket.subject }}",
            body="Hello {{ contact.name }}, {{ ticket.ref }} is with us.",
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert len(screen.shown) == 1
        made = _stored(store)["vpn reply"]
        assert (made.category, made.channel, made.active) == ("Network", Channel.email, True)
        # previewed against the most recent active ticket, with its values
        await settle(pilot)
        assert screen.rendered is not None
        assert f"Preview against #{ticket.id}" in _preview(screen)
        assert "Re: VPN down" in _preview(screen)
        assert f"Hello Anna Client, #{ticket.id} is with us." in _preview(screen)

        await pilot.press("e")
        editor = _top(app)
        assert isinstance(editor, EditorScreen)
        assert editor.query_one("#field-name", Input).value == "vpn reply"
        _fill(editor, body="Dear {{ client.name }}: {{ ticket.ref }} is solved.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "solved" in _preview(screen)
        assert "Dear Acme" in _preview(screen)
        assert _stored(store)["vpn reply"].body.startswith("Dear {{ client.name }}")

        await pilot.press("d")
        await settle(pilot)
        assert not _stored(store)["vpn reply"].active
        assert screen.current is not None
        assert not screen.current.active
        assert "deactivated" in str(screen.query_one("#templates-status", Static).render())
        await pilot.press("d")
        await settle(pilot)
        assert _stored(store)["vpn reply"].active


async def test_a_named_ticket_previews_and_missing_values_show_as_errors(
    store: Store, w: World
) -> None:
    first = new_ticket(store, w, now=datetime.now(UTC), subject="Printer jam")
    new_ticket(store, w, now=datetime.now(UTC), subject="Later ticket")
    _add(store, "escalated", "Your case is with {{ escalation.vendor }}.")
    _add(store, "plain", "Ticket {{ ticket.subject }}.")
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        await settle(pilot)
        assert screen.preview_error is not None  # "escalated" sorts first
        pane = screen.query_one("#templates-preview", Static)
        assert pane.has_class("-error")
        assert "escalation.vendor" in _preview(screen)
        screen.query_one("#templates-ticket", Input).value = f"#{first.id}"
        screen.query_one(OptionList).focus()
        await pilot.press("down")
        await settle(pilot)
        assert "Ticket Printer jam." in _preview(screen)
        assert not pane.has_class("-error")


async def test_the_filter_is_fuzzy(store: Store, w: World) -> None:
    for name in ("printer reset", "vpn token", "password change"):
        _add(store, name, "Hello {{ contact.name }}")
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        await settle(pilot)
        assert len(screen.shown) == 3
        await pilot.press(*"vtk")
        await settle(pilot)
        assert [t.name for t in screen.shown] == ["vpn token"]


@pytest.mark.parametrize(
    ("body", "named"),
    [("Hi {{ contcat.name }}", "contcat"), ("Due {{ ticket.due_tomorrow }}", "ticket.due")],
)
async def test_an_unknown_placeholder_is_refused(
    store: Store, w: World, body: str, named: str
) -> None:
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        screen.query_one(OptionList).focus()
        await pilot.press("n")
        editor = _top(app)
        assert isinstance(editor, EditorScreen)
        _fill(editor, name="broken", body=body)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "placeholder" in _editor_status(editor)
        assert named in _editor_status(editor)
        assert app.screen is editor  # still open, nothing lost
    assert _stored(store) == {}


async def test_a_stale_edit_is_refused(store: Store, w: World) -> None:
    _add(store, "greeting", "Hello {{ contact.name }}")
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        await settle(pilot)
        assert screen.current is not None
        screen.query_one(OptionList).focus()
        await pilot.press("e")
        editor = _top(app)
        assert isinstance(editor, EditorScreen)
        with store.write() as session:  # another lead saves meanwhile
            templates.edit_template(
                session,
                name="greeting",
                body="Hi {{ contact.name }}",
                now=datetime.now(UTC) + timedelta(seconds=5),
            )
        _fill(editor, body="Mine {{ contact.name }}")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "someone else" in _editor_status(editor)
        assert "saved again at" in _editor_status(editor)
        assert app.screen is editor
    assert _stored(store)["greeting"].body == "Hi {{ contact.name }}"


async def test_a_dispatcher_browses_and_previews_but_cannot_edit(store: Store, w: World) -> None:
    new_ticket(store, w, now=datetime.now(UTC), subject="VPN down")
    _add(store, "greeting", "Hello {{ contact.name }}")
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        await settle(pilot)
        assert screen.rendered is not None
        for action in ("new", "edit", "toggle_active"):
            assert screen.check_action(action, ()) is False
        screen.query_one(OptionList).focus()
        for key in ("n", "e", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        footer_keys = {b.binding.key for b in screen.active_bindings.values()}
        assert "slash" in footer_keys
    assert _stored(store)["greeting"].active


async def test_a_lead_sees_edit_keys_enabled_only_with_a_template(store: Store, w: World) -> None:
    app = _host(store, "lena")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        await settle(pilot)
        assert screen.query_one("#templates-count", Static).render() != ""
        assert screen.check_action("new", ()) is True
        assert screen.check_action("edit", ()) is None  # shown, disabled: nothing selected


async def test_hostile_template_names_are_inert(store: Store, w: World) -> None:
    new_ticket(store, w, now=datetime.now(UTC), subject="VPN down")
    _add(store, HOSTILE, "Literal " + HOSTILE.replace("\x1b", ""), subject="x")
    app = _host(store, "olga")
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        await settle(pilot)
        assert screen.rendered is not None
        prompt = screen.query_one(OptionList).get_option_at_index(0).prompt
        assert isinstance(prompt, Text)
        assert "[@click=app.quit]Click[/] [bold red]loud[/]" in prompt.plain
        assert "\x1b" not in prompt.plain
        assert "Literal [@click=app.quit]Click[/] [bold red]loud[/]" in _preview(screen)
    assert app.return_code is None or app.return_code == 0


async def test_f6_opens_the_templates_screen(store: Store, w: World) -> None:
    app = console(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, TemplatesScreen)


# --- kb_url: article links ---------------------------------------------------------------


async def test_the_composer_links_articles_to_the_public_kb(
    store: Store, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPATCHER_KB_URL", "https://help.example.com/kb/")
    settings = load_settings()
    assert settings.kb_url == "https://help.example.com/kb"
    now = datetime.now(UTC)
    add_article(store, now, "net/vpn", "VPN token reset", "Reset.", visibility=Visibility.public)
    ticket = new_ticket(store, w, now=now, subject="VPN token expired", body="token")
    context = screen_context(store, "olga", settings=settings)
    app = Host(
        lambda: ComposerScreen(
            context,
            ticket_id=ticket.id or 0,
            kind=MessageKind.reply,
            opened_version=ticket.version,
        )
    )
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        assert bool(screen.hits)
        await pilot.press("f4", *"token", "enter")  # Enter searches at once
        await settle(pilot)
        assert screen.query_one("#article-list", OptionList).option_count == 1
        await pilot.press("f5")
        await settle(pilot)
        assert "VPN token reset:" in screen.query_one(TextArea).text
        assert "https://help.example.com/kb/net/vpn" in screen.query_one(TextArea).text
        assert [link.url for link in screen.links] == ["https://help.example.com/kb/net/vpn"]
