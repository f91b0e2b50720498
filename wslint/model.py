"""The normalized route model that every rule works on.

Adapters (one per proxy) build it; rules only ever see these types. Every node
carries the `Source` it came from, so a finding can always name a file and line.
Values are frozen: a model describes a configuration, it is never edited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from wslint.endpoints import Endpoint, EndpointOrigin

T = TypeVar("T")


@dataclass(frozen=True, order=True, slots=True)
class Position:
    """A 1-based line and column (in characters) inside a file."""

    line: int
    column: int


@dataclass(frozen=True, order=True, slots=True)
class Source:
    """Where something was written: a file, a 1-based line and, where known, a column."""

    path: str
    line: int
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"

    @property
    def start(self) -> Position:
        return Position(self.line, self.column or 1)

    @property
    def end(self) -> Position | None:
        if self.end_line is None or self.end_column is None:
            return None
        return Position(self.end_line, self.end_column)


@dataclass(frozen=True, slots=True)
class BlockRef:
    """The body of a block (`location { ... }`, a whole file, ...), for fixes that add lines.

    `body_start` is just after the opening brace and `body_end` is the closing
    brace; for a whole file they are its first position and its end.
    """

    path: str
    opened_by: Source | None
    body_start: Position
    body_end: Position
    indent: str
    child_indent: str
    close_on_own_line: bool
    open_ends_line: bool


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """A value that is either configured (with its source) or the proxy's built-in default."""

    value: T
    source: Source | None = None
    # "route" when set in the route's own block, "outer" when inherited
    level: Literal["route", "outer"] | None = None

    @property
    def default(self) -> bool:
        return self.source is None


HeaderOrigin = Literal["configured", "default", "client"]
TokenStatus = Literal["ok", "missing", "wrong", "unknown"]


@dataclass(frozen=True, slots=True)
class Header:
    """One header of the request the proxy sends upstream.

    `value` is what a WebSocket handshake produces after the proxy evaluated the
    expression; None means it depends on something only known at request time.
    An empty value means the header is not sent.
    """

    name: str
    expression: str
    value: str | None
    source: Source | None
    origin: HeaderOrigin

    @property
    def sent(self) -> bool | None:
        if self.value is None:
            return None
        return self.value != ""


def _tokens(value: str) -> tuple[str, ...]:
    return tuple(t.strip().lower() for t in value.split(",") if t.strip())


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """The request a browser's WebSocket handshake becomes on its way to the upstream."""

    client: str
    http_version: Setting[str]
    upstream: str | None
    path: str | None
    headers: tuple[Header, ...]
    # the proxy forwards Upgrade only while Connection carries the upgrade token (Traefik): a Connection the
    # configuration changed then takes Upgrade with it
    upgrade_follows_connection: bool = False
    # the Upgrade and Connection statuses once worked out: rules read them for every route and browser, often
    # several times, and the headers never change
    _statuses: dict[str, TokenStatus] = field(default_factory=dict, init=False, repr=False, compare=False)

    def header(self, name: str) -> Header | None:
        wanted = name.lower()
        for h in self.headers:
            if h.name.lower() == wanted:
                return h
        return None

    def _status(self, name: str, token: str) -> TokenStatus:
        found = self._statuses.get(name)
        if found is None:
            found = self._statuses[name] = self._status_of(name, token)
        return found

    def _status_of(self, name: str, token: str) -> TokenStatus:
        h = self.header(name)
        if h is None:
            return "missing"
        if h.value is None:
            return "unknown"
        if h.value == "":
            return "missing"
        return "ok" if token in _tokens(h.value) else "wrong"

    @property
    def upgrade_status(self) -> TokenStatus:
        return self._status("Upgrade", "websocket")

    @property
    def upgrade_lost_with_connection(self) -> bool:
        """Whether Upgrade is missing only because a configured Connection lost the upgrade token."""
        c = self.header("Connection")
        return (
            self.upgrade_follows_connection
            and c is not None
            and c.origin == "configured"
            and self.connection_status in ("missing", "wrong")
        )

    @property
    def connection_status(self) -> TokenStatus:
        return self._status("Connection", "upgrade")


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str | None
    port: int
    default_server: bool
    ssl: bool
    http2: bool
    source: Source

    def __str__(self) -> str:
        host = self.host or "*"
        return f"{host}:{self.port}"


