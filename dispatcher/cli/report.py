"""`dispatcher report kpi|tickets`: the lead's numbers for a period, and the tickets behind
any of them; `dispatcher admin report rebuild-facts`: the facts they are computed from;
`dispatcher admin report schedule list|add|remove`: reports by mail."""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import (
    DbOption,
    fail,
    id_parser,
    parse_instant,
    print_json,
    print_table,
    progress,
    sanitize,
    set_db,
    state,
)

if TYPE_CHECKING:
    from dispatcher.domain.kpi.groups import GroupBy
    from dispatcher.store.reports.kpi import Period

app = typer.Typer(
    help="The lead's numbers: KPIs of a period, and the tickets behind them.",
    no_args_is_help=True,
)
admin_app = typer.Typer(help="Reports: the ticket facts they are computed from.")

FORMATS = ("table", "json", "csv", "md", "xlsx")
PERIOD_HELP = (
    "a date (midnight) or an ISO 8601 date-time; without an offset, wall-clock time in --tz"
)
FromOption = Annotated[str, typer.Option("--from", help=f"Start of the period: {PERIOD_HELP}")]
ToOption = Annotated[
    str, typer.Option("--to", help=f"End of the period, not included: {PERIOD_HELP}")
]
ByOption = Annotated[
    str,
    typer.Option(
        "--by",
        help="Group by none, engineer, queue, category, client, channel, priority, day, "
        "week or month",
    ),
]
TzOption = Annotated[
    str | None,
    typer.Option("--tz", help="IANA time zone of the dates and of days, weeks and months "
                 "(default: this computer's)"),
]  # fmt: skip
FormatOption = Annotated[
    str, typer.Option("--format", help="table, json, csv, md or xlsx (xlsx needs --output)")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (as --format json)")]

# The figures a grouped table shows, one column each (JSON and CSV have them all).
HEADLINES = (
    ("created", "created.total"),
    ("1st resp. median", "first_response.business.median"),
    ("resolved", "resolution.count"),
    ("resol. median", "resolution.business.median"),
    ("FCR", "fcr_rate"),
    ("reopen", "reopen_rate"),
    ("SLA 1st resp.", "sla.first_response.rate"),
    ("SLA resol.", "sla.resolution.rate"),
    ("SLA update", "sla.update.rate"),
    ("CSAT", "csat.rate"),
    ("NPS", "nps.score"),
    ("backlog", "backlog.total"),
)


def _zone(name: str | None) -> tzinfo:
    from dispatcher.domain.calendar import load_zone

    if name is None:
        return _local_zone()
    try:
        return load_zone(name.strip())
    except (ValueError, KeyError, OSError):
        fail(f"--tz: not a time zone: {name!r} (e.g. Europe/Moscow or UTC)")


def _local_zone() -> tzinfo:
    """This computer's time zone with its DST rules, as far as they can be found."""
    import os
    from zoneinfo import ZoneInfo

    for name in (os.environ.get("TZ", "").lstrip(":"),):
        if name:
            try:
                return ZoneInfo(name)
            except (ValueError, OSError):
                pass
    try:
        with open("/etc/localtime", "rb") as file:
            return ZoneInfo.from_file(file, key="localtime")
    except (OSError, ValueError):
        return datetime.now().astimezone().tzinfo or UTC


def _zone_label(zone: tzinfo) -> str:
    """The zone's IANA name; this computer's zone by the name its /etc/localtime links to,
    else its offset now ("localtime" says nothing to a reader)."""
    name = str(zone)
    if name != "localtime":
        return name
    import os

    target = os.path.realpath("/etc/localtime")
    if "/zoneinfo/" in target:
        return target.split("/zoneinfo/", 1)[1]
    return datetime.now(zone).strftime("UTC%z")


def _period(start: str, end: str, zone: tzinfo) -> Period:
    from dispatcher.store.reports.kpi import Period

    instants = []
    for value, option in ((start, "--from"), (end, "--to")):
        try:
            instant = parse_instant(value, option=option, zone=zone).astimezone(UTC)
        except (OverflowError, ValueError):
            fail(f"{option}: {value!r} is out of range")
        if not 1900 <= instant.year <= 9000:
            fail(f"{option}: {value!r} is out of range (years 1900 to 9000)")
        instants.append(instant)
    if instants[1] <= instants[0]:
        fail(f"--to ({end}) must come after --from ({start})")
    return Period(instants[0], instants[1])


def _group_by(value: str) -> GroupBy:
    from dispatcher.domain.kpi.groups import GroupBy

    try:
        return GroupBy(value.strip().lower())
    except ValueError:
        allowed = ", ".join(g.value for g in GroupBy)
        fail(f"--by must be one of {allowed}, not {value!r}")


def _format(value: str, as_json: bool, output: Path | None) -> str:
    fmt = "json" if as_json else value.strip().lower()
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {value!r}")
    if fmt == "xlsx" and output is None:
        fail("--format xlsx writes a file: give it with --output FILE.xlsx")
    if fmt == "table" and output is not None:
        fail("--output writes json, csv, md or xlsx: add --format")
    return fmt


@app.command("kpi")
def kpi(
    ctx: typer.Context,
    start: FromOption,
    end: ToOption,
    by: ByOption = "none",
    tz: TzOption = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The KPIs of the period [--from, --to): created, first response, resolution, FCR,
    reopens, SLA per target, CSAT, NPS, backlog (README, "KPIs", defines each)."""
    set_db(ctx, db)
    zone = _zone(tz)
    period = _period(start, end, zone)
    group_by = _group_by(by)
    wanted = _format(fmt, as_json, output)
    from dispatcher.domain.kpi.figures import flatten
    from dispatcher.domain.kpi.groups import GroupBy
    from dispatcher.store.reports.facts import missing_facts
    from dispatcher.store.reports.kpi import kpi_report

    with state(ctx).store().read() as session:
        missing = missing_facts(session, start=period.start, end=period.end)
        report = kpi_report(session, period=period, by=group_by, zone=zone)
    if missing:
        typer.echo(
            f"warning: {missing} tickets of the period have no facts yet and are not counted: "
            "run 'dispatcher admin report rebuild-facts'",
            err=True,
        )
    grouped = group_by != GroupBy.none
    data: Any = [{"group": g, **figures} for g, figures in report] if grouped else report[0][1]
    rows = [{"group": g, **flatten(figures)} for g, figures in report]
    title = f"KPIs {period.start.astimezone(zone):%Y-%m-%d %H:%M} – "
    title += f"{period.end.astimezone(zone):%Y-%m-%d %H:%M} ({_zone_label(zone)})"
    if wanted == "json":
        _emit_json(data, output)
    elif wanted == "table" and not grouped:
        print_table(["figure", "value"], _vertical(rows[0]), title=title)
    elif wanted == "table":
        _print_grouped(group_by.value, rows, title)
    elif wanted == "md" and not grouped:
        _emit(_markdown(["figure", "value"], _vertical(rows[0]), title), output)
    elif wanted == "md":
        headers = [group_by.value, *(name for name, _ in HEADLINES)]
        _emit(_markdown(headers, _headline_rows(rows), title), output)
    elif wanted == "csv":
        _emit(_csv(rows), output)
    else:
        assert output is not None
        _xlsx(rows, output, title)


def _cell(key: str, value: Any) -> str:
    """A figure as a person reads it: durations in days, hours and minutes, rates in %."""
    from dispatcher.read_models.dashboard import Unit, show

    if value is None:
        return "–"
    if key.endswith("rate") and isinstance(value, float):
        return f"{value * 100:.1f} %"
    if key.startswith(("first_response.", "resolution.")) and key.endswith(_STATISTICS):
        if ".business." in key:  # business time: a "day" of it would be 24 working hours
            hours, minutes = divmod(round(float(value)), 60)
            return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
        return show(value, Unit.minutes)
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


_STATISTICS = (".median", ".p90", ".mean")


def _vertical(row: dict[str, Any]) -> list[list[str]]:
    return [[key, _cell(key, value)] for key, value in row.items() if key != "group"]


def _headline_rows(
    rows: list[dict[str, Any]], headlines: tuple[tuple[str, str], ...] = HEADLINES
) -> list[list[str]]:
    return [[row["group"], *(_cell(key, row[key]) for _, key in headlines)] for row in rows]


def _print_grouped(group: str, rows: list[dict[str, Any]], title: str) -> None:
    """The headline figures, one row per group; on a terminal too narrow for all of them,
    in as few tables as fit, each with the group column first."""
    from rich.console import Console
    from rich.text import Text

    cells = _headline_rows(rows)
    names = [name for name, _ in HEADLINES]
    widths = [
        max([len(name), *(len(row[i + 1]) for row in cells)]) + 3 for i, name in enumerate(names)
    ]
    first = max([len(group), *(len(row[0]) for row in cells)]) + 4
    room = Console().width
    for count in range(1, len(names) + 1):
        size = -(-len(names) // count)
        parts = [list(range(i, min(i + size, len(names)))) for i in range(0, len(names), size)]
        if all(first + sum(widths[i] for i in part) <= room for part in parts):
            break
    if len(parts) == 1:
        print_table([group, *names], cells, title=title)
        return
    Console().print(Text(sanitize(title)))
    for part in parts:
        print_table(
            [group, *(names[i] for i in part)],
            [[row[0], *(row[i + 1] for i in part)] for row in cells],
        )


def _markdown(headers: list[str], rows: list[list[str]], title: str) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(sanitize(c).replace("|", "\\|") for c in cells) + " |"

    lines = [f"### {sanitize(title)}", "", line(headers), "|" + "---|" * len(headers)]
    lines += [line(row) for row in rows]
    return "\n".join(lines) + "\n"


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["group"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: {exc.strerror or exc}")


def _emit_json(data: Any, output: Path | None) -> None:
    if output is None:
        print_json(data)
        return
    import json

    _emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)


def _xlsx(rows: list[dict[str, Any]], output: Path, title: str) -> None:
    import xlsxwriter

    try:
        workbook = xlsxwriter.Workbook(str(output))
    except OSError as exc:
        fail(f"{output}: {exc.strerror or exc}")
    sheet = workbook.add_worksheet("KPIs")
    bold = workbook.add_format({"bold": True})
    percent = workbook.add_format({"num_format": "0.0%"})
    sheet.write(0, 0, title, bold)
    headers = list(rows[0]) if rows else ["group"]
    for column, header in enumerate(headers):
        sheet.write(2, column, header, bold)
    for line, row in enumerate(rows, start=3):
        for column, header in enumerate(headers):
            value = row[header]
            if value is None:
                continue
            cell_format = percent if header.endswith("rate") else None
            sheet.write(line, column, value, cell_format)
    sheet.freeze_panes(3, 1)
    try:
        workbook.close()
    except OSError as exc:
        fail(f"{output}: {exc}")
    typer.echo(f"wrote {output}")


FigureOption = Annotated[
    str,
    typer.Option(
        "--figure",
        help="The figure, as in the JSON report: created, first_response, resolution, fcr, "
        "reopened, sla.TARGET.met|breached|ever_breached, csat, csat.good, backlog, "
        "backlog.under_1d|1d_3d|3d_7d|over_7d",
    ),
]
GroupOption = Annotated[
    str | None, typer.Option("--group", help="Only the tickets of this group of --by")
]
VALUE_OF = {
    "created": "channel",
    "first_response": "business minutes",
    "resolution": "business minutes",
    "sla": "outcome",
    "csat": "score",
    "backlog": "age (days)",
}


@app.command("tickets")
def tickets(
    ctx: typer.Context,
    figure: FigureOption,
    start: FromOption,
    end: ToOption,
    by: ByOption = "none",
    group: GroupOption = None,
    tz: TzOption = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The tickets behind one figure of `report kpi` (the same period, grouping and rules)."""
    set_db(ctx, db)
    from dispatcher.domain.kpi.figures import parse_figure
    from dispatcher.domain.kpi.groups import GroupBy

    try:
        wanted_figure = parse_figure(figure)
    except ValueError as exc:
        fail(str(exc))
    zone = _zone(tz)
    period = _period(start, end, zone)
    group_by = _group_by(by)
    if group is not None and group_by == GroupBy.none:
        fail("--group needs --by (which grouping the group is of)")
    wanted = _format(fmt, as_json, output)
    from dispatcher.store.reports.kpi import describe_tickets, figure_tickets

    with state(ctx).store().read() as session:
        found = figure_tickets(
            session, figure=wanted_figure, period=period, by=group_by, group=group, zone=zone
        )
        described = describe_tickets(session, ticket_ids=[t.id for t in found])
    value_name = VALUE_OF.get(wanted_figure.population, "value")
    if wanted_figure.part in ("fcr", "reopened"):
        value_name = "reopens"
    rows = []
    for item in found:
        about = described.get(item.id)
        rows.append(
            {
                "ticket": f"#{item.id}",
                "id": item.id,
                "group": item.group,
                "value": item.value,
                "subject": about.subject if about else "",
                "status": about.status if about else "",
                "priority": about.priority if about else "",
                "engineer": about.engineer if about else None,
                "created_at": about.created_at.isoformat() if about else None,
            }
        )
    grouped = group_by != GroupBy.none
    if not grouped:
        for row in rows:
            del row["group"]
    if wanted == "json":
        _emit_json(rows, output)
        return
    keys = ["ticket", *(["group"] if grouped else []), "value", "status", "priority"]
    keys += ["engineer", "subject"]
    headers = [value_name if key == "value" else key for key in keys]
    cells = [["" if row[k] is None else _cell(k, row[k]) for k in keys] for row in rows]
    title = f"{figure}: {len(rows)} tickets"
    if wanted == "table":
        print_table(headers, cells, title=title)
    elif wanted == "md":
        _emit(_markdown(headers, cells, title), output)
    elif wanted == "csv":
        _emit(_csv(rows), output)
    else:
        assert output is not None
        _xlsx(rows, output, title)


@admin_app.command("rebuild-facts")
def rebuild_facts(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    db: DbOption = None,
) -> None:
    """Compute every ticket's KPI facts again from its history (after upgrading a database
    to schema 0006, or after editing a calendar). Safe to run again, and while consoles
    work: a batch of tickets per transaction."""
    set_db(ctx, db)
    import time

    from dispatcher.store.reports.facts import rebuild_facts as rebuild

    store = state(ctx).store()
    started = time.perf_counter()
    with progress("ticket facts", total=None) as bar:
        task = bar.task_ids[0]

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        count = rebuild(store, on_progress=step)
    seconds = time.perf_counter() - started
    if as_json:
        print_json({"tickets": count, "seconds": round(seconds, 2)})
    else:
        typer.echo(f"facts of {count} tickets rebuilt in {seconds:.1f} s")


schedule_app = typer.Typer(
    help="Reports by mail: the weekly KPI digest to leads, a client's monthly report.",
    no_args_is_help=True,
)
admin_app.add_typer(schedule_app, name="schedule")


def _zone_name(name: str | None) -> str:
    """The --tz given (checked), else this computer's zone by name, else UTC."""
    if name is not None:
        _zone(name)
        return name.strip()
    key = getattr(_local_zone(), "key", None)
    return key if isinstance(key, str) and key and key != "localtime" else "UTC"


def _schedule_rows(views: list[Any]) -> list[list[str]]:
    return [
        [
            str(v.id),
            v.kind,
            v.client or "",
            ", ".join(v.recipients) or "(the client's contacts)",
            f"{v.at} {v.timezone}",
            v.language,
            v.last_period or "",
        ]
        for v in views
    ]


_SCHEDULE_HEADERS = ["id", "report", "client", "to", "when", "language", "last sent"]


@schedule_app.command("list")
def schedule_list(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """What is mailed, to whom and when, and the last period each one sent."""
    set_db(ctx, db)
    from dispatcher.store.reports.digests import list_schedules

    with state(ctx).store().read() as session:
        views = list_schedules(session)
    if as_json:
        print_json([v.to_json() for v in views])
    else:
        print_table(_SCHEDULE_HEADERS, _schedule_rows(views), title="report schedules")


@schedule_app.command("add")
def schedule_add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="weekly-digest or client-report")],
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help="When: a weekday and time for the digest ('mon 08:00'), a day of the month "
            "(1 to 28) and time for a client report ('1st 09:00'), local time of --tz",
        ),
    ],
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            help="Recipients, repeatable or comma-separated: 'leads' or addresses for the "
            "digest (default: leads); addresses of the client's contacts for a client report "
            "(default: each of its contacts with a working address)",
        ),
    ] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="The client of a client report")
    ] = None,
    tz: TzOption = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="auto (each recipient's: the language of their name and, for a client, of "
            "its mail), ru or en",
        ),
    ] = "auto",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Mail a report every week or month through the outbox (the console's scheduler and
    `dispatcher watch` send it; once per period however many run)."""
    set_db(ctx, db)
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.reports.digests import add_schedule, describe_schedule

    zone_name = _zone_name(tz)
    with state(ctx).store().write() as session:
        schedule = add_schedule(
            session,
            kind=kind.strip().lower(),
            at=at,
            now=utcnow(),
            to=to,
            client=client,
            timezone=zone_name,
            language=lang.strip().lower(),
        )
        view = describe_schedule(session, schedule=schedule)
    if as_json:
        print_json(view.to_json())
        return
    typer.echo(
        sanitize(
            f"added report schedule {view.id}: {view.kind}"
            + (f" for {view.client}" if view.client else "")
            + f", {view.at} {view.timezone}, to "
            + (", ".join(view.recipients) or "the client's contacts")
        )
    )


@schedule_app.command("remove")
def schedule_remove(
    ctx: typer.Context,
    schedule_id: Annotated[
        int, typer.Argument(help="The schedule's id (see list)", parser=id_parser)
    ],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Stop mailing a report (what is already in the outbox still goes)."""
    set_db(ctx, db)
    from dispatcher.store.reports.digests import remove_schedule

    with state(ctx).store().write() as session:
        removed = remove_schedule(session, schedule_id=schedule_id)
    if as_json:
        print_json({"removed": removed.id, "kind": removed.kind})
    else:
        typer.echo(f"removed report schedule {removed.id} ({removed.kind})")
