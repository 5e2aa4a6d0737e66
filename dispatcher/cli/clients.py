"""`dispatcher admin clients|contacts|contracts|equipment ...`"""

import typer

clients_app = typer.Typer(help="Client companies.")
contacts_app = typer.Typer(help="People at the clients who write in.")
contracts_app = typer.Typer(help="Service contracts: which SLA plan a client has, and when.")
equipment_app = typer.Typer(help="Clients' equipment items.")
