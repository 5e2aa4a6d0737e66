"""Notification texts: templates in the sandbox, defaults overridable from the config file.

Each notification kind has a subject and a body template, in English and in Russian; the
context's `language` ("ru" or "en", the ticket's) picks one. The context holds plain values
only (strings and numbers), and these are all a template may name (`NAMES`): `ticket`
(e.g. "#1042"), `ticket_id`, `subject`, `client`, `contact`, `engineer`,
`first_response_due`, `resolution_due`, `status`, `confirm_hours`, `language`. A subject
always carries the ticket reference in brackets, so answers thread back even when a
template forgets it. The config overrides the English text with `subject`/`body` and the
Russian one with `subject_ru`/`body_ru`; what it leaves out keeps its default.

Pure: the store renders with the defaults when it queues a notification, the sender again
with the configured texts when it sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dispatcher.domain.errors import ValidationError
from dispatcher.domain.templating import Rendered, check_pair, render_pair
from dispatcher.domain.ticket_ref import subject_with_ref

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


DEFAULTS_RU: dict[str, tuple[str, str]] = {
    ACKNOWLEDGEMENT: (
        "[{{ ticket }}] Ваше обращение принято: {{ subject }}",
        "Здравствуйте{% if contact %}, {{ contact }}{% endif %}!\n\n"
        "Мы зарегистрировали ваше обращение под номером {{ ticket }}: {{ subject }}.\n"
        "{% if first_response_due %}"
        "Первый ответ — не позднее {{ first_response_due }}.\n"
        "{% endif %}"
        "\nЧтобы что-то добавить, ответьте на это письмо, сохранив {{ ticket }} в теме.\n\n"
        "-- \nСлужба поддержки\n",
    ),
    ASSIGNMENT: (
        "[{{ ticket }}] Назначено вам: {{ subject }}",
        "Здравствуйте, {{ engineer }}!\n\n"
        "Заявка {{ ticket }} ({{ subject }}){% if client %} от {{ client }}{% endif %} "
        "назначена на вас.\n"
        "{% if resolution_due %}Решить её нужно до {{ resolution_due }}.\n{% endif %}",
    ),
    RESOLUTION: (
        "[{{ ticket }}] Решено: {{ subject }}",
        "Здравствуйте{% if contact %}, {{ contact }}{% endif %}!\n\n"
        "Мы считаем, что заявка {{ ticket }} ({{ subject }}) решена.\n"
        "\n"
        "Пожалуйста, ответьте на это письмо:\n"
        "- «подтверждаю», если всё работает, или оценкой от 1 (плохо) до 5 (отлично);\n"
        "- или напишите, что ещё не так, и мы откроем заявку снова.\n"
        "{% if confirm_hours %}Без ответа она закроется сама через {{ confirm_hours }} "
        "рабочих часов.\n{% endif %}\n"
        "-- \nСлужба поддержки\n",
    ),
    AUTO_CLOSE: (
        "[{{ ticket }}] Закрыто: {{ subject }}",
        "Здравствуйте{% if contact %}, {{ contact }}{% endif %}!\n\n"
        "Заявка {{ ticket }} ({{ subject }}) закрыта: после её решения мы не получили "
        "ответа.\nЕсли проблема вернулась, ответьте на это письмо, и мы откроем новую "
        "заявку.\n\n"
        "-- \nСлужба поддержки\n",
    ),
}
# The config's keys of each kind, and the language and part of the text each overrides.
OVERRIDE_KEYS = {
    "subject": ("en", 0),
    "body": ("en", 1),
    "subject_ru": ("ru", 0),
    "body_ru": ("ru", 1),
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
    "language": "en",
}


NAMES = frozenset(SAMPLE_CONTEXT)
MAX_SUBJECT = 500


class NotificationTemplates:
    """The templates of every kind; overridden ones are tried when given, bad ones refused.

    The defaults are not tried here (their tests do): building the default set imports
    nothing, so the store can hold one from the start.
    """

    def __init__(self, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.sources: dict[tuple[str, str], tuple[str, str]] = {
            **{(kind, "en"): texts for kind, texts in DEFAULTS.items()},
            **{(kind, "ru"): texts for kind, texts in DEFAULTS_RU.items()},
        }
        for kind, texts in (overrides or {}).items():
            if kind not in DEFAULTS:
                raise ValidationError(
                    f"unknown notification {kind!r} (expected one of {', '.join(KINDS)})"
                )
            for key, text in texts.items():
                if key not in OVERRIDE_KEYS:
                    raise ValidationError(
                        f"notification {kind!r}: unknown key {key!r} (expected one of "
                        f"{', '.join(OVERRIDE_KEYS)})"
                    )
                if not text:
                    continue
                language, part = OVERRIDE_KEYS[key]
                pair = list(self.sources[kind, language])
                pair[part] = text
                self.sources[kind, language] = (pair[0], pair[1])
        for kind in overrides or {}:
            for language in ("en", "ru"):
                subject, body = self.sources[kind, language]
                try:
                    check_pair(subject, body, known=NAMES)
                except ValidationError as exc:
                    raise ValidationError(f"notification template {kind!r}: {exc}") from None
                self.render(kind, {**SAMPLE_CONTEXT, "language": language})

    def render(self, kind: str, context: Mapping[str, Any]) -> Rendered:
        """Subject and body in the context's language; the subject is one line and always
        carries `[#N]`."""
        language = "ru" if context.get("language") == "ru" else "en"
        subject, body = self.sources[kind, language]
        try:
            rendered = render_pair(subject, body, context, known=NAMES)
        except ValidationError as exc:
            raise ValidationError(f"notification template {kind!r}: {exc}") from None
        subject = rendered.subject
        ticket_id = context.get("ticket_id")
        if isinstance(ticket_id, int):
            subject = subject_with_ref(subject, ticket_id)
        return Rendered(subject=subject[:MAX_SUBJECT], body=rendered.body)


DEFAULT_TEMPLATES = NotificationTemplates()
