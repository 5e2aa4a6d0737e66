"""`dispatcher kb ...`: the knowledge base for everyone (search)."""

import typer

app = typer.Typer(help="Search the knowledge base.")
