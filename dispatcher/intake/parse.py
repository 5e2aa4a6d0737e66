"""Parsing real mail: every charset, encoded words, QP/base64, HTML-only, attachments, DSNs.

`parse_message(raw)` returns an `InboundMail` (the store's input) or raises `Unreadable`
with the reason; nothing in a message's content makes it raise anything else.

Attachments are kept up to `IntakeLimits` (configured in `[intake]`): one over the size
limit, or beyond the count, is dropped and the message says so in its `notes`
("attachment x.iso (80 MB) not kept: over 25 MB"), which the store adds to its text.

Headers are read with `compat32`, except that a header with raw 8-bit bytes stays a string
(its bytes as surrogate escapes) instead of becoming a `Header`, which the `Message`
methods that split parameters (`get_filename`, `get_param`) cannot take. Those bytes are
read as UTF-8 when they are, else in the charset of the message's text
(`charset.body_charset`), else guessed.
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import mimetypes
import quopri
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header, decode_header
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from dispatcher.domain.sizes import human_size
from dispatcher.intake.charset import body_charset, codec_for, decode_bytes, decode_header_bytes
from dispatcher.intake.html import html_to_text
from dispatcher.store.mail.inbound import InboundAttachment, InboundMail

if TYPE_CHECKING:
    from dispatcher.config import IntakeSettings

MB = 1024 * 1024
MAX_HEADER_CHARS = 4000
_MSGID = re.compile(r"<[^<>\s]+>")
_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {127: None}
_WS = re.compile(r"\s+")
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+$")

# Out-of-office subjects in English and Russian.
_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|auto(matic)? response"
    r"|autoresponse|auto:|on vacation|away from (the )?office|i am away|"
    r"автоответ|автоматический ответ|нет на месте|вне офиса|в отпуске|отсутствую|"
    r"меня нет)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery status notification|delivery (has )?failed|mail delivery failed|"
    r"returned mail|failure notice|delivery failure|could not be delivered|"
    r"не доставлено|недоставленное|недоставлено|ошибка доставки)",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """What a message may bring in, in bytes and attachments."""

    max_message: int = 128 * MB  # larger is not read at all: it goes to the quarantine
    max_attachment: int = 25 * MB
    max_attachments: int = 20

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> IntakeLimits:
        return cls(
            max_message=int(settings.max_message_mb * MB),
            max_attachment=int(settings.max_attachment_mb * MB),
            max_attachments=settings.max_attachments,
        )


DEFAULT_LIMITS = IntakeLimits()
MAX_BYTES = DEFAULT_LIMITS.max_message


def _limit_text(size: int) -> str:
    """A limit as configured: 25 MB, 0.5 MB."""
    mb = size / MB
    return f"{mb:g} MB" if mb >= 0.01 else human_size(size)


class Unreadable(Exception):
    """The message cannot be read at all; it goes to the quarantine with this reason."""


class _Raw8bit(Compat32):
    """compat32, with a raw 8-bit header kept as a string (see the module's docstring)."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        return value


_POLICY = _Raw8bit()


def _clean(text: str, *, limit: int = MAX_HEADER_CHARS) -> str:
    return _WS.sub(" ", text.translate(_CONTROL)).strip()[:limit]


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?)")


