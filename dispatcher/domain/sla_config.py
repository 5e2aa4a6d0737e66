"""The SLA configuration file: calendars and plans, read from TOML text.

`parse_sla_config(text)` returns plain frozen dataclasses or raises SlaConfigError whose
message names the line and the dotted key, e.g.

    line 14: plans.standard.targets.high.first_response: "1x" is not a duration like
    "15m", "4h" or "1h30m"

No I/O here: the caller reads the file. `config/sla.example.toml` documents every key.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NoReturn

from dispatcher.domain.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarSpec,
    check_holiday_region,
    load_zone,
    parse_interval,
)
from dispatcher.domain.durations import parse_duration
from dispatcher.domain.enums import Priority
from dispatcher.domain.errors import ValidationError

__all__ = [
    "DEFAULT_CONFIRM_WINDOW_MINUTES",
    "DEFAULT_WARN_BEFORE_MINUTES",
    "PlanSpec",
    "SlaConfig",
    "SlaConfigError",
    "TargetSpec",
    "parse_sla_config",
]

DEFAULT_CONFIRM_WINDOW_MINUTES = 72 * 60
DEFAULT_WARN_BEFORE_MINUTES: tuple[int, ...] = (60, 15)

Path = tuple[str, ...]


class SlaConfigError(ValidationError, ValueError):
    """A bad SLA file. `key` is the dotted key path, `line` the 1-based line (if found)."""

    def __init__(self, message: str, *, key: str = "", line: int | None = None) -> None:
        self.key = key
        self.line = line
        self.reason = message
        prefix = "".join(
            part for part in (f"line {line}: " if line else "", f"{key}: " if key else "")
        )
        super().__init__(prefix + message)


@dataclass(frozen=True)
class TargetSpec:
    """One priority's targets, in business minutes."""

    first_response_minutes: int
    resolution_minutes: int
    update_minutes: int | None = None
    warn_before_minutes: tuple[int, ...] = DEFAULT_WARN_BEFORE_MINUTES  # largest first


@dataclass(frozen=True)
class PlanSpec:
    name: str
    calendar: str
    description: str = ""
    is_default: bool = False
    confirm_window_minutes: int = DEFAULT_CONFIRM_WINDOW_MINUTES
    breach_raises_priority: bool = False
    targets: dict[Priority, TargetSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class SlaConfig:
    calendars: dict[str, CalendarSpec]
    plans: dict[str, PlanSpec]

    @property
    def default_plan(self) -> PlanSpec | None:
        return next((plan for plan in self.plans.values() if plan.is_default), None)


def parse_sla_config(text: str) -> SlaConfig:
    """Parse and validate the text of an SLA TOML file; see config/sla.example.toml."""
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise SlaConfigError("invalid TOML: arrays or tables nested too deeply") from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"at line (\d+)", str(error))
        raise SlaConfigError(
            f"invalid TOML: {error}", line=int(found[1]) if found else None
        ) from None
    return _Parser(text).config(data)


# ------------------------------------------------------------------------- the locator


