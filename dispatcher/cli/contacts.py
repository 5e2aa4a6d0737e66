"""`dispatcher admin contacts ...`: the people at the clients who write in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._client_common import ClientFilter, ClientOption, Json, client_names
from dispatcher.cli._common import echo, fail, print_json, print_table, state

if TYPE_CHECKING:
    from dispatcher.store.models import Contact, ContactPoint

contacts_app = typer.Typer(help="People at the clients who write in.", no_args_is_help=True)

ContactRef = Annotated[str, typer.Argument(help="The contact's id, email or phone")]


def contact_json(contact: Contact, client: str | None, points: list[ContactPoint]) -> Any:
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


def print_contacts(rows: list[dict[str, Any]]) -> None:
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
        names = client_names(session)
    rows = [contact_json(c, names.get(c.client_id), points[c.id or 0]) for c in people]
    if as_json:
        print_json(rows)
        return
    print_contacts(rows)


@contacts_app.command("show")
def contact_show(ctx: typer.Context, contact: ContactRef, as_json: Json = False) -> None:
    """Show a contact."""
    from dispatcher.store.clients import clients, contacts

    with state(ctx).store().read() as session:
        found = contacts.resolve_contact(session, ref=contact)
        points = contacts.contact_points(session, contact_ids=[found.id or 0])[found.id or 0]
        client = clients.get_client(session, client_id=found.client_id)
    data = contact_json(found, client.name, points)
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
