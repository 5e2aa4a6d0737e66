"""`dispatcher admin users ...`"""

import typer

app = typer.Typer(help="Users of the console: dispatchers, engineers, leads, admins.")
