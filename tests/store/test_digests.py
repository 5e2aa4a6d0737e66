"""Reports by mail: the weekly KPI digest and a client's monthly report, scheduled, queued
once per period, delivered to a real SMTP server, in the recipient's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from dispatcher.domain.enums import ContactPointKind, MessageKind, Priority, TicketStatus
from dispatcher.domain.errors import ValidationError
from dispatcher.notify.sender import SmtpAccount, deliver_due
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import outbox
from dispatcher.store.models import (
    Client,
    Contact,
    ContactPoint,
    Contract,
    OutboxItem,
    ReportRun,
    ReportSchedule,
)
from dispatcher.store.reports import digest_text, digests
from dispatcher.store.tickets import writes as repo
from tests.factories import World, world
from tests.notify.smtp import smtp_server

T0 = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)  # Monday of ISO week 2026-W47
MOSCOW = ZoneInfo("Europe/Moscow")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _client(session: Session, w: World, name: str, person: str, address: str) -> tuple[int, int]:
    client = Client(name=name)
    session.add(client)
    session.flush()
    assert client.id is not None
    contact = Contact(client_id=client.id, name=person)
    session.add(contact)
    session.flush()
    assert contact.id is not None
    session.add(
        ContactPoint(
            contact_id=contact.id, kind=ContactPointKind.email, value=address, display=address
        )
    )
    session.add(
        Contract(
            number=f"C-{client.id}",
            client_id=client.id,
            sla_plan_id=w.plan.id or 0,
            valid_from=date(2026, 1, 1),
        )
    )
    session.flush()
    return client.id, contact.id


def _ticket(
    store: Store,
    w: World,
    *,
    client_id: int | None,
    contact_id: int | None,
    subject: str,
    at: datetime,
    resolve_after: timedelta | None,
) -> int:
    with store.write() as session:
        ticket = repo.create_ticket(
            session,
            data=repo.NewTicket(
                subject=subject,
                body="details",
                client_id=client_id,
                contact_id=contact_id,
                priority=Priority.high,
                queue_id=w.queue.id,
                category_id=w.category.id,
            ),
            actor_id=w.dispatcher.id,
            now=at,
        )
        assert ticket.id is not None
        tid = ticket.id
    with store.write() as session:
        repo.assign(
            session,
            ticket_id=tid,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=at + timedelta(minutes=5),
        )
        repo.add_message(
            session,
            ticket_id=tid,
            kind=MessageKind.reply,
            body="on it",
            actor_id=w.engineer.id,
            now=at + timedelta(minutes=10),
        )
    if resolve_after is not None:
        with store.write() as session:
            repo.change_status(
                session,
                ticket_id=tid,
                expected_version=None,
                actor_id=w.engineer.id,
                status=TicketStatus.resolved,
                now=at + resolve_after,
            )
    return tid


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


@pytest.fixture
def clients(store: Store, w: World) -> dict[str, tuple[int, int]]:
    """Acme (the world's), Globex (another English client), Ромашка (a Russian one)."""
    with store.write() as session:
        globex = _client(session, w, "Globex", "Hank Scorpio", "hank@globex.example")
        romashka = _client(session, w, "Ромашка", "Иван Петров", "ivan@romashka.example")
    acme = (w.client.id or 0, w.contact.id or 0)
    # Acme: one fast, one late (premium plan, high: resolution within 480 minutes).
    _ticket(
        store,
        w,
        client_id=acme[0],
        contact_id=acme[1],
        subject="Acme VPN is down",
        at=T0,
        resolve_after=timedelta(minutes=60),
    )
    _ticket(
        store,
        w,
        client_id=acme[0],
        contact_id=acme[1],
        subject="Acme printer jams",
        at=T0 + timedelta(hours=1),
        resolve_after=timedelta(hours=20),
    )
    _ticket(
        store,
        w,
        client_id=globex[0],
        contact_id=globex[1],
        subject="Globex secret merger mailbox",
        at=T0 + timedelta(hours=2),
        resolve_after=timedelta(hours=30),
    )
    _ticket(
        store,
        w,
        client_id=romashka[0],
        contact_id=romashka[1],
        subject="Не работает принтер",
        at=T0 + timedelta(hours=3),
        resolve_after=None,
    )
    # The week before, for the comparison.
    _ticket(store, w, client_id=acme[0], contact_id=acme[1], subject="Acme old one",
            at=T0 - timedelta(days=5), resolve_after=timedelta(minutes=30))  # fmt: skip
    return {"acme": acme, "globex": globex, "romashka": romashka}


def _only_reports(store: Store) -> None:
    """Drop the tickets' own notifications, so the sink gets the reports alone."""
    with store.write() as session:
        for item in session.exec(select(OutboxItem)).all():
            if item.kind not in ("kpi_digest", "client_report"):
                session.delete(item)


def _run(store: Store, at: datetime) -> digests.RunResult:
    with store.write() as session:
        return digests.run_due(session, now=at)


def _outbox(store: Store, kind: str) -> list[OutboxItem]:
    with store.read() as session:
        return list(session.exec(select(OutboxItem).where(OutboxItem.kind == kind)).all())


def _schedule(store: Store, **kwargs: str | list[str]) -> int:
    """A schedule made on Tuesday 17 Nov 2026 (after that week's Monday firing)."""
    with store.write() as session:
        schedule = digests.add_schedule(session, now=T0 + timedelta(days=1), **kwargs)  # type: ignore[arg-type]
        assert schedule.id is not None
        return schedule.id


def test_when_a_schedule_fires_and_which_period_it_reports() -> None:
    monday = digests.parse_when("Mon 08:00", weekly=True)
    assert monday.spec == "mon 08:00"
    assert digests.parse_when("пн 8:00", weekly=True) == monday
    # Monday 23 Nov 2026, 07:59 Moscow: the digest of that Monday has not fired yet.
    early = datetime(2026, 11, 23, 4, 59, tzinfo=UTC)
    fire = digests.last_fire(monday, zone=MOSCOW, now=early)
    assert fire == datetime(2026, 11, 16, 5, 0, tzinfo=UTC)
    assert digests.period_before(monday, fire=fire, zone=MOSCOW).key == "2026-W46"
    fire = digests.last_fire(monday, zone=MOSCOW, now=early + timedelta(minutes=1))
    rp = digests.period_before(monday, fire=fire, zone=MOSCOW)
    assert rp.key == "2026-W47"
    assert rp.period.start == datetime(2026, 11, 15, 21, 0, tzinfo=UTC)  # Mon 00:00 MSK
    assert (rp.first_day, rp.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    first = digests.parse_when("1st 09:00", weekly=False)
    assert digests.parse_when("1 09:00", weekly=False) == first
    fire = digests.last_fire(first, zone=UTC, now=datetime(2026, 1, 1, 8, 0, tzinfo=UTC))
    assert fire == datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
    rp = digests.period_before(first, fire=fire, zone=UTC)
    assert rp.key == "2025-11"
    assert rp.period.end == datetime(2025, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "weekly"),
    [("someday 08:00", True), ("mon 25:00", True), ("mon", True), ("31st 09:00", False),
     ("0 09:00", False), ("1st 9", False), ("", False)],
)  # fmt: skip
def test_bad_times_are_refused(text: str, weekly: bool) -> None:
    with pytest.raises(ValidationError, match="--at"):
        digests.parse_when(text, weekly=weekly)


def test_the_weekly_digest_lands_once_in_a_real_smtp_sink(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    _schedule(store, kind=digests.WEEKLY_DIGEST, at="mon 08:00", to=["leads"])
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert _run(store, monday - timedelta(hours=2)).queued == []  # not yet 08:00
    first = _run(store, monday)
    assert [(period, mails) for _, period, mails in first.queued] == [("2026-W47", 1)]
    # Run again, and from a second console on the same database: still one digest.
    assert _run(store, monday + timedelta(minutes=1)).queued == []
    second = Store.open(store.url)
    try:
        assert _run(second, monday + timedelta(hours=3)).queued == []
    finally:
        second.dispose()
    [item] = _outbox(store, "kpi_digest")
    assert item.to_addresses == "lena@example.com"
    _only_reports(store)
    with smtp_server() as (server, port):
        result = deliver_due(store, SmtpAccount(host="127.0.0.1", port=port), clock=Clock(monday))
    assert result.sent == [item.id]
    [mail] = server.messages
    assert server.envelopes == [["lena@example.com"]]
    assert mail["Subject"] == "KPI digest: week 2026-W47"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_content()
    assert "KPI digest for the week 2026-W47 (2026-11-16 – 2026-11-22, UTC)" in body
    created = next(line for line in body.splitlines() if line.startswith("Tickets created"))
    assert created.split()[2:] == ["4", "1", "+3"]  # this week, last week, change
    assert "By queue" in body
    assert "Support" in body  # the queue
    assert "ivan" in body  # the engineer
    assert "under 1 day:" in body
    # The next week's digest is its own.
    assert [p for _, p, _ in _run(store, monday + timedelta(days=7)).queued] == ["2026-W48"]


def test_a_missed_period_is_caught_up_once_and_old_ones_are_not(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    """A console down for three weeks mails the latest digest when it starts, not three."""
    with store.write() as session:
        digests.add_schedule(
            session, kind=digests.WEEKLY_DIGEST, at="mon 08:00", to=["leads"], now=T0
        )
    result = _run(store, T0 + timedelta(days=22))
    assert [p for _, p, _ in result.queued] == ["2026-W49"]
    # A schedule made after this week's firing waits for the next one.
    assert _run(store, T0 + timedelta(days=22, hours=1)).queued == []


def test_a_period_claimed_by_another_console_queues_nothing(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    """The race: the other console's run row commits between our check and our insert."""
    schedule_id = _schedule(store, kind=digests.WEEKLY_DIGEST, at="mon 08:00")
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with store.write() as session:
        session.add(ReportRun(schedule_id=schedule_id, period="2026-W47", queued_at=monday))
    with store.write() as session:
        schedule = session.get(ReportSchedule, schedule_id)
        assert schedule is not None
        when = digests.parse_when(schedule.at, weekly=True)
        rp = digests.period_before(when, fire=monday, zone=UTC)
        queued = digests._queue(session, schedule=schedule, rp=rp, zone=UTC, now=monday)
    assert queued is None
    assert _outbox(store, "kpi_digest") == []


def test_a_client_report_holds_only_that_clients_tickets_and_names(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    _schedule(store, kind=digests.CLIENT_REPORT, client="Acme", at="1st 09:00")
    december = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert [(p, n) for _, p, n in _run(store, december).queued] == [("2026-11", 1)]
    [item] = _outbox(store, "client_report")
    assert item.to_addresses == "anna@acme.example"
    _only_reports(store)
    with smtp_server() as (server, port):
        deliver_due(store, SmtpAccount(host="127.0.0.1", port=port), clock=Clock(december))
    [mail] = server.messages
    assert server.envelopes == [["anna@acme.example"]]
    assert mail["Subject"] == "Service report: Acme, 2026-11"
    body = mail.get_content()
    assert "Service report for Acme: November 2026" in body
    assert "contract C-1, plan premium" in body
    assert "Acme printer jams" in body  # missed its resolution target
    assert "Acme VPN is down" not in body  # met every target
    for stranger in ("Globex", "Hank", "merger", "Ромашка", "принтер", "Иван", "ivan"):
        assert stranger not in body
        assert stranger not in mail["Subject"]
    resolution = next(line for line in body.splitlines() if line.startswith("resolution"))
    assert resolution.split()[1:] == ["66.7", "%", "2", "of", "3"]


def test_a_russian_client_gets_its_report_in_russian(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    _schedule(store, kind=digests.CLIENT_REPORT, client="Ромашка", at="1st 09:00")
    _run(store, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    [item] = _outbox(store, "client_report")
    assert item.to_addresses == "ivan@romashka.example"
    assert item.subject == "Отчёт об обслуживании: Ромашка, 2026-11"
    assert "ноябрь 2026" in item.body
    assert "Создано обращений" in item.body
    assert "Acme" not in item.body
    assert "Globex" not in item.body


def test_a_client_report_goes_only_to_the_clients_own_people(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    with store.write() as session, pytest.raises(ValidationError, match="its own people"):
        digests.add_schedule(
            session,
            kind=digests.CLIENT_REPORT,
            client="Acme",
            at="1st 09:00",
            to=["hank@globex.example"],
            now=T0,
        )
    with store.write() as session, pytest.raises(ValidationError, match="needs --client"):
        digests.add_schedule(session, kind=digests.CLIENT_REPORT, at="1st 09:00", now=T0)


def test_the_lead_digest_in_russian_for_a_russian_lead(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    with store.write() as session:
        lead = session.get(type(w.lead), w.lead.id)
        assert lead is not None
        lead.name = "Елена Руководитель"
        session.add(lead)
    _schedule(store, kind=digests.WEEKLY_DIGEST, at="mon 08:00")
    _run(store, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    [item] = _outbox(store, "kpi_digest")
    assert item.subject == "Сводка KPI: неделя 2026-W47"
    assert "Создано обращений" in item.body
    assert "По инженерам" in item.body


def test_hostile_names_print_as_text() -> None:
    assert (
        digest_text.plain("\x1b[31mred\x1b[0m [b]bold[/b]\nnext") == "[31mred[0m [b]bold[/b] next"
    )
    assert digest_text.guess_language(["Иван Петров", "Acme"]) == "ru"
    assert digest_text.guess_language(["Anna Smith", "Acme Industries"]) == "en"
    assert digest_text.minutes(95, "en") == "1 h 35 min"
    assert digest_text.minutes(95, "ru") == "1 ч 35 мин"
    assert digest_text.percent(0.6667, "ru") == "66,7 %"


def test_removing_a_schedule_stops_it(
    store: Store, w: World, clients: dict[str, tuple[int, int]]
) -> None:
    schedule_id = _schedule(store, kind=digests.WEEKLY_DIGEST, at="mon 08:00")
    _run(store, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    with store.read() as session:
        [view] = digests.list_schedules(session)
    assert view.last_period == "2026-W47"
    with store.write() as session:
        digests.remove_schedule(session, schedule_id=schedule_id)
    assert _run(store, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)).queued == []
    with store.read() as session:
        assert digests.list_schedules(session) == []
        assert outbox.items(session)  # what was queued stays queued
