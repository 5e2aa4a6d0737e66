"""The one template sandbox: names reported, internals refused, values never evaluated."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dispatcher.domain.errors import ValidationError
from dispatcher.domain.templating import (
    Limits,
    Namespace,
    TemplateError,
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


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 10**(10**10) }}", "a number too large (over 128 bits)"),
        ("{{ 3**100 }}", "a number too large"),
        ("{% for a in range(10**9) %}x{% endfor %}", "a range too long"),
        ("{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}", "work"),
        (
            "{% for a in range(999) %}{% for b in range(999) %}{{ b }}{% endfor %}{% endfor %}",
            "long",
        ),
        ("{{ 'x' * 10**9 }}", "a text too long"),
        ("{{ 'ab'|center(10**9) }}", "too large for a count or width"),
        ("{{ '%0999999999d'|format(1) }}", "a format width too large"),
        ("{{ '%0999999999d' % 1 }}", "a format width too large"),
        ("{{ '{:>9999999}'.format(1) }}", "a format width too large"),
        ("{{ 'x'|replace('', 'y' * 99999) }}", "a text too long"),
        ("{{ 'a'.replace('', 'a' * 50000) }}", "a text too long"),
        ("{{ ('a\n' * 40000)|indent(50) }}", "a text too long"),
        (
            "{% set s = namespace(t='a' * 999) %}{% for i in range(99) %}"
            "{% set s.t = s.t ~ s.t %}{% endfor %}",
            "a text too long",
        ),
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "nested too deeply"),
        ("{{ 1/0 }}", "division by zero"),
        ("{{ 'a' - 1 }}", "TypeError"),
        ("{{ lipsum(99999) }}", "lipsum"),
        ("{{ 'a'.expandtabs(9) }}", "not allowed"),
    ],
)
def test_a_template_over_a_limit_stops_itself_and_says_why(source: str, reason: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render(source, CONTEXT, known=KNOWN, what="body")
    message = str(caught.value)
    assert message.startswith("body: ")
    assert reason in message
    assert "\n" not in message


def test_the_deadline_is_checked_at_every_step() -> None:
    ticks = iter(range(10**6))
    slow = Limits(seconds=50.0, timer=lambda: float(next(ticks)))  # one second a look
    with pytest.raises(TemplateError, match=r"too slow \(over 50 s\)"):
        render("{% for a in range(100) %}{{ a }}{% endfor %}", {}, known=(), limits=slow)
    with pytest.raises(TemplateError, match="over 10 steps"):
        render("{% for a in range(100) %}{% endfor %}", {}, known=(), limits=Limits(steps=10))


def test_ordinary_templates_stay_within_the_limits() -> None:
    context = {
        **CONTEXT,
        "articles": [Namespace("article", {"title": f"A{i}", "url": f"kb:{i}"}) for i in range(50)],
    }
    source = (
        "{{ 2**64 }} {{ ticket.subject|upper }} {{ '%5.1f'|format(2.25) }} "
        "{{ ticket.ref ~ '!' }} {{ range(3)|list }}"
        "{% for a in articles %}{{ loop.index }}. {{ a.title }} {{ a.url }}\n{% endfor %}"
    )
    text = render(source, context, known=KNOWN)
    assert text.startswith("18446744073709551616 VPN DOWN   2.2 #1! [0, 1, 2]1. A0 kb:0\n")
    assert text.endswith("50. A49 kb:49\n")
