"""Splitting a Caddyfile into tokens the way Caddy's lexer does, with exact positions.

A token is a word separated by whitespace, or a "quoted" or `backquoted`
string (quotes not included; inside double quotes only \\" is an escape).
`#` at the start of a token comments out the rest of the line. A backslash
before a newline continues the line: the next token counts as being on the
same line, which is what decides where a directive ends. Caddy's own line
number for such tokens (its "logical" line) is kept apart from the real line
and column wslint reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# runs matched at once instead of a character at a time (a 2,000-site file is 230,000 characters);
# `\s` is exactly str.isspace()
_BLANKS = re.compile(r"[^\S\n]+")
_WORD_END = re.compile(r"\s|\\\n")


@dataclass(frozen=True)
class Token:
    text: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    # the line Caddy assigns (continued lines keep the line they continue)
    lline: int
    quoted: str = ""
    # the snippet the token was defined in (import cycle detection names nodes with it)
    snippet: str | None = None
    # how many imports brought the token in
    depth: int = 0

    @property
    def breaks(self) -> int:
        """Line breaks inside the token (a quoted string over several lines)."""
        return self.text.count("\n")


def tokenize(text: str, path: str) -> list[Token]:
    """All tokens of one file. Never fails: Caddy's lexer accepts any input (an unterminated
    quote runs to the end of the file)."""
    tokens: list[Token] = []
    n = len(text)
    i = 1 if text.startswith("\ufeff") else 0
    line, col = 1, 1
    lline = 1
    skipped = 0
    while i < n:
        ch = text[i]
        # whitespace between tokens
        if ch.isspace():
            if ch == "\n":
                line += 1
                col = 1
                lline += 1 + skipped
                skipped = 0
                i += 1
            else:
                blanks = _BLANKS.match(text, i)
                assert blanks is not None
                col += blanks.end() - i
                i = blanks.end()
            continue
        if ch == "#":
            # a comment runs to the end of the line
            while i < n and text[i] != "\n":
                i += 1
                col += 1
            continue
        if ch == "\\" and i + 1 < n and text[i + 1] == "\n":
            # a continued line: later tokens stay on Caddy's current line
            skipped += 1
            i += 2
            line += 1
            col = 1
            continue
        if ch == "\\" and i + 2 < n and text[i + 1] == "\r" and text[i + 2] == "\n":
            skipped += 1
            i += 3
            line += 1
            col = 1
            continue
        start_line, start_col, start_lline = line, col, lline
        out: list[str] = []
        quoted = ""
        if ch in '"`':
            quoted = ch
            i += 1
            col += 1
            while i < n:
                c = text[i]
                if quoted == '"' and c == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    # only an escaped quote is an escape inside double quotes
                    if nxt == '"':
                        out.append('"')
                    else:
                        out.append("\\")
                        out.append(nxt)
                    if nxt == "\n":
                        line += 1
                        col = 1
                        lline += 1 + skipped
                        skipped = 0
                    else:
                        col += 2
                    i += 2
                    continue
                if c == quoted:
                    i += 1
                    col += 1
                    break
                out.append(c)
                if c == "\n":
                    line += 1
                    col = 1
                    lline += 1 + skipped
                    skipped = 0
                else:
                    col += 1
                i += 1
        else:
            # a word runs to the next blank or continued line, and holds no line break
            found = _WORD_END.search(text, i)
            end = found.start() if found is not None else n
            out.append(text[i:end])
            col += end - i
            i = end
        tokens.append(_token("".join(out), path, start_line, start_col, line, col, start_lline, quoted))
    return tokens


def _token(
    text: str, path: str, line: int, column: int, end_line: int, end_column: int, lline: int, quoted: str
) -> Token:
    """Token(...) without the frozen dataclass's field-by-field __init__ (half the cost, for every word
    of every file): the same fields, equal and hashed the same."""
    token = _new(Token)
    _set(
        token,
        "__dict__",
        {
            "text": text,
            "path": path,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "lline": lline,
            "quoted": quoted,
            "snippet": None,
            "depth": 0,
        },
    )
    return token


_new = object.__new__
_set = object.__setattr__
