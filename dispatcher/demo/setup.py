"""The demo's setup: the team, the directory, the SLA plans and the texts, entered as an admin
enters them, through the store's own `add_*` functions and their checks.

A few hundred rows in one transaction, so the ORM's round trips do not matter. What the
admin commands stamp with the wall clock (when a user or a client was created) is then
backdated, and what only use produces (how often a template or an article was used, its
helpful votes) is set, so that the same seed and `now` give the same database.

The ticket simulation gets a `World`: the same setup as plain values, read back through the
store (plans, budgets, warning thresholds, calendars), never from the catalogue directly.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlmodel import Session

from dispatcher.demo import catalogue as cat
from dispatcher.demo.summary import DemoSummary
from dispatcher.demo.world import Category, Client, Contact, Contract, Plan, World
from dispatcher.domain.calendar import CalendarSpec
from dispatcher.domain.enums import Channel, Priority, Role
from dispatcher.domain.sla_config import PlanSpec, SlaConfig, TargetSpec
from dispatcher.store.clients.clients import add_client
from dispatcher.store.clients.contacts import add_contact
from dispatcher.store.clients.contracts import add_contract
from dispatcher.store.clients.equipment import add_equipment
from dispatcher.store.knowledge.articles import upsert_article
from dispatcher.store.models import KbArticle, ReplyTemplate
from dispatcher.store.people.competences import add_competence, grant_competence
from dispatcher.store.people.schedules import add_leave, set_shifts
from dispatcher.store.people.users import add_user, deactivate_user
from dispatcher.store.replies.templates import add_template
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.sla.plans import list_plans, load_sla_config
from dispatcher.store.tickets.classification import add_category, add_queue

# How long before `now` the team, the clients and the plans were set up.
SET_UP_DAYS_AGO = 400


def build_setup(
    session: Session, *, rng: random.Random, now: datetime, summary: DemoSummary
) -> World:
    """Write the whole setup in `session`; the world the ticket simulation runs in."""
    long_ago = now - timedelta(days=SET_UP_DAYS_AGO)
    competences, users = _team(session, today=now.date(), long_ago=long_ago)
    summary.users = len(users)
    queues = {
        name: _id(add_queue(session, name=name, description=description).id)
        for name, description in cat.QUEUES
    }
    load_sla_config(session, config=sla_config(), now=long_ago)
    plans = _plans(session)
    default_plan = sla_clock.default_plan(session)
    assert default_plan is not None, "the demo's SLA configuration has a default plan"
    clients = _clients(session, rng=rng, today=now.date(), long_ago=long_ago, summary=summary)
    categories = _categories(session, queues=queues, competences=competences, users=users)
    _templates(session, rng=rng, categories=categories, long_ago=long_ago)
    summary.templates = len(cat.TEMPLATES)
    _articles(session, rng=rng, users=users, now=now)
    summary.articles = len(cat.ARTICLES)

    london = {s.login for s in cat.USERS if s.timezone == cat.LON}
    desk = [s.login for s in cat.USERS if s.role == Role.dispatcher]
    return World(
        plans=plans,
        default_plan_id=_id(default_plan.id),
        clients=tuple(clients),
        categories=tuple(categories),
        intake_queue_id=queues[cat.QUEUES[0][0]],
        dispatchers_ru=tuple(users[login] for login in desk if login not in london),
        dispatchers_en=tuple(users[login] for login in desk if login in london),
    )


def _id(value: int | None) -> int:
    assert value is not None, "flushed rows have ids"
    return value


# --- The team ---------------------------------------------------------------------------


def _team(
    session: Session, *, today: date, long_ago: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Competences, users with their competences and shifts, and leave: ids by code, login."""
    competences = {
        code: _id(add_competence(session, code=code, name=name).id)
        for code, name in cat.COMPETENCES
    }
    users: dict[str, int] = {}
    for spec in cat.USERS:
        user = add_user(
            session,
            login=spec.login,
            name=spec.name,
            email=f"{spec.login}@{cat.MESSAGE_DOMAIN}",
            role=spec.role,
            timezone=spec.timezone,
        )
        user.created_at = long_ago
        user_id = users[spec.login] = _id(user.id)
        for code in spec.competences:
            grant_competence(session, user_id=user_id, competence_id=competences[code])
        if spec.role in (Role.engineer, Role.dispatcher):
            set_shifts(session, user_id=user_id, specs=cat.SHIFTS[spec.shift])
        if not spec.active:
            deactivate_user(session, user_id=user_id)
    for login, first, last, reason in cat.LEAVES:
        add_leave(
            session,
            user_id=users[login],
            starts_on=today + timedelta(days=first),
            ends_on=today + timedelta(days=last),
            reason=reason,
        )
    return competences, users


