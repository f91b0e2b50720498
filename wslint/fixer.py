"""Applying fixes: `--diff` shows them, `--fix` writes them.

Each finding's edits are applied together or not at all; a fix whose edits
overlap one already taken waits for the next pass (the CLI lints again after
writing). Files keep their line endings; writes are atomic. Edits aimed at
text wslint did not read from a file (Debian's stock proxy_params) are never
applied.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wslint.edits import apply_edits
from wslint.findings import Finding, TextEdit


@dataclass
class Plan:
    new_texts: dict[str, str] = field(default_factory=dict)
    fixed: list[Finding] = field(default_factory=list)


def _offsets(text: str, e: TextEdit) -> tuple[int, int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def at(line: int, column: int) -> int:
        if line - 1 >= len(starts):
            return len(text)
        return min(starts[line - 1] + column - 1, len(text))

    return at(e.start_line, e.start_column), at(e.end_line, e.end_column)


def _conflicts(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    start, end = span
    for a, b in taken:
        if start == end and a == b:
            continue  # two insertions at one place: both go in, in order
        if start < b and a < end:
            return True
        if start == end and a < start < b:
            return True
        if a == b and start < a < end:
            return True
    return False


def _pristine(path: str, text: str) -> bool:
    """The file still holds exactly the text wslint linted, and it is valid UTF-8."""
    try:
        return Path(path).read_bytes().decode("utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def plan(findings: list[Finding], texts: Mapping[str, str]) -> Plan:
    result = Plan()
    pristine: dict[str, bool] = {}
    taken: dict[str, list[tuple[int, int]]] = {}
    edits: dict[str, list[TextEdit]] = {}
    for f in findings:
        if f.fix is None or not f.fix.edits:
            continue
        paths = {e.path for e in f.fix.edits}
        for p in paths - pristine.keys():
            pristine[p] = p in texts and os.path.isfile(p) and _pristine(p, texts[p])
        if not all(pristine[p] for p in paths):
            continue
        spans = [(e, _offsets(texts[e.path], e)) for e in f.fix.edits]
        if any(_conflicts(span, taken.get(e.path, [])) for e, span in spans):
            continue
        for e, span in spans:
            taken.setdefault(e.path, []).append(span)
            edits.setdefault(e.path, []).append(e)
        result.fixed.append(f)
    for path, file_edits in edits.items():
        original = texts[path]
        crlf = "\r\n" in original
        converted = [
            TextEdit(
                e.path,
                e.start_line,
                e.start_column,
                e.end_line,
                e.end_column,
                e.new_text.replace("\r\n", "\n").replace("\n", "\r\n") if crlf else e.new_text,
            )
            for e in file_edits
        ]
        updated = apply_edits(original, converted)
        if updated != original:
            result.new_texts[path] = updated
    return result


def unified_diff(new_texts: Mapping[str, str], texts: Mapping[str, str]) -> str:
    out: list[str] = []
    for path in sorted(new_texts):
        out.extend(
            difflib.unified_diff(
                texts[path].splitlines(keepends=True),
                new_texts[path].splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


def write(new_texts: Mapping[str, str]) -> None:
    """Replace each file atomically, keeping its permissions."""
    for path, text in new_texts.items():
        target = Path(path)
        mode = target.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".wslint", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
