"""Columns in the unit each consumer counts.

wslint's positions (findings, diagnostics, fix edits) count characters (code
points), as a person reading the line does. Review tools count differently:
reviewdog counts UTF-8 bytes, SARIF consumers UTF-16 code units (the run states
which), so on a line with `café 😀` before the finding a column in characters
would put a suggested edit on the wrong span. `Columns` converts with the text
wslint read; a position in a file it has no text for (stock snippets) is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

ColumnUnit = Literal["characters", "utf8", "utf16"]


def width(text: str, unit: ColumnUnit) -> int:
    """How many `unit`s `text` takes."""
    if unit == "utf8":
        return len(text.encode("utf-8", "surrogatepass"))
    if unit == "utf16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text)


class Columns:
    """Character columns (1-based) of the files in `texts` converted to `unit`."""

    def __init__(self, texts: Mapping[str, str], unit: ColumnUnit) -> None:
        self.texts = texts
        self.unit = unit
        self._lines: dict[str, list[str]] = {}

    def _line(self, path: str, line: int) -> str | None:
        lines = self._lines.get(path)
        if lines is None:
            text = self.texts.get(path)
            if text is None:
                return None
            lines = self._lines[path] = text.split("\n")
        return lines[line - 1] if 1 <= line <= len(lines) else None

    def column(self, path: str, line: int, column: int) -> int:
        if self.unit == "characters" or column <= 1:
            return column
        text = self._line(path, line)
        if text is None:
            return column
        before = text[: column - 1]
        # a column past the end of the line keeps its excess as is
        return width(before, self.unit) + (column - 1 - len(before)) + 1
