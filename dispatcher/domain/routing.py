"""Who should get a ticket: filter who may take it, then choose, and say why.

Pure: the store reads the candidates (their competences, whether they are on shift or on
leave at the instant, their load, when they last got a ticket of this category) and hands
them in; this module decides. The instant is injected, never read from a clock.

The rule, as a lead would state it:
1. Only people who may take it: active, with the competence the category needs, on shift
   now and not on leave. Everyone else is listed with the reason they were left out.
2. Of those, the one with the fewest SLA-active tickets (their clocks running).
3. Ties go round-robin: the one who got a ticket of this category least recently (never
   before counts as longest ago); then by login, so the answer never depends on order.
4. When nobody may take it now (at night, at the weekend), the one with the competence who
   is next on shift is named, with when: "ivan, on shift from 08:00 tomorrow".

Everybody active is also ranked by fit for an override (`ranked`): the competence first,
then on shift now, then the load, then who comes on shift soonest. Anyone on leave or off
shift is marked (`standing`) and needs a confirmation (`caution`) before being given work.
The same ranking serves several tickets at once (`rank_for_tickets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from dispatcher.domain.shifts import HORIZON_DAYS, describe_when


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person who might get the ticket, as the store read them at the instant."""

    user_id: int
    login: str
    name: str
    active: bool
    competences: frozenset[str]  # competence codes
    on_shift: bool
    on_leave: bool
    sla_active_tickets: int  # assigned tickets whose SLA clock is running
    last_assigned_at: datetime | None = None  # last ticket of this category, None: never
    # The next instant they are on shift and not on leave (the instant itself when they
    # are available now); None: no such shift in the weeks ahead.
    next_on_shift: datetime | None = None

    @property
    def available(self) -> bool:
        return self.active and self.on_shift and not self.on_leave


