"""Queues and categories."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatcher.domain.enums import Priority
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import ReplyTemplate
from dispatcher.store.people import competences
from dispatcher.store.tickets import classification
from tests.factories import new_ticket, world


def test_queues(store: Store) -> None:
    with store.write() as session:
        support = classification.add_queue(session, name=" Support ", description="First line")
        classification.add_queue(session, name="Поддержка")
    with store.read() as session:
        assert [q.name for q in classification.list_queues(session)] == ["Support", "Поддержка"]
        assert classification.resolve_queue(session, ref="support").id == support.id
        assert classification.resolve_queue(session, ref="ПОДДЕРЖКА").name == "Поддержка"
        assert classification.resolve_queue(session, ref=str(support.id)).name == "Support"
    with store.write() as session:
        classification.edit_queue(
            session, queue_id=support.id or 0, name="Helpdesk", description=""
        )
    with store.read() as session:
        assert classification.get_queue(session, queue_id=support.id or 0).name == "Helpdesk"
    with store.write() as session:
        classification.remove_queue(session, queue_id=support.id or 0)
    with store.read() as session:
        assert [q.name for q in classification.list_queues(session)] == ["Поддержка"]


def test_queue_names_are_unique_ignoring_case_in_any_script(store: Store) -> None:
    with store.write() as session:
        classification.add_queue(session, name="Поддержка")
        other = classification.add_queue(session, name="Sales")
    for name in ("поддержка", "ПОДДЕРЖКА"):
        with pytest.raises(ConflictError, match="already exists"), store.write() as session:
            classification.add_queue(session, name=name)
    with pytest.raises(ConflictError), store.write() as session:
        classification.edit_queue(session, queue_id=other.id or 0, name="поддержка")
    with store.write() as session:  # renaming to its own name in another case is fine
        classification.edit_queue(session, queue_id=other.id or 0, name="SALES")


@pytest.mark.parametrize("name", ["", "   ", "42", "x" * 101, "a\nb"])
def test_bad_queue_names(store: Store, name: str) -> None:
    with pytest.raises(ValidationError), store.write() as session:
        classification.add_queue(session, name=name)


def test_unknown_queues(store: Store) -> None:
    with store.read() as session:
        with pytest.raises(NotFoundError):
            classification.resolve_queue(session, ref="Nowhere")
        with pytest.raises(NotFoundError):
            classification.resolve_queue(session, ref="77")
    with pytest.raises(NotFoundError), store.write() as session:
        classification.remove_queue(session, queue_id=77)
    with pytest.raises(NotFoundError), store.write() as session:
        classification.edit_queue(session, queue_id=77, name="x")


def test_a_queue_in_use_cannot_be_removed(store: Store, now: datetime) -> None:
    w = world(store)
    with store.write() as session:
        empty = classification.add_queue(session, name="Empty")
        classification.add_category(session, name="Printers", queue_id=empty.id or 0)
    with pytest.raises(ConflictError, match="Printers"), store.write() as session:
        classification.remove_queue(session, queue_id=empty.id or 0)
    new_ticket(store, w, now=now)
    # Support holds a ticket (and a category): tickets are named first.
    with pytest.raises(ConflictError, match="ticket"), store.write() as session:
        classification.remove_queue(session, queue_id=w.queue.id or 0)


def test_categories(store: Store) -> None:
    with store.write() as session:
        queue = classification.add_queue(session, name="Support")
        network = competences.add_competence(session, code="network")
        category = classification.add_category(
            session,
            name="Сеть",
            queue_id=queue.id or 0,
            competence_id=network.id,
            default_priority="High",
        )
        classification.add_category(session, name="Other", queue_id=queue.id or 0)
    with store.read() as session:
        found = classification.resolve_category(session, ref="СЕТЬ")
        assert (found.queue_id, found.competence_id, found.default_priority) == (
            queue.id,
            network.id,
            Priority.high,
        )
        assert [c.name for c in classification.list_categories(session, queue_id=queue.id)] == [
            "Other",
            "Сеть",
        ]
    with store.write() as session:
        other = classification.add_queue(session, name="Field")
        classification.edit_category(
            session,
            category_id=category.id or 0,
            queue_id=other.id or 0,
            competence_id=None,
            default_priority=None,
        )
    with store.read() as session:
        changed = classification.get_category(session, category_id=category.id or 0)
        assert (changed.queue_id, changed.competence_id, changed.default_priority) == (
            other.id,
            None,
            None,
        )
        assert classification.list_categories(session, queue_id=queue.id)[0].name == "Other"


def test_bad_categories(store: Store) -> None:
    with store.write() as session:
        queue = classification.add_queue(session, name="Support")
        classification.add_category(session, name="Network", queue_id=queue.id or 0)
    qid = queue.id or 0
    cases = [
        (ValidationError, {"name": "x", "queue_id": qid, "default_priority": "asap"}),
        (NotFoundError, {"name": "x", "queue_id": 999}),
        (NotFoundError, {"name": "x", "queue_id": qid, "competence_id": 999}),
        (ConflictError, {"name": "NETWORK", "queue_id": qid}),
        (ValidationError, {"name": "", "queue_id": qid}),
    ]
    for error, kwargs in cases:
        with pytest.raises(error), store.write() as session:
            classification.add_category(session, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError), store.write() as session:
        classification.edit_category(session, category_id=999, name="x")
    with pytest.raises(ValidationError), store.write() as session:
        classification.edit_category(session, category_id=1, default_priority="asap")
    with store.read() as session:
        with pytest.raises(NotFoundError):
            classification.resolve_category(session, ref="Nope")


def test_a_category_in_use_cannot_be_removed(store: Store, now: datetime) -> None:
    w = world(store)
    with store.write() as session:
        spare = classification.add_category(session, name="Spare", queue_id=w.queue.id or 0)
        session.add(ReplyTemplate(name="thanks", category_id=spare.id))
    with pytest.raises(ConflictError, match="thanks"), store.write() as session:
        classification.remove_category(session, category_id=spare.id or 0)
    new_ticket(store, w, now=now)
    with pytest.raises(ConflictError, match="ticket"), store.write() as session:
        classification.remove_category(session, category_id=w.category.id or 0)
    with pytest.raises(NotFoundError), store.write() as session:
        classification.remove_category(session, category_id=999)


def test_parse_priority() -> None:
    assert classification.parse_priority(" URGENT ") == Priority.urgent
    with pytest.raises(ValidationError, match="low, normal, high, urgent"):
        classification.parse_priority("p1")
