"""Reading a configuration file as text, the same way for every proxy.

A linter meets binary files, other encodings and files far larger than any
configuration; each is refused with a message that says which and where,
before any parser sees it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


class TextFileError(Exception):
    """A file that is no configuration text; `line` where that shows (the first bad byte), if anywhere."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def decode(data: bytes, shown: str) -> str:
    """UTF-8 text, or TextFileError naming the first byte that is not."""
    if b"\0" in data:
        raise TextFileError(
            f"{shown} is not a text file (it contains NUL bytes)", data[: data.index(b"\0")].count(b"\n") + 1
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TextFileError(f"{shown} is not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})", line) from None


def read_text(disk_path: str, shown: str, max_bytes: int) -> str:
    """The file's text, refusing directories, files over `max_bytes`, binary and non-UTF-8 files."""
    try:
        if os.path.isdir(disk_path):
            raise TextFileError(f"{shown} is a directory, not a file")
        size = os.path.getsize(disk_path)
        if size > max_bytes:
            raise TextFileError(f"{shown} is {size} bytes, over the limit of {max_bytes} bytes (limits: file-size)")
        data = Path(disk_path).read_bytes()
    except OSError as exc:
        raise TextFileError(f"cannot read {shown}: {exc.strerror or exc}") from None
    return decode(data, shown)


@lru_cache(maxsize=16)
def lines_of(text: str) -> tuple[str, ...]:
    """A file's lines, split once however many nodes look into it (a string caches its hash)."""
    return tuple(text.split("\n"))
