"""From Traefik's configuration (config.py) to the route model every rule works on.

Each entryPoint is a Listener; each router that Traefik would load is one
Route per entryPoint it is attached to. A router Traefik refuses (its rule
does not parse in the syntax it is read with, a service or middleware that
does not exist) is not a route: the rule-syntax mismatch becomes a
`MisplacedDirective` (the rule is valid only in the other syntax), anything
else a diagnostic with the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from wslint.clients import Client
from wslint.endpoints import Endpoint
from wslint.findings import Diagnostic, Severity
from wslint.intent import path_signal
from wslint.limits import Limits
from wslint.model import (
    Action,
    BlockRef,
    Divergence,
    Header,
    HeaderScope,
    HealthCheck,
    Intent,
    ListenAddress,
    Listener,
    Match,
    MisplacedDirective,
    Position,
    ProxyConfig,
    Route,
    ServerName,
    Setting,
    Snippet,
    Source,
    TraefikRouter,
    UpgradeBlock,
    Upstream,
    UpstreamProtocol,
    UpstreamRequest,
    UpstreamTarget,
)
from wslint.textfiles import lines_of
from wslint.traefik.chain import Request, run_chain, upgrade_forwarded
from wslint.traefik.config import (
    EntryPointSpec,
    MiddlewareSpec,
    Redirection,
    RouterSpec,
    ServiceSpec,
    TcpRouterSpec,
    TraefikInput,
    qualify,
)
from wslint.traefik.located import Node
from wslint.traefik.matchers import (
    CONTAINER_NAME_RULE,
    OPAQUE,
    UNKNOWN_RULE,
    SimRequest,
    canonical_header,
    evaluate,
    match_v2,
    match_v3,
)
from wslint.traefik.ruleparse import (
    Expr,
    Matcher,
    Not,
    RuleError,
    RuleTooDeep,
    Syntax,
    matchers_of,
    parse_rule,
    priority,
)
from wslint.traefik.sources import DEFAULT_RULE, shown
from wslint.traefik.v2to3 import convert_v2
from wslint.upgrade_block import upgrade_block

MAX_PRIORITY = 2**63 - 1
UPGRADE_HEADERS = ("upgrade", "connection")


@dataclass(frozen=True)
class BuildOptions:
    version: tuple[int, ...]
    version_text: str
    version_assumed: bool
    endpoints: tuple[Endpoint, ...]
    clients: tuple[Client, ...]


@dataclass
class EntryPoint:
    name: str
    spec: EntryPointSpec | None
    listener: Listener

    @property
    def label(self) -> str:
        if self.spec is None:
            return "the entryPoint the client uses"
        return f"entryPoint {self.name} ({self.spec.address})"


@dataclass
class LoadedRouter:
    spec: RouterSpec
    expr: Expr
    syntax: Syntax
    priority: int
    explicit_priority: bool
    entry_points: tuple[str, ...]
    middlewares: list[MiddlewareSpec]
    service: ServiceSpec | None
    rule_span: Source | None
    unknown: list[str] = field(default_factory=list)
    intent: Intent = field(default_factory=lambda: Intent("none", "no sign of WebSockets"))
    # False when wslint cannot compute the priority Traefik gives it (a rule with an unknown variable)
    priority_known: bool = True
    # the quote the rule's value is written in (`"`, `'`, or "" when plain)
    quote: str = ""

    @property
    def name(self) -> str:
        return self.spec.qualified

    @property
    def rule(self) -> str:
        """The rule as written (an unresolved compose `${VAR}` shown as such; offsets are unchanged)."""
        return shown(self.spec.rule or self.spec.default_rule or "")

    def written(self, text: str) -> str:
        """Rule text as it must be written inside the rule's value in its file (a YAML or TOML double-quoted
        string escapes backslashes and quotes; a YAML single-quoted one doubles its quotes)."""
        if self.quote == '"':
            return text.replace("\\", "\\\\").replace('"', '\\"')
        if self.quote == "'" and self.spec.style != "toml":
            return text.replace("'", "''")
        return text

    def span(self, m: Matcher) -> Source | None:
        """Where a matcher of the rule is written (when the rule is on one line, unescaped)."""
        s = self.rule_span
        if s is None:
            return None
        return Source(s.path, s.line, (s.column or 1) + m.start, s.line, (s.column or 1) + m.end)


@dataclass(frozen=True)
class RefusedRule:
    """A router Traefik does not load because its rule is written in the other syntax, with the rule as
    that syntax reads it: the handshake it was written for gets 404, which rule-syntax-mismatch reports."""

    spec: RouterSpec
    expr: Expr
    syntax: Syntax
    entry_points: tuple[str, ...]
    source: Source


@dataclass
class LoadedTcp:
    spec: TcpRouterSpec
    expr: Expr | None
    entry_points: tuple[str, ...]


def text_span(texts: dict[str, str], where: Source | None, needle: str) -> Source | None:
    """The exact place of `needle` (a value as decoded) inside the one line `where` covers."""
    if where is None or not needle or (where.end_line is not None and where.end_line != where.line):
        return None
    lines = lines_of(texts.get(where.path, ""))
    if not 0 < where.line <= len(lines):
        return None
    line = lines[where.line - 1]
    start = (where.column or 1) - 1
    end = (where.end_column or len(line) + 1) - 1
    segment = line[start:end]
    if segment.count(needle) != 1:
        return None
    col = start + segment.index(needle) + 1
    return Source(where.path, where.line, col, where.line, col + len(needle))


def written_in_place(texts: dict[str, str], span: Source, value: str) -> str | None:
    """`value` as it must be written over `span` (a decoded string's place in the file): escaped for the quotes
    around it (YAML and TOML double quotes take backslash escapes, YAML single quotes double a quote); None when
    the quotes cannot hold it (a TOML literal string with a quote)."""
    lines = lines_of(texts.get(span.path, ""))
    line = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
    column = span.column or 1
    quote = line[column - 2] if column > 1 and column - 2 < len(line) else ""
    if quote == '"':
        return value.replace("\\", "\\\\").replace('"', '\\"')
    if quote == "'":
        if not span.path.endswith(".toml"):
            return value.replace("'", "''")
        return None if "'" in value else value
    return value


def health_check(svc: ServiceSpec) -> HealthCheck | None:
    """The load balancer's HTTP health check as its servers receive it: `path` resolved against the server's
    URL, as Traefik does (a gRPC check, or one sent to another port, is not modelled)."""
    hc = svc.health
    if hc is None or hc.mode != "http" or not svc.urls:
        return None
    server = urlsplit(svc.urls[0])
    if hc.port is not None and hc.port != server.port:
        return None
    resolved = urlsplit(urljoin(svc.urls[0], hc.path))
    path = (resolved.path or "/") + (f"?{resolved.query}" if resolved.query else "")
    return HealthCheck(
        method=hc.method,
        path=path,
        source=hc.source,
        expect=str(hc.status) if hc.status is not None else None,
        servers=svc.urls,
    )


def positive_matchers(expr: Expr, negated: bool = False) -> list[tuple[Matcher, bool]]:
    """Every matcher with whether it is negated (an odd number of `!` above it)."""
    if isinstance(expr, Matcher):
        return [(expr, negated)]
    if isinstance(expr, Not):
        return positive_matchers(expr.expr, not negated)
    return positive_matchers(expr.left, negated) + positive_matchers(expr.right, negated)


def client_headers(
    client: Client, host_header: str, tls: bool, forwarded_proto: str | None = None, page_tls: bool | None = None
) -> dict[str, list[str]]:
    """A browser's handshake after Traefik's entryPoint handling, which runs before routing.

    Traefik removes the headers a client's `Connection` lists and rewrites
    `Connection` to `Upgrade` when it carries the upgrade token, so Firefox's
    `keep-alive, Upgrade` and a hop's `upgrade` reach the routers as `Upgrade`.
    It sets X-Forwarded-Proto from the connection (`ws`/`wss` for an upgrade)
    unless a hop it trusts sent one (`forwarded_proto`: kept as sent).
    """
    page = tls if page_tls is None else page_tls
    raw = client.handshake_headers(host_header, f"{'https' if page else 'http'}://{host_header}")
    headers = {canonical_header(k): [v] for k, v in raw.items() if k != "host"}
    tokens = [t.strip() for t in raw["connection"].split(",") if t.strip()]
    if any(t.lower() == "upgrade" for t in tokens):
        for t in tokens:
            headers.pop(canonical_header(t), None)
        headers["Upgrade"] = [raw["upgrade"]]
        headers["Connection"] = ["Upgrade"]
        headers["X-Forwarded-Proto"] = ["wss" if tls else "ws"]
    else:
        headers.pop("Connection", None)
        headers["X-Forwarded-Proto"] = ["https" if tls else "http"]
    if forwarded_proto is not None:
        headers["X-Forwarded-Proto"] = [forwarded_proto]
    headers["X-Forwarded-Host"] = [host_header]
    return headers


def sanitize_path(path: str) -> str:
    """The entryPoint's sanitizePath (on by default): dot segments and repeated slashes are removed
    from the request itself, so the service receives the cleaned path too."""
    if "//" in path or "/./" in path or "/../" in path or path.endswith(("/.", "/..")):
        parts: list[str] = []
        for seg in path.split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(seg)
        cleaned = "/" + "/".join(parts)
        if path.endswith("/") and cleaned != "/":
            cleaned += "/"
        path = cleaned
    return path


def routing_path(path: str, sanitize: bool = True) -> str:
    """The path Traefik's routers match: sanitized (unless the entryPoint's sanitizePath is off), with
    non-reserved %XX decoded."""
    if sanitize:
        path = sanitize_path(path)
    reserved = set(":/?#[]@!$&'()*+,;=%")
    out: list[str] = []
    i = 0
    while i < len(path):
        if path[i] == "%" and i + 2 < len(path) + 0 and i + 3 <= len(path):
            try:
                ch = chr(int(path[i + 1 : i + 3], 16))
            except ValueError:
                ch = ""
            if ch and ch not in reserved and ord(ch) < 128:
                out.append(ch)
            else:
                out.append(path[i : i + 3])
            i += 3
            continue
        out.append(path[i])
        i += 1
    return "".join(out)


def served_path(service: ServiceSpec | None, uri: str, version: tuple[int, ...]) -> tuple[str, str | None]:
    """The path and query the first server receives, and the server URL's path when `preservePath` (Traefik
    3.2) joins it with the request's; without it Traefik ignores the path of a server URL."""
    if service is None or not service.urls or not service.preserve_path or not service.preserve_path[0]:
        return uri, None
    if version < (3, 2):
        return uri, None
    base = urlsplit(service.urls[0]).path
    if not base:
        return uri, None
    path, sep, query = uri.partition("?")
    # Go's singleJoiningSlash
    if base.endswith("/") and path.startswith("/"):
        joined = base + path[1:]
    elif not base.endswith("/") and not path.startswith("/"):
        joined = base + "/" + path
    else:
        joined = base + path
    return joined + sep + query, base