ServerNameKind = Literal["exact", "wildcard_start", "wildcard_end", "regex"]


@dataclass(frozen=True, slots=True)
class ServerName:
    name: str
    kind: ServerNameKind
    source: Source


@dataclass(frozen=True, slots=True)
class Listener:
    """A virtual server: where requests arrive and for which host names."""

    id: str
    addresses: tuple[ListenAddress, ...]
    server_names: tuple[ServerName, ...]
    source: Source
    block: BlockRef | None
    # the server block as written (httpd: the <VirtualHost> section), for fixes that move it
    text: str = ""

    @property
    def label(self) -> str:
        names = " ".join(n.name for n in self.server_names if n.name) or "(no server_name)"
        addrs = ", ".join(str(a) for a in self.addresses) or "*:80"
        return f"{addrs} {names}"


MatchKind = Literal["exact", "prefix", "prefix_no_regex", "regex", "regex_caseless", "named"]


@dataclass(frozen=True, slots=True)
class Match:
    kind: MatchKind
    pattern: str
    source: Source

    @property
    def label(self) -> str:
        modifier = {
            "exact": "= ",
            "prefix": "",
            "prefix_no_regex": "^~ ",
            "regex": "~ ",
            "regex_caseless": "~* ",
            "named": "",
        }[self.kind]
        return f"{modifier}{self.pattern}"


ActionKind = Literal["proxy", "redirect", "return", "static", "none"]


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    source: Source | None
    target: str | None = None
    status: int | None = None


@dataclass(frozen=True)
class Upstream:
    """A named group of servers (nginx `upstream`, HAProxy `backend`, ...)."""

    name: str
    servers: tuple[str, ...]
    keepalive: int | None
    sticky: bool
    source: Source
    # an active health check the proxy runs against the servers (HAProxy `option httpchk`)
    health_check: HealthCheck | None = None


UpstreamProtocol = Literal["http", "https", "fastcgi", "uwsgi", "scgi", "grpc", "grpcs", "memcached"]


@dataclass(frozen=True, slots=True)
class UpstreamTarget:
    """Where a route passes requests: the directive as written and what it names."""

    directive: str
    url: str
    protocol: UpstreamProtocol
    uri: str | None
    has_variables: bool
    group: Upstream | None
    source: Source

    @property
    def can_tunnel(self) -> bool:
        """Whether this protocol can carry an upgraded connection at all."""
        return self.protocol in ("http", "https", "uwsgi", "scgi")


IntentLevel = Literal["declared", "explicit", "inherited", "heuristic", "possible", "none"]
# how strongly each level says WebSockets reach a route
INTENT_RANK: dict[str, int] = {"declared": 4, "explicit": 3, "heuristic": 2, "inherited": 2, "possible": 1, "none": 0}


@dataclass(frozen=True, slots=True)
class Intent:
    """Why wslint believes a route carries WebSockets (or that it does not)."""

    level: IntentLevel
    reason: str
    source: Source | None = None
    # the app profile whose endpoint made it a WebSocket route (wslint.profiles)
    origin: EndpointOrigin | None = None

    @property
    def carries_websockets(self) -> bool:
        return self.level != "none"


@dataclass(frozen=True, slots=True)
class DroppedHeader:
    """A header an outer level set that this route no longer sends."""

    name: str
    expression: str
    source: Source


