"""The route tree Caddy runs, in the shape of its JSON configuration, with sources.

The Caddyfile adapter (directives.py, sites.py) and the JSON reader both
produce these types, and the simulation (routing.py) only walks them. Every
node can print itself as Caddy's JSON (`to_json`), which the tests compare
with what `caddy adapt` makes of the same Caddyfile.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from wslint.model import Source

JSON = Any


# every simulated handshake of every route asks for the same few dozen names
@functools.lru_cache(maxsize=4096)
def canonical_header(name: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey for the usual header names."""
    if not name or any(c in name for c in " \t:") or not name.isascii():
        return name
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


# -- matchers ------------------------------------------------------------------------------------


@dataclass
class Matcher:
    """One matcher of a set. `kind` is Caddy's module name (path, host, header, ...)."""

    kind: str
    source: Source | None

    def to_json(self) -> JSON:
        raise NotImplementedError


@dataclass
class PathMatcher(Matcher):
    patterns: list[str] = field(default_factory=list)
    # where each pattern is written (for fixes that change one)
    pattern_sources: list[Source] = field(default_factory=list)

    def to_json(self) -> JSON:
        return list(self.patterns)


@dataclass
class PathRegexpMatcher(Matcher):
    pattern: str = ""
    name: str = ""

    def to_json(self) -> JSON:
        out: dict[str, str] = {"pattern": self.pattern}
        if self.name:
            out = {"name": self.name, "pattern": self.pattern}
        return out


@dataclass
class HostMatcher(Matcher):
    hosts: list[str] = field(default_factory=list)

    def to_json(self) -> JSON:
        return list(self.hosts)


@dataclass
class HeaderMatcher(Matcher):
    # field -> accepted values; None: the field must be absent; []: it must be present
    fields: dict[str, list[str] | None] = field(default_factory=dict)
    # where each field's test is written (its first line)
    sources: dict[str, Source] = field(default_factory=dict)
    # fields tested on more than one line: one line's replacement cannot rewrite the test
    repeated: frozenset[str] = frozenset()

    def to_json(self) -> JSON:
        return {k: v for k, v in self.fields.items()}


@dataclass
class HeaderRegexpMatcher(Matcher):
    # field -> (capture name, pattern)
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)

    def to_json(self) -> JSON:
        out: dict[str, dict[str, str]] = {}
        for k, (name, pattern) in self.fields.items():
            out[k] = {"name": name, "pattern": pattern} if name else {"pattern": pattern}
        return out


@dataclass
class MethodMatcher(Matcher):
    methods: list[str] = field(default_factory=list)

    def to_json(self) -> JSON:
        return list(self.methods)


@dataclass
class QueryMatcher(Matcher):
    params: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> JSON:
        return dict(self.params)


@dataclass
class ProtocolMatcher(Matcher):
    protocol: str = ""

    def to_json(self) -> JSON:
        return self.protocol


@dataclass
class NotMatcher(Matcher):
    sets: list[MatcherSet] = field(default_factory=list)

    def to_json(self) -> JSON:
        return [s.to_json() for s in self.sets]


@dataclass
class FileMatcher(Matcher):
    try_files: list[str] = field(default_factory=list)
    policy: str = ""
    root: str | None = None

    def to_json(self) -> JSON:
        out: dict[str, Any] = {}
        if self.root:
            out["root"] = self.root
        if self.try_files:
            out["try_files"] = list(self.try_files)
        if self.policy:
            out["try_policy"] = self.policy
        return out


@dataclass
class OpaqueMatcher(Matcher):
    """A matcher wslint does not evaluate (the client's address, a CEL expression, variables)."""

    value: JSON = None

    def to_json(self) -> JSON:
        return self.value


@dataclass
class MatcherSet:
    """Matchers that must all match (one element of a route's `match` list)."""

    matchers: list[Matcher]
    source: Source | None = None
    # as written: `/api/*`, `@websockets`, `*`
    label: str = ""

    def to_json(self) -> JSON:
        return {m.kind: m.to_json() for m in self.matchers}

    def get(self, kind: str) -> Matcher | None:
        return next((m for m in self.matchers if m.kind == kind), None)


# -- handlers -------------------------------------------------------------------------------------


