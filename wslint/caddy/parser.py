"""Grouping a Caddyfile's tokens into server blocks, expanding snippets and `import`.

This follows Caddy's own parser: a server block is a line of addresses
(`a.example, b.example:8080` or `(name)` for a snippet) and a `{ ... }` block
of directives (a single site may omit the braces). A directive ends at the
end of its line, or at the end of the block it opens on that line. `import`
at the start of a line is replaced by a snippet's tokens (a snippet must be
defined earlier) or by the tokens of the files a path or a one-wildcard glob
names, relative to the importing file; `{args.N}` in the imported tokens
becomes the Nth argument. Imports that lead back to themselves are a cycle.
Tokens keep the file and line they were written on, so a directive that came
from a snippet points into the snippet.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from wslint.caddy.lexer import Token, tokenize
from wslint.findings import Diagnostic, Severity
from wslint.inputs import InputFile, display_path
from wslint.limits import Limits
from wslint.model import BlockRef, Position, Source
from wslint.quoting import mask_word
from wslint.textfiles import TextFileError, lines_of, read_bounded

# imports can multiply tokens (a snippet importing another twice, many levels deep)
MAX_TOKENS = 2_000_000
MAX_IMPORTS = 100_000
_ARG = re.compile(r"\{args\.(\d+)\}")
_ENV = re.compile(r"\{\$([^{}:]*)(?::([^{}]*))?\}")


class CaddyfileError(Exception):
    """Caddy refuses the file; the message is Caddy's reason and the token says where."""

    def __init__(self, message: str, token: Token | None, where: Source | None = None) -> None:
        super().__init__(message)
        self.token = token
        self.where = where

    def shown(self, main: str) -> str:
        """The message as a report may show it: a token of an imported file (which can be any file, a
        secrets file too) is quoted only when it is, or nearly is, a name Caddy knows (see quoting)."""
        t = self.token
        if t is None or not t.path or t.path == main:
            return str(self)
        return mask_word(str(self), t.text, _known_names())


@lru_cache(maxsize=1)
def _known_names() -> frozenset[str]:
    from wslint.caddy.directives import SITE_DIRECTIVES
    from wslint.caddy.order import DIRECTIVE_ORDER
    from wslint.caddy.sites import GLOBAL_OPTIONS

    return frozenset((*DIRECTIVE_ORDER, *SITE_DIRECTIVES, *GLOBAL_OPTIONS, "import", "{", "}"))


@dataclass
class Node:
    """A directive or subdirective: its line of tokens and the lines of the block it opens."""

    tokens: list[Token]
    children: list[Node] | None = None
    open: Token | None = None
    close: Token | None = None

    @property
    def name(self) -> str:
        return self.tokens[0].text

    @property
    def head(self) -> Token:
        return self.tokens[0]

    @property
    def args(self) -> list[str]:
        return [t.text for t in self.tokens[1:]]

    @property
    def arg_tokens(self) -> list[Token]:
        return self.tokens[1:]

    @property
    def last(self) -> Token:
        return self.close or self.tokens[-1]

    @cached_property
    def source(self) -> Source:
        """From the directive's first character to the end of its block (or line). Worked out once: a node
        is complete when the parser hands it on (its block closed), and each handler asks many times."""
        first, last = self.tokens[0], self.last
        if last.path != first.path:
            last = self.tokens[-1] if self.tokens[-1].path == first.path else first
        return Source(first.path, first.line, first.column, last.end_line, last.end_column)

    @property
    def name_source(self) -> Source:
        t = self.tokens[0]
        return Source(t.path, t.line, t.column, t.end_line, t.end_column)

    def block(self, texts: dict[str, str]) -> BlockRef | None:
        """The block's body, for fixes that add lines to it."""
        if self.open is None or self.close is None or self.open.path != self.close.path:
            return None
        return block_ref(self.tokens[0], self.open, self.close, texts)


