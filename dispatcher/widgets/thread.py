"""A ticket's thread: inbound messages, public replies and internal notes, each looking
different, with long quoted text folded to a line that says how much is hidden."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from dispatcher.domain.enums import MessageKind
from dispatcher.read_models.tickets import ThreadMessage
from dispatcher.text import plain

QUOTE_KEEP = 2  # quoted lines shown before the fold
_LABEL = {
    MessageKind.inbound: "from client",
    MessageKind.reply: "reply (public)",
    MessageKind.note: "internal note",
}


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of a message body: own text, or a quote (folded when `hidden` > 0)."""

    text: str
    quoted: bool = False
    hidden: int = 0  # quoted lines left out after `text`


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def fold_quotes(body: str, *, keep: int = QUOTE_KEEP, expand: bool = False) -> list[Piece]:
    """Split a body into own text and quoted runs; a quoted run longer than `keep` lines
    (or anything after an `On ... wrote:` line, which is the quote's header) is folded."""
    pieces: list[Piece] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        quoted = _is_quote(lines[i])
        j = i
        while j < len(lines) and _is_quote(lines[j]) == quoted:
            j += 1
        run = lines[i:j]
        if quoted and not expand and len(run) > keep:
            pieces.append(Piece("\n".join(run[:keep]), quoted=True, hidden=len(run) - keep))
        else:
            pieces.append(Piece("\n".join(run), quoted=quoted))
        i = j
    return pieces


def render_body(body: str, *, expand: bool) -> Text:
    text = Text()
    for n, piece in enumerate(fold_quotes(plain(body), expand=expand)):
        if n:
            text.append("\n")
        text.append(piece.text, style="dim italic" if piece.quoted else "")
        if piece.hidden:
            more = "line" if piece.hidden == 1 else "lines"
            text.append(f"\n  ⋯ {piece.hidden} quoted {more} folded (z to unfold)", style="dim")
    return text


class MessageView(Static):
    """One message; its kind is a CSS class (`-inbound`, `-reply`, `-note`)."""

    def __init__(self, message: ThreadMessage, *, expand: bool, zone: tzinfo = UTC) -> None:
        head = Text()
        head.append(_LABEL[message.kind], style="bold")
        at = message.created_at.astimezone(zone)
        head.append(f" · {plain(message.author)} · {at:%Y-%m-%d %H:%M %Z}")
        head.append(f" · {message.channel.value}", style="dim")
        body = render_body(message.body, expand=expand) if message.body else Text("(empty)")
        super().__init__(Text.assemble(head, "\n", body), classes=f"message -{message.kind}")
        self.message = message


class ThreadView(VerticalScroll):
    """Dumb: `show()` puts the messages in, oldest first."""

    DEFAULT_CSS = """
    ThreadView { height: 1fr; }
    ThreadView > .message { margin: 0 0 1 0; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("no messages yet"), classes="empty")

    def show(self, messages: Sequence[ThreadMessage], *, expand: bool, zone: tzinfo = UTC) -> None:
        """The messages, oldest first, their times in `zone` (the operator's)."""
        self.remove_children()
        if not messages:
            self.mount(Static(Text("no messages yet"), classes="empty"))
            return
        self.mount_all(MessageView(m, expand=expand, zone=zone) for m in messages)