def upstream_request(
    client: Client,
    req: Request,
    service: ServiceSpec | None,
    host_header: str,
    tls: bool,
    version: tuple[int, ...] = (3,),
) -> UpstreamRequest:
    forwarded, up = upgrade_forwarded(req.headers)
    cause_conn = req.header_causes.get("Connection")
    cause_up = req.header_causes.get("Upgrade")
    blame = cause_conn if cause_conn is not None else cause_up
    headers: list[Header] = []
    url = service.urls[0] if service is not None and service.urls else None
    if req.upstream_host is not None:
        headers.append(Header("Host", req.upstream_host, req.upstream_host, req.host_cause, "configured"))
    elif service is not None and not service.pass_host_header and url is not None:
        server_host = url.split("://", 1)[-1].split("/", 1)[0]
        headers.append(Header("Host", "passHostHeader: false", server_host, service.source, "configured"))
    else:
        headers.append(Header("Host", "(the client's Host)", host_header, None, "client"))
    if forwarded:
        headers.append(Header("Upgrade", up, up, cause_up, "configured" if cause_up else "default"))
        headers.append(Header("Connection", "Upgrade", "Upgrade", None, "default"))
    else:
        origin = "configured" if blame is not None else "default"
        expr_up = req.header_expressions.get("Upgrade", "")
        expr_conn = req.header_expressions.get("Connection", "")
        headers.append(Header("Upgrade", expr_up, "", blame, origin))  # type: ignore[arg-type]
        conn_origin = "configured" if cause_conn is not None else "default"
        headers.append(Header("Connection", expr_conn, "", cause_conn, conn_origin))  # type: ignore[arg-type]
    for name, value in req.headers.items():
        if name in ("Upgrade", "Connection"):
            continue
        cause = req.header_causes.get(name)
        headers.append(Header(name, value[0], value[0], cause, "configured" if cause else "client"))
    path, _ = served_path(service, req.request_uri, version)
    return UpstreamRequest(client.name, Setting("1.1"), url, path, tuple(headers), upgrade_follows_connection=True)


