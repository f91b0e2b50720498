"""nginx's own check of every directive, on the tree with includes spliced in.

nginx looks each directive up when it reads it (ngx_conf_handler): a name no
module defines is an `unknown directive`; one defined for other contexts is
`not allowed here`; then the form it found must match: a block or a `;`, and
the number of arguments (a flag must be `on` or `off`). nginx stops at the
first problem and names the line it was reading, the one with the `;` or
`{` that ends the directive. This module makes the same checks, in the
order nginx reads the files, on the context each directive really sits in
(for a fragment: the context it is included in, see `fragment_context`).

What nginx refuses is an error and wslint builds no model. Two kinds are
softer. A misplaced directive that the rules WS402, WS403 and WS404 judge
(`map` in a server, `proxy_pass` outside a location, ...) is left to them
when nothing else is wrong, because they say how to move it. An unknown
directive is only a warning when wslint cannot know every module nginx
loads: a fragment (its nginx.conf is not read), a `load_module` of a module
outside the Debian build, a main-level include that matched no file, or a
directive that the assumed nginx version lacks but another has.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from wslint.durations import parse_duration
from wslint.findings import Severity
from wslint.nginx import contexts, directive_table
from wslint.nginx.directive_form import Form, Version
from wslint.nginx.tree import Directive

# the context name of each block's inside, by the world (module type) it belongs to
_INSIDE = {
    "main": {"http": "http", "events": "events", "stream": "stream", "mail": "mail"},
    "http": {"server": "server", "location": "location", "upstream": "upstream", "limit_except": "limit_except"},
    "stream": {"server": "stream server", "upstream": "stream upstream"},
    "mail": {"server": "mail server"},
    "events": {},
}
_WORLD = {
    "main": "main",
    "events": "events",
    "http": "http",
    "server": "http",
    "location": "http",
    "upstream": "http",
    "if in server": "http",
    "if in location": "http",
    "limit_except": "http",
    "stream": "stream",
    "stream server": "stream",
    "stream upstream": "stream",
    "mail": "mail",
    "mail server": "mail",
}
# the time values wslint reads (the idle timeouts): nginx refuses one it cannot parse or hold, and so does wslint
_TIMES = frozenset(
    f"{module}_{what}_timeout"
    for module in ("proxy", "uwsgi", "scgi", "grpc", "fastcgi", "memcached")
    for what in ("read", "send", "connect")
)
# the inside of a block nginx reads with the block's own handler (types, geo, ...), and of a map
OPAQUE = "<entries>"
MAP = "<map>"

# where a fragment's top level may sit, in the order wslint tries them (see fragment_context)
FRAGMENT_CONTEXTS = ("http", "server", "location")
CONTEXT_PATHS = {
    "main": (),
    "http": ("http",),
    "server": ("http", "server"),
    "location": ("http", "server", "location"),
    "stream": ("stream",),
}


@dataclass(frozen=True)
class Issue:
    path: str
    line: int
    message: str
    severity: Severity
    # a misplacement one of the rules WS402/WS403/WS404 reports with its fix, when nothing else is wrong
    by_rule: bool = False


@dataclass(frozen=True)
class Modules:
    """What wslint knows of the modules nginx loads: unknown directives are errors only when it knows all."""

    known: bool
    # why they are not all known, in words (for the warning)
    why: str = ""


@dataclass(frozen=True)
class Settings:
    version: Version
    version_text: str
    version_assumed: bool
    modules: Modules


def inside(name: str, ctx: str) -> str | None:
    """The context of the inside of a `name` block written in `ctx` (None: not one nginx checks)."""
    world = _WORLD.get(ctx)
    if world is None:
        return None
    if name in directive_table.OPAQUE_BLOCKS.get(world, ()):
        return MAP if name == "map" else OPAQUE
    if world == "http" and name == "if":
        return "if in server" if ctx in ("http", "server", "if in server") else "if in location"
    return _INSIDE.get(world, {}).get(name)


def effective(path: tuple[str, ...]) -> str:
    """The context name of the inside of the blocks `path` ("http", "server") names, from the main context."""
    ctx = "main"
    for name in path:
        ctx = inside(name, ctx) or ctx
    return ctx


def terminator_line(d: Directive) -> int:
    """The line nginx names for a directive: the one with its `;` or `{`."""
    return d.terminator_line or d.source.line


def check(
    children: list[Directive],
    ctx: str,
    settings: Settings,
    after: Mapping[int, list[Issue]] | None = None,
) -> Iterator[Issue]:
    """Every problem nginx would refuse among `children` (in `ctx`) and below, in nginx's reading order.

    `after` places problems found while reading the files (a missing `;`, a block never closed) in
    that order: each is yielded right after the directive (by id) nginx read last before it.
    """
    walk = _Walk(settings, after or {})
    for d in children:
        yield from walk.visit(d, ctx)


class _Walk:
    def __init__(self, settings: Settings, after: Mapping[int, list[Issue]]) -> None:
        self.settings = settings
        self.after = after
        self.unknown_seen: set[str] = set()
        # a directive's forms, and those allowed in a context, by (name, context): the same few pairs
        # come back for every server of a large configuration
        self._forms: dict[tuple[str, str], tuple[tuple[Form, ...] | None, list[Form]]] = {}

    def visit(self, d: Directive, ctx: str | None) -> Iterator[Issue]:
        inner: str | None = None
        if ctx is not None:
            issues, inner = self._check(d, ctx)
            yield from issues
        yield from self.after.get(id(d), ())
        for child in d.children or ():
            yield from self.visit(child, inner)

    def _check(self, d: Directive, ctx: str) -> tuple[list[Issue], str | None]:
        """nginx's complaints about `d` itself, and the context its children are checked in (None: not)."""
        line = terminator_line(d)
        path = d.source.path
        if ctx in (OPAQUE, MAP):
            if d.children is not None:
                return [Issue(path, line, 'unexpected "{" (a block inside a block of entries)', Severity.ERROR)], None
            # a map entry is a value and its result; `hostnames` and `volatile` stand alone
            alone = d.name in ("hostnames", "volatile") and not d.args
            if ctx == MAP and len(d.args) != 1 and not alone:
                words = len(d.args) + 1
                message = f"invalid number of the map parameters (an entry is a value and a result, not {words} words)"
                return [Issue(path, line, message, Severity.ERROR)], None
            return [], None
        settings = self.settings
        key = (d.name, ctx)
        known = self._forms.get(key)
        if known is None:
            found = directive_table.forms(d.name, settings.version)
            known = self._forms[key] = (found, [f for f in found or () if ctx in f.contexts])
        forms, here = known
        if forms is None:
            issue = _unknown(d, ctx, settings, self.unknown_seen)
            return ([issue] if issue is not None else []), None
        if not here:
            # the inside is checked where nginx would read it had the block been in its place
            block = d.children is not None and any(f.block for f in forms)
            return [_not_allowed(d, ctx, forms, settings)], inside(d.name, ctx) if block else None
        problem = _form_problem(d, here)
        if problem is not None:
            return [Issue(path, line, problem, Severity.ERROR)], None
        return [], inside(d.name, ctx) if d.children is not None else None


