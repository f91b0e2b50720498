"""Cutting one HAProxy configuration line into words, as HAProxy 2.x and 3.x do.

A statement is one line: there is no line continuation (a backslash at the end
of a line is a word of its own, so a wrapped rule fails to load). An unprotected
`#` starts a comment, even in the middle of a word. Outside quotes a backslash
protects a space, `#`, a quote or itself and writes `\\n`, `\\r`, `\\t` and
`\\xNN`; any other backslash stays as written (`\\1` in a regex replacement).
Inside double quotes the same escapes work (and `\\$`), spaces and `#` are
literal, and `$NAME` or `${NAME}` are environment variables. Inside single
quotes nothing is interpreted. Adjacent quoted and unquoted parts form one word.

Environment variables are not read from wslint's own environment (the server's
differs): a word that uses one keeps its text and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SIMPLE_ESCAPES = {" ": " ", "\t": "\t", "\\": "\\", "#": "#", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t"}
_HEX = re.compile(r"[0-9a-fA-F]{2}")
# a line none of whose characters needs the word-by-word scan: its words are what lies between blanks
_SPECIAL = re.compile(r"[\\'\"#]")
_ENV = re.compile(r"\$(?:\{(\.?[A-Za-z_][A-Za-z0-9_]*)(?:\[\*\])?(?:-([^}]*))?\}|(\.?[A-Za-z_][A-Za-z0-9_]*))")


class TokenizeError(Exception):
    """A line HAProxy refuses to cut into words; the message says why, the column where."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Word:
    """One word of a statement: its value after quotes and escapes, and where it was written.

    Columns are 1-based; `end_column` is just after the word's last character
    (its closing quote included).
    """

    text: str
    column: int
    end_column: int
    # the word names an environment variable, whose value only the server knows
    env: bool = False
    # the word was (partly) quoted
    quoted: bool = False


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]
    # the comment after the words (without its '#'), None when there is none
    comment: str | None


@dataclass(frozen=True)
class PseudoVariables:
    """What HAProxy substitutes for `.FILE`, `.LINE` and `.SECTION` in double quotes."""

    file: str
    line: int
    section: str


def _expand(text: str, pseudo: PseudoVariables | None) -> tuple[str, bool]:
    """Environment variables in a double-quoted part: pseudo-variables are resolved, others kept."""
    env = False

    def one(m: re.Match[str]) -> str:
        nonlocal env
        name = m.group(1) or m.group(3)
        if pseudo is not None and name in (".FILE", ".LINE", ".SECTION"):
            return {".FILE": pseudo.file, ".LINE": str(pseudo.line), ".SECTION": pseudo.section}[name]
        env = True
        return m.group(0)

    return _ENV.sub(one, text), env


@dataclass
class Shared:
    """What one parse has cut already, for the lines after (Words and Lines are immutable): a configuration
    repeats most of its words at the same column (`acl`, `use_backend`, `if`, `server`) and many of its lines
    (`mode http`, `timeout tunnel 1h`). Only lines without quotes, backslashes or '#' are kept."""

    # by text and index
    words: dict[tuple[str, int], Word] = field(default_factory=dict)
    # by the line as written
    lines: dict[str, Line] = field(default_factory=dict)


def tokenize(line: str, pseudo: PseudoVariables | None = None, shared: Shared | None = None) -> Line:
    """The words of `line` (without its line break); `shared` gives the words and lines of earlier lines."""
    if shared is not None:
        found = shared.lines.get(line)
        if found is not None:
            return found
    n = len(line.rstrip("\r\n"))
    if _SPECIAL.search(line, 0, n) is None:
        plain = Line(_plain_words(line[:n], {} if shared is None else shared.words), None)
        if shared is not None:
            shared.lines[line] = plain
        return plain
    words: list[Word] = []
    i = 0
    comment: str | None = None
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        if line[i] == "#":
            comment = line[i + 1 : n]
            break
        start = i
        out: list[str] = []
        env = quoted = False
        while i < n and line[i] not in " \t":
            c = line[i]
            if c == "#":
                break
            if c == "\\":
                i = _escape(line, i, n, out, quoted_part=False)
            elif c == "'":
                quoted = True
                end = line.find("'", i + 1, n)
                if end < 0:
                    raise TokenizeError("unmatched single quote", i + 1)
                out.append(line[i + 1 : end])
                i = end + 1
            elif c == '"':
                quoted = True
                i, used_env = _double_quoted(line, i, n, out, pseudo)
                env = env or used_env
            else:
                out.append(c)
                i += 1
        words.append(Word("".join(out), start + 1, i + 1, env, quoted))
        if i < n and line[i] == "#":
            comment = line[i + 1 : n]
            break
    return Line(tuple(words), comment)


def _plain_words(line: str, made: dict[tuple[str, int], Word]) -> tuple[Word, ...]:
    """The words of a line without quotes, backslashes or comment: what lies between its blanks."""
    words: list[Word] = []
    start = 0
    for part in line.replace("\t", " ").split(" "):
        if part:
            word = made.get((part, start))
            if word is None:
                word = made[part, start] = Word(part, start + 1, start + 1 + len(part))
            words.append(word)
        start += len(part) + 1
    return tuple(words)


def _escape(line: str, i: int, n: int, out: list[str], quoted_part: bool) -> int:
    """One backslash sequence starting at `i`; returns the index after it."""
    if i + 1 >= n:
        # nothing follows: the backslash is kept (HAProxy has no line continuation)
        out.append("\\")
        return i + 1
    nxt = line[i + 1]
    if nxt == "x" and _HEX.fullmatch(line[i + 2 : i + 4]):
        out.append(chr(int(line[i + 2 : i + 4], 16)))
        return i + 4
    if nxt in _SIMPLE_ESCAPES:
        out.append(_SIMPLE_ESCAPES[nxt])
        return i + 2
    if nxt == "$" and quoted_part:
        out.append("$")
        return i + 2
    out.append("\\")
    return i + 1


def _double_quoted(line: str, i: int, n: int, out: list[str], pseudo: PseudoVariables | None) -> tuple[int, bool]:
    """A double-quoted part starting at `i` (the quote); returns the index after it."""
    j = i + 1
    part: list[str] = []
    env = False
    while True:
        if j >= n:
            raise TokenizeError("unmatched double quote", i + 1)
        c = line[j]
        if c == '"':
            break
        if c == "\\":
            j = _escape(line, j, n, part, quoted_part=True)
            continue
        if c == "$":
            m = _ENV.match(line, j)
            if m is not None:
                value, used = _expand(m.group(0), pseudo)
                env = env or used
                part.append(value)
                j = m.end()
                continue
        part.append(c)
        j += 1
    out.append("".join(part))
    return j + 1, env
