"""`dispatcher admin ...`: setting the helpdesk up. Every command calls the store's functions."""

from __future__ import annotations

import typer

from dispatcher.cli import (
    clients,
    contacts,
    contracts,
    database,
    demo,
    directory,
    equipment,
    intake,
    kb,
    outbox,
    report,
    review,
    sla,
    templates,
    tickets,
    users,
)
from dispatcher.cli._common import DbOption, set_db

admin_app = typer.Typer(help="Set up and look after the helpdesk.", no_args_is_help=True)
admin_app.add_typer(database.db_app, name="db")
admin_app.add_typer(users.app, name="users")
admin_app.add_typer(directory.queues_app, name="queues")
admin_app.add_typer(directory.categories_app, name="categories")
admin_app.add_typer(clients.clients_app, name="clients")
admin_app.add_typer(contacts.contacts_app, name="contacts")
admin_app.add_typer(contracts.contracts_app, name="contracts")
admin_app.add_typer(equipment.equipment_app, name="equipment")
admin_app.add_typer(tickets.app, name="tickets")
admin_app.add_typer(kb.app, name="kb")
admin_app.add_typer(sla.sla_app, name="sla")
admin_app.add_typer(sla.calendar_app, name="calendar")
admin_app.add_typer(intake.app, name="intake")
intake.app.add_typer(review.app, name="review")  # next to `admin intake quarantine`
admin_app.add_typer(outbox.app, name="outbox")
admin_app.add_typer(templates.app, name="templates")
admin_app.add_typer(report.admin_app, name="report")
admin_app.command("demo")(demo.demo)


@admin_app.callback()
def admin(ctx: typer.Context, db: DbOption = None) -> None:
    set_db(ctx, db)


admin_app.command("init")(database.init)
