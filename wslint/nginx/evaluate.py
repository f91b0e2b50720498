"""Evaluating nginx values for a simulated WebSocket handshake.

A header value such as `$connection_upgrade` only means something for a given
request: this module computes it the way nginx would, following `map` (exact
strings ignoring case, then hostname masks, then regexes in order, then the
default), `set` and the request's own variables. Anything that depends on what
wslint cannot know (the client address, a `geo` table, a Lua script) evaluates
to None, "unknown", and rules treat unknown as "not proven broken".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from wslint.model import Source
from wslint.nginx.tree import Directive
from wslint.nginx.variables import VARIABLE

EntryKind = Literal["exact", "wildcard", "regex", "regex_caseless", "default"]


@dataclass(frozen=True)
class MapEntry:
    key: str
    value: str
    kind: EntryKind
    source: Source
    pattern: re.Pattern[str] | None = None


@dataclass
class MapDef:
    variable: str
    source_expr: str
    source: Source
    hostnames: bool = False
    default: MapEntry | None = None
    entries: list[MapEntry] = field(default_factory=list)

    @property
    def source_variables(self) -> list[str]:
        return [m.group(1) or m.group(2) for m in VARIABLE.finditer(self.source_expr)]


@dataclass(frozen=True)
class MapChoice:
    """Which entry of which map a request hit (for explaining client differences)."""

    map: MapDef
    entry: MapEntry | None


@dataclass(frozen=True)
class SimRequest:
    client: str
    scheme: str
    host_header: str
    path: str | None
    query: str
    headers: dict[str, str]
    server_port: int

    @property
    def host(self) -> str:
        """$host: the Host header without its port, lower-case."""
        host = self.host_header
        if host.startswith("["):
            return host.split("]")[0].lower() + "]"
        return host.rsplit(":", 1)[0].lower() if ":" in host else host.lower()


def pcre_to_python(rx: str) -> str:
    return re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", rx)


def compile_regex(rx: str, caseless: bool) -> re.Pattern[str] | None:
    try:
        return re.compile(pcre_to_python(rx), re.IGNORECASE if caseless else 0)
    except (re.error, RecursionError, OverflowError):
        return None


def build_map(d: Directive) -> MapDef | None:
    if len(d.args) < 2:
        return None
    m = MapDef(variable=d.args[1].lstrip("$"), source_expr=d.args[0], source=d.source)
    for entry in d.children or ():
        key = entry.name
        if key == "hostnames" and not entry.args:
            m.hostnames = True
            continue
        if key in ("volatile", "include"):
            continue
        value = entry.args[0] if entry.args else ""
        if key == "default":
            m.default = MapEntry(key, value, "default", entry.source)
            continue
        if key.startswith("\\"):
            key = key[1:]
        if key.startswith("~*"):
            m.entries.append(MapEntry(key, value, "regex_caseless", entry.source, compile_regex(key[2:], True)))
        elif key.startswith("~"):
            m.entries.append(MapEntry(key, value, "regex", entry.source, compile_regex(key[1:], False)))
        elif m.hostnames and ("*" in key or key.startswith(".")):
            m.entries.append(MapEntry(key, value, "wildcard", entry.source))
        else:
            m.entries.append(MapEntry(key, value, "exact", entry.source))
    return m


def _wildcard_match(mask: str, host: str) -> bool:
    mask = mask.lower()
    if mask.startswith("."):
        return host == mask[1:] or host.endswith(mask)
    if mask.startswith("*."):
        return host.endswith(mask[1:]) and len(host) > len(mask) - 1
    if mask.endswith(".*"):
        return host.startswith(mask[:-1]) and len(host) > len(mask) - 1
    return False


def choose(m: MapDef, value: str) -> MapEntry | None:
    """The entry nginx picks for `value` (None: no entry, the default applies)."""
    lowered = value.lower()
    for e in m.entries:
        if e.kind == "exact" and e.key.lower() == lowered:
            return e
    if m.hostnames:
        host = lowered.rstrip(".")
        for e in m.entries:
            if e.kind == "wildcard" and _wildcard_match(e.key, host):
                return e
    for e in m.entries:
        if e.kind in ("regex", "regex_caseless") and e.pattern is not None and e.pattern.search(value):
            return e
    return None


@lru_cache(maxsize=4096)
def segments(expr: str) -> tuple[tuple[str, str | None], ...]:
    """A value split into (literal text, variable name or None) pairs, parsed once per text."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    for m in VARIABLE.finditer(expr):
        out.append((expr[pos : m.start()], m.group(1) or m.group(2)))
        pos = m.end()
    out.append((expr[pos:], None))
    return tuple(out)


