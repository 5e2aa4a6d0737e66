"""Reply templates and knowledge-base articles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from dispatcher.domain.enums import ArticleStatus, Channel, Visibility
from dispatcher.store.models._base import enum_field, json_field, utcnow


class ReplyTemplate(SQLModel, table=True):
    __tablename__ = "reply_template"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    channel: Channel | None = enum_field(Channel, None, length=10)
    subject: str = Field(default="", max_length=500)
    body: str = Field(default="", sa_type=Text)  # Jinja2 source, rendered in a sandbox
    active: bool = True
    uses: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class KbArticle(SQLModel, table=True):
    __tablename__ = "kb_article"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, unique=True)  # stable key for re-imports
    title: str = Field(max_length=500)
    body: str = Field(default="", sa_type=Text)  # Markdown
    visibility: Visibility = enum_field(Visibility, Visibility.internal, length=10)
    status: ArticleStatus = enum_field(ArticleStatus, ArticleStatus.published, length=10)
    groups: list[Any] = json_field(list)  # empty: everyone in the team may read it
    author_id: int | None = Field(default=None, foreign_key="user.id")
    source_ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    uses: int = 0
    helpful_votes: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class KbArticleTag(SQLModel, table=True):
    __tablename__ = "kb_article_tag"

    article_id: int = Field(foreign_key="kb_article.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(max_length=64, primary_key=True, index=True)
