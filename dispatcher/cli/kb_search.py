"""`dispatcher kb ...`: the knowledge base for everyone (search).

The plain form of `kb search` is answered before this module loads
(`dispatcher.kb_search_quick`); this is the command for everything else (help, mistakes,
the database named in the config file), and prints the same.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dispatcher.cli._common import DbOption, fail, set_db, state
from dispatcher.kb_search_quick import print_hits

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
    print_hits(hits, as_json=as_json)