class Evaluator:
    """Evaluates values for one simulated request inside one route's scope."""

    MAX_DEPTH = 32

    def __init__(
        self,
        maps: dict[str, MapDef],
        request: SimRequest,
        sets: dict[str, list[Directive]],
        proxy_host: str | None,
        server_name: str,
        captures_known: bool = False,
    ) -> None:
        self.maps = maps
        self.request = request
        self.sets = sets
        self.proxy_host = proxy_host
        self.server_name = server_name
        self.trace: list[MapChoice] = []
        # when a dict: every request header read so far and the value read (besides the route's
        # configuration, all a value depends on that differs between the browsers of a route)
        self.header_reads: dict[str, str] | None = None
        # values set while a request is processed: `set`, regex captures
        self.overrides: dict[str, str | None] = {}
        self._depth = 0
        r = request
        self._simple: dict[str, str | None] = {
            "host": r.host or server_name,
            "scheme": r.scheme,
            "https": "on" if r.scheme == "https" else "",
            "uri": r.path,
            "document_uri": r.path,
            "request_uri": None if r.path is None else r.path + (f"?{r.query}" if r.query else ""),
            "args": r.query,
            "query_string": r.query,
            "is_args": "?" if r.query else "",
            "request_method": "GET",
            "server_protocol": "HTTP/1.1",
            "server_port": str(r.server_port),
            "server_name": server_name,
            "proxy_host": proxy_host,
        }

    def set_proxy_host(self, host: str) -> None:
        self.proxy_host = host
        self._simple["proxy_host"] = host

    def value(self, expr: str) -> str | None:
        """The value of a string with variables, None when it cannot be known."""
        if "$" not in expr:
            return expr
        out: list[str] = []
        for text, name in segments(expr):
            out.append(text)
            if name is not None:
                v = self.variable(name)
                if v is None:
                    return None
                out.append(v)
        return "".join(out)

    def variable(self, name: str) -> str | None:
        if self._depth > self.MAX_DEPTH:
            return None
        self._depth += 1
        try:
            return self._variable(name)
        finally:
            self._depth -= 1

    def _variable(self, name: str) -> str | None:
        r = self.request
        if name in self.overrides:
            return self.overrides[name]
        if name in self.sets:
            setters = self.sets[name]
            if len(setters) == 1 and len(setters[0].args) >= 2:
                return self.value(setters[0].args[1])
            return None
        if name in self.maps:
            return self._map(self.maps[name])
        if name.startswith("http_"):
            header = name[5:].replace("_", "-")
            found = r.headers.get(header, "")
            if self.header_reads is not None:
                self.header_reads[header] = found
            return found
        if name in self._simple:
            return self._simple[name]
        if name.startswith("arg_"):
            for part in r.query.split("&"):
                k, _, v = part.partition("=")
                if k == name[4:]:
                    return v
            return ""
        return None

    def _map(self, m: MapDef) -> str | None:
        src = self.value(m.source_expr)
        if src is None:
            values = {e.value for e in m.entries} | {m.default.value if m.default else ""}
            if len(values) == 1:
                return self.value(values.pop())
            return None
        entry = choose(m, src)
        if (entry is None or entry.kind not in ("exact", "wildcard")) and any(
            e.kind in ("regex", "regex_caseless") and e.pattern is None for e in m.entries
        ):
            # a regex Python cannot compile might have matched first
            return None
        self.trace.append(MapChoice(m, entry))
        if entry is None:
            return self.value(m.default.value) if m.default else ""
        return self.value(entry.value)
