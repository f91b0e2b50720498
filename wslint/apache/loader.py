"""Reading a whole httpd configuration: files, includes, modules and conditional sections.

httpd processes its configuration in one pass, in order: `LoadModule` makes a
module's directives available from that line on, `<IfModule>`, `<IfDefine>`,
`<IfVersion>`, `<IfDirective>` and `<IfSection>` are decided when they are
read (a module loaded after an `<IfModule>` does not count for it), `Define`
sets the `${NAME}` variables that later arguments use, and `Include` /
`IncludeOptional` insert files (globs sorted, a directory recursively)
resolved against the ServerRoot in force. The loader does the same and hands
on one expanded tree in which every node keeps its file and line.

When a configuration loads no module at all (a vhost file linted on its own),
which modules exist is unknown: `<IfModule mod>` is then taken as true, and no
directive is reported for a missing module.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field, replace

from wslint.apache.known import BUILTIN_DIRECTIVES, BUILTIN_MODULES, MODULE_DIRECTIVES
from wslint.apache.parser import Node, ParseError, Word, parse
from wslint.findings import Diagnostic, Severity
from wslint.inputs import InputFile, display_path
from wslint.limits import Limits
from wslint.model import Source
from wslint.textfiles import TextFileError, read_bounded

CONDITIONALS = ("ifmodule", "ifdefine", "ifversion", "ifdirective", "ifsection", "iffile")
_VAR = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")


class _ExpansionTooLarge(Exception):
    """A variable expansion past the limit (already reported): the configuration is not read further."""


_DIRECTIVES = {d.lower(): m for d, m in MODULE_DIRECTIVES.items()}
_BUILTIN = {d.lower() for d in BUILTIN_DIRECTIVES}


def module_of(directive: str) -> str | None:
    """The module that defines a directive (`<Proxy` for sections); None for built-in ones."""
    return _DIRECTIVES.get(directive.lower())


def is_known(directive: str) -> bool:
    key = directive.lower()
    return key in _DIRECTIVES or key in _BUILTIN


def module_name(text: str) -> str:
    """`mod_proxy.c`, `proxy_module` or `mod_proxy` as the module's identifier (`proxy_module`)."""
    name = text.strip()
    if name.endswith(".c"):
        name = name[:-2]
        if name.startswith("mod_"):
            name = name[4:]
        return "ldap_module" if name == "util_ldap" else name + "_module"
    if name.startswith("mod_"):
        return name[4:] + "_module"
    return name


@dataclass
class Loaded:
    nodes: list[Node]
    files: list[str]
    texts: dict[str, str]
    # LoadModule'd modules, each with its line; None when the configuration loads none
    modules: dict[str, Source] | None
    # the last LoadModule line, where a missing module's line belongs
    load_anchor: Source | None
    # how LoadModule lines name their files ("modules/" relative to ServerRoot, or absolute)
    module_dir: str
    defines: dict[str, str]
    failed: bool = False
    # the directory relative paths are resolved against
    server_root: str = "."
    # nodes a conditional section kept only because the modules are unknown
    assumed: list[Source] = field(default_factory=list)


@dataclass
class _State:
    modules: dict[str, Source] = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)
    server_root: str = "."
    load_anchor: Source | None = None
    module_dir: str = "modules/"
    saw_load: bool = False
    # a conditional section was decided by what is loaded (so a second pass, knowing the modules, may differ)
    asked_modules: bool = False


