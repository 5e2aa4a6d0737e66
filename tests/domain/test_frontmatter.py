"""The KB front-matter parser: the keys it accepts, the list forms, and its errors."""

from __future__ import annotations

import pytest

from dispatcher.domain.enums import ArticleStatus, Visibility
from dispatcher.domain.frontmatter import FrontMatterError, parse_article, valid_slug


def parse(text: str, slug: str = "net/vpn") -> object:
    return parse_article(text, source="net/vpn.md", default_slug=slug)


def test_full_header() -> None:
    text = (
        "---\n"
        "title: Resetting the VPN token\n"
        "# a comment line\n"
        "tags: [VPN, token, vpn]\n"
        "visibility: public\n"
        "groups: network, 'second line'\n"
        "slug: network/vpn-token\n"
        "status: draft\n"
        "---\n"
        "\n"
        "Body *text*.\n"
    )
    article = parse_article(text, source="x.md", default_slug="x")
    assert article.title == "Resetting the VPN token"
    assert article.tags == ("vpn", "token")
    assert article.visibility == Visibility.public
    assert article.groups == ("network", "second line")
    assert article.slug == "network/vpn-token"
    assert article.status == ArticleStatus.draft
    assert article.body == "Body *text*."


def test_block_list_and_defaults() -> None:
    text = '---\ntitle: T\ntags:\n  - one\n  - "two, three"\n---\nbody'
    article = parse_article(text, source="a/b.md", default_slug="a/b")
    assert article.tags == ("one", "two, three")
    assert article.slug == "a/b"
    assert article.visibility == Visibility.internal
    assert article.status == ArticleStatus.published
    assert article.groups == ()


def test_no_header_takes_the_first_heading_as_title() -> None:
    article = parse_article("# Printer jams\n\nOpen tray 2.", source="p.md", default_slug="p")
    assert article.title == "Printer jams"
    assert article.body == "# Printer jams\n\nOpen tray 2."


def test_crlf_and_bom_are_accepted() -> None:
    text = "\ufeff---\r\ntitle: 'It''s fine'\r\n---\r\nline one\r\nline two\r\n"
    article = parse_article(text, source="c.md", default_slug="c")
    assert article.title == "It's fine"
    assert article.body == "line one\nline two"


def test_markup_in_the_title_is_kept_as_text() -> None:
    article = parse_article(
        '---\ntitle: "[bold]x[/bold] \\u001b]0;pwned\\u0007"\n---\n',
        source="h.md",
        default_slug="h",
    )
    assert article.title == "[bold]x[/bold] \x1b]0;pwned\x07"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("---\ntitle: T\n", 1, "never closed"),
        ("---\ntitle: T\nauthor: me\n---\n", 3, "unknown key 'author'"),
        ("---\ntitle: T\ntitle: U\n---\n", 3, "given twice (first on line 2)"),
        ("---\ntitle: T\njust words\n---\n", 3, "expected 'key: value'"),
        ("---\ntitle: T\n  - stray\n---\n", 3, "without a list key"),
        ("---\ntitle: T\nvisibility: secret\n---\n", 3, "internal or public"),
        ("---\ntitle: T\nstatus: live\n---\n", 3, "status must be one of"),
        ("---\ntitle: T\ntags: [a, b\n---\n", 3, "not closed"),
        ('---\ntitle: "unclosed\n---\n', 2, "unclosed quote"),
        ("---\ntitle:\n---\n", 2, "title is empty"),
        ("---\ntitle: T\nslug: ../etc/passwd\n---\n", 3, "not a usable slug"),
        ("---\ntitle: T\n   indented: x\n---\n", 3, "unexpected indented line"),
    ],
)
def test_errors_name_the_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse(text)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"net/vpn.md:{line}: ")
    assert fragment in str(caught.value)


def test_missing_title_without_heading_is_an_error() -> None:
    with pytest.raises(FrontMatterError, match=r"^n\.md: no title"):
        parse_article("---\ntags: a\n---\njust text", source="n.md", default_slug="n")


def test_default_slug_replaces_spaces() -> None:
    article = parse_article("# T", source="How to/Reset it.md", default_slug="How to/Reset it")
    assert article.slug == "How-to/Reset-it"


@pytest.mark.parametrize(
    ("slug", "ok"),
    [
        ("vpn", True),
        ("network/vpn-token_2.1", True),
        ("сеть/впн", True),
        ("", False),
        ("/abs", False),
        ("a//b", False),
        ("../x", False),
        ("a b", False),
        ("x" * 201, False),
    ],
)
def test_valid_slug(slug: str, ok: bool) -> None:
    assert valid_slug(slug) is ok
