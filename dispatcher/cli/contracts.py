"""`dispatcher admin contracts ...`: which SLA plan a client has, and when."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._client_common import (
    ClientFilter,
    ClientOption,
    ClientRef,
    Json,
    OnOption,
    client_names,
    day_or_today,
)
from dispatcher.cli._common import echo, fail, print_json, print_table, state

if TYPE_CHECKING:
    from sqlmodel import Session

    from dispatcher.store.models import Contract

contracts_app = typer.Typer(
    help="Service contracts: which SLA plan a client has, and when.", no_args_is_help=True
)

ContractRef = Annotated[str, typer.Argument(help="The contract's number (or id)")]


def contract_json(session: Session, contract: Contract, client: str | None, on: date) -> Any:
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


def print_contracts(rows: list[dict[str, Any]]) -> None:
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

    day = day_or_today(on)
    with state(ctx).store().read() as session:
        cid = clients.resolve_client(session, ref=client).id if client is not None else None
        names = client_names(session)
        rows = [
            contract_json(session, c, names.get(c.client_id), day)
            for c in contracts.list_contracts(session, client_id=cid)
        ]
    if as_json:
        print_json(rows)
        return
    print_contracts(rows)


@contracts_app.command("show")
def contract_show(
    ctx: typer.Context, contract: ContractRef, on: OnOption = None, as_json: Json = False
) -> None:
    """Show a contract."""
    from dispatcher.store.clients import clients, contracts

    day = day_or_today(on)
    with state(ctx).store().read() as session:
        found = contracts.resolve_contract(session, ref=contract)
        client = clients.get_client(session, client_id=found.client_id)
        data = contract_json(session, found, client.name, day)
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

    day = day_or_today(on)
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