@dataclass(frozen=True, slots=True)
class HeaderScope:
    """Where a route's header directives come from (for all-or-nothing inheritance).

    `discarded_by` is the first header directive at the route's own level (or
    the include that brought it in): the line that cancelled inheritance.
    """

    defined_at: Source | None
    discarded_by: Source | None
    discarded_from: Source | None
    dropped: tuple[DroppedHeader, ...]
    block: BlockRef | None
    # the last header line of the defining level, where repeated headers fit best
    last_directive: Source | None = None

    def dropped_named(self, *names: str) -> tuple[DroppedHeader, ...]:
        wanted = {n.lower() for n in names}
        return tuple(d for d in self.dropped if d.name.lower() in wanted)


DivergenceAspect = Literal["upstream", "upgrade", "connection", "action"]
Matcher = Literal["whole-value", "case-sensitive", "other"]


@dataclass(frozen=True, slots=True)
class Divergence:
    """A client whose handshake is treated differently from the others.

    `cause` points at the matcher that compares a header too strictly.
    """

    client: str
    aspect: DivergenceAspect
    expected: str | None
    actual: str | None
    variable: str
    matcher: Matcher
    cause: Source | None
    detail: str
    key: str | None = None
    value: str | None = None
    # the matcher rewritten so that it treats every client alike (HAProxy: an ACL with -i)
    rewrite: Rewrite | None = None


@dataclass(frozen=True, slots=True)
class UpgradeBlock:
    """A statement that takes the upgrade out of every WebSocket handshake a route takes, whatever its path.

    `header` is the header it removes or overwrites (`Upgrade`, or `Connection` losing its `upgrade` token);
    `expression` the statement as written. Only a statement the configuration writes counts: a proxy's own
    default (nginx not forwarding `Upgrade`) is not an action against WebSockets.
    """

    header: str
    expression: str
    source: Source


@dataclass(frozen=True, slots=True)
class Route:
    """One way a request can be handled: an nginx location, a HAProxy use_backend, ..."""

    id: str
    proxy: str
    listener: Listener
    match: Match
    action: Action
    source: Source
    block: BlockRef | None
    upstream: UpstreamTarget | None
    websocket: Intent
    # a tuple, or computed on first read (wslint.lazy): both compare as the tuple of the handshakes
    handshakes: Sequence[UpstreamRequest]
    idle_timeout: Setting[float] | None
    header_scope: HeaderScope
    divergences: tuple[Divergence, ...] = ()
    parent: str | None = None
    path_signal: Literal["strong", "weak"] | None = None
    # what the proxy calls a route ("location" for nginx)
    noun: str = "location"
    # the route as written, its continuation lines dedented (for fixes that copy or move it)
    text: str = ""
    body_text: str = ""
    # an upstream named through variables that the proxy cannot resolve (nginx: no resolver)
    unresolvable: bool = False
    # a route that provably takes every request this one matches
    shadowed_by: Route | None = None
    # what only a Traefik router has (its rule, priority and configuration style); None for other proxies
    traefik: TraefikRouter | None = None
    # every timeout that can close the route's idle tunnel (HAProxy); idle_timeout is the one that does
    idle: IdleTimeouts | None = None
    # whether the proxy tunnels WebSockets on this route at all (httpd: ws:// or upgrade=websocket, and a
    # loaded module for the URL's scheme)
    upgrade_support: UpgradeSupport | None = None
    # a statement on the way that strips the upgrade from every WebSocket handshake this route takes (set for
    # routes without WebSocket evidence too: it makes WebSockets impossible there, whatever the path)
    upgrade_blocked: UpgradeBlock | None = None

    @property
    def handshake(self) -> UpstreamRequest | None:
        """The handshake of the most common browser (Chromium)."""
        return self.handshakes[0] if self.handshakes else None

    @property
    def proxied(self) -> bool:
        return self.action.kind == "proxy" and self.upstream is not None

    @property
    def tunnels(self) -> bool:
        return self.proxied and self.upstream is not None and self.upstream.can_tunnel

    @property
    def name(self) -> str:
        return f"{self.noun} {self.match.label}"

    @property
    def label(self) -> str:
        return f"{self.listener.label} {self.name}"

    def idle_needed(self, threshold: float) -> float:
        """The idle time the route's WebSockets must survive: the threshold (`--idle-threshold`), or longer when
        the app profile whose endpoint reaches it needs longer (its heartbeat)."""
        origin = self.websocket.origin
        if origin is not None and origin.idle_timeout is not None and origin.idle_timeout > threshold:
            return origin.idle_timeout
        return threshold

    def idle_reason(self, threshold: float) -> str:
        """Where `idle_needed` comes from, for messages."""
        origin = self.websocket.origin
        if origin is not None and self.idle_needed(threshold) > threshold:
            return f"{origin.name}'s heartbeat"
        return "`--idle-threshold`"

    def handshake_for(self, client: str) -> UpstreamRequest | None:
        for h in self.handshakes:
            if h.client == client:
                return h
        return None

    def handshakes_with(self, aspect: str, *statuses: str) -> tuple[UpstreamRequest, ...]:
        """Handshakes whose Upgrade or Connection status is one of `statuses`."""
        attr = f"{aspect}_status"
        return tuple(h for h in self.handshakes if getattr(h, attr) in statuses)

    @property
    def upgrades(self) -> bool:
        """Whether a browser's handshake through this route reaches the upstream as an upgrade."""
        hs = self.handshake
        return (
            self.tunnels
            and hs is not None
            and hs.upgrade_status == "ok"
            and hs.connection_status == "ok"
            and hs.http_version.value == "1.1"
        )


