"""Turning bytes into text whatever charset a message declares, wrongly or not at all.

Order of trust: the declared charset when it decodes cleanly, then UTF-8, then the
Cyrillic single-byte charsets our users' mail comes in (windows-1251, KOI8-R; chosen by
which gives more plausible Russian), then latin-1, which never fails.
"""

from __future__ import annotations

import codecs
import re

# Names mailers write that Python does not know, mapped to what they mean.
_ALIASES = {
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "cp-1251": "cp1251",
    "koi8r": "koi8_r",
    "koi-8r": "koi8_r",
    "koi8": "koi8_r",
    "x-koi8-r": "koi8_r",
    "unicode-1-1-utf-7": "utf_7",
    "utf8": "utf_8",
    "x-unknown": "",
    "unknown-8bit": "",
    "unknown": "",
    "x-user-defined": "",
    "default": "",
    "us-ascii": "ascii",
    "ascii": "ascii",
}

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LOWER_CYRILLIC = re.compile(r"[а-яё]")
# Letters common in Russian text; KOI8-R read as cp1251 (and the reverse) swaps cases and
# turns them into rare ones, so this frequency separates the two.
_COMMON_RU = set("оеаинтсрвлкмдпуяыьгзбчйжшюцщэфъ ")


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None when it is unknown or empty."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _russian_score(text: str) -> float:
    letters = _CYRILLIC.findall(text)
    if not letters:
        return 0.0
    lower = len(_LOWER_CYRILLIC.findall(text))
    common = sum(1 for ch in text.lower() if ch in _COMMON_RU)
    return (lower / len(letters)) + common / max(len(text), 1)


def guess_single_byte(data: bytes) -> str:
    """Decode 8-bit text of unknown charset: the more plausible of cp1251/KOI8-R, or latin-1."""
    high = sum(1 for b in data if b >= 0x80)
    if not high:
        return data.decode("ascii", errors="replace")
    candidates = []
    for codec in ("cp1251", "koi8_r"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        candidates.append((_russian_score(text), text))
    if candidates:
        score, text = max(candidates, key=lambda c: c[0])
        # Mostly Cyrillic words: trust the guess; a few accented letters are western text.
        if score > 0.9 and cyrillic_share(text) >= 0.3:
            return text
    return data.decode("latin-1")


def cyrillic_share(text: str) -> float:
    letters = sum(1 for ch in text if ch.isalpha())
    return len(_CYRILLIC.findall(text)) / letters if letters else 0.0


_MULTI_BYTE_CP = {"cp932", "cp949", "cp950", "cp65001"}
_CYRILLIC_CODECS = {"cp1251", "koi8-r", "koi8_r", "iso8859-5", "cp866", "mac-cyrillic", "koi8-u"}


def _single_byte(codec: str) -> bool:
    return codec.startswith(("cp", "iso8859", "koi8", "mac", "latin", "tis")) and (
        codec not in _MULTI_BYTE_CP
    )


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Text from `data`, never raising: declared charset, UTF-8, Cyrillic guess, latin-1."""
    codec = codec_for(declared)
    high = any(b >= 0x80 for b in data)
    if not high and codec in (None, "ascii") or codec in ("utf-8", "ascii") and not high:
        return data.decode("ascii", errors="replace")
    if codec is not None and not _single_byte(codec) and codec != "ascii":
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    # Valid UTF-8 with 8-bit bytes is almost never an accident, whatever was declared.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec is None or codec == "ascii" or codec == "utf-8":
        return guess_single_byte(data)
    declared_text = data.decode(codec, errors="replace")
    if codec in _CYRILLIC_CODECS:
        guess = guess_single_byte(data)
        if cyrillic_share(guess) >= 0.5 and _russian_score(guess) > _russian_score(declared_text):
            return guess
        return declared_text
    guess = guess_single_byte(data)
    return guess if cyrillic_share(guess) >= 0.5 else declared_text
