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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


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
    candidates: Iterable[Candidate], *, competence: str | None, now: datetime
) -> Suggestion:
    """Choose among `candidates` for a ticket needing `competence` (None: anyone), at `now`."""
    eligible: list[Candidate] = []
    excluded: list[Exclusion] = []
    for candidate in sorted(candidates, key=lambda c: c.login):
        why = exclusion_reason(candidate, competence=competence)
        if why is None:
            eligible.append(candidate)
        else:
            excluded.append(Exclusion(candidate.user_id, candidate.login, why))
    if not eligible:
        need = f"with the {competence} competence " if competence else ""
        return Suggestion(
            chosen=None,
            reason=f"nobody {need}is on shift and available now",
            excluded=tuple(excluded),
        )

    def rank(c: Candidate) -> tuple[int, bool, datetime, str]:
        # Never assigned sorts first (False < True), then the oldest last assignment.
        last = c.last_assigned_at
        return (c.sla_active_tickets, last is not None, last or now, c.login)

    ordered = sorted(eligible, key=rank)
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
    return Suggestion(
        chosen=chosen, reason=reason, eligible=tuple(ordered), excluded=tuple(excluded)
    )
