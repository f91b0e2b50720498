"""Turning a rule's fix template into exact text edits.

Templates produce the lines to add or the replacement for a directive; this
module decides where they go: before the closing brace of a block (or after
its opening brace), in the block's own indentation, or over the exact extent
of the directive being replaced or deleted. The result is a list of
`TextEdit`s that a later `--fix`, SARIF and reviewdog can apply unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wslint.engine.rules import CompiledFix
from wslint.findings import Fix, TextEdit
from wslint.model import BlockRef, Source


class FixError(Exception):
    """The fix cannot be placed (no position known): the finding is kept without one."""


# Only "\n" breaks a line, and only spaces and tabs indent one: that is how every proxy reads its file.
# str.splitlines() and str.strip() also take U+0085, U+2028, VT, FF and FS, which can stand inside a
# directive (httpd accepts them in a ProxyPass URL): a fix made with them would split that directive.
_BLANKS = " \t\r"


def _lines(text: str) -> list[str]:
    return [line.rstrip(_BLANKS) for line in text.strip("\n").split("\n")]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


class SourceTexts:
    """The text of every file of a configuration, split into lines once."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self._lines: dict[str, list[str]] = {}

    def get(self, path: str) -> str | None:
        return self.texts.get(path)

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            text = self.texts.get(path)
            if text is None:
                return None
            self._lines[path] = text.split("\n")
        return self._lines[path]


def _line_text(texts: SourceTexts, path: str, line: int) -> str | None:
    lines = texts.lines(path)
    if lines is None:
        return None
    return lines[line - 1] if 0 < line <= len(lines) else ""


def insert_into(block: BlockRef, text: str, position: str, texts: SourceTexts) -> TextEdit:
    lines = _lines(text)
    if not lines:
        raise FixError("nothing to insert")
    path = block.path
    if block.opened_by is None:
        content = texts.get(path)
        if content is None:
            raise FixError(f"{path} is not a file wslint can edit")
        body = "".join(line + "\n" for line in lines)
        if position == "start":
            return TextEdit(path, 1, 1, 1, 1, body)
        all_lines = texts.lines(path) or [""]
        last = len(all_lines)
        col = len(all_lines[-1]) + 1
        prefix = "" if content.endswith("\n") or not content else "\n"
        return TextEdit(path, last, col, last, col, prefix + body)
    if position == "end":
        if block.close_on_own_line:
            line = block.body_end.line
            body = "".join(block.child_indent + line_ + "\n" for line_ in lines)
            return TextEdit(path, line, 1, line, 1, body)
        pos = block.body_end
        return TextEdit(path, pos.line, pos.column, pos.line, pos.column, " ".join(lines) + " ")
    if block.open_ends_line:
        line = block.body_start.line + 1
        body = "".join(block.child_indent + line_ + "\n" for line_ in lines)
        return TextEdit(path, line, 1, line, 1, body)
    pos = block.body_start
    return TextEdit(path, pos.line, pos.column, pos.line, pos.column, " " + " ".join(lines))


def replace(source: Source, text: str, texts: SourceTexts) -> TextEdit:
    if source.column is None or source.end_line is None or source.end_column is None:
        raise FixError(f"the extent of {source} is not known")
    lines = _lines(text.strip(_BLANKS + "\n"))
    first = _line_text(texts, source.path, source.line) or ""
    indent = _indent(first)
    new = "\n".join([lines[0], *(indent + line for line in lines[1:])]) if lines else ""
    return TextEdit(source.path, source.line, source.column, source.end_line, source.end_column, new)


def insert_after(source: Source, text: str, texts: SourceTexts) -> TextEdit:
    """New lines right after a directive, in its indentation."""
    if source.end_line is None:
        raise FixError(f"the extent of {source} is not known")
    line = _line_text(texts, source.path, source.end_line)
    if line is None:
        raise FixError(f"{source.path} is not a file wslint can edit")
    first = _line_text(texts, source.path, source.line) or ""
    indent = _indent(first)
    body = "".join(indent + ln + "\n" for ln in _lines(text))
    rest = line[(source.end_column or 1) - 1 :]
    if rest.strip(_BLANKS) and not rest.strip(_BLANKS).startswith("#"):
        # something follows on the same line: insert right after the directive
        return TextEdit(
            source.path,
            source.end_line,
            source.end_column or 1,
            source.end_line,
            source.end_column or 1,
            " " + " ".join(_lines(text)),
        )
    return TextEdit(source.path, source.end_line + 1, 1, source.end_line + 1, 1, body)


