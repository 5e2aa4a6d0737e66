"""The one template sandbox: names reported, internals refused, values never evaluated."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dispatcher.domain.errors import ValidationError
from dispatcher.domain.templating import (
    Namespace,
    UnknownPlaceholderError,
    check_pair,
    check_source,
    render,
    render_pair,
)

KNOWN = frozenset({"ticket", "contact", "article", "articles"})
CONTEXT = {
    "ticket": Namespace("ticket", {"ref": "#1", "subject": "VPN down"}),
    "contact": Namespace("contact", {"name": "Anna"}),
}


def test_known_names_render_and_a_namespace_shows_its_name() -> None:
    assert render("{{ ticket.ref }}: {{ contact }}", CONTEXT, known=KNOWN) == "#1: Anna"


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("{{ nope }} and {{ never }}", ("never", "nope")),  # not known at all
        ("{{ article.url }}", ("article.url",)),  # known, no value here
        ("{{ ticket.nonsense }}", ("ticket.nonsense",)),  # no such field
        ("{{ ticket._values }}", ("ticket._values",)),  # internals are no field either
    ],
)
def test_a_missing_placeholder_is_reported_by_name_never_blank(
    source: str, names: tuple[str, ...]
) -> None:
    with pytest.raises(UnknownPlaceholderError) as caught:
        render(source, CONTEXT, known=KNOWN)
    assert caught.value.names == names
    for name in names:
        assert "{{ " + name + " }}" in str(caught.value)


def test_testing_for_a_value_is_not_rendering_it() -> None:
    source = "{% if article %}{{ article.url }}{% else %}-{% endif %}"
    source += "{% for a in articles %}{{ a.url }}{% endfor %}"
    assert render(source, CONTEXT, known=KNOWN) == "-"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ ticket.__class__ }}",
    ],
)
def test_the_sandbox_refuses_internals(source: str) -> None:
    with pytest.raises(ValidationError):
        render(source, CONTEXT, known=KNOWN)


def test_hostile_values_are_rendered_as_text_not_evaluated() -> None:
    context = {"contact": Namespace("contact", {"name": "{{ 7*7 }} [b]x[/b] <i>"})}
    assert render("{{ contact.name }}", context, known=KNOWN) == "{{ 7*7 }} [b]x[/b] <i>"


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(ValidationError, match="body, line 2"):
        render("ok\n{% if %}", CONTEXT, known=KNOWN, what="body")
    with pytest.raises(ValidationError, match="line 2"):
        check_source("ok\n{{ ticket ", known=KNOWN)


def test_checking_knows_names_not_values() -> None:
    check_source("{{ article.url }} {{ ticket.anything }}", known=KNOWN)
    with pytest.raises(UnknownPlaceholderError) as caught:
        check_pair("{{ a }}", "{{ b }} {{ a }} {{ ticket }}", known=KNOWN)
    assert caught.value.names == ("a", "b")


def test_subject_and_body_come_in_one_report_and_the_subject_on_one_line() -> None:
    with pytest.raises(UnknownPlaceholderError) as caught:
        render_pair("{{ a }}", "{{ b }} {{ a }}", {}, known=KNOWN)
    assert caught.value.names == ("a", "b")
    rendered = render_pair("Re:\n  {{ ticket.subject }} ", "Hi\n", CONTEXT, known=KNOWN)
    assert (rendered.subject, rendered.body) == ("Re: VPN down", "Hi\n")


def test_jinja2_is_imported_by_rendering_not_by_the_consoles_start_up() -> None:
    code = (
        "import sys\n"
        "import dispatcher.cli, dispatcher.app, dispatcher.domain.templating\n"
        "assert 'jinja2' not in sys.modules, 'jinja2 imported at start-up'\n"
        "from dispatcher.domain.templating import render\n"
        "assert render('{{ x }}', {'x': 1}, known={'x'}) == '1'\n"
        "assert 'jinja2' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)