class Loader:
    def __init__(
        self,
        version: tuple[int, ...],
        limits: Limits,
        diagnostics: list[Diagnostic],
        roots: tuple[tuple[str, str], ...] = (),
        confine_to: tuple[str, ...] | None = None,
    ) -> None:
        self.version = version
        self.limits = limits
        self.diagnostics = diagnostics
        self.roots = roots
        self.confine_to = confine_to
        self._cache: dict[str, tuple[list[Node], str] | None] = {}
        self._reported: set[tuple[str, int | None, str]] = set()
        self.files: list[str] = []
        self.texts: dict[str, str] = {}
        self.failed = False
        self._count = 0

    # -- diagnostics ------------------------------------------------------------------

    def _diag(
        self, kind: str, severity: Severity, message: str, path: str | None, line: int | None, fatal: bool = True
    ) -> None:
        """Report a problem; an error stops the model unless it is not `fatal` (the rest can still be read)."""
        key = (path or "", line, message)
        if key in self._reported:
            return
        self._reported.add(key)
        self.diagnostics.append(Diagnostic(kind, severity, message, path, line))  # type: ignore[arg-type]
        if severity >= Severity.ERROR and fatal:
            self.failed = True

    # -- reading one file -------------------------------------------------------------

    def _read(self, inp: InputFile, origin: Source | None) -> tuple[list[Node], str] | None:
        key = os.path.realpath(inp.disk_path) if inp.disk_path else inp.path
        if key in self._cache:
            return self._cache[key]
        self._count += 1
        where = (origin.path, origin.line) if origin else (inp.path, None)
        if self._count > self.limits.files:
            self._diag("include", Severity.ERROR, f"more than {self.limits.files} files included; stopping", *where)
            self._cache[key] = None
            return None
        result = self._read_uncached(inp, where)
        self._cache[key] = result
        return result

    def _read_uncached(self, inp: InputFile, where: tuple[str, int | None]) -> tuple[list[Node], str] | None:
        if inp.text is not None:
            text = inp.text
        else:
            assert inp.disk_path is not None
            try:
                data = read_bounded(inp.disk_path, inp.path, self.limits.file_size)
            except TextFileError as exc:
                self._diag("io", Severity.ERROR, str(exc), *where)
                return None
            if b"\0" in data:
                self._diag("io", Severity.ERROR, f"{inp.path} is not a text file", *where)
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
                    fatal=False,
                )
                text = data.decode("utf-8", errors="replace")
        if inp.path not in self.texts:
            self.files.append(inp.path)
            self.texts[inp.path] = text
        try:
            nodes = parse(text, inp.path, self.limits.nesting)
        except ParseError as exc:
            self._diag("parse", Severity.ERROR, exc.message, inp.path, exc.line)
            return None
        return nodes, text

    # -- the whole configuration -----------------------------------------------------

    def load(self, inp: InputFile) -> Loaded | None:
        read = self._read(inp, None)
        if read is None:
            return None
        nodes, _ = read
        if not nodes:
            self._diag(
                "parse",
                Severity.ERROR,
                f"{inp.path} contains no configuration (it is empty or only comments)",
                inp.path,
                1,
            )
            return None
        base = os.path.dirname(os.path.abspath(inp.disk_path)) if inp.disk_path else os.getcwd()
        state = _State(server_root=base)
        try:
            out = self._expand(nodes, None, state, [self._key(inp)], base, known=False)
            if state.saw_load and state.asked_modules:
                # modules are known: decide every <IfModule> again with what is really loaded
                state = _State(server_root=base)
                out = self._expand(nodes, None, state, [self._key(inp)], base, known=True)
        except _ExpansionTooLarge:
            return None
        return Loaded(
            nodes=out,
            files=self.files,
            texts=self.texts,
            modules=dict(state.modules) if state.saw_load else None,
            load_anchor=state.load_anchor,
            module_dir=state.module_dir,
            defines=state.defines,
            failed=self.failed,
            server_root=state.server_root,
        )

    @staticmethod
    def _key(inp: InputFile) -> str:
        return os.path.realpath(inp.disk_path) if inp.disk_path else inp.path

    def _substitute(self, node: Node, state: _State) -> Node:
        if not any("${" in w.value for w in node.words):
            return node

        def sub(m: re.Match[str]) -> str:
            # an undefined name comes from httpd's environment (Debian's envvars): left as written
            return state.defines.get(m.group(1), m.group(0))

        # a Define may hold ten uses of the one before it: eight levels make a 10^9-character word
        # (httpd itself builds it). Its length is known before it is built, and bounded like a file's
        limit = self.limits.file_size
        for w in node.words:
            size = len(w.value) + sum(len(sub(m)) - len(m.group(0)) for m in _VAR.finditer(w.value))
            if size > limit:
                self._diag(
                    "parse",
                    Severity.ERROR,
                    f"expanding the ${{...}} variables of {node.name} makes a value of {size} characters, over "
                    f"the limit of {limit} (limits: file-size); the rest of the configuration is not read",
                    node.source.path,
                    node.source.line,
                )
                raise _ExpansionTooLarge
        words = tuple(replace(w, value=_VAR.sub(sub, w.value)) for w in node.words)
        return replace(node, words=words)

    def _expand(
        self, nodes: list[Node], parent: Node | None, state: _State, active: list[str], base: str, known: bool
    ) -> list[Node]:
        out: list[Node] = []
        for raw in nodes:
            node = self._substitute(raw, state)
            key = node.key
            if key in CONDITIONALS:
                if self._holds(node, state, known, base):
                    out.extend(self._expand(node.children or [], parent, state, active, base, known))
                continue
            if key in ("include", "includeoptional"):
                out.extend(self._include(node, parent, state, active, base, known))
                continue
            if key == "loadmodule" and len(node.args) >= 1:
                state.saw_load = True
                state.modules.setdefault(node.args[0], node.source)
                state.load_anchor = node.source
                if len(node.args) >= 2:
                    path = node.args[1]
                    state.module_dir = path[: path.rfind("/") + 1] if "/" in path else ""
            elif key == "define" and node.args:
                state.defines[node.args[0]] = node.args[1] if len(node.args) > 1 else ""
            elif key == "undefine" and node.args:
                state.defines.pop(node.args[0], None)
            elif key == "serverroot" and node.args:
                state.server_root = self._server_root(node.args[0], base)
            copy = node.under(parent)
            if node.children is not None:
                copy.children = self._expand(node.children, copy, state, active, base, known)
            out.append(copy)
        return out

    def _server_root(self, value: str, base: str) -> str:
        mapped = self._map_root(value)
        path = mapped if os.path.isabs(mapped) else os.path.normpath(os.path.join(base, mapped))
        # an absolute ServerRoot of the server (/etc/apache2) that this checkout does not have:
        # the main file's directory stands in for it
        return path if os.path.isdir(path) else base

    def _map_root(self, path: str) -> str:
        for server, local in sorted(self.roots, key=lambda r: -len(r[0])):
            prefix = server.rstrip("/")
            if path == prefix or path.startswith(prefix + "/"):
                return os.path.join(local, path[len(prefix) :].lstrip("/"))
        return path

    # -- conditional sections ---------------------------------------------------------

    def _holds(self, node: Node, state: _State, known: bool, base: str) -> bool:
        args = list(node.args)
        key = node.key
        negate = bool(args) and args[0].startswith("!")
        if negate:
            args[0] = args[0][1:]
        if key == "ifversion":
            return self._version_holds(node.args)
        value: bool
        if not args:
            return False
        name = args[0]
        if key in ("ifmodule", "ifdirective", "ifsection"):
            state.asked_modules = True
        if key == "ifmodule":
            ident = module_name(name)
            if ident in BUILTIN_MODULES:
                value = True
            elif not known:
                # nothing is loaded as far as wslint can see: assume the section is meant to apply
                return not negate
            else:
                value = ident in state.modules
        elif key == "ifdefine":
            value = name in state.defines
        elif key in ("ifdirective", "ifsection"):
            directive = ("<" + name) if key == "ifsection" else name
            module = module_of(directive)
            if module is None:
                value = is_known(directive) or not known
            else:
                value = (not known) or module in state.modules or module in BUILTIN_MODULES
        else:
            path = self._map_root(name)
            if not os.path.isabs(path):
                path = os.path.join(state.server_root, path)
            value = os.path.exists(path)
        return value != negate

    def _version_holds(self, args: tuple[str, ...]) -> bool:
        if not args:
            return False
        op, want = ("=", args[0]) if len(args) == 1 else (args[0], args[1])
        negate = op.startswith("!")
        op = op.lstrip("!") or "="
        have = ".".join(map(str, self.version))
        if op in ("~",) or (want.startswith("/") and want.endswith("/")):
            pattern = want.strip("/")
            try:
                value = re.search(pattern, have) is not None
            except re.error:
                value = False
            return value != negate
        parts = tuple(int(p) if p.isdigit() else 0 for p in want.split("."))
        mine = self.version[: len(parts)]
        value = {
            "=": mine == parts,
            "==": mine == parts,
            ">": mine > parts,
            ">=": mine >= parts,
            "<": mine < parts,
            "<=": mine <= parts,
        }.get(op, False)
        return value != negate

    # -- includes ---------------------------------------------------------------------

    def _include(
        self, node: Node, parent: Node | None, state: _State, active: list[str], base: str, known: bool
    ) -> list[Node]:
        optional = node.key == "includeoptional"
        if not node.args:
            self._diag("parse", Severity.ERROR, f"{node.name} needs a file name", node.source.path, node.source.line)
            return []
        if len(active) > self.limits.include_depth:
            self._diag(
                "include",
                Severity.ERROR,
                f"includes nested deeper than {self.limits.include_depth} levels",
                node.source.path,
                node.source.line,
            )
            return []
        pattern = self._map_root(node.args[0])
        full = pattern if os.path.isabs(pattern) else os.path.join(state.server_root, pattern)
        if glob.has_magic(full):
            matches = sorted(glob.glob(full))
            files = [f for m in matches for f in self._files_of(m)]
            if not files and not optional:
                self._diag(
                    "include",
                    Severity.WARNING,
                    f"no file matches {node.args[0]} (relative to ServerRoot {display_path(state.server_root)}); "
                    "httpd refuses `Include` of a pattern that matches nothing (IncludeOptional allows it)",
                    node.source.path,
                    node.source.line,
                )
        elif os.path.exists(full):
            files = self._files_of(full)
        else:
            if not optional:
                hint = (
                    f" (map it to the repository with --root {os.path.dirname(node.args[0])}=DIR)"
                    if os.path.isabs(node.args[0])
                    else ""
                )
                self._diag(
                    "include",
                    Severity.WARNING,
                    f"included file {node.args[0]} not found{hint}; httpd would refuse to start without it",
                    node.source.path,
                    node.source.line,
                )
            return []
        out: list[Node] = []
        for f in files:
            real = os.path.realpath(f)
            if self.confine_to is not None and not any(
                real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.confine_to
            ):
                self._diag(
                    "include",
                    Severity.ERROR,
                    f"include of {display_path(f)} leaves the confined directories (--confine); it was not read",
                    node.source.path,
                    node.source.line,
                )
                continue
            if real in active:
                self._diag(
                    "include",
                    Severity.ERROR,
                    f"include cycle: {display_path(f)} includes itself (via {node.source})",
                    node.source.path,
                    node.source.line,
                )
                continue
            read = self._read(InputFile(self._shown(f, base), f), node.source)
            if read is None:
                self.failed = True
                continue
            active.append(real)
            out.extend(self._expand(read[0], parent, state, active, base, known))
            active.pop()
        return out

    @staticmethod
    def _files_of(path: str) -> list[str]:
        """A file, or every file under a directory (sorted, recursively), as httpd includes them."""
        if not os.path.isdir(path):
            return [path]
        found: list[str] = []
        for directory, dirs, names in os.walk(path):
            dirs.sort()
            found.extend(os.path.join(directory, n) for n in sorted(names))
        return sorted(found)

    @staticmethod
    def _shown(disk: str, base: str) -> str:
        absolute = os.path.abspath(disk)
        shown_base = display_path(base)
        if absolute.startswith(base + os.sep):
            return os.path.normpath(os.path.join(shown_base, os.path.relpath(absolute, base)))
        return display_path(disk)


def words_text(words: tuple[Word, ...]) -> str:
    return " ".join(w.value for w in words)
