"""The console turns the terminal's XON/XOFF flow control off while it runs (Ctrl+Q is its
quit key, which the terminal driver would take as XON until Textual's raw mode begins),
and puts the terminal back as it was. On a real pseudo-terminal."""

from __future__ import annotations

import io
import os
import termios

from dispatcher.cli.console import without_flow_control


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
