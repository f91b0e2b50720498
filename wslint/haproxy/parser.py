"""Reading HAProxy files into sections of statements, each with its file, line and columns.

HAProxy's format is flat: a section keyword (`global`, `defaults`, `frontend`,
`backend`, `listen`, and a few others wslint does not interpret) starts a
section that lasts until the next one or the end of the file; every other
line is a statement of the current section. Several files (`-f a.cfg -f
conf.d/`, a directory meaning its `*.cfg` files in lexical order) are read in
order as one configuration, and each file must start its own section. The
`.if`/`.elif`/`.else`/`.endif` blocks are evaluated for the version wslint
assumes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from wslint.findings import Diagnostic, Severity
from wslint.haproxy.tokenizer import Line, PseudoVariables, Shared, TokenizeError, Word, tokenize
from wslint.inputs import InputFile, display_path
from wslint.limits import Limits
from wslint.model import BlockRef, Position, Source
from wslint.textfiles import TextFileError, read_text

PROXY_SECTIONS = ("defaults", "frontend", "backend", "listen")
OTHER_SECTIONS = (
    "global",
    "userlist",
    "peers",
    "mailers",
    "resolvers",
    "program",
    "http-errors",
    "ring",
    "log-forward",
    "cache",
    "fcgi-app",
    "crt-store",
    "traces",
    "acme",
)
SECTIONS = PROXY_SECTIONS + OTHER_SECTIONS
_SECTION_KEYWORDS = frozenset(SECTIONS)
# these sections need a name
NAMED = ("frontend", "backend", "listen", "userlist", "peers", "mailers", "resolvers", "program", "ring")

# HAProxy's limit on `.if` blocks within `.if` blocks: it says "max is 100" and refuses the
# 100th (measured on 2.6.12)
MAX_NESTED_IFS = 100
# since 2.3 HAProxy refuses a file whose last line has no LF (before: a warning)
MISSING_LF_FATAL_SINCE = (2, 3)


@dataclass(frozen=True)
class Statement:
    """One configuration line: its words and where they were written."""

    words: tuple[Word, ...]
    source: Source
    # the words as written in the file (from the first to the end of the last)
    text: str
    comment: str | None = None
    # the first word's text and the others': read for every statement, often several times
    keyword: str = field(init=False, compare=False, repr=False)
    args: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keyword", self.words[0].text if self.words else "")
        object.__setattr__(self, "args", tuple([w.text for w in self.words[1:]]))

    def word_source(self, index: int) -> Source:
        w = self.words[index]
        return Source(self.source.path, self.source.line, w.column, self.source.line, w.end_column)

    def span_source(self, first: int, last: int) -> Source:
        """The words first..last (inclusive) as one extent."""
        a, b = self.words[first], self.words[last]
        return Source(self.source.path, self.source.line, a.column, self.source.line, b.end_column)

    def span_text(self, first: int, last: int) -> str:
        a, b = self.words[first], self.words[last]
        start = a.column - self.source.column if self.source.column else 0
        return self.text[start : b.end_column - (self.source.column or 1)]


@dataclass
class Section:
    kind: str
    name: str | None
    header: Statement
    index: int
    from_name: str | None = None
    # words after the name that are not `from <defaults>` (HAProxy 1.4's listening address)
    extra: tuple[str, ...] = ()
    statements: list[Statement] = field(default_factory=list)
    block: BlockRef | None = None
    # comments written in the section (line, text), for `# wslint: websocket`
    comments: list[tuple[int, str]] = field(default_factory=list)

    @property
    def source(self) -> Source:
        return self.header.source

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" if self.name else self.kind

    def all(self, keyword: str) -> list[Statement]:
        return [s for s in self.statements if s.keyword == keyword]


@dataclass
class ParsedConfig:
    main: str
    files: list[str]
    texts: dict[str, str]
    sections: list[Section]
    disk_paths: dict[str, str]
    failed: bool = False

    def proxies(self, *kinds: str) -> list[Section]:
        wanted = kinds or PROXY_SECTIONS
        return [s for s in self.sections if s.kind in wanted]


_VERSION_TEXT = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def _version_of(text: str) -> tuple[int, ...] | None:
    m = _VERSION_TEXT.match(text.strip())
    if m is None:
        return None
    return tuple(int(g or 0) for g in m.groups())


class _CondError(Exception):
    pass


def _eval_condition(words: list[str], version: tuple[int, ...]) -> bool:
    """A `.if` condition: 0/1, version_atleast/version_before, feature/defined (assumed true),
    streq/strneq, `!`, `&&`, `||` and parentheses."""
    text = " ".join(words)
    tokens: list[str] = re.findall(r"&&|\|\||!|\(|\)|[A-Za-z_]+\([^)]*\)|[^\s()!&|]+", text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise _CondError("incomplete condition")
        pos += 1
        return tokens[pos - 1]

    def atom() -> bool:
        t = take()
        if t == "!":
            return not atom()
        if t == "(":
            v = disjunction()
            if take() != ")":
                raise _CondError("missing )")
            return v
        m = re.fullmatch(r"([A-Za-z_]+)\((.*)\)", t)
        if m is None:
            if re.fullmatch(r"-?\d+", t):
                return int(t) != 0
            return t != ""
        name, arg = m.group(1), m.group(2).strip().strip('"')
        if name in ("version_atleast", "version_before"):
            wanted = _version_of(arg)
            if wanted is None:
                raise _CondError(f"bad version {arg!r}")
            width = max(len(wanted), len(version))
            a = version + (0,) * (width - len(version))
            b = wanted + (0,) * (width - len(wanted))
            return a >= b if name == "version_atleast" else a < b
        if name in ("streq", "strneq"):
            left, _, right = arg.partition(",")
            same = left.strip().strip('"') == right.strip().strip('"')
            return same if name == "streq" else not same
        # features and environment variables of the server are unknown: the guarded
        # block is assumed active, as in the build and setup it was written for
        return True

    def conjunction() -> bool:
        v = atom()
        while peek() == "&&":
            take()
            v = atom() and v
        return v

    def disjunction() -> bool:
        v = conjunction()
        while peek() == "||":
            take()
            v = conjunction() or v
        return v

    if not tokens:
        return False
    result = disjunction()
    if pos != len(tokens):
        raise _CondError(f"unexpected {tokens[pos]!r}")
    return result


@dataclass
class _IfLevel:
    active: bool
    taken: bool
    parent_active: bool
    source: Source
    seen_else: bool = False


class Parser:
    def __init__(self, version: tuple[int, ...], diagnostics: list[Diagnostic]) -> None:
        self.version = version
        self.diagnostics = diagnostics
        self.failed = False
        self.shared = Shared()

    def _error(self, message: str, path: str, line: int | None = None) -> None:
        self.failed = True
        self.diagnostics.append(Diagnostic("parse", Severity.ERROR, message, path, line))

    def check_last_line(self, path: str, text: str) -> None:
        """A last line without its LF: HAProxy takes the file for truncated."""
        if not text or text.endswith("\n"):
            return
        line = text.count("\n") + 1
        message = "the last line has no line feed: HAProxy takes the file for truncated"
        if self.version >= MISSING_LF_FATAL_SINCE:
            self._error(f"{message} and refuses it; end the file with a newline", path, line)
        else:
            self.diagnostics.append(
                Diagnostic("parse", Severity.WARNING, f"{message} (refused from 2.3 on)", path, line)
            )

    def parse_file(self, path: str, text: str, sections: list[Section]) -> None:
        current: Section | None = None
        ifs: list[_IfLevel] = []
        lines = text.split("\n")
        for number, raw in enumerate(lines, 1):
            try:
                # the pseudo-variables are read in double quotes only
                pseudo = (
                    PseudoVariables(path, number, current.name or current.kind if current else "")
                    if '"' in raw
                    else None
                )
                line = tokenize(raw, pseudo, self.shared)
            except TokenizeError as exc:
                self._error(f"{exc} (column {exc.column})", path, number)
                continue
            if not line.words:
                if line.comment is not None and current is not None:
                    current.comments.append((number, line.comment))
                continue
            first = line.words[0].text
            if first == ".if" and len(ifs) >= MAX_NESTED_IFS - 1:
                # HAProxy stops reading here too
                self._error(
                    f"too many nested '.if', max is {MAX_NESTED_IFS}: HAProxy refuses the configuration", path, number
                )
                return
            if first.startswith(".") and first in (".if", ".elif", ".else", ".endif"):
                self._conditional(first, line, path, number, ifs)
                continue
            if ifs and not ifs[-1].active:
                continue
            if first in (".diag", ".notice", ".warning"):
                continue
            if first == ".alert":
                self._error(f".alert stops the configuration: {' '.join(w.text for w in line.words[1:])}", path, number)
                continue
            statement = self._statement(line, raw, path, number)
            if first in _SECTION_KEYWORDS:
                current = self._section(statement, len(sections))
                if current is not None:
                    sections.append(current)
                continue
            if current is None:
                self._error(
                    f"unknown keyword '{first}' out of section (each file must start with a section)", path, number
                )
                continue
            current.statements.append(statement)
        for level in ifs:
            self._error("missing .endif for this .if", path, level.source.line)

    def _conditional(self, kw: str, line: Line, path: str, number: int, ifs: list[_IfLevel]) -> None:
        src = Source(path, number, line.words[0].column)
        args = [w.text for w in line.words[1:]]
        if kw == ".if":
            parent = ifs[-1].active if ifs else True
            value = parent and self._cond(args, path, number)
            ifs.append(_IfLevel(value, value, parent, src))
            return
        if not ifs:
            self._error(f"'{kw}' without a matching '.if'", path, number)
            return
        level = ifs[-1]
        if kw == ".endif":
            ifs.pop()
        elif kw == ".else":
            if level.seen_else:
                self._error("a second '.else' for the same '.if'", path, number)
            level.seen_else = True
            level.active = level.parent_active and not level.taken
            level.taken = True
        else:
            if level.seen_else:
                self._error("'.elif' after '.else'", path, number)
            value = level.parent_active and not level.taken and self._cond(args, path, number)
            level.active = value
            level.taken = level.taken or value

    def _cond(self, args: list[str], path: str, number: int) -> bool:
        try:
            return _eval_condition(args, self.version)
        except _CondError as exc:
            self._error(f"cannot evaluate the .if condition: {exc}", path, number)
            return False

    @staticmethod
    def _statement(line: Line, raw: str, path: str, number: int) -> Statement:
        first, last = line.words[0], line.words[-1]
        source = Source(path, number, first.column, number, last.end_column)
        return Statement(line.words, source, raw[first.column - 1 : last.end_column - 1], line.comment)

    def _section(self, st: Statement, index: int) -> Section | None:
        kind = st.keyword
        args = list(st.args)
        name: str | None = None
        from_name: str | None = None
        if args and args[0] != "from":
            name = args.pop(0)
        extra: tuple[str, ...] = ()
        if args and args[0] == "from":
            if len(args) < 2:
                self._error(f"'{kind}': 'from' needs the name of a defaults section", st.source.path, st.source.line)
            else:
                from_name = args[1]
                extra = tuple(args[2:])
        else:
            extra = tuple(args)
        if kind in NAMED and not name:
            self._error(f"'{kind}' needs a name", st.source.path, st.source.line)
            return None
        if extra and kind == "backend":
            # HAProxy creates no backend from such a line: every statement of the section is refused
            self._error(
                f"'backend {name}' takes a name and 'from <defaults>' only, not '{extra[0]}': HAProxy refuses the "
                "section's lines",
                st.source.path,
                st.source.line,
            )
        return Section(kind, name, st, index, from_name, extra)


def _blocks(sections: list[Section], texts: dict[str, str]) -> None:
    """Where a fix adds lines to a section: after its header, or after its last statement."""
    split: dict[str, list[str]] = {}
    for s in sections:
        # each file split once: per section it made the parse quadratic
        lines = split.get(s.source.path)
        if lines is None:
            lines = split[s.source.path] = texts.get(s.source.path, "").split("\n")
        header_line = lines[s.source.line - 1] if 0 < s.source.line <= len(lines) else ""
        last = s.statements[-1].source.line if s.statements else s.source.line
        indent = header_line[: len(header_line) - len(header_line.lstrip())]
        if s.statements:
            first_line = lines[s.statements[0].source.line - 1]
            child = first_line[: len(first_line) - len(first_line.lstrip())] or "    "
        else:
            child = indent + "    "
        s.block = BlockRef(
            path=s.source.path,
            opened_by=s.source,
            body_start=Position(s.source.line, len(header_line) + 1),
            body_end=Position(last + 1, 1),
            indent=indent,
            child_indent=child,
            close_on_own_line=True,
            open_ends_line=True,
        )


def config_files(disk: str) -> list[str]:
    """What `-f PATH` loads: the file, or a directory's `*.cfg` files in lexical order."""
    if os.path.isdir(disk):
        return [
            os.path.join(disk, n)
            for n in sorted(os.listdir(disk))
            if n.endswith(".cfg") and os.path.isfile(os.path.join(disk, n))
        ]
    return [disk]