def token_source(t: Token) -> Source:
    return Source(t.path, t.line, t.column, t.end_line, t.end_column)


def span(first: Token, last: Token) -> Source:
    if last.path != first.path:
        last = first
    return Source(first.path, first.line, first.column, last.end_line, last.end_column)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def block_ref(head: Token, open_: Token, close: Token, texts: dict[str, str]) -> BlockRef | None:
    lines = lines_of(texts.get(head.path, ""))
    if not 0 < head.line <= len(lines) or not 0 < close.line <= len(lines):
        return None
    indent = _indent(lines[head.line - 1])
    child = indent + ("\t" if indent.startswith("\t") or "\t" in lines[head.line - 1][:1] else "    ")
    # the indentation the block's own lines use, when it has some
    for n in range(open_.line + 1, close.line):
        text = lines[n - 1]
        if text.strip() and not text.strip().startswith("#"):
            child = _indent(text)
            break
    close_line = lines[close.line - 1]
    return BlockRef(
        path=head.path,
        opened_by=Source(head.path, head.line, head.column),
        body_start=Position(open_.line, open_.end_column),
        body_end=Position(close.line, close.column),
        indent=indent,
        child_indent=child,
        close_on_own_line=not close_line[: close.column - 1].strip(),
        open_ends_line=not lines[open_.line - 1][open_.end_column - 1 :].strip(),
    )


@dataclass
class ServerBlock:
    keys: list[Token]
    segments: list[list[Token]]
    has_braces: bool
    open: Token | None = None
    close: Token | None = None
    nodes: list[Node] = field(default_factory=list)

    @property
    def source(self) -> Source:
        first = self.keys[0] if self.keys else (self.open or self.segments[0][0])
        return token_source(first)


@dataclass
class Caddyfile:
    main: str
    files: list[str]
    texts: dict[str, str]
    disk_paths: dict[str, str]
    blocks: list[ServerBlock]


def is_new_line(tokens: list[Token], i: int) -> bool:
    """Whether token i starts a new line, as Caddy decides it (continued lines do not)."""
    if i < 1:
        return True
    if i >= len(tokens):
        return False
    prev, cur = tokens[i - 1], tokens[i]
    if prev.path != cur.path:
        return True
    return prev.lline + prev.breaks < cur.lline


def next_on_new_line(tokens: list[Token], i: int) -> bool:
    if i < 0:
        return False
    if i >= len(tokens) - 1:
        return True
    return is_new_line(tokens, i + 1)


class _Reader:
    """Files read for one configuration, within the limits."""

    def __init__(self, limits: Limits, confine: tuple[str, ...] | None) -> None:
        self.limits = limits
        self.confine = confine
        self.texts: dict[str, str] = {}
        self.disk: dict[str, str] = {}
        self.files: list[str] = []

    def read(self, shown: str, disk: str | None, text: str | None, where: Token | None) -> list[Token]:
        if text is None:
            assert disk is not None
            try:
                data = read_bounded(disk, shown, self.limits.file_size)
            except TextFileError as exc:
                raise CaddyfileError(str(exc), where) from None
            if b"\0" in data:
                raise CaddyfileError(f"{shown} is not a text file", where)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                raise CaddyfileError(
                    f"{shown} is not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})",
                    Token("", shown, line, 1, line, 1, line),
                ) from None
        elif len(text.encode("utf-8", errors="replace")) > self.limits.file_size:
            raise CaddyfileError(f"{shown} is over the limit of {self.limits.file_size} bytes", where)
        if shown not in self.texts:
            if len(self.files) >= self.limits.files:
                raise CaddyfileError(f"more than {self.limits.files} files are imported", where)
            self.files.append(shown)
        self.texts[shown] = text
        if disk is not None:
            self.disk[shown] = disk
        return [_env(t) for t in tokenize(text, shown)]


