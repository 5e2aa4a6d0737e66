"""`dispatcher admin templates ...`: reply templates (add from a file, list, show, preview)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import (
    acting_user_id,
    fail,
    path_parser,
    print_json,
    print_table,
    sanitize,
    state,
)

if TYPE_CHECKING:
    from dispatcher.store.replies.templates import TemplateInfo

app = typer.Typer(help="Reply templates.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
NameArgument = Annotated[str, typer.Argument(help="The template's name")]
SUBJECT_PREFIX = "subject:"


def _read(path: Path) -> tuple[str | None, str]:
    """A template file: an optional first line `Subject: ...`, then the body."""
    path = path.expanduser()
    if not path.is_file():
        fail(f"no file at {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    first, _, rest = text.partition("\n")
    if first.lower().startswith(SUBJECT_PREFIX):
        return first[len(SUBJECT_PREFIX) :].strip(), rest.lstrip("\n")
    return None, text


@app.command("add")
def add(
    ctx: typer.Context,
    name: NameArgument,
    file: Annotated[
        Path,
        typer.Option(
            "--file", "-f", help="The body (first line may be 'Subject: ...')", parser=path_parser
        ),
    ],
    subject: Annotated[str | None, typer.Option("--subject", help="The subject")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Category name")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="email, phone, ...")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a template from a file; it is tried against a sample ticket first, and one that
    fails or names an unknown placeholder is refused with the reason."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.domain.enums import Channel
    from dispatcher.store.replies import templates
    from dispatcher.store.tickets.classification import resolve_category

    file_subject, body = _read(file)
    if channel is not None and channel not in {c.value for c in Channel}:
        fail(f"channel must be one of {', '.join(c.value for c in Channel)}, not {channel!r}")
    subject = subject if subject is not None else (file_subject or "")
    templates.check_template(subject=subject, body=body)  # rendered before the write opens
    with state(ctx).store().write() as session:
        category_id = resolve_category(session, ref=category).id if category else None
        info = templates.add_template(
            session,
            name=name,
            subject=subject,
            body=body,
            category_id=category_id,
            channel=channel,
            now=utcnow(),
        )
    _done(info, "added", as_json)


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Inactive ones too")] = False,
    as_json: JsonOption = False,
) -> None:
    """Templates by name."""
    from dispatcher.store.replies import templates

    with state(ctx).store().read() as session:
        rows = templates.list_templates(session, include_inactive=all_)
    if as_json:
        print_json([_summary(t) for t in rows])
        return
    print_table(
        ["name", "subject", "category", "channel", "active", "uses"],
        [
            [
                t.name,
                t.subject,
                t.category or "",
                t.channel.value if t.channel else "",
                "yes" if t.active else "no",
                t.uses,
            ]
            for t in rows
        ],
    )


@app.command("show")
def show(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """One template with its source."""
    from dispatcher.store.replies import templates

    with state(ctx).store().read() as session:
        info = templates.get_template(session, name=name)
    if as_json:
        print_json({**_summary(info), "body": info.body})
        return
    typer.echo(sanitize(f"{info.name}\nsubject: {info.subject}\n\n{info.body}"))


@app.command("preview")
def preview(
    ctx: typer.Context,
    name: NameArgument,
    ticket: Annotated[str, typer.Option("--ticket", help="Render against this ticket (#N)")],
    login: Annotated[
        str | None, typer.Option("--as", help="The sender, for {{ sender.name }}")
    ] = None,
    article: Annotated[
        list[str] | None, typer.Option("--article", help="Slug of an article to link")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The template rendered against a ticket, exactly as it would be sent."""
    from dispatcher.domain.templating import UnknownPlaceholderError
    from dispatcher.store.knowledge import articles
    from dispatcher.store.replies import placeholders, templates
    from dispatcher.store.tickets.writes import parse_ref

    ticket_id = parse_ref(ticket)
    with state(ctx).store().read() as session:
        sender_id = acting_user_id(ctx, session, login)
        links = [
            placeholders.article_link(a.slug, a.title, kb_url=state(ctx).settings().kb_url)
            for a in (articles.get_article(session, slug=slug) for slug in article or [])
        ]
        source = templates.preview_source(
            session, name=name, ticket_id=ticket_id, sender_id=sender_id, articles=links
        )
    try:
        rendered = source.render()
    except UnknownPlaceholderError as exc:
        hint = placeholders.missing_hint(exc.names, has_sender=sender_id is not None)
        fail(f"{exc} ({hint})")
    if as_json:
        print_json({"subject": rendered.subject, "body": rendered.body})
        return
    typer.echo(sanitize(f"Subject: {rendered.subject}\n\n{rendered.body}"))


@app.command("placeholders")
def list_placeholders(as_json: JsonOption = False) -> None:
    """Every placeholder a template may use, and what it stands for."""
    from dispatcher.store.replies import placeholders

    if as_json:
        print_json([{"name": n, "means": m} for n, m in placeholders.PLACEHOLDERS])
        return
    print_table(
        ["placeholder", "means"],
        [["{{ " + n + " }}", m] for n, m in placeholders.PLACEHOLDERS],
    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: NameArgument,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A new body", parser=path_parser)
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="A new subject")] = None,
    rename: Annotated[str | None, typer.Option("--rename", help="A new name")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Offer it in the composer")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a template's body, subject, name or whether it is offered."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.replies import templates

    body = None
    if file is not None:
        file_subject, body = _read(file)
        subject = subject if subject is not None else file_subject
    if body is None and subject is None and rename is None and active is None:
        fail("nothing to change: give --file, --subject, --rename or --active/--inactive")
    templates.check_template(subject=subject, body=body)  # rendered before the write opens
    with state(ctx).store().write() as session:
        info = templates.edit_template(
            session,
            name=name,
            new_name=rename,
            body=body,
            subject=subject,
            active=active,
            now=utcnow(),
        )
    _done(info, "changed", as_json)


@app.command("remove")
def remove(ctx: typer.Context, name: NameArgument, as_json: JsonOption = False) -> None:
    """Delete a template."""
    from dispatcher.store.replies import templates

    with state(ctx).store().write() as session:
        info = templates.remove_template(session, name=name)
    _done(info, "removed", as_json)


def _done(info: TemplateInfo, what: str, as_json: bool) -> None:
    if as_json:
        print_json(_summary(info))
    else:
        typer.echo(sanitize(f"template {info.name!r} {what}"))


def _summary(info: TemplateInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "subject": info.subject,
        "category": info.category,
        "channel": info.channel.value if info.channel else None,
        "active": info.active,
        "uses": info.uses,
        "updated_at": info.updated_at.isoformat(),
    }
