"""`dispatcher admin queues|categories ...`"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatcher.cli._common import fail, print_json, print_table, sanitize, state
from dispatcher.domain.enums import Priority

if TYPE_CHECKING:
    from dispatcher.store.models import Category, Queue

queues_app = typer.Typer(help="Queues tickets are worked in.", no_args_is_help=True)
categories_app = typer.Typer(
    help="Ticket categories and the competence each needs.", no_args_is_help=True
)

PRIORITIES = ", ".join(p.value for p in Priority)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
QueueRef = Annotated[str, typer.Argument(help="The queue's name (or id)")]
CategoryRef = Annotated[str, typer.Argument(help="The category's name (or id)")]


def echo(text: str) -> None:
    typer.echo(sanitize(text))


# --- queues ---------------------------------------------------------------------------


def _queue_json(queue: Queue, categories: list[str]) -> dict[str, Any]:
    return {
        "id": queue.id,
        "name": queue.name,
        "description": queue.description,
        "categories": categories,
    }


@queues_app.command("add")
def queue_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Queue name, e.g. Support")],
    description: Annotated[str, typer.Option("--description", help="What goes here")] = "",
) -> None:
    """Add a queue."""
    from dispatcher.store.tickets import classification

    with state(ctx).store().write() as session:
        queue = classification.add_queue(session, name=name, description=description)
    echo(f"added queue {queue.name} (id {queue.id})")


@queues_app.command("list")
def queue_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List queues with their categories."""
    from dispatcher.store.tickets import classification

    with state(ctx).store().read() as session:
        queues = classification.list_queues(session)
        categories: dict[int | None, list[str]] = {}
        for category in classification.list_categories(session):
            categories.setdefault(category.queue_id, []).append(category.name)
    if as_json:
        print_json([_queue_json(q, categories.get(q.id, [])) for q in queues])
        return
    print_table(
        ["id", "name", "description", "categories"],
        [[q.id, q.name, q.description, ", ".join(categories.get(q.id, []))] for q in queues],
    )


@queues_app.command("edit")
def queue_edit(
    ctx: typer.Context,
    queue: QueueRef,
    name: Annotated[str | None, typer.Option("--name", help="New name")] = None,
    description: Annotated[str | None, typer.Option("--description", help="New text")] = None,
) -> None:
    """Rename a queue or change its description."""
    from dispatcher.store.tickets import classification

    changes = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
    if not changes:
        fail("nothing to change: give --name or --description")
    with state(ctx).store().write() as session:
        found = classification.resolve_queue(session, ref=queue)
        old_name = found.name
        classification.edit_queue(session, queue_id=found.id or 0, **changes)
    echo(f"changed queue {old_name}: {', '.join(changes)}")


@queues_app.command("remove")
def queue_remove(ctx: typer.Context, queue: QueueRef) -> None:
    """Remove a queue no ticket or category uses."""
    from dispatcher.store.tickets import classification

    with state(ctx).store().write() as session:
        found = classification.resolve_queue(session, ref=queue)
        classification.remove_queue(session, queue_id=found.id or 0)
    echo(f"removed queue {found.name}")


# --- categories -----------------------------------------------------------------------


def _category_json(category: Category, queues: dict[int, str], codes: dict[int, str]) -> Any:
    return {
        "id": category.id,
        "name": category.name,
        "queue": queues.get(category.queue_id or 0),
        "competence": codes.get(category.competence_id or 0),
        "default_priority": category.default_priority,
    }


@categories_app.command("add")
def category_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Category name, e.g. Network")],
    queue: Annotated[str, typer.Option("--queue", help="Queue its tickets go to (name or id)")],
    competence: Annotated[
        str | None,
        typer.Option("--competence", help="Competence an engineer needs (code); none: anyone"),
    ] = None,
    priority: Annotated[
        str | None, typer.Option("--priority", help=f"Default priority: {PRIORITIES}")
    ] = None,
) -> None:
    """Add a category."""
    from dispatcher.store.people import competences
    from dispatcher.store.tickets import classification

    with state(ctx).store().write() as session:
        found_queue = classification.resolve_queue(session, ref=queue)
        competence_id = (
            competences.resolve_competence(session, ref=competence).id
            if competence is not None
            else None
        )
        category = classification.add_category(
            session,
            name=name,
            queue_id=found_queue.id or 0,
            competence_id=competence_id,
            default_priority=priority,
        )
    echo(f"added category {category.name} (id {category.id}) in queue {found_queue.name}")


@categories_app.command("list")
def category_list(
    ctx: typer.Context,
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue's")] = None,
    as_json: Json = False,
) -> None:
    """List categories."""
    from dispatcher.store.people import competences
    from dispatcher.store.tickets import classification

    with state(ctx).store().read() as session:
        queue_id = (
            classification.resolve_queue(session, ref=queue).id if queue is not None else None
        )
        categories = classification.list_categories(session, queue_id=queue_id)
        queues = {q.id or 0: q.name for q in classification.list_queues(session)}
        codes = {c.id or 0: c.code for c in competences.list_competences(session)}
    rows = [_category_json(c, queues, codes) for c in categories]
    if as_json:
        print_json(rows)
        return
    print_table(
        ["id", "name", "queue", "competence", "default priority"],
        [
            [r["id"], r["name"], r["queue"], r["competence"] or "-", r["default_priority"] or "-"]
            for r in rows
        ],
    )


@categories_app.command("edit")
def category_edit(
    ctx: typer.Context,
    category: CategoryRef,
    name: Annotated[str | None, typer.Option("--name", help="New name")] = None,
    queue: Annotated[str | None, typer.Option("--queue", help="New queue (name or id)")] = None,
    competence: Annotated[
        str | None, typer.Option("--competence", help="New competence needed (code)")
    ] = None,
    no_competence: Annotated[
        bool, typer.Option("--no-competence", help="Anyone may take it")
    ] = False,
    priority: Annotated[
        str | None, typer.Option("--priority", help=f"New default priority: {PRIORITIES}")
    ] = None,
    no_priority: Annotated[bool, typer.Option("--no-priority", help="No default priority")] = False,
) -> None:
    """Change a category's name, queue, competence or default priority."""
    from dispatcher.store.people import competences
    from dispatcher.store.tickets import classification

    if competence is not None and no_competence:
        fail("give --competence or --no-competence, not both")
    if priority is not None and no_priority:
        fail("give --priority or --no-priority, not both")
    with state(ctx).store().write() as session:
        found = classification.resolve_category(session, ref=category)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if queue is not None:
            changes["queue_id"] = classification.resolve_queue(session, ref=queue).id
        if competence is not None:
            changes["competence_id"] = competences.resolve_competence(session, ref=competence).id
        if no_competence:
            changes["competence_id"] = None
        if priority is not None or no_priority:
            changes["default_priority"] = priority
        if not changes:
            fail("nothing to change: give --name, --queue, --competence or --priority")
        old_name = found.name
        classification.edit_category(session, category_id=found.id or 0, **changes)
    echo(f"changed category {old_name}: {', '.join(changes)}")


@categories_app.command("remove")
def category_remove(ctx: typer.Context, category: CategoryRef) -> None:
    """Remove a category no ticket or template uses."""
    from dispatcher.store.tickets import classification

    with state(ctx).store().write() as session:
        found = classification.resolve_category(session, ref=category)
        classification.remove_category(session, category_id=found.id or 0)
    echo(f"removed category {found.name}")
