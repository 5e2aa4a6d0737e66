"""The demo generator: a realistic team and ~90 days of helpdesk history.

The setup (users, clients, plans, templates, articles: a few hundred rows) goes in through
the ORM. Tickets, their events, messages, escalations and ratings go in with SQLAlchemy
Core bulk inserts in batches, with explicit ids so one ticket's rows can reference each
other without a round trip.

Each ticket's life is simulated in time order (registered, classified, assigned, answered,
perhaps waiting on the client, escalated to a vendor, reopened, merged...) and cut off at
`now`: whatever would happen later has not happened yet, so recent tickets are still open,
some near or past their deadline. Due times come from the plan's real business calendar,
and are the ones `dispatcher.store.sla_clock` derives from the same events.

Deterministic: the same seed and `now` give the same database, row for row.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import JSON, Date, DateTime, Table, func, insert, text
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

from dispatcher.demo import catalogue as cat
from dispatcher.domain.calendar import BusinessCalendar
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    ContactPointKind,
    EscalationTarget,
    EventKind,
    MessageKind,
    Priority,
    RatingKind,
    Role,
    SlaTarget,
    TicketStatus,
)
from dispatcher.domain.errors import ConflictError
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.store.clients.points import normalize_point
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import search
from dispatcher.store.models import (
    Calendar,
    Category,
    Client,
    ClientDomain,
    Competence,
    Contact,
    ContactPoint,
    Contract,
    ContractEquipment,
    Equipment,
    Escalation,
    KbArticle,
    KbArticleTag,
    Leave,
    Message,
    Queue,
    Rating,
    ReplyTemplate,
    SlaPlan,
    SlaPlanTarget,
    Ticket,
    TicketEvent,
    User,
    UserCompetence,
    WorkShift,
    table_of,
)
from dispatcher.store.sla.clock import business_calendar

HISTORY_DAYS = 90
BATCH_TICKETS = 2_000
MESSAGE_DOMAIN = "helpdesk.example"

Progress = Callable[[int], None]


def default_now() -> datetime:
    """The current time to the minute: a demo a person opens should look current."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass
class DemoSummary:
    seed: int
    now: datetime
    users: int = 0
    clients: int = 0
    contacts: int = 0
    contracts: int = 0
    templates: int = 0
    articles: int = 0
    tickets: int = 0
    events: int = 0
    messages: int = 0
    active: int = 0
    breached: int = 0
    seconds: float = 0.0
    ticket_seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.ticket_seconds if self.ticket_seconds > 0 else 0.0


def has_data(session: Session) -> dict[str, int]:
    """How many users, clients and tickets the database has (the demo wants none)."""
    counts = {}
    for name, model in (("users", User), ("clients", Client), ("tickets", Ticket)):
        counts[name] = int(session.exec(select(func.count()).select_from(model)).one())
    return counts


def generate(
    store: Store,
    *,
    tickets: int,
    seed: int,
    now: datetime | None = None,
    on_progress: Progress | None = None,
    batch: int = BATCH_TICKETS,
    fast: bool = True,
) -> DemoSummary:
    """Fill an empty, migrated database with the demo. Refuses one that has data.

    `fast` (SQLite only): bulk rows go to the driver's executemany with their values
    converted up front exactly as the column types would convert them, about twice the
    rate of the Core insert with its per-value type processing. `fast=False` is the plain
    Core insert, the reference the tests compare the fast path against.
    """
    import time as _time

    if tickets < 0:
        raise ValueError("the number of tickets cannot be negative")
    now = (now or default_now()).astimezone(UTC)
    started = _time.perf_counter()
    summary = DemoSummary(seed=seed, now=now)
    with store.write() as session:
        counts = has_data(session)
        if any(counts.values()):
            held = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
            raise ConflictError(f"the database already has data ({held})")
        world = _build_setup(session, rng=random.Random(f"{seed}:setup"), now=now, summary=summary)
    ticket_started = _time.perf_counter()
    writer = _Writer(fast=fast and store.is_sqlite)
    generator = _TicketGenerator(world, seed=seed, now=now, summary=summary, writer=writer)
    generator.run(store, tickets, batch=batch, on_progress=on_progress)
    if not store.is_sqlite:
        _bump_sequences(store)
    done = _time.perf_counter()
    summary.ticket_seconds = done - ticket_started
    summary.seconds = done - started
    return summary


# --- Setup ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    id: int
    name: str
    calendar: BusinessCalendar
    targets: dict[Priority, tuple[int, int, int | None]]
    warn_before: dict[str, tuple[int, ...]]  # by priority value
    confirm_minutes: int


@dataclass(frozen=True, slots=True)
class _Contract:
    id: int
    plan_id: int
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class _Contact:
    id: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class _Client:
    id: int
    name: str
    language: str
    domain: str
    weight: int
    contacts: tuple[_Contact, ...]
    contracts: tuple[_Contract, ...]
    equipment: tuple[int, ...]

    def contract_on(self, day: date) -> _Contract | None:
        """As `sla_clock.contract_for`: the latest-starting contract valid that day."""
        best: _Contract | None = None
        for contract in self.contracts:
            if contract.valid_from <= day and (
                contract.valid_to is None or contract.valid_to >= day
            ):
                if best is None or (contract.valid_from, contract.id) > (best.valid_from, best.id):
                    best = contract
        return best


@dataclass(frozen=True, slots=True)
class _Category:
    id: int
    name: str
    queue_id: int
    default_priority: Priority | None
    weight: int
    engineers_ru: tuple[tuple[int, str], ...]
    engineers_en: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class _World:
    plans: dict[int, _Plan]
    default_plan_id: int
    clients: tuple[_Client, ...]
    categories: tuple[_Category, ...]
    intake_queue_id: int
    dispatchers_ru: tuple[int, ...]
    dispatchers_en: tuple[int, ...]