# --- SLA --------------------------------------------------------------------------------


def sla_config() -> SlaConfig:
    """The catalogue's calendars and plans as `dispatcher admin sla load` reads them."""
    calendars = {
        spec.name: CalendarSpec(
            timezone=spec.timezone,
            always_open=spec.always_open,
            hours={day: tuple(spans) for day, spans in spec.hours.items()},
            country=spec.country,
        )
        for spec in cat.CALENDARS
    }
    plans = {
        spec.name: PlanSpec(
            name=spec.name,
            calendar=spec.calendar,
            description=spec.description,
            is_default=spec.is_default,
            breach_raises_priority=spec.breach_raises_priority,
            targets={
                priority: TargetSpec(
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                    update_minutes=update,
                    # Short targets warn closer to the deadline.
                    warn_before_minutes=(60, 15) if resolution > 240 else (30, 10),
                )
                for priority, (first, resolution, update) in spec.targets.items()
            },
        )
        for spec in cat.PLANS
    }
    return SlaConfig(calendars=calendars, plans=plans)


def _plans(session: Session) -> dict[int, Plan]:
    """The plans as the store's SLA clock reads them for a ticket."""
    plans: dict[int, Plan] = {}
    for view in list_plans(session):
        plan_id = _id(view.plan.id)
        plans[plan_id] = Plan(
            id=plan_id,
            name=view.plan.name,
            calendar=sla_clock.calendar_of_plan(session, plan=view.plan),
            budgets={
                priority: budgets
                for priority in Priority
                if (budgets := sla_clock.budgets_for(session, plan_id=plan_id, priority=priority))
            },
            warn_before={
                priority: sla_clock.warn_thresholds(session, plan_id=plan_id, priority=priority)
                for priority in Priority
            },
            confirm_minutes=view.plan.confirm_window_minutes,
        )
    return plans


# --- Clients ----------------------------------------------------------------------------

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


def _clients(
    session: Session,
    *,
    rng: random.Random,
    today: date,
    long_ago: datetime,
    summary: DemoSummary,
) -> list[Client]:
    """Clients with their domain, contacts, equipment and contracts."""
    clients: list[Client] = []
    phone_serial = contract_serial = 0
    for index, spec in enumerate(cat.CLIENTS, start=1):
        row = add_client(
            session,
            name=spec.name,
            notes="Клиент с 2021 года" if spec.language == "ru" else "",
            domains=[spec.domain],
        )
        row.created_at = long_ago
        client_id = _id(row.id)
        contacts: list[Contact] = []
        for name, position in spec.contacts:
            email = f"{_email_local(name)}@{spec.domain}"
            phone_serial += 1
            country = "7" if spec.language == "ru" else "44"
            number = f"{2_000_000 + phone_serial * 7919 % 7_000_000:07d}"
            phone = f"+{country} ({spec.city_code}) {number[:3]}-{number[3:5]}-{number[5:]}"
            contact = add_contact(
                session,
                client_id=client_id,
                name=name,
                position=position,
                emails=[email],
                phones=[phone],
            )
            contacts.append(Contact(_id(contact.id), name, email))
        equipment = [
            _id(
                add_equipment(
                    session,
                    client_id=client_id,
                    name=name,
                    kind=kind,
                    serial=f"SN{index:02d}{j:02d}{rng.randrange(10**6):06d}",
                    location=location,
                ).id
            )
            for j, (name, kind, location) in enumerate(
                rng.sample(cat.EQUIPMENT, k=rng.randint(1, 4)), start=1
            )
        ]
        terms = _contract_terms(spec, index=index, today=today)
        prefix = "Д" if spec.language == "ru" else "SC"
        contracts: list[Contract] = []
        for ordinal, (plan_name, valid_from, valid_to) in enumerate(terms, start=1):
            contract_serial += 1
            current = ordinal == len(terms) and bool(spec.plan)
            contract = add_contract(
                session,
                number=f"{prefix}-{valid_from.year}/{contract_serial:03d}",
                client_id=client_id,
                plan=plan_name,
                valid_from=valid_from,
                valid_to=valid_to,
                equipment_ids=equipment if current else (),
            )
            contracts.append(Contract(_id(contract.id), contract.sla_plan_id, valid_from, valid_to))
        clients.append(
            Client(
                id=client_id,
                name=spec.name,
                language=spec.language,
                domain=spec.domain,
                weight=spec.weight,
                contacts=tuple(contacts),
                contracts=tuple(contracts),
                equipment=tuple(equipment),
            )
        )
        summary.contacts += len(contacts)
        summary.contracts += len(contracts)
    summary.clients = len(clients)
    return clients


