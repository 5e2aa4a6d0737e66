"""Clients with their contacts, email domains, equipment and service contracts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint, false
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import ContactPointKind
from dispatcher.store.models._base import enum_field


class Client(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    notes: str = ""
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ClientDomain(SQLModel, table=True):
    """An email domain that identifies a client when the sender is not a known contact."""

    __tablename__ = "client_domain"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    domain: str = Field(max_length=253, unique=True)


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200, index=True)
    position: str = Field(default="", max_length=200)
    notes: str = ""
    active: bool = True
    # Added by the mail intake (a new person at the client's domain), not yet checked by a
    # dispatcher.
    is_new: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class ContactPoint(SQLModel, table=True):
    """An email address or phone number of a contact, stored normalised for look-up."""

    __tablename__ = "contact_point"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    kind: ContactPointKind = enum_field(ContactPointKind, length=10)
    value: str = Field(max_length=320, index=True)  # lower-cased email, or digits of a phone
    display: str = Field(max_length=320)  # as the admin typed it
    bouncing: bool = False  # mail to it bounced; flagged for the dispatcher
    bouncing_since: datetime | None = None  # when the first permanent bounce came in
    bounce_reason: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})


class Equipment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    kind: str = Field(default="", max_length=100)
    serial: str | None = Field(default=None, max_length=100, unique=True)
    location: str = Field(default="", max_length=200)
    notes: str = ""


class Contract(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True)
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    sla_plan_id: int = Field(foreign_key="sla_plan.id", index=True)
    valid_from: date
    valid_to: date | None = None  # inclusive; open-ended when None
    notes: str = ""


class ContractEquipment(SQLModel, table=True):
    __tablename__ = "contract_equipment"

    contract_id: int = Field(foreign_key="contract.id", primary_key=True, ondelete="CASCADE")
    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True, ondelete="CASCADE")
