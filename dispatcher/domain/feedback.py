"""What a client's answer to "we believe it is resolved" says: confirmed, rated, or not.

Only what the client wrote above the quoted mail counts, and only its first line decides:
"confirm", "yes", "подтверждаю" (and the like) confirm; a rating from 1 to 5 ("5",
"Rating: 4/5", "Оценка 3") confirms and rates, the rest of the text its comment; anything
else means it is not fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONFIRM = re.compile(
    r"^(confirm(ed)?|yes|ok(ay)?|fixed|solved|resolved|works( now)?|thanks?|thank you|"
    r"подтверждаю|подтверждено|да|спасибо|работает|решено|всё работает|все работает)\b",
    re.IGNORECASE,
)
_RATING = re.compile(
    r"^(?:(?:rating|rate|score|оценка)\s*[:=-]?\s*)?([1-5])"
    r"(?:\s*(?:/\s*5|из\s*5|stars?|звезд\w*))?\s*(?:$|[-–—.,:;!)]\s*(.*)$)",
    re.IGNORECASE,
)
_QUOTE_HEADER = re.compile(
    r"^(on .+ wrote:|.+ писал\(а\):|.+ написал\(а\)?:|-----original message-----|"
    r"-----исходное сообщение-----|from: .+)$",
    re.IGNORECASE,
)


def new_text(body: str) -> str:
    """What the client wrote above the quoted mail."""
    lines = []
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith(">") or _QUOTE_HEADER.match(stripped):
            break
        lines.append(line)
    return "\n".join(lines).strip()


@dataclass(frozen=True, slots=True)
class Feedback:
    confirmed: bool
    score: int | None = None
    comment: str = ""


def read_feedback(body: str) -> Feedback:
    """Confirmation and rating from the first line of a reply; anything else is "not fixed"."""
    text = new_text(body)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    rest = text[text.find(first) + len(first) :].strip() if first else ""
    rating = _RATING.match(first)
    if rating:
        comment = " ".join([rating.group(2) or "", rest]).strip()
        return Feedback(confirmed=True, score=int(rating.group(1)), comment=comment)
    if _CONFIRM.match(first):
        return Feedback(confirmed=True, comment=text)
    return Feedback(confirmed=False, comment=text)
