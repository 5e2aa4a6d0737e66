"""Facts the KPI reports aggregate: one row per ticket, derived from its history.

`dispatcher.domain.kpi.facts` folds a ticket's history into these values;
`dispatcher.store.reports.facts` rewrites the row in the transaction of every change to the
ticket, and rebuilds every row from the history on demand. Nothing here is a source of
truth: the history is, and a row can always be computed again from it.

Durations are minutes (float): `*_minutes` wall-clock, `*_business` business minutes of
the ticket's plan calendar. The dimensions (channel ... assignee) are the ticket's as of
its latest change, so a report groups without joining the ticket table.

The last columns are the rest of the fold's state (the status spell, the odometer of
business minutes, whether the plan sets an update target), the last history event folded
in and the calendar the minutes were counted in: a change folds only the events recorded
after `folded_event_id` into them, and folds the whole history again when there is no
such state yet or the ticket's calendar is another one (or was edited) since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, false
from sqlmodel import Field, SQLModel

from dispatcher.domain.enums import Channel, Priority, TicketStatus
from dispatcher.domain.kpi.facts import Outcome
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.store.models._base import EnumText, enum_field, json_field


class TicketFact(SQLModel, table=True):
    __tablename__ = "ticket_fact"
    __table_args__ = (
        # Each figure's period is a range over the instant of the event that defines it.
        Index("ix_ticket_fact_created", "created_at"),
        Index("ix_ticket_fact_resolved", "first_resolved_at"),
        Index("ix_ticket_fact_sla_first_response", "first_response_decided_at"),
        Index("ix_ticket_fact_sla_resolution", "resolution_decided_at"),
        Index("ix_ticket_fact_sla_update", "update_decided_at"),
        Index("ix_ticket_fact_csat", "csat_at"),
        # The backlog at an instant: still active then (`inactive_since` after it), created
        # before it; covering for the count of the tickets never reopened.
        Index("ix_ticket_fact_backlog", "inactive_since", "created_at", "reopen_count"),
    )

    ticket_id: int = Field(primary_key=True, foreign_key="ticket.id", ondelete="CASCADE")
    created_at: datetime
    channel: Channel = enum_field(Channel, Channel.email, length=10)
    priority: Priority = enum_field(Priority, Priority.normal, length=10)
    queue_id: int | None = None
    category_id: int | None = None
    client_id: int | None = None
    assignee_id: int | None = None

    first_response_at: datetime | None = None
    first_response_minutes: float | None = None
    first_response_business: float | None = None
    responses_before_resolution: int = 0

    first_resolved_at: datetime | None = None
    resolution_minutes: float | None = None
    resolution_business: float | None = None
    last_resolved_at: datetime | None = None
    full_resolution_minutes: float | None = None
    full_resolution_business: float | None = None
    reopen_count: int = 0
    # Business minutes before the first resolution, by whose turn it was.
    requester_wait: float = 0.0
    team_work: float = 0.0
    vendor_wait: float = 0.0

    # When the ticket last stopped being active; NO_DEADLINE while it is active (a plain
    # range then finds the backlog at any instant). Earlier inactive spells that a reopen
    # ended: [[start, end], ...] as ISO instants.
    inactive_since: datetime = Field(default=NO_DEADLINE)
    reopened_spells: list[Any] = json_field(list)

    first_response_outcome: Outcome | None = enum_field(Outcome, None, length=10)
    first_response_decided_at: datetime | None = None
    first_response_breaches: int = 0
    resolution_outcome: Outcome | None = enum_field(Outcome, None, length=10)
    resolution_decided_at: datetime | None = None
    resolution_breaches: int = 0
    update_outcome: Outcome | None = enum_field(Outcome, None, length=10)
    update_decided_at: datetime | None = None
    update_breaches: int = 0

    csat_score: int | None = None
    csat_at: datetime | None = None

    # The fold's state, to fold the next events into (see the module's docstring).
    folded_event_id: int | None = None  # None: fold the whole history next time
    status: TicketStatus = Field(
        default=TicketStatus.new,
        sa_type=EnumText(TicketStatus, 20),
        sa_column_kwargs={"server_default": TicketStatus.new.value},
    )
    status_since: datetime | None = None
    status_since_business: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    counted_to: datetime | None = None
    counted_business: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    update_target: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    calendar_id: int | None = None
    calendar_updated_at: datetime | None = None
