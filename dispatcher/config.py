"""Settings: defaults < TOML config file < DISPATCHER_* environment < command-line flags.

The file is `DISPATCHER_CONFIG_FILE`, or `dispatcher.toml` in the user config directory.
Built in the CLI and handed down; there are no module-level settings.

Nothing in the file is ignored: a key no setting has (`[smtp] hots = ...`), a file named
by `DISPATCHER_CONFIG_FILE` that is not there, a file that is not TOML or is nested
deeper than any setting is, are each a `ConfigError` naming the file and the key.
(Only the default file may be missing: then the defaults apply.)
"""

from __future__ import annotations

import os
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from dispatcher.config_defaults import DEFAULT_REFRESH_SECONDS, DEFAULT_THEME
from dispatcher.domain.errors import DispatcherError

APP_NAME = "dispatcher"
ENV_PREFIX = "DISPATCHER_"
CONFIG_FILE_ENV = "DISPATCHER_CONFIG_FILE"
# Far deeper than any setting goes (`notifications.<kind>.body` is three): deeper is a
# mistake, and reading it must not exhaust the stack or the CPU (tomllib is quadratic in
# the parts of a dotted key).
MAX_DEPTH = 16
_DOTTED_KEY = re.compile(r"^\s*\[{0,2}\s*([A-Za-z0-9_\-]+(?:\s*\.\s*[A-Za-z0-9_\-]+)+)\s*(?:=|\])")


class ConfigError(DispatcherError):
    """The config file cannot be used as written."""


def default_config_file() -> Path:
    env = os.environ.get(CONFIG_FILE_ENV)
    return Path(env).expanduser() if env else user_config_path(APP_NAME) / "dispatcher.toml"


def default_database_path() -> Path:
    return user_data_path(APP_NAME) / "dispatcher.db"


class SmtpSettings(BaseModel):
    model_config = {"extra": "forbid"}

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
    model_config = {"extra": "forbid"}

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


class IntakeSettings(BaseModel):
    model_config = {"extra": "forbid"}

    max_message_mb: float = Field(
        default=128.0, gt=0, description="a larger message goes to the quarantine unread"
    )
    max_attachment_mb: float = Field(
        default=25.0, gt=0, description="a larger attachment is not kept; the message says so"
    )
    max_attachments: int = Field(
        default=20, ge=0, description="attachments kept per message; the rest are noted"
    )


class NotificationText(BaseModel):
    model_config = {"extra": "forbid"}

    subject: str | None = None
    body: str | None = None
    subject_ru: str | None = None  # the Russian text (tickets written in Russian)
    body_ru: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DISPATCHER_", env_nested_delimiter="__", extra="forbid"
    )

    database_url: str = Field(
        default_factory=lambda: str(default_database_path()),
        description="SQLAlchemy URL or a path to a SQLite file",
    )
    theme: str = DEFAULT_THEME
    refresh_seconds: float = Field(
        default=DEFAULT_REFRESH_SECONDS,
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
    nps_pulse_days: int = Field(
        default=90,
        ge=0,
        le=3650,
        description="ask a client contact the NPS question at most every this many days "
        "(after a closed ticket); 0: never",
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
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
        toml = InitSettingsSource(settings_cls, init_kwargs=read_config_file(settings_cls))
        return (init_settings, env_settings, toml)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _unknown_keys(model: type[BaseModel], data: dict[str, Any], where: str = "") -> list[str]:
    """The dotted names of the keys in `data` (a table for `model`) no setting has."""
    unknown = []
    for key, value in data.items():
        name = f"{where}{key}"
        field = model.model_fields.get(key)
        if field is None:
            unknown.append(name)
            continue
        if not isinstance(value, dict):
            continue
        nested = _model_of(field.annotation)
        if nested is not None:
            unknown += _unknown_keys(nested, value, f"{name}.")
        elif typing.get_origin(field.annotation) is dict:
            item = _model_of(typing.get_args(field.annotation)[-1])
            for sub, table in value.items():
                if item is not None and isinstance(table, dict):
                    unknown += _unknown_keys(item, table, f"{name}.{sub}.")
    return unknown


def _depth(data: object) -> int:
    """How deeply tables and arrays nest in `data` (counted without recursion)."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack += [(child, depth + 1) for child in value.values()]
        elif isinstance(value, list):
            stack += [(child, depth + 1) for child in value]
    return deepest


def _parse(path: Path, text: str) -> dict[str, Any]:
    for number, line in enumerate(text.splitlines(), start=1):
        found = _DOTTED_KEY.match(line)
        if found is not None and found.group(1).count(".") >= MAX_DEPTH:
            raise ConfigError(f"{path}: line {number}: nested deeper than {MAX_DEPTH} levels")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError:
        raise ConfigError(f"{path}: nested deeper than {MAX_DEPTH} levels") from None
    if _depth(data) > MAX_DEPTH:
        raise ConfigError(f"{path}: nested deeper than {MAX_DEPTH} levels")
    return data


def read_config_file(settings_cls: type[BaseModel]) -> dict[str, Any]:
    """The config file's tables, checked: a `ConfigError` for anything in it no setting takes.

    The default file may be missing (the defaults apply); one named by
    DISPATCHER_CONFIG_FILE must be there.
    """
    path = default_config_file()
    named = bool(os.environ.get(CONFIG_FILE_ENV))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if named:
            raise ConfigError(f"{path}: no such config file (named by {CONFIG_FILE_ENV})") from None
        return {}
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    data = _parse(path, text)
    unknown = _unknown_keys(settings_cls, data)
    if unknown:
        keys = ", ".join(unknown)
        raise ConfigError(f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {keys}")
    return data


def _env_name(loc: tuple[int | str, ...]) -> str | None:
    """The DISPATCHER_* variable that set the value at `loc`, if one did."""
    name = ENV_PREFIX + "__".join(str(p) for p in loc).upper()
    for candidate in (name, *(k for k in os.environ if k.upper() == name)):
        if candidate in os.environ:
            return candidate
    return None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the file and the environment, with explicit overrides on top.

    A broken file or a bad value is a `ConfigError` naming the file and the key.
    """
    path = default_config_file()
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        source = _env_name(loc) if loc else None
        if first["type"] == "extra_forbidden":
            # The file's keys were checked: an unknown one came from the environment.
            raise ConfigError(f"environment: unknown setting {source or where}") from exc
        shown = f"{source} (environment)" if source else f"{path}: {where}"
        raise ConfigError(f"{shown}: {first['msg']}") from exc
