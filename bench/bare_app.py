"""The floor for the console's first screen: a bare Textual app (Header, 40 lines of text,
Footer), started the same way and timed the same way as `dispatcher --as olga`.

    python bench/bare_app.py
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class BareApp(App[None]):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        for n in range(1, 41):
            yield Static(f"#{n} normal line {n} of the floor")
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
