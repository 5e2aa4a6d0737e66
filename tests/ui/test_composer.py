"""The composer under Pilot: reply versus note, templates, placeholders, KB, stale warning."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select
from textual.widgets import Input, OptionList, Static, TextArea

from dispatcher.domain.enums import MessageKind, Visibility
from dispatcher.screens.composer import ComposerScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import KbArticle, Message, OutboxItem, Ticket
from dispatcher.store.replies import templates
from dispatcher.store.tickets import writes
from tests.factories import World, new_ticket, world
from tests.ui.harness import screen_context, settle
from tests.ui.kb_helpers import Host, add_article, add_filler

HOSTILE = "[@click=app.quit]Click[/] [bold red]loud[/] \x1b[31mred"


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _host(store: Store, ticket: Ticket, kind: MessageKind, login: str = "olga") -> Host:
    assert ticket.id is not None
    context = screen_context(store, login)
    return Host(
        lambda: ComposerScreen(
            context,
            ticket_id=ticket.id or 0,
            kind=kind,
            opened_version=ticket.version,
        )
    )


def _text(screen: ComposerScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _messages(store: Store, ticket_id: int) -> list[Message]:
    with store.read() as session:
        return [m for m in writes.messages(session, ticket_id=ticket_id) if m.kind != "inbound"]


def _outbox(store: Store) -> list[OutboxItem]:
    """Queued replies (creating a ticket may queue its acknowledgement: not ours)."""
    with store.read() as session:
        return list(session.exec(select(OutboxItem).where(OutboxItem.kind == "reply")).all())


async def test_a_reply_names_its_recipient_and_is_queued(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    ticket = new_ticket(store, w, now=now, subject="VPN down")
    app = _host(store, ticket, MessageKind.reply)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        assert screen.query_one("#composer").has_class("-reply")
        assert "To: Anna Client <anna@acme.example>" in _text(screen, "#composer-recipients")
        screen.query_one(TextArea).text = "Hello Anna, fixed."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [True]
    (sent,) = _messages(store, ticket.id or 0)
    assert (sent.kind, sent.body) == (MessageKind.reply, "Hello Anna, fixed.")
    (mail,) = _outbox(store)
    assert mail.kind == "reply"
    assert mail.to_addresses == "anna@acme.example"
    assert mail.subject == f"[#{ticket.id}] Re: VPN down"
    assert mail.message_row_id == sent.id
    with store.read() as session:
        after = session.get(Ticket, ticket.id)
        assert after is not None
        assert after.first_responded_at is not None  # the first response is met


async def test_a_note_looks_different_and_is_never_queued(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    app = _host(store, ticket, MessageKind.note)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        assert screen.query_one("#composer").has_class("-note")
        assert not screen.query_one("#composer").has_class("-reply")
        assert "only the team" in _text(screen, "#composer-recipients")
        assert not screen.query_one("#subject", Input).display
        screen.query_one(TextArea).text = "Checked the router."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [True]
    (note,) = _messages(store, ticket.id or 0)
    assert note.kind == MessageKind.note
    assert _outbox(store) == []
    with store.read() as session:
        after = session.get(Ticket, ticket.id)
        assert after is not None
        assert after.first_responded_at is None


async def test_a_template_is_picked_by_fuzzy_search_and_previewed(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    ticket = new_ticket(store, w, now=now, subject="VPN down")
    with store.write() as session:
        for name in ("acknowledgement", "vpn-reset-howto", "printer"):
            templates.add_template(
                session,
                name=name,
                subject="About {{ ticket.subject }}",
                body=f"{name}: hello {{{{ contact.name }}}} from {{{{ sender.name }}}}",
                now=now,
            )
    app = _host(store, ticket, MessageKind.reply)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        await pilot.press("f3")
        await pilot.press(*"vpnrs")
        assert [t.name for t in screen.shown_templates] == ["vpn-reset-howto"]
        await pilot.press("enter")
        await settle(pilot)  # rendered once, into the body and the subject
        assert screen.query_one(TextArea).text == (
            "vpn-reset-howto: hello Anna Client from Olga Dispatcher"
        )
        assert screen.query_one("#subject", Input).value == "About VPN down"
        await pilot.press("f2")
        assert "hello Anna Client from Olga Dispatcher" in _text(screen, "#preview")
        assert "Subject: About VPN down" in _text(screen, "#preview")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [True]
    (mail,) = _outbox(store)
    assert mail.subject == f"[#{ticket.id}] About VPN down"
    with store.read() as session:
        assert templates.get_template(session, name="vpn-reset-howto").uses == 1


async def test_a_template_with_a_missing_placeholder_is_refused_by_name(
    store: Store, w: World
) -> None:
    now = datetime.now(UTC)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        templates.add_template(
            session, name="link", body="Hi {{ contact.name }}, see {{ article.url }}", now=now
        )
    app = _host(store, ticket, MessageKind.reply)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        screen.query_one(TextArea).text = "kept"
        await pilot.press("f3", "enter")
        await settle(pilot)
        assert "article.url" in _text(screen, "#composer-status")  # no article inserted
        assert screen.query_one(TextArea).text == "kept"
        assert app.results == []
    assert _messages(store, ticket.id or 0) == []


@pytest.mark.parametrize("kind", [MessageKind.note, MessageKind.reply])
async def test_what_is_typed_is_never_evaluated(store: Store, w: World, kind: MessageKind) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    typed = "{{ 1/0 }} {{ 10**(10**10) }} {% for a in range(10**9) %}x{% endfor %}"
    app = _host(store, ticket, kind)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        await pilot.click("#body")
        await pilot.press(*"{{ 1/0 }}")
        assert screen.query_one(TextArea).text == "{{ 1/0 }}"
        await pilot.press("f2")  # the preview shows the text itself
        assert "{{ 1/0 }}" in _text(screen, "#preview")
        screen.query_one(TextArea).text = typed
        if kind == MessageKind.reply:
            screen.query_one("#subject", Input).value = "{{ 1/0 }}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [True]  # the console is alive and the message is stored
    (sent,) = _messages(store, ticket.id or 0)
    assert sent.body == typed
    if kind == MessageKind.reply:
        (mail,) = _outbox(store)
        assert (mail.subject, mail.body) == (f"[#{ticket.id}] {{{{ 1/0 }}}}", typed)


async def test_new_messages_since_opening_warn_then_send_anyway(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    ticket = new_ticket(store, w, now=now)
    app = _host(store, ticket, MessageKind.reply)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        with store.write() as session:  # the client writes again meanwhile, twice
            for body in ("Any news?", "Hello?"):
                writes.add_message(
                    session,
                    ticket_id=ticket.id or 0,
                    kind=MessageKind.inbound,
                    body=body,
                    actor_id=None,
                    now=now,
                )
        screen.query_one(TextArea).text = "Working on it."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "2 new messages since you opened" in _text(screen, "#composer-warning")
        assert _messages(store, ticket.id or 0) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [True]
    assert [m.body for m in _messages(store, ticket.id or 0)] == ["Working on it."]


async def test_only_public_articles_go_into_a_reply_and_uses_count(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    add_filler(store, now)
    public = add_article(
        store,
        now,
        "vpn-public",
        "VPN token reset",
        "Reset the token.",
        visibility=Visibility.public,
    )
    add_article(store, now, "vpn-internal", "VPN token internals", "Server side token.")
    ticket = new_ticket(store, w, now=now, subject="VPN token expired", body="token")
    app = _host(store, ticket, MessageKind.reply)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        assert bool(screen.hits)
        assert [h.slug for h in screen.hits] == ["vpn-public"]  # suggested, public only
        prompt = str(screen.query_one("#article-list", OptionList).get_option_at_index(0).prompt)
        assert prompt.splitlines()[1].strip().startswith("matched: ")  # why it is suggested
        assert "token" in prompt.splitlines()[1]
        await pilot.press("f4")
        await pilot.press(*"token")
        screen.article_search.flush()  # the pause in typing (a timer in the console)
        await settle(pilot)
        assert screen.query_one("#article-list", OptionList).option_count == 1
        await pilot.press("f5")
        await settle(pilot)
        assert "kb:vpn-public" in screen.query_one(TextArea).text
        screen.query_one(TextArea).insert("Typed: {{ article.url }}")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == [True]
    (sent,) = _messages(store, ticket.id or 0)
    assert "VPN token reset: kb:vpn-public" in sent.body
    assert "Typed: {{ article.url }}" in sent.body  # typed text is not a template
    with store.read() as session:
        article = session.get(KbArticle, public)
        assert article is not None
        assert article.uses == 1


async def test_a_note_may_take_internal_articles(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    add_filler(store, now)
    add_article(store, now, "vpn-internal", "VPN token internals", "Server side token.")
    ticket = new_ticket(store, w, now=now, subject="VPN token expired", body="token")
    app = _host(store, ticket, MessageKind.note)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        assert bool(screen.hits)
        await pilot.press("f8")
        await settle(pilot)
        assert "Server side token." in screen.query_one(TextArea).text


async def test_hostile_text_is_shown_literally(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC), subject=HOSTILE)
    app = _host(store, ticket, MessageKind.reply)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await settle(pilot)
        assert screen.info is not None
        header = _text(screen, "#composer-recipients")
        assert "[@click=app.quit]Click[/]" in header
        assert "\x1b" not in header
        await pilot.press("escape")
        await settle(pilot)
        assert app.results == [False]
