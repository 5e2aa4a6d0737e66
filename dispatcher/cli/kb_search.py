"""`dispatcher kb ...`: the knowledge base for everyone (search)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dispatcher.cli._common import DbOption, fail, print_json, sanitize, set_db, state

if TYPE_CHECKING:
    from rich.text import Text

app = typer.Typer(help="Search the knowledge base.", no_args_is_help=True)


@app.callback()
def kb(ctx: typer.Context, db: DbOption = None) -> None:
    set_db(ctx, db)


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words to look for (any language, any form)")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="At most this many")] = 10,
    visibility: Annotated[
        str | None, typer.Option("--visibility", help="Only internal or only public articles")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only articles with this tag")] = None,
    whole_words: Annotated[
        bool,
        typer.Option("--whole-words", help="The last word is a whole word, not the start of one"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Articles ranked by relevance, as the console's KB screen ranks them.

    As in the console, the last word also matches the words it begins ("vpn tok" finds
    "token"), unless --whole-words.
    """
    from dispatcher.domain.enums import Visibility
    from dispatcher.store.knowledge import search

    wanted = None
    if visibility is not None:
        try:
            wanted = Visibility(visibility.strip().lower())
        except ValueError:
            fail(f"visibility must be internal or public, not {visibility!r}")
    if not query.strip():
        fail("give some words to search for")
    with state(ctx).store().read() as session:
        hits = search.search(
            session,
            query=query,
            limit=limit,
            typing=not whole_words,
            visibility=wanted,
            tag=tag,
        )
    if as_json:
        print_json(
            [
                {
                    "rank": rank,
                    "slug": hit.slug,
                    "title": hit.title,
                    "score": hit.score,
                    "snippet": hit.snippet,
                    "highlights": [list(span) for span in hit.highlights],
                    "visibility": hit.visibility.value,
                    "tags": list(hit.tags),
                    "uses": hit.uses,
                    "helpful_votes": hit.helpful_votes,
                }
                for rank, hit in enumerate(hits, start=1)
            ]
        )
        return
    if not hits:
        typer.echo("no articles found")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    for rank, hit in enumerate(hits, start=1):
        title = Text(f"{rank}. ")
        title.append(Text(sanitize(hit.title), style="bold"))
        title.append(f"  [{hit.slug}, {hit.visibility.value}, score {hit.score:.3f}]", "dim")
        console.print(title)
        console.print(Text("   ") + _highlighted(hit.snippet, hit.highlights))


def _highlighted(text: str, spans: tuple[tuple[int, int], ...]) -> Text:
    """The text with its spans in reverse video; each piece sanitized on its own."""
    from rich.text import Text

    result = Text()
    at = 0
    for start, end in spans:
        result.append(sanitize(text[at:start]))
        result.append(sanitize(text[start:end]), "reverse")
        at = end
    result.append(sanitize(text[at:]))
    return result
