"""`dispatcher admin intake ...`: mail in."""

import typer

app = typer.Typer(help="Mail intake: import messages, the quarantine.")