_Row = TypeVar("_Row", bound=SQLModel)


def _add(session: Session, row: _Row) -> _Row:
    session.add(row)
    session.flush()
    return row


_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
    }
)  # fmt: skip


def _email_local(name: str) -> str:
    words = [w for w in name.lower().translate(_TRANSLIT).split() if w.isalpha()]
    return ".".join(words[-2:]) if words else "contact"


def _hhmm(text_value: str) -> time:
    hours, minutes = text_value.split(":")
    return time(int(hours), int(minutes))


def _build_setup(
    session: Session, *, rng: random.Random, now: datetime, summary: DemoSummary
) -> _World:
    """The team, the directory and the contracts: few rows, so the ORM is fine."""
    long_ago = now - timedelta(days=400)
    today = now.date()

    competences = {
        code: _add(session, Competence(code=code, name=name)) for code, name in cat.COMPETENCES
    }
    users: dict[str, User] = {}
    for spec in cat.USERS:
        user = _add(
            session,
            User(
                login=spec.login,
                name=spec.name,
                email=f"{spec.login}@{MESSAGE_DOMAIN}",
                role=spec.role,
                timezone=spec.timezone,
                active=spec.active,
                created_at=long_ago,
            ),
        )
        users[spec.login] = user
        for code in spec.competences:
            session.add(
                UserCompetence(user_id=_id(user.id), competence_id=_id(competences[code].id))
            )
        if spec.role in (Role.engineer, Role.dispatcher):
            for weekdays, starts, ends in cat.SHIFTS[spec.shift]:
                for weekday in weekdays:
                    session.add(
                        WorkShift(
                            user_id=_id(user.id),
                            weekday=weekday,
                            starts=_hhmm(starts),
                            ends=_hhmm(ends),
                        )
                    )
    for login, first, last, reason in cat.LEAVES:
        session.add(
            Leave(
                user_id=_id(users[login].id),
                starts_on=today + timedelta(days=first),
                ends_on=today + timedelta(days=last),
                reason=reason,
            )
        )
    summary.users = len(users)

    queues = {
        name: _add(session, Queue(name=name, description=description))
        for name, description in cat.QUEUES
    }

    calendars: dict[str, Calendar] = {}
    for spec_cal in cat.CALENDARS:
        calendars[spec_cal.name] = _add(
            session,
            Calendar(
                name=spec_cal.name,
                timezone=spec_cal.timezone,
                always_open=spec_cal.always_open,
                hours=spec_cal.hours,
                country=spec_cal.country,
                updated_at=long_ago,
            ),
        )
    plans: dict[int, _Plan] = {}
    plan_ids: dict[str, int] = {}
    for spec_plan in cat.PLANS:
        calendar_row = calendars[spec_plan.calendar]
        plan = _add(
            session,
            SlaPlan(
                name=spec_plan.name,
                description=spec_plan.description,
                calendar_id=_id(calendar_row.id),
                is_default=spec_plan.is_default,
                breach_raises_priority=spec_plan.name == "premium",
                updated_at=long_ago,
            ),
        )
        warn_before: dict[str, tuple[int, ...]] = {}
        for priority, (first, resolution, update) in spec_plan.targets.items():
            warn_before[priority.value] = (60, 15) if resolution > 240 else (30, 10)
            session.add(
                SlaPlanTarget(
                    plan_id=_id(plan.id),
                    priority=priority,
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                    update_minutes=update,
                    warn_before_minutes=list(warn_before[priority.value]),
                )
            )
        plans[_id(plan.id)] = _Plan(
            id=_id(plan.id),
            name=plan.name,
            calendar=business_calendar(calendar_row),
            targets=dict(spec_plan.targets),
            warn_before=warn_before,
            confirm_minutes=plan.confirm_window_minutes,
        )
        plan_ids[plan.name] = _id(plan.id)
    default_plan_id = next(plan_ids[p.name] for p in cat.PLANS if p.is_default)

    clients: list[_Client] = []
    phone_serial = 0
    contract_serial = 0
    for index, spec_client in enumerate(cat.CLIENTS, start=1):
        client = _add(
            session,
            Client(
                name=spec_client.name,
                notes="Клиент с 2021 года" if spec_client.language == "ru" else "",
                created_at=long_ago,
            ),
        )
        client_id = _id(client.id)
        session.add(ClientDomain(client_id=client_id, domain=spec_client.domain))
        contacts: list[_Contact] = []
        for name, position in spec_client.contacts:
            contact = _add(session, Contact(client_id=client_id, name=name, position=position))
            email = f"{_email_local(name)}@{spec_client.domain}"
            phone_serial += 1
            country = "7" if spec_client.language == "ru" else "44"
            number = f"{2_000_000 + phone_serial * 7919 % 7_000_000:07d}"
            display = (
                f"+{country} ({spec_client.city_code}) {number[:3]}-{number[3:5]}-{number[5:]}"
            )
            session.add(
                ContactPoint(
                    contact_id=_id(contact.id),
                    kind=ContactPointKind.email,
                    value=normalize_point(ContactPointKind.email, email),
                    display=email,
                )
            )
            session.add(
                ContactPoint(
                    contact_id=_id(contact.id),
                    kind=ContactPointKind.phone,
                    value=normalize_point(ContactPointKind.phone, display),
                    display=display,
                )
            )
            contacts.append(_Contact(_id(contact.id), name, email))
        equipment: list[int] = []
        for j, (name, kind, location) in enumerate(
            rng.sample(cat.EQUIPMENT, k=rng.randint(1, 4)), start=1
        ):
            item = _add(
                session,
                Equipment(
                    client_id=client_id,
                    name=name,
                    kind=kind,
                    serial=f"SN{index:02d}{j:02d}{rng.randrange(10**6):06d}",
                    location=location,
                ),
            )
            equipment.append(_id(item.id))
        # (plan, valid from, valid to); the last one is the current contract, if any.
        terms: list[tuple[str, date, date | None]] = []
        if not spec_client.plan:
            # Only an expired contract: tickets fall back to the default plan, flagged.
            terms.append(("standard", today - timedelta(days=800), today - timedelta(days=120)))
        elif index % 4 == 0:
            # The contract changed plan during the history window.
            terms.append(("standard", today - timedelta(days=700), today - timedelta(days=31)))
            terms.append((spec_client.plan, today - timedelta(days=30), None))
        else:
            if index % 3 == 0:
                terms.append(("standard", today - timedelta(days=900), today - timedelta(days=401)))
            expires = None if index % 2 else today + timedelta(days=200)
            terms.append((spec_client.plan, today - timedelta(days=400), expires))
        prefix = "Д" if spec_client.language == "ru" else "SC"
        contracts: list[_Contract] = []
        for plan_name, valid_from, valid_to in terms:
            contract_serial += 1
            contract = _add(
                session,
                Contract(
                    number=f"{prefix}-{valid_from.year}/{contract_serial:03d}",
                    client_id=client_id,
                    sla_plan_id=plan_ids[plan_name],
                    valid_from=valid_from,
                    valid_to=valid_to,
                ),
            )
            contracts.append(_Contract(_id(contract.id), plan_ids[plan_name], valid_from, valid_to))
        if spec_client.plan:
            for item_id in equipment:
                session.add(ContractEquipment(contract_id=contracts[-1].id, equipment_id=item_id))
        clients.append(
            _Client(
                id=client_id,
                name=spec_client.name,
                language=spec_client.language,
                domain=spec_client.domain,
                weight=spec_client.weight,
                contacts=tuple(contacts),
                contracts=tuple(contracts),
                equipment=tuple(equipment),
            )
        )
        summary.contacts += len(contacts)
        summary.contracts += len(contracts)
    summary.clients = len(clients)

    london = {s.login for s in cat.USERS if s.timezone == cat.LON}
    categories: list[_Category] = []
    category_ids: dict[str, int] = {}
    for spec_cat in cat.CATEGORIES:
        row = _add(
            session,
            Category(
                name=spec_cat.name,
                queue_id=queues[spec_cat.queue].id,
                competence_id=competences[spec_cat.competence].id,
                default_priority=spec_cat.default_priority,
            ),
        )
        category_ids[spec_cat.name] = _id(row.id)
        able = [
            (_id(users[s.login].id), s.login)
            for s in cat.USERS
            if s.role == Role.engineer and s.active and spec_cat.competence in s.competences
        ]
        en = tuple(e for e in able if e[1] in london) or tuple(able)
        ru = tuple(e for e in able if e[1] not in london) or tuple(able)
        categories.append(
            _Category(
                id=_id(row.id),
                name=spec_cat.name,
                queue_id=_id(queues[spec_cat.queue].id),
                default_priority=spec_cat.default_priority,
                weight=spec_cat.weight,
                engineers_ru=ru,
                engineers_en=en,
            )
        )

    for name, category, channel, subject, body in cat.TEMPLATES:
        session.add(
            ReplyTemplate(
                name=name,
                category_id=category_ids[category] if category else None,
                channel=Channel(channel) if channel else None,
                subject=subject,
                body=body,
                uses=rng.randrange(200),
                updated_at=long_ago,
            )
        )
    summary.templates = len(cat.TEMPLATES)

    authors = [_id(users[login].id) for login in ("ivan", "anna", "james", "lena", "raj")]
    for ordinal, article in enumerate(cat.ARTICLES):
        written = now - timedelta(days=30 + rng.randrange(300), minutes=rng.randrange(600))
        kb_row = _add(
            session,
            KbArticle(
                slug=article.slug,
                title=article.title,
                body=article.body,
                visibility=article.visibility,
                author_id=authors[ordinal % len(authors)],
                uses=rng.randrange(300),
                helpful_votes=rng.randrange(40),
                created_at=written,
                updated_at=written + timedelta(days=rng.randrange(20)),
            ),
        )
        for tag in article.tags:
            session.add(KbArticleTag(article_id=_id(kb_row.id), tag=tag))
    summary.articles = len(cat.ARTICLES)
    session.flush()
    search.rebuild(session)  # the articles went in directly: index them for search

    dispatchers = [s for s in cat.USERS if s.role == Role.dispatcher]
    return _World(
        plans=plans,
        default_plan_id=default_plan_id,
        clients=tuple(clients),
        categories=tuple(categories),
        intake_queue_id=_id(queues[cat.QUEUES[0][0]].id),
        dispatchers_ru=tuple(_id(users[s.login].id) for s in dispatchers if s.login not in london),
        dispatchers_en=tuple(_id(users[s.login].id) for s in dispatchers if s.login in london),
    )


