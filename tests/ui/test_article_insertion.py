"""Where an inserted article lands: at the cursor, but never above or into the greeting."""

from __future__ import annotations

from dispatcher.screens.composer import insertion_point

REPLY = "Hello Anna,\n\nWe reset your token.\n\nOlga"


def test_the_cursor_in_the_greeting_puts_the_article_below_it() -> None:
    assert insertion_point(REPLY, (0, 0)) == (2, 0)  # above "We reset..."
    assert insertion_point(REPLY, (0, 5)) == (2, 0)
    assert insertion_point("Hello Anna,\n", (0, 3)) == (1, 0)


def test_elsewhere_the_article_goes_at_the_cursor() -> None:
    assert insertion_point(REPLY, (2, 4)) == (2, 4)
    assert insertion_point(REPLY, (4, 0)) == (4, 0)
    assert insertion_point("just typing", (0, 4)) == (0, 4)  # one line: no greeting yet
