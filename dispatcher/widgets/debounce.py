"""Search as you type without a search per key: the last call of a burst runs once typing
has paused for `delay` seconds.

`delay=None` never runs by itself: `flush()` runs the pending call now. Tests use that to
prove that eight keys make one search without depending on a timer; screens flush on
Enter, so a submitted query searches at once.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer


class Debounce:
    def __init__(self, owner: MessagePump, delay: float | None) -> None:
        self.owner = owner
        self.delay = delay
        self._pending: Callable[[], object] | None = None
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def __call__(self, action: Callable[[], object]) -> None:
        """Run `action` after the pause, instead of whatever was waiting."""
        self.cancel()
        self._pending = action
        if self.delay is not None:
            self._timer = self.owner.set_timer(self.delay, self.flush)

    def flush(self) -> None:
        """Run the waiting call now (nothing happens when none waits)."""
        action = self._pending
        self.cancel()
        if action is not None:
            action()

    def cancel(self) -> None:
        self._pending = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