@dataclass(frozen=True)
class TraefikRouter:
    """What a Traefik router adds to a route: Traefik selects routers by a rule expression and a priority."""

    # the rule as written
    rule: str
    # its explicit or computed priority (None: a TCP router's)
    priority: int | None = None
    # how it was written: yaml, toml, label, crd
    style: str | None = None
    # it serves only TLS connections on its entryPoint (a `tls` section, or the entryPoint's): its clients use wss://
    tls: bool = False
    # every plain request it takes is redirected to https first (the entryPoint's `http.redirections`, or a
    # redirectScheme): the application is served, and its sockets opened, on the TLS site
    to_https: bool = False


@dataclass(frozen=True)
class TraceStep:
    """One decision the proxy makes for a request, and the line that makes it."""

    text: str
    source: Source | None


EndpointOutcome = Literal["proxied", "redirect", "local", "no-route", "error"]

# Why a handshake ended as it did (`result.reason`). Rules compare against these values only.
Reason = Literal[
    # proxied: by a route, a ProxyPass line, a RewriteRule [P], a TCP router, an upstream no resolver can name
    "proxied",
    "proxy-pass",
    "rewrite-proxy",
    "tcp-router",
    "unresolvable",
    # answered by the proxy itself
    "return",
    "try-files",
    "static",
    "deny",
    "reject",
    "rewrite-forbidden",
    "auth",
    "internal",
    "error-page",
    "no-handler",
    "bad-request",
    "cycle",
    "upgrade-refused",
    # redirects: one that only adds the trailing slash (auto-redirect), mod_alias's, Caddy's automatic HTTPS and
    # `redir`, nginx's return/rewrite/error_page, mod_rewrite's [R], a Traefik entryPoint's and middleware's
    "redirect",
    "auto-redirect",
    "alias-redirect",
    "auto-https",
    "redir",
    "return-redirect",
    "rewrite-redirect",
    "error-page-redirect",
    "entrypoint-redirect",
    "redirect-middleware",
    # a redirect middleware whose Location is the request's own URL with a slash added to its path (Traefik)
    "slash-redirect",
    # no route: no location, backend, site or router takes the request
    "no-location",
    "no-backend",
    "no-site",
    "no-router",
    # no route, because the proxy refused the one written for it; a configuration finding says why (Traefik)
    "refused-router",
    # the proxy fails: no server up, no balancer member, a URL it cannot use, a TLS mismatch
    "no-server",
    "no-member",
    "balancer-down",
    "bad-url",
    "error",
    "plain-to-tls",
    "tls-to-plain",
    # what happens depends on what wslint cannot know
    "unknown",
]