def _id(value: int | None) -> int:
    assert value is not None, "flushed rows have ids"
    return value


# --- Tickets ----------------------------------------------------------------------------

_PRIORITIES = (Priority.low, Priority.normal, Priority.high, Priority.urgent)
_PRIORITY_CUM = tuple(accumulate((15, 55, 22, 8)))
_CHANNELS = (Channel.email, Channel.phone, Channel.web, Channel.chat, Channel.walk_in)
_CHANNEL_CUM = tuple(accumulate((60, 25, 9, 5, 1)))
_PAUSED = frozenset(
    {
        TicketStatus.waiting_client,
        TicketStatus.resolved,
        TicketStatus.closed,
        TicketStatus.merged,
        TicketStatus.spam,
    }
)
_ACTIVE = frozenset(ACTIVE_STATUSES)
_SCORES = (5, 4, 3, 2, 1)
_SCORE_CUM = tuple(accumulate((60, 25, 8, 4, 3)))
_SUPPORT = f"support@{MESSAGE_DOMAIN}"
_MINUTE = timedelta(minutes=1)


class _Cutoff(Exception):
    """The next step of a ticket's life would happen after `now`: it has not happened yet."""


def _ceil(minutes: float) -> int:
    whole = int(minutes)
    return whole if minutes - whole < 1e-9 else whole + 1