def parse(
    inp: InputFile, version: tuple[int, ...], diagnostics: list[Diagnostic], limits: Limits | None = None
) -> ParsedConfig | None:
    """Read and parse one input (a file, a directory of `*.cfg` files, or stdin text)."""
    limits = limits or Limits()
    if inp.disk_path is None:
        return parse_files([(inp.path, None)], version, diagnostics, inp.text or "", limits)
    found = config_files(inp.disk_path)
    if not found:
        diagnostics.append(Diagnostic("io", Severity.ERROR, f"{inp.path}: no *.cfg files in this directory", inp.path))
        return None
    if len(found) > limits.files:
        diagnostics.append(
            Diagnostic(
                "io",
                Severity.ERROR,
                f"{inp.path}: {len(found)} *.cfg files, over the limit of {limits.files} (limits: files)",
                inp.path,
            )
        )
        return None
    if len(found) == 1 and found[0] == inp.disk_path:
        return parse_files([(inp.path, inp.disk_path)], version, diagnostics, limits=limits)
    return parse_files([(display_path(f), f) for f in found], version, diagnostics, limits=limits)


def parse_files(
    items: list[tuple[str, str | None]],
    version: tuple[int, ...],
    diagnostics: list[Diagnostic],
    stdin: str = "",
    limits: Limits | None = None,
) -> ParsedConfig | None:
    """Files read in order as one configuration, as `haproxy -f a -f b` reads them; each item is
    (display path, path on disk), a disk path None meaning `stdin`."""
    limits = limits or Limits()
    parser = Parser(version, diagnostics)
    sections: list[Section] = []
    texts: dict[str, str] = {}
    disk_paths: dict[str, str] = {}
    files: list[str] = []
    for shown, disk in items:
        try:
            text = stdin if disk is None else read_text(disk, shown, limits.file_size)
        except TextFileError as exc:
            diagnostics.append(Diagnostic("io", Severity.ERROR, str(exc), shown, exc.line))
            return None
        texts[shown] = text
        files.append(shown)
        if disk is not None:
            disk_paths[shown] = disk
        parser.parse_file(shown, text, sections)
        parser.check_last_line(shown, text)
    if not sections and not parser.failed:
        where = files[0] if len(files) == 1 else "these files"
        parser._error(
            f"{where} contains no configuration (it is empty or only comments): HAProxy would not start", files[0], 1
        )
    _blocks(sections, texts)
    return ParsedConfig(files[0], files, texts, sections, disk_paths, failed=parser.failed)
