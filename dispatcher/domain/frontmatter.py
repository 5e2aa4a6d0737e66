"""Front matter of a knowledge-base article: a small, strict YAML-ish header.

A Markdown file may start with a header between two `---` lines::

    ---
    title: Resetting the VPN token
    tags: [vpn, token]          # or: tags: vpn, token   or a block list of "- vpn" lines
    visibility: public          # internal (default) | public
    groups: [network]           # who may read it; empty: the whole team
    slug: network/vpn-token     # default: the file's path in the folder, without extension
    status: published           # draft | published (default) | archived
    ---

Only these keys are accepted, each at most once; anything else is an error that names the
file and the line. Whole-line comments (`# ...`) and blank lines are skipped; a value is
taken as written (a `#` inside a value is part of it). Values may be quoted with '...' or
"...". Without a `title:` the first `# Heading` of the body is the title. No PyYAML: the
format is deliberately this small.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from dispatcher.domain.enums import ArticleStatus, Visibility
from dispatcher.domain.errors import ValidationError

KEYS = ("title", "tags", "visibility", "groups", "slug", "status")
LIST_KEYS = frozenset({"tags", "groups"})
MAX_TITLE = 500
MAX_SLUG = 200
MAX_TAG = 64

_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(.*)$")
_ITEM_LINE = re.compile(r"^\s+-(?:\s+(.*))?$")
_SLUG = re.compile(r"^\w[\w.-]*(?:/\w[\w.-]*)*$")
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")


class FrontMatterError(ValidationError):
    """A file whose header cannot be read; the message names the file and the line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class ArticleSource:
    """An article as read from a Markdown file, validated and ready to store."""

    slug: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    visibility: Visibility = Visibility.internal
    status: ArticleStatus = ArticleStatus.published


Values = dict[str, str | list[str]]


def split_front_matter(text: str, *, source: str) -> tuple[Values, str, dict[str, int]]:
    """The raw header values, the body, and the line each key was on.

    A file that does not start with `---` has no header: all of it is the body.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text.strip("\n"), {}
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise FrontMatterError(source, 1, "the front matter opened with '---' is never closed")
    values: Values = {}
    where: dict[str, int] = {}
    block_key: str | None = None  # a list key whose items follow as "- item" lines
    for number, line in enumerate(lines[1:end], start=2):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        item = _ITEM_LINE.match(line)
        if item is not None:
            if block_key is None:
                raise FrontMatterError(source, number, "a list item without a list key above it")
            value = _scalar(item.group(1) or "", source=source, line=number)
            if not value:
                raise FrontMatterError(source, number, f"an empty item in {block_key}")
            items = values[block_key]
            assert isinstance(items, list)
            items.append(value)
            continue
        if line[:1].isspace():
            raise FrontMatterError(source, number, f"unexpected indented line: {stripped!r}")
        match = _KEY_LINE.match(line)
        if match is None:
            raise FrontMatterError(source, number, f"expected 'key: value', got {stripped!r}")
        key, raw = match.group(1), match.group(2).strip()
        if key not in KEYS:
            raise FrontMatterError(
                source, number, f"unknown key {key!r} (allowed: {', '.join(KEYS)})"
            )
        if key in values:
            raise FrontMatterError(
                source, number, f"{key} is given twice (first on line {where[key]})"
            )
        where[key] = number
        block_key = None
        if key in LIST_KEYS:
            values[key] = _list(raw, source=source, line=number)
            if not raw:
                block_key = key
        else:
            value = _scalar(raw, source=source, line=number)
            if not value:
                raise FrontMatterError(source, number, f"{key} is empty")
            values[key] = value
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return values, body, where


def parse_article(text: str, *, source: str, default_slug: str) -> ArticleSource:
    """Read one Markdown file; `source` names it in errors, `default_slug` is its path key."""
    values, body, where = split_front_matter(text, source=source)

    def scalar(key: str) -> str | None:
        value = values.get(key)
        assert value is None or isinstance(value, str)
        return value

    def items(key: str) -> list[str]:
        value = values.get(key, [])
        assert isinstance(value, list)
        return value

    title = scalar("title")
    if title is None:
        title = _first_heading(body)
        if title is None:
            raise FrontMatterError(
                source, None, "no title: add 'title:' to the front matter or a '# Heading'"
            )
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise FrontMatterError(
            source, where.get("title"), f"the title is longer than {MAX_TITLE} characters"
        )

    visibility = Visibility.internal
    if (raw := scalar("visibility")) is not None:
        try:
            visibility = Visibility(raw.lower())
        except ValueError:
            raise FrontMatterError(
                source,
                where["visibility"],
                f"visibility must be internal or public, not {raw!r}",
            ) from None

    status = ArticleStatus.published
    if (raw := scalar("status")) is not None:
        try:
            status = ArticleStatus(raw.lower())
        except ValueError:
            allowed = ", ".join(s.value for s in ArticleStatus)
            raise FrontMatterError(
                source, where["status"], f"status must be one of {allowed}, not {raw!r}"
            ) from None

    explicit = scalar("slug")
    slug = explicit if explicit is not None else "-".join(default_slug.split())
    if not valid_slug(slug):
        raise FrontMatterError(
            source,
            where.get("slug"),
            f"not a usable slug: {slug!r} (letters, digits, '.', '-', '_' and '/' between parts)",
        )

    tags: list[str] = []
    for tag in items("tags"):
        tag = " ".join(tag.split()).lower()
        if len(tag) > MAX_TAG:
            raise FrontMatterError(
                source, where["tags"], f"the tag {tag[:20]!r}... is longer than {MAX_TAG}"
            )
        if tag and tag not in tags:
            tags.append(tag)
    groups: list[str] = []
    for group in items("groups"):
        group = group.strip()
        if group and group not in groups:
            groups.append(group)

    return ArticleSource(
        slug=slug,
        title=title,
        body=body,
        tags=tuple(tags),
        groups=tuple(groups),
        visibility=visibility,
        status=status,
    )


def valid_slug(slug: str) -> bool:
    return 0 < len(slug) <= MAX_SLUG and _SLUG.match(slug) is not None


def _first_heading(body: str) -> str | None:
    for line in body.split("\n"):
        match = _HEADING.match(line.strip())
        if match:
            return match.group(1)
    return None


def _scalar(raw: str, *, source: str, line: int) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise FrontMatterError(source, line, f"a badly quoted value: {raw}") from None
        assert isinstance(value, str)
        return value
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        inner = raw[1:-1]
        if "'" in inner.replace("''", ""):
            raise FrontMatterError(source, line, f"a badly quoted value: {raw}")
        return inner.replace("''", "'")
    if raw[:1] in ("'", '"'):
        raise FrontMatterError(source, line, f"an unclosed quote: {raw}")
    return raw


def _list(raw: str, *, source: str, line: int) -> list[str]:
    """`[a, b]`, `a, b` or nothing (block items follow)."""
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise FrontMatterError(source, line, f"a list opened with '[' is not closed: {raw}")
        raw = raw[1:-1]
    elif raw.endswith("]"):
        raise FrontMatterError(source, line, f"a list closed with ']' is not opened: {raw}")
    result = []
    for part in _split_commas(raw, source=source, line=line):
        value = _scalar(part, source=source, line=line)
        if value:
            result.append(value)
    return result


def _split_commas(raw: str, *, source: str, line: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in raw:
        if quote is not None:
            current.append(char)
            if char == quote:
                quote = None
        elif char in ("'", '"') and not "".join(current).strip():
            quote = char
            current.append(char)
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quote is not None:
        raise FrontMatterError(source, line, f"an unclosed quote in the list: {raw}")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]
