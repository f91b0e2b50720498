"""Columns and block extents for nginx statements.

crossplane reports only the line of each statement. Findings want a column and
fixes need to know exactly where a directive ends and where a block's braces
are, so this module scans the same text with nginx's (and crossplane's)
lexical rules and lists every statement's extent in document order. The
adapter pairs these with crossplane's statements and checks that names and
lines agree; where they do not, it simply has no column.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from wslint.model import Position

# Possessive quantifiers and runs of plain characters keep this linear, with no
# backtracking state, even on a single multi-megabyte token.
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<quoted>"(?:\\.|[^"\\]+)*+(?:"|\Z)|'(?:\\.|[^'\\]+)*+(?:'|\Z))
    | (?P<special>[{};])
    | (?P<word>(?:[^\s{};\\$]+|\\.|\$\{[^}\s]*\}?|\$)++)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Extent:
    """One statement: its name token, where it ends, and for blocks its braces."""

    name: str
    start: Position
    end: Position
    open_brace: Position | None
    close_brace: Position | None


class LineIndex:
    """Offset <-> (line, column) conversion for one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for m in re.finditer("\n", text):
            self.starts.append(m.end())

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.starts, offset)
        return Position(line, offset - self.starts[line - 1] + 1)

    def offset(self, pos: Position) -> int:
        if pos.line - 1 >= len(self.starts):
            return len(self.text)
        return min(self.starts[pos.line - 1] + pos.column - 1, len(self.text))

    def line_text(self, line: int) -> str:
        if line - 1 >= len(self.starts):
            return ""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end]

    @property
    def last_line(self) -> int:
        return len(self.starts)


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[-1] == token[0] else token[1:]


def scan(text: str, index: LineIndex) -> list[Extent]:
    """Every statement of `text` in document order (a block before its children)."""
    out: list[Extent] = []
    stack: list[int] = []
    name: str | None = None
    name_start = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        if kind == "special":
            char = m.group()
            if char == "}":
                name = None
                if stack:
                    i = stack.pop()
                    e = out[i]
                    out[i] = Extent(
                        e.name,
                        e.start,
                        index.position(m.end()),
                        e.open_brace,
                        index.position(m.start()),
                    )
                continue
            if name is None:
                continue
            if char == ";":
                out.append(Extent(name, index.position(name_start), index.position(m.end()), None, None))
            else:
                stack.append(len(out))
                out.append(
                    Extent(
                        name,
                        index.position(name_start),
                        index.position(m.end()),
                        index.position(m.start()),
                        None,
                    )
                )
            name = None
            continue
        if name is None:
            token = m.group()
            name = _unquote(token) if kind == "quoted" else token
            name_start = m.start()
    return out


# nginx reads its configuration through a 4096-byte buffer: a parameter that
# does not fit makes it refuse the file ("too long parameter").
MAX_PARAMETER_BYTES = 4095


def first_problem(text: str, index: LineIndex, max_depth: int) -> tuple[int, str] | None:
    """A lexical problem that stops nginx (or would make parsing unreasonably deep), cheaply found.

    Checked before crossplane runs: its lexer is slow on a single huge token
    and recursive on nesting.
    """
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "quoted" and (len(m.group()) < 2 or m.group()[-1] != m.group()[0]):
            line = index.position(m.start()).line
            return line, f"the {m.group()[0]} quote opened on line {line} is never closed"
        if kind in ("word", "quoted"):
            token = m.group()
            if len(token) > MAX_PARAMETER_BYTES // 4 and len(token.encode("utf-8")) > MAX_PARAMETER_BYTES:
                line = index.position(m.start()).line
                return line, (
                    f'too long parameter "{token[:20]}..." ({len(token.encode("utf-8"))} bytes): nginx refuses '
                    f"parameters longer than {MAX_PARAMETER_BYTES} bytes"
                    + (", probably a missing closing quote" if kind == "quoted" else "")
                )
        elif kind == "special":
            char = m.group()
            if char == "{":
                depth += 1
                if depth > max_depth:
                    line = index.position(m.start()).line
                    return line, f"blocks nested deeper than {max_depth} levels (raise limits.nesting if this is real)"
            elif char == "}":
                depth = max(depth - 1, 0)
    return None