_HEADER = re.compile(r"^\s*\[\[?(?P<key>[^\[\]]+?)\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*(?P<key>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_PART = re.compile(r"""\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[A-Za-z0-9_-]+))\s*""")


def _split_key(text: str) -> Path | None:
    parts: list[str] = []
    position = 0
    while True:
        match = _PART.match(text, position)
        if match is None:
            return None
        parts.append(match["dq"] if match["dq"] is not None else match["sq"] or match["bare"])
        position = match.end()
        if position == len(text):
            return tuple(parts)
        if text[position] != ".":
            return None
        position += 1


class _Locator:
    """Best-effort line numbers for key paths: tomllib does not report them.

    Scans the text for table headers and `key =` lines (skipping multi-line strings) and
    remembers the first line of every path and of every prefix a dotted key creates.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        table: Path = ()
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = _HEADER.match(line)
            if header is not None:
                key = _split_key(header["key"])
                if key is not None:
                    table = key
                    self._remember(table, number)
                continue
            assignment = _KEY.match(line)
            if assignment is not None:
                key = _split_key(assignment["key"])
                if key is not None:
                    self._remember(table + key, number)
                rest = line[assignment.end() :]
                for quotes in ('"""', "'''"):
                    if rest.count(quotes) % 2 == 1:
                        in_string = quotes

    def _remember(self, path: Path, number: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], number)

    def line(self, path: Path) -> int | None:
        """The line of `path`, else of its longest known prefix, else None."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return None


def _dotted(path: Path) -> str:
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else f'"{p}"' for p in path)


# -------------------------------------------------------------------------- the parser

_CALENDAR_KEYS = (
    "timezone",
    "always_open",
    "hours",
    "country",
    "subdivision",
    "closed",
    "extra_open",
)
_PLAN_KEYS = (
    "calendar",
    "description",
    "default",
    "confirm_window",
    "breach_raises_priority",
    "targets",
)
_TARGET_KEYS = ("first_response", "resolution", "update", "warn_before")
_PRIORITIES = tuple(p.value for p in Priority)


class _Parser:
    def __init__(self, text: str) -> None:
        self._locator = _Locator(text)

    def fail(self, path: Path, message: str) -> NoReturn:
        raise SlaConfigError(message, key=_dotted(path), line=self._locator.line(path))

    # -- generic checks

    def keys(self, table: Mapping[str, Any], allowed: Sequence[str], path: Path) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f'; did you mean "{close[0]}"?' if close else ""
                self.fail(
                    path + (key,),
                    f'unknown key "{key}" (expected one of: {", ".join(allowed)}){hint}',
                )

    def table(self, value: object, path: Path) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"expected a table, got {_show(value)}")
        return value

    def string(self, value: object, path: Path) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_show(value)}")
        return value

    def boolean(self, value: object, path: Path) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_show(value)}")
        return value

    def array(self, value: object, path: Path) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_show(value)}")
        return value

    def duration(self, value: object, path: Path) -> int:
        if not isinstance(value, str):
            self.fail(
                path, f'expected a duration string like "15m", "4h" or "1h30m", got {_show(value)}'
            )
        try:
            minutes = parse_duration(value)
        except ValueError as error:
            self.fail(path, _plain(error, value))
        if minutes <= 0:
            self.fail(path, f'"{value}" must be more than zero')
        return minutes

    def checked(self, path: Path, check: Callable[[], object]) -> None:
        try:
            check()
        except ValueError as error:
            self.fail(path, str(error))

    # -- the file

    def config(self, data: dict[str, Any]) -> SlaConfig:
        self.keys(data, ("calendars", "plans"), ())
        calendars = {
            name: self.calendar(self.table(value, ("calendars", name)), ("calendars", name))
            for name, value in self.table(data.get("calendars", {}), ("calendars",)).items()
        }
        plans = {
            name: self.plan(name, self.table(value, ("plans", name)), calendars)
            for name, value in self.table(data.get("plans", {}), ("plans",)).items()
        }
        defaults = [plan.name for plan in plans.values() if plan.is_default]
        if len(defaults) > 1:
            self.fail(
                ("plans", defaults[1], "default"),
                f"only one plan can be the default, and {defaults[0]} already is",
            )
        if plans and not defaults:
            self.fail(
                ("plans", next(iter(plans))),
                "no plan has default = true; mark the plan for clients without a valid contract",
            )
        return SlaConfig(calendars=calendars, plans=plans)

    def calendar(self, table: dict[str, Any], path: Path) -> CalendarSpec:
        self.keys(table, _CALENDAR_KEYS, path)
        if "timezone" not in table:
            self.fail(path, 'missing "timezone" (an IANA name such as "Europe/Moscow")')
        timezone = self.string(table["timezone"], path + ("timezone",))
        self.checked(path + ("timezone",), lambda: load_zone(timezone))
        always_open = self.boolean(table.get("always_open", False), path + ("always_open",))
        if always_open:
            for key in ("hours", "country", "subdivision", "closed", "extra_open"):
                if key in table:
                    self.fail(
                        path + (key,),
                        f"a calendar with always_open = true (24x7) cannot also have {key}; "
                        'for 24x7 with holidays give every day "00:00-24:00" instead',
                    )
        hours: dict[str, tuple[str, ...]] = {}
        hours_table = self.table(table.get("hours", {}), path + ("hours",))
        for day, spans in hours_table.items():
            if day not in WEEKDAYS:
                self.fail(
                    path + ("hours", day),
                    f'unknown weekday "{day}" (expected {", ".join(WEEKDAYS)})',
                )
            hours[day] = self.intervals(spans, path + ("hours", day))
        country = subdivision = None
        if "country" in table:
            country = self.string(table["country"], path + ("country",))
            self.checked(path + ("country",), lambda: check_holiday_region(country))
        if "subdivision" in table:
            subdivision = self.string(table["subdivision"], path + ("subdivision",))
            if country is None:
                self.fail(path + ("subdivision",), 'a holiday subdivision needs a "country"')
            self.checked(
                path + ("subdivision",), lambda: check_holiday_region(country, subdivision)
            )
        closed = tuple(
            self.date(value, path + ("closed",))
            for value in self.array(table.get("closed", []), path + ("closed",))
        )
        extra_open = {
            self.date(key, path + ("extra_open", key)): self.intervals(
                spans, path + ("extra_open", key)
            )
            for key, spans in self.table(
                table.get("extra_open", {}), path + ("extra_open",)
            ).items()
        }
        if not always_open and not any(hours.values()) and not any(extra_open.values()):
            self.fail(
                path,
                "the calendar has no open time at all: give hours for at least one weekday, "
                "or always_open = true for 24x7",
            )
        spec = CalendarSpec(
            timezone=timezone,
            always_open=always_open,
            hours=hours,
            country=country,
            subdivision=subdivision,
            closed=closed,
            extra_open=extra_open,
        )
        self.checked(path, lambda: BusinessCalendar(spec))
        return spec

    def intervals(self, value: object, path: Path) -> tuple[str, ...]:
        spans = tuple(self.string(item, path) for item in self.array(value, path))
        for span in spans:
            try:
                parse_interval(span)
            except ValueError as error:
                self.fail(path, str(error))
        return spans

    def date(self, value: object, path: Path) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f'{_show(value)} is not a date like "2026-12-31"')

    def plan(
        self, name: str, table: dict[str, Any], calendars: Mapping[str, CalendarSpec]
    ) -> PlanSpec:
        path: Path = ("plans", name)
        self.keys(table, _PLAN_KEYS, path)
        if "calendar" not in table:
            self.fail(path, 'missing "calendar" (the name of a [calendars.NAME] table)')
        calendar = self.string(table["calendar"], path + ("calendar",))
        if calendar not in calendars:
            known = ", ".join(calendars) or "none defined"
            self.fail(path + ("calendar",), f'unknown calendar "{calendar}" (calendars: {known})')
        confirm_window = (
            self.duration(table["confirm_window"], path + ("confirm_window",))
            if "confirm_window" in table
            else DEFAULT_CONFIRM_WINDOW_MINUTES
        )
        targets_table = self.table(table.get("targets", {}), path + ("targets",))
        if not targets_table:
            self.fail(path, f"missing targets: add [plans.{name}.targets.PRIORITY] tables")
        targets: dict[Priority, TargetSpec] = {}
        for key, value in targets_table.items():
            if key not in _PRIORITIES:
                self.fail(
                    path + ("targets", key),
                    f'unknown priority "{key}" (expected {", ".join(_PRIORITIES)})',
                )
            target_path = path + ("targets", key)
            targets[Priority(key)] = self.target(self.table(value, target_path), target_path)
        missing = [p for p in _PRIORITIES if Priority(p) not in targets]
        if missing:
            self.fail(
                path + ("targets",),
                f"no targets for priority {', '.join(missing)}: every priority needs "
                "first_response and resolution",
            )
        return PlanSpec(
            name=name,
            calendar=calendar,
            description=self.string(table.get("description", ""), path + ("description",)),
            is_default=self.boolean(table.get("default", False), path + ("default",)),
            confirm_window_minutes=confirm_window,
            breach_raises_priority=self.boolean(
                table.get("breach_raises_priority", False), path + ("breach_raises_priority",)
            ),
            targets={p: targets[p] for p in Priority},
        )

    def target(self, table: dict[str, Any], path: Path) -> TargetSpec:
        self.keys(table, _TARGET_KEYS, path)
        for key in ("first_response", "resolution"):
            if key not in table:
                self.fail(path, f'missing "{key}" (a business duration such as "4h")')
        first_response = self.duration(table["first_response"], path + ("first_response",))
        resolution = self.duration(table["resolution"], path + ("resolution",))
        if resolution < first_response:
            self.fail(
                path + ("resolution",),
                f"resolution ({table['resolution']}) is shorter than first_response "
                f"({table['first_response']})",
            )
        update = self.duration(table["update"], path + ("update",)) if "update" in table else None
        warn_before = DEFAULT_WARN_BEFORE_MINUTES
        if "warn_before" in table:
            warn_path = path + ("warn_before",)
            values = self.array(table["warn_before"], warn_path)
            warn_before = tuple(sorted({self.duration(v, warn_path) for v in values}, reverse=True))
        return TargetSpec(
            first_response_minutes=first_response,
            resolution_minutes=resolution,
            update_minutes=update,
            warn_before_minutes=warn_before,
        )


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _plain(error: ValueError, value: str) -> str:
    """parse_duration's message with the value in TOML's double quotes."""
    return str(error).replace(repr(value), f'"{value}"', 1)
