"""HTML to text: only what a reader of the mail sees."""

from __future__ import annotations

import pytest

from dispatcher.intake.html import html_to_text


@pytest.mark.parametrize(
    "hidden",
    [
        '<div style="display:none">X</div>',
        '<div style="DISPLAY: NONE !important">X</div>',
        '<span style="visibility:hidden">X</span>',
        "<div hidden>X <p>more</p></div>",
        '<div aria-hidden="true"><a href="https://t.example/c">X</a></div>',
        '<div style="max-height:0px;overflow:hidden;mso-hide:all">X</div>',
        '<span style="font-size:0;line-height:0">X</span>',
        '<span style="opacity:0">X</span>',
        "<style>X{}</style>",
        "<script>X()</script>",
        "<head><title>X</title></head>",
        '<img src="https://t.example/o.gif" width="1" height="1" alt="X">',
        '<img src="https://t.example/o.gif" width="0" alt="X">',
        '<img src="https://t.example/o.gif" style="width:1px;height:1px" alt="X">',
        '<img src="a.png" style="display:none" alt="X">',
        "<template>X</template>",
    ],
)
def test_what_is_hidden_is_dropped(hidden: str) -> None:
    assert html_to_text(f"<p>before</p>{hidden}<p>after</p>") == "before\n\nafter"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<p style="font-size:0.8em">small print</p>', "small print"),
        ('<p style="opacity:0.5">faded</p>', "faded"),
        ('<img src="logo.png" width="120" alt="Acme logo">', "[Acme logo]"),
        (
            '<div style="max-height:0">no overflow hidden, still shown</div>',
            "no overflow hidden, still shown",
        ),
        ('<p style="max-width:600px">wide</p>', "wide"),
    ],
)
def test_what_is_visible_is_kept(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_a_hidden_element_left_open_ends_with_its_parent() -> None:
    html = "<table><tr><td>A<span hidden>gone<b>x</td><td>B</td></tr></table><p>C</p>"
    assert html_to_text(html) == "A B\n\nC"


def test_nested_hidden_elements_and_void_tags_inside() -> None:
    html = (
        '<div style="display:none"><div><br><img src="x" alt="y"><hr>inner</div>'
        "still hidden</div><p>shown</p>"
    )
    assert html_to_text(html) == "shown"


def test_self_closing_hidden_element_hides_nothing_else() -> None:
    assert html_to_text("<div hidden/><p>shown</p>") == "shown"
