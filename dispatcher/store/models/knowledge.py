"""Reply templates and knowledge-base articles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import ArticleStatus, Channel, Visibility
from dispatcher.store.models._base import enum_field, json_field


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


class KbSearchDoc(SQLModel, table=True):
    """An article as the search index sees it: its title and body as lines of stems.

    Written by `dispatcher.store.kb_search.reindex` whenever the article changes. On SQLite
    the FTS5 table `kb_fts` indexes it as external content (kept in step by triggers); on
    PostgreSQL a GIN index over its weighted tsvector does (both made by migration 0002).
    """

    __tablename__ = "kb_search_doc"

    article_id: int = Field(foreign_key="kb_article.id", primary_key=True, ondelete="CASCADE")
    title_terms: str = Field(default="", sa_type=Text)
    body_terms: str = Field(default="", sa_type=Text)


# The search index's own objects, which are not models: FTS5's virtual table and its shadow
# tables on SQLite; on PostgreSQL the term statistics a trigger keeps (migration 0012) and
# the stored tsvector column with its GIN index (0014), which only PostgreSQL writes.
# Comparing the models with a migrated database leaves them out.
SEARCH_INDEX_TABLES = frozenset(
    {
        "kb_fts",
        "kb_fts_data",
        "kb_fts_idx",
        "kb_fts_docsize",
        "kb_fts_config",
        "kb_fts_content",
        "kb_fts_vocab",
        "kb_term_stat",
        "kb_index_total",
    }
)
SEARCH_INDEX_INDEXES = frozenset({"ix_kb_search_doc_document"})
SEARCH_INDEX_COLUMNS = frozenset({("kb_search_doc", "document")})


def is_model_table(name: str | None, type_: str, parent: Any = None) -> bool:
    """An Alembic `include_name` filter: everything but the search index's own objects."""
    if type_ == "table":
        return name not in SEARCH_INDEX_TABLES
    if type_ == "index":
        return name not in SEARCH_INDEX_INDEXES
    if type_ == "column" and isinstance(parent, dict):
        return (parent.get("table_name"), name) not in SEARCH_INDEX_COLUMNS
    return True


class KbArticleTag(SQLModel, table=True):
    __tablename__ = "kb_article_tag"

    article_id: int = Field(foreign_key="kb_article.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(max_length=64, primary_key=True, index=True)
