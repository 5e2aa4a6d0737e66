"""What the export's modules share: the filter of what to export, instants as ISO text,
ids read in chunks, and names looked up by id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from dispatcher.domain.enums import TicketStatus
from dispatcher.store.lookup import M

IN_CHUNK = 900  # parameters per IN (...) list
# The `record` key of an element of an interchange file that is an NPS answer, not a ticket.
NPS_ANSWER = "nps_answer"

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class ExportFilter:
    statuses: tuple[TicketStatus, ...] = ()
    since: datetime | None = None  # created (an NPS answer: given) at or after
    client_id: int | None = None


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def in_chunks(values: Sequence[K] | set[K]) -> Iterator[list[K]]:
    items = list(values)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def names(session: Session, model: type[M], column: Any, ids: set[int | None]) -> dict[Any, str]:
    """`column` of each row of `model` whose id is in `ids` (None ignored), by id."""
    wanted = [i for i in ids if i is not None]
    result: dict[Any, str] = {}
    pk = model.id  # type: ignore[attr-defined]
    for chunk in in_chunks(wanted):
        for row_id, name in session.exec(select(pk, column).where(col(pk).in_(chunk))).all():
            result[row_id] = name
    return result
