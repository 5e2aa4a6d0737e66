"""The texts of the mailed reports, in Russian or English: plain text, figures in columns.

Pure: it lays out figures `kpi_report` computed (`dispatcher.domain.kpi.figures` keys) and
names the caller already chose to show. Every name is cut to one line of printable text,
so a queue or ticket called with escape codes or markup prints as its letters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dispatcher.domain.language import LANGUAGES as LANGUAGES
from dispatcher.domain.language import guess_language as guess_language


def plain(text: str, width: int = 60) -> str:
    """One line of printable characters: control and escape characters dropped."""
    cleaned = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in text
        if ch in "\t\r\n" or not unicodedata.category(ch).startswith("C")
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= width else cleaned[: width - 1] + "…"


_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "digest_subject": "KPI digest: week {period}",
        "digest_title": "KPI digest for the week {period} ({start} – {end}, {zone})",
        "client_subject": "Service report: {client}, {period}",
        "client_title": "Service report for {client}: {month} ({start} – {end}, {zone})",
        "figure": "figure",
        "this_week": "the week",
        "last_week": "week before",
        "change": "change",
        "created": "Tickets created",
        "fr_median": "First response, median (business)",
        "fr_p90": "First response, p90 (business)",
        "resolved": "Tickets resolved",
        "res_median": "Resolution, median (business)",
        "res_p90": "Resolution, p90 (business)",
        "fcr": "First-contact resolution",
        "reopen": "Reopen rate",
        "sla_first_response": "SLA met: first response",
        "sla_resolution": "SLA met: resolution",
        "sla_update": "SLA met: updates",
        "csat": "CSAT (4-5 of 5)",
        "csat_avg": "CSAT average",
        "nps": "NPS",
        "backlog": "Backlog at the end",
        "by_queue": "By queue",
        "by_engineer": "By engineer",
        "queue": "queue",
        "engineer": "engineer",
        "backlog_age": "Backlog by age at the end of the week",
        "ages": "under 1 day: {under_1d}, 1-3 days: {1d_3d}, 3-7 days: {3d_7d}, "
        "over 7 days: {over_7d}",
        "h": "h",
        "min": "min",
        "none": "–",
        "nothing": "(nothing in this period)",
        "volume": "Volume",
        "open_end": "Open at the end of the month",
        "sla": "SLA compliance",
        "contract": "contract {number}, plan {plan}",
        "no_contract": "no valid contract: the default plan",
        "target": "target",
        "met": "met",
        "of": "of",
        "first_response": "first response",
        "resolution": "resolution",
        "update": "updates",
        "priority": "priority",
        "ratings": "Satisfaction",
        "csat_line": "CSAT {rate} good ({good} of {rated}), average {average} of 5",
        "nps_line": "NPS {score} ({answers} answers: {promoters} promoters, "
        "{detractors} detractors)",
        "no_ratings": "no ratings in this period",
        "missed": "Tickets that missed a target",
        "footer": "-- \nSupport\n",
    },
    "ru": {
        "digest_subject": "Сводка KPI: неделя {period}",
        "digest_title": "Сводка KPI за неделю {period} ({start} – {end}, {zone})",
        "client_subject": "Отчёт об обслуживании: {client}, {period}",
        "client_title": "Отчёт об обслуживании для {client}: {month} ({start} – {end}, {zone})",
        "figure": "показатель",
        "this_week": "неделя",
        "last_week": "неделей ранее",
        "change": "изменение",
        "created": "Создано обращений",
        "fr_median": "Первый ответ, медиана (раб. время)",
        "fr_p90": "Первый ответ, p90 (раб. время)",
        "resolved": "Решено обращений",
        "res_median": "Решение, медиана (раб. время)",
        "res_p90": "Решение, p90 (раб. время)",
        "fcr": "Решено с первого обращения",
        "reopen": "Доля повторных открытий",
        "sla_first_response": "SLA соблюдён: первый ответ",
        "sla_resolution": "SLA соблюдён: решение",
        "sla_update": "SLA соблюдён: обновления",
        "csat": "CSAT (4-5 из 5)",
        "csat_avg": "CSAT, средняя оценка",
        "nps": "NPS",
        "backlog": "Открыто на конец",
        "by_queue": "По очередям",
        "by_engineer": "По инженерам",
        "queue": "очередь",
        "engineer": "инженер",
        "backlog_age": "Открытые обращения по возрасту на конец недели",
        "ages": "до 1 дня: {under_1d}, 1-3 дня: {1d_3d}, 3-7 дней: {3d_7d}, "
        "больше 7 дней: {over_7d}",
        "h": "ч",
        "min": "мин",
        "none": "–",
        "nothing": "(за период ничего нет)",
        "volume": "Объём",
        "open_end": "Открыто на конец месяца",
        "sla": "Соблюдение SLA",
        "contract": "договор {number}, план {plan}",
        "no_contract": "нет действующего договора: план по умолчанию",
        "target": "норматив",
        "met": "соблюдено",
        "of": "из",
        "first_response": "первый ответ",
        "resolution": "решение",
        "update": "обновления",
        "priority": "приоритет",
        "ratings": "Удовлетворённость",
        "csat_line": "CSAT {rate} хороших ({good} из {rated}), средняя {average} из 5",
        "nps_line": "NPS {score} (ответов {answers}: сторонников {promoters}, "
        "критиков {detractors})",
        "no_ratings": "оценок за период нет",
        "missed": "Обращения с нарушением норматива",
        "footer": "-- \nСлужба поддержки\n",
    },
}
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "ru": ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
           "сентябрь", "октябрь", "ноябрь", "декабрь"),
}  # fmt: skip


def words(language: str) -> dict[str, str]:
    return _WORDS[language if language in _WORDS else "en"]


def month_name(day: date, language: str) -> str:
    return f"{_MONTHS[language if language in _MONTHS else 'en'][day.month - 1]} {day.year}"


def _get(figures: dict[str, Any], path: str) -> Any:
    value: Any = figures
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def minutes(value: float | None, language: str) -> str:
    """`95` → `1 h 35 min` (`1 ч 35 мин`); `–` without a value."""
    w = words(language)
    if value is None:
        return w["none"]
    total = round(value)
    hours, rest = divmod(abs(total), 60)
    sign = "-" if total < 0 else ""
    if hours:
        return f"{sign}{hours} {w['h']} {rest:02d} {w['min']}"
    return f"{sign}{rest} {w['min']}"


def percent(value: float | None, language: str) -> str:
    if value is None:
        return words(language)["none"]
    text = f"{value * 100:.1f} %"
    return text.replace(".", ",") if language == "ru" else text


def _number(value: float | None, language: str) -> str:
    if value is None:
        return words(language)["none"]
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if language == "ru" else text


# (label key, figure path, how it is shown)
_ROWS = (
    ("created", "created.total", "count"),
    ("fr_median", "first_response.business.median", "minutes"),
    ("fr_p90", "first_response.business.p90", "minutes"),
    ("resolved", "resolution.count", "count"),
    ("res_median", "resolution.business.median", "minutes"),
    ("res_p90", "resolution.business.p90", "minutes"),
    ("fcr", "fcr_rate", "rate"),
    ("reopen", "reopen_rate", "rate"),
    ("sla_first_response", "sla.first_response.rate", "rate"),
    ("sla_resolution", "sla.resolution.rate", "rate"),
    ("sla_update", "sla.update.rate", "rate"),
    ("csat", "csat.rate", "rate"),
    ("csat_avg", "csat.average", "number"),
    ("nps", "nps.score", "number"),
    ("backlog", "backlog.total", "count"),
)


def _shown(value: Any, how: str, language: str) -> str:
    if how == "minutes":
        return minutes(value, language)
    if how == "rate":
        return percent(value, language)
    return _number(value, language)


def _change(now: Any, before: Any, how: str, language: str) -> str:
    if now is None or before is None:
        return ""
    delta = now - before
    if how == "minutes":
        text = minutes(delta, language)
        return text if text.startswith("-") or delta == 0 else "+" + text
    if how == "rate":
        points = f"{delta * 100:+.1f} {'п.п.' if language == 'ru' else 'pp'}"
        return points.replace(".", ",", 1) if language == "ru" else points
    text = f"{delta:+g}" if isinstance(delta, float) else f"{delta:+d}"
    return text.replace(".", ",") if language == "ru" else text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell: the first left-aligned, the others right."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


@dataclass(frozen=True, slots=True)
class Mail:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Span:
    """A period as the reader sees it: its key and its first and last local day."""

    key: str  # 2026-W47, 2026-11
    first_day: date
    last_day: date
    zone: str


def weekly_digest(
    *,
    language: str,
    span: Span,
    this_week: dict[str, Any],
    last_week: dict[str, Any],
    by_queue: Sequence[tuple[str, dict[str, Any]]],
    by_engineer: Sequence[tuple[str, dict[str, Any]]],
) -> Mail:
    """The lead's weekly digest: the figures against last week, per queue, per engineer,
    and the backlog by age."""
    w = words(language)
    title = w["digest_title"].format(
        period=span.key, start=span.first_day, end=span.last_day, zone=span.zone
    )
    lines = [title, "=" * len(title), ""]
    rows = []
    for key, path, how in _ROWS:
        now, before = _get(this_week, path), _get(last_week, path)
        rows.append(
            [
                w[key],
                _shown(now, how, language),
                _shown(before, how, language),
                _change(now, before, how, language),
            ]
        )
    lines += table([w["figure"], w["this_week"], w["last_week"], w["change"]], rows)
    for heading, name, groups in (
        ("by_queue", "queue", by_queue),
        ("by_engineer", "engineer", by_engineer),
    ):
        lines += ["", w[heading], ""]
        lines += _group_table(w[name], groups, language) or [w["nothing"]]
    backlog = this_week.get("backlog") or {}
    lines += ["", w["backlog_age"] + ":", "  " + w["ages"].format(**_ages(backlog)), ""]
    lines.append(w["footer"])
    return Mail(w["digest_subject"].format(period=span.key), "\n".join(lines))


def _ages(backlog: dict[str, Any]) -> dict[str, Any]:
    return {key: backlog.get(key, 0) for key in ("under_1d", "1d_3d", "3d_7d", "over_7d")}


_GROUP_COLUMNS = (
    ("created", "created.total", "count"),
    ("resolved", "resolution.count", "count"),
    ("res_median", "resolution.business.median", "minutes"),
    ("sla_resolution", "sla.resolution.rate", "rate"),
    ("csat", "csat.rate", "rate"),
    ("backlog", "backlog.total", "count"),
)
_SHORT = {
    "en": ("created", "resolved", "resol. median", "SLA resol.", "CSAT", "backlog"),
    "ru": ("создано", "решено", "медиана решения", "SLA решения", "CSAT", "открыто"),
}


def _group_table(
    name: str, groups: Sequence[tuple[str, dict[str, Any]]], language: str
) -> list[str]:
    rows = [
        [
            plain(group, 30),
            *(_shown(_get(f, path), how, language) for _, path, how in _GROUP_COLUMNS),
        ]
        for group, f in groups
        if any(_get(f, path) for _, path, _how in _GROUP_COLUMNS)
    ]
    if not rows:
        return []
    return table([name, *_SHORT[language if language in _SHORT else "en"]], rows)


@dataclass(frozen=True, slots=True)
class Target:
    priority: str
    first_response: int
    resolution: int
    update: int | None


@dataclass(frozen=True, slots=True)
class Missed:
    ref: str
    subject: str
    targets: tuple[str, ...]  # first_response, resolution, update


def client_report(
    *,
    language: str,
    span: Span,
    client: str,
    figures: dict[str, Any],
    contract: str | None,
    plan: str | None,
    targets: Sequence[Target],
    missed: Sequence[Missed],
) -> Mail:
    """A client's monthly report: volume, SLA compliance per target of the contract's plan,
    CSAT and NPS, and the tickets that missed a target. Only this client's figures and
    tickets are handed in."""
    w = words(language)
    name = plain(client)
    month = month_name(span.first_day, language)
    title = w["client_title"].format(
        client=name, month=month, start=span.first_day, end=span.last_day, zone=span.zone
    )
    lines = [title, "=" * len(title), "", w["volume"], ""]
    lines += table(
        [w["figure"], ""],
        [
            [w["created"], _number(_get(figures, "created.total"), language)],
            [w["resolved"], _number(_get(figures, "resolution.count"), language)],
            [w["fr_median"], minutes(_get(figures, "first_response.business.median"), language)],
            [w["res_median"], minutes(_get(figures, "resolution.business.median"), language)],
            [w["open_end"], _number(_get(figures, "backlog.total"), language)],
        ],
    )[2:]
    about = (
        w["contract"].format(number=plain(contract), plan=plain(plan or ""))
        if contract
        else w["no_contract"]
    )
    lines += ["", f"{w['sla']} ({about})", ""]
    sla_rows = []
    for target in ("first_response", "resolution", "update"):
        counts = _get(figures, f"sla.{target}") or {}
        met, breached = counts.get("met", 0), counts.get("breached", 0)
        if target == "update" and not met + breached:
            continue
        sla_rows.append(
            [
                w[target],
                percent(counts.get("rate"), language),
                f"{met} {w['of']} {met + breached}",
            ]
        )
    lines += table([w["target"], w["met"], ""], sla_rows)
    if targets:
        lines += [""]
        lines += table(
            [w["priority"], w["first_response"], w["resolution"], w["update"]],
            [
                [
                    t.priority,
                    minutes(t.first_response, language),
                    minutes(t.resolution, language),
                    minutes(t.update, language),
                ]
                for t in targets
            ],
        )
    lines += ["", w["ratings"], ""]
    csat = figures.get("csat") or {}
    nps = figures.get("nps") or {}
    if csat.get("rated"):
        lines.append(
            "  "
            + w["csat_line"].format(
                rate=percent(csat.get("rate"), language),
                good=csat.get("good", 0),
                rated=csat.get("rated", 0),
                average=_number(csat.get("average"), language),
            )
        )
    if nps.get("answers"):
        lines.append(
            "  "
            + w["nps_line"].format(
                score=_number(nps.get("score"), language),
                answers=nps["answers"],
                promoters=nps.get("promoters", 0),
                detractors=nps.get("detractors", 0),
            )
        )
    if not csat.get("rated") and not nps.get("answers"):
        lines.append("  " + w["no_ratings"])
    if missed:
        lines += ["", w["missed"], ""]
        for ticket in missed:
            which = ", ".join(w[t] for t in ticket.targets)
            lines.append(f"  {ticket.ref}  {plain(ticket.subject, 50)}  ({which})")
    lines += ["", w["footer"]]
    return Mail(w["client_subject"].format(client=name, period=span.key), "\n".join(lines))
