"""What a bounce says went wrong: from its delivery status (RFC 3464), else its words.

The label is what the ticket's thread shows next to the bounce ("bounce: address
rejected"); only a permanent failure marks the address as failing (a delayed delivery is
still being tried by the server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUTO_REPLY_LABEL = "auto-reply"

_STATUS = re.compile(r"^\s*Status:\s*([245])\.(\d{1,3})\.(\d{1,3})", re.IGNORECASE | re.MULTILINE)
_ACTION = re.compile(r"^\s*Action:\s*(\w+)", re.IGNORECASE | re.MULTILINE)
# An SMTP reply with its enhanced status code, as servers quote it in the text.
_SMTP = re.compile(r"\b([45])\d\d[ -]([245])\.(\d{1,3})\.(\d{1,3})\b")
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "address rejected",
        re.compile(
            r"user unknown|unknown user|no such (user|mailbox|recipient)|recipient address "
            r"rejected|address rejected|mailbox unavailable|mailbox not found|does not exist|"
            r"invalid (recipient|mailbox|address)|account (is )?disabled|"
            r"адресат не найден|нет такого (пользователя|адреса|ящика)|адрес не существует|"
            r"ящик не существует|пользователь не найден",
            re.IGNORECASE,
        ),
    ),
    (
        "mailbox full",
        re.compile(
            r"mailbox (is )?full|over quota|quota exceeded|exceeded (the )?storage|"
            r"ящик переполнен|превышен (лимит|размер)",
            re.IGNORECASE,
        ),
    ),
    (
        "refused as spam or by policy",
        re.compile(
            r"\bspam\b|blocked|blacklist|denied|policy|not authori[sz]ed|relay(ing)? "
            r"(denied|not permitted)|спам|заблокирован|отклонено политикой",
            re.IGNORECASE,
        ),
    ),
    (
        "delivery delayed",
        re.compile(
            r"delivery (has been )?delayed|will (retry|continue trying)|not yet been delivered|"
            r"доставка задерживается|задержка доставки",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Bounce:
    reason: str  # "address rejected", "mailbox full", ..., "undeliverable"
    status: str = ""  # the enhanced status code, e.g. "5.1.1", when it gives one
    permanent: bool = True

    @property
    def label(self) -> str:
        return f"bounce: {self.reason}"


def _reason_of(status: tuple[str, str, str]) -> str:
    klass, subject, detail = status
    if klass == "4":
        return "delivery delayed"
    if subject == "1" or (subject == "2" and detail == "1"):
        return "address rejected"  # bad mailbox or domain, or a disabled mailbox
    if subject == "2" and detail == "2":
        return "mailbox full"
    if subject == "7":
        return "refused as spam or by policy"
    return "undeliverable"


def read_bounce(text: str) -> Bounce:
    """The reason of a bounce from its text (the whole message, delivery status included)."""
    match = _STATUS.search(text) or _SMTP.search(text)
    if match is not None:
        klass, subject, detail = match.groups()[-3:]
        action = _ACTION.search(text)
        delayed = klass == "4" or bool(action and action.group(1).lower() == "delayed")
        reason = "delivery delayed" if delayed else _reason_of((klass, subject, detail))
        return Bounce(reason, f"{klass}.{subject}.{detail}", permanent=not delayed)
    action = _ACTION.search(text)
    if action and action.group(1).lower() == "delayed":
        return Bounce("delivery delayed", permanent=False)
    for reason, pattern in _WORDS:
        if pattern.search(text):
            return Bounce(reason, permanent=reason != "delivery delayed")
    return Bounce("undeliverable")
