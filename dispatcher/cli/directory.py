"""`dispatcher admin queues|categories ...`"""

import typer

queues_app = typer.Typer(help="Queues tickets are worked in.")
categories_app = typer.Typer(help="Ticket categories and the competence each needs.")
