"""`/` in the queue: the box shows what is typed, and the words find tickets by reference,
client, contact (name, email) and subject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import Input

from dispatcher.store.clients.clients import add_client
from dispatcher.store.clients.contacts import add_contact
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.widgets.filter_bar import FilterBar
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, ids, queue

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _made(store: Store) -> tuple[World, list[Ticket]]:
    w = world(store)
    vpn = new_ticket(store, w, now=NOW, subject="VPN is down")
    printer = new_ticket(store, w, now=NOW + timedelta(seconds=1), subject="Принтер не печатает")
    with store.write() as session:
        client = add_client(session, name="Ромашка ООО")
        contact = add_contact(
            session, client_id=client.id or 0, name="Пётр Сидоров", emails=["p.sidorov@romashka.ru"]
        )
        row = session.get(Ticket, printer.id)
        assert row is not None
        row.client_id, row.contact_id = client.id, contact.id
    return w, [vpn, printer]


def _box_line(app: object) -> str:
    box = queue(app).query_one("#filter-text", Input)  # type: ignore[arg-type]
    return "".join(s.text for s in box.render_line(0))


async def _search(pilot: object, words: str) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    bar = queue(pilot.app).query_one(FilterBar)  # type: ignore[arg-type]
    box = bar.query_one(Input)
    box.value = ""
    await pilot.press(*words)
    bar.typing.flush()
    await settle(pilot)


async def test_the_box_shows_what_is_typed(store: Store) -> None:
    _made(store)
    app = console(store, clock=lambda: NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"vpn")
        await settle(pilot)
        box = queue(app).query_one("#filter-text", Input)
        assert box.has_focus
        # One row with the text in it: no border taking the row the text is drawn in.
        assert box.content_region.height == 1
        assert box.styles.border_top[0] in ("", "none")
        assert "vpn" in _box_line(app)


async def test_slash_finds_by_reference_client_contact_and_subject(store: Store) -> None:
    _, (vpn, printer) = _made(store)
    app = console(store, clock=lambda: NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert set(ids(app)) == {vpn.id, printer.id}
        await pilot.press("slash")
        for words, expected in [
            (f"#{printer.id}", [printer.id]),
            (f"{vpn.id}", [vpn.id]),
            ("ромашка", [printer.id]),  # the client
            ("сидоров", [printer.id]),  # the contact's name
            ("romashka.ru", [printer.id]),  # the contact's email
            ("принтер", [printer.id]),  # the subject
            ("vpn", [vpn.id]),
        ]:
            await _search(pilot, words)
            assert ids(app) == expected, words
