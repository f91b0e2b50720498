"""Columns and block extents for nginx statements, and the statements themselves.

crossplane reports only the line of each statement. Findings want a column and
fixes need to know exactly where a directive ends and where a block's braces
are, so this module scans the text with nginx's (and crossplane's) lexical
rules and lists every statement's extent in document order. The adapter pairs
these with the statements and checks that names and lines agree; where they do
not, it simply has no column.

The same pass also gives the statements (names, arguments, lines, comments) as
crossplane would, so a file is lexed once. Where crossplane's reading is not
plainly the scan's (a lexical problem, a `}` inside a word, a CR, `${`, a
backslash in a comment, a Lua block crossplane's plugin lexes), the scan gives
no statements and crossplane stays the parser of record; tests compare the two
on every fixture and on fuzzed text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from wslint.model import Position
from wslint.nginx.crossplane_adapter import RawStatement, lexed_apart

# Possessive quantifiers and runs of plain characters keep this linear, with no
# backtracking state, even on a single multi-megabyte token. A word follows
# nginx's reader: it ends at white space, `;` or `{` (not after `$`); a `}`,
# a quote or a `#` inside it is an ordinary character. Each match takes the
# white space before its token (none after the last one).
#
# Most statements are plain words ended by `;` or `{`: the first alternative
# takes such a run of words with its terminator in one match (a third of the
# matches one token at a time would take). Its words are ones the `word`
# alternative would read alike, token by token: none starts a comment or a
# quote, and none holds a backslash, a `}` or a `${`, which the token-by-token
# reading treats specially; anything else leaves the run to the other
# alternatives.
_PLAIN_WORD = r"""(?:[^\s{};\\$\#'"]|\$(?!\{))(?:[^\s{};\\$]++|\$(?!\{))*+"""
_TOKEN = re.compile(
    rf"""
    \s*+
    (?:
      (?P<statement>(?P<words>{_PLAIN_WORD}(?:\s++{_PLAIN_WORD})*+)\s*+[;{{])
    | (?P<comment>\#[^\n]*)
    | (?P<quoted>"(?:\\.|[^"\\]+)*+(?:"|\Z)|'(?:\\.|[^'\\]+)*+(?:'|\Z))
    | (?P<special>[{{}};])
    | (?P<word>(?:[^\s{{;\\$]+|\\.|\$\{{?)++)
    | (?P<other>.)
    | \Z
    )
    """,
    re.VERBOSE | re.DOTALL,
)

# in a word: an escaped character, a `${name}` variable (crossplane keeps those whole), or a `}`
_BRACE_IN_WORD = re.compile(r"\\.|\$\{[^}]*\}?|\}", re.DOTALL)

# what nginx accepts right after a closing quote
_AFTER_QUOTE = frozenset(" \t\r\n;{)")

# an escaped character inside quotes: crossplane drops the backslash before the quote itself only
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


# nginx reads its configuration through a 4096-byte buffer: a parameter that
# does not fit makes it refuse the file ("too long parameter").
MAX_PARAMETER_BYTES = 4095


@dataclass(slots=True)
class Extent:
    """One statement: its name token, where it ends, and for blocks its braces.

    Lines and columns are kept as numbers, and `start`, `end` and the braces made
    from them when asked: a file has one extent per statement, and a frozen
    `Position` costs about as much to make as the scan spends on a token.
    (Not frozen for the same reason; the scan sets a block's end when it closes.)
    """

    name: str
    line: int
    column: int
    end_line: int
    end_column: int
    # the `{` of a block
    brace_line: int | None = None
    brace_column: int | None = None
    # the `}` of a block that is closed
    close_line: int | None = None
    close_column: int | None = None

    @property
    def start(self) -> Position:
        return Position(self.line, self.column)

    @property
    def end(self) -> Position:
        return Position(self.end_line, self.end_column)

    @property
    def open_brace(self) -> Position | None:
        if self.brace_line is None or self.brace_column is None:
            return None
        return Position(self.brace_line, self.brace_column)

    @property
    def close_brace(self) -> Position | None:
        if self.close_line is None or self.close_column is None:
            return None
        return Position(self.close_line, self.close_column)


class _Lines:
    """Lines and columns of offsets that only grow: the text between two is searched for newlines once."""

    __slots__ = ("line", "line_start", "seen", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.line = 1
        self.line_start = 0
        self.seen = 0

    def column(self, offset: int) -> int:
        """The column of `offset`, whose line `line` is then."""
        newlines = self.text.count("\n", self.seen, offset)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.seen, offset) + 1
        self.seen = offset
        return offset - self.line_start + 1


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


@dataclass(frozen=True)
class LexicalProblem:
    """Where nginx's reader stops on a file: its message and line, and what it read before."""

    line: int
    message: str
    # the text before the statement nginx was reading, and how many blocks are open there:
    # the statements nginx did read are that text with the open blocks closed
    cut: int
    depth: int


@dataclass(frozen=True)
class Scanned:
    extents: list[Extent]
    # a lexical problem that stops nginx, found on the way
    problem: LexicalProblem | None
    # offsets of `}` characters inside words: nginx reads them as part of the word, crossplane as a
    # block's end, so the loader escapes them for crossplane
    literal_braces: tuple[int, ...] = ()
    # the statements as crossplane reads the text, when the scan reads it the same way (else None)
    statements: tuple[RawStatement, ...] | None = None


def _quoted_value(token: str) -> str:
    """A closed quoted token's value as crossplane gives it: an escaped quote loses its backslash."""
    inner = token[1:-1]
    if "\\" not in inner:
        return inner
    quote = token[0]
    return _ESCAPE.sub(lambda m: quote if m.group(1) == quote else m.group(), inner)


def _if_args(args: list[str]) -> list[str]:
    """`if`'s arguments without the parentheses around them (crossplane's reading)."""
    if not args or not args[0].startswith("(") or not args[-1].endswith(")"):
        return args
    args[0] = args[0][1:].lstrip()
    args[-1] = args[-1][:-1].rstrip()
    return args[(0 if args[0] else 1) : len(args) - (0 if args[-1] else 1)]


def _crossplane_reads_alike(text: str) -> bool:
    """Whether nothing in `text` makes crossplane's reader differ from the scan's (checked before a scan)."""
    if "\r" in text or "${" in text:
        return False
    return not any(name in text for name in lexed_apart())


def _eof_line(text: str) -> int:
    """nginx's line at the end of a file: one more than its newlines."""
    return text.count("\n") + 1


def scan(text: str, max_depth: int = 200) -> Scanned:
    """Every statement of `text` in document order (a block before its children).

    The same pass finds what nginx's reader refuses, on the line nginx names: a
    `}` or the end of the file inside a statement (a missing `;`), a stray `;`,
    `{` or `}`, a character glued to a closing quote, a block left open, a
    parameter over nginx's 4095-byte buffer; and blocks nested too deep (which
    would make crossplane slow or recursive).
    """
    out: list[Extent] = []
    stack: list[int] = []
    name: str | None = None
    name_line = name_column = 1
    stmt_start = 0
    braces: list[int] = []
    lines = _Lines(text)
    # the statements, built when crossplane would read the text as the scan does: the statement being read
    # (its name and line are `head`'s, its arguments `args`, comments among them `notes`), the list it goes
    # to, and for each open block the list and statement it was opened from
    exact = _crossplane_reads_alike(text)
    head = ""
    head_line = 0
    args: list[str] = []
    notes: list[str] = []
    level: list[RawStatement] = []
    top = level
    blocks: list[tuple[list[RawStatement], str, list[str], int, list[str]]] = []

    def problem(offset: int, message: str, at: int | None = None) -> Scanned:
        cut = stmt_start if name is not None else offset
        if at is None:
            at = _line_of(text, offset)
        return Scanned(out, LexicalProblem(at, message, cut, len(stack)), tuple(b for b in braces if b < cut))

    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind is None:
            continue
        start = m.start(kind)
        if kind == "statement":
            # plain words and their `;` or `{`: read as the token-by-token reading below would
            words_start = m.start("words")
            words = m.group("words").split()
            end = m.end()
            if end - words_start > MAX_PARAMETER_BYTES // 4:
                long = _too_long_word(text, words_start, words)
                if long is not None:
                    if name is None:
                        name, stmt_start = words[0], words_start
                    return problem(long[0], long[1], _line_of(text, long[0]))
            if name is None:
                name = words[0]
                stmt_start = words_start
                name_column = lines.column(words_start)
                name_line = lines.line
                if exact:
                    head = name
                    head_line = name_line
                    args = words[1:]
            elif exact:
                args.extend(words)
            start = end - 1
            char = text[start]
        elif kind == "comment":
            if exact:
                comment = m.group(kind)
                if "\\" in comment:
                    exact = False
                elif name is not None:
                    notes.append(comment[1:])
                elif m.end() < len(text):
                    # crossplane loses a comment that ends the file without a newline
                    level.append(RawStatement("#", (), _line_of(text, start), None, comment[1:]))
            continue
        elif kind == "special":
            char = m.group(kind)
            if char == "}":
                if name is not None:
                    return problem(
                        start,
                        f'unexpected "}}" (the "{name}" directive on line {name_line} is not ended by ";" or "{{")',
                    )
                if not stack:
                    return problem(start, 'unexpected "}" (no block is open here)')
                close_column = lines.column(start)
                e = out[stack.pop()]
                e.close_line = e.end_line = lines.line
                e.close_column = close_column
                e.end_column = e.close_column + 1
                if exact:
                    children = level
                    level, b_head, b_args, b_line, b_notes = blocks.pop()
                    level.append(RawStatement(b_head, tuple(b_args), b_line, tuple(children)))
                    if b_notes:
                        level.extend(RawStatement("#", (), b_line, None, n) for n in b_notes)
                continue
            if name is None:
                return problem(start, f'unexpected "{char}"')
        else:
            token = m.group(kind)
            if kind == "quoted" and (len(token) < 2 or token[-1] != token[0]):
                opened = _line_of(text, start)
                if name is None:
                    name, stmt_start = token, start
                return problem(
                    len(text),
                    f'unexpected end of file, expecting ";" or "}}" (the {token[0]} quote opened on line {opened} '
                    "is never closed)",
                    _eof_line(text),
                )
            if len(token) > MAX_PARAMETER_BYTES // 4 and len(token.encode("utf-8")) > MAX_PARAMETER_BYTES:
                return problem(start, _too_long_message(token, kind == "quoted"))
            if kind == "word" and "}" in token:
                braces.extend(start + b.start() for b in _BRACE_IN_WORD.finditer(token) if b.group() == "}")
            if exact:
                if kind == "other":
                    exact = False
                value = _quoted_value(token) if kind == "quoted" else token
            if name is None:
                name = _unquote(token) if kind == "quoted" else token
                name_column = lines.column(start)
                name_line = lines.line
                stmt_start = start
                if exact:
                    head = value
                    args = []
                    # crossplane counts a line before it gives the character that ends it: a name
                    # starting with an escaped newline is on the next line
                    head_line = name_line + 1 if token.startswith("\\\n") else name_line
            elif exact:
                args.append(value)
            if kind == "quoted" and m.end() < len(text) and text[m.end()] not in _AFTER_QUOTE:
                return problem(m.end(), f'unexpected "{text[m.end()]}" right after a closing quote')
            continue
        # `;` or `{` ending the statement `name` starts
        if exact and head == "if":
            args = _if_args(args)
        if char == ";":
            column = lines.column(start)
            out.append(Extent(name, name_line, name_column, lines.line, column + 1))
            if exact:
                level.append(RawStatement(head, tuple(args), head_line, None))
                if notes:
                    level.extend(RawStatement("#", (), head_line, None, n) for n in notes)
                    notes = []
        else:
            if len(stack) >= max_depth:
                return problem(
                    start, f"blocks nested deeper than {max_depth} levels (raise limits.nesting if this is real)"
                )
            column = lines.column(start)
            stack.append(len(out))
            out.append(Extent(name, name_line, name_column, lines.line, column + 1, lines.line, column))
            if exact:
                blocks.append((level, head, args, head_line, notes))
                level = []
                notes = []
        name = None
    if name is not None:
        return problem(
            len(text),
            f'unexpected end of file, expecting ";" or "}}" (the "{name}" directive on line {name_line} has no ";")',
            _eof_line(text),
        )
    if stack:
        block = out[stack[-1]]
        return problem(
            len(text),
            f'unexpected end of file, expecting "}}" (the "{block.name}" block opened on line '
            f"{block.line} is never closed)",
            _eof_line(text),
        )
    return Scanned(out, None, tuple(braces), tuple(top) if exact and not braces else None)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _too_long_message(token: str, quoted: bool) -> str:
    return (
        f'too long parameter "{token[:20]}..." ({len(token.encode("utf-8"))} bytes): nginx refuses '
        f"parameters longer than {MAX_PARAMETER_BYTES} bytes" + (", probably a missing closing quote" if quoted else "")
    )


def _too_long_word(text: str, offset: int, words: list[str]) -> tuple[int, str] | None:
    """The offset of the first of `words` (written from `offset` on) nginx finds too long, and its complaint."""
    for word in words:
        offset = text.index(word, offset)
        if len(word) > MAX_PARAMETER_BYTES // 4 and len(word.encode("utf-8")) > MAX_PARAMETER_BYTES:
            return offset, _too_long_message(word, False)
        offset += len(word)
    return None
