"""`dispatcher kb search`, answered before the rest of the command line interface loads.

Searching the knowledge base from the shell is a short process whose time is nearly all
start-up: Typer with every subcommand, then SQLAlchemy and the models, cost most of a
second before the search's few milliseconds. `answer` takes the plain form of the command
(`dispatcher [--db URL] kb search WORDS [--limit N] [--visibility V] [--tag T]
[--whole-words] [--json]`, with the database given by `--db` or `DISPATCHER_DATABASE_URL`),
searches over the driver alone (`dispatcher.store.knowledge.plain_db`) and prints what the
ordinary command prints (`print_hits` is shared). Anything else (help, a mistake, a database
it cannot vouch for, the database named only in the config file) it leaves to the ordinary
command, which then loads everything and says what is wrong.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

    from dispatcher.store.knowledge.ranking import SearchHit

DATABASE_ENV = "DISPATCHER_DATABASE_URL"
_VALUED = {"--db", "--as", "--limit", "--visibility", "--tag"}
_FLAGS = {"--whole-words", "--json"}
_SEARCH_ONLY = {"--limit", "--visibility", "--tag", "--whole-words", "--json"}
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Request:
    """One `kb search` as typed: what to look for, where, and how to print it."""

    database: str
    query: str
    limit: int = 10
    visibility: str | None = None
    tag: str | None = None
    whole_words: bool = False
    as_json: bool = False


def parse(args: Sequence[str], environ: dict[str, str] | None = None) -> Request | None:
    """The request, when the arguments are the plain form of `kb search`; else None."""
    values: dict[str, str] = {}
    flags: set[str] = set()
    words: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            words.extend(args[i + 1 :])
            break
        name, eq, value = arg.partition("=")
        if name in _SEARCH_ONLY and words[:2] != ["kb", "search"]:
            return None  # an option of `kb search` before the command: the ordinary one
        if name in _VALUED:
            if not eq:
                if i + 1 >= len(args):
                    return None
                value = args[i + 1]
                i += 1
            if name in values:
                return None
            values[name] = value
        elif arg in _FLAGS:
            flags.add(arg)
        elif arg.startswith("-") and arg != "-":
            return None  # --help, --version, an unknown option: the ordinary command
        else:
            words.append(arg)
        i += 1
    if words[:2] != ["kb", "search"] or len(words) != 3 or not words[2].strip():
        return None
    env = os.environ if environ is None else environ
    database = values.get("--db") or env.get(DATABASE_ENV)
    if not database:
        return None
    limit = values.get("--limit", "10")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        return None
    visibility = values.get("--visibility")
    if visibility is not None and visibility.strip().lower() not in {"internal", "public"}:
        return None
    return Request(
        database=database,
        query=words[2],
        limit=int(limit),
        visibility=None if visibility is None else visibility.strip().lower(),
        tag=values.get("--tag"),
        whole_words="--whole-words" in flags,
        as_json="--json" in flags,
    )


def answer(args: Sequence[str]) -> bool:
    """Run `kb search` the quick way; False when the ordinary command must do it."""
    request = parse(args)
    if request is None:
        return False
    from dispatcher.domain.enums import ArticleStatus, Visibility
    from dispatcher.domain.search_text import parse_query
    from dispatcher.store.knowledge import plain_db
    from dispatcher.store.knowledge.ranking import Filters, rank

    db = plain_db.open_plain(request.database)
    if db is None:
        return False
    try:
        hits = rank(
            db,
            parsed=parse_query(request.query, typing=not request.whole_words),
            limit=request.limit,
            filters=Filters.of(
                statuses=(ArticleStatus.published,),
                visibility=None if request.visibility is None else Visibility(request.visibility),
                tag=request.tag,
                reader_groups=None,
            ),
        )
    except Exception:  # a locked or damaged database: the ordinary command reports it
        return False
    finally:
        db.close()
    print_hits(hits, as_json=request.as_json)
    return True


def print_hits(hits: Sequence[SearchHit], *, as_json: bool) -> None:
    """The found articles as `kb search` prints them: JSON, or ranked lines with snippets."""
    if as_json:
        rows = [
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
                "respelled": dict(hit.respelled),
            }
            for rank, hit in enumerate(hits, start=1)
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not hits:
        sys.stdout.write("no articles found\n")
        return
    from rich.console import Console
    from rich.text import Text

    from dispatcher.domain.search_text import respelled_text
    from dispatcher.text import plain

    console = Console(highlight=False)
    if hits[0].respelled:
        console.print(Text(plain(f"searched as: {respelled_text(hits[0].respelled)}"), "italic"))
    for rank, hit in enumerate(hits, start=1):
        title = Text(f"{rank}. ")
        title.append(Text(plain(hit.title), style="bold"))
        title.append(f"  [{hit.slug}, {hit.visibility.value}, score {hit.score:.3f}]", "dim")
        console.print(title)
        console.print(Text("   ") + highlighted(hit.snippet, hit.highlights))


def highlighted(text: str, spans: tuple[tuple[int, int], ...]) -> Text:
    """The text with its spans in reverse video; each piece sanitized on its own."""
    from rich.text import Text

    from dispatcher.text import plain

    result = Text()
    at = 0
    for start, end in spans:
        result.append(plain(text[at:start]))
        result.append(plain(text[start:end]), "reverse")
        at = end
    result.append(plain(text[at:]))
    return result
