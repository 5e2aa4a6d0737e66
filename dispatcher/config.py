"""Settings: defaults < TOML config file < DISPATCHER_* environment < command-line flags.

The file is `DISPATCHER_CONFIG_FILE`, or `dispatcher.toml` in the user config directory.
Built in the CLI and handed down; there are no module-level settings.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dispatcher.domain.errors import DispatcherError

APP_NAME = "dispatcher"


class ConfigError(DispatcherError):
    """The config file cannot be used as written."""


def default_config_file() -> Path:
    env = os.environ.get("DISPATCHER_CONFIG_FILE")
    return Path(env).expanduser() if env else user_config_path(APP_NAME) / "dispatcher.toml"


def default_database_path() -> Path:
    return user_data_path(APP_NAME) / "dispatcher.db"


class SmtpSettings(BaseModel):
    host: str | None = Field(default=None, description="unset: mail waits in the outbox")
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="name of the environment variable that holds the password"
    )
    password_file: str | None = Field(default=None, description="or a file that holds it")
    from_address: str = "support@example.com"
    send_seconds: float = Field(default=30.0, gt=0, description="how often the outbox is sent")


class ImapSettings(BaseModel):
    host: str | None = Field(default=None, description="unset: no mailbox is polled")
    port: int = 993
    ssl: bool = True
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    folder: str = "INBOX"
    processed_folder: str | None = None
    poll_seconds: float = Field(default=60.0, gt=0)
    queue: str | None = Field(default=None, description="queue of tickets opened from mail")


class NotificationText(BaseModel):
    model_config = {"extra": "forbid"}

    subject: str | None = None
    body: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DISPATCHER_", env_nested_delimiter="__", extra="forbid"
    )

    database_url: str = Field(
        default_factory=lambda: str(default_database_path()),
        description="SQLAlchemy URL or a path to a SQLite file",
    )
    theme: str = "textual-dark"
    refresh_seconds: float = Field(
        default=0.2,
        gt=0,
        le=60,
        description="how often the queue asks the database whether anybody committed",
    )
    kb_url: str | None = Field(
        default=None,
        description="base URL of the public knowledge base: links become {kb_url}/{slug}",
    )
    mail_queue: str | None = Field(
        default=None,
        description="queue of tickets opened from mail (import, IMAP, review), by name",
    )
    keymap: dict[str, str] = Field(default_factory=dict)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    # Notification texts (sandboxed Jinja2) by kind: acknowledgement, assignment,
    # resolution, auto_close; what is not given keeps its default.
    notifications: dict[str, NotificationText] = Field(default_factory=dict)

    @field_validator("kb_url")
    @classmethod
    def _kb_url_is_http(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
            raise ValueError("must be an http:// or https:// address without spaces")
        return value

    @field_validator("notifications")
    @classmethod
    def _templates_compile(cls, value: dict[str, NotificationText]) -> dict[str, NotificationText]:
        from dispatcher.domain.notification_templates import NotificationTemplates

        try:
            NotificationTemplates({k: v.model_dump(exclude_none=True) for k, v in value.items()})
        except DispatcherError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=default_config_file())
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the file and the environment, with explicit overrides on top.

    A broken file or a bad value is a `ConfigError` naming the file and the key.
    """
    path = default_config_file()
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**overrides)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
