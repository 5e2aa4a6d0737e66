"""Every table of the store. Importing this package registers them all on the metadata."""

from dispatcher.store.models._base import table_of
from dispatcher.store.models.clients import (
    Client,
    ClientDomain,
    Contact,
    ContactPoint,
    Contract,
    ContractEquipment,
    Equipment,
)
from dispatcher.store.models.drafts import Draft
from dispatcher.store.models.facts import TicketFact
from dispatcher.store.models.knowledge import KbArticle, KbArticleTag, ReplyTemplate
from dispatcher.store.models.notify import Alert, HeldMail, OutboxItem, QuarantinedMail
from dispatcher.store.models.people import Competence, Leave, User, UserCompetence, WorkShift
from dispatcher.store.models.reports import NpsPulse, ReportRun, ReportSchedule
from dispatcher.store.models.sla import Calendar, SlaPlan, SlaPlanTarget
from dispatcher.store.models.tickets import (
    ACTIVE_STATUS_SQL,
    Attachment,
    Blob,
    Category,
    Escalation,
    Message,
    Presence,
    Queue,
    Rating,
    SavedView,
    Ticket,
    TicketEvent,
    TicketLink,
)

__all__ = [
    "ACTIVE_STATUS_SQL",
    "Alert",
    "Attachment",
    "Blob",
    "Calendar",
    "Category",
    "Client",
    "ClientDomain",
    "Competence",
    "Contact",
    "ContactPoint",
    "Contract",
    "ContractEquipment",
    "Draft",
    "Equipment",
    "Escalation",
    "HeldMail",
    "KbArticle",
    "KbArticleTag",
    "Leave",
    "Message",
    "NpsPulse",
    "OutboxItem",
    "Presence",
    "QuarantinedMail",
    "Queue",
    "Rating",
    "ReplyTemplate",
    "ReportRun",
    "ReportSchedule",
    "SavedView",
    "SlaPlan",
    "SlaPlanTarget",
    "Ticket",
    "TicketEvent",
    "TicketFact",
    "TicketLink",
    "User",
    "UserCompetence",
    "WorkShift",
    "table_of",
]
