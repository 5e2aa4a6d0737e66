"""`dispatcher admin intake import | quarantine`: every source form, counts that add up."""

from __future__ import annotations

import mailbox
import shutil
from pathlib import Path

from dispatcher.store.db.engine import Store
from tests.cli.helpers import as_json, error, ok
from tests.factories import world
from tests.intake.helpers import CORPUS

KEYS = ("new_tickets", "threaded", "auto_replies", "bounces", "duplicates", "quarantined", "held")


def _adds_up(summary: dict[str, int]) -> None:
    assert set(summary) == {"read", *KEYS}
    assert sum(summary[k] for k in KEYS) == summary["read"]


def test_import_the_whole_corpus_folder_then_again(store: Store, db_url: str) -> None:
    world(store)
    first = as_json(db_url, "intake", "import", str(CORPUS))
    _adds_up(first)
    eml = len(list(CORPUS.glob("*.eml")))
    assert first["read"] == eml
    assert first["quarantined"] == 3  # empty, binary, no sender
    assert first["bounces"] == 2
    assert first["auto_replies"] >= 3
    assert first["new_tickets"] > 10
    again = as_json(db_url, "intake", "import", str(CORPUS))
    _adds_up(again)
    assert again == {**dict.fromkeys(KEYS, 0), "read": eml, "duplicates": eml}


def test_single_file_mbox_and_maildir(store: Store, db_url: str, tmp_path: Path) -> None:
    world(store)
    one = as_json(db_url, "intake", "import", str(CORPUS / "plain_utf8.eml"))
    assert (one["read"], one["new_tickets"]) == (1, 1)
    box = as_json(db_url, "intake", "import", str(CORPUS / "three.mbox"))
    assert box == {**dict.fromkeys(KEYS, 0), "read": 3, "duplicates": 1, "threaded": 1,
                   "new_tickets": 1}  # fmt: skip
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in ("koi8r_qp.eml", "out_of_office_en.eml", "empty.eml"):
        maildir.add((CORPUS / name).read_bytes())
    summary = as_json(db_url, "intake", "import", str(tmp_path / "Maildir"))
    _adds_up(summary)
    assert summary["read"] == 3
    assert summary["new_tickets"] == 1
    assert summary["quarantined"] == 1
    assert "1 new tickets" in ok(db_url, "intake", "import", str(CORPUS / "html_only.eml")).stdout


def test_quarantine_list_show_release(store: Store, db_url: str, tmp_path: Path) -> None:
    world(store)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CORPUS / "no_sender.eml", folder / "a.eml")
    as_json(db_url, "intake", "import", str(folder))
    [row] = as_json(db_url, "intake", "quarantine", "list")
    assert row["reason"].startswith("no sender address")
    assert row["source"].endswith("a.eml")
    shown = as_json(db_url, "intake", "quarantine", "show", str(row["id"]))
    assert "There is no From" in shown["text"]
    raw = ok(db_url, "intake", "quarantine", "show", str(row["id"]), "--raw").stdout_bytes
    assert raw == (CORPUS / "no_sender.eml").read_bytes()
    released = as_json(db_url, "intake", "quarantine", "release", str(row["id"]))
    assert released["outcome"] == "new_tickets"
    assert released["ticket"]
    assert as_json(db_url, "intake", "quarantine", "list") == []
    assert "already released" in error(db_url, "intake", "quarantine", "release", str(row["id"]))
    assert "quarantined message" in error(db_url, "intake", "quarantine", "show", "999")


def test_bad_input_is_one_error_line(store: Store, db_url: str, tmp_path: Path) -> None:
    world(store)
    assert "no such file" in error(db_url, "intake", "import", str(tmp_path / "missing"))
    assert "queue" in error(db_url, "intake", "import", str(CORPUS), "--queue", "Nope")
