"""Building the route model from an expanded nginx tree.

All nginx semantics live here: which level's `proxy_set_header` list applies
(all-or-nothing inheritance), the built-in proxy headers and their version
dependent defaults, `proxy_http_version` and timeout inheritance, what each
location does with a request, and which client gets which upstream.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Literal

from wslint.clients import CLIENTS, Client
from wslint.declare import declare_endpoints
from wslint.durations import parse_duration
from wslint.endpoints import Endpoint
from wslint.intent import path_signal
from wslint.model import (
    Action,
    ActionKind,
    BlockRef,
    Divergence,
    DivergenceAspect,
    DroppedHeader,
    EndpointResult,
    Header,
    HeaderOrigin,
    HeaderScope,
    Intent,
    ListenAddress,
    Listener,
    Match,
    Matcher,
    MatchKind,
    MisplacedDirective,
    ProxyConfig,
    Route,
    ServerName,
    ServerNameKind,
    Setting,
    Source,
    Upstream,
    UpstreamRequest,
    UpstreamTarget,
    VariableReference,
)
from wslint.nginx import contexts
from wslint.nginx.evaluate import Evaluator, MapChoice, MapDef, SimRequest, build_map
from wslint.nginx.loader import LoadedConfig
from wslint.nginx.locations import (
    PASS_DIRECTIVES,
    LocationInfo,
    location_info,
    normalize_uri,
)
from wslint.nginx.removed import removed_directive
from wslint.nginx.simulator import NginxSimulator
from wslint.nginx.tree import Directive, file_block
from wslint.nginx.upstreams import is_address, split_pass
from wslint.nginx.variables import collect_definitions, is_builtin, references
from wslint.upgrade_block import upgrade_block

# nginx 1.29.7 made HTTP/1.1 the upstream default and stopped sending
# "Connection: close" (ngx_http_proxy_module, changes.xml).
NEW_DEFAULTS_SINCE = (1, 29, 7)
HTTP2_UPSTREAM_SINCE = (1, 29, 4)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

READ_TIMEOUT = {
    "proxy_pass": "proxy_read_timeout",
    "uwsgi_pass": "uwsgi_read_timeout",
    "scgi_pass": "scgi_read_timeout",
    "grpc_pass": "grpc_read_timeout",
    "fastcgi_pass": "fastcgi_read_timeout",
    "memcached_pass": "memcached_read_timeout",
}

_ACTION_DIRECTIVES = frozenset({"return", *PASS_DIRECTIVES})

WEBSOCKET_MARKER = re.compile(r"^\s*wslint:\s*websocket\b", re.IGNORECASE)


@dataclass(frozen=True)
class BuildOptions:
    version: tuple[int, ...]
    version_text: str
    endpoints: tuple[Endpoint, ...] = ()
    clients: tuple[Client, ...] = CLIENTS
    version_assumed: bool = False


def default_headers(version: tuple[int, ...]) -> tuple[tuple[str, str], ...]:
    """The headers ngx_http_proxy_module sets unless proxy_set_header overrides them.

    An empty value means "not sent": the client's Upgrade is never forwarded.
    """
    connection = "close" if version < NEW_DEFAULTS_SINCE else ""
    return (
        ("Host", "$proxy_host"),
        ("Connection", connection),
        ("Upgrade", ""),
        ("Keep-Alive", ""),
        ("TE", ""),
        ("Expect", ""),
    )


def _server_name_kind(name: str) -> ServerNameKind:
    if name.startswith("~"):
        return "regex"
    if name.startswith("*.") or name.startswith("."):
        return "wildcard_start"
    if name.endswith(".*"):
        return "wildcard_end"
    return "exact"


def _listen(d: Directive) -> ListenAddress | None:
    if not d.args:
        return None
    addr = d.args[0]
    flags = set(d.args[1:])
    if addr.startswith("unix:"):
        return None
    host: str | None
    if addr.startswith("["):
        host, _, rest = addr[1:].partition("]")
        host = f"[{host}]"
        port_text = rest.lstrip(":") or "80"
    elif addr.isdigit():
        host, port_text = None, addr
    elif ":" in addr:
        host, _, port_text = addr.rpartition(":")
    else:
        host, port_text = addr, "80"
    if host in ("*", ""):
        host = None
    try:
        port = int(port_text)
    except ValueError:
        return None
    return ListenAddress(
        host=host,
        port=port,
        default_server="default_server" in flags or "default" in flags,
        ssl="ssl" in flags or "quic" in flags,
        http2="http2" in flags,
        source=d.source,
    )


def _match(loc: LocationInfo) -> Match:
    kind: MatchKind
    if loc.named:
        kind = "named"
    else:
        kind = {
            "=": "exact",
            "^~": "prefix_no_regex",
            "~": "regex",
            "~*": "regex_caseless",
        }.get(loc.modifier, "prefix")  # type: ignore[assignment]
    return Match(kind=kind, pattern=loc.name, source=loc.directive.source)


_REGEX_SPECIAL = set(".[]()*+?{}|$^\\")


def _literal(pattern: str) -> tuple[str, bool] | None:
    """(literal text, anchored) for a regex that is a plain string, optionally after ^."""
    anchored = pattern.startswith("^")
    body = pattern[1:] if anchored else pattern
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body) and not body[i + 1].isalnum():
            out.append(body[i + 1])
            i += 2
            continue
        if c in _REGEX_SPECIAL:
            return None
        out.append(c)
        i += 1
    return "".join(out), anchored


def _covers(literal: tuple[str, bool] | None, caseless: bool, prefix: str) -> bool:
    """Whether a regex location that is `literal` (see _literal) matches every URI that starts with `prefix`."""
    if literal is None or not literal[0]:
        return False
    text, anchored = literal
    if caseless:
        text, prefix = text.lower(), prefix.lower()
    return prefix.startswith(text) if anchored else text in prefix


def _mark_shadowed(routes: list[Route]) -> list[Route]:
    """Prefix routes that a sibling regex location provably takes every request from.

    nginx tries the regex locations of a level after remembering the longest
    prefix, unless the prefix has ^~; a regex that is a plain string found in
    (or, with ^, starting) the prefix matches every URI the prefix does.
    """
    # only the regex siblings can shadow: listing them once per level keeps a server of 20,000 prefix
    # locations linear (scanning every sibling for each took minutes); each is read as a literal once
    regexes: dict[tuple[str, str | None], list[tuple[Route, tuple[str, bool] | None, bool]]] = {}
    for r in routes:
        if r.match.kind in ("regex", "regex_caseless"):
            read = (r, _literal(r.match.pattern), r.match.kind == "regex_caseless")
            regexes.setdefault((r.listener.id, r.parent), []).append(read)
    out: list[Route] = []
    for r in routes:
        if r.match.kind != "prefix":
            out.append(r)
            continue
        siblings = regexes.get((r.listener.id, r.parent), ())
        pattern = r.match.pattern
        winner = next((s for s, literal, caseless in siblings if _covers(literal, caseless, pattern)), None)
        out.append(replace(r, shadowed_by=winner) if winner is not None else r)
    return out


def _body_of(text: str) -> str:
    """The inside of a block's text (between its braces), dedented."""
    open_at, close_at = text.find("{"), text.rfind("}")
    if open_at < 0 or close_at <= open_at:
        return ""
    inside = text[open_at + 1 : close_at]
    if "\n" not in inside:
        # one line (`location / { proxy_pass ...; }`): dedented and trimmed, it is just stripped
        return inside.strip()
    lines = [ln for ln in inside.split("\n") if ln.strip()]
    if not lines:
        return ""
    indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
    return "\n".join(ln[indent:].rstrip() for ln in lines)


