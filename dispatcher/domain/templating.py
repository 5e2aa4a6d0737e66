"""Text from templates: the one Jinja2 sandbox, for reply templates and notifications.

Only templates are rendered here: reply templates (when a lead saves one, and when a
dispatcher inserts one into a reply) and notification texts (when the config is loaded,
and when the sender sends). What an operator types, a ticket's subject, a KB article
inserted into a reply, is text, never a template, and never comes here.

The caller says which placeholders a kind of template may name (`known`) and hands in
their values (`context`). A placeholder that is not known, or has no value here (no
article inserted, no escalation), is reported by name (`UnknownPlaceholderError`), never
rendered blank; a subject's and a body's missing names come in one report. Testing for a
value (`{% if article %}`, `{% for a in articles %}`) is fine: only rendering a missing
one is an error. The sandbox refuses internals (`__class__`, `_values`), and values are
rendered as text, never evaluated.

A render is bounded (`Limits`): a budget of steps (each loop iteration, call, filter,
operator and attribute lookup takes one), a deadline of the rendering thread's own CPU
time checked at every step (CPU, not wall-clock time: an ordinary template on a machine
under load is not refused because other processes had the CPU), the size of
the text and of every value made on the way, and the size of integers (`10**(10**10)` is
refused before it is computed, `range` is short). A template over a limit, or one that
fails (`1/0`), is refused with the reason in one line (`TemplateError`), never half
rendered. Render templates before a write transaction opens, never inside one.

Jinja2 is imported by the first check or render, not with this module: the store imports
this on the console's start-up path, and start-up does not pay for Jinja2.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dispatcher.domain.errors import ValidationError

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment


class UnknownPlaceholderError(ValidationError):
    """A template uses placeholders that are unknown or have no value here."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        listed = ", ".join("{{ " + n + " }}" for n in self.names)
        super().__init__(f"unknown or empty placeholder: {listed}")


class TemplateError(ValidationError):
    """A template that fails when rendered or goes over a limit; the reason in one line."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one render may use. `timer` is the CPU time of the rendering thread, in seconds
    (a test hands in one of its own)."""

    steps: int = 100_000
    # A backstop: the steps and sizes bound every template already. Far above what any
    # template within them takes, so that a garbage collection of a large heap, which is
    # counted in the thread's CPU time, never refuses an ordinary one.
    seconds: float = 5.0
    text: int = 100_000  # characters of the text, and of any string or list made on the way
    int_bits: int = 128  # integers a template computes (2**128 is about 3.4e38)
    range: int = 10_000  # items of a `range(...)`
    timer: Callable[[], float] = time.thread_time


DEFAULT_LIMITS = Limits()


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