def _env(t: Token) -> Token:
    """`{$NAME:default}` takes its default; `{$NAME}` stays as written (its value lives on the
    server, wslint does not guess it)."""
    if "{$" not in t.text:
        return t
    return replace(t, text=_ENV.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(0), t.text))


class Stream:
    """The tokens the parser walks, with imports spliced in where the parser stands.

    Tokens already read stay in `done` (the parser looks one back and steps
    back one); the rest waits on a stack of runs, so an import costs the size
    of what it brings in, not of the whole configuration.
    """

    def __init__(self, tokens: list[Token]) -> None:
        self.done: list[Token] = []
        self.pending: list[list[object]] = [[tokens, 0]] if tokens else []

    def _pull(self) -> bool:
        while self.pending:
            run = self.pending[-1]
            items, pos = run[0], run[1]
            assert isinstance(items, list) and isinstance(pos, int)
            if pos < len(items):
                run[1] = pos + 1
                self.done.append(items[pos])
                return True
            self.pending.pop()
        return False

    def get(self, i: int) -> Token | None:
        done = self.done
        if i < len(done):
            # read already: the parser asks for the tokens around its cursor many times each
            return done[i] if i >= 0 else None
        while i >= len(self.done):
            if not self._pull():
                return None
        return self.done[i] if i >= 0 else None

    def splice(self, at: int, end: int, tokens: list[Token]) -> None:
        """Replace done[at:end] (and nothing after) with `tokens`, to be read next."""
        rest = self.done[end:]
        del self.done[at:]
        if rest:
            self.pending.append([rest, 0])
        if tokens:
            self.pending.append([tokens, 0])


def _breaks_before(prev: Token, cur: Token) -> bool:
    if prev.path != cur.path:
        return True
    return prev.lline + prev.breaks < cur.lline


