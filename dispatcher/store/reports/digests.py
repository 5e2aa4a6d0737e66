"""Reports by mail: the lead's weekly KPI digest and a client's monthly report.

A schedule (`report_schedule`) says what, to whom and when: `weekly-digest` to the leads
(or addresses) at `mon 08:00`, `client-report` for one client at `1st 09:00`, in the local
time of the schedule's zone. `run_due` is called by the scheduler of every console and of
`dispatcher watch` with the injected clock. For each schedule it takes the latest moment
the schedule fired (not before the schedule was made), the period that moment reports on
(the ISO week, or the calendar month, before it), and, unless that period was mailed
already, records the period in `report_run` (unique per schedule and period) and queues
one mail per recipient in the outbox, all in one transaction. A second run, or a second
console racing the first, finds the run row (or fails to insert it, on PostgreSQL) and
queues nothing: exactly one digest per period. A console that was down catches up on the
latest period when it starts, and does not mail the ones before it.

Each mail is in its recipient's language (`ru` or `en`): the schedule's, or, with `auto`,
the language of the recipient's name (a lead) or of the client's names and the subjects
of its mail (a client contact). A client report holds only that client's figures and
tickets; it goes only to that client's contacts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dispatcher.domain.calendar import load_zone
from dispatcher.domain.enums import ContactPointKind, Role, SlaTarget
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.domain.kpi.figures import FigureRef, Tally
from dispatcher.domain.kpi.groups import GroupBy
from dispatcher.store.clients.clients import resolve_client
from dispatcher.store.clients.contracts import check_client_contract
from dispatcher.store.mail import outbox
from dispatcher.store.models import (
    Client,
    Contact,
    ContactPoint,
    Message,
    ReportRun,
    ReportSchedule,
    SlaPlan,
    SlaPlanTarget,
    Ticket,
    User,
)
from dispatcher.store.reports import digest_text
from dispatcher.store.reports.kpi import Period, describe_tickets, figure_tickets, kpi_report

WEEKLY_DIGEST = "weekly-digest"
CLIENT_REPORT = "client-report"
KINDS = (WEEKLY_DIGEST, CLIENT_REPORT)
LEADS = "leads"
LANGUAGES = ("auto", *digest_text.LANGUAGES)
_OUTBOX_KIND = {WEEKLY_DIGEST: "kpi_digest", CLIENT_REPORT: "client_report"}

_WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
    "пон": 0, "вто": 1, "сре": 2, "чет": 3, "пят": 4, "суб": 5, "вос": 6,
}  # fmt: skip
_WEEKLY = re.compile(r"^\s*([a-zа-я]{2,})\.?\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
_MONTHLY = re.compile(r"^\s*(\d{1,2})(?:st|nd|rd|th|-?е|-?го)?\s+(\d{1,2}):(\d{2})\s*$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


# --- when ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class When:
    """A parsed `--at`: a weekday (weekly) or a day of the month (monthly), and a time."""

    weekly: bool
    day: int  # 0 = Monday, or 1..28
    at: time

    @property
    def spec(self) -> str:
        if self.weekly:
            name = next(k for k, v in _WEEKDAYS.items() if v == self.day and k.isascii())
            return f"{name} {self.at:%H:%M}"
        suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(self.day, "th")
        return f"{self.day}{suffix} {self.at:%H:%M}"


def parse_when(text: str, *, weekly: bool) -> When:
    """`mon 08:00` (weekly; пн..вс too) or `1st 09:00` (monthly, days 1 to 28)."""
    if weekly:
        match = _WEEKLY.match(text)
        name = match.group(1).lower() if match else ""
        day = _WEEKDAYS.get(name) if len(name) == 2 else _WEEKDAYS.get(name[:3])
        if match is None or day is None:
            raise ValidationError(f"--at: {text!r} is not a weekday and a time, e.g. 'mon 08:00'")
    else:
        match = _MONTHLY.match(text)
        day = int(match.group(1)) if match else None
        if match is None or day is None or not 1 <= day <= 28:
            raise ValidationError(
                f"--at: {text!r} is not a day of the month (1 to 28) and a time, e.g. '1st 09:00'"
            )
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValidationError(f"--at: {text!r} has no such time of day")
    return When(weekly=weekly, day=day, at=time(hour, minute))


def _local(day: date, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def last_fire(when: When, *, zone: tzinfo, now: datetime) -> datetime:
    """The latest moment at or before `now` that the schedule fires (UTC)."""
    today = now.astimezone(zone).date()
    if when.weekly:
        day = today - timedelta(days=(today.weekday() - when.day) % 7)
        fire = _local(day, when.at, zone)
        return fire if fire <= now else _local(day - timedelta(days=7), when.at, zone)
    day = today.replace(day=when.day)
    fire = _local(day, when.at, zone)
    if fire <= now:
        return fire
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=when.day)
    return _local(previous, when.at, zone)


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    key: str  # 2026-W47, 2026-11
    period: Period
    first_day: date
    last_day: date


def period_before(when: When, *, fire: datetime, zone: tzinfo) -> ReportPeriod:
    """The ISO week, or the calendar month, before the local day of `fire`."""
    day = fire.astimezone(zone).date()
    if when.weekly:
        this_monday = day - timedelta(days=day.weekday())
        first = this_monday - timedelta(days=7)
        end = this_monday
        year, week, _ = first.isocalendar()
        key = f"{year}-W{week:02d}"
    else:
        end = day.replace(day=1)
        first = (end - timedelta(days=1)).replace(day=1)
        key = f"{first.year}-{first.month:02d}"
    start_at = _local(first, time(0), zone)
    end_at = _local(end, time(0), zone)
    return ReportPeriod(key, Period(start_at, end_at), first, end - timedelta(days=1))


# --- schedules ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleView:
    id: int
    kind: str
    client: str | None
    recipients: list[str]
    at: str
    timezone: str
    language: str
    last_period: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "client": self.client,
            "to": self.recipients,
            "at": self.at,
            "timezone": self.timezone,
            "language": self.language,
            "last_period": self.last_period,
        }


def _zone_of(name: str) -> tzinfo:
    try:
        return load_zone(name.strip())
    except (ValueError, KeyError, OSError) as exc:
        raise ValidationError(f"--tz: not a time zone: {name!r} (e.g. Europe/Moscow)") from exc


def _client_addresses(session: Session, *, client_id: int) -> dict[str, int]:
    """Every email address of the client's active contacts → the contact's id."""
    rows = session.exec(
        select(ContactPoint.value, ContactPoint.contact_id, ContactPoint.bouncing)
        .join(Contact, col(Contact.id) == col(ContactPoint.contact_id))
        .where(
            Contact.client_id == client_id,
            col(Contact.active),
            ContactPoint.kind == ContactPointKind.email,
        )
        .order_by(col(ContactPoint.id))
    ).all()
    return {value: contact_id for value, contact_id, _ in rows}


def _recipients(session: Session, *, kind: str, client: Client | None, to: list[str]) -> list[str]:
    cleaned = [t.strip().lower() for item in to for t in item.split(",") if t.strip()]
    if kind == WEEKLY_DIGEST:
        for item in cleaned:
            if item != LEADS and not _EMAIL.match(item):
                raise ValidationError(f"--to: {item!r} is neither 'leads' nor an email address")
        return list(dict.fromkeys(cleaned or [LEADS]))
    assert client is not None
    assert client.id is not None
    known = _client_addresses(session, client_id=client.id)
    for item in cleaned:
        if item not in known:
            raise ValidationError(
                f"--to: {item!r} is not an address of a contact of {client.name}: a client's "
                "report goes only to its own people"
            )
    return list(dict.fromkeys(cleaned))


def add_schedule(
    session: Session,
    *,
    kind: str,
    at: str,
    now: datetime,
    to: list[str] | None = None,
    client: str | None = None,
    timezone: str = "UTC",
    language: str = "auto",
) -> ReportSchedule:
    """A new schedule; the first mail goes at its next firing after `now`."""
    if kind not in KINDS:
        raise ValidationError(f"no report {kind!r}; one of: {', '.join(KINDS)}")
    if language not in LANGUAGES:
        raise ValidationError(f"--lang must be one of {', '.join(LANGUAGES)}, not {language!r}")
    when = parse_when(at, weekly=kind == WEEKLY_DIGEST)
    _zone_of(timezone)
    found: Client | None = None
    if kind == CLIENT_REPORT:
        if not client:
            raise ValidationError("a client report needs --client NAME")
        found = resolve_client(session, ref=client)
    elif client:
        raise ValidationError("--client is for client-report; the weekly digest covers everyone")
    schedule = ReportSchedule(
        kind=kind,
        client_id=found.id if found else None,
        recipients=_recipients(session, kind=kind, client=found, to=to or []),
        at=when.spec,
        timezone=timezone.strip(),
        language=language,
        created_at=now,
    )
    session.add(schedule)
    session.flush()
    return schedule


def _view(session: Session, schedule: ReportSchedule) -> ScheduleView:
    assert schedule.id is not None
    client = session.get(Client, schedule.client_id) if schedule.client_id else None
    last = session.exec(
        select(ReportRun.period)
        .where(ReportRun.schedule_id == schedule.id)
        .order_by(col(ReportRun.id).desc())
    ).first()
    return ScheduleView(
        id=schedule.id,
        kind=schedule.kind,
        client=client.name if client else None,
        recipients=list(schedule.recipients),
        at=schedule.at,
        timezone=schedule.timezone,
        language=schedule.language,
        last_period=last,
    )


def list_schedules(session: Session) -> list[ScheduleView]:
    rows = session.exec(select(ReportSchedule).order_by(col(ReportSchedule.id))).all()
    return [_view(session, row) for row in rows]


def describe_schedule(session: Session, *, schedule: ReportSchedule) -> ScheduleView:
    return _view(session, schedule)


def remove_schedule(session: Session, *, schedule_id: int) -> ReportSchedule:
    schedule = session.get(ReportSchedule, schedule_id)
    if schedule is None:
        raise NotFoundError("report schedule", schedule_id)
    for run in session.exec(select(ReportRun).where(ReportRun.schedule_id == schedule_id)):
        session.delete(run)
    session.delete(schedule)
    session.flush()
    return schedule


# --- sending ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    language: str


def _lead_recipients(session: Session, schedule: ReportSchedule) -> list[Recipient]:
    found: list[Recipient] = []
    for item in schedule.recipients:
        if item == LEADS:
            leads = session.exec(
                select(User)
                .where(User.role == Role.lead, col(User.active), col(User.email).is_not(None))
                .order_by(col(User.id))
            ).all()
            for lead in leads:
                assert lead.email is not None
                language = schedule.language
                if language == "auto":
                    language = digest_text.guess_language([lead.name])
                found.append(Recipient(lead.email.strip().lower(), language))
        else:
            user = session.exec(select(User).where(col(User.email) == item)).first()
            language = schedule.language
            if language == "auto":
                language = digest_text.guess_language([user.name] if user else [])
            found.append(Recipient(item, language))
    unique = {r.address: r for r in found if r.address}
    return list(unique.values())


def _client_language(session: Session, *, client: Client, contact: Contact | None) -> str:
    """The language the client writes in: its names and the subjects of its latest mail."""
    subjects = session.exec(
        select(Message.subject)
        .join(Ticket, col(Ticket.id) == col(Message.ticket_id))
        .where(Ticket.client_id == client.id, col(Message.from_address).is_not(None))
        .order_by(col(Message.id).desc())
        .limit(20)
    ).all()
    names = [client.name, contact.name if contact else ""]
    return digest_text.guess_language([*names, *(s or "" for s in subjects)])


def _client_recipients(
    session: Session, schedule: ReportSchedule, client: Client
) -> list[Recipient]:
    assert client.id is not None
    known = _client_addresses(session, client_id=client.id)
    bouncing = set(
        session.exec(
            select(ContactPoint.value).where(
                col(ContactPoint.value).in_(list(known)), col(ContactPoint.bouncing)
            )
        ).all()
    )
    wanted = [a for a in schedule.recipients if a in known]  # still the client's
    if not schedule.recipients:
        first: dict[int, str] = {}
        for address, contact_id in known.items():
            if address not in bouncing:
                first.setdefault(contact_id, address)
        wanted = list(first.values())
    found = []
    for address in wanted:
        language = schedule.language
        if language == "auto":
            contact = session.get(Contact, known[address])
            language = _client_language(session, client=client, contact=contact)
        found.append(Recipient(address, language))
    return found


def _span(rp: ReportPeriod, zone_name: str) -> digest_text.Span:
    return digest_text.Span(rp.key, rp.first_day, rp.last_day, zone_name)


def weekly_digest_mail(
    session: Session, *, rp: ReportPeriod, zone: tzinfo, zone_name: str, language: str
) -> digest_text.Mail:
    """The weekly digest of `rp` against the week before it."""
    before = Period(rp.period.start - timedelta(days=7), rp.period.start)
    [(_, this_week)] = kpi_report(session, period=rp.period, zone=zone)
    [(_, last_week)] = kpi_report(session, period=before, zone=zone)
    return digest_text.weekly_digest(
        language=language,
        span=_span(rp, zone_name),
        this_week=this_week,
        last_week=last_week,
        by_queue=kpi_report(session, period=rp.period, by=GroupBy.queue, zone=zone),
        by_engineer=kpi_report(session, period=rp.period, by=GroupBy.engineer, zone=zone),
    )


def client_report_mail(
    session: Session,
    *,
    client: Client,
    rp: ReportPeriod,
    zone: tzinfo,
    zone_name: str,
    language: str,
) -> digest_text.Mail:
    """One client's report of `rp`: its own figures and tickets, nobody else's."""
    assert client.id is not None
    grouped = dict(kpi_report(session, period=rp.period, by=GroupBy.client, zone=zone))
    figures = grouped.get(client.name) or _empty_figures()
    check = check_client_contract(session, client_id=client.id, on=rp.last_day)
    plan: SlaPlan | None = None
    if check.covered and check.contract is not None:
        plan = session.get(SlaPlan, check.contract.sla_plan_id)
    else:
        plan = session.exec(select(SlaPlan).where(col(SlaPlan.is_default))).first()
    targets: list[digest_text.Target] = []
    if plan is not None:
        rows = session.exec(select(SlaPlanTarget).where(SlaPlanTarget.plan_id == plan.id)).all()
        order = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
        for row in sorted(rows, key=lambda r: order.get(r.priority.value, 9)):
            targets.append(
                digest_text.Target(
                    row.priority.value,
                    row.first_response_minutes,
                    row.resolution_minutes,
                    row.update_minutes,
                )
            )
    missed: dict[int, list[str]] = {}
    for target in SlaTarget:
        for ticket in figure_tickets(
            session,
            figure=FigureRef("sla", "breached", target),
            period=rp.period,
            by=GroupBy.client,
            group=client.name,
            zone=zone,
        ):
            missed.setdefault(ticket.id, []).append(target.value)
    described = describe_tickets(session, ticket_ids=list(missed))
    own = set(
        session.exec(
            select(Ticket.id).where(col(Ticket.id).in_(list(missed)), Ticket.client_id == client.id)
        ).all()
    )
    return digest_text.client_report(
        language=language,
        span=_span(rp, zone_name),
        client=client.name,
        figures=figures,
        contract=check.contract.number if check.covered and check.contract else None,
        plan=plan.name if plan else None,
        targets=targets,
        missed=[
            digest_text.Missed(f"#{ticket_id}", described[ticket_id].subject, tuple(which))
            for ticket_id, which in sorted(missed.items())
            if ticket_id in own and ticket_id in described
        ],
    )


def _empty_figures() -> dict[str, Any]:
    """The figures of a client with nothing in the period, shaped like the others."""
    tally = Tally()
    tally.nps = Counter()
    return tally.figures()


@dataclass
class RunResult:
    queued: list[tuple[int, str, int]] = field(default_factory=list)  # schedule, period, mails


def run_due(session: Session, *, now: datetime) -> RunResult:
    """Queue every schedule's latest period that fired by `now` and was not mailed yet."""
    result = RunResult()
    for schedule in session.exec(select(ReportSchedule).order_by(col(ReportSchedule.id))).all():
        assert schedule.id is not None
        zone = _zone_of(schedule.timezone)
        when = parse_when(schedule.at, weekly=schedule.kind == WEEKLY_DIGEST)
        fire = last_fire(when, zone=zone, now=now)
        if fire < schedule.created_at:
            continue
        rp = period_before(when, fire=fire, zone=zone)
        if session.exec(
            select(ReportRun.id).where(
                ReportRun.schedule_id == schedule.id, ReportRun.period == rp.key
            )
        ).first():
            continue
        mails = _queue(session, schedule=schedule, rp=rp, zone=zone, now=now)
        if mails is not None:
            result.queued.append((schedule.id, rp.key, mails))
    return result


