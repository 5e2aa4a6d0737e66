"""Sizes as people read them, the same on screen, in commands and in notes on a message."""

from __future__ import annotations


def human_size(size: int) -> str:
    """512 B, 1.5 KB, 12 KB, 80 MB (1 KB = 1024 bytes, as the intake's limits count)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    if unit == "B":
        return f"{size} B"
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