@dataclass(frozen=True, slots=True)
class _HandshakePlan:
    chain: list[Directive]
    # the built-in headers the route's list leaves in place, and its own (name, expression, source)
    defaults: tuple[tuple[str, str], ...]
    configured: tuple[tuple[str, str, Source], ...]
    # lower-case names of the client's headers that are not passed on as they came
    hidden: frozenset[str]
    forwards_client: bool
    http_version: Setting[str]
    sets: dict[str, list[Directive]]


@dataclass(frozen=True, slots=True)
class _Evaluated:
    """What evaluating a route's handshake for one browser gave."""

    upstream: str | None
    # the built-in headers left in place and the configured ones, with their values
    headers: tuple[Header, ...]
    trace: tuple[MapChoice, ...]
    # every request header the evaluation read, with the value it read
    reads: tuple[tuple[str, str], ...]

    def holds_for(self, request: SimRequest) -> bool:
        """Whether evaluating for `request` gives the same (its headers have the values read)."""
        headers = request.headers
        return all(headers.get(name, "") == value for name, value in self.reads)


class NginxModel:
    def __init__(self, loaded: LoadedConfig, options: BuildOptions) -> None:
        self.loaded = loaded
        self.root = loaded.root
        self.options = options
        self.version = options.version
        self.maps: dict[str, MapDef] = {}
        self.upstreams: dict[str, Upstream] = {}
        self.sets: dict[str, list[Directive]] = defaultdict(list)
        self.misplaced: list[MisplacedDirective] = []
        self.references: list[VariableReference] = []
        self.defined: set[str] = set()
        self.http_level: Directive | None = None
        self._route_by_block: dict[int, Route] = {}
        self._chains: dict[int, list[Directive]] = {}
        self._headers_by_level: dict[int, tuple[Directive, ...]] = {}
        self._scopes: dict[int, tuple[tuple[Directive, ...], HeaderScope]] = {}
        # handshakes repeat the same headers route after route (the client's, a server's proxy_set_header
        # lines): one immutable object each, and one tuple for each repeated list, instead of a copy per
        # route and client (a fifth of the route model's memory on large configurations)
        self._shared_headers: dict[tuple[str, str, str | None, int, HeaderOrigin], Header] = {}
        # the last route's: its browsers are simulated one after another, and a cache of every route's would
        # hold them all until the build ends (a tenth of peak memory on large configurations)
        self._last_plan: _HandshakePlan | None = None
        self._last_request: tuple[Listener, Directive, str, str, str | None, int] | None = None
        self._shared_lists: dict[tuple[Header, ...], tuple[Header, ...]] = {}

    # -- whole-config facts --------------------------------------------------

    def _http_level(self) -> Directive | None:
        if self.loaded.context == "main":
            return self.root.first("http")
        if self.loaded.context == "http":
            return self.root
        return None

    def _scan(self) -> None:
        outside: set[str] = set()
        for other in self.loaded.neighbours:
            for d in other.children or ():
                if d.name == "map":
                    m = build_map(d)
                    if m is not None:
                        self.maps[m.variable] = m
            # nginx knows a variable by name across the whole configuration
            outside |= collect_definitions(other)
        for d in self.root.walk():
            if d.name == "map":
                m = build_map(d)
                if m is not None:
                    self.maps[m.variable] = m
            elif d.name == "upstream" and d.args and d.children is not None:
                self.upstreams[d.args[0]] = self._upstream(d)
            elif d.name == "set" and d.args and d.args[0].startswith("$"):
                self.sets[d.args[0][1:]].append(d)
        own = self.loaded.definitions
        self.defined = (own if own is not None else collect_definitions(self.root)) | set(self.maps) | outside
        for d in self.root.walk():
            allowed = contexts.is_allowed(d.name, d.context, self.version)
            if allowed is False:
                self.misplaced.append(self._misplaced(d))
            removed = removed_directive(d, self.version)
            if removed is not None:
                self.misplaced.append(removed)
            for name in references(d):
                if not is_builtin(name) and name not in self.defined:
                    self.references.append(VariableReference(name, d.name, d.source, False))

    def _misplaced(self, d: Directive) -> MisplacedDirective:
        target: BlockRef | None = None
        allowed = contexts.allowed_contexts(d.name, self.version)
        if allowed == ("http",):
            target = self.http_level.body if self.http_level is not None else None
        else:
            node = d.parent
            while node is not None and node.name not in ("location", "server", "http"):
                node = node.parent
            target = node.body if node is not None else None
        parent = d.parent
        alone = (
            parent is not None and parent.name == "if" and len(parent.children or ()) == 1 and d.included_from is None
        )
        return MisplacedDirective(
            snippet=d.snippet(),
            allowed=tuple(contexts.CONTEXT_WORDS.get(c, c) for c in allowed),
            enclosing=parent.body if parent is not None else None,
            target=target,
            sole_content_of=parent.source if alone and parent is not None else None,
        )

    def _upstream(self, d: Directive) -> Upstream:
        servers = tuple(s.args[0] for s in d.iter("server") if s.args)
        keepalive = d.first("keepalive")
        ka = int(keepalive.args[0]) if keepalive and keepalive.args and keepalive.args[0].isdigit() else None
        sticky = any(d.first(n) is not None for n in ("ip_hash", "hash", "sticky"))
        return Upstream(d.args[0], servers, ka, sticky, d.source)

    # -- servers and locations ----------------------------------------------

    def build(self) -> ProxyConfig:
        self.http_level = self._http_level()
        self._scan()
        listeners: list[Listener] = []
        routes: list[Route] = []
        if self.loaded.context == "server":
            servers: list[Directive] = [self.root]
        elif self.http_level is not None:
            servers = [s for s in self.http_level.iter("server") if s.children is not None]
        else:
            servers = []
        placed: list[tuple[Directive, Listener]] = []
        for index, server in enumerate(servers):
            listener = self._listener(server, index)
            listeners.append(listener)
            placed.append((server, listener))
            chain = [self.http_level, server] if self.http_level is not None and server is not self.root else [server]
            self._routes(server, chain, listener, None, routes)
        routes = _mark_shadowed(routes)
        results: tuple[EndpointResult, ...] = ()
        if self.options.endpoints:
            routes, results = declare_endpoints(NginxSimulator(self, placed, routes), routes, self.options.endpoints)
        http_block = None
        if self.http_level is not None:
            http_block = self.http_level.body or (
                file_block(self.loaded.main) if self.http_level is self.root else None
            )
        return ProxyConfig(
            proxy="nginx",
            version=self.options.version_text,
            main_file=self.loaded.main.path,
            files=tuple(self.loaded.files),
            listeners=tuple(listeners),
            routes=tuple(routes),
            upstreams=tuple(self.upstreams.values()),
            variables=frozenset(self.defined),
            variable_references=tuple(self.references),
            misplaced_directives=tuple(self.misplaced),
            http_block=http_block,
            fragment_context=self.loaded.context,
            endpoint_results=results,
            version_assumed=self.options.version_assumed,
        )

    def _listener(self, server: Directive, index: int) -> Listener:
        addresses = tuple(a for a in (_listen(d) for d in server.iter("listen")) if a is not None)
        if not addresses and server.name == "server":
            addresses = (ListenAddress(None, 80, False, False, False, server.source),)
        names = tuple(ServerName(n, _server_name_kind(n), d.source) for d in server.iter("server_name") for n in d.args)
        return Listener(
            id=f"{server.source.path}:{server.source.line}#{index}",
            addresses=addresses,
            server_names=names,
            source=server.source,
            block=server.body,
        )

    def _routes(
        self,
        block: Directive,
        chain: list[Directive],
        listener: Listener,
        parent: Route | None,
        out: list[Route],
    ) -> None:
        for d in block.iter("location"):
            if d.children is None:
                continue
            loc = location_info(d)
            # one list per location, read and never changed by all who need its blocks
            own = self._chains[id(d)] = [*chain, d]
            route = self._route(loc, own, listener, parent)
            self._route_by_block[id(d)] = route
            out.append(route)
            self._routes(d, own, listener, route, out)

    # -- one route -------------------------------------------------------------

    @staticmethod
    def _nearest(chain: list[Directive], name: str) -> Directive | None:
        """The directive that applies in the innermost block (nginx's standard inheritance)."""
        for level in reversed(chain):
            found = None
            for d in level.iter(name):
                found = d
            if found is not None:
                return found
        return None

    def _setting_level(self, d: Directive, chain: list[Directive]) -> Literal["route", "outer"]:
        return "route" if d.parent is chain[-1] else "outer"

    def _action(self, d: Directive) -> tuple[Action, Directive | None]:
        # the first `return` and the first of each pass directive, found in one look at the block's lines
        firsts: dict[str, Directive] = {}
        for child in d.children or ():
            if child.name in _ACTION_DIRECTIVES and child.name not in firsts:
                firsts[child.name] = child
        ret = firsts.get("return")
        if ret is not None and ret.args:
            first = ret.args[0]
            if first.isdigit():
                code = int(first)
                target = ret.args[1] if len(ret.args) > 1 else None
                kind: ActionKind = "redirect" if code in REDIRECT_CODES else "return"
                return Action(kind, ret.source, target, code), None
            return Action("redirect", ret.source, first, 302), None
        for name in PASS_DIRECTIVES:
            p = firsts.get(name)
            if p is not None and p.args:
                return Action("proxy", p.source, p.args[0]), p
        return Action("static", None), None

    def _target(self, p: Directive) -> tuple[UpstreamTarget, str]:
        """The pass target, and its host part (an upstream name, host:port or variables)."""
        protocol, host, uri = split_pass(p)
        has_vars = "$" in (p.args[0] if p.args else "")
        group = None if "$" in host else self.upstreams.get(host)
        target = UpstreamTarget(
            directive=p.name,
            url=p.args[0] if p.args else "",
            protocol=protocol,
            uri=uri,
            has_variables=has_vars,
            group=group,
            source=p.source,
        )
        return target, host

    def _level_headers(self, level: Directive) -> tuple[Directive, ...]:
        """A level's proxy_set_header lines, counting those misplaced in its `if` blocks.

        nginx refuses proxy_set_header inside `if` (header-directive-in-if
        reports it); judging the rest of the route as if it stood in the
        enclosing block keeps that one mistake from being reported twice.
        """
        cached = self._headers_by_level.get(id(level))
        if cached is None:
            # one look at the level's lines; a tuple: the many levels without any share the empty one
            own: list[Directive] = []
            in_ifs: list[Directive] = []
            for child in level.children or ():
                if child.name == "proxy_set_header":
                    own.append(child)
                elif child.name == "if":
                    in_ifs.extend(child.iter("proxy_set_header"))
            cached = self._headers_by_level[id(level)] = (*own, *in_ifs)
        return cached

    def _header_scope(self, chain: list[Directive]) -> tuple[tuple[Directive, ...], HeaderScope]:
        """The proxy_set_header list a route uses and what it discarded (once per route)."""
        key = id(chain[-1])
        cached = self._scopes.get(key)
        if cached is None:
            cached = self._compute_header_scope(chain)
            self._scopes[key] = cached
        return cached

    def _compute_header_scope(self, chain: list[Directive]) -> tuple[tuple[Directive, ...], HeaderScope]:
        if len(chain) > 1 and not self._level_headers(chain[-1]):
            # a level without headers of its own uses its parent's list: worked out once for all its siblings
            outer = self._header_scope(chain[:-1])
            if outer[0]:
                return outer
        levels = [lvl for lvl in chain if self._level_headers(lvl)]
        if not levels:
            return (), HeaderScope(None, None, None, (), chain[-1].body)
        own = levels[-1]
        effective = self._level_headers(own)
        dropped: list[DroppedHeader] = []
        discarded_by = discarded_from = None
        if len(levels) >= 2:
            names = {h.args[0].lower() for h in effective if h.args}
            for h in self._level_headers(levels[-2]):
                if h.args and h.args[0].lower() not in names:
                    dropped.append(DroppedHeader(h.args[0], h.args[1] if len(h.args) > 1 else "", h.source))
            if dropped:
                discarded_by = effective[0].visible_source
                discarded_from = effective[0].source
        scope = HeaderScope(
            own.source,
            discarded_by,
            discarded_from,
            tuple(dropped),
            own.body,
            last_directive=effective[-1].visible_source,
        )
        return effective, scope

    @staticmethod
    def _scope_sets(chain: list[Directive], all_sets: dict[str, list[Directive]]) -> dict[str, list[Directive]]:
        """The `set` that gives each variable its value in this route (the last one in order).

        A variable also set inside an `if` has a value that depends on the
        request, so it is left out and evaluates as unknown.
        """
        scoped: dict[str, list[Directive]] = {}
        for level in chain[1:]:
            for d in level.iter("set"):
                if d.args and d.args[0].startswith("$"):
                    scoped[d.args[0][1:]] = [d]
        return {
            name: setters
            for name, setters in scoped.items()
            if not any(s.parent is not None and s.parent.name == "if" for s in all_sets.get(name, ()))
        }

    def _request(self, client: Client, listener: Listener, loc: LocationInfo) -> SimRequest:
        # what the browsers' requests to a route share is worked out for the first one
        shared = self._last_request
        if shared is None or shared[0] is not listener or shared[1] is not loc.directive:
            host = next((n.name for n in listener.server_names if n.kind == "exact" and n.name), "localhost")
            addr = listener.addresses[0] if listener.addresses else None
            port = addr.port if addr else 80
            scheme = "https" if addr is not None and addr.ssl else "http"
            host_header = host if port in (80, 443) else f"{host}:{port}"
            path = loc.name if loc.modifier in ("", "=", "^~") and not loc.named else None
            shared = (listener, loc.directive, scheme, host_header, normalize_uri(path) if path else None, port)
            self._last_request = shared
        _, _, scheme, host_header, uri, port = shared
        return SimRequest(
            client=client.name,
            scheme=scheme,
            host_header=host_header,
            path=uri,
            query="",
            headers=client.handshake_headers(host_header, f"{scheme}://{host_header}"),
            server_port=port,
        )

    def _handshake(
        self,
        client: Client,
        chain: list[Directive],
        listener: Listener,
        loc: LocationInfo,
        host: str,
    ) -> tuple[UpstreamRequest, list[MapChoice]]:
        request = self._request(client, listener, loc)
        server_name = next((n.name for n in listener.server_names), "")
        ev = Evaluator(self.maps, request, self._plan(chain).sets, host, server_name)
        return self.handshake_with(request, chain, host, ev)

    def _handshakes(
        self, chain: list[Directive], listener: Listener, loc: LocationInfo, host: str
    ) -> tuple[list[UpstreamRequest], list[list[MapChoice]], list[bool]]:
        """Every browser's handshake through a route, the map choices it made, and whether it is evaluated as
        the first browser's is (then it cannot diverge from it).

        A browser's request differs from another's only in its headers, and an evaluation reads nothing else
        that differs (the route's `set`s, the maps, the request's host, path and port are the same; a fresh
        evaluator has no `set` or capture of a request's own): a browser whose headers have the values an
        earlier browser's evaluation read gets that evaluation's values and map choices.
        """
        plan = self._plan(chain)
        server_name = next((n.name for n in listener.server_names), "")
        handshakes: list[UpstreamRequest] = []
        traces: list[list[MapChoice]] = []
        as_first: list[bool] = []
        done: list[_Evaluated] = []
        for client in self.options.clients:
            request = self._request(client, listener, loc)
            evaluated = next((e for e in done if e.holds_for(request)), None)
            if evaluated is None:
                ev = Evaluator(self.maps, request, plan.sets, host, server_name)
                ev.header_reads = {}
                evaluated = self._evaluate(plan, host, ev)
                done.append(evaluated)
            handshakes.append(self._upstream_request(request, plan, evaluated))
            traces.append(list(evaluated.trace))
            as_first.append(evaluated is done[0])
        return handshakes, traces, as_first

    def _plan(self, chain: list[Directive]) -> _HandshakePlan:
        """What a route's handshakes share whatever the client (worked out once per route, not per browser)."""
        plan = self._last_plan
        if plan is None or plan.chain is not chain:
            effective, _ = self._header_scope(chain)
            configured = tuple((h.args[0], h.args[1] if len(h.args) > 1 else "", h.source) for h in effective if h.args)
            configured_names = frozenset(n.lower() for n, _, _ in configured)
            all_defaults = default_headers(self.version)
            pass_headers = self._nearest(chain, "proxy_pass_request_headers")
            plan = _HandshakePlan(
                chain=chain,
                defaults=tuple((n, e) for n, e in all_defaults if n.lower() not in configured_names),
                configured=configured,
                hidden=configured_names | {n.lower() for n, _ in all_defaults},
                forwards_client=pass_headers is None or bool(pass_headers.args and pass_headers.args[0] != "off"),
                http_version=self._http_version(chain),
                sets=self._scope_sets(chain, self.sets),
            )
            self._last_plan = plan
        return plan

    def _header(self, name: str, expr: str, value: str | None, src: Source | None, origin: HeaderOrigin) -> Header:
        # keyed by the source's identity: a Header's own hash would hash its Source field by field
        key = (name, expr, value, id(src), origin)
        header = self._shared_headers.get(key)
        if header is None:
            header = self._shared_headers[key] = Header(name, expr, value, src, origin)
        return header

    def _evaluate(self, plan: _HandshakePlan, host: str, ev: Evaluator) -> _Evaluated:
        """The upstream and the built-in and configured headers of a handshake, as `ev` evaluates them."""
        start = len(ev.trace)
        upstream = ev.value(host)
        make = self._header
        headers: list[Header] = [make(name, expr, ev.value(expr), None, "default") for name, expr in plan.defaults]
        headers.extend(make(name, expr, ev.value(expr), src, "configured") for name, expr, src in plan.configured)
        reads = tuple(ev.header_reads.items()) if ev.header_reads is not None else ()
        return _Evaluated(upstream, tuple(headers), tuple(ev.trace[start:]), reads)

    def _upstream_request(self, request: SimRequest, plan: _HandshakePlan, evaluated: _Evaluated) -> UpstreamRequest:
        headers = evaluated.headers
        if plan.forwards_client:
            hidden = plan.hidden
            make = self._header
            client = request.headers.items()
            headers += tuple(make(name, value, value, None, "client") for name, value in client if name not in hidden)
        sent = self._shared_lists.setdefault(headers, headers)
        return UpstreamRequest(
            client=request.client,
            http_version=plan.http_version,
            upstream=evaluated.upstream,
            path=request.path,
            headers=sent,
        )

    def handshake_with(
        self, request: SimRequest, chain: list[Directive], host: str, ev: Evaluator
    ) -> tuple[UpstreamRequest, list[MapChoice]]:
        """The upstream request for `request` in the route whose blocks are `chain`."""
        if ev.proxy_host is None:
            ev.set_proxy_host(host)
        plan = self._plan(chain)
        return self._upstream_request(request, plan, self._evaluate(plan, host, ev)), ev.trace

    def default_http_version(self) -> Setting[str]:
        return Setting("1.0" if self.version < NEW_DEFAULTS_SINCE else "1.1")

    def route_for(self, location: Directive) -> Route | None:
        return self._route_by_block.get(id(location))

    def chain_of(self, location: Directive) -> list[Directive]:
        return self._chains[id(location)]

    def nearest_in(self, location: Directive, name: str) -> Directive | None:
        chain = self._chains.get(id(location))
        return self._nearest(chain, name) if chain is not None else None

    def _http_version(self, chain: list[Directive]) -> Setting[str]:
        d = self._nearest(chain, "proxy_http_version")
        if d is not None and d.args:
            return Setting(d.args[0], d.source, self._setting_level(d, chain))
        return self.default_http_version()

    def _idle_timeout(self, chain: list[Directive], target: UpstreamTarget | None) -> Setting[float] | None:
        if target is None:
            return None
        name = READ_TIMEOUT[target.directive]
        d = self._nearest(chain, name)
        if d is not None and d.args:
            seconds = parse_duration(d.args[0])
            if seconds is not None:
                return Setting(seconds, d.source, self._setting_level(d, chain))
        return Setting(60.0)

    def _intent(
        self,
        loc: LocationInfo,
        chain: list[Directive],
        effective: tuple[Directive, ...],
        scope: HeaderScope,
    ) -> Intent:
        d = loc.directive
        for line, text in d.comments:
            if WEBSOCKET_MARKER.match(text):
                return Intent("declared", "it is marked '# wslint: websocket'", Source(d.source.path, line))
        unread = next((m for m in self.loaded.missing if m.parent is d), None)
        if unread is not None:
            # the location's own headers may come from the file: it is not judged (the include is reported)
            return Intent("none", f"it includes {unread.args[0]}, which is not there to read", unread.source)
        for h in effective:
            if len(h.args) >= 2 and self._handles_upgrade(h.args[0], h.args[1]):
                heir = self._websocket_heir(loc) if scope.defined_at == d.source else None
                if heir is not None:
                    why = f"its upgrade headers are for `location {heir.name}` nested in it, where its WebSockets go"
                    return Intent("none", why, heir.directive.source)
                return Intent("explicit", f"it sets '{h.args[0]} {h.args[1]}'", h.visible_source)
        for dh in scope.dropped:
            if self._handles_upgrade(dh.name, dh.expression):
                return Intent(
                    "inherited",
                    f"an outer level sets '{dh.name} {dh.expression}' for it",
                    dh.source,
                )
        signal = path_signal(loc.name)
        if signal is not None:
            inner = self._websocket_within(loc)
            if inner is not None:
                why = f"its WebSockets go to `location {inner.name}`, which forwards the upgrade"
                return Intent("none", why, inner.directive.source)
            strength, why = signal
            return Intent("heuristic" if strength == "strong" else "possible", why, d.source)
        return Intent("none", "nothing in its configuration or path suggests WebSockets")

    def _websocket_heir(self, loc: LocationInfo) -> LocationInfo | None:
        """For a location whose own path says nothing of WebSockets: a location nested in it that inherits its
        headers (it sets none of its own), proxies, and is a WebSocket location by its path or its marker.
        The outer location's headers are there for that one; its own requests are plain HTTP."""
        d = loc.directive
        if path_signal(loc.name) is not None or d.children is None:
            return None
        pending = [c for c in d.children if c.name == "location" and c.children is not None]
        while pending:
            inner = pending.pop(0)
            if self._level_headers(inner):
                continue
            info = location_info(inner)
            marked = any(WEBSOCKET_MARKER.match(text) for _, text in inner.comments)
            proxies = any(inner.first(name) is not None for name in PASS_DIRECTIVES)
            if proxies and (marked or path_signal(info.name) is not None):
                return info
            pending.extend(c for c in inner.children or () if c.name == "location" and c.children is not None)
        return None

    def _websocket_within(self, loc: LocationInfo) -> LocationInfo | None:
        """For a prefix location known only by its path: a longer prefix (or exact) location beside it,
        under it, that forwards the upgrade itself (`location /push/ws` next to `location /push/`)."""
        if loc.is_regex or loc.exact:
            return None
        parent = loc.directive.parent
        for d in parent.walk() if parent is not None else ():
            if d.name != "location" or d is loc.directive or d.children is None:
                continue
            other = location_info(d)
            if other.is_regex or len(other.name) <= len(loc.name) or not other.name.startswith(loc.name):
                continue
            for h in d.children:
                if h.name == "proxy_set_header" and len(h.args) >= 2 and self._handles_upgrade(h.args[0], h.args[1]):
                    return other
        return None

    def _handles_upgrade(self, name: str, expr: str) -> bool:
        lname = name.lower()
        if lname == "upgrade":
            return expr != ""
        if lname != "connection":
            return False
        if "upgrade" in expr.lower() or "$http_connection" in expr:
            return True
        for m in self.maps.values():
            if f"${m.variable}" in expr and any(v in ("http_upgrade", "http_connection") for v in m.source_variables):
                return True
        return False

    def _divergences(
        self, handshakes: list[UpstreamRequest], traces: list[list[MapChoice]], as_first: list[bool]
    ) -> tuple[Divergence, ...]:
        """How the other browsers' handshakes differ from the first's. One evaluated as the first is (see
        _handshakes) does not: it has the same upstream and the same Upgrade and Connection headers (those
        of a client are never forwarded as they came, so both are among the evaluated ones)."""
        if len(handshakes) < 2:
            return ()
        base, base_trace = handshakes[0], traces[0]
        out: list[Divergence] = []
        for hs, trace, same in zip(handshakes[1:], traces[1:], as_first[1:], strict=True):
            if same:
                continue
            aspects: list[tuple[DivergenceAspect, str | None, str | None]] = []
            if hs.upstream != base.upstream:
                aspects.append(("upstream", base.upstream, hs.upstream))
            if hs.upgrade_status != base.upgrade_status:
                aspects.append(("upgrade", base.upgrade_status, hs.upgrade_status))
            if hs.connection_status != base.connection_status:
                aspects.append(("connection", base.connection_status, hs.connection_status))
            for aspect, expected, actual in aspects:
                out.append(self._divergence(hs.client, aspect, expected, actual, base_trace, trace))
        return tuple(out)

    def _divergence(
        self,
        client: str,
        aspect: DivergenceAspect,
        expected: str | None,
        actual: str | None,
        base_trace: list[MapChoice],
        trace: list[MapChoice],
    ) -> Divergence:
        for mine in base_trace:
            other = next((c for c in trace if c.map is mine.map), None)
            if other is None or other.entry == mine.entry:
                continue
            m = mine.map
            variable = m.source_variables[0] if m.source_variables else m.variable
            picked = mine.entry or other.entry
            matcher: Matcher = "other"
            if picked is not None and picked.kind == "exact" and variable == "http_connection":
                matcher = "whole-value"
            elif picked is not None and picked.kind == "regex":
                matcher = "case-sensitive"
            cause = picked.source if picked is not None else m.source
            key = f"'{picked.key}'" if picked is not None else "its default"
            detail = (
                f"map ${m.variable} at {m.source} compares ${variable}: the {client} handshake "
                f"{'does not match' if mine.entry is not None else 'matches'} {key}"
            )
            return Divergence(
                client,
                aspect,
                expected,
                actual,
                variable,
                matcher,
                cause,
                detail,
                key=picked.key if picked is not None else None,
                value=picked.value if picked is not None else None,
            )
        return Divergence(
            client,
            aspect,
            expected,
            actual,
            "",
            "other",
            None,
            f"the {client} handshake is handled differently",
        )

    def _route(
        self,
        loc: LocationInfo,
        chain: list[Directive],
        listener: Listener,
        parent: Route | None,
    ) -> Route:
        d = loc.directive
        action, pass_directive = self._action(d)
        target, host = self._target(pass_directive) if pass_directive is not None else (None, "")
        effective, scope = self._header_scope(chain)
        intent = self._intent(loc, chain, effective, scope)
        handshakes: list[UpstreamRequest] = []
        divergences: tuple[Divergence, ...] = ()
        # a route with no WebSocket signal is judged by no rule and cannot upgrade
        # (nothing forwards Upgrade), so its handshakes are not simulated; a
        # declared endpoint that reaches it is simulated in full by the router
        simulate = intent.carries_websockets
        if simulate and target is not None and target.directive == "proxy_pass" and action.kind == "proxy":
            handshakes, traces, as_first = self._handshakes(chain, listener, loc, host)
            divergences = self._divergences(handshakes, traces, as_first)
        blocked = upgrade_block(handshakes[0]) if handshakes else None
        # a route with no WebSocket signal: only an explicit `Upgrade` in the header list it uses counts
        # (`Connection ""` there is the upstream keepalive recipe, not an action against WebSockets)
        if (
            not simulate
            and target is not None
            and target.directive == "proxy_pass"
            and action.kind == "proxy"
            and any(h.args[0].lower() == "upgrade" for h in effective if h.args)
        ):
            probe, _ = self._handshake(self.options.clients[0], chain, listener, loc, host)
            blocked = upgrade_block(probe, connection=False)
        signal = path_signal(loc.name)
        text = d.text()
        return Route(
            id=f"{d.source.path}:{d.source.line}",
            proxy="nginx",
            listener=listener,
            match=_match(loc),
            action=action,
            source=d.source,
            block=d.body,
            upstream=target,
            websocket=intent,
            handshakes=tuple(handshakes),
            idle_timeout=self._idle_timeout(chain, target),
            header_scope=scope,
            divergences=divergences,
            parent=parent.id if parent else None,
            path_signal=signal[0] if signal else None,
            text=text,
            body_text=_body_of(text),
            unresolvable=self._unresolvable(pass_directive, host, chain, handshakes),
            upgrade_blocked=blocked,
        )

    def _unresolvable(
        self, pass_d: Directive | None, host: str, chain: list[Directive], handshakes: list[UpstreamRequest]
    ) -> bool:
        """A variable upstream whose value is a name no upstream block has, with no resolver."""
        if pass_d is None or "$" not in host or not handshakes:
            return False
        value = handshakes[0].upstream
        if value is None or value in self.upstreams or is_address(value):
            return False
        return self._nearest(chain, "resolver") is None