@dataclass(frozen=True, slots=True)
class Exclusion:
    user_id: int
    login: str
    reason: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The choice (None when nobody may take it), why, and why everybody else was not."""

    chosen: Candidate | None
    reason: str
    eligible: tuple[Candidate, ...] = ()  # best first: what "override" offers first
    excluded: tuple[Exclusion, ...] = field(default_factory=tuple)
    # When nobody may take it now: the one with the competence who is next on shift.
    next_up: Candidate | None = None
    ranked: tuple[Candidate, ...] = ()  # everybody active, by fit (see `fit_key`)
    at: datetime = datetime.min.replace(tzinfo=UTC)  # the instant it was made for
    tz: tzinfo = UTC  # the zone its times are read in

    def standing(self, candidate: Candidate) -> str:
        return standing(candidate, now=self.at, tz=self.tz)

    def caution(self, candidate: Candidate) -> str | None:
        return caution(candidate, now=self.at, tz=self.tz)

    @property
    def chosen_id(self) -> int | None:
        return self.chosen.user_id if self.chosen else None


def exclusion_reason(candidate: Candidate, *, competence: str | None) -> str | None:
    """Why the candidate may not take the ticket now, or None when they may."""
    if not candidate.active:
        return "deactivated"
    if competence is not None and competence not in candidate.competences:
        return f"lacks the {competence} competence"
    if candidate.on_leave:
        return "on leave"
    if not candidate.on_shift:
        return "off shift now"
    return None


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never had one of this category"
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 60:
        span = f"{minutes} min"
    elif minutes < 48 * 60:
        span = f"{minutes // 60} h"
    else:
        span = f"{minutes // 1440} days"
    return f"last had one of this category {span} ago"


def _tickets(n: int) -> str:
    return f"{n} SLA-active ticket" + ("" if n == 1 else "s")


def suggest(
    candidates: Iterable[Candidate],
    *,
    competence: str | None,
    now: datetime,
    tz: tzinfo = UTC,
) -> Suggestion:
    """Choose among `candidates` for a ticket needing `competence` (None: anyone), at `now`;
    times in the reasons are read in `tz` (the dispatcher's zone)."""
    candidates = sorted(candidates, key=lambda c: c.login)
    ranked = tuple(
        rank([(c, 0 if has_competence(c, competence) else 1) for c in candidates], now=now)
    )
    eligible: list[Candidate] = []
    excluded: list[Exclusion] = []
    for candidate in candidates:
        why = exclusion_reason(candidate, competence=competence)
        if why is None:
            eligible.append(candidate)
        else:
            excluded.append(Exclusion(candidate.user_id, candidate.login, why))
    if not eligible:
        need = f"with the {competence} competence " if competence else ""
        reason = f"nobody {need}is on shift and available now"
        soonest = [
            c for c in ranked if has_competence(c, competence) and c.next_on_shift is not None
        ]
        next_up = soonest[0] if soonest else None
        if next_up is not None:
            reason += f"; next on shift: {on_shift_from(next_up, now=now, tz=tz)}"
        else:
            reason += f"; nobody {need}has a shift in the next {HORIZON_DAYS} days"
        return Suggestion(
            chosen=None,
            reason=reason,
            excluded=tuple(excluded),
            next_up=next_up,
            ranked=ranked,
            at=now,
            tz=tz,
        )

    def load(c: Candidate) -> tuple[int, bool, datetime, str]:
        # Never assigned sorts first (False < True), then the oldest last assignment.
        last = c.last_assigned_at
        return (c.sla_active_tickets, last is not None, last or now, c.login)

    ordered = sorted(eligible, key=load)
    chosen = ordered[0]
    fewest = chosen.sla_active_tickets
    tied = [c for c in ordered if c.sla_active_tickets == fewest]
    has = f"has the {competence} competence, " if competence else ""
    reason = f"{chosen.login}: {has}on shift, not on leave, {_tickets(fewest)}"
    if len(ordered) == 1:
        reason += "; the only one available"
    elif len(tied) == 1:
        runner = ordered[1]
        reason += f" (fewest; next is {runner.login} with {runner.sla_active_tickets})"
    else:
        others = ", ".join(c.login for c in tied[1:])
        reason += f", tied with {others}: round-robin, {_ago(chosen.last_assigned_at, now)}"
    # The chosen one leads the override list too, whatever the fit order says of ties.
    ranked = (chosen, *(c for c in ranked if c.user_id != chosen.user_id))
    return Suggestion(
        chosen=chosen,
        reason=reason,
        eligible=tuple(ordered),
        excluded=tuple(excluded),
        ranked=ranked,
        at=now,
        tz=tz,
    )


def has_competence(candidate: Candidate, competence: str | None) -> bool:
    return competence is None or competence in candidate.competences


def fit_key(
    candidate: Candidate, *, lacking: int, now: datetime
) -> tuple[int, bool, datetime, int, str]:
    """Best fit first: lacking no competence, on shift now, then (for those who are not)
    on shift soonest, no shift ahead last; then the fewest SLA-active tickets; then login."""
    soon = candidate.next_on_shift
    never = datetime.max.replace(tzinfo=UTC)
    return (
        lacking,
        not candidate.available,
        now if candidate.available else (soon or never),
        candidate.sla_active_tickets,
        candidate.login,
    )


def rank(fits: Iterable[tuple[Candidate, int]], *, now: datetime) -> list[Candidate]:
    """The active ones of (candidate, how many competences they lack) pairs, by fit."""
    pairs = [(c, lacking) for c, lacking in fits if c.active]
    return [c for c, lacking in sorted(pairs, key=lambda p: fit_key(p[0], lacking=p[1], now=now))]


def on_shift_from(candidate: Candidate, *, now: datetime, tz: tzinfo) -> str:
    """`ivan, on shift from 08:00 tomorrow` (or `..., no shift in the next 21 days`)."""
    return f"{candidate.login}, {_from(candidate, now=now, tz=tz)}"


def _from(candidate: Candidate, *, now: datetime, tz: tzinfo) -> str:
    if candidate.next_on_shift is None:
        return f"no shift in the next {HORIZON_DAYS} days"
    return f"on shift from {describe_when(candidate.next_on_shift, now=now, tz=tz)}"


def standing(candidate: Candidate, *, now: datetime, tz: tzinfo) -> str:
    """Where someone stands, for the list: `on shift`, `off shift, on shift from 08:00
    tomorrow`, `on leave, on shift from Mon 09:00`, `deactivated`."""
    if not candidate.active:
        return "deactivated"
    if candidate.available:
        return "on shift"
    where = "on leave" if candidate.on_leave else "off shift"
    return f"{where}, {_from(candidate, now=now, tz=tz)}"


def caution(candidate: Candidate, *, now: datetime, tz: tzinfo) -> str | None:
    """What to confirm before giving someone work, or None when they are on shift now."""
    if candidate.available:
        return None
    return f"{candidate.login} is {standing(candidate, now=now, tz=tz)}"


@dataclass(frozen=True, slots=True)
class Fit:
    """One person for several tickets at once: how many need a competence they lack."""

    candidate: Candidate
    lacking: int
    of: int  # tickets in all

    def describe(self, *, now: datetime, tz: tzinfo) -> str:
        c = self.candidate
        parts = [standing(c, now=now, tz=tz), _tickets(c.sla_active_tickets)]
        if self.lacking:
            parts.append(f"lacks the competence for {self.lacking} of {self.of}")
        return " · ".join(parts)


def rank_for_tickets(
    candidates: Iterable[Candidate], *, competences: Sequence[str | None], now: datetime
) -> list[Fit]:
    """Everybody active, best fit for all the tickets (each needing one of `competences`,
    None: anyone) first, as `rank` orders them."""
    needs = list(competences)
    fits = [(c, sum(1 for need in needs if not has_competence(c, need))) for c in candidates]
    lacking = {c.user_id: n for c, n in fits}
    return [Fit(c, lacking[c.user_id], len(needs)) for c in rank(fits, now=now)]
