"""Reading the answer to the NPS pulse (0-10) from a reply, in Russian and English."""

from __future__ import annotations

import pytest

from dispatcher.domain.feedback import read_answer, read_nps

QUESTION = (
    "How likely are you to recommend our support to a colleague, from 0 to 10?\n"
    "Just reply with a number.\n"
)

TABLE = [
    # English
    ("9", 9),
    ("0", 0),
    ("10", 10),
    ("10!", 10),
    ("I'd say 8 out of 10", 8),
    ("I would say 7", 7),
    ("8/10, the VPN fix was quick", 8),
    ("Score: 6", 6),
    ("I'd give you a 9", 9),
    ("nine", 9),
    ("Ten, thanks for everything", 10),
    ("9 - great team", 9),
    ("It took 10 minutes to get an answer", None),
    ("Let's talk at 10:30", None),
    ("Maybe 7 or 8", None),
    ("Thanks!", None),
    ("Printer 2 is broken again", None),
    ("", None),
    # Russian
    ("9", 9),
    ("оценка 10", 10),
    ("Оценка: 8", 8),
    ("Ставлю 7, всё отлично", 7),
    ("8 из 10", 8),
    ("9 из десяти", 9),
    ("девять", 9),
    ("0", 0),
    ("10 - спасибо за работу", 10),
    ("ждали ответа 3 дня", None),
    ("созвонимся в 10:30", None),
    ("наверное 7 или 8", None),
    ("спасибо", None),
]


@pytest.mark.parametrize(("words", "score"), TABLE)
def test_the_answer_is_read(words: str, score: int | None) -> None:
    assert read_nps(words) == score


def test_only_the_clients_own_words_count() -> None:
    """The question pasted below the answer ("0 to 10") is not the client's number."""
    body = "9\n\nOn Mon, 23 Nov 2026 at 10:00 Support <support@example.com> wrote:\n> " + (
        QUESTION.replace("\n", "\n> ")
    )
    assert read_nps(body, answered=QUESTION) == 9
    assert read_nps("Sure\n\n" + QUESTION, answered=QUESTION) is None


def test_the_csat_reading_is_unchanged() -> None:
    """An NPS number outside 1-5 is no CSAT rating; the CSAT reader keeps its own rules."""
    assert read_answer("Ставлю 5, всё работает").score == 5
    assert read_answer("9").score is None
