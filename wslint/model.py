"""The normalized route model that every rule works on.

Adapters (one per proxy) build it; rules only ever see these types. Every node
carries the `Source` it came from, so a finding can always name a file and line.
Values are frozen: a model describes a configuration, it is never edited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and column (in characters) inside a file."""

    line: int
    column: int


@dataclass(frozen=True, order=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class UpstreamRequest:
    """The request a browser's WebSocket handshake becomes on its way to the upstream."""

    client: str
    http_version: Setting[str]
    upstream: str | None
    path: str | None
    headers: tuple[Header, ...]

    def header(self, name: str) -> Header | None:
        wanted = name.lower()
        for h in self.headers:
            if h.name.lower() == wanted:
                return h
        return None

    def _status(self, name: str, token: str) -> TokenStatus:
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
    def connection_status(self) -> TokenStatus:
        return self._status("Connection", "upgrade")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ServerName:
    name: str
    kind: ServerNameKind
    source: Source


@dataclass(frozen=True)
class Listener:
    """A virtual server: where requests arrive and for which host names."""

    id: str
    addresses: tuple[ListenAddress, ...]
    server_names: tuple[ServerName, ...]
    source: Source
    block: BlockRef | None

    @property
    def label(self) -> str:
        names = " ".join(n.name for n in self.server_names if n.name) or "(no server_name)"
        addrs = ", ".join(str(a) for a in self.addresses) or "*:80"
        return f"{addrs} {names}"


MatchKind = Literal["exact", "prefix", "prefix_no_regex", "regex", "regex_caseless", "named"]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


UpstreamProtocol = Literal["http", "https", "fastcgi", "uwsgi", "scgi", "grpc", "grpcs", "memcached"]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Intent:
    """Why wslint believes a route carries WebSockets (or that it does not)."""

    level: IntentLevel
    reason: str
    source: Source | None = None

    @property
    def carries_websockets(self) -> bool:
        return self.level != "none"


@dataclass(frozen=True)
class DroppedHeader:
    """A header an outer level set that this route no longer sends."""

    name: str
    expression: str
    source: Source


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    handshakes: tuple[UpstreamRequest, ...]
    idle_timeout: Setting[float] | None
    header_scope: HeaderScope
    divergences: tuple[Divergence, ...] = ()
    parent: str | None = None
    path_signal: Literal["strong", "weak"] | None = None
    # what the proxy calls a route ("location" for nginx)
    noun: str = "location"

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

    def handshake_for(self, client: str) -> UpstreamRequest | None:
        for h in self.handshakes:
            if h.client == client:
                return h
        return None

    def handshakes_with(self, aspect: str, *statuses: str) -> tuple[UpstreamRequest, ...]:
        """Handshakes whose Upgrade or Connection status is one of `statuses`."""
        attr = f"{aspect}_status"
        return tuple(h for h in self.handshakes if getattr(h, attr) in statuses)


@dataclass(frozen=True)
class VariableReference:
    name: str
    directive: str
    source: Source
    defined: bool


@dataclass(frozen=True)
class Snippet:
    """A directive (or block) as written, with the span a fix can move or replace."""

    directive: str
    args: tuple[str, ...]
    text: str
    source: Source
    context: tuple[str, ...]


@dataclass(frozen=True)
class MisplacedDirective:
    """A directive the proxy refuses in the context where it was written."""

    snippet: Snippet
    allowed: tuple[str, ...]
    enclosing: BlockRef | None
    target: BlockRef | None
    # the block around it (an `if`) when the directive is its only content
    sole_content_of: Source | None = None

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
    notes: tuple[str, ...] = field(default=())

    def defines(self, variable: str) -> bool:
        return variable.lstrip("$") in self.variables

    def routes_of(self, listener: Listener) -> Iterable[Route]:
        return (r for r in self.routes if r.listener.id == listener.id)
