"""Reading an interchange file: JSON or CSV records, parsed and validated one ticket at
a time, naming the ticket and the field of every error."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from dispatcher.domain.enums import (
    Channel,
    EventKind,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.domain.errors import ValidationError
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets.export import SCALAR_FIELDS, iso
from dispatcher.store.tickets.writes import MAX_SUBJECT, parse_ref

CSV_REQUIRED = ("ref", "subject", "created_at")


CLOCK_KINDS = frozenset(sla_clock.CLOCK_EVENTS)
# An event's `data` is a small object; deeper nesting is a broken or hostile file.
MAX_DATA_DEPTH = 32


def read_json(stream: TextIO, *, chunk_size: int = 1 << 16) -> Iterator[dict[str, Any]]:
    """The objects of a top-level JSON array, parsed one at a time as the file is read."""
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    line_base = 1  # the line number where `buf` starts
    eof = False

    def fill(at_least: int) -> bool:
        nonlocal buf, pos, line_base, eof
        if eof:
            return False
        line_base += buf.count("\n", 0, pos)
        buf = buf[pos:]
        pos = 0
        data = stream.read(max(chunk_size, at_least))
        if not data:
            eof = True
            return False
        buf += data
        return True

    def skip_space() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if not fill(0):
                return ""

    def where() -> str:
        line = line_base + buf.count("\n", 0, pos)
        return f"line {line}"

    if skip_space() != "[":
        raise ValidationError(f"malformed JSON: expected a list of tickets '[' at {where()}")
    pos += 1
    if skip_space() == "]":
        pos += 1
    else:
        number = 0
        while True:
            skip_space()
            try:
                item, end = decoder.raw_decode(buf, pos)
            except RecursionError:
                # The decoder recurses once per level: a file of 100,000 `[` would otherwise
                # end in a traceback. No ticket nests anywhere near that deep.
                raise ValidationError(
                    f"malformed JSON: item {number + 1} of the list is nested too deeply "
                    f"({where()})"
                ) from None
            except json.JSONDecodeError as exc:
                if fill(len(buf)):
                    continue
                line = line_base + exc.lineno - 1
                raise ValidationError(
                    f"malformed JSON at line {line} column {exc.colno}: {exc.msg}"
                ) from None
            number += 1
            if not isinstance(item, dict):
                raise ValidationError(
                    f"malformed JSON: item {number} of the list is not an object ({where()})"
                )
            pos = end
            yield item
            following = skip_space()
            if following == ",":
                pos += 1
                continue
            if following == "]":
                pos += 1
                break
            raise ValidationError(f"malformed JSON: expected ',' or ']' at {where()}")
    if skip_space() != "":
        raise ValidationError(f"malformed JSON: unexpected data after the list at {where()}")


def read_csv(stream: TextIO) -> Iterator[dict[str, Any]]:
    """Rows as dicts of the scalar columns; empty cells are null. A cell over the csv
    module's limit (128 KiB) and other malformed CSV are a ValidationError naming the line."""
    reader = csv.DictReader(stream)
    try:
        yield from _csv_rows(reader)
    except csv.Error as exc:
        raise ValidationError(f"malformed CSV after line {reader.line_num}: {exc}") from None


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[dict[str, Any]]:
    header = reader.fieldnames
    if not header:
        raise ValidationError("the CSV file is empty (no header row)")
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise ValidationError(
            f"the CSV file lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (it has: {', '.join(header)})"
        )
    for row in reader:
        if None in row:
            raise ValidationError(
                f"CSV line {reader.line_num}: more cells than the header has columns"
            )
        yield {k: (v if v != "" else None) for k, v in row.items() if k in SCALAR_FIELDS}


@dataclass(frozen=True, slots=True)
class MessageRecord:
    message_id: str
    kind: MessageKind
    channel: Channel
    author: str | None
    from_address: str
    to_addresses: str
    cc_addresses: str
    subject: str
    body: str
    created_at: datetime
    in_reply_to: str | None
    references: str


@dataclass(frozen=True, slots=True)
class EventRecord:
    kind: EventKind
    at: datetime
    actor: str | None
    data: dict[str, Any]
    reason: str


