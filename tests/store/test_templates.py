"""Reply templates: CRUD, the sandbox, placeholders reported by name, the ticket's context."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatcher.domain.enums import EscalationTarget
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.domain.templating import TemplateError, UnknownPlaceholderError, render
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Escalation, Ticket
from dispatcher.store.replies import placeholders, templates
from dispatcher.store.replies.placeholders import KNOWN
from tests.factories import World, new_ticket, world

GREETING = (
    "Hello {{ contact.name }},\n\nyour request {{ ticket.ref }} ({{ ticket.subject }}) "
    "is with {{ engineer.name }}; answer by {{ ticket.first_response_due }}.\n"
    "-- {{ sender.name }}, for {{ client.name }}\n"
)


def _setup(store: Store, now: datetime) -> tuple[World, int]:
    w = world(store)
    ticket = new_ticket(store, w, now=now, subject="VPN down")
    assert ticket.id is not None
    return w, ticket.id


def test_add_list_show_edit_remove(store: Store, now: datetime) -> None:
    with store.write() as session:
        added = templates.add_template(
            session, name="  greeting ", subject="Re: {{ ticket.subject }}", body=GREETING, now=now
        )
        assert added.name == "greeting"
        templates.add_template(session, name="bye", body="Bye {{ contact.name }}", now=now)
        with pytest.raises(ConflictError):
            templates.add_template(session, name="greeting", body="x", now=now)
    with store.write() as session:
        assert [t.name for t in templates.list_templates(session)] == ["bye", "greeting"]
        changed = templates.edit_template(
            session, name="bye", new_name="farewell", active=False, now=now
        )
        assert (changed.name, changed.active) == ("farewell", False)
        assert [t.name for t in templates.list_templates(session)] == ["greeting"]
        everything = templates.list_templates(session, include_inactive=True)
        assert [t.name for t in everything] == ["farewell", "greeting"]
        assert templates.get_template(session, name="greeting").body == GREETING
        templates.remove_template(session, name="farewell")
        with pytest.raises(NotFoundError):
            templates.get_template(session, name="farewell")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("Hi {{ contcat.name }}", ["contcat"]),
        ("{{ nope }} and {{ never }}", ["never", "nope"]),
    ],
)
def test_unknown_placeholders_are_refused_when_saved(
    store: Store, now: datetime, body: str, named: list[str]
) -> None:
    with store.write() as session, pytest.raises(UnknownPlaceholderError) as caught:
        templates.add_template(session, name="bad", body=body, now=now)
    assert list(caught.value.names) == named
    for name in named:
        assert "{{ " + name + " }}" in str(caught.value)


def test_syntax_errors_name_the_line(store: Store, now: datetime) -> None:
    with store.write() as session, pytest.raises(ValidationError, match="line 2"):
        templates.add_template(session, name="bad", body="ok\n{% if %}", now=now)
    with store.write() as session, pytest.raises(ValidationError, match="empty"):
        templates.add_template(session, name="bad", body="  \n", now=now)


def test_preview_renders_the_tickets_context(store: Store, now: datetime) -> None:
    w, ticket_id = _setup(store, now)
    with store.write() as session:
        templates.add_template(
            session, name="greeting", subject="Re: {{ ticket.subject }}", body=GREETING, now=now
        )
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.sla_plan_id = w.default_plan.id  # the office calendar, Europe/Moscow
        ticket.first_response_due = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
        session.add(ticket)
    with store.read() as session:
        shown = templates.preview(
            session, name="greeting", ticket_id=ticket_id, sender_id=w.dispatcher.id
        )
    assert shown.subject == "Re: VPN down"
    assert shown.body == (
        f"Hello Anna Client,\n\nyour request #{ticket_id} (VPN down) is with Olga Dispatcher; "
        "answer by 2026-11-18 13:30 MSK.\n-- Olga Dispatcher, for Acme\n"
    )


def test_the_assignee_is_the_engineer(store: Store, now: datetime) -> None:
    w, ticket_id = _setup(store, now)
    with store.write() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.assignee_id = w.engineer.id
        session.add(ticket)
    with store.read() as session:
        context = placeholders.ticket_context(
            session, ticket_id=ticket_id, sender_id=w.dispatcher.id
        )
    assert render("{{ engineer.name }}/{{ sender.name }}", context, known=KNOWN) == (
        "Ivan Engineer/Olga Dispatcher"
    )
    assert render("{{ contact.email }}", context, known=KNOWN) == "anna@acme.example"


def test_a_placeholder_without_a_value_is_reported_never_blank(store: Store, now: datetime) -> None:
    w, ticket_id = _setup(store, now)
    source = "See {{ article.url }} ({{ escalation.vendor_ref }}) {{ ticket.nonsense }}"
    with store.read() as session:
        context = placeholders.ticket_context(session, ticket_id=ticket_id, sender_id=None)
    with pytest.raises(UnknownPlaceholderError) as caught:
        render(source, context, known=KNOWN)
    assert caught.value.names == ("article.url", "escalation.vendor_ref", "ticket.nonsense")
    # Testing for a value is fine: only rendering a missing one is an error.
    tested = "{% if article %}{{ article.url }}{% else %}-{% endif %}"
    assert render(tested, context, known=KNOWN) == "-"

    with store.write() as session:
        session.add(
            Escalation(
                ticket_id=ticket_id,
                target=EscalationTarget.vendor,
                vendor="Cisco",
                vendor_ref="SR-9",
            )
        )
    with store.read() as session:
        link = placeholders.article_link("net/vpn", "VPN token")
        context = placeholders.ticket_context(
            session, ticket_id=ticket_id, sender_id=None, articles=[link]
        )
    assert render(source.replace(" {{ ticket.nonsense }}", ""), context, known=KNOWN) == (
        "See kb:net/vpn (SR-9)"
    )


def test_fuzzy_rank_prefers_word_starts_and_runs(store: Store, now: datetime) -> None:
    with store.write() as session:
        for name in ("password-reset-ru", "printer-offline", "acknowledgement-en", "vpn-reset"):
            templates.add_template(session, name=name, body="x", now=now)
        rows = templates.list_templates(session)
    assert [t.name for t in templates.fuzzy_rank(rows, "pr")][0] == "printer-offline"
    assert [t.name for t in templates.fuzzy_rank(rows, "vpnr")] == ["vpn-reset"]
    assert "acknowledgement-en" not in [t.name for t in templates.fuzzy_rank(rows, "reset")]
    assert len(templates.fuzzy_rank(rows, "")) == 4


def test_the_tickets_language_comes_first(store: Store, now: datetime) -> None:
    with store.write() as session:
        templates.add_template(session, name="resolved-en", body="Fixed, please confirm.", now=now)
        templates.add_template(session, name="resolved-ru", body="Исправлено.", now=now)
        templates.add_template(session, name="ack-en", body="We have it.", now=now)
        rows = templates.list_templates(session)
    ru = [t.name for t in templates.fuzzy_rank(rows, "", language="ru")]
    assert ru[0] == "resolved-ru"
    assert [t.name for t in templates.fuzzy_rank(rows, "resolved", language="ru")] == [
        "resolved-ru",
        "resolved-en",
    ]
    assert [t.name for t in templates.fuzzy_rank(rows, "resolved", language="en")] == [
        "resolved-en",
        "resolved-ru",
    ]


def test_record_use_counts(store: Store, now: datetime) -> None:
    with store.write() as session:
        templates.add_template(session, name="t", body="x", now=now)
        templates.record_use(session, name="t")
        assert templates.get_template(session, name="t").uses == 1


def test_edit_refuses_a_stale_save_and_changes_category_and_channel(
    store: Store, now: datetime
) -> None:
    from dispatcher.domain.enums import Channel
    from dispatcher.domain.errors import StaleVersionError

    w = world(store)
    with store.write() as session:
        opened = templates.add_template(session, name="greeting", body="Hi", now=now)
    with store.write() as session:
        moved = templates.edit_template(
            session,
            name="greeting",
            category_id=w.category.id,
            channel="chat",
            expected_updated_at=opened.updated_at,
            now=now.replace(year=now.year + 1),
        )
        assert (moved.category, moved.channel) == ("Network", Channel.chat)
    with store.write() as session, pytest.raises(StaleVersionError, match="saved again at"):
        templates.edit_template(
            session, name="greeting", body="Mine", expected_updated_at=opened.updated_at, now=now
        )
    with store.write() as session:
        kept = templates.edit_template(session, name="greeting", category_id=None, now=now)
        assert (kept.body, kept.category, kept.channel) == ("Hi", None, Channel.chat)
        with pytest.raises(ValidationError, match="unknown channel"):
            templates.edit_template(session, name="greeting", channel="pigeon", now=now)


def test_a_field_unknown_in_a_known_namespace_is_refused_before_the_save(
    store: Store, now: datetime
) -> None:
    with pytest.raises(UnknownPlaceholderError, match=r"ticket\.nope"):
        templates.check_template(body="{{ ticket.nope }}")
    everything = (
        "{{ ticket.ref }} {{ client.name }} {{ contact.email }} {{ engineer.name }} "
        "{{ sender.name }} {{ article.url }} {{ escalation.vendor_ref }}"
        "{% for a in articles %}{{ a.title }}{% endfor %}"
    )
    templates.check_template(subject="{{ ticket.subject }}", body=everything)
    with store.write() as session:
        assert templates.add_template(session, name="all", body=everything, now=now).active


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{{ 10**(10**10) }}", "a number too large"),
        ("{% for a in range(10**9) %}x{% endfor %}", "a range too long"),
        ("{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}", "work"),
        ("{{ 'x' * 10**8 }}", "a text too long"),
        ("{{ 1/0 }}", "division by zero"),
    ],
)
def test_a_template_that_fails_is_refused_with_the_reason_within_the_budget(
    body: str, reason: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        templates.check_template(body=body)
    assert str(caught.value).startswith("body: ")
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_latest_active_ticket(store: Store, now: datetime) -> None:
    with store.read() as session:
        assert placeholders.latest_active_ticket(session) is None
    w, first = _setup(store, now)
    second = new_ticket(store, w, now=now.replace(year=now.year + 1), subject="later")
    with store.read() as session:
        assert placeholders.latest_active_ticket(session) == second.id != first


def test_article_links_follow_the_public_kb_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from dispatcher.config import ConfigError, load_settings

    assert placeholders.article_link("net/vpn", "VPN").url == "kb:net/vpn"
    link = placeholders.article_link("net/vpn token", "VPN", kb_url="https://help.example.com/kb/")
    assert link.url == "https://help.example.com/kb/net/vpn%20token"
    assert load_settings().kb_url is None
    monkeypatch.setenv("DISPATCHER_KB_URL", "ftp://nope")
    with pytest.raises(ConfigError, match="DISPATCHER_KB_URL"):
        load_settings()
