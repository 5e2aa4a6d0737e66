"""`dispatcher admin tickets ...`"""

import typer

app = typer.Typer(help="Tickets: create, import, export.")
