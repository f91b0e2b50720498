"""Reading httpd configuration text into directives and sections, with exact positions.

httpd reads its configuration line by line (`ap_cfg_getline`): a line whose
last character is a backslash continues on the next one (before comments are
recognized, so a comment ending in `\\` swallows the next line), a line whose
first non-blank character is `#` is a comment (there are no comments after a
directive), and the words of a line are split like `ap_getword_conf` does:
blanks separate them, and a word that starts with a double or single quote
runs to the matching quote, `\\"` escaping it. `<Name args>` opens a section
that `</Name>` closes; names are case-insensitive.

The parser only builds the tree of one file; includes and conditional
sections are the loader's business.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

from wslint.model import Source


class ParseError(Exception):
    """A file httpd would refuse to read; `line` is where it goes wrong."""

    def __init__(self, message: str, line: int, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Word:
    """One argument as httpd sees it (quotes removed) and where it was written."""

    value: str
    source: Source
    quoted: bool = False


@dataclass
class Node:
    """A directive, or a section with its children.

    `source` spans the whole directive (a section: from `<` of its opening
    tag to the `>` of its closing tag); `head` is the opening line alone.
    """

    name: str
    words: tuple[Word, ...]
    source: Source
    head: Source
    text: str
    children: list[Node] | None = None
    close: Source | None = None
    # the indentation of the line the directive starts on
    indent: str = ""
    # the file the node was read from, as shown, and the line's full text (for fixes)
    parent: Node | None = field(default=None, repr=False, compare=False)

    @cached_property
    def key(self) -> str:
        # a name never changes, and the servers ask each node's key many times over
        return self.name.lower()

    @cached_property
    def args(self) -> tuple[str, ...]:
        # words are only ever replaced by making another node (wslint.apache.loader's substitution)
        return tuple(w.value for w in self.words)

    @property
    def is_section(self) -> bool:
        return self.children is not None

    def __str__(self) -> str:
        return self.text

    def under(self, parent: Node | None) -> Node:
        """A shallow copy of the node with another parent (what dataclasses.replace makes, at a
        fraction of its cost for the thousands of lines of a large configuration)."""
        copy = object.__new__(Node)
        copy.__dict__.update(self.__dict__)
        copy.parent = parent
        return copy


@dataclass(slots=True)
class _Line:
    """One logical line: its text (continuations joined) and the physical position of each character."""

    text: str
    # where in `text` each physical line starts, and its number: a continued line has several
    # (a position per character would cost a tuple per byte: a gigabyte for a 10 MB line)
    starts: tuple[int, ...]
    numbers: tuple[int, ...]
    first: int
    last: int
    end_column: int

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at `offset` of `text`."""
        if len(self.starts) == 1:
            return self.first, offset + 1
        k = bisect_right(self.starts, offset) - 1
        return self.numbers[k], offset - self.starts[k] + 1


def _logical_lines(physical: list[str]) -> list[_Line]:
    out: list[_Line] = []
    count = len(physical)
    i = 0
    while i < count:
        stripped = physical[i].rstrip("\r").rstrip(" \t")
        if not stripped.endswith("\\") or i + 1 >= count:
            # the common line, not continued
            i += 1
            out.append(_Line(stripped, (0,), (i,), i, i, len(stripped) + 1))
            continue
        pieces: list[str] = []
        starts: list[int] = []
        numbers: list[int] = []
        length = 0
        first = i + 1
        end_column = 1
        while True:
            raw = physical[i].rstrip("\r")
            stripped = raw.rstrip(" \t")
            continued = stripped.endswith("\\") and i + 1 < len(physical)
            body = stripped[:-1] if continued else stripped
            starts.append(length)
            numbers.append(i + 1)
            pieces.append(body)
            length += len(body)
            end_column = len(stripped) + 1
            i += 1
            if not continued:
                break
        out.append(_Line("".join(pieces), tuple(starts), tuple(numbers), first, i, end_column))
    return out


_WORD = re.compile(r"[^ \t]+")


def split_words(line: _Line, start: int, end: int, path: str) -> list[Word]:
    """The words of `line.text[start:end]`, the way ap_getword_conf splits them."""
    words: list[Word] = []
    text = line.text
    i = start
    while i < end:
        ch = text[i]
        if ch in " \t":
            i += 1
            continue
        begin = i
        if ch in "\"'":
            quote = ch
            i += 1
            value: list[str] = []
            # a backslash before the quote escapes it (and is dropped); any other backslash stays
            while True:
                j = text.find(quote, i, end)
                if j == -1:
                    value.append(text[i:end])
                    i = end
                    break
                if text[j - 1] == "\\" and j > i:
                    value.append(text[i : j - 1] + quote)
                    i = j + 1
                    continue
                value.append(text[i:j])
                i = j
                break
            if i >= end:
                # httpd takes an unterminated quote to the end of the line
                stop = end
            else:
                stop = i + 1
                i += 1
            words.append(_word("".join(value), _span(line, begin, stop, path), True))
            continue
        found = _WORD.match(text, i, end)
        i = found.end() if found else i + 1
        words.append(_word(text[begin:i], _span(line, begin, i, path), False))
    return words