class _Life:
    """One ticket's state while its life is being simulated, with the rows it produced."""

    __slots__ = (
        "gen", "id", "row", "events", "plan", "calendar", "budgets", "status", "fr_due",
        "res_due", "met", "update_anchor", "run_start", "elapsed", "paused_at", "last_message_id",
        "root_id",
    )  # fmt: skip

    def __init__(
        self,
        gen: _TicketGenerator,
        ticket_id: int,
        row: dict[str, Any],
        plan: _Plan,
        budgets: tuple[int, int, int | None],
    ) -> None:
        self.gen = gen
        self.id = ticket_id
        self.row = row
        self.events: list[tuple[datetime, int, str, int | None, dict[str, Any], str, bool]] = []
        self.plan = plan
        self.calendar = plan.calendar
        self.budgets = budgets
        self.status = TicketStatus.new
        self.fr_due: datetime | None = None
        self.res_due: datetime | None = None
        self.met: set[SlaTarget] = set()
        # Business minutes counted at the latest public reply (the update target's start).
        self.update_anchor: float | None = None
        self.run_start: datetime | None = None
        self.elapsed = 0.0
        self.paused_at: datetime | None = None
        self.last_message_id: str | None = None
        self.root_id = ""

    def event(
        self,
        at: datetime,
        kind: EventKind,
        actor: int | None,
        data: dict[str, Any],
        reason: str = "",
        *,
        bump: bool = True,
    ) -> None:
        self.events.append((at, len(self.events), kind.value, actor, data, reason, bump))

    def message(
        self,
        at: datetime,
        kind: MessageKind,
        body: str,
        *,
        author: int | None = None,
        ticket_id: int | None = None,
        event: bool = True,
    ) -> None:
        gen = self.gen
        gen.message_id += 1
        mid = gen.message_id
        row = self.row
        contact: _Contact = gen.contact_of[row["contact_id"]]
        client: _Client = gen.client_of[row["client_id"]]
        channel = row["channel"] if kind == MessageKind.inbound else Channel.email.value
        inbound = kind == MessageKind.inbound
        domain = client.domain if inbound else MESSAGE_DOMAIN
        message_id = f"<demo{gen.seed}.{mid}@{domain}>"
        if kind == MessageKind.note:
            from_address, to_address = "", ""
        elif inbound:
            from_address = contact.email if channel == Channel.email.value else ""
            to_address = _SUPPORT if from_address else ""
        else:
            from_address, to_address = _SUPPORT, contact.email
        subject = row["subject"] if not self.root_id else f"Re: [#{self.id}] {row['subject']}"
        gen.messages.append(
            {
                "id": mid,
                "ticket_id": ticket_id or self.id,
                "kind": kind.value,
                "channel": channel,
                "author_id": None if inbound else author,
                "contact_id": row["contact_id"] if inbound else None,
                "from_address": from_address,
                "to_addresses": to_address,
                "cc_addresses": "",
                "subject": subject,
                "body": body,
                "created_at": at,
                "message_id": message_id,
                "in_reply_to": self.last_message_id,
                "references": self.root_id,
                "is_auto_reply": False,
                "is_bounce": False,
            }
        )
        if not self.root_id:
            self.root_id = message_id
        self.last_message_id = message_id
        if event:
            self.event(
                at,
                EventKind.message_added,
                None if inbound else author,
                {"kind": kind.value, "message": mid},
            )
        if kind == MessageKind.reply and SlaTarget.first_response in self.met:
            # As `sla_clock.on_public_reply`: a later reply restarts the update target.
            self.event(
                at, EventKind.sla_met, author, {"target": SlaTarget.update.value}, bump=False
            )
            self.update_anchor = self.elapsed_at(at)

    def start_clock(self, at: datetime, actor: int | None, contract_id: int | None) -> None:
        first, resolution, update = self.budgets
        self.event(
            at,
            EventKind.sla_started,
            actor,
            {
                "plan": self.plan.name,
                "priority": self.row["priority"],
                "budgets": {"first_response": first, "resolution": resolution, "update": update},
                "contract_id": contract_id,
            },
            bump=False,
        )
        self.run_start = at
        self.fr_due = self.gen.due(self.plan, at, first)
        self.res_due = self.gen.due(self.plan, at, resolution)

    def business_elapsed(self, at: datetime) -> float:
        """Business minutes the clock has run by `at` (it is running)."""
        assert self.run_start is not None
        return self.elapsed + self.calendar.business_minutes_between(self.run_start, at)

    def when_elapsed(self, minutes: float) -> datetime:
        """The instant the running clock reaches `minutes` of business time."""
        assert self.run_start is not None
        if self.elapsed == 0.0 and float(minutes).is_integer():
            return self.gen.due(self.plan, self.run_start, int(minutes))
        left = minutes - self.elapsed
        return (
            self.run_start
            if left <= 0
            else self.calendar.add_business_minutes(self.run_start, _ceil(left))
        )

    def elapsed_at(self, at: datetime) -> float:
        """Business minutes counted by `at`, whether the clock runs or is paused."""
        if self.paused_at is not None or self.run_start is None:
            return self.elapsed
        return self.business_elapsed(at)

    def meet(self, at: datetime, target: SlaTarget, actor: int | None) -> None:
        if target in self.met:
            return
        self.met.add(target)
        if target == SlaTarget.first_response:
            self.update_anchor = self.elapsed_at(at)
        due = self.fr_due if target == SlaTarget.first_response else self.res_due
        self.event(
            at,
            EventKind.sla_met,
            actor,
            {"target": target.value, "late": bool(due and at > due)},
            bump=False,
        )

    def set_status(
        self,
        at: datetime,
        new: TicketStatus,
        actor: int | None,
        reason: str = "",
        *,
        kind: EventKind = EventKind.status_changed,
        data: dict[str, Any] | None = None,
    ) -> None:
        old = self.status
        self.event(at, kind, actor, data or {"from": old.value, "to": new.value}, reason)
        self.status = new
        self.row["status"] = new.value
        if new == TicketStatus.resolved:
            self.meet(at, SlaTarget.resolution, actor)
        was_paused, paused = old in _PAUSED, new in _PAUSED
        if paused == was_paused:
            return
        clock_data = {"status": new.value}
        if not paused and old in (TicketStatus.resolved, TicketStatus.closed):
            # A reopen, as `sla_clock` records it: the resolution target runs again.
            clock_data["target"] = SlaTarget.resolution.value
            self.met.discard(SlaTarget.resolution)
        self.event(
            at,
            EventKind.sla_paused if paused else EventKind.sla_resumed,
            actor,
            clock_data,
            f"status {old.value} → {new.value}",
            bump=False,
        )
        if paused:
            self.paused_at = at
            self.row["sla_paused_since"] = at
            return
        # Resumed: the budget left runs from here.
        assert self.run_start is not None
        assert self.paused_at is not None
        self.elapsed += self.calendar.business_minutes_between(self.run_start, self.paused_at)
        self.run_start, self.paused_at = at, None
        self.row["sla_paused_since"] = None
        first, resolution, _ = self.budgets
        if SlaTarget.first_response not in self.met:
            self.fr_due = self.when_elapsed(first)
        if SlaTarget.resolution not in self.met:
            self.res_due = self.when_elapsed(resolution)

    def finish(self, now: datetime) -> None:
        gen, row = self.gen, self.row
        row["first_response_due"] = self.fr_due
        row["resolution_due"] = self.res_due
        next_due = next_alert = NO_DEADLINE
        if self.status in _ACTIVE and self.paused_at is None:
            # As `sla_clock.refresh_due`: the earliest pending deadline, and the earliest
            # alert step (a warning threshold or the deadline), even one already past.
            first, resolution, update = self.budgets
            # (business minutes counted when the target started, its budget, its due time)
            targets: list[tuple[float, int, datetime | None]] = [
                (0.0, budget, due)
                for target, budget, due in (
                    (SlaTarget.first_response, first, self.fr_due),
                    (SlaTarget.resolution, resolution, self.res_due),
                )
                if target not in self.met
            ]
            if update is not None and self.update_anchor is not None:
                # Regular updates run from the latest public reply.
                anchor = self.update_anchor
                row["next_update_due"] = self.when_elapsed(anchor + update)
                targets.append((anchor, update, row["next_update_due"]))
            for start, budget, due in targets:
                if due is None:
                    continue
                next_due = min(next_due, due)
                next_alert = min(next_alert, due)
                for minutes in self.plan.warn_before[row["priority"]]:
                    if 0 < minutes < budget:
                        warn_at = self.when_elapsed(start + budget - minutes)
                        next_alert = min(next_alert, warn_at)
        if self.status == TicketStatus.resolved and row["resolved_at"] is not None:
            # As `sla_clock.refresh_due`: a resolved ticket's next act is its auto-close.
            next_alert = self.calendar.add_business_minutes(
                row["resolved_at"], self.plan.confirm_minutes
            )
        row["next_due_at"] = next_due
        row["next_alert_at"] = next_alert
        version, updated = 1, row["created_at"]
        self.events.sort(key=lambda e: (e[0], e[1]))
        for at, _order, kind, actor, data, reason, bump in self.events:
            if bump:
                version += 1
                updated = at
            gen.event_id += 1
            gen.events.append(
                {
                    "id": gen.event_id,
                    "ticket_id": self.id,
                    "at": at,
                    "actor_id": actor,
                    "kind": kind,
                    "version": version,
                    "data": data,
                    "reason": reason,
                }
            )
        row["version"] = version
        row["updated_at"] = updated
        gen.tickets.append(row)
        summary = gen.summary
        summary.by_status[row["status"]] = summary.by_status.get(row["status"], 0) + 1
        if self.status in _ACTIVE:
            summary.active += 1
            if next_due <= now:
                summary.breached += 1


