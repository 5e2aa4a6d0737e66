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


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("[smtp]\nhots = 'mail.example.com'\n", "unknown key smtp.hots"),
        ("[imap]\nfolders = 'INBOX'\n", "unknown key imap.folders"),
        ("smtp.hots = 'x'\n", "unknown key smtp.hots"),
        ("smpt = {host = 'x'}\n", "unknown key smpt"),
        (
            "[notifications.acknowledgement]\nsubjcet = 'x'\n",
            "unknown key notifications.acknowledgement.subjcet",
        ),
        ("databse_url = 'x.db'\n[smtp]\nprot = 25\n", "unknown keys databse_url, smtp.prot"),
    ],
)
def test_an_unknown_key_anywhere_names_the_key_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, key: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value) == f"{config}: {key}"


def test_a_named_config_file_that_is_missing_names_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo" / "dispatcher.toml"
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(missing))
    with pytest.raises(ConfigError, match="no such config file") as error:
        load_settings()
    assert str(missing) in str(error.value)
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(tmp_path))
    with pytest.raises(ConfigError, match="is a folder"):
        load_settings()


def test_the_default_config_file_may_be_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPATCHER_CONFIG_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing-here"))
    assert load_settings().smtp.host is None


@pytest.mark.parametrize(
    "content",
    [
        "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n",
        "keymap" + ".b" * 20_000 + " = 'x'\n",
        "[keymap" + ".b" * 20_000 + "]\n",
        "a = " + "[" * 40 + "]" * 40 + "\n",
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    config = tmp_path / "deep.toml"
    config.write_text(content)
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    with pytest.raises(ConfigError, match="nested deeper than") as error:
        load_settings()
    assert str(config) in str(error.value)


def test_a_bad_value_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISPATCHER_SMTP__PORT", "twenty-five")
    with pytest.raises(ConfigError, match=r"^DISPATCHER_SMTP__PORT \(environment\): "):
        load_settings()
    monkeypatch.delenv("DISPATCHER_SMTP__PORT")
    monkeypatch.setenv("DISPATCHER_SMTP__HOTS", "mail.example.com")
    with pytest.raises(ConfigError, match="unknown setting DISPATCHER_SMTP__HOTS"):
        load_settings()


def test_a_file_that_is_not_utf8_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cp1251.toml"
    config.write_bytes("theme = 'тёмная'\n".encode("cp1251"))
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings()


@pytest.mark.parametrize(
    "args",
    [
        [],  # the console
        ["watch", "--once"],
        ["kb", "search", "vpn"],
        ["admin", "tickets", "list"],
        ["admin", "tickets", "show", "#1"],
        ["admin", "outbox", "list"],
        ["admin", "intake", "import", "."],
        ["admin", "db", "current"],
    ],
)
def test_every_command_reports_a_config_error_as_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from typer.testing import CliRunner

    from dispatcher.cli import app

    config = tmp_path / "config.toml"
    config.write_text("[smtp]\nhots = 'mail.example.com'\n")
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    result = CliRunner().invoke(app, [*args, "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {config}: unknown key smtp.hots\n"
    assert result.stdout == ""
    assert not (tmp_path / "x.db").exists()
