"""What the client wrote in a reply: the quoted mail, the signature and the notice cut off.

Mail clients quote in many ways: `> ` lines (Gmail, Thunderbird, Apple Mail), an
attribution line ("On Wed, Nov 18, 2026 at 10:15 AM Support <...> wrote:", possibly
wrapped over two lines; "ср, 18 нояб. 2026 г. в 10:15, Support <...>:"; "18.11.2026 10:15,
Support пишет:"), a header block ("From: ... Sent: ...", "От: ... Отправлено: ..."),
"-----Original Message-----", or a line of underscores (Outlook), or they paste the mail
answered with no mark at all (then only knowing that mail tells it apart). Below the
client's words come a signature ("-- ", "С уважением,", "Best regards", "Thanks,\nBob"), a
mobile footer ("Sent from my iPhone", "Отправлено с iPhone") or a legal disclaimer; lines
of contact details are dropped wherever they stand.
"""

from __future__ import annotations

import re

_SEPARATOR = re.compile(
    r"^(-{2,}\s*)?(original message|исходное сообщение|forwarded message|"
    r"пересылаемое сообщение|переадресованное сообщение|begin forwarded message|"
    r"original|оригинальное сообщение)(\s*-{2,})?:?$|^_{8,}$|^-{8,}$|^={8,}$",
    re.IGNORECASE,
)
_WROTE = re.compile(r"(wrote|пишет|писал|писала|написал|написала|написал\(а\)|писал\(а\)):$")
_TIME = re.compile(r"\d{1,2}:\d{2}|\d{4}")
_HEADER_FROM = re.compile(r"^(from|от|de|von)\s*:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^(sent|date|to|subject|cc|отправлено|дата|кому|тема|копия)\s*:", re.IGNORECASE
)
_FOOTER = re.compile(
    r"^(sent from (my|mail|yahoo|outlook)|sent via|get outlook for|отправлено (с|из) "
    r"|отправлено из|отправлено с |send from my)",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(с уважением|с наилучшими пожеланиями|всего доброго|всего хорошего|"
    r"с уважением и наилучшими пожеланиями|best regards|kind regards|warm regards|"
    r"regards|best wishes|best|cheers|sincerely|yours sincerely|yours truly|br|"
    r"respectfully|many thanks|thanks and regards|thanks & regards)\s*[,.!]?$",
    re.IGNORECASE,
)
_THANKS_SIGN_OFF = re.compile(r"^(thanks|thank you|спасибо|благодарю)\s*,$", re.IGNORECASE)
_DISCLAIMER = re.compile(
    r"^(confidentiality notice|confidential|disclaimer|this e-?mail and any|"
    r"конфиденциально|внимание: (это|данное)|данное сообщение|это сообщение и)",
    re.IGNORECASE,
)
_CONTACT_LINE = re.compile(
    r"^(tel|phone|mob|mobile|cell|fax|тел|моб|факс|телефон|skype|e-?mail)\b\.?\s*:?|"
    r"^(www\.|https?://)",
    re.IGNORECASE,
)
_FINGERPRINT = re.compile(r"[\W_]+")


def _fingerprint(line: str) -> str:
    return _FINGERPRINT.sub(" ", line.casefold().replace("ё", "е")).strip()


def _quote_starts(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    following = [lines[i].strip() for i in range(index + 1, min(index + 5, len(lines)))]
    after = following[0] if following else ""
    if line.startswith(">") or _SEPARATOR.match(line):
        return True
    if line.startswith("On ") and (_WROTE.search(line) or _WROTE.search(after)):
        return True
    if _WROTE.search(line) and len(line) > 12:
        return True
    attribution = line if line.endswith(":") else f"{line} {after}"
    if (
        attribution.endswith(":")
        and "@" in attribution
        and _TIME.search(attribution)
        and len(line) > 15
    ):
        return True
    return bool(_HEADER_FROM.match(line) and any(_HEADER_NEXT.match(n) for n in following))


def _signature_starts(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if line in ("--", "-- ", "—") or lines[index] == "-- ":
        return True
    if _SIGN_OFF.match(line) or _FOOTER.match(line) or _DISCLAIMER.match(line):
        return True
    if _THANKS_SIGN_OFF.match(line):
        rest = [n.strip() for n in lines[index + 1 : index + 4] if n.strip()]
        return bool(rest) and rest[0][:1].isupper() and len(rest[0].split()) <= 3
    return False


def client_words(body: str, *, answered: str = "") -> str:
    """What the client wrote: above the quote, the signature and the notification."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    known = {fp for fp in map(_fingerprint, answered.splitlines()) if len(fp) >= 6}
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _quote_starts(lines, index) or _signature_starts(lines, index):
            break
        fingerprint = _fingerprint(line)
        if fingerprint in known:
            if len(fingerprint) >= 12:
                break  # the notification pasted below without quote marks
            continue
        if _CONTACT_LINE.match(line.strip()):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()
