"""Notification templates: defaults, overrides from the config file, the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.config import ConfigError, load_settings
from dispatcher.domain.errors import ValidationError
from dispatcher.domain.notification_templates import (
    DEFAULT_TEMPLATES,
    DEFAULTS,
    DEFAULTS_RU,
    KINDS,
    NAMES,
    SAMPLE_CONTEXT,
    NotificationTemplates,
)
from dispatcher.domain.templating import check_pair
from dispatcher.store.db.engine import Store
from tests.factories import world


def test_defaults_carry_the_reference_and_the_promise() -> None:
    rendered = NotificationTemplates().render("acknowledgement", SAMPLE_CONTEXT)
    assert rendered.subject == "[#1042] We have your request: VPN is down"
    assert "ticket #1042" in rendered.body
    assert "first answer by Wed 18 Nov 2026 14:30 MSK" in rendered.body
    resolution = NotificationTemplates().render("resolution", SAMPLE_CONTEXT).body
    assert '"confirm"' in resolution
    assert "1 (poor) to 5 (excellent)" in resolution


@pytest.mark.parametrize("kind", KINDS)
def test_every_default_names_known_values_only_and_carries_the_reference(kind: str) -> None:
    # The defaults are not tried when the templates are built (that would import Jinja2
    # on the console's start-up): this is where they are.
    check_pair(*DEFAULTS[kind], known=NAMES)
    rendered = DEFAULT_TEMPLATES.render(kind, SAMPLE_CONTEXT)
    assert rendered.subject.startswith("[#1042] ")
    assert "{{" not in rendered.body
    # A ticket without a contact or an SLA plan has empty values: they render empty.
    blank = dict.fromkeys(NAMES, "") | {"ticket": "#7", "ticket_id": 7}
    assert DEFAULT_TEMPLATES.render(kind, blank).subject.startswith("[#7] ")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_russian_default_for_russian_tickets(kind: str) -> None:
    check_pair(*DEFAULTS_RU[kind], known=NAMES)
    russian = DEFAULT_TEMPLATES.render(kind, {**SAMPLE_CONTEXT, "language": "ru"})
    english = DEFAULT_TEMPLATES.render(kind, SAMPLE_CONTEXT)
    assert russian.subject.startswith("[#1042] ")
    assert any("а" <= ch <= "я" for ch in russian.body.lower())
    assert russian.body != english.body
    assert not any("а" <= ch <= "я" for ch in english.body.lower())


def test_russian_texts_are_overridden_on_their_own_keys() -> None:
    templates = NotificationTemplates(
        {"acknowledgement": {"body": "Hi from Acme Support", "body_ru": "Привет от Акме"}}
    )
    assert templates.render("acknowledgement", SAMPLE_CONTEXT).body == "Hi from Acme Support"
    ru = templates.render("acknowledgement", {**SAMPLE_CONTEXT, "language": "ru"})
    assert ru.body == "Привет от Акме"
    assert ru.subject == "[#1042] Ваше обращение принято: VPN is down"  # the default kept
    only_en = NotificationTemplates({"resolution": {"subject": "Done: {{ subject }}"}})
    ru_resolution = only_en.render("resolution", {**SAMPLE_CONTEXT, "language": "ru"})
    assert ru_resolution.subject == "[#1042] Решено: VPN is down"
    with pytest.raises(ValidationError, match="unknown key 'body_de'"):
        NotificationTemplates({"resolution": {"body_de": "Hallo"}})
    with pytest.raises(ValidationError, match="'resolution'"):
        NotificationTemplates({"resolution": {"body_ru": "{{ 1/0 }}"}})


def test_a_value_missing_from_the_context_is_refused_by_name() -> None:
    context = {k: v for k, v in SAMPLE_CONTEXT.items() if k != "subject"}
    with pytest.raises(ValidationError, match=r"'acknowledgement'.*\{\{ subject \}\}"):
        DEFAULT_TEMPLATES.render("acknowledgement", context)


def test_the_config_file_overrides_a_text_and_the_reference_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "dispatcher.toml"
    config.write_text(
        "[notifications.acknowledgement]\n"
        'subject = "Заявка {{ ticket }} принята"\n'
        'body = "Ответим до {{ first_response_due }}."\n'
    )
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    settings = load_settings()
    templates = NotificationTemplates(
        {k: v.model_dump(exclude_none=True) for k, v in settings.notifications.items()}
    )
    rendered = templates.render("acknowledgement", SAMPLE_CONTEXT)
    assert rendered.subject == "[#1042] Заявка #1042 принята"
    assert rendered.body == "Ответим до Wed 18 Nov 2026 14:30 MSK."
    # Kinds not overridden keep their defaults.
    assert templates.render("auto_close", SAMPLE_CONTEXT).subject.startswith("[#1042] Closed")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[notifications.acknowledgement]\nsubject = "{{ ticket "\n', "notifications"),
        ('[notifications.acknowledgement]\nbody = "{{ no_such_name }}"\n', "no_such_name"),
        ('[notifications.greeting]\nbody = "hi"\n', "unknown notification 'greeting'"),
        (
            '[notifications.resolution]\nbody = "{{ 10**(10**10) }}"\n',
            "notification template 'resolution': body: a number too large",
        ),
        (
            '[notifications.assignment]\nsubject = "{{ 1/0 }}"\n',
            "notification template 'assignment': subject: division by zero",
        ),
        (
            '[notifications.auto_close]\nbody = "{% for a in range(10**9) %}{{ a }}{% endfor %}"\n',
            "notification template 'auto_close': body: a range too long",
        ),
    ],
)
def test_bad_templates_are_refused_when_the_config_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, message: str
) -> None:
    config = tmp_path / "dispatcher.toml"
    config.write_text(toml)
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_the_sandbox_refuses_unsafe_attribute_access() -> None:
    with pytest.raises(ValidationError, match="unsafe"):
        NotificationTemplates(
            {"assignment": {"body": "{{ subject.__class__.__mro__[1].__subclasses__() }}"}}
        )


@pytest.mark.parametrize("args", [["watch", "--once"], []], ids=["watch", "console"])
def test_a_broken_notification_template_stops_the_start_naming_it(
    db_url: str, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    world(store)
    config = tmp_path / "dispatcher.toml"
    config.write_text('[notifications.resolution]\nbody = "Done. {{ 10**(10**10) }}"\n')
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    result = CliRunner().invoke(app, ["--db", db_url, "--as", "olga", *args])
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ")
    assert "notification template 'resolution': body: a number too large" in line
