"""The console turns the terminal's XON/XOFF flow control off while it runs (Ctrl+Q is its
quit key, which the terminal driver would take as XON until Textual's raw mode begins),
and puts the terminal back as it was. On a real pseudo-terminal. And it sets its frame rate
before Textual is imported."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import termios

from dispatcher.terminal import FRAMES_PER_SECOND, without_flow_control


def test_flow_control_is_off_while_the_console_runs_and_back_after() -> None:
    leader, follower = os.openpty()
    try:
        attrs = termios.tcgetattr(follower)
        attrs[0] |= termios.IXON
        termios.tcsetattr(follower, termios.TCSANOW, attrs)
        with os.fdopen(os.dup(follower), "r") as stream:
            put_back = without_flow_control(stream)
            assert not termios.tcgetattr(follower)[0] & termios.IXON
            put_back()
        assert termios.tcgetattr(follower) == attrs
    finally:
        os.close(leader)
        os.close(follower)


def test_not_a_terminal_is_left_alone() -> None:
    put_back = without_flow_control(io.StringIO())  # no file descriptor at all
    put_back()
    read, write = os.pipe()
    try:
        with os.fdopen(os.dup(read), "r") as stream:
            without_flow_control(stream)()  # a pipe: nothing to turn off
    finally:
        os.close(read)
        os.close(write)


def _fresh(code: str, **environ: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"} | environ
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


FRAME_RATE = (
    "import sys\n"
    "import dispatcher.cli\n"
    "from dispatcher.terminal import console_environment\n"
    "assert 'textual' not in sys.modules, 'Textual came first: its frame rate is fixed'\n"
    "console_environment()\n"
    "from textual import constants\n"
    "print(constants.MAX_FPS)\n"
)


def test_the_console_paints_at_its_own_frame_rate() -> None:
    """A key waits for Textual's next frame tick: the console sets a faster one before
    Textual is first imported (the command line itself imports no Textual)."""
    assert _fresh(FRAME_RATE) == str(FRAMES_PER_SECOND)
    assert FRAMES_PER_SECOND > 60  # Textual's own


def test_a_frame_rate_the_user_set_is_kept() -> None:
    assert _fresh(FRAME_RATE, TEXTUAL_FPS="30") == "30"