def _queue(
    session: Session, *, schedule: ReportSchedule, rp: ReportPeriod, zone: tzinfo, now: datetime
) -> int | None:
    """Claim the period and queue its mails; None if another run claimed it first."""
    assert schedule.id is not None
    run = ReportRun(schedule_id=schedule.id, period=rp.key, queued_at=now)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None  # another console queued this period a moment ago
    client = session.get(Client, schedule.client_id) if schedule.client_id else None
    if schedule.kind == CLIENT_REPORT:
        if client is None:
            return 0
        recipients = _client_recipients(session, schedule, client)
    else:
        recipients = _lead_recipients(session, schedule)
    texts: dict[str, digest_text.Mail] = {}
    for recipient in recipients:
        if recipient.language not in texts:
            if client is not None:
                texts[recipient.language] = client_report_mail(
                    session,
                    client=client,
                    rp=rp,
                    zone=zone,
                    zone_name=schedule.timezone,
                    language=recipient.language,
                )
            else:
                texts[recipient.language] = weekly_digest_mail(
                    session,
                    rp=rp,
                    zone=zone,
                    zone_name=schedule.timezone,
                    language=recipient.language,
                )
        mail = texts[recipient.language]
        outbox.enqueue(
            session,
            kind=_OUTBOX_KIND[schedule.kind],
            to_addresses=recipient.address,
            subject=mail.subject[:500],
            body=mail.body,
            now=now,
            headers={
                "Auto-Submitted": "auto-generated",
                "X-Dispatcher-Report": f"{schedule.id}/{rp.key}",
            },
        )
    run.mails = len(recipients)
    session.add(run)
    session.flush()
    return len(recipients)