# services within services and chains within chains that wslint follows (limits: nesting)
MAX_REFERENCE_DEPTH = Limits().nesting


class _TooDeep(Exception):
    def __init__(self, what: str, name: str, source: Source | None) -> None:
        super().__init__(
            f"{what} {name} is nested more than {MAX_REFERENCE_DEPTH} levels deep (limits: nesting); "
            "wslint does not follow it"
        )
        self.source = source


class TraefikModel:
    def __init__(self, inp: TraefikInput, options: BuildOptions, diagnostics: list[Diagnostic]) -> None:
        self.inp = inp
        self.options = options
        self.diagnostics = diagnostics
        self.entry_points: list[EntryPoint] = []
        self.routers: list[LoadedRouter] = []
        self.disabled: list[tuple[RouterSpec, str]] = []
        self.refused_rules: list[RefusedRule] = []
        self.tcp: list[LoadedTcp] = []
        self.misplaced: list[MisplacedDirective] = []
        self.routes: list[Route] = []
        # route id -> (router, entryPoint)
        self.placed: dict[str, tuple[LoadedRouter, EntryPoint]] = {}

    # -- diagnostics --------------------------------------------------------------

    def _diag(self, severity: Severity, message: str, source: Source | None) -> None:
        self.diagnostics.append(
            Diagnostic(
                "config" if severity < Severity.ERROR else "parse",
                severity,
                message,
                source.path if source else self.inp.main,
                source.line if source else None,
                source.column if source else None,
            )
        )

    # -- entryPoints ------------------------------------------------------------------

    def _entry_points(self) -> None:
        static = self.inp.static
        specs = [e for e in static.entry_points if not e.udp] if static is not None else []
        if not specs:
            where = Source(self.inp.main, 1, 1)
            listener = Listener(
                "ep:*",
                (),
                (ServerName("any entryPoint", "exact", where),),
                where,
                None,
            )
            self.entry_points.append(EntryPoint("*", None, listener))
            return
        for spec in specs:
            addresses = (
                (ListenAddress(spec.host, spec.port, False, False, False, spec.source),)
                if spec.port is not None
                else ()
            )
            listener = Listener(
                f"ep:{spec.name}",
                addresses,
                (ServerName(f"entryPoint {spec.name}", "exact", spec.source),),
                spec.source,
                None,
            )
            self.entry_points.append(EntryPoint(spec.name, spec, listener))

    def default_entry_points(self) -> tuple[str, ...]:
        named = [e for e in self.entry_points if e.spec is not None]
        if not named:
            return ("*",)
        flagged = [e.name for e in named if e.spec is not None and e.spec.as_default]
        return tuple(sorted(flagged or [e.name for e in named if e.name != "traefik"]))

    # -- rule syntax ----------------------------------------------------------------------

    def syntax_of(self, router_syntax: str | None) -> Syntax:
        if self.options.version[0] < 3:
            return "v2"
        if router_syntax in ("v2", "v3"):
            return router_syntax  # type: ignore[return-value]
        static = self.inp.static
        if router_syntax in (None, "") and static is not None and static.default_syntax in ("v2", "v3"):
            return static.default_syntax  # type: ignore[return-value]
        return "v3"

    def _rule_error(self, spec: RouterSpec | TcpRouterSpec, exc: RuleError, kind: str) -> None:
        span = text_span(self.inp.texts, spec.rule_node.source if spec.rule_node else None, spec.rule or "")
        where = spec.rule_node.source if spec.rule_node is not None else spec.source
        if span is not None:
            where = Source(span.path, span.line, (span.column or 1) + exc.offset)
        self._diag(
            Severity.ERROR,
            f"{kind} {spec.qualified}: Traefik cannot parse its rule ({exc}); it does not load the {kind}",
            where,
        )

    def _parse(self, spec: RouterSpec | TcpRouterSpec, tcp: bool) -> tuple[Expr, Syntax] | None:
        kind = "TCP router" if tcp else "router"
        if not spec.rule and isinstance(spec, RouterSpec) and spec.default_rule:
            return self._default_rule(spec.default_rule), self.syntax_of(spec.syntax)
        if not spec.rule:
            if not tcp:
                self._diag(
                    Severity.WARNING, f"router {spec.qualified} has no rule; Traefik does not load it", spec.source
                )
            return None
        syntax = self.syntax_of(spec.syntax)
        try:
            return parse_rule(spec.rule, syntax, tcp), syntax
        except RuleTooDeep as exc:
            span = text_span(self.inp.texts, spec.rule_node.source if spec.rule_node else None, spec.rule)
            where = spec.rule_node.source if spec.rule_node is not None else spec.source
            if span is not None:
                where = Source(span.path, span.line, (span.column or 1) + exc.offset)
            self._diag(Severity.ERROR, f"{kind} {spec.qualified}: {exc}; it was not linted", where)
            return None
        except RuleError as exc:
            if OPAQUE in spec.rule:
                # a compose variable wslint could not resolve: what the rule becomes is not known
                return Matcher(UNKNOWN_RULE, (spec.rule,), 0, len(spec.rule)), syntax
            other: Syntax = "v2" if syntax == "v3" else "v3"
            try:
                as_other = parse_rule(spec.rule, other, tcp)
            except RuleError:
                self._rule_error(spec, exc, kind)
                return None
            if self.options.version[0] < 3 and other == "v3":
                self._rule_error(spec, exc, kind)
                return None
            node = spec.rule_node
            source = node.source if node is not None else spec.source
            span = text_span(self.inp.texts, source, spec.rule) or source
            converted = convert_v2(spec.rule) if other == "v2" else None
            if converted and span.end_column is not None:
                converted = written_in_place(self.inp.texts, span, converted)
            self.misplaced.append(
                MisplacedDirective(
                    snippet=Snippet(
                        directive="rule",
                        args=(spec.rule, converted or "", spec.qualified, str(exc), syntax),
                        text=spec.rule,
                        source=span,
                        context=(syntax,),
                    ),
                    allowed=(other,),
                    enclosing=None,
                    target=None,
                )
            )
            if isinstance(spec, RouterSpec):
                self.disabled.append((spec, f"its rule is {other} syntax, which Traefik does not parse as {syntax}"))
                eps = (
                    self.default_entry_points()
                    if spec.entry_points is None
                    else tuple(r.name for r in spec.entry_points)
                )
                self.refused_rules.append(RefusedRule(spec, as_other, other, eps, span))
            return None

    def _quote(self, node: Node | None) -> str:
        if node is None or node.source.column is None:
            return ""
        lines = lines_of(self.inp.texts.get(node.source.path, ""))
        if not 0 < node.source.line <= len(lines):
            return ""
        first = lines[node.source.line - 1][node.source.column - 1 : node.source.column]
        return first if first in ("'", '"') else ""

    def _default_rule(self, rule: str) -> Expr:
        """The Docker provider's defaultRule for a router without a rule: its own default is a Host made of
        the container's name (no dots); a template of the user's is not known."""
        if rule == DEFAULT_RULE:
            return Matcher(CONTAINER_NAME_RULE, (), 0, len(rule))
        if "{{" not in rule:
            try:
                return parse_rule(rule, self.syntax_of(None))
            except (RuleError, RuleTooDeep):
                pass
        return Matcher(UNKNOWN_RULE, (rule,), 0, len(rule))

    # -- references -------------------------------------------------------------------------

    def _middleware(self, name: str, provider: str, seen: tuple[str, ...] = ()) -> list[MiddlewareSpec] | None:
        key = qualify(name, provider)
        mw = self.inp.middlewares.get(key)
        if mw is None:
            return None
        if mw.kind != "chain":
            return [mw]
        if key in seen:
            return []
        if len(seen) >= MAX_REFERENCE_DEPTH:
            raise _TooDeep("middleware chain", key, mw.source)
        out: list[MiddlewareSpec] = []
        refs = mw.params.get("middlewares")
        for ref in refs.elements() if refs is not None else []:
            sub = self._middleware(ref.text() or "", mw.provider, (*seen, key))
            if sub is None:
                return None
            out.extend(sub)
        return out

    def _service(self, name: str, provider: str) -> ServiceSpec | None:
        if name.lower().endswith("@internal"):
            # Traefik's own services (noop@internal answers 418; api, dashboard, ping answer themselves)
            return ServiceSpec(name.split("@", 1)[0], "internal", "internal", (), True, Source(self.inp.main, 1, 1))
        svc = self.inp.services.get(qualify(name, provider))
        if svc is None:
            return None
        leaf, through = self._descend(svc)
        if leaf is None:
            return svc
        unknown = leaf.unknown or self._unfollowed(leaf, through)
        for here in through:
            # mirroring: its main service answers (mirrors get copies); weighted, highestRandomWeight and failover:
            # not always the first
            if here.kind == "failover":
                unknown = f"failover service {here.qualified}: which service answers depends on health checks"
                break
            if here.kind in ("weighted", "highestRandomWeight"):
                leaves = [self._descend_name(c, here.provider) for c in here.children]
                if len({frozenset(x.urls) if x is not None else None for x in leaves}) > 1:
                    unknown = f"{here.kind} service {here.qualified} splits requests between different servers"
                    break
        if unknown is None and any(u.lower().startswith("h2c://") for u in leaf.urls):
            unknown = f"service {leaf.qualified} talks h2c to its servers, which wslint does not model"
        if leaf is svc and unknown is None:
            return svc
        return ServiceSpec(
            svc.name,
            svc.provider,
            svc.kind,
            leaf.urls,
            leaf.pass_host_header,
            svc.source,
            health=leaf.health,
            preserve_path=leaf.preserve_path,
            preserve_source=leaf.preserve_source,
            unknown=unknown,
        )

    def _unfollowed(self, leaf: ServiceSpec, through: list[ServiceSpec]) -> str | None:
        """What of the services on the way makes the handshake one wslint cannot follow: a service's own
        middlewares (Traefik runs them after the router's), a serversTransport that is not defined (Traefik does
        not load the router)."""
        for here in (*through, leaf):
            if here.middlewares:
                return f"service {here.qualified} has its own middlewares, which wslint does not follow"
        name = leaf.transport
        if name and not name.lower().endswith("@internal") and qualify(name, leaf.provider) not in self.inp.transports:
            return f"the serversTransport {name} of service {leaf.qualified} is not defined in the files wslint read"
        return None

    def _descend(self, svc: ServiceSpec) -> tuple[ServiceSpec | None, list[ServiceSpec]]:
        """The service with servers that carries `svc`'s handshake (weighted/mirroring/failover: the first
        child), and the services passed through to it; followed in a loop, since a file can nest them deeper
        than Python recurses (and name a service in its own list). None when the chain loops or leaves the
        files read."""
        path: list[ServiceSpec] = []
        here: ServiceSpec | None = svc
        while here is not None and not here.urls and here.children:
            if here in path:
                return None, path
            if len(path) >= MAX_REFERENCE_DEPTH:
                raise _TooDeep("service", qualify(here.name, here.provider), here.source)
            path.append(here)
            here = self.inp.services.get(qualify(here.children[0], here.provider))
        return here, path

    def _descend_name(self, name: str, provider: str) -> ServiceSpec | None:
        svc = self.inp.services.get(qualify(name, provider))
        return None if svc is None else self._descend(svc)[0]

    def _load_router(self, spec: RouterSpec) -> None:
        parsed = self._parse(spec, False)
        if parsed is None:
            return
        expr, syntax = parsed
        unknown: list[str] = []
        chain: list[MiddlewareSpec] = []
        for ref in spec.middlewares:
            found = self._middleware(ref.name, spec.provider)
            if found is None:
                if self.inp.complete:
                    self._diag(
                        Severity.WARNING,
                        f"router {spec.qualified}: middleware {qualify(ref.name, spec.provider)} is not defined; "
                        "Traefik does not load the router",
                        ref.source,
                    )
                    self.disabled.append((spec, f"its middleware {ref.name} is not defined"))
                    return
                unknown.append(f"the middleware {ref.name} is defined outside the files wslint read")
                continue
            chain.extend(found)
        service = None
        if spec.service is not None:
            service = self._service(spec.service.name, spec.provider)
            if service is None and self.inp.complete:
                self._diag(
                    Severity.WARNING,
                    f"router {spec.qualified}: service {qualify(spec.service.name, spec.provider)} is not defined; "
                    "Traefik does not load the router",
                    spec.service.source,
                )
                self.disabled.append((spec, f"its service {spec.service.name} is not defined"))
                return
            if service is None:
                unknown.append(f"the service {spec.service.name} is defined outside the files wslint read")
            elif service.unknown is not None:
                unknown.append(service.unknown)
        else:
            unknown.append("the router names no service")
        eps = self.default_entry_points() if spec.entry_points is None else tuple(r.name for r in spec.entry_points)
        known = {e.name for e in self.entry_points}
        if "*" not in known:
            for ref in spec.entry_points or ():
                if ref.name not in known:
                    self._diag(
                        Severity.WARNING,
                        f"router {spec.qualified}: entryPoint {ref.name!r} does not exist in {self.inp.main}",
                        ref.source,
                    )
        explicit = spec.priority is not None and spec.priority != 0
        rule = spec.rule or spec.default_rule or ""
        node_source = spec.rule_node.source if spec.rule_node is not None else None
        router = LoadedRouter(
            spec=spec,
            expr=expr,
            syntax=syntax,
            priority=spec.priority if explicit and spec.priority is not None else priority(rule),
            explicit_priority=explicit,
            entry_points=eps,
            middlewares=chain,
            service=service,
            rule_span=text_span(self.inp.texts, node_source, shown(rule)) if spec.rule else None,
            unknown=unknown,
            # the length of a rule with an unknown variable, or of a default rule, is not known
            priority_known=explicit or (bool(spec.rule) and OPAQUE not in rule),
            quote=self._quote(spec.rule_node),
        )
        router.intent = self._intent(router)
        self.routers.append(router)

    def _redirection_routers(self) -> None:
        """entryPoint `http.redirections`: Traefik adds a router taking every request on that entryPoint."""
        for ep in self.entry_points:
            red: Redirection | None = ep.spec.redirection if ep.spec is not None else None
            if red is None or not red.to:
                continue
            target = next((e for e in self.entry_points if e.name == red.to), None)
            port = red.to[1:] if red.to.startswith(":") else None
            if target is not None and target.spec is not None and target.spec.port is not None:
                port = str(target.spec.port)
            params = Node(
                {
                    "scheme": Node(red.scheme, red.source),
                    "port": Node(port or "", red.source),
                    "permanent": Node(red.permanent, red.source),
                },
                red.source,
            )
            name = f"{ep.name}-to-{red.to}"
            mw = MiddlewareSpec(
                f"redirect-{name}", "internal", "redirectscheme", params, red.source, "yaml", "redirectScheme"
            )
            rule = "HostRegexp(`^.+$`)"
            spec = RouterSpec(
                name, "internal", rule, None, "v3", red.priority, None, (), None, False, red.source, "yaml"
            )
            self.routers.append(
                LoadedRouter(
                    spec=spec,
                    expr=parse_rule(rule, "v3"),
                    syntax="v3",
                    priority=red.priority,
                    explicit_priority=True,
                    entry_points=(ep.name,),
                    middlewares=[mw],
                    # what passes the redirect (a request already https) reaches Traefik's noop service
                    service=ServiceSpec("noop", "internal", "internal", (), True, red.source),
                    rule_span=None,
                )
            )

    def _intent(self, router: LoadedRouter) -> Intent:
        where = router.rule_span or router.spec.source
        if not takes_handshakes(router):
            return Intent("none", "its rule refuses a WebSocket handshake's Upgrade header (an h2c-only router)")
        for m, negated in positive_matchers(router.expr):
            if negated or m.name not in ("Header", "HeaderRegexp", "Headers", "HeadersRegexp"):
                continue
            if any(a.lower() in UPGRADE_HEADERS for a in m.args[0::2]):
                return Intent("explicit", f"its rule selects on the {m.args[0]} header", router.span(m) or where)
        paths = [
            a for m, neg in positive_matchers(router.expr) if not neg and m.name.startswith("Path") for a in m.args
        ]
        best: tuple[str, str] | None = None
        for text in [*paths, router.spec.name]:
            signal = path_signal(text)
            if signal is not None and (best is None or (signal[0] == "strong" and best[0] != "strong")):
                best = signal
        if best is None:
            return Intent("none", "no sign of WebSockets in its rule")
        return Intent("heuristic" if best[0] == "strong" else "possible", best[1], where)

    # -- routes -------------------------------------------------------------------------------

    def chain_for(self, router: LoadedRouter, ep: EntryPoint) -> list[MiddlewareSpec]:
        """entryPoint middlewares run before the router's own (Traefik prepends them)."""
        if ep.spec is None or router.spec.provider == "internal":
            return router.middlewares
        out: list[MiddlewareSpec] = []
        for ref in ep.spec.middlewares:
            found = self._middleware(ref.name, "file")
            if found is None:
                router.unknown.append(f"the entryPoint middleware {ref.name} is defined outside the files wslint read")
                continue
            out.extend(found)
        return out + router.middlewares

    def sends_to_https(self, router: LoadedRouter, ep: EntryPoint) -> bool:
        """Every plain request the router takes on this entryPoint is redirected to https first (the entryPoint's
        `http.redirections`, or a redirectScheme to https among its middlewares or the entryPoint's): a browser
        loads the application from the TLS site and opens its sockets there."""
        if self.tls_of(router, ep) or router.spec.provider == "internal":
            return False
        red = ep.spec.redirection if ep.spec is not None else None
        if red is not None and red.to and red.scheme == "https":
            return True
        chain = list(router.middlewares)
        for ref in ep.spec.middlewares if ep.spec is not None else ():
            try:
                chain.extend(self._middleware(ref.name, "file") or [])
            except _TooDeep:
                continue
        for mw in chain:
            scheme = mw.params.get("scheme") if mw.kind == "redirectscheme" else None
            if scheme is not None and (scheme.text() or "").lower() == "https":
                return True
        return False

    def tls_of(self, router: LoadedRouter, ep: EntryPoint) -> bool:
        return router.spec.tls or (ep.spec is not None and ep.spec.tls and router.spec.provider != "internal")

    def attached(self, router: LoadedRouter, ep: EntryPoint) -> bool:
        return ep.name == "*" or ep.name in router.entry_points

    def default_request(self, router: LoadedRouter) -> tuple[str, str]:
        host, path = "app.example.test", "/"
        for m, negated in positive_matchers(router.expr):
            if negated:
                continue
            if m.name in ("Host", "HostHeader") and host == "app.example.test" and not {"*", OPAQUE} & set(m.args[0]):
                host = m.args[0].split(":")[0]
            if m.name in ("Path", "PathPrefix") and path == "/" and not {"{", OPAQUE} & set(m.args[0]):
                path = m.args[0]
        return host, path

    def handshake(
        self, router: LoadedRouter, ep: EntryPoint, client: Client, host_header: str, path: str, query: str, tls: bool
    ) -> tuple[Request, UpstreamRequest]:
        req = Request(
            scheme="https" if tls else "http",
            host_header=host_header,
            path=path,
            query=query,
            headers=client_headers(client, host_header, tls),
        )
        run_chain(self.chain_for(router, ep), req)
        return req, upstream_request(client, req, router.service, host_header, tls, self.options.version)

    def divergences(self, router: LoadedRouter) -> tuple[Divergence, ...]:
        """Header matchers on Upgrade/Connection that some browsers' handshakes fail."""
        out: list[Divergence] = []
        host, path = self.default_request(router)
        for m, negated in positive_matchers(router.expr):
            if negated or m.name not in ("Header", "HeaderRegexp", "Headers", "HeadersRegexp"):
                continue
            name = m.args[0]
            if name.lower() not in UPGRADE_HEADERS:
                continue
            for client in self.options.clients:
                headers = client_headers(client, host, False)
                req = SimRequest(host, path, "", {k: tuple(v) for k, v in headers.items()})
                ok = match_v3(m, req) if router.syntax == "v3" else match_v2(m, req)
                if ok is not False:
                    continue
                sent = headers.get(canonical_header(name), [""])[0]
                wanted = m.args[1]
                regex = m.name.endswith("Regexp")
                matcher = "other"
                if not regex and wanted.lower() == sent.lower():
                    matcher = "case-sensitive"
                elif not regex and wanted.lower() in {t.strip().lower() for t in sent.split(",")}:
                    matcher = "whole-value"
                elif regex:
                    from wslint.traefik.matchers import go_regex

                    rx = go_regex("(?i)" + wanted)
                    if rx is not None and rx.search(sent):
                        matcher = "case-sensitive"
                suggestion = (
                    f"HeaderRegexp(`{name}`, `(?i)^websocket$`)"
                    if name.lower() == "upgrade"
                    else f"HeaderRegexp(`{name}`, `(?i)upgrade`)"
                )
                if router.syntax == "v2":
                    suggestion = suggestion.replace("HeaderRegexp(", "HeadersRegexp(")
                out.append(
                    Divergence(
                        client=client.name,
                        aspect="upstream",
                        expected=router.name,
                        actual=None,
                        variable=name,
                        matcher=matcher,  # type: ignore[arg-type]
                        cause=router.span(m) or router.rule_span or router.spec.source,
                        detail=(
                            f"`{m.text(router.rule)}` compares the {name} header exactly, and the {client.name} "
                            f"handshake reaches the router with `{name}: {sent}`"
                        ),
                        key=m.text(router.rule),
                        value=suggestion,
                    )
                )
                break
        return tuple(out)

    def _route(self, router: LoadedRouter, ep: EntryPoint) -> Route:
        host, path = self.default_request(router)
        tls = self.tls_of(router, ep)
        handshakes = tuple(self.handshake(router, ep, c, host, path, "", tls)[1] for c in self.options.clients)
        svc = router.service
        upstream = None
        action = Action("proxy", router.spec.source, svc.qualified if svc else None)
        if router.spec.provider == "internal":
            action = Action("redirect", router.spec.source, None, 301)
        elif svc is not None and svc.kind == "internal":
            action = Action("return", router.spec.service.source if router.spec.service else None, svc.qualified)
        elif svc is not None:
            url = svc.urls[0] if svc.urls else svc.qualified
            group = Upstream(svc.qualified, svc.urls, None, False, svc.source, health_check=health_check(svc))
            protocol: UpstreamProtocol = "https" if url.startswith("https://") else "http"
            ref = router.spec.service.source if router.spec.service else svc.source
            upstream = UpstreamTarget("service", url, protocol, None, False, group, ref)
        where = router.rule_span or (router.spec.rule_node.source if router.spec.rule_node else router.spec.source)
        return Route(
            id=f"{router.name}#{ep.name}",
            proxy="traefik",
            listener=ep.listener,
            match=Match("named", router.name, where),
            action=action,
            source=where,
            upstream=upstream,
            websocket=router.intent,
            handshakes=handshakes if upstream is not None else (),
            idle_timeout=None,
            header_scope=HeaderScope(None, None, None, (), None),
            divergences=self.divergences(router),
            upgrade_blocked=(
                self._as_written(upgrade_block(handshakes[0]))
                if upstream is not None and handshakes and takes_handshakes(router)
                else None
            ),
            noun="router",
            traefik=TraefikRouter(
                router.rule,
                router.priority,
                router.spec.style,
                self.tls_of(router, ep),
                self.sends_to_https(router, ep),
            ),
            block=self._block(router.spec),
        )

    def _as_written(self, block: UpgradeBlock | None) -> UpgradeBlock | None:
        """The block with the header line as the file writes it (`Upgrade: ""`, `Connection = ""`, a label): the
        middleware's value alone does not say which header it blanks."""
        src = block.source if block is not None else None
        if block is None or src is None or src.column is None or src.end_column is None or src.end_line != src.line:
            return block
        lines = lines_of(self.inp.texts.get(src.path, ""))
        text = lines[src.line - 1][src.column - 1 : src.end_column - 1].strip() if 0 < src.line <= len(lines) else ""
        return replace(block, expression=text) if text else block

    def _block(self, spec: RouterSpec) -> BlockRef | None:
        """The router's own mapping (YAML) or table (TOML), for fixes that add a field to it."""
        node = spec.node
        if spec.style not in ("yaml", "toml") or node is None or node.entry is None or not node.keys:
            return None
        lines = lines_of(self.inp.texts.get(node.entry.path, ""))
        head = node.entry.line
        first = min(s.line for s in node.keys.values())
        if first <= head or first > len(lines) or head > len(lines):
            return None
        child = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        indent = lines[head - 1][: len(lines[head - 1]) - len(lines[head - 1].lstrip())]
        return BlockRef(
            path=node.entry.path,
            opened_by=Source(node.entry.path, head, len(indent) + 1),
            body_start=Position(head, len(lines[head - 1]) + 1),
            body_end=Position(max(s.end_line or s.line for s in node.keys.values()), 1),
            indent=indent,
            child_indent=child,
            close_on_own_line=False,
            open_ends_line=True,
        )

    def _load_tcp(self, spec: TcpRouterSpec) -> None:
        parsed = self._parse(spec, True)
        eps = self.default_entry_points() if spec.entry_points is None else tuple(r.name for r in spec.entry_points)
        self.tcp.append(LoadedTcp(spec, parsed[0] if parsed else None, eps))

    def _too_new(self) -> None:
        """Keys the Traefik version does not know yet, which its decoder refuses like any unknown key."""
        if self.options.version >= (3, 2):
            return
        for svc in self.inp.services.values():
            if svc.preserve_source is not None:
                self._diag(
                    Severity.ERROR,
                    f"service {svc.qualified}: preservePath exists since Traefik 3.2; Traefik "
                    f"{self.options.version_text} refuses the whole file (it logs `field not found, node: "
                    "preservePath`)",
                    svc.preserve_source,
                )

    # -- the whole configuration ---------------------------------------------------------------

    def build(self) -> ProxyConfig:
        from wslint.declare import declare_endpoints
        from wslint.traefik.simulator import TraefikSimulator

        self._entry_points()
        self._too_new()
        for spec in self.inp.routers:
            try:
                self._load_router(spec)
            except _TooDeep as exc:
                self._diag(Severity.ERROR, f"router {spec.qualified}: {exc}", exc.source)
        self._redirection_routers()
        for tcp in self.inp.tcp_routers:
            self._load_tcp(tcp)
        for router in self.routers:
            for ep in self.entry_points:
                if not self.attached(router, ep) or router.spec.provider == "internal":
                    continue
                route = self._route(router, ep)
                self.routes.append(route)
                self.placed[route.id] = (router, ep)
        routes, results = declare_endpoints(TraefikSimulator(self), self.routes, self.options.endpoints)
        upstreams = tuple(Upstream(s.qualified, s.urls, None, False, s.source) for s in self.inp.services.values())
        return ProxyConfig(
            proxy="traefik",
            version=self.options.version_text,
            main_file=self.inp.main,
            files=tuple(self.inp.files),
            listeners=tuple(e.listener for e in self.entry_points),
            routes=tuple(routes),
            upstreams=upstreams,
            variables=frozenset(),
            variable_references=(),
            misplaced_directives=tuple(self.misplaced),
            http_block=None,
            endpoint_results=results,
            version_assumed=self.options.version_assumed,
        )


