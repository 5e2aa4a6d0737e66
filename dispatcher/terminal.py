"""The terminal around the console: what is set before Textual is imported, and the
terminal's flow control. Shared by the ordinary command (`dispatcher.cli.console`) and the
quick start (`dispatcher.console_quick`); imports nothing of the command line."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TextIO

# Textual paints a changed screen on its next frame tick (`TEXTUAL_FPS`, 60 by default): a
# key waited up to 16.7 ms for the tick on top of its own work, 19-21 ms at p95 while the
# SLA sweep and the mail sender ran. At 120 the same keys took 13.7-14.3 ms. A frame is
# painted only when something changed, so an idle console costs nothing more.
FRAMES_PER_SECOND = 120


def console_environment() -> None:
    """What the console sets before Textual is imported (a `TEXTUAL_FPS` already set is
    left alone)."""
    os.environ.setdefault("TEXTUAL_FPS", str(FRAMES_PER_SECOND))


def without_flow_control(stream: TextIO) -> Callable[[], None]:
    """Turn the terminal's XON/XOFF flow control off now; the function returned puts it back.

    Ctrl+Q quits the console, but until Textual has put the terminal in raw mode (most of
    the first second) the terminal driver takes Ctrl+Q as XON and the key never arrives:
    the console stayed open. Not a terminal (a pipe, a test): nothing to do.
    """
    try:
        import termios

        fd = stream.fileno()
        if not os.isatty(fd):
            return lambda: None
        before = termios.tcgetattr(fd)
        after = list(before)
        after[0] &= ~termios.IXON  # the input flags
        termios.tcsetattr(fd, termios.TCSANOW, after)
    except (ImportError, OSError, ValueError, AttributeError):
        return lambda: None

    def put_back() -> None:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, before)
        except (OSError, termios.error):
            pass

    return put_back
