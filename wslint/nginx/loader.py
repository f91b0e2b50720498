"""Reading nginx files and expanding `include` the way nginx does.

Relative include paths are relative to the directory of the main file (nginx's
configuration prefix), globs are expanded in sorted order and may match
nothing, a missing plain file is reported, and a file that includes itself
(directly or not) is a cycle. `--root /etc/nginx=deploy/nginx` maps absolute
paths of a configuration kept in a repository.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field

from wslint.findings import Diagnostic, Severity
from wslint.inputs import InputFile, display_path
from wslint.model import BlockRef, Position, Source
from wslint.nginx import crossplane_adapter as cp
from wslint.nginx import directive_table, syntax
from wslint.nginx.directive_form import Version
from wslint.nginx.directive_table import DEBIAN_MODULES
from wslint.nginx.positions import Extent, LexicalProblem, LineIndex, scan
from wslint.nginx.tree import Directive, SourceFile, file_block
from wslint.quoting import mask_quoted
from wslint.textfiles import TextFileError, read_bounded

# Files every nginx package installs next to nginx.conf. A repository often does
# not carry them; when missing they are assumed present and irrelevant here.
STOCK_FILES = frozenset(
    {
        "mime.types",
        "fastcgi_params",
        "fastcgi.conf",
        "scgi_params",
        "uwsgi_params",
        "koi-utf",
        "koi-win",
        "win-utf",
        "snippets/fastcgi-php.conf",
        "snippets/snakeoil.conf",
    }
)

# Debian and Ubuntu ship /etc/nginx/proxy_params with these header lines. It
# matters here: including it defines proxy_set_header at that level, which
# cancels every inherited header (nginx all-or-nothing inheritance).
STOCK_PROXY_PARAMS = (
    "proxy_set_header Host $host;\n"
    "proxy_set_header X-Real-IP $remote_addr;\n"
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    "proxy_set_header X-Forwarded-Proto $scheme;\n"
)

MAIN_ONLY = frozenset(
    {
        "http",
        "events",
        "stream",
        "mail",
        "worker_processes",
        "load_module",
        "user",
        "pid",
        "daemon",
        "master_process",
        "worker_rlimit_nofile",
        "worker_cpu_affinity",
        "worker_priority",
        "working_directory",
        "pcre_jit",
        "thread_pool",
        "timer_resolution",
        "lock_file",
        "env",
    }
)


@dataclass(frozen=True)
class LoadOptions:
    roots: tuple[tuple[str, str], ...] = ()
    max_file_bytes: int = 10 * 1024 * 1024
    max_include_depth: int = 64
    max_files: int = 10_000
    max_nesting: int = 200
    # with --confine: directories (real paths) includes may not leave
    confine_to: tuple[str, ...] | None = None
    # the nginx whose directive checks apply (--nginx-version)
    version: Version = (1, 28, 0)
    version_text: str = "1.28.0"
    version_assumed: bool = True


@dataclass(frozen=True, slots=True)
class _Node:
    """A statement of one file paired with its extent (when the scan agreed)."""

    stmt: cp.RawStatement
    extent: Extent | None
    children: tuple[_Node, ...] | None


@dataclass
class _Parsed:
    file: SourceFile
    nodes: tuple[_Node, ...]
    failed: bool
    # where nginx's reader stops on this file (`nodes` are the statements before it)
    problem: LexicalProblem | None = None


@dataclass
class LoadedConfig:
    main: SourceFile
    root: Directive
    context: str
    files: list[str]
    includes: list[Directive] = field(default_factory=list)
    failed: bool = False
    # http-level files that the stock nginx.conf includes beside a fragment (conf.d/*.conf,
    # sites-enabled/*): their `map`s and other variable definitions are visible to it
    neighbours: list[Directive] = field(default_factory=list)
    # include lines whose file is not there (reported as a warning): what they add is unknown
    missing: list[Directive] = field(default_factory=list)
    # main-level include lines that read no file: the load_module lines they may hold are unknown
    unread_main: list[Directive] = field(default_factory=list)
    # the variables the tree defines (variables.collect_definitions of root), once someone computed them
    definitions: set[str] | None = None


def _pair(stmts: tuple[cp.RawStatement, ...], extents: list[Extent]) -> tuple[_Node, ...]:
    return _Pairing(extents).build(stmts)


class _Pairing:
    """Statements paired in document order with the scan's extents, until a name or line disagrees.

    A class rather than a recursive closure: a closure that calls itself is a reference cycle, which
    would keep every extent alive until the garbage collector's next full pass.
    """

    def __init__(self, extents: list[Extent]) -> None:
        self.extents = extents
        self.cursor = 0
        self.aligned = True

    def build(self, items: tuple[cp.RawStatement, ...]) -> tuple[_Node, ...]:
        extents = self.extents
        out: list[_Node] = []
        for s in items:
            if s.is_comment:
                out.append(_Node(s, None, None))
                continue
            ext: Extent | None = None
            if self.aligned and self.cursor < len(extents):
                cand = extents[self.cursor]
                if cand.name == s.name and cand.line == s.line:
                    ext = cand
                    self.cursor += 1
                else:
                    self.aligned = False
            kids = self.build(s.block) if s.block is not None else None
            out.append(_Node(s, ext, kids))
        return tuple(out)


def detect_context(stmts: tuple[cp.RawStatement, ...]) -> str:
    """Which nginx context a file's top level is written for."""
    names = {s.name for s in stmts if not s.is_comment}
    if names & MAIN_ONLY:
        return "main"
    if "location" in names and "server" not in names:
        return "server"
    return "http"