def matches(router: LoadedRouter, req: SimRequest) -> bool | None:
    return evaluate(router.expr, req, router.syntax)


def takes_handshakes(router: LoadedRouter) -> bool:
    """False when one of the rule's Upgrade header matchers refuses `Upgrade: websocket` (a router kept for
    `Upgrade: h2c`, where stripping the upgrade is the smuggling mitigation, not a WebSocket failure)."""

    def takes(m: Matcher, value: str) -> bool | None:
        req = SimRequest("", "/", "", {"Upgrade": (value,), "Connection": ("Upgrade",)})
        return match_v3(m, req) if router.syntax == "v3" else match_v2(m, req)

    for m, negated in positive_matchers(router.expr):
        if negated or m.name not in ("Header", "HeaderRegexp", "Headers", "HeadersRegexp"):
            continue
        # a matcher that compares case-sensitively still takes some clients' WebSockets: not h2c-only
        if (
            len(m.args) >= 2
            and m.args[0].lower() == "upgrade"
            and takes(m, "h2c") is True
            and all(takes(m, v) is False for v in ("websocket", "WebSocket", "Websocket", "WEBSOCKET"))
        ):
            return False
    return True


def matchers_named(router: LoadedRouter, *names: str) -> list[Matcher]:
    return [m for m in matchers_of(router.expr) if m.name in names]
