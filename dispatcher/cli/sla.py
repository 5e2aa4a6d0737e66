"""`dispatcher admin sla ...` and `dispatcher admin calendar ...`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from dispatcher.cli._common import (
    TIME_HELP,
    DbOption,
    echo,
    fail,
    parse_instant,
    path_parser,
    print_json,
    print_table,
    set_db,
    state,
)
from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import Priority

sla_app = typer.Typer(help="SLA plans: load them from a file, compute and explain deadlines.")
calendar_app = typer.Typer(help="Business calendars.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


@sla_app.command("load")
def load(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="The SLA TOML file (see config/sla.example.toml)", parser=path_parser),
    ],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Create or update calendars and plans from a TOML file (safe to run again)."""
    set_db(ctx, db)
    from dispatcher.domain.sla_config import parse_sla_config
    from dispatcher.store.sla.plans import load_sla_config

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text")
    from dispatcher.domain.sla_config import SlaConfigError

    try:
        config = parse_sla_config(text)
    except SlaConfigError as exc:
        fail(f"{file}: {exc}")
    store = state(ctx).store()
    with store.write() as session:
        result = load_sla_config(session, config=config, now=utcnow())
    summary = {
        "calendars_created": result.calendars_created,
        "calendars_updated": result.calendars_updated,
        "plans_created": result.plans_created,
        "plans_updated": result.plans_updated,
        "tickets_recomputed": result.tickets_recomputed,
    }
    if as_json:
        print_json(summary)
    elif not result.changed:
        echo(f"{file}: nothing to change")
    else:
        echo(
            f"{file}: calendars {result.calendars_created} new, {result.calendars_updated} "
            f"changed; plans {result.plans_created} new, {result.plans_updated} changed; "
            f"{result.tickets_recomputed} open tickets recomputed"
        )


@sla_app.command("list")
def list_plans(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """SLA plans with their calendar and targets (business minutes)."""
    set_db(ctx, db)
    from dispatcher.store.sla.plans import list_plans as plans_of

    with state(ctx).store().read() as session:
        views = plans_of(session)
    data: list[dict[str, Any]] = [
        {
            "name": view.plan.name,
            "calendar": view.calendar,
            "default": view.plan.is_default,
            "confirm_window_minutes": view.plan.confirm_window_minutes,
            "targets": {
                t.priority.value: {
                    "first_response": t.first_response_minutes,
                    "resolution": t.resolution_minutes,
                    "update": t.update_minutes,
                    "warn_before": t.warn_before_minutes,
                }
                for t in view.targets
            },
        }
        for view in views
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        ["plan", "calendar", "default", "targets (first response / resolution)"],
        [
            [
                d["name"],
                d["calendar"],
                "yes" if d["default"] else "",
                ", ".join(
                    f"{p}: {v['first_response']}m/{v['resolution']}m"
                    for p, v in d["targets"].items()
                ),
            ]
            for d in data
        ],
    )


@sla_app.command("due")
def due(
    ctx: typer.Context,
    plan: Annotated[str, typer.Option("--plan", help="Plan name")],
    priority: Annotated[Priority, typer.Option("--priority", help="Ticket priority")],
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help=f"When the ticket is created ({TIME_HELP}, the plan's calendar time; "
            "default: now)",
        ),
    ] = "",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Deadlines for a ticket created at that instant under that plan."""
    set_db(ctx, db)
    from dispatcher.store.sla import clock as sla_clock
    from dispatcher.store.sla.plans import get_plan

    store = state(ctx).store()
    with store.read() as session:
        row = get_plan(session, name=plan)
        calendar = sla_clock.calendar_of_plan(session, plan=row)
        budgets = sla_clock.budgets_for(session, plan_id=row.id or 0, priority=priority)
    if budgets is None or budgets.first_response is None or budgets.resolution is None:
        fail(f"plan {plan!r} sets no targets for {priority.value} priority")
    created = parse_instant(at, option="--at", zone=calendar.zone) if at else utcnow()
    first = calendar.add_business_minutes(created, budgets.first_response)
    resolution = calendar.add_business_minutes(created, budgets.resolution)
    result = {
        "first_response_due": first.astimezone(calendar.zone).isoformat(),
        "resolution_due": resolution.astimezone(calendar.zone).isoformat(),
    }
    if as_json:
        print_json(result)
    else:
        typer.echo(f"first response by {result['first_response_due']}")
        typer.echo(f"resolution by     {result['resolution_due']}")


@sla_app.command("explain")
def explain(
    ctx: typer.Context,
    ticket: Annotated[str, typer.Argument(help="Ticket reference, e.g. #1042")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """How the ticket's deadlines were computed: counted time, pauses, skipped days."""
    set_db(ctx, db)
    from dispatcher.store.sla.explain import explain as explain_ticket
    from dispatcher.store.tickets.writes import get_ticket, parse_ref

    store = state(ctx).store()
    with store.read() as session:
        row = get_ticket(session, ticket_id=parse_ref(ticket))
        data = explain_ticket(session, ticket=row, now=utcnow())
    if as_json:
        print_json(data)
        return
    _print_explanation(data)


