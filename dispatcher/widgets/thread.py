"""A ticket's thread: inbound messages, public replies and internal notes, each looking
different, with long quoted text folded to a line that says how much is hidden.

Mail nobody wrote (an auto-reply, a bounce) is dimmed (`-automatic`) and headed by what
the intake made of it ("auto-reply", "bounce: address rejected"). Each message lists its
attachments by name, type and size; a message takes focus, so the screen can act on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from dispatcher import vocabulary
from dispatcher.domain.enums import MessageKind
from dispatcher.domain.sizes import human_size
from dispatcher.read_models.tickets import AttachmentView, ThreadMessage
from dispatcher.text import plain, when

QUOTE_KEEP = 2  # quoted lines shown before the fold
_LABEL = {
    MessageKind.inbound: "from client",
    MessageKind.reply: "reply (public)",
    MessageKind.note: "internal note",
    MessageKind.call: "call",
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


def render_attachments(files: Sequence[AttachmentView]) -> Text:
    """One line per attachment: its name (as text, whatever it holds), type and size."""
    text = Text()
    for n, f in enumerate(files):
        if n:
            text.append("\n")
        text.append("attached: ", style="dim")
        text.append(plain(f.name), style="bold")
        text.append(f" · {plain(f.content_type)} · {human_size(f.size)}", style="dim")
    return text


class MessageView(Static, can_focus=True):
    """One message; its kind is a CSS class (`-inbound`, `-reply`, `-note`), and mail
    nobody wrote (an auto-reply, a bounce) is `-automatic` too, headed by its label."""

    def __init__(self, message: ThreadMessage, *, expand: bool, zone: tzinfo = UTC) -> None:
        head = Text()
        kind = plain(message.label) if message.automatic else _LABEL[message.kind]
        head.append(kind, style="bold")
        head.append(f" · {plain(message.author)} · {when(message.created_at, zone, year=True)}")
        if message.kind in (MessageKind.inbound, MessageKind.reply):  # a note goes nowhere
            head.append(f" · via {vocabulary.channel(message.channel)}", style="dim")
        if message.kind == MessageKind.call:  # the subject says who, which way, how long
            head.append(f"\n{plain(message.subject)}", style="italic")
        body = render_body(message.body, expand=expand) if message.body else Text("(empty)")
        parts: list[Text | str] = [head, "\n", body]
        if message.attachments:
            parts += ["\n", render_attachments(message.attachments)]
        classes = f"message -{message.kind}" + (" -automatic" if message.automatic else "")
        super().__init__(Text.assemble(*parts), classes=classes)
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