class Parser:
    def __init__(self, reader: _Reader, main: str, main_disk: str | None) -> None:
        self.reader = reader
        self.stream = Stream([])
        self.cursor = -1
        self.nesting = 0
        self.eof = False
        self.snippets: dict[str, list[Token]] = {}
        self.main = main
        self.main_disk = main_disk
        # import graph: node -> nodes it imports
        self.edges: dict[str, set[str]] = {}
        self.total = 0
        self.imports = 0
        self.block = ServerBlock([], [], False)

    # -- cursor -----------------------------------------------------------------------

    def at(self, i: int) -> Token | None:
        done = self.stream.done
        if 0 <= i < len(done):
            return done[i]
        return self.stream.get(i)

    def next(self) -> bool:
        if 0 <= self.cursor + 1 < len(self.stream.done):
            # a token read already (stepping back and forth over it)
            self.cursor += 1
            return True
        if self.at(self.cursor + 1) is not None:
            self.cursor += 1
            return True
        self.cursor = len(self.stream.done)
        return False

    @property
    def val(self) -> str:
        t = self.at(self.cursor)
        return t.text if t is not None else ""

    @property
    def tok(self) -> Token | None:
        t = self.at(self.cursor)
        if t is not None:
            return t
        return self.stream.done[-1] if self.stream.done else None

    def line_break_at(self, i: int) -> bool:
        """Whether token i starts a new line, as Caddy decides it (continued lines do not)."""
        if i < 1:
            return True
        done = self.stream.done
        if i < len(done):
            return _breaks_before(done[i - 1], done[i])
        prev, cur = self.at(i - 1), self.at(i)
        if prev is None or cur is None:
            return False
        return _breaks_before(prev, cur)

    def next_on_new_line(self, i: int) -> bool:
        if i < 0:
            return False
        if self.at(i + 1) is None:
            return True
        return self.line_break_at(i + 1)

    def new_line(self) -> bool:
        return self.line_break_at(self.cursor)

    def err(self, message: str) -> CaddyfileError:
        return CaddyfileError(message, self.tok)

    def eof_err(self) -> CaddyfileError:
        return CaddyfileError("unexpected end of file (a block is not closed)", self.tok)

    # -- the whole file ---------------------------------------------------------------------

    def parse(self, tokens: list[Token]) -> list[ServerBlock]:
        self.stream = Stream(tokens)
        self.total = len(tokens)
        blocks: list[ServerBlock] = []
        while self.next():
            self.block = ServerBlock([], [], False)
            self.eof = False
            self.begin()
            if self.block.keys or self.block.segments:
                blocks.append(self.block)
            if self.nesting > 0:
                raise self.eof_err()
        return blocks

    def begin(self) -> None:
        if self.at(0) is None:
            return
        self.addresses()
        if self.eof:
            return
        keys = self.block.keys
        if len(keys) == 1 and keys[0].text.startswith("(") and keys[0].text.endswith(")"):
            name = keys[0].text[1:-1]
            if name in self.snippets:
                raise self.err(f"redeclaration of previously declared snippet {name}")
            self.snippets[name] = [replace(t, snippet=name) for t in self.snippet_tokens()]
            self.block.keys = []
            return
        self.contents()

    def addresses(self) -> None:
        expecting = False
        while True:
            tok = self.tok
            text = self.val
            if text == "import" and self.new_line():
                self.do_import()
                continue
            if text == "{":
                if expecting:
                    raise self.err(f"expected another address but had '{text}' - check for extra comma")
                self.block.has_braces = True
                self.block.open = tok
                break
            if text.endswith("{"):
                raise self.err(
                    f"site addresses cannot end with a curly brace: '{text}' - put a space between the token "
                    "and the brace"
                )
            if text and tok is not None:
                if text.endswith(","):
                    text = text[:-1]
                    expecting = True
                else:
                    expecting = False
                if "," in text:
                    raise self.err(
                        f"site addresses cannot contain a comma ',': '{text}' - put a space after the comma to "
                        "separate site addresses"
                    )
                self.block.keys.append(replace(tok, text=text))
            has_next = self.next()
            if expecting and not has_next:
                raise self.eof_err()
            if not has_next:
                self.eof = True
                break
            if not expecting and self.new_line():
                break

    def contents(self) -> None:
        braces = self.val == "{"
        if not braces:
            # a single site may leave out the braces
            self.cursor -= 1
        self.directives()
        if braces:
            if self.val != "}":
                raise self.err(f"expected '}}', got '{self.val}'" if self.val else "expected '}' at end of file")
            self.block.close = self.tok

    def directives(self) -> None:
        while self.next():
            if self.val == "}":
                break
            if self.val == "import":
                self.do_import()
                self.cursor -= 1
                continue
            self.directive()

    def directive(self) -> None:
        tok = self.tok
        assert tok is not None
        segment = [tok]
        while self.next():
            cur = self.at(self.cursor)
            assert cur is not None
            text = cur.text
            if text == "{":
                self.nesting += 1
                if self.nesting > self.reader.limits.nesting:
                    raise self.err(f"blocks are nested more than {self.reader.limits.nesting} deep")
                if not self.next_on_new_line(self.cursor) and not cur.quoted:
                    raise self.err("unexpected next token after '{' on same line")
            elif text == "{}":
                if self.next_on_new_line(self.cursor) and not cur.quoted:
                    raise self.err("unexpected '{}' at end of line")
            elif self.new_line() and self.nesting == 0:
                self.cursor -= 1
                break
            elif text == "}" and self.nesting > 0:
                self.nesting -= 1
            elif text == "}" and self.nesting == 0:
                raise self.err("unexpected '}' because no matching opening brace")
            elif text == "import" and self.new_line():
                self.do_import()
                self.cursor -= 1
                continue
            segment.append(cur)
        self.block.segments.append(segment)
        if self.nesting > 0:
            raise self.eof_err()

    def snippet_tokens(self) -> list[Token]:
        if self.val != "{":
            raise self.err(f"expected '{{' after a snippet name, got '{self.val}'")
        nesting = 1
        out: list[Token] = []
        while self.next():
            if self.val == "}":
                nesting -= 1
                if nesting == 0:
                    break
            if self.val == "{":
                nesting += 1
            cur = self.at(self.cursor)
            assert cur is not None
            out.append(cur)
        if nesting != 0:
            raise self.err("expected '}' to close the snippet")
        return out

    # -- import -----------------------------------------------------------------------------

    def do_import(self) -> None:
        at = self.cursor
        import_tok = self.at(at)
        assert import_tok is not None
        if not self.next() or self.new_line():
            raise CaddyfileError("import needs a file, a glob or a snippet name", import_tok)
        pattern = self.val
        if not pattern:
            raise self.err("import requires a non-empty filepath")
        args: list[str] = []
        while self.at(self.cursor + 1) is not None and not self.line_break_at(self.cursor + 1):
            self.cursor += 1
            if self.val == "{":
                self.cursor -= 1
                break
            args.append(self.val)
        depth = import_tok.depth + 1
        if depth > self.reader.limits.include_depth:
            raise CaddyfileError(f"imports are nested more than {self.reader.limits.include_depth} deep", import_tok)
        self.imports += 1
        if self.imports > MAX_IMPORTS:
            raise CaddyfileError(f"more than {MAX_IMPORTS} imports are expanded", import_tok)
        node = import_tok.path + (f":{import_tok.snippet}" if import_tok.snippet else "")
        imported: list[Token]
        targets: list[str]
        if pattern in self.snippets:
            imported = self.snippets[pattern]
            targets = [f"{imported[0].path}:{pattern}"] if imported else []
        else:
            imported, targets = self.import_files(pattern, import_tok)
        self.add_edges(node, targets, import_tok)
        self.total += len(imported)
        if self.total > MAX_TOKENS:
            raise CaddyfileError(f"imports expand to more than {MAX_TOKENS} tokens", import_tok)
        values = {str(i): a for i, a in enumerate(args)}
        copies = [
            replace(
                t,
                depth=depth,
                text=_ARG.sub(lambda m: values.get(m.group(1), m.group(0)), t.text) if "{args." in t.text else t.text,
            )
            for t in imported
        ]
        self.stream.splice(at, self.cursor + 1, copies)
        self.cursor = at

    def add_edges(self, node: str, targets: list[str], where: Token) -> None:
        for target in targets:
            if target == node or self.reaches(target, node):
                raise CaddyfileError(f"a cycle of imports exists between {node} and {target}", where)
            self.edges.setdefault(node, set()).add(target)

    def reaches(self, start: str, goal: str) -> bool:
        seen: set[str] = set()
        stack = [start]
        while stack:
            cur = stack.pop()
            if cur == goal:
                return True
            if cur in seen:
                continue
            seen.add(cur)
            stack.extend(self.edges.get(cur, ()))
        return False

    def import_files(self, pattern: str, where: Token) -> tuple[list[Token], list[str]]:
        base = self.base_dir(where.path)
        full = pattern if os.path.isabs(pattern) else os.path.join(base, pattern)
        if full.count("*") > 1 or full.count("?") > 1 or ("[" in full and "]" in full):
            raise CaddyfileError(f"glob pattern may only contain one wildcard (*), but has others: {pattern!r}", where)
        matches = _glob(full)
        if not matches:
            if any(c in full for c in "*?[]"):
                # Caddy only logs a warning for a glob that matches nothing
                return [], []
            raise CaddyfileError(f"file to import not found: {pattern!r}", where)
        if self.reader.confine is not None:
            for m in matches:
                real = os.path.realpath(m)
                if not any(real == d or real.startswith(d + os.sep) for d in self.reader.confine):
                    raise CaddyfileError(f"import {pattern} leaves the linted directory (--confine)", where)
        out: list[Token] = []
        shown_list: list[str] = []
        for m in matches:
            if os.path.isdir(m):
                raise CaddyfileError(f"could not import {display_path(m)!r}: is a directory", where)
            shown = display_path(m)
            out.extend(self.reader.read(shown, m, None, where))
            shown_list.append(shown)
        return out, shown_list

    def base_dir(self, shown: str) -> str:
        disk = self.reader.disk.get(shown)
        if disk is not None:
            return os.path.dirname(os.path.abspath(disk))
        if shown == self.main and self.main_disk is None:
            return os.getcwd()
        return os.path.dirname(os.path.abspath(shown))