@dataclass
class Handler:
    name: str
    source: Source | None

    def to_json(self) -> JSON:
        return {"handler": self.name}


@dataclass
class Subroute(Handler):
    routes: list[Route] = field(default_factory=list)

    def to_json(self) -> JSON:
        return {"handler": "subroute", "routes": [r.to_json() for r in self.routes]}


@dataclass
class HeaderOps:
    """Request header operations (header_up, request_header), applied add, set, delete, replace."""

    add: list[tuple[str, str, Source | None]] = field(default_factory=list)
    set: list[tuple[str, str, Source | None]] = field(default_factory=list)
    delete: list[tuple[str, Source | None]] = field(default_factory=list)
    replace: list[tuple[str, str, str, Source | None]] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.add or self.set or self.delete or self.replace)

    def to_json(self) -> JSON:
        out: dict[str, Any] = {}
        if self.add:
            add: dict[str, list[str]] = {}
            for k, v, _ in self.add:
                add.setdefault(canonical_header(k), []).append(v)
            out["add"] = add
        if self.set:
            st: dict[str, list[str]] = {}
            for k, v, _ in self.set:
                st[canonical_header(k)] = [v]
            out["set"] = st
        if self.delete:
            out["delete"] = [k for k, _ in self.delete]
        if self.replace:
            rep: dict[str, list[dict[str, str]]] = {}
            for k, find, to, _ in self.replace:
                rep.setdefault(k, []).append({"search_regexp": find, "replace": to})
            out["replace"] = rep
        return out


@dataclass
class Headers(Handler):
    """The `headers` handler: request operations matter here, response ones never change routing."""

    request: HeaderOps | None = None
    response: JSON = None

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"handler": "headers"}
        if self.request is not None:
            out["request"] = self.request.to_json()
        if self.response is not None:
            out["response"] = self.response
        return out


@dataclass
class Upstream:
    dial: str
    source: Source | None
    # the address as written (`http://app:3000`, `app:3000`)
    written: str = ""


@dataclass
class HealthCheck:
    uri: str
    source: Source | None
    interval: str | None = None
    port: int | None = None
    status: str | None = None


@dataclass
class Transport:
    protocol: str = "http"
    tls: bool = False
    versions: list[str] = field(default_factory=list)
    read_timeout: float | None = None
    read_timeout_source: Source | None = None
    read_timeout_text: str = ""
    write_timeout: float | None = None
    write_timeout_source: Source | None = None
    source: Source | None = None
    json: JSON = None


@dataclass
class ReverseProxy(Handler):
    upstreams: list[Upstream] = field(default_factory=list)
    headers: HeaderOps | None = None
    health: HealthCheck | None = None
    transport: Transport = field(default_factory=Transport)
    # a `rewrite` of the proxied request (php_fastcgi, forward_auth): the upstream's path
    rewrite: Rewrite | None = None
    stream_close_delay: Source | None = None
    json_extra: dict[str, Any] = field(default_factory=dict)
    # where the directive's block is, for fixes that add a subdirective
    block: Any = None
    dynamic: bool = False
    # `handle_response`: routes that take over the upstream's answer (forward_auth in JSON form)
    handle_response: Source | None = None

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"handler": "reverse_proxy"}
        out.update(self.json_extra)
        if self.headers is not None:
            out["headers"] = {"request": self.headers.to_json()}
        if self.transport.json is not None:
            out["transport"] = self.transport.json
        if self.upstreams:
            out["upstreams"] = [{"dial": u.dial} for u in self.upstreams]
        return out


@dataclass
class StaticResponse(Handler):
    status: str | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: str = ""
    close: bool = False
    abort: bool = False

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"handler": "static_response"}
        if self.abort:
            out["abort"] = True
        if self.body:
            out["body"] = self.body
        if self.close:
            out["close"] = True
        if self.headers:
            out["headers"] = self.headers
        if self.status:
            out["status_code"] = int(self.status) if self.status.isdigit() else self.status
        return out


@dataclass
class StaticError(Handler):
    status: str | None = None
    message: str = ""

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"handler": "error"}
        if self.message:
            out["error"] = self.message
        if self.status:
            out["status_code"] = int(self.status) if self.status.isdigit() else self.status
        return out


