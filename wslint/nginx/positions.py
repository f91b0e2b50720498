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


# nginx reads its configuration through a 4096-byte buffer: a parameter that
# does not fit makes it refuse the file ("too long parameter").
MAX_PARAMETER_BYTES = 4095


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


class _Cursor:
    """Offsets to positions for offsets that only grow: one pass over the text in total."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0

    def at(self, offset: int) -> Position:
        text = self.text
        newlines = text.count("\n", self.offset, offset)
        if newlines:
            self.line += newlines
            self.line_start = text.rfind("\n", self.offset, offset) + 1
        self.offset = offset
        return Position(self.line, offset - self.line_start + 1)


@dataclass(frozen=True)
class Scanned:
    extents: list[Extent]
    # a lexical problem that stops nginx, found on the way: (line, message)
    problem: tuple[int, str] | None


def scan(text: str, max_depth: int = 200) -> Scanned:
    """Every statement of `text` in document order (a block before its children).

    The same pass finds what nginx would refuse before parsing (and what would
    make crossplane slow or recursive): a parameter over nginx's 4095-byte
    buffer, a quote never closed, blocks nested too deep.
    """
    out: list[Extent] = []
    stack: list[int] = []
    name: str | None = None
    name_at = Position(1, 1)
    cursor = _Cursor(text)
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws" or kind == "comment":
            continue
        if kind == "special":
            char = m.group()
            if char == "}":
                name = None
                if stack:
                    i = stack.pop()
                    e = out[i]
                    close = cursor.at(m.start())
                    out[i] = Extent(e.name, e.start, cursor.at(m.end()), e.open_brace, close)
                continue
            if name is None:
                continue
            if char == ";":
                out.append(Extent(name, name_at, cursor.at(m.end()), None, None))
            else:
                if len(stack) >= max_depth:
                    line = cursor.at(m.start()).line
                    return Scanned(
                        out,
                        (line, f"blocks nested deeper than {max_depth} levels (raise limits.nesting if this is real)"),
                    )
                stack.append(len(out))
                brace = cursor.at(m.start())
                out.append(Extent(name, name_at, cursor.at(m.end()), brace, None))
            name = None
            continue
        token = m.group()
        if kind == "quoted" and (len(token) < 2 or token[-1] != token[0]):
            line = cursor.at(m.start()).line
            return Scanned(out, (line, f"the {token[0]} quote opened on line {line} is never closed"))
        if len(token) > MAX_PARAMETER_BYTES // 4 and len(token.encode("utf-8")) > MAX_PARAMETER_BYTES:
            line = cursor.at(m.start()).line
            return Scanned(
                out,
                (
                    line,
                    f'too long parameter "{token[:20]}..." ({len(token.encode("utf-8"))} bytes): nginx refuses '
                    f"parameters longer than {MAX_PARAMETER_BYTES} bytes"
                    + (", probably a missing closing quote" if kind == "quoted" else ""),
                ),
            )
        if name is None:
            name = _unquote(token) if kind == "quoted" else token
            name_at = cursor.at(m.start())
    return Scanned(out, None)
