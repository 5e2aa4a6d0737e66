"""Reading an interchange file, part two: what hangs off a ticket (its SLA plan and
contract, ratings, escalations, links, merge target, attachments' metadata) and the NPS
answers given without a ticket, parsed and validated one record at a time.

`records` reads the ticket itself (scalars, messages, history); the errors here name the
record the same way (`records.complaint`): its ref and its position in the file."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dispatcher.domain.enums import EscalationTarget, LinkKind, RatingKind
from dispatcher.domain.errors import ValidationError
from dispatcher.store.tickets.export_common import NPS_ANSWER
from dispatcher.store.tickets.records import _choice, _name, _when, complaint
from dispatcher.store.tickets.writes import parse_ref

MAX_COMMENT = 2000
MAX_FILENAME = 255
_SHA256 = re.compile(r"[0-9a-f]{64}")

Bad = Callable[[str], ValidationError]


@dataclass(frozen=True, slots=True)
class RatingRecord:
    kind: RatingKind
    score: int
    at: datetime
    contact: str | None
    comment: str


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    target: EscalationTarget
    to: str | None  # the colleague's login
    vendor: str
    vendor_ref: str
    promised_at: datetime | None
    next_checkin_at: datetime | None
    note: str
    created_at: datetime
    created_by: str | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class LinkRecord:
    other: str  # the other ticket's original ref
    kind: LinkKind
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    message: int  # the position of its message in the ticket's `messages`, from 0
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes | None  # None: the file carries only the metadata


@dataclass(frozen=True, slots=True)
class TicketExtras:
    """The parts of a ticket beyond `TicketRecord`."""

    position: int
    sla_plan: str | None = None
    contract: str | None = None
    created_by: str | None = None
    merged_into: str | None = None
    first_responded_at: datetime | None = None
    ratings: tuple[RatingRecord, ...] = ()
    escalations: tuple[EscalationRecord, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    attachments: tuple[AttachmentRecord, ...] = ()

    def logins(self) -> set[str]:
        found = {e.to for e in self.escalations if e.to}
        found.update(e.created_by for e in self.escalations if e.created_by)
        found.update(link.created_by for link in self.links if link.created_by)
        if self.created_by:
            found.add(self.created_by)
        return found


@dataclass(frozen=True, slots=True)
class NpsAnswerRecord:
    """An NPS answer not tied to a ticket (taken by phone, or its ticket is gone)."""

    position: int
    client: str
    contact: str | None
    score: int
    at: datetime
    comment: str


def is_nps_answer(raw: dict[str, Any]) -> bool:
    return raw.get("record") == NPS_ANSWER


def check_kind(raw: dict[str, Any], position: int) -> None:
    """A record is a ticket (no `record` key) or an NPS answer; anything else is an error."""
    kind = raw.get("record")
    if kind is not None and kind != NPS_ANSWER:
        raise complaint(raw, position)(
            f"record must be {NPS_ANSWER!r} or absent (a ticket), not {str(kind)[:40]!r}"
        )


def parse_extras(raw: dict[str, Any], *, position: int, messages: int) -> TicketExtras:
    """The extras of one ticket of an import file; `messages` is how many it has."""
    bad = complaint(raw, position)
    merged_into = _ref(raw.get("merged_into"), "merged_into", bad)
    return TicketExtras(
        position=position,
        sla_plan=_name(raw.get("sla_plan"), "sla_plan", bad),
        contract=_name(raw.get("contract"), "contract", bad),
        created_by=_name(raw.get("created_by"), "created_by", bad),
        merged_into=merged_into,
        first_responded_at=_when(raw.get("first_responded_at"), "first_responded_at", bad),
        ratings=tuple(
            _rating(item, f"rating {n}", bad)
            for n, item in enumerate(_list(raw, "ratings", bad), start=1)
        ),
        escalations=tuple(
            _escalation(item, f"escalation {n}", bad)
            for n, item in enumerate(_list(raw, "escalations", bad), start=1)
        ),
        links=tuple(
            _link(item, f"link {n}", bad)
            for n, item in enumerate(_list(raw, "links", bad), start=1)
        ),
        attachments=_attachments(raw, messages, bad),
    )


def parse_nps_answer(raw: dict[str, Any], *, position: int) -> NpsAnswerRecord:
    def bad(message: str) -> ValidationError:
        return ValidationError(f"NPS answer {position}: {message} (record {position})")

    client = _name(raw.get("client"), "client", bad)
    if client is None:
        raise bad("no client (an NPS answer is a client's)")
    rating = _rating({**raw, "kind": RatingKind.nps.value}, "the answer", bad)
    return NpsAnswerRecord(
        position=position,
        client=client,
        contact=rating.contact,
        score=rating.score,
        at=rating.at,
        comment=rating.comment,
    )


def _list(raw: dict[str, Any], key: str, bad: Bad) -> list[Any]:
    items = raw.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise bad(f"{key} must be a list")
    return items


def _object(item: Any, where: str, bad: Bad) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise bad(f"{where} is not an object")
    return item


def _text(item: dict[str, Any], key: str, where: str, bad: Bad, *, max_length: int) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad(f"{where}: {key} must be text")
    if len(value) > max_length:
        raise bad(f"{where}: {key} is longer than {max_length} characters")
    return value


def _ref(value: Any, what: str, bad: Bad) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad(f"{what} must be a ticket reference like #1042, not {value!r}")
    try:
        return f"#{parse_ref(value)}"
    except ValidationError:
        raise bad(f"{what} is not a ticket reference: {value!r}") from None


def _whole(value: Any, what: str, bad: Bad, *, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad(f"{what} must be a whole number, not {value!r}")
    if value < low or (high is not None and value > high):
        span = f"{low} to {high}" if high is not None else f"at least {low}"
        raise bad(f"{what} must be {span}, not {value}")
    return value


def _rating(raw: Any, where: str, bad: Bad) -> RatingRecord:
    item = _object(raw, where, bad)
    kind = _choice(RatingKind, item.get("kind"), f"{where} kind", None, bad)
    low, high = (1, 5) if kind == RatingKind.csat else (0, 10)
    score = _whole(item.get("score"), f"{where}: a {kind.value} score", bad, low=low, high=high)
    at = _when(item.get("at"), f"{where} at", bad, required=True)
    assert at is not None
    comment = _text(item, "comment", where, bad, max_length=1 << 20)[:MAX_COMMENT]
    return RatingRecord(
        kind, score, at, _name(item.get("contact"), f"{where} contact", bad), comment
    )


def _escalation(raw: Any, where: str, bad: Bad) -> EscalationRecord:
    item = _object(raw, where, bad)
    target = _choice(EscalationTarget, item.get("target"), f"{where} target", None, bad)
    to = _name(item.get("to"), f"{where} to", bad)
    vendor = _text(item, "vendor", where, bad, max_length=200).strip()
    if target == EscalationTarget.vendor and not vendor:
        raise bad(f"{where}: an escalation to a vendor needs the vendor's name")
    created_at = _when(item.get("created_at"), f"{where} created_at", bad, required=True)
    assert created_at is not None
    return EscalationRecord(
        target=target,
        to=to,
        vendor=vendor,
        vendor_ref=_text(item, "vendor_ref", where, bad, max_length=200).strip(),
        promised_at=_when(item.get("promised_at"), f"{where} promised_at", bad),
        next_checkin_at=_when(item.get("next_checkin_at"), f"{where} next_checkin_at", bad),
        note=_text(item, "note", where, bad, max_length=1 << 20),
        created_at=created_at,
        created_by=_name(item.get("created_by"), f"{where} created_by", bad),
        closed_at=_when(item.get("closed_at"), f"{where} closed_at", bad),
    )


def _link(raw: Any, where: str, bad: Bad) -> LinkRecord:
    item = _object(raw, where, bad)
    other = _ref(item.get("other"), f"{where} other", bad)
    if other is None:
        raise bad(f"{where}: no other (the linked ticket's ref)")
    created_at = _when(item.get("created_at"), f"{where} created_at", bad, required=True)
    assert created_at is not None
    return LinkRecord(
        other=other,
        kind=_choice(LinkKind, item.get("kind"), f"{where} kind", LinkKind.related, bad),
        created_at=created_at,
        created_by=_name(item.get("created_by"), f"{where} created_by", bad),
    )


def _attachments(raw: dict[str, Any], messages: int, bad: Bad) -> tuple[AttachmentRecord, ...]:
    found: list[AttachmentRecord] = []
    raw_messages = raw.get("messages") or []
    for index in range(min(messages, len(raw_messages))):
        message = raw_messages[index]
        if not isinstance(message, dict):
            continue  # `records` has refused it already
        items = _list(message, "attachments", _prefixed(bad, f"message {index + 1}"))
        for number, item in enumerate(items, start=1):
            found.append(_attachment(item, index, f"message {index + 1} attachment {number}", bad))
    return tuple(found)


def _prefixed(bad: Bad, where: str) -> Bad:
    def prefixed(message: str) -> ValidationError:
        return bad(f"{where}: {message}")

    return prefixed


def _attachment(raw: Any, message: int, where: str, bad: Bad) -> AttachmentRecord:
    item = _object(raw, where, bad)
    name = _text(item, "name", where, bad, max_length=MAX_FILENAME) or "attachment"
    content_type = (
        _text(item, "content_type", where, bad, max_length=255) or "application/octet-stream"
    )
    encoded = item.get("content")
    content: bytes | None = None
    if encoded is not None:
        if not isinstance(encoded, str):
            raise bad(f"{where}: content must be base64 text")
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise bad(f"{where}: content is not valid base64") from None
    digest = item.get("sha256")
    if digest is None and content is not None:
        digest = hashlib.sha256(content).hexdigest()
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        raise bad(f"{where}: sha256 must be 64 hexadecimal digits")
    digest = digest.lower()
    size = item.get("size")
    if size is None and content is not None:
        size = len(content)
    size = _whole(size, f"{where}: size", bad, low=0)
    if content is not None:
        if hashlib.sha256(content).hexdigest() != digest:
            raise bad(f"{where}: the content does not match its sha256")
        if len(content) != size:
            raise bad(f"{where}: the content is {len(content)} bytes, not {size}")
    return AttachmentRecord(message, name, content_type, size, digest, content)