@dataclass
class Rewrite(Handler):
    method: str = ""
    uri: str = ""
    strip_prefix: str = ""
    strip_suffix: str = ""
    # (find, replace, limit)
    uri_substring: list[tuple[str, str, int]] = field(default_factory=list)
    # (find regex, replacement)
    path_regexp: list[tuple[str, str]] = field(default_factory=list)
    # what made it: "rewrite", "uri", "handle_path", "try_files", "method"
    origin: str = "rewrite"

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"handler": "rewrite"}
        if self.method:
            out["method"] = self.method
        if self.path_regexp:
            out["path_regexp"] = [{"find": f, "replace": r} for f, r in self.path_regexp]
        if self.strip_prefix:
            out["strip_path_prefix"] = self.strip_prefix
        if self.strip_suffix:
            out["strip_path_suffix"] = self.strip_suffix
        if self.uri:
            out["uri"] = self.uri
        if self.uri_substring:
            subs = []
            for find, rep, lim in self.uri_substring:
                item: dict[str, Any] = {"find": find, "replace": rep}
                if lim:
                    item["limit"] = lim
                subs.append(item)
            out["uri_substring"] = subs
        return out


@dataclass
class Vars(Handler):
    values: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"handler": "vars"}
        out.update(self.values)
        return out


@dataclass
class FileServer(Handler):
    root: str | None = None
    json_extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"handler": "file_server"}
        out.update(self.json_extra)
        if self.root:
            out["root"] = self.root
        return out


@dataclass
class Passthrough(Handler):
    """A handler that lets the request through unchanged, as far as WebSockets go (encode, log, ...);
    `note` says what wslint assumes about it."""

    note: str = ""
    json: JSON = None
    # a module wslint does not know (a plugin's): it may answer the request itself
    unknown: bool = False
    # a handler of Caddy's own that may answer the request itself (an authentication check, metrics)
    unjudged: str = ""

    def to_json(self) -> JSON:
        return self.json if self.json is not None else {"handler": self.name}


# -- routes, servers --------------------------------------------------------------------------------


@dataclass
class Route:
    match: list[MatcherSet] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)
    group: str = ""
    terminal: bool = False
    # the Caddyfile directive the route came from (handle_path sorts as handle)
    directive: str = ""
    source: Source | None = None
    # the directive as written (handle_path stays handle_path)
    keyword: str = ""

    def to_json(self) -> JSON:
        out: dict[str, Any] = {}
        if self.group:
            out["group"] = self.group
        if self.match:
            out["match"] = [m.to_json() for m in self.match]
        if self.handlers:
            out["handle"] = [h.to_json() for h in self.handlers]
        if self.terminal:
            out["terminal"] = True
        return out


@dataclass
class Site:
    """A site block as the listener sees it: its addresses, the route that selects it."""

    keys: list[str]
    key_sources: list[Source]
    hosts: list[str]
    catch_all: bool
    source: Source
    block: Any = None
    # the address strings (`http://app.example.test:8080`)
    label: str = ""
    scheme: str = ""
    tls: bool = False


@dataclass
class Server:
    name: str
    listen: list[str]
    routes: list[Route]
    sites: list[Site] = field(default_factory=list)
    tls: bool = False
    # the redirect server Caddy adds for automatic HTTPS
    automatic: bool = False
    # route index -> the site it serves
    site_of: dict[int, Site] = field(default_factory=dict)

    def ports(self) -> set[int]:
        out: set[int] = set()
        for a in self.listen:
            port = a.rsplit(":", 1)[-1]
            if "-" in port:
                lo, _, hi = port.partition("-")
                if lo.isdigit() and hi.isdigit() and int(hi) - int(lo) < 1000:
                    out.update(range(int(lo), int(hi) + 1))
            elif port.isdigit():
                out.add(int(port))
        return out

    def to_json(self) -> JSON:
        return {"listen": list(self.listen), "routes": [r.to_json() for r in self.routes]}


@dataclass
class HttpApp:
    servers: list[Server]
    http_port: int = 80
    https_port: int = 443
    # the global `servers { timeouts { ... } }` options, as written (they do not cut tunnels)
    timeouts: dict[str, Source] = field(default_factory=dict)
