"""A client's answer to a resolution: confirmed, rated, or not fixed."""

from __future__ import annotations

import pytest

from dispatcher.domain.feedback import Feedback, new_text, read_feedback


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("5", Feedback(confirmed=True, score=5)),
        ("Rating: 4/5\nall good", Feedback(confirmed=True, score=4, comment="all good")),
        ("Оценка 3", Feedback(confirmed=True, score=3)),
        (
            "5 stars - quick and polite",
            Feedback(confirmed=True, score=5, comment="quick and polite"),
        ),
        ("Подтверждаю", Feedback(confirmed=True, comment="Подтверждаю")),
        ("Confirmed, thanks", Feedback(confirmed=True, comment="Confirmed, thanks")),
        (
            "3 printers are still broken",
            Feedback(confirmed=False, comment="3 printers are still broken"),
        ),
        ("> confirm\nno, still broken", Feedback(confirmed=False)),
        (
            "still broken\n\nOn Mon, Support wrote:\n> confirm",
            Feedback(confirmed=False, comment="still broken"),
        ),
        ("", Feedback(confirmed=False)),
    ],
)
def test_read_feedback(body: str, expected: Feedback) -> None:
    assert read_feedback(body) == expected


def test_new_text_stops_at_the_quote() -> None:
    body = "Works now.\n\n-----Original Message-----\nFrom: support\n> old"
    assert new_text(body) == "Works now."
