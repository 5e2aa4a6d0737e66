"""A template that fails is refused in the console's editor, with the reason, in time.

Saving renders the template against a sample ticket first, within the limits on steps,
output and integer size: a body that would freeze the console or raise is refused with
its reason, the editor stays open with the text, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static, TextArea

from dispatcher.screens.dialogs.editor import EditorScreen
from dispatcher.screens.templates import TemplatesScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.replies import templates
from tests.factories import world
from tests.ui.harness import screen_context, settle
from tests.ui.kb_helpers import Host


def _top(app: Host) -> Screen[Any]:
    return app.screen


@pytest.mark.parametrize(
    ("field", "source", "reason"),
    [
        ("body", "{{ 10**(10**10) }}", "a number too large"),
        (
            "body",
            "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}",
            "work",
        ),
        ("body", "{{ 'x' * 10**8 }}", "a text too long"),
        ("body", "{{ 1/0 }}", "division by zero"),
        ("subject", "{{ 1/0 }}", "subject: "),
    ],
)
async def test_a_failing_template_is_refused_in_the_editor_with_its_reason(
    store: Store, field: str, source: str, reason: str
) -> None:
    world(store)
    app = Host(lambda: TemplatesScreen(screen_context(store, "lena")))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TemplatesScreen)
        screen.query_one(OptionList).focus()
        await pilot.press("n")
        editor = _top(app)
        assert isinstance(editor, EditorScreen)
        editor.query_one("#field-name", Input).value = "hostile"
        body = source if field == "body" else "Hello"
        editor.query_one("#editor-body", TextArea).text = body
        if field == "subject":
            editor.query_one("#field-subject", Input).value = source
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = str(editor.query_one("#editor-message", Static).render())
        assert reason in status
        assert app.screen is editor  # still open, the text kept
        assert editor.query_one("#editor-body", TextArea).text == body
    with store.read() as session:
        assert templates.list_templates(session, include_inactive=True) == []