def _print_explanation(data: dict[str, Any]) -> None:
    """The explanation for people; `echo` keeps names from the database inert."""
    echo(f"{data['ticket']} {data['subject']}")
    echo(f"plan {data['plan']} · priority {data['priority']} · status {data['status']}")
    if "note" in data:
        echo(data["note"])
        return
    echo(f"calendar {data['calendar']} ({data['timezone']}) · now {data['now']}")
    echo("")
    echo("clock events:")
    for event in data["events"]:
        target = f" {event['target']}" if event["target"] else ""
        reason = f" ({event['reason']})" if event["reason"] else ""
        echo(f"  {event['at']}  {event['kind']}{target}{reason}")
    echo("timeline:")
    for seg in data["segments"]:
        if seg["running"]:
            echo(f"  {seg['from']} → {seg['to']}  running, {seg['business_minutes']} min counted")
            for start, end in seg.get("counted", []):
                echo(f"      counted {start} → {end}")
            if seg.get("counted_omitted"):
                echo(f"      … {seg['counted_omitted']} more intervals")
        else:
            echo(f"  {seg['from']} → {seg['to']}  paused: {seg['paused_because']}")
    if data["skipped_days"]:
        echo("skipped days:")
        for day in data["skipped_days"]:
            echo(f"  {day['date']}  {day['reason']}")
    echo("targets:")
    for name, target in data["targets"].items():
        if target["budget_minutes"] is None:
            echo(f"  {name}: none in this plan")
            continue
        when = target["due_at"] or target["met_at"] or "—"
        echo(
            f"  {name}: {target['state']} · budget {target['budget_minutes']} min · "
            f"counted {target['elapsed_minutes']} min · {when}"
        )


@calendar_app.command("preview")
def preview(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Calendar name")],
    start: Annotated[
        str,
        typer.Option("--from", help=f"Start ({TIME_HELP}, the calendar's time; default: now)"),
    ] = "",
    hours: Annotated[float, typer.Option("--hours", min=0.25, max=10_000)] = 24.0,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The next N business hours of a calendar, as intervals in its local time."""
    set_db(ctx, db)
    from dispatcher.store.sla import clock as sla_clock
    from dispatcher.store.sla.plans import get_calendar

    store = state(ctx).store()
    with store.read() as session:
        calendar = sla_clock.business_calendar(get_calendar(session, name=name))
    begin = parse_instant(start, option="--from", zone=calendar.zone) if start else utcnow()
    end = calendar.add_business_time(begin, timedelta(hours=hours))
    intervals = calendar.open_intervals(begin, end)
    closures = calendar.closures(begin, end)
    if as_json:
        print_json(
            {
                "calendar": name,
                "intervals": [[a.isoformat(), b.isoformat()] for a, b in intervals],
                "skipped_days": [{"date": c.day.isoformat(), "reason": c.reason} for c in closures],
            }
        )
        return
    for a, b in intervals:
        typer.echo(f"{a:%a %Y-%m-%d %H:%M} – {b:%H:%M %Z}  ({(b - a).total_seconds() / 3600:g} h)")
    for closure in closures:
        typer.echo(f"skipped {closure.day:%a %Y-%m-%d}: {closure.reason}")


@calendar_app.command("list")
def list_calendars(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Calendars with their time zone and holidays."""
    set_db(ctx, db)
    from dispatcher.store.sla.plans import list_calendars as calendars_of

    with state(ctx).store().read() as session:
        rows = calendars_of(session)
    data = [
        {
            "name": r.name,
            "timezone": r.timezone,
            "always_open": r.always_open,
            "country": r.country,
            "hours": r.hours,
        }
        for r in rows
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        ["calendar", "time zone", "holidays", "hours"],
        [
            [
                d["name"],
                d["timezone"],
                d["country"] or "",
                "24x7" if r.always_open else _hours(r.hours),
            ]
            for d, r in zip(data, rows, strict=True)
        ],
    )


def _hours(hours: dict[str, list[str]]) -> str:
    return "; ".join(f"{day} {' '.join(spans)}" for day, spans in hours.items() if spans)
