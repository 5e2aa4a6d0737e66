"""The words people read for the helpdesk's codes: statuses, priorities, channels, event
kinds, ticket fields, SLA targets and alert kinds, in English and Russian.

The one place a code becomes a label: screens, widgets and history lines ask here and never
show a raw value ("waiting_client", "category_id"). The console has no language setting
yet, so `DEFAULT_LANGUAGE` is English; the Russian table is complete and chosen with
`lang="ru"`. A code missing from a table falls back to the English label, then to the code
with its underscores as spaces, so a new value never shows as nothing.

Pure: no I/O, no Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from dispatcher.domain.enums import (
    AlertKind,
    Channel,
    EscalationTarget,
    EventKind,
    LinkKind,
    MessageKind,
    Priority,
    Role,
    SlaTarget,
    TicketStatus,
)

LANGUAGES: Final = ("en", "ru")
DEFAULT_LANGUAGE: Final = "en"

Table = Mapping[str, tuple[str, str]]  # code -> (English, Russian)

STATUSES: Final[Table] = {
    TicketStatus.new: ("new", "новое"),
    TicketStatus.open: ("open", "открыто"),
    TicketStatus.assigned: ("assigned", "назначено"),
    TicketStatus.in_progress: ("in progress", "в работе"),
    TicketStatus.waiting_client: ("waiting on client", "ждёт клиента"),
    TicketStatus.escalated: ("escalated", "эскалировано"),
    TicketStatus.resolved: ("resolved", "решено"),
    TicketStatus.closed: ("closed", "закрыто"),
    TicketStatus.merged: ("merged", "объединено"),
    TicketStatus.spam: ("spam", "спам"),
}
PRIORITIES: Final[Table] = {
    Priority.low: ("low", "низкий"),
    Priority.normal: ("normal", "обычный"),
    Priority.high: ("high", "высокий"),
    Priority.urgent: ("urgent", "срочный"),
}
CHANNELS: Final[Table] = {
    Channel.email: ("email", "почта"),
    Channel.phone: ("phone", "телефон"),
    Channel.chat: ("chat", "чат"),
    Channel.web: ("web form", "веб-форма"),
    Channel.walk_in: ("walk-in", "лично"),
}
MESSAGE_KINDS: Final[Table] = {
    MessageKind.inbound: ("message from the client", "сообщение клиента"),
    MessageKind.reply: ("reply", "ответ"),
    MessageKind.note: ("note", "заметка"),
}
EVENT_KINDS: Final[Table] = {
    EventKind.created: ("created", "создано"),
    EventKind.classified: ("classified", "классифицировано"),
    EventKind.assigned: ("assigned", "назначено"),
    EventKind.status_changed: ("status changed", "статус изменён"),
    EventKind.reopened: ("reopened", "открыто повторно"),
    EventKind.escalated: ("escalated", "эскалировано"),
    EventKind.message_added: ("message added", "добавлено сообщение"),
    EventKind.merged: ("merged", "объединено"),
    EventKind.linked: ("linked", "связано"),
    EventKind.edited: ("edited", "изменено"),
    EventKind.notification_queued: ("mail queued", "письмо в очереди"),
    EventKind.notification_cancelled: ("mail withdrawn", "письмо отозвано"),
    EventKind.rated: ("rated", "оценено"),
    EventKind.answer_unclear: ("answer unclear", "ответ неясен"),
    EventKind.sla_started: ("SLA clock started", "SLA: отсчёт начат"),
    EventKind.sla_paused: ("SLA clock paused", "SLA: отсчёт приостановлен"),
    EventKind.sla_resumed: ("SLA clock resumed", "SLA: отсчёт возобновлён"),
    EventKind.sla_plan_changed: ("SLA plan changed", "SLA: план изменён"),
    EventKind.sla_met: ("SLA target met", "SLA: срок выдержан"),
    EventKind.sla_breached: ("SLA deadline breached", "SLA: срок нарушен"),
}
FIELDS: Final[Table] = {
    "subject": ("subject", "тема"),
    "status": ("status", "статус"),
    "priority": ("priority", "приоритет"),
    "channel": ("channel", "канал"),
    "queue_id": ("queue", "очередь"),
    "category_id": ("category", "категория"),
    "client_id": ("client", "клиент"),
    "contact_id": ("contact", "контакт"),
    "contract_id": ("contract", "договор"),
    "equipment_id": ("equipment", "оборудование"),
    "assignee_id": ("assignee", "исполнитель"),
    "sla_plan_id": ("SLA plan", "план SLA"),
}
SLA_TARGETS: Final[Table] = {
    SlaTarget.first_response: ("first response", "первый ответ"),
    SlaTarget.resolution: ("resolution", "решение"),
    SlaTarget.update: ("regular update", "регулярное обновление"),
}
# What the queue's Due cell counts down, in the few letters the column has.
SLA_TARGETS_SHORT: Final[Table] = {
    SlaTarget.first_response: ("1st", "1-й"),
    SlaTarget.resolution: ("fix", "реш"),
    SlaTarget.update: ("upd", "обн"),
}
SLA_STATES: Final[Table] = {
    "pending": ("running", "идёт"),
    "paused": ("paused", "приостановлен"),
    "met": ("met", "выдержан"),
    "met_late": ("met late", "выполнен с опозданием"),
    "breached": ("breached", "нарушен"),
    "none": ("no target", "нет срока"),
}
ALERT_KINDS: Final[Table] = {
    AlertKind.warning: ("warning", "предупреждение"),
    AlertKind.breach: ("breach", "нарушение"),
    AlertKind.attention: ("needs attention", "требует внимания"),
}
ROLES: Final[Table] = {
    Role.dispatcher: ("dispatcher", "диспетчер"),
    Role.engineer: ("engineer", "инженер"),
    Role.lead: ("lead", "руководитель"),
    Role.admin: ("admin", "администратор"),
}
LINK_KINDS: Final[Table] = {
    LinkKind.related: ("related", "связано"),
    LinkKind.duplicate: ("duplicate", "дубликат"),
    LinkKind.parent: ("parent", "родительское"),
}
ESCALATION_TARGETS: Final[Table] = {
    EscalationTarget.colleague: ("colleague", "коллега"),
    EscalationTarget.vendor: ("vendor", "поставщик"),
}
WORDS: Final[Table] = {
    "nobody": ("nobody", "никто"),
    "unassigned": ("unassigned", "не назначено"),
    "the system": ("the system", "система"),
    "late": ("late", "просрочено"),
    "left": ("left", "осталось"),
    "paused": ("paused", "приостановлено"),
    "ago": ("ago", "назад"),
    "mail": ("mail", "почта"),
    "to review": ("to review", "на проверку"),
}


def _label(table: Table, code: object, lang: str) -> str:
    key = code.value if isinstance(code, StrEnum) else str(code)
    pair = table.get(key)
    if pair is None:
        return key.replace("_", " ")
    return pair[1] if lang == "ru" and pair[1] else pair[0]


def status(value: TicketStatus | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(STATUSES, value, lang)


def priority(value: Priority | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(PRIORITIES, value, lang)


def channel(value: Channel | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(CHANNELS, value, lang)


def message_kind(value: MessageKind | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(MESSAGE_KINDS, value, lang)


def event_kind(value: EventKind | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(EVENT_KINDS, value, lang)


def field(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A ticket field's name: `category_id` is "category"."""
    return _label(FIELDS, name, lang)


def target(value: SlaTarget | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(SLA_TARGETS, value, lang)


def target_short(value: SlaTarget | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(SLA_TARGETS_SHORT, value, lang)


def sla_state(value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(SLA_STATES, value, lang)


def alert_kind(value: AlertKind | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(ALERT_KINDS, value, lang)


def role(value: Role | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(ROLES, value, lang)


def link_kind(value: LinkKind | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(LINK_KINDS, value, lang)


def escalation_target(value: EscalationTarget | str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(ESCALATION_TARGETS, value, lang)


def word(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return _label(WORDS, key, lang)


# A field's value, by the kind of code it holds (ids are named by the caller, who has the
# names; these are the fields whose values are codes).
_VALUE_TABLES: Final[Mapping[str, Table]] = {
    "status": STATUSES,
    "priority": PRIORITIES,
    "channel": CHANNELS,
}


def field_value(name: str, value: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """A field's value as people read it: codes labelled, nothing shown as "none"."""
    if value is None or value == "":
        return "—"
    table = _VALUE_TABLES.get(name)
    return _label(table, value, lang) if table is not None else str(value)
