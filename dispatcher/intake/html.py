"""HTML-only mail turned into readable plain text (no dependency beyond the stdlib).

Only what a person reading the mail would see is kept. Dropped with everything inside
them: scripts, styles, the head, templates; elements hidden by their `hidden` attribute,
`aria-hidden="true"`, or an inline style (`display:none`, `visibility:hidden`,
`mso-hide:all`, `max-height:0` with `overflow:hidden`, `font-size:0`, `opacity:0`: the
preheaders and tracking blocks of newsletter tools); and tracking pixels (images of one
pixel or none, or hidden ones), whose alt text is not shown either.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "tr", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dl", "dt", "dd",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript", "object", "iframe", "svg"}
# Elements that never have content or an end tag: they cannot open a hidden region.
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip
_PRE = "\x00"
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|font-size\s*:\s*0"
    r"(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])",
    re.IGNORECASE,
)
_NO_HEIGHT = re.compile(r"max-height\s*:\s*0(?![.\d]*[1-9])", re.IGNORECASE)
_OVERFLOW_HIDDEN = re.compile(r"overflow\s*:\s*hidden", re.IGNORECASE)
_PIXEL = re.compile(r"^\s*[01](\.0+)?\s*(px)?\s*$", re.IGNORECASE)
_STYLE_SIZE = re.compile(r"(?<![-\w])(width|height)\s*:\s*([\d.]+)\s*px", re.IGNORECASE)


def _hidden(attrs: dict[str, str | None]) -> bool:
    if "hidden" in attrs or (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return True
    style = attrs.get("style") or ""
    return bool(
        _HIDING_STYLE.search(style) or (_NO_HEIGHT.search(style) and _OVERFLOW_HIDDEN.search(style))
    )


def _tracking_pixel(attrs: dict[str, str | None]) -> bool:
    """An image nobody sees: one pixel (or none) wide or high, by attribute or style."""
    sizes = [attrs.get("width") or "", attrs.get("height") or ""]
    if any(_PIXEL.match(size) for size in sizes if size):
        return True
    style = attrs.get("style") or ""
    return any(float(value) <= 1 for _, value in _STYLE_SIZE.findall(style) if _number(value))


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # Open elements whose content is dropped, innermost last; while any is open,
        # nothing shows. An end tag closes up to its own opening (HTML's implied ends).
        self.dropped: list[str] = []
        # Open elements that show, outermost first: a hidden element left unclosed ends
        # when one of them does, as in a browser (`<td><span hidden>x</td>`).
        self.shown: list[str] = []
        self.pre_depth = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self.dropped:
            if tag not in _VOID:
                self.dropped.append(tag)
            return
        if tag in _SKIP or (tag not in _VOID and _hidden(found)):
            self.dropped.append(tag)
            return
        if tag not in _VOID:
            self.shown.append(tag)
        if tag == "pre":
            self.pre_depth += 1
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag in ("td", "th"):
            self.parts.append(" ")
        if tag == "a":
            self.href = found.get("href")
            self.link_text = []
        if tag == "img" and not _hidden(found) and not _tracking_pixel(found):
            alt = found.get("alt")
            if alt and alt.strip():
                self.parts.append(f"[{alt.strip()}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)
            return
        # `<div hidden/>` and the like open and close at once: nothing to drop or show.
        if not self.dropped and tag not in _SKIP and not _hidden(dict(attrs)):
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.dropped:
            if tag in self.dropped:
                while self.dropped and self.dropped.pop() != tag:
                    pass
                return
            if tag not in self.shown:
                return
            self.dropped.clear()  # it closes an element around the hidden one
        if tag in self.shown:
            while self.shown and self.shown.pop() != tag:
                pass
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            href = self.href
            if href.startswith(("http://", "https://")) and href != text:
                self.parts.append(f" ({href})")
            self.href = None
        if tag in _BLOCK and tag not in ("br", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        if self.pre_depth:
            data = data.replace("\n", "\n" + _PRE)  # those lines keep their spaces
        else:
            data = _SPACES.sub(" ", data.replace("\n", " "))
        if self.href is not None:
            self.link_text.append(data)
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text: blocks on their own lines, links with their address, no markup,
    nothing a reader of the mail would not see."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - HTMLParser is very lenient
        pass
    lines = [
        line.replace(_PRE, "").rstrip() if line.startswith(_PRE) else _SPACES.sub(" ", line).strip()
        for line in "".join(parser.parts).split("\n")
    ]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