CONTEXT_PATHS = syntax.CONTEXT_PATHS


def _child_context(name: str, ctx: tuple[str, ...]) -> tuple[str, ...]:
    if name == "if":
        return (*ctx, "if")
    return (*ctx, name)


class Loader:
    def __init__(self, options: LoadOptions, diagnostics: list[Diagnostic]) -> None:
        self.options = options
        self.diagnostics = diagnostics
        self._cache: dict[str, _Parsed | None] = {}
        self._files_seen = 0
        # the directive built last, and the reading problems found right after one (by its id;
        # 0: before the first): nginx's reading order for the syntax checks
        self._last: Directive | None = None
        self._lexical: dict[int, list[syntax.Issue]] = {}
        # (directory on disk, directory as shown) of the main file: included
        # files below it are shown relative to how the user named the main file
        self._display_base: tuple[str, str] | None = None

    def real_paths(self) -> set[str]:
        """Every file read from disk so far (by real path)."""
        return {key for key, parsed in self._cache.items() if parsed is not None and not key.startswith("<")}

    def texts(self) -> dict[str, str]:
        """Every file read so far, by display path (fixes need the exact text)."""
        return {p.file.path: p.file.text for p in self._cache.values() if p is not None}

    # -- reading -----------------------------------------------------------

    def _diag(self, kind: str, severity: Severity, message: str, path: str | None, line: int | None) -> None:
        self.diagnostics.append(Diagnostic(kind, severity, message, path, line))  # type: ignore[arg-type]

    @staticmethod
    def _key(disk_path: str | None, shown: str) -> str:
        return os.path.realpath(disk_path) if disk_path else f"<text>{shown}"

    def _read(self, inp: InputFile, origin: Source | None) -> _Parsed | None:
        key = self._key(inp.disk_path, inp.path)
        if key in self._cache:
            return self._cache[key]
        self._files_seen += 1
        if self._files_seen > self.options.max_files:
            self._diag(
                "include",
                Severity.ERROR,
                f"more than {self.options.max_files} files included; stopping",
                origin.path if origin else inp.path,
                origin.line if origin else None,
            )
            self._cache[key] = None
            return None
        parsed = self._read_uncached(inp, origin)
        self._cache[key] = parsed
        return parsed

    def _read_uncached(self, inp: InputFile, origin: Source | None) -> _Parsed | None:
        where_path = origin.path if origin else inp.path
        where_line = origin.line if origin else None
        if inp.text is not None:
            text = inp.text
        else:
            assert inp.disk_path is not None
            try:
                data = read_bounded(inp.disk_path, inp.path, self.options.max_file_bytes)
            except TextFileError as exc:
                self._diag("io", Severity.ERROR, str(exc), where_path, where_line)
                return None
            if b"\0" in data:
                self._diag("io", Severity.ERROR, f"{inp.path} is not a text file", where_path, where_line)
                return None
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_line = data[: exc.start].count(b"\n") + 1
                self._diag(
                    "io",
                    Severity.ERROR,
                    f"{inp.path} is not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {bad_line}); the rest is "
                    "linted with the character replaced, and --fix never writes the file",
                    inp.path,
                    bad_line,
                )
                text = data.decode("utf-8", errors="replace")
        index = LineIndex(text)
        file = SourceFile(inp.path, text, index)
        scanned = scan(text, self.options.max_nesting)
        readable = _crossplane_text(text, scanned.problem, scanned.literal_braces)
        problems: tuple[cp.SyntaxProblem, ...] = ()
        if readable is None and scanned.statements is not None:
            # the scan read the file as crossplane would: no second lexing pass
            stmts = scanned.statements
        elif readable is None and inp.disk_path is not None and inp.text is None:
            stmts, problems = cp.parse_path(inp.disk_path)
        else:
            stmts, problems = cp.parse_text(text if readable is None else readable)
        for p in problems:
            self._diag("parse", Severity.ERROR, p.message, inp.path, p.line)
        nodes = _pair(stmts, scanned.extents)
        return _Parsed(file, nodes, bool(problems) or scanned.problem is not None, scanned.problem)

    # -- building ----------------------------------------------------------

    def load(self, inp: InputFile) -> LoadedConfig | None:
        parsed = self._read(inp, None)
        if parsed is None:
            return None
        if not parsed.failed and not any(not n.stmt.is_comment for n in parsed.nodes):
            self._diag(
                "parse",
                Severity.ERROR,
                f"{inp.path} contains no configuration (it is empty or only comments)",
                inp.path,
                1,
            )
            return None
        context = detect_context(tuple(n.stmt for n in parsed.nodes))
        root_ctx = CONTEXT_PATHS[context]
        fblock = file_block(parsed.file)
        root = Directive(
            name="<file>",
            args=(),
            source=Source(parsed.file.path, 1, 1),
            file=parsed.file,
            context=root_ctx[:-1] if root_ctx else (),
            children=[],
            body=fblock,
        )
        loaded = LoadedConfig(parsed.file, root, context, [parsed.file.path], failed=parsed.failed)
        base_dirs = self._base_dirs(inp, context)
        if inp.disk_path:
            self._display_base = (os.path.dirname(os.path.abspath(inp.disk_path)), os.path.dirname(inp.path))
        active = [self._key(inp.disk_path, inp.path)]
        assert root.children is not None
        root.children.extend(self._build(parsed, parsed.nodes, root_ctx, root, None, loaded, base_dirs, active))
        self._read_problem(parsed)
        self._check_syntax(loaded)
        return loaded

    # -- nginx's checks ------------------------------------------------------

    def _read_problem(self, parsed: _Parsed) -> None:
        """Place the problem nginx's reader stops at, after the last directive read before it."""
        problem = parsed.problem
        if problem is None:
            return
        anchor = id(self._last) if self._last is not None else 0
        issue = syntax.Issue(parsed.file.path, problem.line, problem.message, Severity.ERROR)
        self._lexical.setdefault(anchor, []).append(issue)

    def _settings(self, loaded: LoadedConfig) -> syntax.Settings:
        o = self.options
        return syntax.Settings(o.version, o.version_text, o.version_assumed, _modules(loaded))

    def _issues(self, loaded: LoadedConfig, context: str, settings: syntax.Settings) -> list[syntax.Issue]:
        start = "main" if context == "main" else syntax.effective(CONTEXT_PATHS[context])
        issues = list(self._lexical.get(0, ()))
        issues += syntax.check(loaded.root.children or [], start, settings, self._lexical)
        return issues

    def _check_syntax(self, loaded: LoadedConfig) -> None:
        """nginx's directive checks: errors fail the load; a fragment gets the context it fits best."""
        settings = self._settings(loaded)
        issues = self._issues(loaded, loaded.context, settings)
        if loaded.context != "main" and _errors(issues):
            context, issues = self._fitting_context(loaded, issues, settings)
            if context != loaded.context:
                loaded.context = context
                _recontext(loaded.root, CONTEXT_PATHS[context])
        # misplacements the rules explain (and fix) are theirs, unless nginx refuses more
        hard = any(i.severity >= Severity.ERROR and not i.by_rule for i in issues)
        main = loaded.files[0] if loaded.files else None
        for i in issues:
            if i.by_rule and not hard:
                continue
            message = i.message if i.path == main else mask_quoted(i.message, directive_table.names(settings.version))
            self._diag("parse", i.severity, message, i.path, i.line)
            if i.severity >= Severity.ERROR:
                loaded.failed = True

    def _fitting_context(
        self, loaded: LoadedConfig, issues: list[syntax.Issue], settings: syntax.Settings
    ) -> tuple[str, list[syntax.Issue]]:
        """Where a fragment nginx would refuse in its detected context is accepted, if anywhere.

        An http context without any complaint wins (a location snippet holding `proxy_pass`); then
        the detected one when only the rules' misplacements remain; a stream fragment (a `server`
        with stream directives) only when every http context refuses more.
        """
        tried: dict[str, list[syntax.Issue]] = {loaded.context: issues}
        for context in (*syntax.FRAGMENT_CONTEXTS, "stream"):
            if context not in tried:
                _recontext(loaded.root, CONTEXT_PATHS[context])
                tried[context] = self._issues(loaded, context, settings)
        _recontext(loaded.root, CONTEXT_PATHS[loaded.context])
        order = [loaded.context, *(c for c in syntax.FRAGMENT_CONTEXTS if c != loaded.context)]
        for context in order:
            if not _errors(tried[context]):
                return context, tried[context]
        if not _hard(issues):
            return loaded.context, issues
        if all(_hard(tried[c]) for c in order) and not _errors(tried["stream"]):
            return "stream", tried["stream"]
        return loaded.context, issues

    def _base_dirs(self, inp: InputFile, context: str) -> list[str]:
        base = os.path.dirname(inp.disk_path or inp.path) or "."
        dirs = [base]
        if context != "main":
            # a fragment (conf.d/x.conf, sites-available/x) usually lives one level
            # below the directory nginx resolves relative includes against
            dirs.append(os.path.dirname(os.path.abspath(base)))
        return dirs

    def _build(
        self,
        parsed: _Parsed,
        nodes: tuple[_Node, ...],
        ctx: tuple[str, ...],
        parent: Directive,
        included_from: Directive | None,
        loaded: LoadedConfig,
        base_dirs: list[str],
        active: list[str],
    ) -> list[Directive]:
        out: list[Directive] = []
        file = parsed.file
        for node in nodes:
            s = node.stmt
            if s.is_comment:
                if isinstance(parent.comments, list):
                    parent.comments.append((s.line, s.comment or ""))
                else:
                    parent.comments = [(s.line, s.comment or "")]
                continue
            ext = node.extent
            source = Source(
                file.path,
                s.line,
                ext.column if ext else None,
                ext.end_line if ext else None,
                ext.end_column if ext else None,
            )
            d = Directive(s.name, s.args, source, file, ctx, parent=parent, included_from=included_from)
            if ext is not None:
                d.terminator_line = ext.brace_line if ext.brace_line is not None else ext.end_line
            if s.name == "include" and s.block is None:
                loaded.includes.append(d)
                out.extend(self._include(d, ctx, parent, included_from, loaded, base_dirs, active))
                continue
            self._last = d
            if node.children is not None:
                d.children = []
                d.body = self._body(file, ext, source)
                d.children.extend(
                    self._build(
                        parsed,
                        node.children,
                        _child_context(s.name, ctx),
                        d,
                        included_from,
                        loaded,
                        base_dirs,
                        active,
                    )
                )
            out.append(d)
        return out

    def _body(self, file: SourceFile, ext: Extent | None, source: Source) -> BlockRef | None:
        if ext is None or ext.brace_line is None or ext.brace_column is None or ext.close_column is None:
            return None
        close_at = ext.close_brace
        assert close_at is not None
        idx = file.index
        open_line = idx.line_text(ext.brace_line)
        after_open = open_line[ext.brace_column :].lstrip()
        indent = open_line[: len(open_line) - len(open_line.lstrip())]
        close_on_own_line = idx.line_text(close_at.line)[: close_at.column - 1].strip() == ""
        return BlockRef(
            path=file.path,
            opened_by=source,
            body_start=Position(ext.brace_line, ext.brace_column + 1),
            body_end=close_at,
            indent=indent,
            child_indent=self._child_indent(file, ext.brace_line, close_at.line, indent),
            close_on_own_line=close_on_own_line,
            open_ends_line=after_open == "" or after_open.startswith("#"),
        )

    @staticmethod
    def _child_indent(file: SourceFile, open_line: int, close_line: int, indent: str) -> str:
        """The indentation of the block's first line that is not blank or a comment (else one unit more)."""
        line_text = file.index.line_text
        for line in range(open_line + 1, close_line):
            text = line_text(line)
            stripped = text.lstrip()
            if stripped and not stripped.startswith("#"):
                return text[: len(text) - len(stripped)]
        unit = "\t" if indent.startswith("\t") else "    "
        return indent + unit

    # -- include -----------------------------------------------------------

    def _include(
        self,
        inc: Directive,
        ctx: tuple[str, ...],
        parent: Directive,
        included_from: Directive | None,
        loaded: LoadedConfig,
        base_dirs: list[str],
        active: list[str],
    ) -> list[Directive]:
        if len(inc.args) != 1:
            # the include is spliced away: its own check goes where nginx reads it
            takes = "without a file name" if not inc.args else f"with {len(inc.args)} arguments"
            message = f'invalid number of arguments in "include" directive (it takes one file name; here {takes})'
            line = inc.terminator_line or inc.source.line
            issue = syntax.Issue(inc.source.path, line, message, Severity.ERROR)
            self._lexical.setdefault(id(self._last) if self._last is not None else 0, []).append(issue)
            loaded.failed = True
            return []
        pattern = inc.args[0]
        files = self._resolve(pattern, base_dirs, inc)
        stock = pattern.split("/etc/nginx/", 1)[-1]
        if not files and not glob.has_magic(pattern) and stock not in STOCK_FILES:
            loaded.missing.append(inc)
        if not files and not ctx:
            loaded.unread_main.append(inc)
        out: list[Directive] = []
        if len(active) > self.options.max_include_depth:
            self._diag(
                "include",
                Severity.ERROR,
                f"includes nested deeper than {self.options.max_include_depth} levels",
                inc.source.path,
                inc.source.line,
            )
            loaded.failed = True
            return out
        outer = included_from or inc
        for disk, shown, text in files:
            if disk is not None and not self._allowed(disk):
                self._diag(
                    "include",
                    Severity.ERROR,
                    f"include of {shown} leaves the confined directories (--confine); it was not read",
                    inc.source.path,
                    inc.source.line,
                )
                loaded.failed = True
                continue
            key = self._key(disk, shown)
            if key in active:
                self._diag(
                    "include",
                    Severity.ERROR,
                    f"include cycle: {shown} includes itself (via {inc.source})",
                    inc.source.path,
                    inc.source.line,
                )
                loaded.failed = True
                continue
            parsed = self._read(InputFile(shown, disk, text), inc.source)
            if parsed is None:
                loaded.failed = True
                continue
            if parsed.failed:
                loaded.failed = True
            if shown not in loaded.files:
                loaded.files.append(shown)
            active.append(key)
            out.extend(self._build(parsed, parsed.nodes, ctx, parent, outer, loaded, base_dirs, active))
            self._read_problem(parsed)
            active.pop()
        return out

    def _allowed(self, disk: str) -> bool:
        roots = self.options.confine_to
        if roots is None:
            return True
        real = os.path.realpath(disk)
        return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)

    def _map_root(self, pattern: str) -> str:
        for server_prefix, local in sorted(self.options.roots, key=lambda r: -len(r[0])):
            prefix = server_prefix.rstrip("/")
            if pattern == prefix or pattern.startswith(prefix + "/"):
                return os.path.join(local, pattern[len(prefix) :].lstrip("/"))
        return pattern

    def _shown(self, disk: str) -> str:
        if self._display_base is not None:
            base_disk, base_shown = self._display_base
            absolute = os.path.abspath(disk)
            if absolute == base_disk or absolute.startswith(base_disk + os.sep):
                return os.path.normpath(os.path.join(base_shown, os.path.relpath(absolute, base_disk)))
        return display_path(disk)

    def _resolve(self, pattern: str, base_dirs: list[str], inc: Directive) -> list[tuple[str | None, str, str | None]]:
        """(disk path, display path, text) for every file an include names."""
        if os.path.isabs(pattern):
            candidates = [self._map_root(pattern)]
        else:
            candidates = [os.path.join(d, pattern) for d in base_dirs]
        if glob.has_magic(pattern):
            for cand in candidates:
                matches = sorted(glob.glob(cand))
                if matches:
                    return [(m, self._shown(m), None) for m in matches]
            return []
        for cand in candidates:
            if os.path.exists(cand):
                return [(cand, self._shown(cand), None)]
            if os.path.islink(cand):
                self._diag(
                    "include",
                    Severity.ERROR,
                    f"included file {pattern} is a symbolic link that leads nowhere (or to itself)",
                    inc.source.path,
                    inc.source.line,
                )
                return []
        stock = pattern.split("/etc/nginx/", 1)[-1]
        if stock == "proxy_params":
            return [(None, f"<stock {pattern}>", STOCK_PROXY_PARAMS)]
        if stock in STOCK_FILES:
            return []
        hint = ""
        if os.path.isabs(pattern):
            hint = f" (map it to the repository with --root {os.path.dirname(pattern)}=DIR)"
        self._diag(
            "include",
            Severity.WARNING,
            f"included file {pattern} not found{hint}; nginx would refuse to start without it",
            inc.source.path,
            inc.source.line,
        )
        return []


