"""Routing: who may take a ticket, who is chosen, and the reasons given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatcher.domain.routing import Candidate, suggest

NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)


def person(
    login: str,
    *,
    tickets: int = 0,
    last: datetime | None = None,
    competences: tuple[str, ...] = ("network",),
    on_shift: bool = True,
    on_leave: bool = False,
    active: bool = True,
    user_id: int | None = None,
) -> Candidate:
    return Candidate(
        user_id=user_id if user_id is not None else sum(map(ord, login)),
        login=login,
        name=login.title(),
        active=active,
        competences=frozenset(competences),
        on_shift=on_shift,
        on_leave=on_leave,
        sla_active_tickets=tickets,
        last_assigned_at=last,
    )


def test_fewest_sla_active_tickets_wins_and_says_why() -> None:
    s = suggest(
        [person("ivan", tickets=3), person("petr", tickets=1)], competence="network", now=NOW
    )
    assert s.chosen is not None
    assert s.chosen.login == "petr"
    assert "has the network competence" in s.reason
    assert "1 SLA-active ticket" in s.reason
    assert "next is ivan with 3" in s.reason
    assert [c.login for c in s.eligible] == ["petr", "ivan"]


def test_each_filter_excludes_with_a_reason() -> None:
    s = suggest(
        [
            person("anna", competences=("printers",)),
            person("boris", on_shift=False),
            person("vera", on_leave=True),
            person("gleb", active=False),
            person("ivan", tickets=9),
        ],
        competence="network",
        now=NOW,
    )
    assert s.chosen is not None
    assert s.chosen.login == "ivan"
    reasons = {e.login: e.reason for e in s.excluded}
    assert reasons == {
        "anna": "lacks the network competence",
        "boris": "off shift now",
        "vera": "on leave",
        "gleb": "deactivated",
    }
    assert "the only one available" in s.reason


def test_leave_wins_over_a_shift() -> None:
    s = suggest([person("vera", on_leave=True, on_shift=True)], competence=None, now=NOW)
    assert s.chosen is None
    assert s.excluded[0].reason == "on leave"
    assert "nobody is on shift" in s.reason


def test_nobody_eligible_names_the_competence() -> None:
    s = suggest([person("anna", competences=())], competence="network", now=NOW)
    assert s.chosen is None
    assert s.reason == (
        "nobody with the network competence is on shift and available now; "
        "nobody with the network competence has a shift in the next 21 days"
    )
    assert s.next_up is None


def test_ties_go_to_the_least_recently_assigned() -> None:
    s = suggest(
        [
            person("ivan", tickets=2, last=NOW - timedelta(minutes=5)),
            person("petr", tickets=2, last=NOW - timedelta(hours=3)),
            person("olga", tickets=2, last=NOW - timedelta(minutes=30)),
        ],
        competence="network",
        now=NOW,
    )
    assert s.chosen is not None
    assert s.chosen.login == "petr"
    assert "round-robin" in s.reason
    assert "3 h ago" in s.reason
    assert [c.login for c in s.eligible] == ["petr", "olga", "ivan"]


def test_never_assigned_counts_as_longest_ago() -> None:
    s = suggest(
        [person("ivan", last=NOW - timedelta(days=30)), person("petr", last=None)],
        competence=None,
        now=NOW,
    )
    assert s.chosen is not None
    assert s.chosen.login == "petr"
    assert "never had one of this category" in s.reason


def test_round_robin_rotates_as_assignments_are_made() -> None:
    """Feeding each choice back as the latest assignment cycles through everyone."""
    team = {"ivan": None, "petr": None, "olga": None}
    chosen = []
    at = NOW
    for _ in range(6):
        s = suggest(
            [person(login, last=last) for login, last in team.items()], competence=None, now=at
        )
        assert s.chosen is not None
        chosen.append(s.chosen.login)
        team[s.chosen.login] = at  # type: ignore[assignment]
        at += timedelta(minutes=1)
    assert chosen == ["ivan", "olga", "petr", "ivan", "olga", "petr"]


def test_order_of_input_does_not_matter() -> None:
    people = [person("petr"), person("ivan"), person("olga")]
    first = suggest(people, competence=None, now=NOW)
    second = suggest(list(reversed(people)), competence=None, now=NOW)
    assert first == second
    assert first.chosen is not None
    assert first.chosen.login == "ivan"  # by login on a full tie


def test_no_competence_needed_lets_anyone_in() -> None:
    s = suggest([person("anna", competences=())], competence=None, now=NOW)
    assert s.chosen is not None
    assert s.chosen.login == "anna"
    assert "competence" not in s.reason
