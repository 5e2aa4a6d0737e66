"""`dispatcher admin kb ...`"""

import typer

app = typer.Typer(help="The knowledge base.")
