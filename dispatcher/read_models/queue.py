"""The live queue as the console draws it: the filter, the sort, a window of rows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from dispatcher.domain.enums import Priority, Role, SlaTarget, TicketStatus
from dispatcher.domain.errors import ValidationError
from dispatcher.domain.sla import NO_DEADLINE

PAGE_SIZE = 200  # rows in a window of the live queue
MAX_PAGE_SIZE = 1_000


class SortKey(StrEnum):
    """A column the queue can be sorted by; `urgency` (soonest due first) is the default."""

    urgency = "urgency"
    ref = "ref"
    priority = "priority"
    client = "client"
    subject = "subject"
    category = "category"
    assignee = "assignee"
    status = "status"


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which active tickets a queue window shows. Empty fields filter nothing.

    `category_ids` limits the window to those categories (an engineer's competences);
    `unassigned` and `assignee_id` are exclusive; `text` matches the subject, any case.
    """

    queue_id: int | None = None
    statuses: tuple[TicketStatus, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    priorities: tuple[Priority, ...] = ()
    client_id: int | None = None
    text: str = ""
    category_ids: tuple[int, ...] | None = None
    needs_first_response: bool = False

    def to_json(self) -> dict[str, Any]:
        """The filter as plain JSON values, for a saved view; empty fields left out."""
        data: dict[str, Any] = {
            "queue_id": self.queue_id,
            "statuses": [s.value for s in self.statuses],
            "assignee_id": self.assignee_id,
            "unassigned": self.unassigned,
            "priorities": [p.value for p in self.priorities],
            "client_id": self.client_id,
            "text": self.text,
            "category_ids": None if self.category_ids is None else list(self.category_ids),
            "needs_first_response": self.needs_first_response,
        }
        return {k: v for k, v in data.items() if v not in (None, False, "", [])}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueFilter:
        """A filter from `to_json` output; unknown keys and bad values are refused."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValidationError(f"unknown queue filter keys: {', '.join(sorted(unknown))}")
        try:
            category_ids = data.get("category_ids")
            return cls(
                queue_id=_opt_int(data.get("queue_id")),
                statuses=tuple(TicketStatus(s) for s in data.get("statuses", ())),
                assignee_id=_opt_int(data.get("assignee_id")),
                unassigned=bool(data.get("unassigned", False)),
                priorities=tuple(Priority(p) for p in data.get("priorities", ())),
                client_id=_opt_int(data.get("client_id")),
                text=str(data.get("text", "")),
                category_ids=None if category_ids is None else tuple(int(c) for c in category_ids),
                needs_first_response=bool(data.get("needs_first_response", False)),
            )
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"not a queue filter: {exc}") from exc

    def merged(self, other: QueueFilter) -> QueueFilter:
        """This filter narrowed by every non-empty field of `other`."""
        values = {
            name: getattr(other, name)
            for name in self.__dataclass_fields__
            if getattr(other, name) not in (None, False, "", ())
        }
        return replace(self, **values)

    @property
    def is_empty(self) -> bool:
        return self == QueueFilter()


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def due_target(
    next_due_at: datetime, first_responded: bool, next_update_due: datetime | None
) -> SlaTarget | None:
    """The target `next_due_at` is the deadline of: the first response until there is
    one, then a regular update when it comes first, else the resolution."""
    if next_due_at >= NO_DEADLINE:
        return None
    if not first_responded:
        return SlaTarget.first_response
    if next_update_due is not None and next_update_due <= next_due_at:
        return SlaTarget.update
    return SlaTarget.resolution


@dataclass(frozen=True, slots=True)
class QueueSort:
    key: SortKey = SortKey.urgency
    descending: bool = False


# A window's key: the sort value of its last row and its id.
WindowKey = tuple[Any, int]


class WindowRow(NamedTuple):
    """One line of the console's queue: `QueueRow`'s fields plus the category and SLA state.

    A named tuple, not a frozen dataclass: a window makes 200 of them at every refresh, and
    a tuple is made in one step where a frozen dataclass sets each field in turn (about ten
    times the cost, more than the query itself).
    """

    id: int
    subject: str
    status: TicketStatus
    priority: Priority
    next_due_at: datetime
    sla_paused_since: datetime | None
    updated_at: datetime
    version: int
    queue_id: int | None
    client: str | None
    assignee: str | None
    category: str | None
    first_responded: bool
    warned: bool  # a warning alert fired for the current deadline
    sort_value: Any
    next_update_due: datetime | None = None  # the regular update's deadline, if it runs

    @property
    def due_target(self) -> SlaTarget | None:
        return due_target(self.next_due_at, self.first_responded, self.next_update_due)

    @property
    def ref(self) -> str:
        return f"#{self.id}"

    @property
    def key(self) -> WindowKey:
        return (self.sort_value, self.id)


@dataclass(frozen=True, slots=True)
class QueueWindow:
    rows: list[WindowRow]
    next_key: WindowKey | None  # None when nothing follows

    @property
    def has_more(self) -> bool:
        return self.next_key is not None


@dataclass(frozen=True, slots=True)
class QueueNames:
    """Names for the queue's filter line and pickers: queues, active users (with their
    role) and active clients, each by id, in name order."""

    queues: dict[int, str] = field(default_factory=dict)
    users: dict[int, tuple[str, Role]] = field(default_factory=dict)
    clients: dict[int, str] = field(default_factory=dict)


ALL_KEY = "all"
FIRST_RESPONSE_KEY = "first-response"


@dataclass(frozen=True, slots=True)
class Section:
    """One tab of the queue: a built-in section or a saved view (`view_id` set)."""

    key: str
    name: str
    filters: QueueFilter
    view_id: int | None = None
    pinned: bool = False


BUILT_IN: tuple[Section, ...] = (
    Section(ALL_KEY, "All active", QueueFilter()),
    Section(
        FIRST_RESPONSE_KEY,
        "Needs first response",
        QueueFilter(needs_first_response=True),
        pinned=True,
    ),
)