# What changed the path the upstream receives (`result.path_cause_kind`); `path_cause_text` says it as written.
PathCause = Literal[
    # nginx's and httpd's
    "proxy-pass",
    "rewrite",
    "try-files",
    "error-page",
    # Caddy's (a reverse_proxy's own `rewrite` is proxy-rewrite)
    "handle-path",
    "uri",
    "php-fastcgi",
    "proxy-rewrite",
    # HAProxy's http-request actions
    "set-path",
    "set-pathq",
    "set-uri",
    "set-query",
    "replace-path",
    "replace-pathq",
    "replace-uri",
    "normalize-uri",
    # Traefik's middlewares, and a server URL's path kept by `preservePath`
    "preserve-path",
    "strip-prefix",
    "strip-prefix-regex",
    "replace-path",
    "replace-path-regex",
    "add-prefix",
]

# How a route written for the endpoint misses it (`miss.kind`).
MissKind = Literal[
    # its pattern does not cover the path (nginx, HAProxy)
    "pattern",
    # a trailing slash the path lacks (httpd, Traefik), another letter case, a regex section read as a plain
    # prefix (httpd)
    "trailing-slash",
    "case",
    "regex-as-prefix",
    # an exact path where the client adds more (Caddy; Traefik: a Path without the client's trailing slash), a
    # rewrite (try_files, uri) before it (Caddy)
    "exact-path",
    "rewritten",
    # a port in Host, a `tls` section (or none) unlike the connection, a v2 path template, another entryPoint,
    # a v2 `{name:regex}` host template read as a regex (Traefik)
    "host-has-port",
    "tls-mismatch",
    "v2-path-template",
    "other-entrypoint",
    # a mode tcp frontend that chooses the backend before the request it tests has arrived (HAProxy)
    "before-request",
    "v2-host-template",
    # a path written without one of its slashes, as a prefix joined to a path without the separator (Traefik)
    "missing-slash",
]


@dataclass(frozen=True)
class Miss:
    """A route written for the endpoint that does not take its handshake, and why."""

    route: Route
    kind: MissKind
    # the reason in words, for messages
    reason: str = ""
    # the line that makes it miss, where the finding stands (None: where the handshake went)
    cause: Source | None = None
    # that line's text rewritten so that it matches, when wslint knows it
    replacement: str | None = None


@dataclass(frozen=True)
class EndpointResult:
    """What the proxy does with one client's handshake to one declared endpoint."""

    # the declared URL, and the browser (chrome, firefox, lowercase) whose handshake this is
    endpoint: Endpoint
    client: str
    # the server (block, frontend, entryPoint, virtual host, site) that received it, and the route that took it
    listener: Listener | None
    route: Route | None
    outcome: EndpointOutcome
    # the answer's status and Location when the proxy answers itself
    status: int | None
    location: str | None
    # where it was proxied to, the path and query the upstream receives, and the request it sends
    upstream: str | None
    backend_path: str | None
    handshake: UpstreamRequest | None
    # the decisions the proxy made, in order (`wslint route` prints them)
    steps: tuple[TraceStep, ...]
    # the line that decided the outcome
    cause: Source | None
    # why it ended so (see Values: Reason)
    reason: Reason
    # False when the outcome depends on what wslint cannot know (then no rule judges it), and why
    certain: bool
    uncertain: tuple[str, ...]
    # the line that changed the path the upstream receives, what kind of change, and its directive as written
    path_cause: Source | None
    path_cause_kind: PathCause | None = None
    path_cause_text: str | None = None
    # the directive that answered, as written (a `return`, a `rewrite`)
    cause_text: str | None = None
    # the server_name (or listen) line that selected the server, and why it did
    server_cause: Source | None = None
    server_reason: str | None = None
    # answered by the server's own directives before any route is chosen (nginx: a server-level return)
    server_level: bool = False
    # WebSocket routes that also match the path in the same server, but lose to `route`
    better_routes: tuple[Route, ...] = ()
    # WebSocket routes in other servers that would upgrade this endpoint
    elsewhere: tuple[Route, ...] = ()
    # WebSocket routes of the chosen server written for this path that it does not reach
    misses: tuple[Miss, ...] = ()
    # why each better route loses (Caddy: "written order" inside `route`, "directive order")
    better_reasons: tuple[str, ...] = ()
    # the deciding line rewritten so that the handshake goes where it should (HAProxy: a redirect
    # that exempts WebSockets, a Host ACL that ignores the port)
    rewrite: Rewrite | None = None

    @property
    def host_known(self) -> bool:
        return self.endpoint.host is not None

    @property
    def near_misses(self) -> tuple[Route, ...]:
        """The routes of `misses`."""
        return tuple(m.route for m in self.misses)

    @property
    def upgrades(self) -> bool:
        hs = self.handshake
        return (
            self.outcome == "proxied"
            and self.route is not None
            and self.route.tunnels
            and hs is not None
            and hs.upgrade_status == "ok"
            and hs.connection_status == "ok"
            and hs.http_version.value == "1.1"
        )

    @property
    def backend_path_only(self) -> str | None:
        return None if self.backend_path is None else self.backend_path.split("?", 1)[0]

    @property
    def path_matches(self) -> bool:
        expected = self.endpoint.expected_backend_path
        return expected is None or self.backend_path_only == expected

    @property
    def source(self) -> Source | None:
        return self.cause


