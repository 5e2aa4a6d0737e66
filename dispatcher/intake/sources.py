"""Where mail comes from on disk: one .eml file, a folder of them, a maildir, an mbox."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dispatcher.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class RawMail:
    source: str  # where it came from, for the quarantine and error messages
    data: bytes


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def is_mbox(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def _files(path: Path) -> list[Path]:
    if is_maildir(path):
        found = [p for sub in ("new", "cur") for p in (path / sub).iterdir() if p.is_file()]
        return sorted(found, key=lambda p: p.name)
    found = [p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".eml"]
    return sorted(found)


def count(path: Path) -> int | None:
    """How many messages `iter_path` yields (None for an mbox, which is not scanned twice)."""
    if path.is_dir():
        return len(_files(path))
    return None if is_mbox(path) else 1


def iter_path(path: Path) -> Iterator[RawMail]:
    """Every message under `path`, in a stable order, as raw bytes."""
    path = path.expanduser()
    if not path.exists():
        raise ValidationError(f"no such file or folder: {path}")
    if path.is_dir():
        for file in _files(path):
            yield RawMail(source=str(file), data=file.read_bytes())
        return
    if is_mbox(path):
        box = mailbox.mbox(path, create=False)
        try:
            for index, key in enumerate(box.iterkeys()):
                yield RawMail(source=f"{path}#{index + 1}", data=box.get_bytes(key))
        finally:
            box.close()
        return
    yield RawMail(source=str(path), data=path.read_bytes())
