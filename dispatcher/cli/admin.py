"""`dispatcher admin ...`: setting the helpdesk up. Every command calls the store's functions.

Each subcommand's module is imported when the command line names it: `admin users list`
loads the users commands, none of the others'.
"""

from __future__ import annotations

from typing import ClassVar

import typer

from dispatcher.cli._common import DbOption, DispatcherGroup, set_db


class AdminGroup(DispatcherGroup):
    # In the order `dispatcher admin --help` lists them: the commands, then the groups.
    lazy: ClassVar[dict[str, str]] = {
        "demo": "dispatcher.cli.demo:demo",
        "init": "dispatcher.cli.database:init",
        "db": "dispatcher.cli.database:db_app",
        "users": "dispatcher.cli.users:app",
        "queues": "dispatcher.cli.directory:queues_app",
        "categories": "dispatcher.cli.directory:categories_app",
        "clients": "dispatcher.cli.clients:clients_app",
        "contacts": "dispatcher.cli.contacts:contacts_app",
        "contracts": "dispatcher.cli.contracts:contracts_app",
        "equipment": "dispatcher.cli.equipment:equipment_app",
        "tickets": "dispatcher.cli.tickets:app",
        "kb": "dispatcher.cli.kb:app",
        "sla": "dispatcher.cli.sla:sla_app",
        "calendar": "dispatcher.cli.sla:calendar_app",
        "intake": "dispatcher.cli.intake:app",
        "outbox": "dispatcher.cli.outbox:app",
        "templates": "dispatcher.cli.templates:app",
        "report": "dispatcher.cli.report:admin_app",
    }


admin_app = typer.Typer(
    cls=AdminGroup, help="Set up and look after the helpdesk.", no_args_is_help=True
)


@admin_app.callback()
def admin(ctx: typer.Context, db: DbOption = None) -> None:
    set_db(ctx, db)