def _crossplane_text(text: str, problem: LexicalProblem | None, braces: tuple[int, ...]) -> str | None:
    """The text crossplane reads, when it is not the file's: what nginx read before a problem (its open
    blocks closed), `}` inside words escaped (nginx reads them as part of the word), and a lone CR made a
    space: crossplane reads files with universal newlines, so a CR would end a comment and start a line,
    while for nginx it is a blank like any other and only LF ends a comment or a line."""
    lone_cr = "\r" in text and _LONE_CR.search(text) is not None
    if problem is None and not braces and not lone_cr:
        return None
    out = text if problem is None else text[: problem.cut]
    for offset in reversed(braces):
        out = out[:offset] + "\\" + out[offset:]
    if problem is not None:
        out += "\n" + "}" * problem.depth
    return _LONE_CR.sub(" ", out) if lone_cr else out


_LONE_CR = re.compile(r"\r(?!\n)")


def _modules(loaded: LoadedConfig) -> syntax.Modules:
    """Whether wslint sees every module the configuration loads."""
    if loaded.context != "main":
        return syntax.Modules(False, "the nginx.conf including this fragment loads (wslint does not read it)")
    others = sorted({os.path.basename(d.args[0]) for d in loaded.root.iter("load_module") if d.args} - DEBIAN_MODULES)
    if others:
        return syntax.Modules(False, f"nginx.conf loads ({', '.join(others)}: not a module of the Debian build)")
    if loaded.unread_main:
        inc = loaded.unread_main[0]
        return syntax.Modules(False, f"a file included at {inc.source} loads (the include read no file)")
    return syntax.Modules(True)


def _errors(issues: list[syntax.Issue]) -> bool:
    return any(i.severity >= Severity.ERROR for i in issues)


def _hard(issues: list[syntax.Issue]) -> bool:
    return any(i.severity >= Severity.ERROR and not i.by_rule for i in issues)


def _recontext(root: Directive, root_ctx: tuple[str, ...]) -> None:
    """Give a fragment's tree the contexts of another place it may be included in."""
    root.context = root_ctx[:-1] if root_ctx else ()

    def walk(d: Directive, ctx: tuple[str, ...]) -> None:
        for child in d.children or ():
            child.context = ctx
            walk(child, _child_context(child.name, ctx))

    walk(root, root_ctx)
