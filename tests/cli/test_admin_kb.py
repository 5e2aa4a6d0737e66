"""`dispatcher admin kb import|list|show` on real Markdown files."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner, Result

from dispatcher.cli import app
from dispatcher.store.db.engine import Store
from dispatcher.store.models import KbArticle
from tests.factories import world

runner = CliRunner()
HOSTILE = "[bold]boom[/bold] [@click=app.quit] \x1b]0;pwned\x07"


def run(db_url: str, *args: str) -> Result:
    return runner.invoke(app, ["admin", "--db", db_url, "kb", *args])


def errors(result: Result) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith("error: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_import_list_show_and_reimport(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    write(
        folder,
        "network/vpn.md",
        "---\ntitle: VPN token\ntags: [vpn, token]\nvisibility: public\n---\nReset it.\n",
    )
    write(folder, "printer.md", "# Printer jams\n\nOpen tray 2.\n")
    first = run(db_url, "import", str(folder), "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "errors": [],
    }

    listed = json.loads(run(db_url, "list", "--json").stdout)
    assert [(a["slug"], a["title"], a["version"]) for a in listed] == [
        ("network/vpn", "VPN token", 1),
        ("printer", "Printer jams", 1),
    ]
    assert listed[0]["tags"] == ["token", "vpn"]
    public = json.loads(run(db_url, "list", "--visibility", "public", "--json").stdout)
    assert [a["slug"] for a in public] == ["network/vpn"]

    write(folder, "printer.md", "# Printer jams\n\nOpen tray 3.\n")
    again = run(db_url, "import", str(folder))
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == "0 created, 1 updated, 1 unchanged, 0 failed"

    shown = run(db_url, "show", "printer")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith("Printer jams\n")
    assert "version: 2" in shown.stdout
    assert "Open tray 3." in shown.stdout
    assert json.loads(run(db_url, "show", "printer", "--json").stdout)["version"] == 2


def test_a_broken_file_is_reported_and_the_rest_import(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    write(folder, "good.md", "---\ntitle: Good\n---\nfine\n")
    write(folder, "sub/broken.md", "---\ntitle: Broken\nvisibility: secret\n---\n")
    result = run(db_url, "import", str(folder))
    assert result.exit_code == 2
    lines = errors(result)
    assert lines == [
        "error: sub/broken.md: line 3: visibility must be internal or public, not 'secret'"
    ]
    assert result.stdout.strip() == "1 created, 0 updated, 0 unchanged, 1 failed"
    assert [a["slug"] for a in json.loads(run(db_url, "list", "--json").stdout)] == ["good"]


def test_unclosed_front_matter(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    write(folder, "open.md", "---\ntitle: Never closed\n\nBody.\n")
    result = run(db_url, "import", str(folder), "--json")
    assert result.exit_code == 2
    assert errors(result) == [
        "error: open.md: line 1: the front matter opened with '---' is never closed"
    ]
    assert json.loads(result.stdout)["errors"][0]["file"] == "open.md"


def test_missing_folder_and_unknown_article(db_url: str, tmp_path: Path) -> None:
    missing = run(db_url, "import", str(tmp_path / "nope"))
    assert missing.exit_code == 2
    assert len(errors(missing)) == 1
    assert "no folder" in missing.stderr
    unknown = run(db_url, "show", "nope")
    assert unknown.exit_code == 2
    assert errors(unknown) == ["error: no article nope"]
    bad = run(db_url, "list", "--visibility", "secret")
    assert bad.exit_code == 2
    assert len(errors(bad)) == 1


def test_hostile_title_is_printed_literally(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    title = json.dumps(HOSTILE)  # a double-quoted value with \u escapes
    write(folder, "evil.md", f"---\ntitle: {title}\n---\n{HOSTILE}\n")
    assert run(db_url, "import", str(folder)).exit_code == 0
    for args in (["list"], ["show", "evil"]):
        result = run(db_url, *args)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout
        assert "\x07" not in result.stdout
        assert "]0;pwned" in result.stdout
    assert "[bold]boom[/bold] [@click=app.quit]" in run(db_url, "show", "evil").stdout
    assert json.loads(run(db_url, "show", "evil", "--json").stdout)["title"] == HOSTILE


def test_author_from_as(db_url: str, store: Store, tmp_path: Path) -> None:
    w = world(store)
    folder = tmp_path / "kb"
    write(folder, "a.md", "# A\n")
    assert run(db_url, "import", str(folder), "--as", "olga").exit_code == 0
    with store.read() as session:
        article = session.exec(select(KbArticle)).one()
    assert article.author_id == w.dispatcher.id
    unknown = run(db_url, "import", str(folder), "--as", "ghost")
    assert unknown.exit_code == 2
    assert errors(unknown) == ["error: no user ghost"]