def _contract_terms(
    spec: cat.DemoClient, *, index: int, today: date
) -> list[tuple[str, date, date | None]]:
    """(plan, valid from, valid to) of the client's contracts; the last one is current."""
    if not spec.plan:
        # Only an expired contract: tickets fall back to the default plan, flagged.
        return [("standard", today - timedelta(days=800), today - timedelta(days=120))]
    if index % 4 == 0:
        # The contract changed plan during the history window.
        return [
            ("standard", today - timedelta(days=700), today - timedelta(days=31)),
            (spec.plan, today - timedelta(days=30), None),
        ]
    terms: list[tuple[str, date, date | None]] = []
    if index % 3 == 0:
        terms.append(("standard", today - timedelta(days=900), today - timedelta(days=401)))
    expires = None if index % 2 else today + timedelta(days=200)
    terms.append((spec.plan, today - timedelta(days=400), expires))
    return terms


# --- Queues, categories and who can work them -------------------------------------------


def _categories(
    session: Session,
    *,
    queues: dict[str, int],
    competences: dict[str, int],
    users: dict[str, int],
) -> list[Category]:
    london = {s.login for s in cat.USERS if s.timezone == cat.LON}
    categories: list[Category] = []
    for spec in cat.CATEGORIES:
        row = add_category(
            session,
            name=spec.name,
            queue_id=queues[spec.queue],
            competence_id=competences[spec.competence],
            default_priority=spec.default_priority,
        )
        able = [
            (users[s.login], s.login)
            for s in cat.USERS
            if s.role == Role.engineer and s.active and spec.competence in s.competences
        ]
        categories.append(
            Category(
                id=_id(row.id),
                name=spec.name,
                queue_id=queues[spec.queue],
                default_priority=spec.default_priority,
                weight=spec.weight,
                engineers_ru=tuple(e for e in able if e[1] not in london) or tuple(able),
                engineers_en=tuple(e for e in able if e[1] in london) or tuple(able),
            )
        )
    return categories


# --- Templates and articles -------------------------------------------------------------


def _templates(
    session: Session, *, rng: random.Random, categories: list[Category], long_ago: datetime
) -> None:
    category_ids = {c.name: c.id for c in categories}
    for name, category, channel, subject, body in cat.TEMPLATES:
        info = add_template(
            session,
            name=name,
            body=body,
            subject=subject,
            category_id=category_ids[category] if category else None,
            channel=Channel(channel) if channel else None,
            now=long_ago,
        )
        row = session.get(ReplyTemplate, info.id)
        assert row is not None
        row.uses = rng.randrange(200)


def _articles(
    session: Session, *, rng: random.Random, users: dict[str, int], now: datetime
) -> None:
    authors = [users[login] for login in ("ivan", "anna", "james", "lena", "raj")]
    for ordinal, article in enumerate(cat.ARTICLES):
        written = now - timedelta(days=30 + rng.randrange(300), minutes=rng.randrange(600))
        result = upsert_article(
            session,
            slug=article.slug,
            title=article.title,
            body=article.body,
            tags=article.tags,
            visibility=article.visibility,
            groups=(),
            author_id=authors[ordinal % len(authors)],
            now=written,
        )
        row = session.get(KbArticle, result.article.id)
        assert row is not None
        row.uses = rng.randrange(300)
        row.helpful_votes = rng.randrange(40)
        row.updated_at = written + timedelta(days=rng.randrange(20))
