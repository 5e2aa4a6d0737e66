"""The team repository: users, competences, shifts, leave, availability."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from dispatcher.domain.enums import Role
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Category, User
from dispatcher.store.people import competences, schedules, users
from tests.factories import new_ticket, world


def _user(store: Store, login: str = "maria", **kwargs: str) -> User:
    with store.write() as session:
        return users.add_user(session, login=login, name=kwargs.pop("name", "Maria"), **kwargs)


def test_add_and_list_users(store: Store) -> None:
    with store.write() as session:
        users.add_user(
            session,
            login="maria",
            name="  Мария Иванова ",
            email="Maria@Example.COM",
            role="Engineer",
            timezone="Europe/Moscow",
        )
        users.add_user(session, login="boris", name="Boris", role=Role.lead)
    with store.read() as session:
        listed = users.list_users(session)
        assert [u.login for u in listed] == ["boris", "maria"]
        maria = users.get_user_by_login(session, login="maria")
        assert maria.name == "Мария Иванова"
        assert maria.email == "Maria@example.com"
        assert maria.role == Role.engineer
        assert maria.timezone == "Europe/Moscow"
        assert [u.login for u in users.list_users(session, role="lead")] == ["boris"]
        assert users.resolve_user(session, ref=str(maria.id)).login == "maria"
        assert users.resolve_user(session, ref=maria.id or 0).login == "maria"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"login": "bad login"}, "not a login"),
        ({"login": ""}, "not a login"),
        ({"login": "x" * 65}, "not a login"),
        ({"login": "12345"}, "only digits"),
        ({"name": "   "}, "cannot be empty"),
        ({"name": "two\nlines"}, "one line"),
        ({"email": "not-an-address"}, "not an email"),
        ({"email": "a@b"}, "not an email"),
        ({"role": "boss"}, "unknown role"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_bad_user_input_is_refused(store: Store, kwargs: dict[str, str], message: str) -> None:
    values = {"login": "maria", "name": "Maria"} | kwargs
    with pytest.raises(ValidationError, match=message), store.write() as session:
        users.add_user(session, **values)
    with store.read() as session:
        assert users.list_users(session, include_inactive=True) == []


def test_duplicate_login_is_a_conflict(store: Store) -> None:
    _user(store)
    with pytest.raises(ConflictError, match="already exists"), store.write() as session:
        users.add_user(session, login="maria", name="Another Maria")


def test_unknown_users(store: Store) -> None:
    with store.read() as session:
        with pytest.raises(NotFoundError):
            users.resolve_user(session, ref="nobody")
        with pytest.raises(NotFoundError):
            users.resolve_user(session, ref="42")
        with pytest.raises(NotFoundError):
            users.get_user(session, user_id=42)
        with pytest.raises(NotFoundError):
            users.get_user_by_login(session, login="nobody")


def test_edit_user(store: Store) -> None:
    user = _user(store, email="m@example.com")
    with store.write() as session:
        users.edit_user(session, user_id=user.id or 0, role="lead", email=None, name="Maria K")
    with store.read() as session:
        changed = users.get_user(session, user_id=user.id or 0)
        assert (changed.role, changed.email, changed.name) == (Role.lead, None, "Maria K")
        assert changed.timezone == "UTC"
    with pytest.raises(ValidationError), store.write() as session:
        users.edit_user(session, user_id=user.id or 0, timezone="Nowhere")
    with pytest.raises(NotFoundError), store.write() as session:
        users.edit_user(session, user_id=999, name="x")


def test_deactivate_keeps_the_user_and_hides_them(store: Store) -> None:
    user = _user(store)
    with store.write() as session:
        users.deactivate_user(session, user_id=user.id or 0)
    with store.read() as session:
        assert users.list_users(session) == []
        assert [u.login for u in users.list_users(session, include_inactive=True)] == ["maria"]
    with pytest.raises(ConflictError, match="already deactivated"), store.write() as session:
        users.deactivate_user(session, user_id=user.id or 0)
    with store.write() as session:
        users.activate_user(session, user_id=user.id or 0)
    with pytest.raises(ConflictError, match="already active"), store.write() as session:
        users.activate_user(session, user_id=user.id or 0)


def test_a_user_with_history_cannot_be_deleted(store: Store, now: datetime) -> None:
    w = world(store)
    new_ticket(store, w, now=now)
    with store.read() as session:
        assert users.has_history(session, user_id=w.dispatcher.id or 0)
        assert not users.has_history(session, user_id=w.lead.id or 0)
    with pytest.raises(ConflictError, match="deactivate"), store.write() as session:
        users.remove_user(session, user_id=w.dispatcher.id or 0)
    with store.write() as session:
        users.remove_user(session, user_id=w.engineer2.id or 0)  # has a competence, no history
    with store.read() as session:
        assert users.get_user(session, user_id=w.dispatcher.id or 0).active
        with pytest.raises(NotFoundError):
            users.get_user(session, user_id=w.engineer2.id or 0)


def test_open_tickets_assigned(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        from dispatcher.store.tickets.writes import assign

        assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=ticket.version,
            assignee_id=w.engineer.id,
            actor_id=w.dispatcher.id,
            now=now,
        )
    with store.read() as session:
        assert users.open_tickets_assigned(session, user_id=w.engineer.id or 0) == 1
        assert users.open_tickets_assigned(session, user_id=w.engineer2.id or 0) == 0


# --- competences ----------------------------------------------------------------------


def test_competences(store: Store) -> None:
    user = _user(store)
    with store.write() as session:
        network = competences.add_competence(session, code="Network", name="Networks")
        competences.add_competence(session, code="printers")
        competences.grant_competence(session, user_id=user.id or 0, competence_id=network.id or 0)
    with store.read() as session:
        assert [c.code for c in competences.list_competences(session)] == ["network", "printers"]
        assert competences.resolve_competence(session, ref="NETWORK").name == "Networks"
        assert competences.resolve_competence(session, ref="printers").name == "printers"
        assert [c.code for c in competences.user_competences(session, user_id=user.id or 0)] == [
            "network"
        ]
        assert competences.competences_by_user(session) == {user.id: ["network"]}
    with pytest.raises(ConflictError, match="already has"), store.write() as session:
        competences.grant_competence(session, user_id=user.id or 0, competence_id=network.id or 0)
    with store.write() as session:
        competences.revoke_competence(session, user_id=user.id or 0, competence_id=network.id or 0)
    with pytest.raises(ConflictError, match="does not have"), store.write() as session:
        competences.revoke_competence(session, user_id=user.id or 0, competence_id=network.id or 0)


@pytest.mark.parametrize("code", ["", "has space", "123", "ünïcode"])
def test_bad_competence_codes(store: Store, code: str) -> None:
    with pytest.raises(ValidationError), store.write() as session:
        competences.add_competence(session, code=code)


def test_competence_conflicts_and_unknowns(store: Store) -> None:
    user = _user(store)
    with store.write() as session:
        competences.add_competence(session, code="network")
    with pytest.raises(ConflictError), store.write() as session:
        competences.add_competence(session, code="NETWORK")
    with store.read() as session:
        with pytest.raises(NotFoundError):
            competences.resolve_competence(session, ref="nope")
    with pytest.raises(NotFoundError), store.write() as session:
        competences.grant_competence(session, user_id=user.id or 0, competence_id=999)
    with pytest.raises(NotFoundError), store.write() as session:
        competences.grant_competence(session, user_id=999, competence_id=1)
    with pytest.raises(NotFoundError), store.write() as session:
        competences.remove_competence(session, competence_id=999)


def test_a_competence_a_category_needs_cannot_be_removed(store: Store) -> None:
    w = world(store)
    with store.read() as session:
        network = competences.resolve_competence(session, ref="network")
    with pytest.raises(ConflictError, match="Network"), store.write() as session:
        competences.remove_competence(session, competence_id=network.id or 0)
    with store.write() as session:
        category = session.get(Category, w.category.id)
        assert category is not None
        category.competence_id = None
        session.add(category)
    with store.write() as session:
        assert competences.remove_competence(session, competence_id=network.id or 0) == 2
    with store.read() as session:
        assert competences.user_competences(session, user_id=w.engineer.id or 0) == []


# --- shifts ---------------------------------------------------------------------------


def test_set_and_replace_shifts(store: Store) -> None:
    user = _user(store)
    with store.write() as session:
        rows = schedules.set_shifts(
            session, user_id=user.id or 0, specs=["mon-fri 09:00-18:00", "sat 22:00-06:00"]
        )
        assert len(rows) == 6
    with store.read() as session:
        shifts = schedules.list_shifts(session, user_id=user.id or 0)
        assert [(s.weekday, s.starts, s.ends) for s in shifts][-1] == (5, time(22), time(6))
    with store.write() as session:
        schedules.set_shifts(session, user_id=user.id or 0, specs=["sun 10:00-14:00"])
    with store.read() as session:
        assert [
            (s.weekday, s.starts) for s in schedules.list_shifts(session, user_id=user.id or 0)
        ] == [(6, time(10))]
    with store.write() as session:
        assert schedules.clear_shifts(session, user_id=user.id or 0) == 1


@pytest.mark.parametrize(
    "specs",
    [[], ["mon-fri 9-18"], ["mon 09:00-18:00", "mon 10:00-11:00"], ["moon 09:00-18:00"]],
)
def test_bad_shifts_leave_the_schedule_alone(store: Store, specs: list[str]) -> None:
    user = _user(store)
    with store.write() as session:
        schedules.set_shifts(session, user_id=user.id or 0, specs=["tue 09:00-18:00"])
    with pytest.raises(ValidationError), store.write() as session:
        schedules.set_shifts(session, user_id=user.id or 0, specs=specs)
    with store.read() as session:
        assert len(schedules.list_shifts(session, user_id=user.id or 0)) == 1


def test_shifts_of_an_unknown_user(store: Store) -> None:
    with pytest.raises(NotFoundError), store.write() as session:
        schedules.set_shifts(session, user_id=999, specs=["mon 09:00-18:00"])


# --- leave and availability -----------------------------------------------------------


def test_leave(store: Store) -> None:
    user = _user(store)
    with store.write() as session:
        leave = schedules.add_leave(
            session,
            user_id=user.id or 0,
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 5),
            reason="Отпуск",
        )
        schedules.add_leave(
            session, user_id=user.id or 0, starts_on=date(2026, 1, 5), ends_on=date(2026, 1, 5)
        )
    with store.read() as session:
        assert len(schedules.list_leave(session, user_id=user.id or 0)) == 2
        upcoming = schedules.list_leave(session, ending_on_or_after=date(2026, 6, 1))
        assert [(x.reason, x.starts_on) for x in upcoming] == [("Отпуск", date(2026, 12, 1))]
    with pytest.raises(ConflictError, match="already on leave"), store.write() as session:
        schedules.add_leave(
            session, user_id=user.id or 0, starts_on=date(2026, 12, 5), ends_on=date(2026, 12, 8)
        )
    with pytest.raises(ValidationError, match="before it starts"), store.write() as session:
        schedules.add_leave(
            session, user_id=user.id or 0, starts_on=date(2026, 12, 9), ends_on=date(2026, 12, 8)
        )
    with pytest.raises(NotFoundError), store.write() as session:
        schedules.add_leave(
            session, user_id=999, starts_on=date(2026, 12, 9), ends_on=date(2026, 12, 9)
        )
    with store.write() as session:
        schedules.remove_leave(session, leave_id=leave.id or 0)
    with pytest.raises(NotFoundError), store.write() as session:
        schedules.remove_leave(session, leave_id=leave.id or 0)


def test_availability(store: Store) -> None:
    user = _user(store, timezone="Europe/Moscow")
    uid = user.id or 0
    wednesday_1030_msk = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
    with store.write() as session:
        schedules.set_shifts(session, user_id=uid, specs=["mon-fri 09:00-18:00"])
    with store.read() as session:
        assert schedules.is_available(session, user_id=uid, at=wednesday_1030_msk)
        assert not schedules.is_available(
            session, user_id=uid, at=datetime(2026, 11, 18, 16, tzinfo=UTC)
        )
    with store.write() as session:
        schedules.add_leave(
            session, user_id=uid, starts_on=date(2026, 11, 18), ends_on=date(2026, 11, 18)
        )
    with store.read() as session:
        state = schedules.availability(session, user_id=uid, at=wednesday_1030_msk)
        assert state.on_shift
        assert state.on_leave
        assert not schedules.is_available(session, user_id=uid, at=wednesday_1030_msk)
        thursday = datetime(2026, 11, 19, 7, 30, tzinfo=UTC)
        assert schedules.is_available(session, user_id=uid, at=thursday)
    with store.write() as session:
        users.deactivate_user(session, user_id=uid)
    with store.read() as session:
        assert not schedules.is_available(
            session, user_id=uid, at=datetime(2026, 11, 19, 7, 30, tzinfo=UTC)
        )
        with pytest.raises(NotFoundError):
            schedules.is_available(session, user_id=999, at=wednesday_1030_msk)


def test_hostile_text_is_stored_as_given(store: Store) -> None:
    _user(store, name="[bold red]x[/] \x1b[31mred")
    with store.read() as session:
        assert users.get_user_by_login(session, login="maria").name == "[bold red]x[/] \x1b[31mred"
