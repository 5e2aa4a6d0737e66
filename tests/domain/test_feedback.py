"""Reading a client's answer to a resolution: the table of real-looking replies, both
languages, and the parts it rests on (the client's own words, ratings)."""

from __future__ import annotations

import pytest

from dispatcher.domain.feedback import Answer, Verdict, ratings, read_answer
from dispatcher.domain.quoting import client_words
from tests.domain.answer_table import EN, EN_NOTIFICATION, RU, Reply, replies

_LETTERS = {"C": Verdict.confirmed, "N": Verdict.not_fixed, "Q": Verdict.question}


def outcome(answer: Answer) -> str:
    """The table's notation for an answer: "C", "N1", "QC", "U", ..."""
    letter = {v: k for k, v in _LETTERS.items()}.get(answer.verdict, "U")
    if answer.verdict == Verdict.question and answer.confirms:
        letter += "C"
    return letter + (str(answer.score) if answer.score is not None else "")


REPLIES = replies()


def test_the_table_has_at_least_sixty_replies_in_each_language() -> None:
    assert len(RU) >= 60
    assert len(EN) >= 60
    assert {r.language for r in REPLIES} == {"ru", "en"}


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: f"{r.language}-{r.words[:40]}")
def test_each_reply_reads_as_expected(reply: Reply) -> None:
    answer = read_answer(reply.body, answered=reply.answered)
    assert outcome(answer) == reply.expected, (answer.why, answer.words)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_accuracy_on_the_table(language: str) -> None:
    cases = [r for r in REPLIES if r.language == language]
    right = sum(outcome(read_answer(r.body, answered=r.answered)) == r.expected for r in cases)
    assert right == len(cases), f"{language}: {right} of {len(cases)}"


def test_the_words_read_are_the_clients_own() -> None:
    for reply in REPLIES:
        words = client_words(reply.body, answered=reply.answered)
        assert words == reply.words, reply.body


def test_the_quoted_notification_never_counts() -> None:
    # Everything below the quote says "confirm", "works" and "5": the client said nothing.
    body = "\n\nOn Wed, Support wrote:\n> confirm\n> it works\n> 5"
    assert read_answer(body) == Answer(Verdict.unclear, why="no words of the client's own")
    pasted = "Still broken.\n\n" + EN_NOTIFICATION
    assert read_answer(pasted, answered=EN_NOTIFICATION).verdict == Verdict.not_fixed


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Ставлю 5", {5}),
        ("оценка: 4 из 5", {4}),
        ("5 stars", {5}),
        ("4/5", {4}),
        ("★★★★☆", {4}),
        ("на твёрдую пятёрку", {5}),
        ("I'd give you a 5", {5}),
        ("5 - спасибо", {5}),
        ("3 printers are still broken", set()),
        ("ошибка E-42 на 2 этаже с 10:15", set()),
        ("версия 5.1 не запускается", set()),
        ("10/10", set()),
        ("18/11/2026", set()),
        ("Rating 4, would have been 5 stars if faster", {4, 5}),
    ],
)
def test_ratings_found_inside_a_sentence(words: str, expected: set[int]) -> None:
    assert ratings(words) == expected


def test_two_different_ratings_are_unclear() -> None:
    answer = read_answer("Rating 4, would have been 5 stars if faster")
    assert (answer.verdict, answer.score) == (Verdict.unclear, None)


@pytest.mark.parametrize(
    ("words", "verdict"),
    [
        ("не работает", Verdict.not_fixed),
        ("больше не выдаёт ошибку", Verdict.confirmed),
        ("ошибка не пропала", Verdict.not_fixed),
        ("больше не работает", Verdict.not_fixed),
        ("still broken", Verdict.not_fixed),
        ("no more errors", Verdict.confirmed),
        ("it no longer works", Verdict.not_fixed),
        ("the error has not gone away", Verdict.not_fixed),
    ],
)
def test_negation_and_word_forms(words: str, verdict: Verdict) -> None:
    assert read_answer(words).verdict == verdict


def test_the_answer_says_why() -> None:
    answer = read_answer("Всё ещё не работает, ошибка E-42 на месте.")
    assert answer.why.startswith("says ")
    assert answer.words == "Всё ещё не работает, ошибка E-42 на месте."
