"""The live queue's first window over sqlite3 alone, for the console's quick start.

The console's first screen is the queue (for a dispatcher or an admin): its default window,
every active ticket most urgent first. `dispatcher.console_quick` reads it here before
SQLAlchemy and the models are imported (most of a second, issue 13), with the very SQL
`queue_window` runs for that window on SQLite (`FIRST_WINDOW_SQL`;
tests/store/test_plain_queue.py holds the two to the same text, parameters and rows), and
turns the rows into the same `WindowRow`s (`queue_rows.window_of`).
"""

from __future__ import annotations

import sqlite3

from dispatcher.domain.enums import AlertKind
from dispatcher.read_models.queue import PAGE_SIZE, QueueWindow
from dispatcher.store.tickets.queue_rows import window_of

FIRST_WINDOW_SQL = (
    "SELECT ticket.id, ticket.subject, ticket.status AS status, ticket.priority AS priority, "
    "ticket.next_due_at AS next_due_at, ticket.sla_paused_since AS sla_paused_since, "
    "ticket.updated_at AS updated_at, ticket.version, ticket.queue_id, client.name, "
    "user.login, category.name AS name_1, ticket.first_responded_at IS NOT NULL AS anon_1, "
    "EXISTS (SELECT alert.id \nFROM alert \nWHERE alert.ticket_id = ticket.id AND "
    "alert.kind = ? AND alert.due_at = ticket.next_due_at) AS anon_2, "
    "ticket.next_due_at AS next_due_at__1, ticket.next_update_due AS next_update_due \n"
    "FROM ticket LEFT OUTER JOIN client ON client.id = ticket.client_id "
    "LEFT OUTER JOIN user ON user.id = ticket.assignee_id "
    "LEFT OUTER JOIN category ON category.id = ticket.category_id \n"
    "WHERE ticket.status IN ('new', 'open', 'assigned', 'in_progress', 'waiting_client', "
    "'escalated') ORDER BY ticket.next_due_at, ticket.id\n LIMIT ? OFFSET ?"
)
FIRST_WINDOW_PARAMS = (AlertKind.warning.value, PAGE_SIZE + 1, 0)


def first_window(connection: sqlite3.Connection) -> QueueWindow:
    """The queue's default window, as `queue_window(session)` reads it."""
    rows = connection.execute(FIRST_WINDOW_SQL, FIRST_WINDOW_PARAMS).fetchall()
    return window_of(rows, PAGE_SIZE, urgency=True)