class _TicketGenerator:
    """Simulates tickets one after another and writes them in batches with Core inserts."""

    def __init__(
        self, world: _World, *, seed: int, now: datetime, summary: DemoSummary, writer: _Writer
    ) -> None:
        self.world = world
        self.writer = writer
        self.seed = seed
        self.now = now
        self.summary = summary
        self.rng = random.Random(f"{seed}:tickets")
        self.ticket_id = self.event_id = self.message_id = 0
        self.escalation_id = self.rating_id = 0
        self.tickets: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.client_cum = tuple(accumulate(c.weight for c in world.clients))
        self.category_cum = tuple(accumulate(c.weight for c in world.categories))
        self.client_of = {c.id: c for c in world.clients}
        self.contact_of = {p.id: p for c in world.clients for p in c.contacts}

    def due(self, plan: _Plan, start: datetime, minutes: int) -> datetime:
        return plan.calendar.add_business_minutes(start, minutes)

    # ----------------------------------------------------------------- the run

    def run(self, store: Store, count: int, *, batch: int, on_progress: Progress | None) -> None:
        times = self._created_times(count)
        index = done = 0
        while index < count:
            with_duplicate = index + 1 < count and self.rng.random() < 0.015
            self._ticket(times[index], with_duplicate=with_duplicate)
            index += 2 if with_duplicate else 1
            if len(self.tickets) >= batch:
                done += self._flush(store)
                if on_progress is not None:
                    on_progress(done)
        done += self._flush(store)
        if on_progress is not None:
            on_progress(done)

    def _created_times(self, count: int) -> list[datetime]:
        """When tickets came in: mostly working hours on weekdays, over the last 90 days."""
        rng, now = self.rng, self.now
        span = HISTORY_DAYS * 86_400
        start = now - timedelta(seconds=span)
        result: list[datetime] = []
        while len(result) < count:
            at = start + timedelta(seconds=rng.randrange(span))
            weekend = at.weekday() >= 5
            busy = 6 <= at.hour < 17
            weight = (0.25 if busy else 0.05) if weekend else (1.0 if busy else 0.15)
            if rng.random() < weight:
                result.append(at.replace(microsecond=0))
        result.sort()
        return result

    def _flush(self, store: Store) -> int:
        if not self.tickets:
            return 0
        written = len(self.tickets)
        with store.write() as session:
            for model, rows in (
                (Ticket, self.tickets),
                (Escalation, self.escalations),
                (Message, self.messages),
                (TicketEvent, self.events),
                (Rating, self.ratings),
            ):
                if rows:
                    self.writer.insert(session, table_of(model), rows)
        self.summary.tickets += written
        self.summary.events += len(self.events)
        self.summary.messages += len(self.messages)
        self.tickets, self.events, self.messages = [], [], []
        self.escalations, self.ratings = [], []
        return written

    # ------------------------------------------------------------- one ticket

    def _new_life(
        self,
        created: datetime,
        *,
        client: _Client,
        contact: _Contact,
        subject: str,
        priority: Priority,
        channel: Channel,
        dispatcher: int,
        category: _Category,
    ) -> tuple[_Life, int | None]:
        self.ticket_id += 1
        contract = client.contract_on(created.date())
        plan = self.world.plans[contract.plan_id if contract else self.world.default_plan_id]
        registrar = dispatcher if channel in (Channel.phone, Channel.walk_in) else None
        equipment = None
        if client.equipment and category.name in (
            "Servers",
            "Printers and scanners",
            "Network and VPN",
        ):
            if self.rng.random() < 0.3:
                equipment = client.equipment[self.rng.randrange(len(client.equipment))]
        row: dict[str, Any] = {
            "id": self.ticket_id,
            "subject": subject,
            "status": TicketStatus.new.value,
            "priority": priority.value,
            "channel": channel.value,
            "queue_id": self.world.intake_queue_id,
            "category_id": None,
            "client_id": client.id,
            "contact_id": contact.id,
            "contract_id": contract.id if contract else None,
            "equipment_id": equipment,
            "sla_plan_id": plan.id,
            "assignee_id": None,
            "created_by_id": registrar,
            "created_at": created,
            "updated_at": created,
            "first_response_due": None,
            "first_responded_at": None,
            "resolution_due": None,
            "next_update_due": None,
            "sla_paused_since": None,
            "next_due_at": NO_DEADLINE,
            "next_alert_at": NO_DEADLINE,
            "resolved_at": None,
            "closed_at": None,
            "reopen_count": 0,
            "merged_into_id": None,
            "version": 1,
        }
        life = _Life(self, self.ticket_id, row, plan, plan.targets[priority])
        life.event(
            created,
            EventKind.created,
            registrar,
            {"channel": channel.value, "subject": subject, "priority": priority.value},
            bump=False,
        )
        return life, registrar

    def _body(self, language: str, subject: str, contact: _Contact, client: _Client) -> str:
        rng = self.rng
        details = cat.DETAILS[language]
        first = details[rng.randrange(len(details))]
        second = details[rng.randrange(len(details))]
        return (
            f"{cat.GREETINGS[language]}\n\n{subject}. {first} {second}\n\n"
            f"{cat.SIGN_OFFS[language]}\n{contact.name}\n{client.name}"
        )

    def _ticket(self, created: datetime, *, with_duplicate: bool) -> None:
        rng, world, now = self.rng, self.world, self.now
        client = rng.choices(world.clients, cum_weights=self.client_cum)[0]
        language = client.language
        contact = client.contacts[rng.randrange(len(client.contacts))]
        category = rng.choices(world.categories, cum_weights=self.category_cum)[0]
        if category.default_priority is not None and rng.random() < 0.6:
            priority = category.default_priority
        else:
            priority = rng.choices(_PRIORITIES, cum_weights=_PRIORITY_CUM)[0]
        channel = rng.choices(_CHANNELS, cum_weights=_CHANNEL_CUM)[0]
        subjects = cat.SUBJECTS[category.name][language]
        subject = subjects[rng.randrange(len(subjects))]
        desk = world.dispatchers_en if language == "en" else world.dispatchers_ru
        dispatcher = desk[rng.randrange(len(desk))]
        engineers = category.engineers_en if language == "en" else category.engineers_ru
        minutes = rng.randint

        life, registrar = self._new_life(
            created,
            client=client,
            contact=contact,
            subject=subject,
            priority=priority,
            channel=channel,
            dispatcher=dispatcher,
            category=category,
        )
        life.message(created, MessageKind.inbound, self._body(language, subject, contact, client),
                     event=False)  # fmt: skip
        life.start_clock(created, registrar, life.row["contract_id"])

        duplicate: _Life | None = None
        if with_duplicate:
            duplicate = self._duplicate(life, created, client, contact, dispatcher, category)

        row = life.row
        try:
            t = created

            def step(at: datetime) -> datetime:
                if at > now:
                    raise _Cutoff
                return at

            if rng.random() < 0.02:
                t = step(t + timedelta(minutes=minutes(3, 90)))
                life.set_status(t, TicketStatus.spam, dispatcher, "spam")
                raise _Cutoff
            # Classified by the first line: category (and so the queue), new → open.
            t = step(t + timedelta(minutes=minutes(1, 30)))
            changes: dict[str, Any] = {"category_id": [None, category.id]}
            if category.queue_id != row["queue_id"]:
                changes["queue_id"] = [row["queue_id"], category.queue_id]
            changes["status"] = [TicketStatus.new.value, TicketStatus.open.value]
            row["category_id"], row["queue_id"] = category.id, category.queue_id
            life.status = TicketStatus.open
            row["status"] = TicketStatus.open.value
            life.event(t, EventKind.classified, dispatcher, {"changes": changes})

            # Assigned to an engineer with the competence.
            wait = minutes(2, 120) if rng.random() > 0.05 else minutes(240, 2880)
            t = step(t + timedelta(minutes=wait))
            engineer, login = engineers[rng.randrange(len(engineers))]
            row["assignee_id"] = engineer
            life.event(
                t,
                EventKind.assigned,
                dispatcher,
                {
                    "assignee_id": engineer,
                    "assignee": login,
                    "previous": None,
                    "status": [TicketStatus.open.value, TicketStatus.assigned.value],
                },
            )
            life.status = TicketStatus.assigned
            row["status"] = TicketStatus.assigned.value

            # The first public reply meets (or misses) the first-response target.
            first, resolution, _ = life.budgets
            share = rng.uniform(1.05, 2.5) if rng.random() < 0.08 else rng.random() ** 2 * 0.9
            answer = life.when_elapsed(max(1, int(first * share)))
            t = step(max(answer, t + _MINUTE))
            replies = cat.REPLIES[language]
            life.message(t, MessageKind.reply, replies[rng.randrange(2)], author=engineer)
            row["first_responded_at"] = t
            life.meet(t, SlaTarget.first_response, engineer)

            t = step(t + timedelta(minutes=minutes(1, 45)))
            life.set_status(t, TicketStatus.in_progress, engineer)

            if rng.random() < 0.35:
                t = step(t + timedelta(minutes=minutes(5, 180)))
                note = cat.NOTES[rng.randrange(len(cat.NOTES))]
                life.message(t, MessageKind.note, note, author=engineer)

            if rng.random() < 0.05:
                # Handed over to a colleague with the same competence.
                other, other_login = engineers[rng.randrange(len(engineers))]
                if other != engineer:
                    t = step(t + timedelta(minutes=minutes(10, 300)))
                    life.event(
                        t,
                        EventKind.assigned,
                        engineer,
                        {"assignee_id": other, "assignee": other_login, "previous": login},
                        "handing over",
                    )
                    engineer, login = other, other_login
                    row["assignee_id"] = engineer

            if rng.random() < 0.2:
                # Waiting on the client: the SLA clock pauses.
                t = step(t + timedelta(minutes=minutes(10, 240)))
                life.message(t, MessageKind.reply, replies[2], author=engineer)
                life.set_status(t, TicketStatus.waiting_client, engineer, "asked for details")
                if rng.random() < 0.12:
                    t = step(t + timedelta(days=7))
                    life.set_status(t, TicketStatus.closed, None, "no answer from the client")
                    row["closed_at"] = t
                    raise _Cutoff
                t = step(t + timedelta(minutes=minutes(60, 3 * 1440)))
                answers = cat.CLIENT_ANSWERS[language]
                life.message(t, MessageKind.inbound, answers[rng.randrange(2)])
                life.set_status(t, TicketStatus.in_progress, engineer, "the client answered")

            if rng.random() < 0.07:
                t = step(t + timedelta(minutes=minutes(15, 240)))
                t = self._escalate(life, t, engineer, step)

            # Resolved: a public reply and the status; the clock stops.
            share = rng.uniform(1.05, 2.0) if rng.random() < 0.1 else rng.uniform(0.1, 0.95)
            fixed = life.when_elapsed(max(1, int(resolution * share)))
            t = step(max(fixed, t + timedelta(minutes=minutes(5, 60))))
            fixes = cat.RESOLUTIONS[language]
            life.message(t, MessageKind.reply, fixes[rng.randrange(len(fixes))], author=engineer)
            life.set_status(t, TicketStatus.resolved, engineer)
            row["resolved_at"] = t

            if rng.random() < 0.04:
                # "Still broken": reopened, then fixed again.
                t = step(t + timedelta(minutes=minutes(120, 2880)))
                answers = cat.CLIENT_ANSWERS[language]
                life.message(t, MessageKind.inbound, answers[1])
                row["reopen_count"] += 1
                row["resolved_at"] = None
                life.set_status(
                    t, TicketStatus.in_progress, dispatcher, "the client says it is not fixed",
                    kind=EventKind.reopened,
                )  # fmt: skip
                t = step(t + timedelta(minutes=minutes(60, 2880)))
                life.message(
                    t, MessageKind.reply, fixes[rng.randrange(len(fixes))], author=engineer
                )
                life.set_status(t, TicketStatus.resolved, engineer)
                row["resolved_at"] = t

            resolved_at = t
            if rng.random() < 0.6:
                t = step(t + timedelta(minutes=minutes(30, 2880)))
                life.message(t, MessageKind.inbound, cat.CLIENT_ANSWERS[language][2])
                life.set_status(t, TicketStatus.closed, dispatcher, "confirmed by the client")
                row["closed_at"] = t
                if rng.random() < 0.4:
                    t = step(t + timedelta(minutes=minutes(1, 120)))
                    self._rate(life, t, client, contact)
            else:
                t = step(self.due(life.plan, resolved_at, life.plan.confirm_minutes))
                life.set_status(
                    t, TicketStatus.closed, None, "no answer within the confirmation window"
                )
                row["closed_at"] = t
        except _Cutoff:
            pass
        life.finish(now)
        if duplicate is not None:
            duplicate.finish(now)

    def _duplicate(
        self,
        original: _Life,
        created: datetime,
        client: _Client,
        contact: _Contact,
        dispatcher: int,
        category: _Category,
    ) -> _Life:
        """The same request sent again: registered, then merged into the original."""
        rng, now = self.rng, self.now
        at = min(created + timedelta(minutes=rng.randint(10, 180)), now)
        subject = original.row["subject"]
        life, registrar = self._new_life(
            at,
            client=client,
            contact=contact,
            subject=subject,
            priority=Priority(original.row["priority"]),
            channel=Channel.email,
            dispatcher=dispatcher,
            category=category,
        )
        merged_at = at + timedelta(minutes=rng.randint(5, 90))
        merged = merged_at <= now
        body = self._body(client.language, subject, contact, client)
        life.message(at, MessageKind.inbound, body, event=False,
                     ticket_id=original.id if merged else None)  # fmt: skip
        life.start_clock(at, registrar, life.row["contract_id"])
        if merged:
            life.row["merged_into_id"] = original.id
            life.set_status(
                merged_at,
                TicketStatus.merged,
                dispatcher,
                "duplicate",
                kind=EventKind.merged,
                data={"into": original.id, "messages": 1, "status": ["new", "merged"]},
            )
            original.event(
                merged_at,
                EventKind.merged,
                dispatcher,
                {"from": life.id, "messages": 1},
                "duplicate",
            )
        return life

    def _escalate(
        self, life: _Life, t: datetime, engineer: int, step: Callable[[datetime], datetime]
    ) -> datetime:
        rng = self.rng
        vendor = cat.VENDORS[rng.randrange(len(cat.VENDORS))]
        vendor_ref = f"CASE-{rng.randrange(10**7):07d}"
        promised = t + timedelta(days=2)
        checkin = t + timedelta(days=1)
        self.escalation_id += 1
        escalation: dict[str, Any] = {
            "id": self.escalation_id,
            "ticket_id": life.id,
            "target": EscalationTarget.vendor.value,
            "to_user_id": None,
            "vendor": vendor,
            "vendor_ref": vendor_ref,
            "promised_at": promised,
            "next_checkin_at": checkin,
            "note": "передано производителю / escalated to the vendor",
            "created_at": t,
            "created_by_id": engineer,
            "closed_at": None,
        }
        self.escalations.append(escalation)
        life.set_status(
            t,
            TicketStatus.escalated,
            engineer,
            escalation["note"],
            kind=EventKind.escalated,
            data={
                "target": EscalationTarget.vendor.value,
                "to": None,
                "vendor": vendor,
                "vendor_ref": vendor_ref,
                "promised_at": promised.isoformat(),
                "next_checkin_at": checkin.isoformat(),
                "status": [life.status.value, TicketStatus.escalated.value],
            },
        )
        t = step(t + timedelta(minutes=rng.randint(240, 6 * 1440)))
        escalation["closed_at"] = t
        life.set_status(t, TicketStatus.in_progress, engineer, f"{vendor} answered")
        return t

    def _rate(self, life: _Life, at: datetime, client: _Client, contact: _Contact) -> None:
        score = self.rng.choices(_SCORES, cum_weights=_SCORE_CUM)[0]
        self.rating_id += 1
        self.ratings.append(
            {
                "id": self.rating_id,
                "ticket_id": life.id,
                "client_id": client.id,
                "contact_id": contact.id,
                "kind": RatingKind.csat.value,
                "score": score,
                "comment": "",
                "at": at,
            }
        )
        life.event(at, EventKind.rated, None, {"kind": RatingKind.csat.value, "score": score})


