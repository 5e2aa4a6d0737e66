"""The one wall clock of the program, and the type every injected clock has.

Everything that needs "now" takes a `Clock` (tests hand in a frozen or stepping one); the
default is `utcnow`, an aware UTC datetime, the form the store keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)