class _Budget:
    """The steps and the time one render has left; every check may refuse it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.steps
        self.deadline = limits.timer() + limits.seconds

    def step(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TemplateError(f"too much work (over {self.limits.steps} steps)")
        if self.limits.timer() > self.deadline:
            raise TemplateError(f"too slow (over {self.limits.seconds:g} s)")

    def value(self, value: Any) -> Any:
        """`value`, unless it is over a size limit."""
        if isinstance(value, int) and not isinstance(value, bool):
            self.number(value)
        elif isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
            self.size(len(value))
        return value

    def number(self, value: int) -> None:
        if value.bit_length() > self.limits.int_bits:
            raise TemplateError(f"a number too large (over {self.limits.int_bits} bits)")

    def size(self, n: int) -> None:
        if n > self.limits.text:
            raise TemplateError(f"a text too long (over {self.limits.text} characters)")

    def arguments(self, args: Iterable[Any]) -> None:
        """Counts and widths handed to a call or filter: no more than the text limit."""
        for arg in args:
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > self.limits.text:
                raise TemplateError(f"a number too large for a count or width: {arg}")
            self.value(arg)

    def guard(self, items: Iterable[Any]) -> Iterator[Any]:
        """What a `{% for %}` loops over: one step per item."""
        for item in items:
            self.step()
            yield item


_SIZED = (str, list, tuple)
# Widths in a %-format or a format spec: `%0999999d`, `{:>999999}`.
_WIDE = re.compile(r"\d{6,}")
# String methods a template may not call: they multiply text by a number it gives.
_REFUSED_METHODS = frozenset({"expandtabs", "zfill", "center", "ljust", "rjust", "translate"})


def _replace_size(text: Any, old: Any, new: Any) -> int:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    hits = len(text) + 1 if old == "" else text.count(old)
    return len(text) + hits * max(len(new) - len(old), 0)


def _environment(names: _Names, budget: _Budget) -> ImmutableSandboxedEnvironment:
    from jinja2 import Undefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

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

    class Bounded(ImmutableSandboxedEnvironment):
        """The sandbox that counts: operators, calls, lookups and loops take steps."""

        intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            budget.step()
            if operator == "**" and isinstance(left, int) and isinstance(right, int):
                # |left| ** right has at least (bits(left) - 1) * right bits: refused
                # before it is computed.
                if abs(left) > 1 and (abs(left).bit_length() - 1) * right >= budget.limits.int_bits:
                    raise TemplateError(f"a number too large (over {budget.limits.int_bits} bits)")
            elif operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, _SIZED) and isinstance(n, int):
                        budget.size(len(seq) * n)
            elif operator == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
                budget.size(len(left) + len(right))
            elif operator == "%" and isinstance(left, str):
                _format_width(left, right if isinstance(right, tuple) else (right,))
            return budget.value(super().call_binop(context, operator, left, right))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            budget.step()
            if __obj is not bounded_range:  # which says why itself
                budget.arguments((*args, *kwargs.values()))
            target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
            owner = getattr(target, "__self__", None)
            method = getattr(target, "__name__", "")
            if isinstance(owner, str):
                if method == "replace":
                    budget.size(_replace_size(owner, *args[:2]) if len(args) >= 2 else 0)
                elif method in ("format", "format_map"):
                    _format_width(owner, ())
            return budget.value(super().call(__context, __obj, *args, **kwargs))

        def getattr(self, obj: Any, attribute: str) -> Any:
            budget.step()
            return super().getattr(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            budget.step()
            return super().getitem(obj, argument)

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            if isinstance(obj, str) and attr in _REFUSED_METHODS:
                return False
            return super().is_safe_attribute(obj, attr, value)

    def _format_width(fmt: str, args: Sequence[Any]) -> None:
        if _WIDE.search(fmt):
            raise TemplateError("a format width too large")
        budget.arguments(args)

    def bounded_range(*args: int) -> range:
        numbers = range(*args)
        if len(numbers) > budget.limits.range:
            raise TemplateError(f"a range too long (over {budget.limits.range} items)")
        budget.arguments(args)
        return numbers

    def counted(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            budget.step()
            values = [a for a in (*args, *kwargs.values()) if not _is_jinja_internal(a)]
            budget.arguments(values[1:])
            if name == "replace" and len(values) >= 3:
                budget.size(_replace_size(str(values[0]), *values[1:3]))
            elif name == "format" and values and isinstance(values[0], str):
                _format_width(values[0], values[1:])
            elif name == "indent" and values and isinstance(values[0], str):
                width = values[1] if len(values) > 1 else 4
                lines = values[0].count("\n") + 1
                budget.size(
                    len(values[0]) + lines * (len(width) if isinstance(width, str) else int(width))
                )
            return budget.value(func(*args, **kwargs))

        return wrapper

    env = Bounded(undefined=Recording, autoescape=False, keep_trailing_newline=True)
    env.globals.pop("lipsum", None)
    env.globals["range"] = bounded_range
    env.filters = {name: counted(name, func) for name, func in env.filters.items()}
    env.filters["_steps"] = budget.guard
    env.filters["_sized"] = budget.value
    return env


def _is_jinja_internal(value: Any) -> bool:
    from jinja2.environment import Environment
    from jinja2.nodes import EvalContext
    from jinja2.runtime import Context

    return isinstance(value, Context | Environment | EvalContext)


def _bound(template: nodes.Template) -> nodes.Template:
    """Every loop takes a step per item, every `~` is checked for size."""
    from jinja2 import nodes

    for loop in template.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, "_steps", [], [], None, None, lineno=loop.lineno)
    found = [
        (parent, name, child)
        for parent in template.find_all(nodes.Node)
        for name, child in parent.iter_fields()
    ]
    for parent, name, child in found:
        if isinstance(child, nodes.Concat):
            setattr(parent, name, _sized(child))
        elif isinstance(child, list) and any(isinstance(c, nodes.Concat) for c in child):
            setattr(parent, name, [_sized(c) if isinstance(c, nodes.Concat) else c for c in child])
    return template


def _sized(node: nodes.Expr) -> nodes.Expr:
    from jinja2 import nodes

    return nodes.Filter(node, "_sized", [], [], None, None, lineno=node.lineno)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def check_source(source: str, *, known: Collection[str], what: str = "template") -> None:
    """Refuse a template that does not parse or names a placeholder that is not `known`."""
    from jinja2 import TemplateSyntaxError, meta

    env = _environment(_Names(), _Budget(DEFAULT_LIMITS))
    try:
        parsed = env.parse(source)
        undeclared = meta.find_undeclared_variables(parsed)
    except TemplateSyntaxError as exc:
        raise ValidationError(
            f"{what}, line {exc.lineno}: {_one_line(exc.message or '')}"
        ) from None
    except RecursionError:  # Jinja's parser recurses once per nested block or bracket
        raise ValidationError(f"{what}: nested too deeply") from None
    except (ValueError, OverflowError, MemoryError) as exc:  # e.g. a literal of 5,000 digits
        raise ValidationError(f"{what}: {_one_line(str(exc))}") from None
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
    source: str,
    context: Mapping[str, Any],
    *,
    known: Collection[str],
    what: str = "template",
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """Render in the sandbox, within `limits`; every unknown or empty placeholder is
    reported together, any other failure as a `TemplateError` naming `what`."""
    from jinja2 import TemplateSyntaxError, meta
    from jinja2.exceptions import SecurityError
    from jinja2.exceptions import TemplateError as JinjaError

    names = _Names()
    budget = _Budget(limits)
    env = _environment(names, budget)
    pieces: list[str] = []
    try:
        parsed = env.parse(source)
        for name in sorted(meta.find_undeclared_variables(parsed) - set(known) - set(context)):
            names.add(name)
        template = env.from_string(_bound(parsed))
        length = 0
        for piece in template.generate(dict(context)):
            budget.step()
            length += len(piece)
            budget.size(length)
            pieces.append(piece)
    except TemplateSyntaxError as exc:
        raise ValidationError(
            f"{what}, line {exc.lineno}: {_one_line(exc.message or '')}"
        ) from None
    except UnknownPlaceholderError:
        raise
    except TemplateError as exc:
        raise TemplateError(f"{what}: {exc}") from None
    except SecurityError as exc:
        raise TemplateError(f"{what}: not allowed: {_one_line(str(exc))}") from None
    except JinjaError as exc:
        raise TemplateError(f"{what}: {_one_line(str(exc))}") from None
    except RecursionError:
        raise TemplateError(f"{what}: nested too deeply") from None
    except ZeroDivisionError:
        raise TemplateError(f"{what}: division by zero") from None
    except Exception as exc:  # the template's own fault (`'a' - 1`, `int('x' * 5000)`)
        raise TemplateError(f"{what}: {type(exc).__name__}: {_one_line(str(exc))}") from None
    if names.missing:
        raise UnknownPlaceholderError(names.missing)
    return "".join(pieces)


def render_pair(
    subject: str,
    body: str,
    context: Mapping[str, Any],
    *,
    known: Collection[str],
    limits: Limits = DEFAULT_LIMITS,
) -> Rendered:
    """Subject and body together, the missing names of both in one report; the subject
    on one line."""
    missing: list[str] = []
    out = []
    for source, what in ((subject, "subject"), (body, "body")):
        try:
            out.append(render(source, context, known=known, what=what, limits=limits))
        except UnknownPlaceholderError as exc:
            missing += [n for n in exc.names if n not in missing]
            out.append("")
    if missing:
        raise UnknownPlaceholderError(missing)
    return Rendered(subject=" ".join(out[0].split()), body=out[1])