def _bump_sequences(store: Store) -> None:
    """PostgreSQL: explicit ids do not move the sequences; move them past the rows."""
    with store.write() as session:
        for name in ("ticket", "ticket_event", "message", "escalation", "rating"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
            )


class _Writer:
    """Bulk inserts of plain dicts: SQLAlchemy Core, or (SQLite) the driver's executemany."""

    def __init__(self, *, fast: bool) -> None:
        self.fast = fast
        self._plans: dict[str, _FastInsert] = {}

    def insert(self, session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
        if not self.fast:
            session.execute(insert(table), rows)
            return
        connection = session.connection()
        plan = self._plans.get(table.name)
        if plan is None:
            plan = self._plans[table.name] = _FastInsert(table, connection.dialect)
        connection.exec_driver_sql(plan.sql, plan.params(rows))


class _FastInsert:
    """The compiled INSERT of a table and how to turn a row dict into its parameters."""

    def __init__(self, table: Table, dialect: Any) -> None:
        compiled = insert(table).compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        self.sql = str(compiled)
        self.getter = itemgetter(*names)
        self.conversions = tuple(
            (index, convert)
            for index, name in enumerate(names)
            if (convert := _sqlite_converter(table.columns[name].type)) is not None
        )

    def params(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        getter, conversions = self.getter, self.conversions
        result = []
        for row in rows:
            values = list(getter(row))
            for index, convert in conversions:
                values[index] = convert(values[index])
            result.append(tuple(values))
        return result


def _sqlite_datetime(value: datetime | None) -> str | None:
    """As SQLModel's UTCDateTime over SQLite's DATETIME: UTC text with microseconds."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text_value = value.isoformat(" ")[:-6]  # drop "+00:00"
    return text_value if value.microsecond else text_value + ".000000"


def _sqlite_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    if isinstance(column_type, JSON):
        return _sqlite_json
    if isinstance(column_type, DateTime | Date):
        raise TypeError(f"no fast conversion for {column_type!r}")
    return None
