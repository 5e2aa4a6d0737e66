"""`dispatcher admin templates`: add from a file, list, show, preview, edit, remove."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dispatcher.store.db.engine import Store
from dispatcher.store.replies import templates
from tests.cli.helpers import as_json, error, ok
from tests.factories import new_ticket, world


def _file(tmp_path: Path, text: str, name: str = "t.txt") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_add_from_a_file_with_its_subject_then_list_and_show(db_url: str, tmp_path: Path) -> None:
    path = _file(tmp_path, "Subject: Re: {{ ticket.subject }}\n\nHello {{ contact.name }}!\n")
    assert "added" in ok(db_url, "templates", "add", "greeting", "--file", path).stdout
    rows = as_json(db_url, "templates", "list")
    assert [(r["name"], r["subject"], r["active"]) for r in rows] == [
        ("greeting", "Re: {{ ticket.subject }}", True)
    ]
    shown = as_json(db_url, "templates", "show", "greeting")
    assert shown["body"] == "Hello {{ contact.name }}!\n"
    assert "Hello {{ contact.name }}!" in ok(db_url, "templates", "show", "greeting").stdout


def test_preview_against_a_ticket(db_url: str, store: Store, now: datetime, tmp_path: Path) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now, subject="VPN down")
    path = _file(tmp_path, "Hello {{ contact.name }}, {{ ticket.ref }} is {{ ticket.status }}.")
    ok(db_url, "templates", "add", "hi", "--file", path, "--subject", "[{{ ticket.ref }}]")
    shown = as_json(
        db_url, "templates", "preview", "hi", "--ticket", f"#{ticket.id}", "--as", "olga"
    )
    assert shown == {
        "subject": f"[#{ticket.id}]",
        "body": f"Hello Anna Client, #{ticket.id} is new.",
    }
    text = ok(db_url, "templates", "preview", "hi", "--ticket", str(ticket.id)).stdout
    assert f"Subject: [#{ticket.id}]" in text


def test_preview_names_a_placeholder_without_a_value(
    db_url: str, store: Store, now: datetime, tmp_path: Path
) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    ok(db_url, "templates", "add", "kb", "--file", _file(tmp_path, "Read {{ article.url }}"))
    line = error(db_url, "templates", "preview", "kb", "--ticket", f"#{ticket.id}")
    assert "{{ article.url }}" in line


def test_edit_and_remove(db_url: str, tmp_path: Path) -> None:
    ok(db_url, "templates", "add", "a", "--file", _file(tmp_path, "one"))
    ok(db_url, "templates", "edit", "a", "--file", _file(tmp_path, "two", "b.txt"), "--rename", "b")
    assert as_json(db_url, "templates", "show", "b")["body"] == "two"
    ok(db_url, "templates", "edit", "b", "--inactive")
    assert as_json(db_url, "templates", "list") == []
    assert len(as_json(db_url, "templates", "list", "--all")) == 1
    ok(db_url, "templates", "remove", "b")
    assert as_json(db_url, "templates", "list", "--all") == []


def test_bad_input_is_one_error_line(db_url: str, tmp_path: Path) -> None:
    good = _file(tmp_path, "Hi {{ contact.name }}")
    ok(db_url, "templates", "add", "dup", "--file", good)
    assert "exists" in error(db_url, "templates", "add", "dup", "--file", good)
    bad = _file(tmp_path, "Hi {{ contcat.name }}", "bad.txt")
    assert "{{ contcat }}" in error(db_url, "templates", "add", "x", "--file", bad)
    assert "no file" in error(db_url, "templates", "add", "x", "--file", str(tmp_path / "nope"))
    assert "channel" in error(db_url, "templates", "add", "x", "--file", good, "--channel", "fax")
    assert "template" in error(db_url, "templates", "show", "missing")
    assert "nothing to change" in error(db_url, "templates", "edit", "dup")
    assert error(db_url, "templates", "preview", "dup", "--ticket", "abc")
    assert error(db_url, "templates", "preview", "dup", "--ticket", "#999")
    assert error(db_url, "templates", "add", "y", "--file", good, "--category", "Nope")


def test_a_template_that_fails_is_refused_with_the_reason(
    db_url: str, store: Store, now: datetime, tmp_path: Path
) -> None:
    cases = {
        "{{ 10**(10**10) }}": "body: a number too large",
        "{{ 1/0 }}": "body: division by zero",
        "{% for a in range(10**9) %}x{% endfor %}": "body: a range too long",
    }
    for index, (body, reason) in enumerate(cases.items()):
        path = _file(tmp_path, body, f"{index}.txt")
        assert reason in error(db_url, "templates", "add", "bad", "--file", path)
        ok(db_url, "templates", "add", f"good{index}", "--file", _file(tmp_path, "ok", "ok.txt"))
        assert reason in error(db_url, "templates", "edit", f"good{index}", "--file", path)
    assert "subject: division by zero" in error(
        db_url, "templates", "add", "bad", "--file", _file(tmp_path, "x"), "--subject", "{{ 1/0 }}"
    )
    assert [r["body"] for r in (as_json(db_url, "templates", "show", "good0"),)] == ["ok"]
    # One stored before templates were tried (the store itself renders nothing): the
    # preview refuses it with the reason.
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        templates.add_template(session, name="old", body="{{ 10**(10**10) }}", now=now)
    line = error(db_url, "templates", "preview", "old", "--ticket", f"#{ticket.id}")
    assert "body: a number too large" in line
