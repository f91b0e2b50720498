"""Applying fixes: `--diff` shows them, `--fix` writes them.

Each finding's edits are applied together or not at all; a fix whose edits
overlap one already taken waits for the next pass (the CLI lints again after
writing), and so does one aimed at a file another path already leads to in
this pass (a symbolic link and its target read by two configurations): a
file gets the fixes of one configuration at a time, never two sets of edits
made for different contexts. Files keep their line endings and their final
newline or its absence. Edits aimed at text wslint did not read from a file
(Debian's stock proxy_params) are never applied. How files are written:
`wslint.safe_writes`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wslint import safe_writes
from wslint.edits import apply_edits
from wslint.findings import Finding, TextEdit

# a fix can uncover another (an earlier directive the fixed one overrode takes effect): --fix re-lints and
# fixes again until nothing changes, at most this many times
PASSES = 8


@dataclass
class Plan:
    new_texts: dict[str, str] = field(default_factory=dict)
    fixed: list[Finding] = field(default_factory=list)
    # files that fixes left for a later pass would change, and files whose fixes wait because they
    # changed since they were read: every one must be writable (and unchanged) before anything is written
    later: set[str] = field(default_factory=set)

    def fixed_in(self, path: str) -> int:
        """How many of the fixes applied edit this file."""
        return sum(1 for f in self.fixed if f.fix is not None and any(e.path == path for e in f.fix.edits))


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


def _final_newline(original: str, updated: str, newline: str) -> str:
    """`updated` ending in a newline exactly when `original` did."""
    if not original or not updated:
        return updated
    if original.endswith("\n") and not updated.endswith("\n"):
        return updated + newline
    if not original.endswith("\n") and updated.endswith("\n"):
        return updated[: -len(newline)] if updated.endswith(newline) else updated[:-1]
    return updated


def plan(findings: list[Finding], texts: Mapping[str, str], unsaved: Collection[str] = ()) -> Plan:
    """The fixes to apply in one pass. `unsaved` names texts that are not files (standard input):
    their fixes are planned for the diff as they are (`--fix` never writes them)."""
    result = Plan()
    pristine: dict[str, bool] = {}
    real: dict[str, str] = {}
    # the path whose fixes a real file takes in this pass
    owner: dict[str, str] = {}
    taken: dict[str, list[tuple[int, int]]] = {}
    edits: dict[str, list[TextEdit]] = {}
    for f in findings:
        if f.fix is None or not f.fix.edits:
            continue
        paths = {e.path for e in f.fix.edits}
        for p in paths - pristine.keys():
            pristine[p] = p in texts and (p in unsaved or (os.path.isfile(p) and _pristine(p, texts[p])))
            real[p] = os.path.realpath(p)
        if not all(pristine[p] for p in paths):
            # a file that changed since it was read refuses --fix (safe_writes); stock text is just skipped
            result.later.update(p for p in paths if not pristine[p] and p in texts and os.path.isfile(p))
            continue
        spans = [(e, _offsets(texts[e.path], e)) for e in f.fix.edits]
        if any(owner.get(real[p], p) != p for p in paths) or any(
            _conflicts(span, taken.get(e.path, [])) for e, span in spans
        ):
            result.later.update(paths)
            continue
        for p in paths:
            owner[real[p]] = p
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
        updated = _final_newline(original, apply_edits(original, converted), "\r\n" if crlf else "\n")
        if updated != original:
            result.new_texts[path] = updated
    return result


def _split_lines(text: str) -> list[str]:
    """Lines ending at "\n" only (splitlines() would also break at U+2028, VT, FF...: not a proxy's lines)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def unified_diff(new_texts: Mapping[str, str], texts: Mapping[str, str]) -> str:
    out: list[str] = []
    for path in sorted(new_texts):
        out.extend(
            difflib.unified_diff(
                _split_lines(texts[path]),
                _split_lines(new_texts[path]),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


def write(new_texts: Mapping[str, str], texts: Mapping[str, str], later: set[str]) -> list[safe_writes.Written]:
    """Write the fixed texts to the real files behind their paths, or refuse them all (see safe_writes)."""
    return safe_writes.write_files(new_texts, texts, later)
