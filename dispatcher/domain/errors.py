"""Errors the domain and the store raise for the console and the CLI to show as one line."""

from __future__ import annotations


class DispatcherError(Exception):
    """Base of every error meant for the person at the keyboard, not for a traceback."""


class NotFoundError(DispatcherError):
    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"no {what} {key!s}")
        self.what = what
        self.key = key


class ConflictError(DispatcherError):
    """The write would break a rule: a duplicate name, a forbidden status change, ..."""


class StaleVersionError(ConflictError):
    """Somebody changed the ticket since the caller read it; nothing was written.

    `changes` lists what happened meanwhile, one line per change, for the message.
    """

    def __init__(
        self, ref: str, expected: int, current: int, changes: list[str] | None = None
    ) -> None:
        self.ref = ref
        self.expected = expected
        self.current = current
        self.changes = changes or []
        what = "; ".join(self.changes) if self.changes else f"version {expected} -> {current}"
        super().__init__(f"{ref} was changed by someone else since you opened it: {what}")


class ValidationError(DispatcherError):
    """Input that cannot be accepted as given."""


class DatabaseUnavailableError(DispatcherError):
    """The database cannot be reached or opened."""