def _decode_word(match: re.Match[str], *, charset: str | None) -> str:
    declared, encoding, text = match.group(1), match.group(2).upper(), match.group(3)
    declared = declared.split("*", 1)[0]  # RFC 2231 language suffix
    try:
        if encoding == "B":
            data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        else:
            data = quopri.decodestring(text.replace("_", " ").encode("ascii"), header=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return match.group(0)  # not really encoded: keep it as written
    return _bytes_text(data, declared, charset)


def _bytes_text(data: bytes, declared: str | None, charset: str | None) -> str:
    """Header bytes in the charset they declare; read as raw 8-bit if it names none."""
    if codec_for(declared) is None:  # "unknown-8bit", or a charset Python does not know
        return decode_header_bytes(data, charset)
    return decode_bytes(data, declared)


def header_text(value: str | Header | None, charset: str | None = None) -> str:
    """A header's text: RFC 2047 words decoded, raw 8-bit read, never raising.

    `charset` is the one the message's text is in (`charset.body_charset`): the best
    evidence for raw 8-bit bytes that are not UTF-8.
    """
    if value is None:
        return ""
    if isinstance(value, Header):
        try:
            parts = decode_header(value)
        except Exception:  # noqa: BLE001 - a broken header is text we salvage
            return _clean(str(value))
        text = "".join(_bytes_text(p, c, charset) if isinstance(p, bytes) else p for p, c in parts)
    else:
        text = str(value)
        if any("\udc80" <= ch <= "\udcff" for ch in text):
            text = decode_header_bytes(text.encode("utf-8", "surrogateescape"), charset)
    if "=?" in text:
        decode = partial(_decode_word, charset=charset)
        text = _ENCODED_WORD.sub(decode, _BETWEEN_WORDS.sub(r"\1", text))
    return _clean(text)


def _header(msg: Message, name: str, charset: str | None = None) -> str:
    try:
        return header_text(msg.get(name), charset)
    except Exception:  # noqa: BLE001
        return ""


def message_ids(text: str) -> list[str]:
    return [m[:998] for m in _MSGID.findall(text)]


def normalize_message_id(text: str) -> str | None:
    found = message_ids(text)
    if found:
        return found[0]
    token = text.strip().split()[0] if text.strip() else ""
    return f"<{token.strip('<>')[:990]}>" if token.strip("<>") else None


def _address(value: str) -> tuple[str, str]:
    name, address = parseaddr(value)
    address = address.strip().strip("<>").lower()
    if not _ADDRESS.match(address):
        # Salvage `anna@acme.example` from a header the parser could not split.
        found = re.search(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+", value)
        address = found.group(0).lower() if found else ""
    return _clean(name, limit=200), address[:320]


def _addresses(values: Iterable[str]) -> str:
    found = []
    for _name, address in getaddresses(list(values)):
        address = address.strip().lower()
        if _ADDRESS.match(address):
            found.append(address)
    return ", ".join(dict.fromkeys(found))


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - bad transfer encoding: keep the raw text
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    return b""


def _content_charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001 - e.g. an RFC 2231 charset the codecs cannot name
        return None


def _disposition(part: Message) -> str:
    return str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()


def _part_text(part: Message) -> str:
    return decode_bytes(_payload(part), _content_charset(part))


def _text_charset(msg: Message) -> str | None:
    """The charset the message's text is in, as the body is read (`charset.body_charset`)."""
    try:
        for part in msg.walk():
            if part.get_content_maintype() != "text" or _disposition(part) == "attachment":
                continue
            found = body_charset(_payload(part), _content_charset(part))
            if found is not None:
                return found
    except Exception:  # noqa: BLE001 - only a hint: its failure must not lose the message
        pass
    return None


def _raw_filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:  # noqa: BLE001 - e.g. an RFC 2231 charset the codecs cannot name
        pass
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        try:
            value = part.get_param(param, header=header)
        except Exception:  # noqa: BLE001
            continue
        if isinstance(value, tuple):  # RFC 2231 (charset, language, text): keep the text
            value = value[2]
        if value:
            return str(value)
    return None


def _filename(part: Message, index: int, charset: str | None = None) -> str | None:
    name = _raw_filename(part)
    if name is None:
        return None
    text = header_text(str(name), charset)
    text = text.replace("/", "_").replace("\\", "_").strip(". ")
    return text[:255] or f"attachment-{index}"


class _Walk:
    def __init__(self, charset: str | None = None, limits: IntakeLimits = DEFAULT_LIMITS) -> None:
        self.charset = charset  # of the message's text, for raw 8-bit file names
        self.limits = limits
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[InboundAttachment] = []
        self.dropped = 0  # attachments not kept (counted for the names of unnamed ones)
        self.notes: list[str] = []
        self.failed_recipients: list[str] = []
        self.original_ids: list[str] = []
        self.has_report = False


def _walk(part: Message, acc: _Walk, *, in_alternative: bool = False) -> None:
    ctype = part.get_content_type()
    if part.is_multipart():
        payload = part.get_payload()
        if not isinstance(payload, list):
            return
        children: list[Message] = [c for c in payload if isinstance(c, Message)]
        if ctype == "multipart/report":
            acc.has_report = True
        if ctype == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            chosen = plain[:1] or [c for c in children if c.get_content_type() == "text/html"][:1]
            chosen = chosen or [c for c in children if c.is_multipart()][:1]
            others = [
                c
                for c in children
                if c not in chosen and c.get_content_type() not in ("text/plain", "text/html")
            ]
            for child in chosen + others:
                _walk(child, acc, in_alternative=True)
            return
        if ctype in ("message/rfc822", "message/global"):
            for child in children:
                _original(child, acc)
            return
        if ctype == "message/delivery-status":
            for block in children:
                _delivery_status(block, acc)
            return
        for child in children:
            _walk(child, acc)
        return
    disposition = _disposition(part)
    name = _filename(part, len(acc.attachments) + acc.dropped + 1, acc.charset)
    if ctype == "text/rfc822-headers":
        original = email.message_from_bytes(_payload(part), policy=_POLICY)
        acc.original_ids += message_ids(str(original.get("Message-ID", "")))
        return
    if ctype == "message/delivery-status":
        _delivery_status_text(_part_text(part), acc)
        return
    if disposition != "attachment" and name is None:
        if ctype == "text/plain":
            acc.plain.append(_part_text(part))
            return
        if ctype == "text/html":
            acc.html.append(_part_text(part))
            return
    data = _payload(part)
    if name is None:
        extension = mimetypes.guess_extension(ctype) or ".bin"
        name = f"attachment-{len(acc.attachments) + acc.dropped + 1}{extension}"
    _keep(acc, InboundAttachment(filename=name, content_type=ctype[:255], data=data))


def _keep(acc: _Walk, attachment: InboundAttachment) -> None:
    """Keep the attachment, or note why it is not kept (too large, one too many)."""
    limits, size = acc.limits, len(attachment.data)
    why = None
    if size > limits.max_attachment:
        why = f"over {_limit_text(limits.max_attachment)}"
    elif len(acc.attachments) >= limits.max_attachments:
        many = limits.max_attachments
        why = f"over {many} attachment{'s' if many != 1 else ''} per message"
    if why is None:
        acc.attachments.append(attachment)
        return
    acc.dropped += 1
    acc.notes.append(f"attachment {attachment.filename} ({human_size(size)}) not kept: {why}")


def _original(msg: Message, acc: _Walk) -> None:
    acc.original_ids += message_ids(str(msg.get("Message-ID", "")))


def _delivery_status(block: Message, acc: _Walk) -> None:
    recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
    action = str(block.get("Action") or "failed").strip().lower()
    if recipient and action == "failed":
        acc.failed_recipients.append(recipient.split(";")[-1].strip().strip("<>").lower())


def _delivery_status_text(text: str, acc: _Walk) -> None:
    for block in re.split(r"\n\s*\n", text):
        fields = email.message_from_string(block.strip() + "\n", policy=_POLICY)
        _delivery_status(fields, acc)


def _date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def is_auto_reply(msg: Message, subject: str) -> bool:
    """Auto-Submitted (RFC 3834), X-Autoreply, Precedence, or an out-of-office subject."""
    auto_submitted = str(msg.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    return (
        (auto_submitted != "" and not auto_submitted.startswith("no"))
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or precedence in ("bulk", "auto_reply", "junk")
        or bool(_AUTO_SUBJECT.search(subject))
    )


def parse_message(raw: bytes, *, limits: IntakeLimits = DEFAULT_LIMITS) -> InboundMail:
    """The message as the store takes it, or `Unreadable` with the reason."""
    if not raw.strip():
        raise Unreadable("empty message")
    if len(raw) > limits.max_message:
        raise Unreadable(
            f"message of {len(raw)} bytes ({human_size(len(raw))}) is over the "
            f"{_limit_text(limits.max_message)} limit"
        )
    try:
        msg = email.message_from_bytes(raw, policy=_POLICY)
    except Exception as exc:  # noqa: BLE001
        raise Unreadable(f"not a mail message: {exc}") from exc
    if not msg.keys():
        raise Unreadable("not a mail message: no header lines")
    try:
        return _to_inbound(msg, raw, limits)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the message
        raise Unreadable(f"could not be parsed: {type(exc).__name__}: {exc}") from exc


def _to_inbound(msg: Message, raw: bytes, limits: IntakeLimits) -> InboundMail:
    charset = _text_charset(msg)
    from_name, from_address = _address(_header(msg, "From", charset))
    if not from_address:
        for fallback in ("Sender", "Reply-To", "Return-Path"):
            from_name2, from_address = _address(_header(msg, fallback, charset))
            if from_address:
                from_name = from_name or from_name2
                break
    subject = _header(msg, "Subject", charset)
    if not from_address and not (subject or msg.get_payload()):
        raise Unreadable("not a mail message: no sender, no subject, no body")
    acc = _Walk(charset, limits)
    _walk(msg, acc)
    body = "\n\n".join(t.strip("\n") for t in acc.plain if t.strip())
    if not body and acc.html:
        body = "\n\n".join(html_to_text(h) for h in acc.html)
    body = body.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL).strip()
    failed = list(acc.failed_recipients)
    x_failed = _header(msg, "X-Failed-Recipients")
    if x_failed:
        failed += [a.strip().lower() for a in x_failed.split(",") if "@" in a]
    bounce = (acc.has_report and bool(failed or acc.original_ids)) or (
        bool(_BOUNCE_SENDER.match(from_address) or not from_address)
        and bool(_BOUNCE_SUBJECT.search(subject))
    )
    if bounce and not from_address:
        from_address = "mailer-daemon"
    if not from_address:
        raise Unreadable("no sender address (From, Sender, Reply-To and Return-Path are unusable)")
    date = _date(str(msg.get("Date", "")))
    message_id = normalize_message_id(_header(msg, "Message-ID"))
    has_id = message_id is not None
    if message_id is None:
        digest = hashlib.sha256()
        for part in (from_address, _header(msg, "To"), _header(msg, "Date"), subject, body):
            digest.update(part.encode("utf-8", "replace") + b"\0")
        message_id = f"<{digest.hexdigest()}@content-hash.invalid>"
    return InboundMail(
        message_id=message_id,
        has_message_id=has_id,
        in_reply_to=next(iter(message_ids(_header(msg, "In-Reply-To"))), None),
        references=tuple(message_ids(_header(msg, "References")))[-50:],
        subject=subject[:500],
        from_address=from_address,
        from_name=from_name,
        to_addresses=_addresses([header_text(v) for v in msg.get_all("To", [])]),
        cc_addresses=_addresses([header_text(v) for v in msg.get_all("Cc", [])]),
        date=date,
        body=body,
        attachments=tuple(acc.attachments),
        auto_reply=not bounce and is_auto_reply(msg, subject),
        bounce=bounce,
        bounced_recipients=tuple(dict.fromkeys(a for a in failed if "@" in a)),
        original_message_ids=tuple(dict.fromkeys(acc.original_ids)),
        notes=tuple(acc.notes),
    )
