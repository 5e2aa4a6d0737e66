"""Notification texts: sandboxed Jinja2 templates, defaults overridable from the config file.

Each notification kind has a subject and a body template. The context holds plain values
only (strings and numbers): `ticket` (e.g. "#1042"), `ticket_id`, `subject`, `client`,
`contact`, `engineer`, `first_response_due`, `resolution_due`, `status`,
`confirm_hours`. A subject always carries the ticket reference in brackets, so answers
thread back even when a template forgets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from dispatcher.domain.errors import ValidationError

ACKNOWLEDGEMENT = "acknowledgement"
ASSIGNMENT = "assignment"
RESOLUTION = "resolution"
AUTO_CLOSE = "auto_close"
KINDS = (ACKNOWLEDGEMENT, ASSIGNMENT, RESOLUTION, AUTO_CLOSE)

DEFAULTS: dict[str, tuple[str, str]] = {
    ACKNOWLEDGEMENT: (
        "[{{ ticket }}] We have your request: {{ subject }}",
        "Hello{% if contact %} {{ contact }}{% endif %},\n\n"
        "we have registered your request as ticket {{ ticket }}: {{ subject }}.\n"
        "{% if first_response_due %}"
        "You can expect our first answer by {{ first_response_due }}.\n"
        "{% endif %}"
        "\nTo add anything, reply to this message and keep {{ ticket }} in the subject.\n\n"
        "-- \nSupport\n",
    ),
    ASSIGNMENT: (
        "[{{ ticket }}] Assigned to you: {{ subject }}",
        "Hello {{ engineer }},\n\n"
        "ticket {{ ticket }} ({{ subject }}){% if client %} from {{ client }}{% endif %} "
        "is now yours.\n"
        "{% if resolution_due %}Resolution is due by {{ resolution_due }}.\n{% endif %}",
    ),
    RESOLUTION: (
        "[{{ ticket }}] Resolved: {{ subject }}",
        "Hello{% if contact %} {{ contact }}{% endif %},\n\n"
        "we believe ticket {{ ticket }} ({{ subject }}) is resolved.\n"
        "\n"
        "Please reply to this message:\n"
        '- "confirm" if it works now, or a rating from 1 (poor) to 5 (excellent);\n'
        "- or tell us what is still wrong, and we reopen it.\n"
        "{% if confirm_hours %}Without an answer it closes itself after "
        "{{ confirm_hours }} business hours.\n{% endif %}\n"
        "-- \nSupport\n",
    ),
    AUTO_CLOSE: (
        "[{{ ticket }}] Closed: {{ subject }}",
        "Hello{% if contact %} {{ contact }}{% endif %},\n\n"
        "ticket {{ ticket }} ({{ subject }}) was closed, as we had no answer after it was "
        "resolved.\nIf the problem is back, reply to this message and we open a new ticket.\n\n"
        "-- \nSupport\n",
    ),
}


# What a template is tried against when the config is loaded: a name that is not here is
# a typo, refused before any mail is sent.
SAMPLE_CONTEXT: dict[str, Any] = {
    "ticket": "#1042",
    "ticket_id": 1042,
    "subject": "VPN is down",
    "client": "Acme",
    "contact": "Anna Client",
    "engineer": "Ivan Engineer",
    "status": "resolved",
    "first_response_due": "Wed 18 Nov 2026 14:30 MSK",
    "resolution_due": "Thu 19 Nov 2026 14:30 MSK",
    "confirm_hours": "72",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str


class NotificationTemplates:
    """The templates of every kind, compiled once in a sandbox; bad ones refused up front."""

    def __init__(self, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.env = SandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self.sources: dict[str, tuple[str, str]] = dict(DEFAULTS)
        for kind, texts in (overrides or {}).items():
            if kind not in DEFAULTS:
                raise ValidationError(
                    f"unknown notification {kind!r} (expected one of {', '.join(KINDS)})"
                )
            subject, body = self.sources[kind]
            self.sources[kind] = (texts.get("subject") or subject, texts.get("body") or body)
        self.compiled = {}
        for kind, (subject, body) in self.sources.items():
            try:
                self.compiled[kind] = (
                    self.env.from_string(subject),
                    self.env.from_string(body),
                )
            except TemplateError as exc:
                raise ValidationError(f"notification template {kind!r}: {exc}") from exc
            self.render(kind, SAMPLE_CONTEXT)

    def render(self, kind: str, context: Mapping[str, Any]) -> Rendered:
        """Subject and body; the subject is one line and always carries `[#N]`."""
        subject_t, body_t = self.compiled[kind]
        try:
            subject = subject_t.render(**context)
            body = body_t.render(**context)
        except TemplateError as exc:
            raise ValidationError(f"notification template {kind!r}: {exc}") from exc
        subject = " ".join(subject.split())
        ref = context.get("ticket")
        if ref and f"[{ref}]" not in subject:
            subject = f"[{ref}] {subject}"
        return Rendered(subject=subject[:500], body=body)


DEFAULT_TEMPLATES = NotificationTemplates()
