"""Turning bytes into text whatever charset a message declares, wrongly or not at all.

Order of trust: the declared charset when it decodes cleanly, then UTF-8, then the
Cyrillic single-byte charsets our users' mail comes in (windows-1251, KOI8-R; chosen by
which gives more plausible Russian), then latin-1, which never fails.

Raw 8-bit header bytes (a subject, a sender's name, an attachment's file name written
unencoded) cannot declare a charset: they are read as UTF-8 when they are that, else in
the charset the message's body is read with (`body_charset`), else guessed on their own.
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
    name = charset.replace("\x00", "").strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a name the codec registry cannot take
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
    return data.decode(_guess_codec(data), errors="replace")


def _guess_codec(data: bytes) -> str:
    if data.isascii():
        return "ascii"
    candidates = []
    for codec in ("cp1251", "koi8_r"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        candidates.append((_russian_score(text), codec, text))
    if candidates:
        score, codec, text = max(candidates, key=lambda c: c[0])
        # Mostly Cyrillic words: trust the guess; a few accented letters are western text.
        if score > 0.9 and cyrillic_share(text) >= 0.3:
            return codecs.lookup(codec).name
    return "iso8859-1"


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
    codec = charset_of(data, declared)
    return data.decode(codec, errors="replace")


def charset_of(data: bytes, declared: str | None) -> str:
    """The codec `decode_bytes` reads `data` with (`ascii` when it has no 8-bit bytes)."""
    codec = codec_for(declared)
    high = not data.isascii()
    if not high and codec in (None, "ascii") or codec in ("utf-8", "ascii") and not high:
        return "ascii"
    if codec is not None and not _single_byte(codec) and codec != "ascii":
        try:
            data.decode(codec)
            return codec
        except (UnicodeDecodeError, LookupError):
            pass
    # Valid UTF-8 with 8-bit bytes is almost never an accident, whatever was declared.
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if codec is None or codec == "ascii" or codec == "utf-8":
        return _guess_codec(data)
    declared_text = data.decode(codec, errors="replace")
    guess_codec = _guess_codec(data)
    guess = data.decode(guess_codec)
    if codec in _CYRILLIC_CODECS:
        if cyrillic_share(guess) >= 0.5 and _russian_score(guess) > _russian_score(declared_text):
            return guess_codec
        return codec
    return guess_codec if cyrillic_share(guess) >= 0.5 else codec


def body_charset(data: bytes, declared: str | None) -> str | None:
    """What a message's body tells about the charset of its raw 8-bit headers, if anything.

    The codec its text is read with, unless that says nothing: ASCII; UTF-8, which headers
    are tried in anyway; latin-1, the last resort, which a header's own guess falls back to.
    """
    codec = charset_of(data, declared)
    return None if codec in ("ascii", "utf-8", "iso8859-1") else codec


def decode_header_bytes(data: bytes, body: str | None) -> str:
    """Raw 8-bit header bytes: UTF-8 if they are, else in the body's charset, else a guess."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if body is not None:
        return data.decode(body, errors="replace")
    return decode_bytes(data, None)