def _word(value: str, source: Source, quoted: bool) -> Word:
    """Word(...) without the frozen dataclass's field-by-field __init__ (for every word of every line):
    the same fields, equal and hashed the same."""
    word = _new(Word)
    _set(word, "__dict__", {"value": value, "source": source, "quoted": quoted})
    return word


_new = object.__new__
_set = object.__setattr__


def _span(line: _Line, begin: int, stop: int, path: str) -> Source:
    if len(line.starts) == 1:
        # one physical line: columns are offsets
        return Source(path, line.first, begin + 1, line.first, stop + 1)
    ln, col = line.position(begin)
    end_ln, end_col = line.position(stop - 1)
    return Source(path, ln, col, end_ln, end_col + 1)


# sections httpd gives exactly one argument (core's dirsection, urlsection, filesection, <If>, <ProxyMatch>)
SINGLE_ARGUMENT = frozenset(
    {"location", "locationmatch", "directory", "directorymatch", "files", "filesmatch", "proxymatch", "if", "elseif"}
)


def _too_many_arguments(name: str, words: list[Word]) -> str | None:
    """httpd's complaint about a section line with more arguments than the section takes."""
    key = name.lower()
    if key in SINGLE_ARGUMENT and len(words) > 1:
        yet = "" if key in ("if", "elseif") else " (yet)"
        return f"Multiple <{name}> arguments not{yet} supported."
    if key == "proxy" and any("=" not in w.value for w in words[1:]):
        return "Invalid Proxy parameter. Parameter must be in the form 'key=value'"
    return None


def parse(text: str, path: str, max_nesting: int = 200) -> list[Node]:
    """The directives of one file; raises ParseError for what httpd refuses to read."""
    root: list[Node] = []
    stack: list[Node] = []
    physical = text.split("\n")
    for line in _logical_lines(physical):
        body = line.text.strip(" \t")
        if not body or body.startswith("#"):
            continue
        start = len(line.text) - len(line.text.lstrip(" \t"))
        end = len(line.text.rstrip(" \t"))
        first_line = physical[line.first - 1]
        indent = first_line[: len(first_line) - len(first_line.lstrip(" \t"))]
        head = Source(path, *line.position(start), line.last, line.end_column)
        if line.first == line.last:
            raw = first_line.rstrip("\r").strip(" \t")
        else:
            raw = "\n".join(p.rstrip("\r") for p in physical[line.first - 1 : line.last]).strip(" \t")
        if body.startswith("</"):
            # httpd reads the first word as the end of the section; the rest of the line is ignored
            first = body.split()[0]
            name = first[2:].rstrip(">")
            if not first.endswith(">"):
                raise ParseError(f"</{name}> directive missing closing '>'", line.first, head.column)
            if not stack:
                raise ParseError(f"</{name}> without matching <{name}> section", line.first, head.column)
            section = stack.pop()
            if section.key != name.lower():
                raise ParseError(
                    f"Expected </{section.name}> but saw </{name}> (the section opened at line {section.source.line})",
                    line.first,
                    head.column,
                )
            section.source = Source(path, section.source.line, section.source.column, line.last, line.end_column)
            section.close = head
            section.text = "\n".join(p.rstrip("\r") for p in physical[section.source.line - 1 : line.last]).strip(" \t")
            continue
        if body.startswith("<"):
            # the arguments end at the line's last '>' (ap_strrchr): what follows it is ignored
            close_at = line.text.rfind(">", start, end)
            if close_at == -1:
                name = body[1:].split()[0] if body[1:].split() else ""
                raise ParseError(f"<{name} directive missing closing '>'", line.first, head.column)
            found = _WORD.match(line.text, start + 1, close_at)
            i = found.end() if found else start + 1
            name = line.text[start + 1 : i]
            if not name:
                raise ParseError("a section without a name ('<>')", line.first, head.column)
            words = split_words(line, i, close_at, path)
            too_many = _too_many_arguments(name, words)
            if too_many is not None:
                raise ParseError(too_many, line.first, head.column)
            node = Node(name, tuple(words), head, head, raw, children=[], indent=indent)
            (stack[-1].children if stack else root).append(node)  # type: ignore[union-attr]
            node.parent = stack[-1] if stack else None
            stack.append(node)
            if len(stack) > max_nesting:
                raise ParseError(f"sections nested deeper than {max_nesting} levels", line.first, head.column)
            continue
        found = _WORD.match(line.text, start, end)
        i = found.end() if found else start
        name = line.text[start:i]
        words = split_words(line, i, end, path)
        node = Node(name, tuple(words), head, head, raw, indent=indent)
        node.parent = stack[-1] if stack else None
        (stack[-1].children if stack else root).append(node)  # type: ignore[union-attr]
    if stack:
        section = stack[-1]
        raise ParseError(f"<{section.name}> was not closed", section.source.line, section.source.column)
    return root


def dedent(text: str, indent: str) -> str:
    """A section's text with its own indentation removed from every line (for fixes that move it)."""
    lines = text.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        out.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t"))
    return "\n".join(out)
