"""Ctrl+P command palette providers: tickets by reference or subject, clients, actions.

Database look-ups run in a thread (`asyncio.to_thread`), never on the UI loop. Every text
that comes from the data is shown literally (Textual's `Matcher.highlight` would parse it
as markup, so it is not used for data).
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from dispatcher.text import plain

if TYPE_CHECKING:
    from dispatcher.app import DispatcherApp

MAX_HITS = 10


def _app(provider: Provider) -> DispatcherApp:
    return provider.app  # type: ignore[return-value]


class TicketCommands(Provider):
    """`#1042` jumps to a ticket; words find active tickets by subject."""

    async def search(self, query: str) -> Hits:
        if len(query.strip()) < 2 and not query.strip().isdigit():
            return
        store = _app(self).context.store
        from dispatcher.store.tickets.queue import find_tickets

        def look() -> list[Any]:
            with store.read() as session:
                return find_tickets(session, text=query, limit=MAX_HITS)

        for rank, hit in enumerate(await asyncio.to_thread(look)):
            text = f"{hit.ref} {plain(hit.subject)}"
            yield Hit(
                1.0 - rank / 100,
                Content(text),
                partial(self._open, hit.id),
                text=text,
                help=f"open the ticket ({hit.status})",
            )

    def _open(self, ticket_id: int) -> None:
        from dispatcher.screens.ticket import TicketScreen

        app = _app(self)
        app.push_screen(TicketScreen(app.context, ticket_id=ticket_id))


class ClientCommands(Provider):
    """A client by name, contact, email or phone: shows the client's tickets in the queue."""

    async def search(self, query: str) -> Hits:
        if len(query.strip()) < 2:
            return
        store = _app(self).context.store
        from dispatcher.store.clients.clients import find_clients

        def look() -> list[Any]:
            with store.read() as session:
                return find_clients(session, text=query, limit=MAX_HITS)

        for rank, match in enumerate(await asyncio.to_thread(look)):
            via = f" ({plain(match.matched)})" if match.matched_on != "client" else ""
            text = f"client: {plain(match.client_name)}{via}"
            yield Hit(
                0.9 - rank / 100,
                Content(text),
                partial(self._show, match.client_id),
                text=text,
                help="show this client's tickets in the queue",
            )

    def _show(self, client_id: int) -> None:
        from dispatcher.screens.queue import QueueScreen

        app = _app(self)

        async def go() -> None:
            if "queue" in app.modes_for(app.operator.role):
                await app.switch_mode("queue")
            screen = app.screen
            if isinstance(screen, QueueScreen):
                screen.filter_client(client_id)

        app.call_later(go)


class ActionCommands(Provider):
    """Every key of the screen underneath, by what it does: the palette as a key finder."""

    def _actions(self) -> list[tuple[str, str, Any, str]]:
        from dispatcher.screens.help import key_help

        found = []
        bindings = {b.binding.id: b for b in self.screen.active_bindings.values() if b.binding.id}
        for line in key_help(self.screen):
            active = bindings.get(line.id)
            if active is None:
                continue
            found.append((line.description, line.keys, active, line.tooltip))
        return found

    def _run(self, active: Any) -> None:
        app = _app(self)
        app.call_later(app.run_action, active.binding.action, active.node)

    async def discover(self) -> Hits:
        for description, keys, active, tooltip in self._actions():
            yield DiscoveryHit(
                Content(f"{description} ({keys})"),
                partial(self._run, active),
                text=description,
                help=tooltip,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, keys, active, tooltip in self._actions():
            score = matcher.match(description)
            if score > 0:
                yield Hit(
                    score,
                    Content(f"{description} ({keys})"),
                    partial(self._run, active),
                    text=description,
                    help=tooltip,
                )


PROVIDERS = (TicketCommands, ClientCommands, ActionCommands)
