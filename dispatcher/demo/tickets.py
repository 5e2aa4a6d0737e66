"""The tickets' history: what happens to each ticket and when, simulated in time order
(registered, classified, assigned, answered, perhaps waiting on the client, escalated to a
vendor, reopened, merged...) and cut off at `now`: whatever would happen later has not
happened yet, so recent tickets are still open, some near or past their deadline.

When the desk answers and fixes is set against the SLA targets the ticket's clock counts
(`Life.clock`), so most are in time and some are late, as in a real desk.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from dispatcher.demo import catalogue as cat
from dispatcher.demo.bulk import Rows, Writer
from dispatcher.demo.life import Life
from dispatcher.demo.summary import DemoSummary
from dispatcher.demo.world import Category, Client, Contact, World
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    EscalationTarget,
    EventKind,
    MessageKind,
    Priority,
    RatingKind,
    TicketStatus,
)
from dispatcher.store.db.engine import Store

HISTORY_DAYS = 90

Progress = Callable[[int], None]

_PRIORITIES = (Priority.low, Priority.normal, Priority.high, Priority.urgent)
_PRIORITY_CUM = tuple(accumulate((15, 55, 22, 8)))
_CHANNELS = (Channel.email, Channel.phone, Channel.web, Channel.chat, Channel.walk_in)
_CHANNEL_CUM = tuple(accumulate((60, 25, 9, 5, 1)))
# The share of tickets solved by their first answer (first-contact resolution), by channel.
_FIRST_CONTACT = {Channel.phone: 0.45, Channel.walk_in: 0.5, Channel.chat: 0.35}
_ACTIVE = frozenset(ACTIVE_STATUSES)
_SCORES = (5, 4, 3, 2, 1)
_SCORE_CUM = tuple(accumulate((60, 25, 8, 4, 3)))
_MINUTE = timedelta(minutes=1)
_EQUIPMENT_CATEGORIES = frozenset({"Servers", "Printers and scanners", "Network and VPN"})


class _Cutoff(Exception):
    """The next step of a ticket's life would happen after `now`: it has not happened yet."""


