"""The configured queue of mail tickets (`mail_queue`), as `admin intake import` uses it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from tests.cli.helpers import as_json, error
from tests.factories import world
from tests.intake.helpers import CORPUS


def test_the_configured_queue_takes_mail_tickets(
    db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(store)
    monkeypatch.setenv("DISPATCHER_MAIL_QUEUE", "Support")
    summary = as_json(db_url, "intake", "import", str(CORPUS / "plain_utf8.eml"))
    assert summary["new_tickets"] == 1
    with store.read() as session:
        [ticket] = session.exec(select(Ticket)).all()
        assert ticket.queue_id == w.queue.id


def test_a_configured_queue_that_does_not_exist_is_one_error(
    db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world(store)
    monkeypatch.setenv("DISPATCHER_MAIL_QUEUE", "Nowhere")
    assert "Nowhere" in error(db_url, "intake", "import", str(CORPUS / "plain_utf8.eml"))


def test_without_a_configured_queue_a_clients_first_mail_lands_in_the_first_queue(
    db_url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(store)
    monkeypatch.delenv("DISPATCHER_MAIL_QUEUE", raising=False)
    summary = as_json(db_url, "intake", "import", str(CORPUS / "plain_utf8.eml"))
    assert summary["new_tickets"] == 1
    with store.read() as session:
        [ticket] = session.exec(select(Ticket)).all()
        assert ticket.queue_id == w.queue.id
