"""`dispatcher admin users ...`: the team and their competences (shifts and leave: schedules)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.admin_quick import print_users, user_json
from dispatcher.cli._common import echo, fail, print_json, print_table, state, today
from dispatcher.cli.schedules import leave_app, leave_json, shift_json, shifts_app
from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import Role

if TYPE_CHECKING:
    from dispatcher.store.models import Competence

app = typer.Typer(
    help="Users of the console: dispatchers, engineers, leads, admins.", no_args_is_help=True
)
competences_app = typer.Typer(
    help="Competences (skills) categories require; give them to users.", no_args_is_help=True
)
app.add_typer(competences_app, name="competences")
app.add_typer(shifts_app, name="shifts")
app.add_typer(leave_app, name="leave")

ROLES = ", ".join(r.value for r in Role)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
Login = Annotated[str, typer.Argument(help="The user's login (or id)")]


def _competence_json(competence: Competence) -> dict[str, Any]:
    return {"id": competence.id, "code": competence.code, "name": competence.name}


# --- users ----------------------------------------------------------------------------


@app.command("add")
def add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="Login, e.g. ivan (letters, digits, . _ -)")],
    name: Annotated[str, typer.Option("--name", help="Full name")],
    email: Annotated[str | None, typer.Option("--email", help="Email address")] = None,
    role: Annotated[str, typer.Option("--role", help=f"One of: {ROLES}")] = "dispatcher",
    timezone: Annotated[
        str, typer.Option("--timezone", "--tz", help="IANA time zone, e.g. Europe/Moscow")
    ] = "UTC",
    competence: Annotated[
        list[str] | None, typer.Option("--competence", help="Competence code (repeatable)")
    ] = None,
) -> None:
    """Add a user."""
    from dispatcher.store.people import competences, users

    with state(ctx).store().write() as session:
        user = users.add_user(
            session, login=login, name=name, email=email, role=role, timezone=timezone
        )
        for code in competence or []:
            found = competences.resolve_competence(session, ref=code)
            competences.grant_competence(session, user_id=user.id or 0, competence_id=found.id or 0)
    echo(f"added user {user.login} ({user.role}, id {user.id})")


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include deactivated users")] = False,
    role: Annotated[str | None, typer.Option("--role", help=f"Only this role: {ROLES}")] = None,
    as_json: Json = False,
) -> None:
    """List users (active ones unless --all)."""
    # Its plain form is answered before the CLI loads (`dispatcher.admin_quick`), which
    # prints through the same `print_users`.
    from dispatcher.store.people import competences, users

    with state(ctx).store().read() as session:
        found = users.list_users(session, include_inactive=all_, role=role)
        skills = competences.competences_by_user(session)
    print_users(found, skills, as_json=as_json)


@app.command("show")
def show(ctx: typer.Context, login: Login, as_json: Json = False) -> None:
    """Show a user with competences, shifts, upcoming leave and whether they are on shift now."""
    from dispatcher.domain.shifts import describe_shift
    from dispatcher.store.people import competences, schedules, users

    now = utcnow()
    with state(ctx).store().read() as session:
        user = users.resolve_user(session, ref=login)
        uid = user.id or 0
        granted = competences.user_competences(session, user_id=uid)
        shifts = schedules.list_shifts(session, user_id=uid)
        leave = schedules.list_leave(session, user_id=uid, ending_on_or_after=today())
        now_state = schedules.availability(session, user_id=uid, at=now)
        open_tickets = users.open_tickets_assigned(session, user_id=uid)
    if as_json:
        data = user_json(user, [c.code for c in granted])
        data |= {
            "shifts": [shift_json(s) for s in shifts],
            "leave": [leave_json(x) for x in leave],
            "now": now_state.describe() if user.active else "deactivated",
            "open_tickets": open_tickets,
        }
        print_json(data)
        return
    print_table(
        ["field", "value"],
        [
            ["login", user.login],
            ["id", user.id],
            ["name", user.name],
            ["role", user.role],
            ["email", user.email],
            ["time zone", user.timezone],
            ["active", "yes" if user.active else "no"],
            ["competences", ", ".join(c.code for c in granted) or "-"],
            ["shifts", "; ".join(describe_shift(s) for s in shifts) or "-"],
            [
                "leave",
                "; ".join(f"{x.starts_on} to {x.ends_on} {x.reason}".strip() for x in leave) or "-",
            ],
            ["now", now_state.describe() if user.active else "deactivated"],
            ["open tickets", open_tickets],
        ],
        title=f"user {user.login}",
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    login: Login,
    name: Annotated[str | None, typer.Option("--name", help="New full name")] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="New email address ('' clears it)")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help=f"New role: {ROLES}")] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", "--tz", help="New IANA time zone")
    ] = None,
) -> None:
    """Change a user's name, email, role or time zone."""
    from dispatcher.store.people import users

    changes: dict[str, Any] = {
        key: value
        for key, value in (("name", name), ("email", email), ("role", role), ("timezone", timezone))
        if value is not None
    }
    if not changes:
        fail("nothing to change: give --name, --email, --role or --timezone")
    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        users.edit_user(session, user_id=user.id or 0, **changes)
    echo(f"changed user {user.login}: {', '.join(changes)}")


