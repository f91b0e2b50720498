"""Applying text edits to a file's content (the fixes' edits, for tests and a later --fix)."""

from __future__ import annotations

from collections.abc import Iterable

from wslint.findings import TextEdit


class EditConflict(Exception):
    """Two edits touch the same text."""


def _offset(starts: list[int], length: int, line: int, column: int) -> int:
    if line - 1 >= len(starts):
        return length
    return min(starts[line - 1] + column - 1, length)


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """`text` with every edit applied; edits refer to positions in the original text."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    spans = sorted(
        (
            (
                _offset(starts, len(text), e.start_line, e.start_column),
                _offset(starts, len(text), e.end_line, e.end_column),
                e.new_text,
            )
            for e in edits
        ),
        key=lambda s: (s[0], s[1]),
    )
    out: list[str] = []
    pos = 0
    for start, end, new in spans:
        if start < pos:
            raise EditConflict(f"overlapping edits at offset {start}")
        out.append(text[pos:start])
        out.append(new)
        pos = max(end, start)
    out.append(text[pos:])
    return "".join(out)