def _form_problem(d: Directive, forms: list[Form]) -> str | None:
    """nginx's complaint about the first form that does not fit, or None when one fits."""
    first: str | None = None
    for f in forms:
        problem = _mismatch(d, f)
        if problem is None:
            return None
        first = first or problem
    return first


def _mismatch(d: Directive, f: Form) -> str | None:
    if not f.block and d.children is not None:
        return f'directive "{d.name}" is not terminated by ";" (it takes no block)'
    if f.block and d.children is None:
        return f'directive "{d.name}" has no opening "{{" (it takes a block)'
    count = len(d.args)
    if not f.accepts(count):
        return f'invalid number of arguments in "{d.name}" directive ({_takes(f)}, not {count})'
    if f.flag and d.args[0].lower() not in ("on", "off"):
        return f'invalid value "{d.args[0]}" in "{d.name}" directive, it must be "on" or "off"'
    if d.name in _TIMES and d.args and parse_duration(d.args[0]) is None:
        shown = d.args[0] if len(d.args[0]) <= 40 else f"{d.args[0][:36]}... ({len(d.args[0])} characters)"
        return f'"{d.name}" directive invalid value ("{shown}" is not a time nginx can hold)'
    return None


def _takes(f: Form) -> str:
    if f.args == "flag":
        return "it takes on or off"
    if f.args.endswith("+"):
        return f"it takes {f.args[:-1]} or more"
    counts = [int(c) for c in f.args]
    words = " or ".join(str(c) for c in counts) if len(counts) <= 2 else f"{counts[0]} to {counts[-1]}"
    return f"it takes {words}"


def _not_allowed(d: Directive, ctx: str, forms: tuple[Form, ...], settings: Settings) -> Issue:
    everywhere = {c for f in forms for c in f.contexts}
    world = {c for c in everywhere if _WORLD.get(c) == _WORLD.get(ctx)}
    where = sorted(world or everywhere, key=_context_order)
    message = (
        f'"{d.name}" directive is not allowed here (in {contexts.CONTEXT_WORDS.get(ctx, ctx)}; '
        f"nginx accepts it in {', '.join(contexts.CONTEXT_WORDS.get(c, c) for c in where)})"
    )
    by_rule = contexts.is_allowed(d.name, d.context, settings.version) is False
    return Issue(d.source.path, terminator_line(d), message, Severity.ERROR, by_rule)


def _context_order(ctx: str) -> int:
    order = ("main", "events", *contexts.HTTP_CONTEXTS, "stream", "stream server", "stream upstream", "mail")
    return order.index(ctx) if ctx in order else len(order)


def _unknown(d: Directive, ctx: str, settings: Settings, seen: set[str]) -> Issue | None:
    note = directive_table.other_version_note(d.name, settings.version)
    # a directive of another nginx version: refused for sure when the version was given
    strict = not settings.version_assumed if note else settings.modules.known
    # one an older nginx had: WS603 (removed-keyword) reports it with its replacement
    removed = directive_table.removed_in(d.name, settings.version) is not None
    if not strict and d.name in seen:
        return None
    seen.add(d.name)
    version = f"nginx {settings.version_text}"
    if note:
        assumed = " (assumed; pass --nginx-version)" if settings.version_assumed else ""
        message = f'unknown directive "{d.name}": {version}{assumed} has no such directive, {note}'
    else:
        message = f'unknown directive "{d.name}": {version} (Debian build, its modules included) has no such directive'
        nearby = [n for n in directive_table.names(settings.version) if _fits(n, ctx, settings.version)]
        import difflib  # only an unknown directive needs it

        close = difflib.get_close_matches(d.name, nearby, n=1, cutoff=0.8)
        if close:
            message += f' (did you mean "{close[0]}"?)'
        if not strict:
            message += f"; nginx refuses it unless a module defines it that {settings.modules.why}"
    if d.name.startswith("\ufeff"):
        message += "; the file starts with a UTF-8 byte order mark, which nginx reads as part of the name"
    return Issue(d.source.path, terminator_line(d), message, Severity.ERROR if strict else Severity.WARNING, removed)


def _fits(name: str, ctx: str, version: Version) -> bool:
    return any(ctx in f.contexts for f in directive_table.forms(name, version) or ())