@dataclass(frozen=True, slots=True)
class VariableReference:
    name: str
    directive: str
    source: Source
    defined: bool


@dataclass(frozen=True, slots=True)
class Snippet:
    """A directive (or block) as written, with the span a fix can move or replace."""

    directive: str
    args: tuple[str, ...]
    text: str
    source: Source
    context: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MisplacedDirective:
    """A directive the proxy refuses in the context where it was written."""

    snippet: Snippet
    allowed: tuple[str, ...]
    enclosing: BlockRef | None
    target: BlockRef | None
    # the block around it (an `if`) when the directive is its only content
    sole_content_of: Source | None = None
    # a keyword removed from the proxy: the version that refuses it, the proxy's advice, and the
    # line to write instead (None: delete it; see replace_action)
    removed_in: str | None = None
    reason: str | None = None
    replacement: str | None = None
    # "delete", "replace" or "explain" (no mechanical replacement)
    replace_action: str | None = None
    # where the replacement goes when it does not replace the directive (httpd: a LoadModule line
    # after the last one)
    anchor: Source | None = None

    @property
    def source(self) -> Source:
        return self.snippet.source

    @property
    def directive(self) -> str:
        return self.snippet.directive

    @property
    def context(self) -> str:
        return self.snippet.context[-1] if self.snippet.context else "main"


@dataclass(frozen=True)
class ProxyConfig:
    """Everything wslint knows about one configuration (a main file and its includes)."""

    proxy: str
    version: str
    main_file: str
    files: tuple[str, ...]
    listeners: tuple[Listener, ...]
    routes: tuple[Route, ...]
    upstreams: tuple[Upstream, ...]
    variables: frozenset[str]
    variable_references: tuple[VariableReference, ...]
    misplaced_directives: tuple[MisplacedDirective, ...]
    http_block: BlockRef | None
    fragment_context: str = "main"
    endpoint_results: tuple[EndpointResult, ...] = ()
    version_assumed: bool = False
    # False when the rules' fix templates do not write this file's syntax (Caddy's JSON): fixes keep their
    # description and snippet, never edits
    text_fixes: bool = True
    # names the configuration already defines that a fix must not define again (Caddy's named matchers:
    # Caddy refuses one defined twice in a site)
    defined_names: frozenset[str] = frozenset()

    def defines(self, variable: str) -> bool:
        return variable.lstrip("$") in self.variables

    def unused_name(self, base: str, line: int) -> str:
        """`base_LINE`, or `base_LINE_N` when the configuration defines that already: the line (of the
        statement the fix is for) keeps two fixes of one pass apart, the check keeps a fix from reusing a name an
        earlier pass wrote."""
        name, n = f"{base}_{line}", 1
        while name in self.defined_names:
            n += 1
            name = f"{base}_{line}_{n}"
        return name

    def routes_of(self, listener: Listener) -> Iterable[Route]:
        return (r for r in self.routes if r.listener.id == listener.id)

    def route_at(self, listener: Listener, pattern: str, kind: str = "prefix") -> Route | None:
        """The top-level route of a listener with this pattern (e.g. its `location /`)."""
        for r in self.routes:
            if (
                r.listener.id == listener.id
                and r.parent is None
                and r.match.pattern == pattern
                and r.match.kind == kind
            ):
                return r
        return None

    @property
    def endpoints(self) -> tuple[EndpointResult, ...]:
        """One result per endpoint (and server, for bare paths): the first simulated client's."""
        first = self.endpoint_results[0].client if self.endpoint_results else ""
        return tuple(r for r in self.endpoint_results if r.client == first)

    def results_for(self, result: EndpointResult) -> tuple[EndpointResult, ...]:
        """Every client's result for the same endpoint and server as `result`."""
        return tuple(
            r for r in self.endpoint_results if r.endpoint == result.endpoint and r.listener == result.listener
        )


