"""`dispatcher admin kb ...`: import a folder of Markdown articles, list them, show one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dispatcher.cli._common import (
    acting_user_id,
    path_parser,
    print_json,
    print_table,
    progress,
    sanitize,
    state,
)

app = typer.Typer(help="The knowledge base.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


@app.command("import")
def import_(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(help="Folder of Markdown files (searched recursively)", parser=path_parser),
    ],
    login: Annotated[str | None, typer.Option("--as", help="Author of new articles")] = None,
    as_json: JsonOption = False,
) -> None:
    """Import every *.md under FOLDER; re-importing updates articles by slug.

    A file that cannot be read is reported with its reason and the rest still import; the
    exit code is then 2.
    """
    from dispatcher.domain.clock import utcnow
    from dispatcher.store.knowledge import articles

    store = state(ctx).store()
    with store.read() as session:
        author_id = acting_user_id(ctx, session, login)
    folder = folder.expanduser()
    total = len(articles.markdown_files(folder))
    with progress("importing articles", total=total) as bar:
        task = bar.task_ids[0]

        def step(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        report = articles.import_folder(
            store, folder=folder, author_id=author_id, now=utcnow(), on_progress=step
        )
    for name, reason in report.failed:
        typer.echo(f"error: {sanitize(name)}: {sanitize(' '.join(reason.split()))}", err=True)
    if as_json:
        print_json(
            {**report.counts(), "errors": [{"file": n, "reason": r} for n, r in report.failed]}
        )
    else:
        counts = report.counts()
        typer.echo(", ".join(f"{value} {key}" for key, value in counts.items()))
    if report.failed:
        raise typer.Exit(2)


@app.command("list")
def list_(
    ctx: typer.Context,
    visibility: Annotated[
        str | None, typer.Option("--visibility", help="internal or public")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only articles with this tag")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, max=10_000, help="At most this many")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Articles by slug."""
    from dispatcher.cli._common import fail
    from dispatcher.domain.enums import Visibility
    from dispatcher.store.knowledge import articles

    wanted = None
    if visibility is not None:
        try:
            wanted = Visibility(visibility.lower())
        except ValueError:
            fail(f"visibility must be internal or public, not {visibility!r}")
    with state(ctx).store().read() as session:
        found = articles.list_articles(session, visibility=wanted, tag=tag, limit=limit)
    if as_json:
        print_json([_summary(a) for a in found])
        return
    print_table(
        ["slug", "title", "visibility", "status", "tags", "groups", "version", "updated"],
        [
            [
                a.slug,
                a.title,
                a.visibility.value,
                a.status.value,
                ", ".join(a.tags),
                ", ".join(a.groups),
                a.version,
                a.updated_at.strftime("%Y-%m-%d %H:%M"),
            ]
            for a in found
        ],
    )


@app.command("show")
def show(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The article's slug")],
    as_json: JsonOption = False,
) -> None:
    """One article with its body."""
    from dispatcher.store.knowledge import articles

    with state(ctx).store().read() as session:
        article = articles.get_article(session, slug=slug)
    if as_json:
        print_json({**_summary(article), "body": article.body})
        return
    lines = [
        article.title,
        f"slug: {article.slug}  visibility: {article.visibility.value}  "
        f"status: {article.status.value}  version: {article.version}",
    ]
    if article.tags:
        lines.append(f"tags: {', '.join(article.tags)}")
    if article.groups:
        lines.append(f"groups: {', '.join(article.groups)}")
    lines += ["", article.body]
    typer.echo(sanitize("\n".join(lines)))


def _summary(article: Any) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "visibility": article.visibility.value,
        "status": article.status.value,
        "tags": list(article.tags),
        "groups": list(article.groups),
        "version": article.version,
        "uses": article.uses,
        "helpful_votes": article.helpful_votes,
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
    }
