"""What the queue screen names things by: every queue, the active users and clients.

A module of its own, light on imports: the queue screen's first read needs it before the
first rows are drawn, and `store.tickets.reading` (the ticket screen's reads) pulls in the
whole write path.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from dispatcher.domain.enums import Role
from dispatcher.read_models.queue import QueueNames
from dispatcher.store.models import Client, Queue, User, table_of


def queue_names(session: Session) -> QueueNames:
    """Every queue, and the active users and clients, by id in name order: what the queue
    screen's filter line and pickers name things by (plain columns through Core)."""
    queue, user, client = table_of(Queue), table_of(User), table_of(Client)
    conn = session.connection()
    queues = conn.execute(select(queue.c.id, queue.c.name).order_by(queue.c.name))
    users = conn.execute(
        select(user.c.id, user.c.login, user.c.role)
        .where(user.c.active.is_(True))
        .order_by(user.c.login)
    )
    clients = conn.execute(
        select(client.c.id, client.c.name).where(client.c.active.is_(True)).order_by(client.c.name)
    )
    return QueueNames(
        queues={r.id: r.name for r in queues},
        users={r.id: (r.login, Role(r.role)) for r in users},
        clients={r.id: r.name for r in clients},
    )
