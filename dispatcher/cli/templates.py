"""`dispatcher admin templates ...`: reply templates."""

import typer

app = typer.Typer(help="Reply templates.")