def _glob(pattern: str) -> list[str]:
    """Go's filepath.Glob: dot files match `*` too, results sorted per directory."""
    if not any(c in pattern for c in "*?["):
        return [pattern] if os.path.exists(pattern) else []
    head, tail = os.path.split(pattern)
    dirs = _glob(head) if any(c in head for c in "*?[") else [head]
    out: list[str] = []
    for d in dirs:
        try:
            names = sorted(os.listdir(d or "."))
        except OSError:
            continue
        out.extend(os.path.join(d, n) for n in names if fnmatch.fnmatchcase(n, tail))
    return out


# -- segments as trees --------------------------------------------------------------------------


def nodes_of(tokens: list[Token], start: int = 0, stop: int | None = None) -> list[Node]:
    """The directives of a token run (a segment or a block's body), each with its block."""
    end = len(tokens) if stop is None else stop
    out: list[Node] = []
    i = start
    while i < end:
        node, i = _node(tokens, i, end)
        out.append(node)
    return out


def _node(tokens: list[Token], i: int, end: int) -> tuple[Node, int]:
    head = [tokens[i]]
    i += 1
    while i < end and not is_new_line(tokens, i) and tokens[i].text not in ("{", "}"):
        head.append(tokens[i])
        i += 1
    node = Node(head)
    if i < end and tokens[i].text == "{" and not is_new_line(tokens, i):
        node.open = tokens[i]
        depth = 1
        j = i + 1
        while j < end:
            if tokens[j].text == "{":
                depth += 1
            elif tokens[j].text == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        node.children = nodes_of(tokens, i + 1, j)
        node.close = tokens[j] if j < end else None
        i = j + 1
    elif i < end and tokens[i].text == "}":
        # a stray closing brace on the directive's line: Caddy's dispenser skips it
        i += 1
    return node, i