@dataclass(frozen=True)
class Rewrite:
    """A fix computed by the adapter: put `text` in place of `source` (a line or some words of it)."""

    source: Source
    text: str


@dataclass(frozen=True)
class IdleTimeouts:
    """The timeouts that can close an upgraded connection carrying no traffic.

    HAProxy: once the connection is a tunnel, the backend's `timeout tunnel`
    replaces both others; without it the frontend's `timeout client` and the
    backend's `timeout server` keep applying. None: not set (no limit).
    """

    tunnel: Setting[float] | None
    client: Setting[float] | None
    server: Setting[float] | None
    # `timeout tunnel` lines the proxy ignores where they are written (a frontend)
    ignored_tunnel: tuple[Setting[float], ...] = ()
    # the section where a tunnel timeout for this route belongs (the backend)
    tunnel_block: BlockRef | None = None
    # the defaults section the backend takes its settings from
    defaults: Source | None = None
    # the line that sets the tunnel timeout, as written
    tunnel_text: str | None = None


@dataclass(frozen=True)
class HealthCheck:
    """An active HTTP health check the proxy sends to an upstream's servers."""

    method: str
    path: str
    source: Source
    # what the check accepts, as written (None: the proxy's default, any 2xx or 3xx)
    expect: str | None = None
    # servers the check runs against
    servers: tuple[str, ...] = ()
    # the declared WebSocket path the check requests (a WebSocket-only server answers it 400)
    socket_path: str | None = None
    # the check is configured in a defaults section, not in the upstream's own
    inherited: bool = False
    # the check's line rewritten so that a WebSocket-only server passes it (httpd: a TCP check)
    rewrite: Rewrite | None = None


@dataclass(frozen=True)
class UpgradeSupport:
    """Whether a proxy that tunnels WebSockets only when told to does so on a route, and why.

    httpd forwards an upgrade only to ws:// URLs or through a worker with
    `upgrade=websocket`, and answers 500 when no loaded module handles the
    URL's scheme.
    """

    enabled: bool
    reason: str
    # the line that decides (the worker's definition, or the route itself)
    source: Source | None = None
    # a loaded module handles the URL's scheme; otherwise the modules that would
    handler: bool = True
    missing_modules: tuple[str, ...] = ()
    # the deciding line rewritten so that it upgrades, or new lines to put before `insert.source`
    rewrite: Rewrite | None = None
    insert: Rewrite | None = None
    # the line that loads the missing module, to put after `load_after`
    load_line: str | None = None
    load_after: Source | None = None
    # the line that sets a short tunnel idle timeout, rewritten (a worker's timeout=)
    timeout_rewrite: Rewrite | None = None
    # the line that sets the tunnel's idle timeout, as written (None: the proxy's default)
    timeout_text: str | None = None
