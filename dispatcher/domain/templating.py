"""Text from templates: the one Jinja2 sandbox, for reply templates and notifications.

The caller says which placeholders a kind of template may name (`known`) and hands in
their values (`context`). A placeholder that is not known, or has no value here (no
article inserted, no escalation), is reported by name (`UnknownPlaceholderError`), never
rendered blank; a subject's and a body's missing names come in one report. Testing for a
value (`{% if article %}`, `{% for a in articles %}`) is fine: only rendering a missing
one is an error. The sandbox refuses internals (`__class__`, `_values`), and values are
rendered as text, never evaluated.

Jinja2 is imported by the first check or render, not with this module: the store imports
this on the console's start-up path, and start-up does not pay for Jinja2.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dispatcher.domain.errors import ValidationError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment


class UnknownPlaceholderError(ValidationError):
    """A template uses placeholders that are unknown or have no value here."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        listed = ", ".join("{{ " + n + " }}" for n in self.names)
        super().__init__(f"unknown or empty placeholder: {listed}")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str


class Namespace:
    """A placeholder namespace (`ticket`, `client`, ...): attributes from a dict, no more."""

    def __init__(self, path: str, values: Mapping[str, str]) -> None:
        self.path = path
        self._values = dict(values)

    def __getattr__(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __str__(self) -> str:
        return self._values.get("name") or self._values.get("ref") or self._values.get("title", "")


@dataclass
class _Names:
    missing: list[str] = field(default_factory=list)

    def add(self, name: str) -> None:
        if name not in self.missing:
            self.missing.append(name)


def _environment(names: _Names) -> SandboxedEnvironment:
    from jinja2 import Undefined
    from jinja2.sandbox import SandboxedEnvironment

    class Recording(Undefined):
        """Records the placeholder it stands for and renders as nothing (then refused)."""

        __slots__ = ()

        def _name(self) -> str:
            hint = self._undefined_hint
            if self._undefined_name is None:
                return hint or "?"
            parent = self._undefined_obj
            if isinstance(parent, Namespace):
                return f"{parent.path}.{self._undefined_name}"
            return str(self._undefined_name)

        def __str__(self) -> str:
            names.add(self._name())
            return ""

        # `{% if article %}` and `{% for a in articles %}` may test for a value: only
        # rendering one that is missing is an error.
        def __iter__(self) -> Any:
            return iter(())

        def __bool__(self) -> bool:
            return False

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return Recording(name=f"{self._name()}.{name}")

    return SandboxedEnvironment(undefined=Recording, autoescape=False, keep_trailing_newline=True)


def check_source(source: str, *, known: Collection[str], what: str = "template") -> None:
    """Refuse a template that does not parse or names a placeholder that is not `known`."""
    from jinja2 import TemplateSyntaxError, meta

    env = _environment(_Names())
    try:
        parsed = env.parse(source)
        undeclared = meta.find_undeclared_variables(parsed)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"{what}, line {exc.lineno}: {exc.message}") from None
    except RecursionError:  # Jinja's parser recurses once per nested block or bracket
        raise ValidationError(f"{what}: nested too deeply") from None
    unknown = sorted(undeclared - set(known))
    if unknown:
        raise UnknownPlaceholderError(unknown)


def check_pair(subject: str, body: str, *, known: Collection[str]) -> None:
    """`check_source` of a subject and a body: the unknown names of both in one report."""
    missing: list[str] = []
    for source, what in ((subject, "subject"), (body, "body")):
        try:
            check_source(source, known=known, what=what)
        except UnknownPlaceholderError as exc:
            missing += [n for n in exc.names if n not in missing]
    if missing:
        raise UnknownPlaceholderError(missing)


def render(
    source: str, context: Mapping[str, Any], *, known: Collection[str], what: str = "template"
) -> str:
    """Render in the sandbox; every unknown or empty placeholder is reported together."""
    from jinja2 import TemplateSyntaxError, meta
    from jinja2.exceptions import SecurityError, TemplateError

    names = _Names()
    env = _environment(names)
    try:
        parsed = env.parse(source)
        for name in sorted(meta.find_undeclared_variables(parsed) - set(known) - set(context)):
            names.add(name)
        text = env.from_string(parsed).render(dict(context))
    except TemplateSyntaxError as exc:
        raise ValidationError(f"{what}, line {exc.lineno}: {exc.message}") from None
    except SecurityError as exc:
        raise ValidationError(f"{what}: not allowed: {exc}") from None
    except TemplateError as exc:
        raise ValidationError(f"{what}: {exc}") from None
    except RecursionError:
        raise ValidationError(f"{what}: nested too deeply") from None
    if names.missing:
        raise UnknownPlaceholderError(names.missing)
    return text


def render_pair(
    subject: str, body: str, context: Mapping[str, Any], *, known: Collection[str]
) -> Rendered:
    """Subject and body together, the missing names of both in one report; the subject
    on one line."""
    missing: list[str] = []
    out = []
    for source, what in ((subject, "subject"), (body, "body")):
        try:
            out.append(render(source, context, known=known, what=what))
        except UnknownPlaceholderError as exc:
            missing += [n for n in exc.names if n not in missing]
            out.append("")
    if missing:
        raise UnknownPlaceholderError(missing)
    return Rendered(subject=" ".join(out[0].split()), body=out[1])