def insert_before(source: Source, text: str, texts: SourceTexts) -> TextEdit:
    """New lines just before a directive's line, in its indentation."""
    first = _line_text(texts, source.path, source.line)
    if first is None:
        raise FixError(f"{source.path} is not a file wslint can edit")
    indent = _indent(first)
    if first[: (source.column or 1) - 1].strip(_BLANKS):
        raise FixError(f"{source} does not start its line")
    body = "".join((indent + ln if ln else ln) + "\n" for ln in _lines(text))
    return TextEdit(source.path, source.line, 1, source.line, 1, body)


def delete(source: Source, texts: SourceTexts) -> TextEdit:
    if source.column is None or source.end_line is None or source.end_column is None:
        raise FixError(f"the extent of {source} is not known")
    first = _line_text(texts, source.path, source.line)
    last = _line_text(texts, source.path, source.end_line)
    if first is not None and last is not None:
        before = first[: source.column - 1]
        after = last[source.end_column - 1 :]
        if not before.strip(_BLANKS) and (not after.strip(_BLANKS) or after.strip(_BLANKS).startswith("#")):
            if source.path.endswith((".yml", ".yaml")) and _only_child(texts, source):
                raise FixError(f"deleting line {source.line} leaves its parent key without a value (a YAML null)")
            return TextEdit(source.path, source.line, 1, source.end_line + 1, 1, "")
    return TextEdit(source.path, source.line, source.column, source.end_line, source.end_column, "")


def _only_child(texts: SourceTexts, source: Source) -> bool:
    """The lines are all a YAML `key:` line holds: without them its value would be null."""
    assert source.end_line is not None
    lines = texts.lines(source.path) or []
    own = len(_indent(lines[source.line - 1])) if 0 < source.line <= len(lines) else 0

    def content(i: int) -> str | None:
        line = lines[i] if 0 <= i < len(lines) else None
        return None if line is None or not line.strip() or line.lstrip().startswith("#") else line

    above = next((lines[i] for i in range(source.line - 2, -1, -1) if content(i) is not None), None)
    below = next((lines[i] for i in range(source.end_line, len(lines)) if content(i) is not None), None)
    parent = above is not None and len(_indent(above)) < own and above.rstrip().endswith(":")
    return parent and (below is None or len(_indent(below)) < own)


def build_fix(fix: CompiledFix, context: dict[str, Any], texts: SourceTexts) -> Fix | None:
    edits: list[TextEdit] = []
    shown: list[str] = []
    for spec in fix.edits:
        if spec.when is not None and not spec.when.value_in(context):
            continue
        target = spec.target.value_in(context)
        if target is None:
            continue
        text = spec.text.render_in(context) if spec.action != "delete" else ""
        if spec.action == "insert_into":
            if not isinstance(target, BlockRef):
                raise FixError(f"insert_into needs a block, got {type(target).__name__}")
            edits.append(insert_into(target, text, spec.position, texts))
            shown.append(text.strip("\n"))
        elif spec.action == "insert_after":
            if not isinstance(target, Source):
                raise FixError(f"insert_after needs a source position, got {type(target).__name__}")
            edits.append(insert_after(target, text, texts))
            shown.append(text.strip("\n"))
        elif spec.action == "insert_before":
            if not isinstance(target, Source):
                raise FixError(f"insert_before needs a source position, got {type(target).__name__}")
            edits.append(insert_before(target, text, texts))
            shown.append(text.strip("\n"))
        elif spec.action == "replace":
            if not isinstance(target, Source):
                raise FixError(f"replace needs a source position, got {type(target).__name__}")
            edits.append(replace(target, text, texts))
            shown.append(text.strip("\n"))
        else:
            if not isinstance(target, Source):
                raise FixError(f"delete needs a source position, got {type(target).__name__}")
            edits.append(delete(target, texts))
    snippet = fix.snippet.render_in(context).strip("\n") if fix.snippet is not None else "\n".join(shown)
    if not edits and not snippet:
        return None
    description = " ".join(fix.description.render_in(context).split())
    return Fix(description=description, snippet=snippet, edits=tuple(edits))
