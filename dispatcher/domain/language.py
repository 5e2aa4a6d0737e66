"""Which of the helpdesk's two languages (Russian, English) a text is written in."""

from __future__ import annotations

import re
from collections.abc import Sequence

LANGUAGES = ("ru", "en")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")


def guess_language(texts: Sequence[str]) -> str:
    """`ru` when at least a third of the letters of `texts` are Cyrillic, else `en`."""
    joined = " ".join(texts)
    letters = len(_LETTER.findall(joined))
    if letters and len(_CYRILLIC.findall(joined)) / letters >= 1 / 3:
        return "ru"
    return "en"
