"""`dispatcher admin clients|contacts|contracts|equipment ...`"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import fail, print_json, print_table, sanitize, state

if TYPE_CHECKING:
    from sqlmodel import Session

    from dispatcher.store.models import Client, Contact, ContactPoint, Contract, Equipment

clients_app = typer.Typer(help="Client companies.", no_args_is_help=True)
domains_app = typer.Typer(
    help="Email domains that identify a client's mail from unknown senders.",
    no_args_is_help=True,
)
clients_app.add_typer(domains_app, name="domains")
contacts_app = typer.Typer(help="People at the clients who write in.", no_args_is_help=True)
contracts_app = typer.Typer(
    help="Service contracts: which SLA plan a client has, and when.", no_args_is_help=True
)
equipment_app = typer.Typer(help="Clients' equipment items.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
ClientRef = Annotated[str, typer.Argument(help="The client's name (or id)")]
ClientOption = Annotated[str, typer.Option("--client", help="The client's name (or id)")]
ClientFilter = Annotated[str | None, typer.Option("--client", help="Only this client's")]
ContactRef = Annotated[str, typer.Argument(help="The contact's id, email or phone")]
ContractRef = Annotated[str, typer.Argument(help="The contract's number (or id)")]
EquipmentRef = Annotated[str, typer.Argument(help="The item's serial number (or id)")]
OnOption = Annotated[
    str | None, typer.Option("--on", help="Judge contracts on this day, YYYY-MM-DD (default today)")
]


def echo(text: str) -> None:
    typer.echo(sanitize(text))


def _day(text: str | None) -> date:
    from dispatcher.domain.shifts import parse_date

    return parse_date(text) if text is not None else datetime.now(UTC).astimezone().date()


def _client_names(session: Session) -> dict[int, str]:
    from dispatcher.store.clients import clients

    return {c.id or 0: c.name for c in clients.list_clients(session, include_inactive=True)}


# --- clients --------------------------------------------------------------------------


def _client_json(client: Client, domains: list[str]) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.name,
        "notes": client.notes,
        "active": client.active,
        "domains": domains,
    }


@clients_app.command("add")
def client_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Client's name, e.g. Acme")],
    notes: Annotated[str, typer.Option("--notes", help="Anything the team should know")] = "",
    domain: Annotated[
        list[str] | None,
        typer.Option("--domain", help="Email domain identifying the client (repeatable)"),
    ] = None,
) -> None:
    """Add a client."""
    from dispatcher.store.clients import clients

    with state(ctx).store().write() as session:
        client = clients.add_client(session, name=name, notes=notes, domains=domain or [])
    echo(f"added client {client.name} (id {client.id})")


@clients_app.command("list")
def client_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include deactivated clients")] = False,
    as_json: Json = False,
) -> None:
    """List clients (active ones unless --all)."""
    from dispatcher.store.clients import clients

    with state(ctx).store().read() as session:
        rows = clients.list_clients(session, include_inactive=all_)
        domains: dict[int, list[str]] = {}
        for d in clients.list_client_domains(session):
            domains.setdefault(d.client_id, []).append(d.domain)
    if as_json:
        print_json([_client_json(c, domains.get(c.id or 0, [])) for c in rows])
        return
    print_table(
        ["id", "name", "domains", "active"],
        [
            [c.id, c.name, ", ".join(domains.get(c.id or 0, [])), "yes" if c.active else "no"]
            for c in rows
        ],
    )


@clients_app.command("show")
def client_show(
    ctx: typer.Context, client: ClientRef, on: OnOption = None, as_json: Json = False
) -> None:
    """Show a client with domains, contacts, contracts and equipment."""
    from dispatcher.store.clients import clients, contacts, contracts, equipment

    day = _day(on)
    with state(ctx).store().read() as session:
        found = clients.resolve_client(session, ref=client)
        cid = found.id or 0
        domains = [d.domain for d in clients.list_client_domains(session, client_id=cid)]
        people = contacts.list_contacts(session, client_id=cid, include_inactive=True)
        points = contacts.contact_points(session, contact_ids=[c.id or 0 for c in people])
        deals = [
            _contract_json(session, c, found.name, day)
            for c in contracts.list_contracts(session, client_id=cid)
        ]
        items = [
            _equipment_json(e, found.name) for e in equipment.list_equipment(session, client_id=cid)
        ]
        check = contracts.check_client_contract(session, client_id=cid, on=day)
    data = _client_json(found, domains) | {
        "contacts": [_contact_json(c, found.name, points[c.id or 0]) for c in people],
        "contracts": deals,
        "equipment": items,
        "coverage": {"on": day, "state": check.state, "text": check.describe()},
    }
    if as_json:
        print_json(data)
        return
    print_table(
        ["field", "value"],
        [
            ["name", found.name],
            ["id", found.id],
            ["active", "yes" if found.active else "no"],
            ["notes", found.notes],
            ["domains", ", ".join(domains) or "-"],
            [f"on {day}", check.describe()],
        ],
        title="client",  # data never goes in a title: print_table does not escape it
    )
    if data["contacts"]:
        _print_contacts(data["contacts"])
    if deals:
        _print_contracts(deals)
    if items:
        _print_equipment(items)


@clients_app.command("edit")
def client_edit(
    ctx: typer.Context,
    client: ClientRef,
    name: Annotated[str | None, typer.Option("--name", help="New name")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="New notes")] = None,
) -> None:
    """Rename a client or change its notes."""
    from dispatcher.store.clients import clients

    changes = {k: v for k, v in (("name", name), ("notes", notes)) if v is not None}
    if not changes:
        fail("nothing to change: give --name or --notes")
    with state(ctx).store().write() as session:
        found = clients.resolve_client(session, ref=client)
        old_name = found.name
        clients.edit_client(session, client_id=found.id or 0, **changes)
    echo(f"changed client {old_name}: {', '.join(changes)}")


@clients_app.command("deactivate")
def client_deactivate(ctx: typer.Context, client: ClientRef) -> None:
    """Deactivate a client: hidden from lists and look-ups; its history stays."""
    from dispatcher.store.clients import clients

    with state(ctx).store().write() as session:
        found = clients.resolve_client(session, ref=client)
        clients.deactivate_client(session, client_id=found.id or 0)
    echo(f"deactivated client {found.name}")


@clients_app.command("activate")
def client_activate(ctx: typer.Context, client: ClientRef) -> None:
    """Bring a deactivated client back."""
    from dispatcher.store.clients import clients

    with state(ctx).store().write() as session:
        found = clients.resolve_client(session, ref=client)
        clients.activate_client(session, client_id=found.id or 0)
    echo(f"activated client {found.name}")


@clients_app.command("find")
def client_find(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Part of a client or contact name, email or phone")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="At most this many")] = 20,
    all_: Annotated[bool, typer.Option("--all", help="Include deactivated clients")] = False,
    as_json: Json = False,
) -> None:
    """Find clients by name, contact name, email or phone (any case, any script)."""
    from dataclasses import asdict

    from dispatcher.store.clients import clients

    with state(ctx).store().read() as session:
        hits = clients.find_clients(session, text=text, limit=limit, include_inactive=all_)
    if as_json:
        print_json([asdict(h) | {"name": h.client_name} for h in hits])
        return
    print_table(
        ["client", "contact", "matched on", "match"],
        [[h.client_name, h.contact_name or "", h.matched_on, h.matched] for h in hits],
    )


# --- domains --------------------------------------------------------------------------


@domains_app.command("add")
def domain_add(
    ctx: typer.Context,
    client: ClientRef,
    domains: Annotated[list[str], typer.Argument(help="Domains, e.g. acme.example")],
) -> None:
    """Add email domains to a client."""
    from dispatcher.store.clients import clients

    with state(ctx).store().write() as session:
        found = clients.resolve_client(session, ref=client)
        added = [
            clients.add_client_domain(session, client_id=found.id or 0, domain=d) for d in domains
        ]
    echo(f"client {found.name} now has {', '.join(d.domain for d in added)}")


@domains_app.command("list")
def domain_list(ctx: typer.Context, client: ClientFilter = None, as_json: Json = False) -> None:
    """List client email domains."""
    from dispatcher.store.clients import clients

    with state(ctx).store().read() as session:
        cid = clients.resolve_client(session, ref=client).id if client is not None else None
        rows = clients.list_client_domains(session, client_id=cid)
        names = _client_names(session)
    data = [{"domain": d.domain, "client": names.get(d.client_id)} for d in rows]
    if as_json:
        print_json(data)
        return
    print_table(["domain", "client"], [[d["domain"], d["client"]] for d in data])


@domains_app.command("remove")
def domain_remove(
    ctx: typer.Context, domain: Annotated[str, typer.Argument(help="The domain")]
) -> None:
    """Remove a client email domain."""
    from dispatcher.store.clients import clients

    with state(ctx).store().write() as session:
        row = clients.remove_client_domain(session, domain=domain)
    echo(f"removed domain {row.domain}")


# --- contacts -------------------------------------------------------------------------


def _contact_json(contact: Contact, client: str | None, points: list[ContactPoint]) -> Any:
    return {
        "id": contact.id,
        "client": client,
        "client_id": contact.client_id,
        "name": contact.name,
        "position": contact.position,
        "notes": contact.notes,
        "active": contact.active,
        "emails": [p.value for p in points if p.kind == "email"],
        "phones": [p.value for p in points if p.kind == "phone"],
    }


def _print_contacts(rows: list[dict[str, Any]]) -> None:
    print_table(
        ["id", "name", "client", "position", "emails", "phones", "active"],
        [
            [
                r["id"],
                r["name"],
                r["client"],
                r["position"],
                ", ".join(r["emails"]),
                ", ".join(r["phones"]),
                "yes" if r["active"] else "no",
            ]
            for r in rows
        ],
        title="contacts",
    )


@contacts_app.command("add")
def contact_add(
    ctx: typer.Context,
    client: ClientOption,
    name: Annotated[str, typer.Option("--name", help="Full name")],
    email: Annotated[list[str] | None, typer.Option("--email", help="Email (repeatable)")] = None,
    phone: Annotated[list[str] | None, typer.Option("--phone", help="Phone (repeatable)")] = None,
    position: Annotated[str, typer.Option("--position", help="Job title")] = "",
    notes: Annotated[str, typer.Option("--notes", help="Notes")] = "",
) -> None:
    """Add a contact to a client."""
    from dispatcher.store.clients import clients, contacts

    with state(ctx).store().write() as session:
        found = clients.resolve_client(session, ref=client)
        contact = contacts.add_contact(
            session,
            client_id=found.id or 0,
            name=name,
            emails=email or [],
            phones=phone or [],
            position=position,
            notes=notes,
        )
    echo(f"added contact {contact.name} (id {contact.id}) at {found.name}")


@contacts_app.command("list")
def contact_list(
    ctx: typer.Context,
    client: ClientFilter = None,
    all_: Annotated[bool, typer.Option("--all", help="Include deactivated contacts")] = False,
    as_json: Json = False,
) -> None:
    """List contacts, of one client or all."""
    from dispatcher.store.clients import clients, contacts

    with state(ctx).store().read() as session:
        cid = clients.resolve_client(session, ref=client).id if client is not None else None
        people = contacts.list_contacts(session, client_id=cid, include_inactive=all_)
        points = contacts.contact_points(session, contact_ids=[c.id or 0 for c in people])
        names = _client_names(session)
    rows = [_contact_json(c, names.get(c.client_id), points[c.id or 0]) for c in people]
    if as_json:
        print_json(rows)
        return
    _print_contacts(rows)


@contacts_app.command("show")
def contact_show(ctx: typer.Context, contact: ContactRef, as_json: Json = False) -> None:
    """Show a contact."""
    from dispatcher.store.clients import clients, contacts

    with state(ctx).store().read() as session:
        found = contacts.resolve_contact(session, ref=contact)
        points = contacts.contact_points(session, contact_ids=[found.id or 0])[found.id or 0]
        client = clients.get_client(session, client_id=found.client_id)
    data = _contact_json(found, client.name, points)
    if as_json:
        print_json(
            data
            | {
                "points": [
                    {"kind": p.kind, "value": p.value, "display": p.display, "bouncing": p.bouncing}
                    for p in points
                ]
            }
        )
        return
    print_table(
        ["field", "value"],
        [
            ["name", found.name],
            ["id", found.id],
            ["client", client.name],
            ["position", found.position],
            ["notes", found.notes],
            ["active", "yes" if found.active else "no"],
            *[[p.kind, p.display + (" (bouncing)" if p.bouncing else "")] for p in points],
        ],
        title="contact",
    )


@contacts_app.command("edit")
def contact_edit(
    ctx: typer.Context,
    contact: ContactRef,
    name: Annotated[str | None, typer.Option("--name", help="New name")] = None,
    position: Annotated[str | None, typer.Option("--position", help="New job title")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="New notes")] = None,
    client: Annotated[str | None, typer.Option("--client", help="Move to this client")] = None,
    add_email: Annotated[
        list[str] | None, typer.Option("--add-email", help="Add an email (repeatable)")
    ] = None,
    add_phone: Annotated[
        list[str] | None, typer.Option("--add-phone", help="Add a phone (repeatable)")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Remove this email or phone (repeatable)")
    ] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Reactivate or deactivate")
    ] = None,
) -> None:
    """Change a contact: name, position, notes, client, emails and phones, active."""
    from dispatcher.store.clients import clients, contacts

    changes: dict[str, Any] = {
        k: v
        for k, v in (("name", name), ("position", position), ("notes", notes), ("active", active))
        if v is not None
    }
    if add_email:
        changes["add_emails"] = add_email
    if add_phone:
        changes["add_phones"] = add_phone
    if remove:
        changes["remove_points"] = remove
    if not changes and client is None:
        fail("nothing to change: see 'contacts edit --help'")
    with state(ctx).store().write() as session:
        found = contacts.resolve_contact(session, ref=contact)
        if client is not None:
            changes["client_id"] = clients.resolve_client(session, ref=client).id
        contacts.edit_contact(session, contact_id=found.id or 0, **changes)
    echo(f"changed contact {found.name} (id {found.id})")


@contacts_app.command("remove")
def contact_remove(ctx: typer.Context, contact: ContactRef) -> None:
    """Delete a contact who never wrote in (deactivate the others with edit --inactive)."""
    from dispatcher.store.clients import contacts

    with state(ctx).store().write() as session:
        found = contacts.resolve_contact(session, ref=contact)
        contacts.remove_contact(session, contact_id=found.id or 0)
    echo(f"removed contact {found.name} (id {found.id})")


# --- contracts ------------------------------------------------------------------------


def _contract_json(session: Session, contract: Contract, client: str | None, on: date) -> Any:
    from dispatcher.store.clients import contracts
    from dispatcher.store.models import SlaPlan

    plan = session.get(SlaPlan, contract.sla_plan_id)
    items = contracts.contract_equipment(session, contract_id=contract.id or 0)
    return {
        "id": contract.id,
        "number": contract.number,
        "client": client,
        "client_id": contract.client_id,
        "plan": plan.name if plan else None,
        "valid_from": contract.valid_from,
        "valid_to": contract.valid_to,
        "state": contracts.contract_state(contract, on=on),
        "equipment": [{"id": e.id, "name": e.name, "serial": e.serial} for e in items],
        "notes": contract.notes,
    }


def _print_contracts(rows: list[dict[str, Any]]) -> None:
    print_table(
        ["number", "client", "plan", "from", "to", "state", "equipment"],
        [
            [
                r["number"],
                r["client"],
                r["plan"],
                r["valid_from"],
                r["valid_to"] or "open-ended",
                r["state"],
                ", ".join(e["serial"] or e["name"] for e in r["equipment"]),
            ]
            for r in rows
        ],
        title="contracts",
    )


def _equipment_ids(session: Session, refs: list[str]) -> list[int]:
    from dispatcher.store.clients import equipment

    return [equipment.resolve_equipment(session, ref=ref).id or 0 for ref in refs]


@contracts_app.command("add")
def contract_add(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="Contract number, e.g. C-2026-001")],
    client: ClientOption,
    plan: Annotated[str, typer.Option("--plan", help="SLA plan name")],
    valid_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    valid_to: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (none: open-ended)")
    ] = None,
    equipment: Annotated[
        list[str] | None,
        typer.Option("--equipment", help="Covered item, serial or id (repeatable)"),
    ] = None,
    notes: Annotated[str, typer.Option("--notes", help="Notes")] = "",
) -> None:
    """Add a service contract."""
    from dispatcher.domain.shifts import parse_date
    from dispatcher.store.clients import clients, contracts

    first = parse_date(valid_from)
    last = parse_date(valid_to) if valid_to is not None else None
    with state(ctx).store().write() as session:
        found = clients.resolve_client(session, ref=client)
        contract = contracts.add_contract(
            session,
            number=number,
            client_id=found.id or 0,
            plan=plan,
            valid_from=first,
            valid_to=last,
            equipment_ids=_equipment_ids(session, equipment or []),
            notes=notes,
        )
    echo(f"added contract {contract.number} (id {contract.id}) for {found.name}")


@contracts_app.command("list")
def contract_list(
    ctx: typer.Context, client: ClientFilter = None, on: OnOption = None, as_json: Json = False
) -> None:
    """List contracts with whether each is valid, expired or not started yet."""
    from dispatcher.store.clients import clients, contracts

    day = _day(on)
    with state(ctx).store().read() as session:
        cid = clients.resolve_client(session, ref=client).id if client is not None else None
        names = _client_names(session)
        rows = [
            _contract_json(session, c, names.get(c.client_id), day)
            for c in contracts.list_contracts(session, client_id=cid)
        ]
    if as_json:
        print_json(rows)
        return
    _print_contracts(rows)


@contracts_app.command("show")
def contract_show(
    ctx: typer.Context, contract: ContractRef, on: OnOption = None, as_json: Json = False
) -> None:
    """Show a contract."""
    from dispatcher.store.clients import clients, contracts

    day = _day(on)
    with state(ctx).store().read() as session:
        found = contracts.resolve_contract(session, ref=contract)
        client = clients.get_client(session, client_id=found.client_id)
        data = _contract_json(session, found, client.name, day)
    if as_json:
        print_json(data)
        return
    print_table(
        ["field", "value"],
        [
            ["number", data["number"]],
            ["id", data["id"]],
            ["client", data["client"]],
            ["SLA plan", data["plan"]],
            ["valid from", data["valid_from"]],
            ["valid to", data["valid_to"] or "open-ended"],
            [f"on {day}", data["state"]],
            [
                "equipment",
                ", ".join(f"{e['name']} ({e['serial'] or 'no serial'})" for e in data["equipment"])
                or "-",
            ],
            ["notes", data["notes"]],
        ],
        title="contract",
    )


@contracts_app.command("edit")
def contract_edit(
    ctx: typer.Context,
    contract: ContractRef,
    number: Annotated[str | None, typer.Option("--number", help="New number")] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="New SLA plan name")] = None,
    valid_from: Annotated[str | None, typer.Option("--from", help="New first day")] = None,
    valid_to: Annotated[str | None, typer.Option("--to", help="New last day")] = None,
    open_ended: Annotated[bool, typer.Option("--open-ended", help="No last day")] = False,
    equipment: Annotated[
        list[str] | None,
        typer.Option("--equipment", help="Covered items, replacing the list (repeatable)"),
    ] = None,
    no_equipment: Annotated[
        bool, typer.Option("--no-equipment", help="Cover no particular item")
    ] = False,
    notes: Annotated[str | None, typer.Option("--notes", help="New notes")] = None,
) -> None:
    """Change a contract: number, plan, period, covered equipment, notes."""
    from dispatcher.domain.shifts import parse_date
    from dispatcher.store.clients import contracts

    if valid_to is not None and open_ended:
        fail("give --to or --open-ended, not both")
    if equipment and no_equipment:
        fail("give --equipment or --no-equipment, not both")
    changes: dict[str, Any] = {
        k: v for k, v in (("number", number), ("plan", plan), ("notes", notes)) if v is not None
    }
    if valid_from is not None:
        changes["valid_from"] = parse_date(valid_from)
    if valid_to is not None:
        changes["valid_to"] = parse_date(valid_to)
    if open_ended:
        changes["valid_to"] = None
    if no_equipment:
        changes["equipment_ids"] = []
    if not changes and not equipment:
        fail("nothing to change: see 'contracts edit --help'")
    with state(ctx).store().write() as session:
        found = contracts.resolve_contract(session, ref=contract)
        if equipment:
            changes["equipment_ids"] = _equipment_ids(session, equipment)
        old_number = found.number
        contracts.edit_contract(session, contract_id=found.id or 0, **changes)
    echo(f"changed contract {old_number}: {', '.join(changes)}")


@contracts_app.command("remove")
def contract_remove(ctx: typer.Context, contract: ContractRef) -> None:
    """Remove a contract no ticket refers to (end the others with edit --to)."""
    from dispatcher.store.clients import contracts

    with state(ctx).store().write() as session:
        found = contracts.resolve_contract(session, ref=contract)
        contracts.remove_contract(session, contract_id=found.id or 0)
    echo(f"removed contract {found.number}")


@contracts_app.command("check")
def contract_check(
    ctx: typer.Context, client: ClientRef, on: OnOption = None, as_json: Json = False
) -> None:
    """Whether a client is covered by a valid contract on a day, or its contract expired."""
    from dispatcher.store.clients import clients, contracts

    day = _day(on)
    with state(ctx).store().read() as session:
        found = clients.resolve_client(session, ref=client)
        check = contracts.check_client_contract(session, client_id=found.id or 0, on=day)
    if as_json:
        print_json(
            {
                "client": found.name,
                "on": day,
                "state": check.state,
                "covered": check.covered,
                "contract": check.contract.number if check.contract else None,
            }
        )
        return
    echo(f"{found.name} on {day}: {check.describe()}")


# --- equipment ------------------------------------------------------------------------


def _equipment_json(item: Equipment, client: str | None) -> dict[str, Any]:
    return {
        "id": item.id,
        "client": client,
        "client_id": item.client_id,
        "name": item.name,
        "kind": item.kind,
        "serial": item.serial,
        "location": item.location,
        "notes": item.notes,
    }


def _print_equipment(rows: list[dict[str, Any]]) -> None:
    print_table(
        ["id", "name", "client", "kind", "serial", "location"],
        [[r["id"], r["name"], r["client"], r["kind"], r["serial"], r["location"]] for r in rows],
        title="equipment",
    )


@equipment_app.command("add")
def equipment_add(
    ctx: typer.Context,
    client: ClientOption,
    name: Annotated[str, typer.Option("--name", help="What it is, e.g. Core switch")],
    kind: Annotated[str, typer.Option("--kind", help="Kind, e.g. switch")] = "",
    serial: Annotated[str | None, typer.Option("--serial", help="Serial number (unique)")] = None,
    location: Annotated[str, typer.Option("--location", help="Where it is")] = "",
    notes: Annotated[str, typer.Option("--notes", help="Notes")] = "",
) -> None:
    """Add an equipment item to a client."""
    from dispatcher.store.clients import clients, equipment

    with state(ctx).store().write() as session:
        found = clients.resolve_client(session, ref=client)
        item = equipment.add_equipment(
            session,
            client_id=found.id or 0,
            name=name,
            kind=kind,
            serial=serial,
            location=location,
            notes=notes,
        )
    echo(f"added equipment {item.name} (id {item.id}) for {found.name}")


@equipment_app.command("list")
def equipment_list(ctx: typer.Context, client: ClientFilter = None, as_json: Json = False) -> None:
    """List equipment, of one client or all."""
    from dispatcher.store.clients import clients, equipment

    with state(ctx).store().read() as session:
        cid = clients.resolve_client(session, ref=client).id if client is not None else None
        names = _client_names(session)
        rows = [
            _equipment_json(e, names.get(e.client_id))
            for e in equipment.list_equipment(session, client_id=cid)
        ]
    if as_json:
        print_json(rows)
        return
    _print_equipment(rows)


@equipment_app.command("show")
def equipment_show(ctx: typer.Context, item: EquipmentRef, as_json: Json = False) -> None:
    """Show an equipment item."""
    from dispatcher.store.clients import clients, equipment

    with state(ctx).store().read() as session:
        found = equipment.resolve_equipment(session, ref=item)
        data = _equipment_json(found, clients.get_client(session, client_id=found.client_id).name)
    if as_json:
        print_json(data)
        return
    print_table(
        ["field", "value"],
        [[key, "" if value is None else value] for key, value in data.items()],
        title="equipment item",
    )


@equipment_app.command("edit")
def equipment_edit(
    ctx: typer.Context,
    item: EquipmentRef,
    name: Annotated[str | None, typer.Option("--name", help="New name")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="New kind")] = None,
    serial: Annotated[
        str | None, typer.Option("--serial", help="New serial number ('' clears it)")
    ] = None,
    location: Annotated[str | None, typer.Option("--location", help="New location")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="New notes")] = None,
) -> None:
    """Change an equipment item."""
    from dispatcher.store.clients import equipment

    changes = {
        k: v
        for k, v in (
            ("name", name),
            ("kind", kind),
            ("serial", serial),
            ("location", location),
            ("notes", notes),
        )
        if v is not None
    }
    if not changes:
        fail("nothing to change: see 'equipment edit --help'")
    with state(ctx).store().write() as session:
        found = equipment.resolve_equipment(session, ref=item)
        equipment.edit_equipment(session, equipment_id=found.id or 0, **changes)
    echo(f"changed equipment {found.name} (id {found.id}): {', '.join(changes)}")


@equipment_app.command("remove")
def equipment_remove(ctx: typer.Context, item: EquipmentRef) -> None:
    """Remove an equipment item no ticket refers to."""
    from dispatcher.store.clients import equipment

    with state(ctx).store().write() as session:
        found = equipment.resolve_equipment(session, ref=item)
        equipment.remove_equipment(session, equipment_id=found.id or 0)
    echo(f"removed equipment {found.name} (id {found.id})")
