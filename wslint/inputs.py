"""What wslint is asked to lint: a display path, and a file on disk or text from stdin."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class InputFile:
    """A file to lint: a display path, and either a path on disk or the text (stdin)."""

    path: str
    disk_path: str | None
    text: str | None = None


def display_path(path: str) -> str:
    """Paths as the user typed them where possible, else relative to the working directory."""
    if not os.path.isabs(path):
        return os.path.normpath(path)
    path = os.path.normpath(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
