"""Settings: file, environment and overrides, and clear errors for a broken file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dispatcher.config import ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).parent.parent / "config" / "dispatcher.example.toml"


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.database_url.endswith("dispatcher.db")
    assert str(tmp_path) in settings.database_url  # isolated data dir, never the real one


def test_file_then_environment_then_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "d.toml"
    config.write_text('database_url = "file.db"\ntheme = "nord"\n[smtp]\nport = 2525\n')
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    assert load_settings().database_url == "file.db"
    monkeypatch.setenv("DISPATCHER_DATABASE_URL", "env.db")
    monkeypatch.setenv("DISPATCHER_SMTP__HOST", "mail.local")
    settings = load_settings()
    assert settings.database_url == "env.db"
    assert (settings.smtp.host, settings.smtp.port, settings.theme) == ("mail.local", 2525, "nord")
    assert load_settings(database_url="flag.db").database_url == "flag.db"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("database_url = \n", "not valid TOML"),
        ("refresh_seconds = -1\n", "refresh_seconds"),
        ("no_such_key = 1\n", "no_such_key"),
        ("[smtp]\nport = 'twenty-five'\n", "smtp.port"),
    ],
)
def test_a_broken_file_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, expected: str
) -> None:
    config = tmp_path / "broken.toml"
    config.write_text(content)
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    with pytest.raises(ConfigError, match=expected) as error:
        load_settings()
    assert str(config) in str(error.value)


def test_the_example_file_is_valid() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    Settings.model_validate(data)