class TicketGenerator:
    """Simulates tickets one after another and writes them in batches."""

    def __init__(
        self, world: World, *, seed: int, now: datetime, summary: DemoSummary, writer: Writer
    ) -> None:
        self.world = world
        self.writer = writer
        self.seed = seed
        self.now = now
        self.summary = summary
        self.rng = random.Random(f"{seed}:tickets")
        self.rows = Rows()
        self.client_cum = tuple(accumulate(c.weight for c in world.clients))
        self.category_cum = tuple(accumulate(c.weight for c in world.categories))

    # ----------------------------------------------------------------- the run

    def run(self, store: Store, count: int, *, batch: int, on_progress: Progress | None) -> None:
        times = self._created_times(count)
        index = done = 0
        while index < count:
            with_duplicate = index + 1 < count and self.rng.random() < 0.015
            self._ticket(times[index], with_duplicate=with_duplicate)
            index += 2 if with_duplicate else 1
            if len(self.rows.tickets) >= batch:
                done += self._write(store)
                if on_progress is not None:
                    on_progress(done)
        done += self._write(store)
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

    def _write(self, store: Store) -> int:
        tickets, events, messages = self.rows.write(store, self.writer)
        self.summary.tickets += tickets
        self.summary.events += events
        self.summary.messages += messages
        return tickets

    def _finish(self, life: Life) -> None:
        now, summary = self.now, self.summary
        life.finish(now)
        status = life.row["status"]
        summary.by_status[status] = summary.by_status.get(status, 0) + 1
        if life.status in _ACTIVE:
            summary.active += 1
            if life.row["next_due_at"] <= now:
                summary.breached += 1

    # ------------------------------------------------------------- one ticket

    def _new_life(
        self,
        created: datetime,
        *,
        client: Client,
        contact: Contact,
        subject: str,
        priority: Priority,
        channel: Channel,
        dispatcher: int,
        category: Category,
    ) -> tuple[Life, int | None]:
        """A ticket registered at `created` (by the dispatcher when phoned or walked in), its
        SLA clock started on the plan of the client's contract that day."""
        world, rng = self.world, self.rng
        contract = client.contract_on(created.date())
        plan = world.plans[contract.plan_id if contract else world.default_plan_id]
        registrar = dispatcher if channel in (Channel.phone, Channel.walk_in) else None
        equipment = None
        if client.equipment and category.name in _EQUIPMENT_CATEGORIES and rng.random() < 0.3:
            equipment = client.equipment[rng.randrange(len(client.equipment))]
        row: dict[str, Any] = {
            "id": self.rows.new_ticket_id(),
            "subject": subject,
            "status": TicketStatus.new.value,
            "priority": priority.value,
            "channel": channel.value,
            "queue_id": world.intake_queue_id,
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
            "resolved_at": None,
            "closed_at": None,
            "reopen_count": 0,
            "merged_into_id": None,
            "version": 1,
        }  # the SLA columns come from the clock when the life is finished
        life = Life(self.rows, seed=self.seed, row=row, plan=plan, client=client, contact=contact)
        life.event(
            created,
            EventKind.created,
            registrar,
            {"channel": channel.value, "subject": subject, "priority": priority.value},
            bump=False,
        )
        return life, registrar

    def _body(self, language: str, subject: str, contact: Contact, client: Client) -> str:
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
        life.clock.start(created, registrar, life.row["contract_id"])

        duplicate: Life | None = None
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
            budgets = life.clock.budgets
            first, resolution = budgets.first_response or 0, budgets.resolution or 0
            share = rng.uniform(1.05, 2.5) if rng.random() < 0.08 else rng.random() ** 2 * 0.9
            answer = life.clock.instant_counted(max(1, int(first * share)))
            t = step(max(answer, t + _MINUTE))
            replies, fixes = cat.REPLIES[language], cat.RESOLUTIONS[language]
            spoken = channel in (Channel.phone, Channel.walk_in)  # rung back, not written to
            # Solved in that first answer (first-contact resolution): more often on a call.
            at_once = rng.random() < _FIRST_CONTACT.get(channel, 0.2)
            pick = rng.randrange(2)
            if at_once:
                text = cat.CALLS_SOLVED[language][0] if spoken else fixes[pick]
                life.message(t, MessageKind.call if spoken else MessageKind.reply, text,
                             author=engineer)  # fmt: skip
            elif spoken:
                life.message(t, MessageKind.call, cat.CALLS[language][pick], author=engineer)
            else:
                life.message(t, MessageKind.reply, replies[pick], author=engineer)

            t = step(t + timedelta(minutes=minutes(1, 45)))
            life.set_status(t, TicketStatus.in_progress, engineer)
            if at_once:
                t = step(t + timedelta(minutes=minutes(1, 20)))
                row["resolved_at"] = t
                life.set_status(t, TicketStatus.resolved, engineer)
            else:
                t, engineer = self._work_on(
                    life, t, language, engineer, login, engineers, resolution, step
                )

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
                row["resolved_at"] = t
                life.set_status(t, TicketStatus.resolved, engineer)

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
                clock = life.clock
                t = step(clock.after_business_minutes(resolved_at, clock.plan.confirm_minutes))
                life.set_status(
                    t, TicketStatus.closed, None, "no answer within the confirmation window"
                )
                row["closed_at"] = t
        except _Cutoff:
            pass
        self._finish(life)
        if duplicate is not None:
            self._finish(duplicate)

    def _work_on(
        self,
        life: Life,
        t: datetime,
        language: str,
        engineer: int,
        login: str,
        engineers: Sequence[tuple[int, str]],
        resolution: int,
        step: Callable[[datetime], datetime],
    ) -> tuple[datetime, int]:
        """From "in progress" to resolved when the first answer did not solve it: notes, a
        handover, a question to the client, an escalation, then the fix. The time it was
        resolved and the engineer who resolved it."""
        rng, row, minutes = self.rng, life.row, self.rng.randint
        replies, fixes = cat.REPLIES[language], cat.RESOLUTIONS[language]
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
        fixed = life.clock.instant_counted(max(1, int(resolution * share)))
        t = step(max(fixed, t + timedelta(minutes=minutes(5, 60))))
        life.message(t, MessageKind.reply, fixes[rng.randrange(len(fixes))], author=engineer)
        row["resolved_at"] = t
        life.set_status(t, TicketStatus.resolved, engineer)

        return t, engineer

    def _duplicate(
        self,
        original: Life,
        created: datetime,
        client: Client,
        contact: Contact,
        dispatcher: int,
        category: Category,
    ) -> Life:
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
        life.clock.start(at, registrar, life.row["contract_id"])
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
        self, life: Life, t: datetime, engineer: int, step: Callable[[datetime], datetime]
    ) -> datetime:
        """Escalated to a vendor, who answers within days; then back in progress."""
        rng = self.rng
        vendor = cat.VENDORS[rng.randrange(len(cat.VENDORS))]
        vendor_ref = f"CASE-{rng.randrange(10**7):07d}"
        promised = t + timedelta(days=2)
        checkin = t + timedelta(days=1)
        escalation: dict[str, Any] = {
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
        self.rows.add_escalation(escalation)
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

    def _rate(self, life: Life, at: datetime, client: Client, contact: Contact) -> None:
        score = self.rng.choices(_SCORES, cum_weights=_SCORE_CUM)[0]
        self.rows.add_rating(
            {
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