def parse_caddyfile(inp: InputFile, limits: Limits, confine: bool, diagnostics: list[Diagnostic]) -> Caddyfile | None:
    """Read and parse the main file and everything it imports; None (with a diagnostic) when Caddy
    would refuse the file's structure."""
    roots: tuple[str, ...] | None = None
    if confine and inp.disk_path is not None:
        roots = (os.path.realpath(os.path.dirname(os.path.abspath(inp.disk_path))),)
    reader = _Reader(limits, roots)
    parser = Parser(reader, inp.path, inp.disk_path)
    try:
        tokens = reader.read(inp.path, inp.disk_path, inp.text, None)
        if not tokens:
            raise CaddyfileError(
                f"{inp.path} contains no configuration (it is empty or only comments)",
                Token("", inp.path, 1, 1, 1, 1, 1),
            )
        blocks = parser.parse(tokens)
    except CaddyfileError as exc:
        t = exc.token
        diagnostics.append(
            Diagnostic(
                "parse",
                Severity.ERROR,
                exc.shown(inp.path),
                t.path if t is not None else inp.path,
                t.line if t is not None else None,
                t.column if t is not None else None,
            )
        )
        return None
    except RecursionError:
        diagnostics.append(Diagnostic("parse", Severity.ERROR, f"{inp.path}: nested too deeply", inp.path))
        return None
    for b in blocks:
        b.nodes = [n for seg in b.segments for n in nodes_of(seg)]
    return Caddyfile(inp.path, reader.files, reader.texts, reader.disk, blocks)
