"""App-wide messages: what thread workers post back to the screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class StoreFailed(Message):
    """A database call from a worker failed; the screen shows `error` and stays usable."""

    error: str
