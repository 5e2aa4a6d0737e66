"""`dispatcher admin users shifts|leave ...`: weekly shifts and leave, what routing checks
before it gives anyone work."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import (
    TIME_HELP,
    echo,
    id_parser,
    parse_instant,
    print_json,
    print_table,
    state,
    today,
)
from dispatcher.domain.clock import utcnow

if TYPE_CHECKING:
    from dispatcher.store.models import Leave, WorkShift

shifts_app = typer.Typer(
    help="Weekly work shifts, in the user's time zone (who is on shift now).", no_args_is_help=True
)
leave_app = typer.Typer(help="Leave: days a user is away and gets no work.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
Login = Annotated[str, typer.Argument(help="The user's login (or id)")]


def shift_json(shift: WorkShift) -> dict[str, Any]:
    from dispatcher.domain.shifts import describe_shift

    # A shift ending at midnight reads 24:00 and is not overnight; 00:00-24:00 is a day.
    to_midnight = shift.ends == time(0)
    return {
        "weekday": shift.weekday,
        "starts": shift.starts.strftime("%H:%M"),
        "ends": "24:00" if to_midnight else shift.ends.strftime("%H:%M"),
        "overnight": shift.ends < shift.starts and not to_midnight,
        "text": describe_shift(shift),
    }


def leave_json(leave: Leave, login: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": leave.id,
        "starts_on": leave.starts_on,
        "ends_on": leave.ends_on,
        "reason": leave.reason,
    }
    if login is not None:
        data["login"] = login
    return data


# --- shifts ---------------------------------------------------------------------------


@shifts_app.command("set")
def shifts_set(
    ctx: typer.Context,
    login: Login,
    specs: Annotated[
        list[str],
        typer.Argument(
            help="Shifts like 'mon-fri 09:00-18:00', 'sat 10:00-14:00', 'sun 22:00-06:00'"
        ),
    ],
) -> None:
    """Replace a user's weekly schedule."""
    from dispatcher.store.people import schedules, users

    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        rows = schedules.set_shifts(session, user_id=user.id or 0, specs=specs)
    echo(f"{user.login} now has {len(rows)} shift(s) a week ({user.timezone})")


@shifts_app.command("list")
def shifts_list(ctx: typer.Context, login: Login, as_json: Json = False) -> None:
    """Show a user's weekly schedule."""
    from dispatcher.store.people import schedules, users

    with state(ctx).store().read() as session:
        user = users.resolve_user(session, ref=login)
        shifts = schedules.list_shifts(session, user_id=user.id or 0)
    if as_json:
        print_json([shift_json(s) for s in shifts])
        return
    print_table(
        ["day", "starts", "ends", "overnight"],
        [
            [row["text"].split()[0], row["starts"], row["ends"], "yes" if row["overnight"] else ""]
            for row in map(shift_json, shifts)
        ],
        title=f"{user.login} ({user.timezone})",
    )


@shifts_app.command("clear")
def shifts_clear(ctx: typer.Context, login: Login) -> None:
    """Remove all of a user's shifts."""
    from dispatcher.store.people import schedules, users

    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        count = schedules.clear_shifts(session, user_id=user.id or 0)
    echo(f"removed {count} shift(s) of {user.login}")


@shifts_app.command("check")
def shifts_check(
    ctx: typer.Context,
    login: Login,
    at: Annotated[
        str | None,
        typer.Option("--at", help=f"When ({TIME_HELP}, the user's local time; default: now)"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Whether a user is on shift and not on leave at an instant (what routing uses)."""
    from dispatcher.domain.shifts import zone
    from dispatcher.store.people import schedules, users

    with state(ctx).store().read() as session:
        user = users.resolve_user(session, ref=login)
        instant = (
            utcnow() if at is None else parse_instant(at, option="--at", zone=zone(user.timezone))
        )
        result = schedules.availability(session, user_id=user.id or 0, at=instant)
    available = result.available and user.active
    text = result.describe() if user.active else "deactivated"
    if as_json:
        print_json(
            {
                "login": user.login,
                "at": instant,
                "on_shift": result.on_shift,
                "on_leave": result.on_leave,
                "active": user.active,
                "available": available,
            }
        )
        return
    local = instant.astimezone(zone(user.timezone))
    echo(f"{user.login} at {local:%a %Y-%m-%d %H:%M} {user.timezone}: {text}")


# --- leave ----------------------------------------------------------------------------


@leave_app.command("add")
def leave_add(
    ctx: typer.Context,
    login: Login,
    starts: Annotated[str, typer.Option("--from", help="First day away, YYYY-MM-DD")],
    ends: Annotated[
        str | None, typer.Option("--to", help="Last day away, YYYY-MM-DD (default: --from)")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Vacation, sick leave, ...")] = "",
) -> None:
    """Add leave for a user (both days included)."""
    from dispatcher.domain.shifts import parse_date
    from dispatcher.store.people import schedules, users

    first = parse_date(starts)
    last = parse_date(ends) if ends is not None else first
    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        leave = schedules.add_leave(
            session, user_id=user.id or 0, starts_on=first, ends_on=last, reason=reason
        )
    echo(f"added leave {leave.id}: {user.login} away {first} to {last}")


@leave_app.command("list")
def leave_list(
    ctx: typer.Context,
    login: Annotated[str | None, typer.Argument(help="Only this user's leave")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include past leave")] = False,
    as_json: Json = False,
) -> None:
    """List current and upcoming leave (all of it with --all)."""
    from dispatcher.store.people import schedules, users

    with state(ctx).store().read() as session:
        user_id = users.resolve_user(session, ref=login).id if login is not None else None
        logins = {u.id: u.login for u in users.list_users(session, include_inactive=True)}
        rows = schedules.list_leave(
            session, user_id=user_id, ending_on_or_after=None if all_ else today()
        )
    if as_json:
        print_json([leave_json(x, logins.get(x.user_id, "?")) for x in rows])
        return
    print_table(
        ["id", "login", "from", "to", "reason"],
        [[x.id, logins.get(x.user_id, "?"), x.starts_on, x.ends_on, x.reason] for x in rows],
    )


@leave_app.command("remove")
def leave_remove(
    ctx: typer.Context,
    leave_id: Annotated[
        int, typer.Argument(help="The leave's id (see 'leave list')", parser=id_parser)
    ],
) -> None:
    """Remove a leave entry."""
    from dispatcher.store.people import schedules

    with state(ctx).store().write() as session:
        leave = schedules.remove_leave(session, leave_id=leave_id)
    echo(f"removed leave {leave.id} ({leave.starts_on} to {leave.ends_on})")
