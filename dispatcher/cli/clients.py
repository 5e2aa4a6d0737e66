"""`dispatcher admin clients ...`: client companies and their email domains."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._client_common import (
    ClientFilter,
    ClientRef,
    Json,
    OnOption,
    client_names,
    day_or_today,
)
from dispatcher.cli._common import echo, fail, print_json, print_table, state
from dispatcher.cli.contacts import contact_json, print_contacts
from dispatcher.cli.contracts import contract_json, print_contracts
from dispatcher.cli.equipment import equipment_json, print_equipment

if TYPE_CHECKING:
    from dispatcher.store.models import Client

clients_app = typer.Typer(help="Client companies.", no_args_is_help=True)
domains_app = typer.Typer(
    help="Email domains that identify a client's mail from unknown senders.",
    no_args_is_help=True,
)
clients_app.add_typer(domains_app, name="domains")


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

    day = day_or_today(on)
    with state(ctx).store().read() as session:
        found = clients.resolve_client(session, ref=client)
        cid = found.id or 0
        domains = [d.domain for d in clients.list_client_domains(session, client_id=cid)]
        people = contacts.list_contacts(session, client_id=cid, include_inactive=True)
        points = contacts.contact_points(session, contact_ids=[c.id or 0 for c in people])
        deals = [
            contract_json(session, c, found.name, day)
            for c in contracts.list_contracts(session, client_id=cid)
        ]
        items = [
            equipment_json(e, found.name) for e in equipment.list_equipment(session, client_id=cid)
        ]
        check = contracts.check_client_contract(session, client_id=cid, on=day)
    data = _client_json(found, domains) | {
        "contacts": [contact_json(c, found.name, points[c.id or 0]) for c in people],
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
        print_contacts(data["contacts"])
    if deals:
        print_contracts(deals)
    if items:
        print_equipment(items)


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
        names = client_names(session)
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
