"""`dispatcher admin equipment ...`: the clients' equipment items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._client_common import ClientFilter, ClientOption, Json, client_names
from dispatcher.cli._common import echo, fail, print_json, print_table, state

if TYPE_CHECKING:
    from dispatcher.store.models import Equipment

equipment_app = typer.Typer(help="Clients' equipment items.", no_args_is_help=True)

EquipmentRef = Annotated[str, typer.Argument(help="The item's serial number (or id)")]


def equipment_json(item: Equipment, client: str | None) -> dict[str, Any]:
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


def print_equipment(rows: list[dict[str, Any]]) -> None:
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
        names = client_names(session)
        rows = [
            equipment_json(e, names.get(e.client_id))
            for e in equipment.list_equipment(session, client_id=cid)
        ]
    if as_json:
        print_json(rows)
        return
    print_equipment(rows)


@equipment_app.command("show")
def equipment_show(ctx: typer.Context, item: EquipmentRef, as_json: Json = False) -> None:
    """Show an equipment item."""
    from dispatcher.store.clients import clients, equipment

    with state(ctx).store().read() as session:
        found = equipment.resolve_equipment(session, ref=item)
        data = equipment_json(found, clients.get_client(session, client_id=found.client_id).name)
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
