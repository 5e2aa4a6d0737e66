"""The client directory: clients, domains, contacts, the client search, contracts, equipment."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dispatcher.domain.enums import ContactPointKind
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.clients import clients, contacts, contracts, equipment, points
from dispatcher.store.clients.contracts import ContractState
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Client, Contact, Ticket
from dispatcher.store.tickets.writes import classify
from tests.factories import World, new_ticket, world


def _client(store: Store, name: str = "Acme", **kwargs: object) -> Client:
    with store.write() as session:
        return clients.add_client(session, name=name, **kwargs)  # type: ignore[arg-type]


def _contact(store: Store, client: Client, name: str, **kwargs: object) -> Contact:
    with store.write() as session:
        return contacts.add_contact(session, client_id=client.id or 0, name=name, **kwargs)  # type: ignore[arg-type]


# --- normalising ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("+7 (495) 123-45-67", "+74951234567"),
        ("8 495 123 45 67", "84951234567"),
        ("+1.202.555.0100", "+12025550100"),
        ("112", "112"),
    ],
)
def test_phones_are_digits_with_the_plus_kept(raw: str, normal: str) -> None:
    assert points.normalize_phone(raw) == normal


@pytest.mark.parametrize("raw", ["", "12", "call me", "+7 495 CALL", "7+495", "1" * 16, "++7 495"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(ValidationError, match="not a phone"):
        points.normalize_phone(raw)


def test_emails_are_lower_cased() -> None:
    assert points.normalize_email(" Anna.K@ACME.Example ") == "anna.k@acme.example"
    assert points.normalize_email("Иван@Пример.РФ") == "иван@пример.рф"
    for bad in ("", "anna", "anna@", "@acme.example", "a b@acme.example", "anna@acme"):
        with pytest.raises(ValidationError, match="not an email"):
            points.normalize_email(bad)


def test_domains() -> None:
    assert points.normalize_domain("@Acme.Example.") == "acme.example"
    assert points.normalize_domain("Пример.РФ") == "пример.рф"
    for bad in ("", "acme", "acme..example", "-acme.example", "acme_x.example", "a b.example"):
        with pytest.raises(ValidationError, match="not an email domain"):
            points.normalize_domain(bad)


# --- clients and domains --------------------------------------------------------------


def test_clients(store: Store) -> None:
    acme = _client(store, "Acme", notes="VIP", domains=["acme.example", "ACME.org"])
    _client(store, "ООО Ромашка")
    with store.read() as session:
        assert [c.name for c in clients.list_clients(session)] == ["Acme", "ООО Ромашка"]
        assert clients.resolve_client(session, ref="ооо ромашка").name == "ООО Ромашка"
        assert clients.resolve_client(session, ref=str(acme.id)).name == "Acme"
        domains = clients.list_client_domains(session, client_id=acme.id)
        assert [d.domain for d in domains] == ["acme.example", "acme.org"]
        assert clients.client_for_domain(session, domain="ACME.example") is not None
        assert clients.client_for_domain(session, domain="other.example") is None
        assert clients.client_for_domain(session, domain="not a domain") is None
    with store.write() as session:
        clients.edit_client(session, client_id=acme.id or 0, name="Acme Corp", notes="")
        clients.remove_client_domain(session, domain="acme.org")
    with store.read() as session:
        changed = clients.get_client(session, client_id=acme.id or 0)
        assert (changed.name, changed.notes) == ("Acme Corp", "")
        assert len(clients.list_client_domains(session)) == 1


def test_client_conflicts_and_bad_input(store: Store) -> None:
    acme = _client(store, "Acme", domains=["acme.example"])
    other = _client(store, "Other")
    with pytest.raises(ConflictError, match="already exists"):
        _client(store, "ACME")
    with pytest.raises(ConflictError):
        with store.write() as session:
            clients.edit_client(session, client_id=other.id or 0, name="acme")
    with pytest.raises(ConflictError, match="belongs to client 'Acme'"):
        with store.write() as session:
            clients.add_client_domain(session, client_id=other.id or 0, domain="Acme.Example")
    for name in ("", "  ", "123", "x" * 201):
        with pytest.raises(ValidationError):
            _client(store, name)
    with pytest.raises(ValidationError):
        _client(store, "New", domains=["not a domain"])
    with store.read() as session:  # the refused client with a bad domain was not kept
        assert [c.name for c in clients.list_clients(session)] == ["Acme", "Other"]
        with pytest.raises(NotFoundError):
            clients.resolve_client(session, ref="Nobody")
        with pytest.raises(NotFoundError):
            clients.resolve_client(session, ref="999")
    with pytest.raises(NotFoundError), store.write() as session:
        clients.remove_client_domain(session, domain="nobody.example")
    with pytest.raises(NotFoundError), store.write() as session:
        clients.edit_client(session, client_id=999, notes="x")
    assert acme.id is not None


def test_deactivate_client(store: Store) -> None:
    acme = _client(store)
    with store.write() as session:
        clients.deactivate_client(session, client_id=acme.id or 0)
    with store.read() as session:
        assert clients.list_clients(session) == []
        assert [c.name for c in clients.list_clients(session, include_inactive=True)] == ["Acme"]
    with pytest.raises(ConflictError), store.write() as session:
        clients.deactivate_client(session, client_id=acme.id or 0)
    with store.write() as session:
        clients.activate_client(session, client_id=acme.id or 0)
    with pytest.raises(NotFoundError), store.write() as session:
        clients.deactivate_client(session, client_id=999)


def test_hostile_names_are_stored_as_given(store: Store) -> None:
    for name in ("[bold red]x[/]", "Evil \x1b[31mred"):
        _client(store, name)
    with store.read() as session:
        assert {c.name for c in clients.list_clients(session)} == {
            "[bold red]x[/]",
            "Evil \x1b[31mred",
        }


# --- contacts -------------------------------------------------------------------------


def test_contacts_with_normalised_points(store: Store) -> None:
    acme = _client(store)
    anna = _contact(
        store,
        acme,
        "Anna",
        emails=["Anna@Acme.Example", "anna@ACME.example", "a.k@home.example"],
        phones=["+7 (495) 123-45-67"],
        position="CTO",
    )
    with store.read() as session:
        points = contacts.contact_points(session, contact_ids=[anna.id or 0])[anna.id or 0]
        assert [(p.kind, p.value, p.display) for p in points] == [
            (ContactPointKind.email, "anna@acme.example", "Anna@Acme.Example"),
            (ContactPointKind.email, "a.k@home.example", "a.k@home.example"),
            (ContactPointKind.phone, "+74951234567", "+7 (495) 123-45-67"),
        ]
        assert contacts.resolve_contact(session, ref="ANNA@acme.example").id == anna.id
        assert contacts.resolve_contact(session, ref="+7 495 123 45 67").id == anna.id
        assert contacts.resolve_contact(session, ref=str(anna.id)).id == anna.id
        assert [c.name for c in contacts.list_contacts(session, client_id=acme.id)] == ["Anna"]


def test_a_contact_point_belongs_to_one_contact(store: Store) -> None:
    acme = _client(store)
    other = _client(store, "Other")
    _contact(store, acme, "Anna", emails=["anna@acme.example"], phones=["+7 495 123-45-67"])
    with pytest.raises(ConflictError, match="belongs to contact 'Anna'"):
        _contact(store, other, "Impostor", emails=["ANNA@acme.example"])
    with pytest.raises(ConflictError, match=r"\+74951234567"):
        _contact(store, other, "Impostor", phones=["+7 (495) 1234567"])
    with store.read() as session:  # nothing of the refused contacts was kept
        assert [c.name for c in contacts.list_contacts(session)] == ["Anna"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": ""}, ValidationError),
        ({"name": "X", "emails": ["nope"]}, ValidationError),
        ({"name": "X", "phones": ["call me"]}, ValidationError),
    ],
)
def test_bad_contacts(store: Store, kwargs: dict[str, object], error: type[Exception]) -> None:
    acme = _client(store)
    with pytest.raises(error):
        _contact(store, acme, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError), store.write() as session:
        contacts.add_contact(session, client_id=999, name="X")


def test_edit_contact(store: Store) -> None:
    acme = _client(store)
    other = _client(store, "Other")
    anna = _contact(store, acme, "Anna", emails=["anna@acme.example"], phones=["112233"])
    with store.write() as session:
        contacts.edit_contact(
            session,
            contact_id=anna.id or 0,
            name="Anna K",
            client_id=other.id or 0,
            add_emails=["anna.k@other.example"],
            remove_points=["ANNA@acme.example", "11-22-33"],
            active=False,
        )
    with store.read() as session:
        changed = contacts.get_contact(session, contact_id=anna.id or 0)
        assert (changed.name, changed.client_id, changed.active) == ("Anna K", other.id, False)
        points = contacts.contact_points(session, contact_ids=[anna.id or 0])[anna.id or 0]
        assert [p.value for p in points] == ["anna.k@other.example"]
        assert contacts.list_contacts(session) == []
        assert len(contacts.list_contacts(session, include_inactive=True)) == 1
    with pytest.raises(NotFoundError), store.write() as session:
        contacts.edit_contact(session, contact_id=anna.id or 0, remove_points=["x@y.example"])
    with pytest.raises(ConflictError, match="this contact"), store.write() as session:
        contacts.edit_contact(session, contact_id=anna.id or 0, add_emails=["anna.k@other.example"])
    with pytest.raises(NotFoundError), store.write() as session:
        contacts.edit_contact(session, contact_id=999, name="x")
    with store.read() as session:
        with pytest.raises(NotFoundError):
            contacts.resolve_contact(session, ref="nobody@acme.example")
        with pytest.raises(NotFoundError):
            contacts.resolve_contact(session, ref="999")


def test_remove_contact(store: Store, now: datetime) -> None:
    w = world(store)
    spare = _contact(store, w.client, "Spare", emails=["spare@acme.example"])
    with store.write() as session:
        contacts.remove_contact(session, contact_id=spare.id or 0)
    with store.read() as session:
        assert contacts.contact_by_point(session, value="spare@acme.example") is None
    new_ticket(store, w, now=now)
    with pytest.raises(ConflictError, match="deactivate"), store.write() as session:
        contacts.remove_contact(session, contact_id=w.contact.id or 0)
    with pytest.raises(NotFoundError), store.write() as session:
        contacts.remove_contact(session, contact_id=999)


# --- find_clients ---------------------------------------------------------------------


@pytest.fixture
def directory(store: Store) -> Store:
    acme = _client(store, "Acme Networks")
    romashka = _client(store, "ООО Ромашка")
    gone = _client(store, "Ёжик Гone")
    _contact(
        store, acme, "Pavel Orlov", emails=["p.orlov@acme.example"], phones=["+1 202 555 0100"]
    )
    _contact(
        store,
        romashka,
        "Ёлкина Анна",
        emails=["anna@romashka.example"],
        phones=["8 (495) 765-43-21"],
    )
    _contact(store, gone, "Old Contact", emails=["old@gone.example"])
    with store.write() as session:
        clients.deactivate_client(session, client_id=gone.id or 0)
    return store


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme", [("Acme Networks", None, "client"), ("Acme Networks", "Pavel Orlov", "email")]),
        ("NETW", [("Acme Networks", None, "client")]),
        ("ромашка", [("ООО Ромашка", None, "client")]),
        ("РОМАШ", [("ООО Ромашка", None, "client")]),
        ("ёлкина", [("ООО Ромашка", "Ёлкина Анна", "contact")]),
        ("ЕЛКИНА", [("ООО Ромашка", "Ёлкина Анна", "contact")]),
        ("анна", [("ООО Ромашка", "Ёлкина Анна", "contact")]),
        ("orlov", [("Acme Networks", "Pavel Orlov", "contact")]),
        ("ANNA@ROMASHKA", [("ООО Ромашка", "Ёлкина Анна", "email")]),
        ("765-43", [("ООО Ромашка", "Ёлкина Анна", "phone")]),
        ("+1 (202) 555", [("Acme Networks", "Pavel Orlov", "phone")]),
        ("nothing like it", []),
        ("   ", []),
        ("%", []),
        ("_", []),
        ("old", []),  # the client is deactivated
    ],
)
def test_find_clients(
    directory: Store, text: str, expected: list[tuple[str, str | None, str]]
) -> None:
    with directory.read() as session:
        hits = clients.find_clients(session, text=text, limit=10)
    assert [(h.client_name, h.contact_name, h.matched_on) for h in hits] == expected


def test_find_clients_ranks_prefixes_first_and_limits(directory: Store) -> None:
    with directory.write() as session:
        clients.add_client(session, name="Networks Inc")
        clients.add_client(session, name="Big Networks")
        clients.add_client(session, name="Telenetworks")
    with directory.read() as session:
        hits = clients.find_clients(session, text="networks", limit=10)
        assert [h.client_name for h in hits] == [
            "Networks Inc",  # starts with it
            "Acme Networks",  # a word starts with it
            "Big Networks",
            "Telenetworks",  # inside a word
        ]
        assert len(clients.find_clients(session, text="networks", limit=2)) == 2
        assert clients.find_clients(session, text="networks", limit=0) == []
        every = clients.find_clients(session, text="old", limit=10, include_inactive=True)
        assert [h.client_name for h in every] == ["Ёжик Гone"]


def test_find_clients_returns_a_contact_once_however_it_matched(directory: Store) -> None:
    with directory.read() as session:
        hits = clients.find_clients(session, text="orlov", limit=10)
    # Matched on the name and on the email: one hit, the name (the better reason).
    assert [(h.contact_name, h.matched_on) for h in hits] == [("Pavel Orlov", "contact")]


# --- equipment ------------------------------------------------------------------------


def test_equipment(store: Store) -> None:
    acme = _client(store)
    with store.write() as session:
        switch = equipment.add_equipment(
            session, client_id=acme.id or 0, name="Core switch", kind="switch", serial="SN-1"
        )
        equipment.add_equipment(session, client_id=acme.id or 0, name="Printer")
    with store.read() as session:
        assert [e.name for e in equipment.list_equipment(session, client_id=acme.id)] == [
            "Core switch",
            "Printer",
        ]
        assert equipment.resolve_equipment(session, ref="SN-1").id == switch.id
        assert equipment.resolve_equipment(session, ref=str(switch.id)).id == switch.id
    with store.write() as session:
        equipment.edit_equipment(session, equipment_id=switch.id or 0, serial="", location="Rack 2")
    with store.read() as session:
        changed = equipment.get_equipment(session, equipment_id=switch.id or 0)
        assert (changed.serial, changed.location) == (None, "Rack 2")
    with store.write() as session:
        equipment.remove_equipment(session, equipment_id=switch.id or 0)
    with store.read() as session:
        assert len(equipment.list_equipment(session)) == 1


def test_equipment_bad_input(store: Store) -> None:
    acme = _client(store)
    with store.write() as session:
        item = equipment.add_equipment(session, client_id=acme.id or 0, name="A", serial="SN-1")
        equipment.add_equipment(session, client_id=acme.id or 0, name="B", serial="SN-2")
    with pytest.raises(ConflictError, match="SN-1"), store.write() as session:
        equipment.add_equipment(session, client_id=acme.id or 0, name="C", serial="SN-1")
    with pytest.raises(ConflictError), store.write() as session:
        equipment.edit_equipment(session, equipment_id=item.id or 0, serial="SN-2")
    with pytest.raises(ValidationError), store.write() as session:
        equipment.add_equipment(session, client_id=acme.id or 0, name="")
    with pytest.raises(NotFoundError), store.write() as session:
        equipment.add_equipment(session, client_id=999, name="X")
    with store.read() as session:
        with pytest.raises(NotFoundError):
            equipment.resolve_equipment(session, ref="SN-404")
    with pytest.raises(NotFoundError), store.write() as session:
        equipment.remove_equipment(session, equipment_id=999)


def _ticket_on(store: Store, w: World, now: datetime, **changes: int | None) -> Ticket:
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        return classify(
            session,
            ticket_id=ticket.id or 0,
            expected_version=ticket.version,
            actor_id=w.dispatcher.id,
            now=now,
            **changes,  # type: ignore[arg-type]
        )


def test_equipment_with_a_ticket_cannot_be_removed(store: Store, now: datetime) -> None:
    w = world(store)
    with store.write() as session:
        item = equipment.add_equipment(session, client_id=w.client.id or 0, name="Router")
    _ticket_on(store, w, now, equipment_id=item.id)
    with pytest.raises(ConflictError, match="ticket"), store.write() as session:
        equipment.remove_equipment(session, equipment_id=item.id or 0)


# --- contracts ------------------------------------------------------------------------


def test_contracts(store: Store) -> None:
    w = world(store)
    cid = w.client.id or 0
    with store.write() as session:
        item = equipment.add_equipment(session, client_id=cid, name="Router", serial="R-1")
        contract = contracts.add_contract(
            session,
            number="C-2",
            client_id=cid,
            plan="STANDARD",
            valid_from=date(2027, 1, 1),
            valid_to=date(2027, 12, 31),
            equipment_ids=[item.id or 0, item.id or 0],
        )
    with store.read() as session:
        found = contracts.resolve_contract(session, ref="C-2")
        assert found.sla_plan_id == w.default_plan.id
        assert [
            e.serial for e in contracts.contract_equipment(session, contract_id=found.id or 0)
        ] == ["R-1"]
        assert [c.number for c in contracts.list_contracts(session, client_id=cid)] == [
            "C-1",
            "C-2",
        ]
        assert contracts.resolve_contract(session, ref=str(contract.id)).number == "C-2"
    with store.write() as session:
        contracts.edit_contract(
            session,
            contract_id=contract.id or 0,
            plan="premium",
            valid_to=None,
            equipment_ids=[],
            number="C-2a",
        )
    with store.read() as session:
        changed = contracts.get_contract(session, contract_id=contract.id or 0)
        assert (changed.number, changed.sla_plan_id, changed.valid_to) == ("C-2a", w.plan.id, None)
        assert contracts.contract_equipment(session, contract_id=contract.id or 0) == []
    with store.write() as session:
        contracts.remove_contract(session, contract_id=contract.id or 0)
    with store.read() as session:
        assert [c.number for c in contracts.list_contracts(session)] == ["C-1"]


def test_contract_bad_input(store: Store) -> None:
    w = world(store)
    cid = w.client.id or 0
    other = _client(store, "Other")
    with store.write() as session:
        foreign = equipment.add_equipment(session, client_id=other.id or 0, name="Theirs")
    base = {"number": "C-9", "client_id": cid, "plan": "standard", "valid_from": date(2026, 1, 1)}
    cases: list[tuple[type[Exception], dict[str, object]]] = [
        (ConflictError, {"number": "C-1"}),
        (NotFoundError, {"plan": "platinum"}),
        (NotFoundError, {"client_id": 999}),
        (ValidationError, {"valid_to": date(2025, 12, 31)}),
        (ValidationError, {"number": " "}),
        (ValidationError, {"equipment_ids": [foreign.id]}),
        (NotFoundError, {"equipment_ids": [999]}),
    ]
    for error, change in cases:
        with pytest.raises(error), store.write() as session:
            contracts.add_contract(session, **(base | change))  # type: ignore[arg-type]
    with store.read() as session:
        assert [c.number for c in contracts.list_contracts(session)] == ["C-1"]
        with pytest.raises(NotFoundError):
            contracts.resolve_contract(session, ref="C-404")
    with pytest.raises(ValidationError), store.write() as session:
        contracts.edit_contract(
            session,
            contract_id=w.contract.id or 0,
            valid_from=date(2030, 1, 1),
            valid_to=date(2029, 1, 1),
        )
    with pytest.raises(NotFoundError), store.write() as session:
        contracts.edit_contract(session, contract_id=999, notes="x")


def test_a_contract_with_tickets_cannot_be_removed(store: Store, now: datetime) -> None:
    w = world(store)
    new_ticket(store, w, now=now)  # gets the valid contract C-1
    with pytest.raises(ConflictError, match="edit --to"), store.write() as session:
        contracts.remove_contract(session, contract_id=w.contract.id or 0)


def test_contract_state() -> None:
    from dispatcher.store.models import Contract

    contract = Contract(
        number="X",
        client_id=1,
        sla_plan_id=1,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 6, 30),
    )
    assert contracts.contract_state(contract, on=date(2025, 12, 31)) == ContractState.not_started
    assert contracts.contract_state(contract, on=date(2026, 1, 1)) == ContractState.valid
    assert contracts.contract_state(contract, on=date(2026, 6, 30)) == ContractState.valid
    assert contracts.contract_state(contract, on=date(2026, 7, 1)) == ContractState.expired
    contract.valid_to = None
    assert contracts.contract_state(contract, on=date(2099, 1, 1)) == ContractState.valid


def test_check_client_contract(store: Store) -> None:
    w = world(store)  # C-1 from 2026-01-01, open-ended
    cid = w.client.id or 0
    with store.read() as session:
        check = contracts.check_client_contract(session, client_id=cid, on=date(2026, 11, 18))
        assert check.covered
        assert check.contract is not None
        assert check.contract.number == "C-1"
        early = contracts.check_client_contract(session, client_id=cid, on=date(2025, 6, 1))
        assert early.state == ContractState.not_started
        assert "starts on 2026-01-01" in early.describe()
    with store.write() as session:
        contracts.edit_contract(session, contract_id=w.contract.id or 0, valid_to=date(2026, 6, 30))
        contracts.add_contract(
            session,
            number="C-0",
            client_id=cid,
            plan="standard",
            valid_from=date(2025, 1, 1),
            valid_to=date(2025, 12, 31),
        )
        bare = clients.add_client(session, name="Bare")
    with store.read() as session:
        lapsed = contracts.check_client_contract(session, client_id=cid, on=date(2026, 11, 18))
        assert lapsed.state == ContractState.expired
        assert lapsed.contract is not None
        assert lapsed.contract.number == "C-1"  # the one that lapsed last
        assert "expired on 2026-06-30" in lapsed.describe()
        none = contracts.check_client_contract(
            session, client_id=bare.id or 0, on=date(2026, 11, 18)
        )
        assert (none.state, none.contract) == (ContractState.none, None)
        with pytest.raises(NotFoundError):
            contracts.check_client_contract(session, client_id=999, on=date(2026, 11, 18))
