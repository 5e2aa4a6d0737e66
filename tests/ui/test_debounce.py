"""The debounce behind search-as-you-type: a burst of keys makes one call, after the pause.

The timer is a fake the test fires itself, so nothing here waits for time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from textual.message_pump import MessagePump

from dispatcher.widgets.debounce import Debounce


class FakeTimer:
    def __init__(self, delay: float, callback: Callable[[], object]) -> None:
        self.delay = delay
        self.callback = callback
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class Owner:
    """Stands in for the widget: records the timers instead of starting them."""

    def __init__(self) -> None:
        self.timers: list[FakeTimer] = []

    def set_timer(self, delay: float, callback: Callable[[], object]) -> FakeTimer:
        timer = FakeTimer(delay, callback)
        self.timers.append(timer)
        return timer


def _typing(delay: float | None) -> tuple[Owner, Debounce]:
    owner = Owner()
    return owner, Debounce(cast(MessagePump, owner), delay)


def test_eight_keys_make_one_call_once_typing_pauses() -> None:
    owner, typing = _typing(0.15)
    searched: list[str] = []
    word = "принтеры"
    for n in range(1, len(word) + 1):
        typing(lambda text=word[:n]: searched.append(text))  # type: ignore[misc]
    assert [t.delay for t in owner.timers] == [0.15] * 8  # each key starts the wait again
    assert [t.stopped for t in owner.timers] == [True] * 7 + [False]
    assert searched == []
    owner.timers[-1].callback()  # the pause comes
    assert searched == ["принтеры"]
    assert not typing.pending
    typing.flush()
    assert searched == ["принтеры"]  # nothing was left to run


def test_without_a_delay_only_flush_runs_the_last_call() -> None:
    owner, typing = _typing(None)
    searched: list[str] = []
    typing(lambda: searched.append("vpn"))
    typing(lambda: searched.append("vpn tok"))
    assert owner.timers == []
    assert typing.pending
    typing.flush()
    assert searched == ["vpn tok"]
    typing(lambda: searched.append("dropped"))
    typing.cancel()
    typing.flush()
    assert searched == ["vpn tok"]