@dataclass(frozen=True, slots=True)
class TicketRecord:
    ref: str
    number: int
    subject: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    client: str | None
    contact: str | None
    category: str | None
    queue: str | None
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    messages: tuple[MessageRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()


def complaint(raw: dict[str, Any], position: int) -> Callable[[str], ValidationError]:
    """The error maker for one record of a file: it names the ticket by its ref and says
    where the record is (`ticket #1042: no subject (record 57)`); a record without a ref
    is named by its position alone (`ticket 57: no ref`)."""
    ref = raw.get("ref")
    if isinstance(ref, str) and ref.strip():
        label, where = f"ticket {ref.strip()[:40]}", f" (record {position})"
    else:
        label, where = f"ticket {position}", ""

    def bad(message: str) -> ValidationError:
        return ValidationError(f"{label}: {message}{where}")

    return bad


def parse_record(raw: dict[str, Any], *, position: int) -> TicketRecord:
    """Validate one ticket of an import file; errors name the ticket (or its position)."""
    raw_ref = raw.get("ref")
    bad = complaint(raw, position)
    if not isinstance(raw_ref, str) or not raw_ref.strip():
        raise bad("no ref (the ticket's original reference, like #1042)")
    try:
        number = parse_ref(raw_ref)
    except ValidationError:
        raise bad(f"not a ticket reference: {raw_ref!r}") from None
    ref = f"#{number}"

    subject = raw.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise bad("no subject")
    if len(subject) > MAX_SUBJECT:
        raise bad(f"the subject is longer than {MAX_SUBJECT} characters")

    created_at = _when(raw.get("created_at"), "created_at", bad, required=True)
    assert created_at is not None
    updated_at = _when(raw.get("updated_at"), "updated_at", bad) or created_at
    reopen_count = raw.get("reopen_count") or 0
    if isinstance(reopen_count, str) and reopen_count.isdigit():
        reopen_count = int(reopen_count)
    if not isinstance(reopen_count, int) or isinstance(reopen_count, bool) or reopen_count < 0:
        raise bad(f"reopen_count must be a whole number, not {reopen_count!r}")

    raw_messages = raw.get("messages") or []
    raw_events = raw.get("events") or []
    if not isinstance(raw_messages, list) or not isinstance(raw_events, list):
        raise bad("messages and events must be lists")
    messages = tuple(
        _message(m, i, ref=ref, ticket_created=created_at, bad=bad)
        for i, m in enumerate(raw_messages, start=1)
    )
    events = tuple(_event(e, i, bad=bad) for i, e in enumerate(raw_events, start=1))

    return TicketRecord(
        ref=ref,
        number=number,
        subject=subject,
        status=_choice(TicketStatus, raw.get("status"), "status", TicketStatus.new, bad),
        priority=_choice(Priority, raw.get("priority"), "priority", Priority.normal, bad),
        channel=_choice(Channel, raw.get("channel"), "channel", Channel.email, bad),
        client=_name(raw.get("client"), "client", bad),
        contact=_name(raw.get("contact"), "contact", bad),
        category=_name(raw.get("category"), "category", bad),
        queue=_name(raw.get("queue"), "queue", bad),
        assignee=_name(raw.get("assignee"), "assignee", bad),
        created_at=created_at,
        updated_at=updated_at,
        resolved_at=_when(raw.get("resolved_at"), "resolved_at", bad),
        closed_at=_when(raw.get("closed_at"), "closed_at", bad),
        reopen_count=reopen_count,
        messages=messages,
        events=events,
    )


def _message(
    raw: Any,
    index: int,
    *,
    ref: str,
    ticket_created: datetime,
    bad: Callable[[str], ValidationError],
) -> MessageRecord:
    if not isinstance(raw, dict):
        raise bad(f"message {index} is not an object")

    def text_of(key: str, *, max_length: int | None = None) -> str:
        value = raw.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise bad(f"message {index}: {key} must be text")
        if max_length is not None and len(value) > max_length:
            raise bad(f"message {index}: {key} is longer than {max_length} characters")
        return value

    created_at = _when(raw.get("created_at"), f"message {index} created_at", bad) or ticket_created
    body = text_of("body")
    message_id = text_of("message_id", max_length=998).strip()
    if not message_id:
        digest = hashlib.sha256(
            f"{ref}\0{iso(ticket_created)}\0{index}\0{iso(created_at)}\0{body}".encode()
        ).hexdigest()[:32]
        message_id = f"<import-{digest}@dispatcher.local>"
    in_reply_to = text_of("in_reply_to", max_length=998) or None
    return MessageRecord(
        message_id=message_id,
        kind=_choice(
            MessageKind, raw.get("kind"), f"message {index} kind", MessageKind.inbound, bad
        ),
        channel=_choice(
            Channel, raw.get("channel"), f"message {index} channel", Channel.email, bad
        ),
        author=_name(raw.get("author"), f"message {index} author", bad),
        from_address=text_of("from", max_length=320),
        to_addresses=text_of("to"),
        cc_addresses=text_of("cc"),
        subject=text_of("subject", max_length=MAX_SUBJECT),
        body=body,
        created_at=created_at,
        in_reply_to=in_reply_to,
        references=text_of("references"),
    )


def _event(raw: Any, index: int, *, bad: Callable[[str], ValidationError]) -> EventRecord:
    if not isinstance(raw, dict):
        raise bad(f"event {index} is not an object")
    kind = _choice(EventKind, raw.get("kind"), f"event {index} kind", None, bad)
    at = _when(raw.get("at"), f"event {index} at", bad, required=True)
    assert at is not None
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise bad(f"event {index}: data must be an object")
    if _depth(data) > MAX_DATA_DEPTH:
        raise bad(f"event {index}: data is nested deeper than {MAX_DATA_DEPTH} levels")
    reason = raw.get("reason") or ""
    if not isinstance(reason, str):
        raise bad(f"event {index}: reason must be text")
    return EventRecord(
        kind=kind,
        at=at,
        actor=_name(raw.get("actor"), f"event {index} actor", bad),
        data=data,
        reason=reason,
    )


def _depth(value: Any) -> int:
    """How deeply a JSON value nests (a scalar: 0), counted without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in item)
    return deepest


def _when(
    value: Any, what: str, bad: Callable[[str], ValidationError], *, required: bool = False
) -> datetime | None:
    if value is None or value == "":
        if required:
            raise bad(f"no {what}")
        return None
    if not isinstance(value, str):
        raise bad(f"{what} must be an ISO 8601 time, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise bad(f"{what} is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise bad(f"{what} needs a UTC offset (like +00:00): {value!r}")
    return parsed.astimezone(UTC)


def _choice(
    enum: Any, value: Any, what: str, default: Any, bad: Callable[[str], ValidationError]
) -> Any:
    if value is None or value == "":
        if default is None:
            raise bad(f"no {what}")
        return default
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise bad(f"{what} must be one of {allowed}, not {value!r}") from None


def _name(value: Any, what: str, bad: Callable[[str], ValidationError]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(f"{what} must be a name, not {value!r}")
    return value.strip() or None