@app.command("deactivate")
def deactivate(ctx: typer.Context, login: Login) -> None:
    """Deactivate a user: no more work for them; their history stays."""
    from dispatcher.store.people import users

    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        users.deactivate_user(session, user_id=user.id or 0)
        open_tickets = users.open_tickets_assigned(session, user_id=user.id or 0)
    echo(f"deactivated user {user.login}")
    if open_tickets:
        echo(f"note: {open_tickets} open ticket(s) are still assigned to {user.login}")


@app.command("activate")
def activate(ctx: typer.Context, login: Login) -> None:
    """Bring a deactivated user back."""
    from dispatcher.store.people import users

    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        users.activate_user(session, user_id=user.id or 0)
    echo(f"activated user {user.login}")


@app.command("remove")
def remove(ctx: typer.Context, login: Login) -> None:
    """Delete a user added by mistake; anyone with history can only be deactivated."""
    from dispatcher.store.people import users

    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        users.remove_user(session, user_id=user.id or 0)
    echo(f"removed user {user.login}")


# --- competences ----------------------------------------------------------------------

Code = Annotated[str, typer.Argument(help="Competence code, e.g. network")]


@competences_app.command("add")
def competence_add(
    ctx: typer.Context,
    code: Code,
    name: Annotated[str | None, typer.Option("--name", help="Readable name")] = None,
) -> None:
    """Add a competence."""
    from dispatcher.store.people import competences

    with state(ctx).store().write() as session:
        competence = competences.add_competence(session, code=code, name=name)
    echo(f"added competence {competence.code} (id {competence.id})")


@competences_app.command("list")
def competence_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List competences and who has each."""
    from dispatcher.store.people import competences, users

    with state(ctx).store().read() as session:
        granted = competences.list_competences(session)
        logins = {u.id: u.login for u in users.list_users(session, include_inactive=True)}
        holders: dict[str, list[str]] = {}
        for user_id, codes in competences.competences_by_user(session).items():
            for code in codes:
                holders.setdefault(code, []).append(logins.get(user_id, "?"))
    if as_json:
        print_json(
            [_competence_json(c) | {"users": sorted(holders.get(c.code, []))} for c in granted]
        )
        return
    print_table(
        ["code", "name", "users"],
        [[c.code, c.name, ", ".join(sorted(holders.get(c.code, [])))] for c in granted],
    )


@competences_app.command("edit")
def competence_edit(
    ctx: typer.Context,
    code: Code,
    name: Annotated[str, typer.Option("--name", help="New readable name")],
) -> None:
    """Rename a competence (its code stays)."""
    from dispatcher.store.people import competences

    with state(ctx).store().write() as session:
        competence = competences.resolve_competence(session, ref=code)
        competences.edit_competence(session, competence_id=competence.id or 0, name=name)
    echo(f"changed competence {competence.code}")


@competences_app.command("remove")
def competence_remove(ctx: typer.Context, code: Code) -> None:
    """Remove a competence no category needs (users who have it lose it)."""
    from dispatcher.store.people import competences

    with state(ctx).store().write() as session:
        competence = competences.resolve_competence(session, ref=code)
        taken = competences.remove_competence(session, competence_id=competence.id or 0)
    echo(f"removed competence {competence.code}" + (f" (from {taken} user(s))" if taken else ""))


@competences_app.command("grant")
def competence_grant(
    ctx: typer.Context,
    login: Login,
    codes: Annotated[list[str], typer.Argument(help="Competence codes to give")],
) -> None:
    """Give a user one or more competences."""
    from dispatcher.store.people import competences, users

    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        for code in codes:
            competence = competences.resolve_competence(session, ref=code)
            competences.grant_competence(
                session, user_id=user.id or 0, competence_id=competence.id or 0
            )
    echo(f"{user.login} now has {', '.join(codes)}")


@competences_app.command("revoke")
def competence_revoke(
    ctx: typer.Context,
    login: Login,
    codes: Annotated[list[str], typer.Argument(help="Competence codes to take away")],
) -> None:
    """Take one or more competences from a user."""
    from dispatcher.store.people import competences, users

    with state(ctx).store().write() as session:
        user = users.resolve_user(session, ref=login)
        for code in codes:
            competence = competences.resolve_competence(session, ref=code)
            competences.revoke_competence(
                session, user_id=user.id or 0, competence_id=competence.id or 0
            )
    echo(f"{user.login} no longer has {', '.join(codes)}")
