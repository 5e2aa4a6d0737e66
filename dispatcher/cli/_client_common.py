"""What the `admin clients|contacts|contracts|equipment` commands share: how a client is
named on the command line, and the day contracts are judged on."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from dispatcher.cli._common import today

if TYPE_CHECKING:
    from sqlmodel import Session

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
ClientRef = Annotated[str, typer.Argument(help="The client's name (or id)")]
ClientOption = Annotated[str, typer.Option("--client", help="The client's name (or id)")]
ClientFilter = Annotated[str | None, typer.Option("--client", help="Only this client's")]
OnOption = Annotated[
    str | None, typer.Option("--on", help="Judge contracts on this day, YYYY-MM-DD (default today)")
]


def day_or_today(text: str | None) -> date:
    """The day of `--on`, or today on this computer's clock."""
    from dispatcher.domain.shifts import parse_date

    return parse_date(text) if text is not None else today()


def client_names(session: Session) -> dict[int, str]:
    from dispatcher.store.clients import clients

    return {c.id or 0: c.name for c in clients.list_clients(session, include_inactive=True)}
