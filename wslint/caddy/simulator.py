"""Declared endpoints through Caddy: the server, the site, each browser's result, what went wrong.

Caddy upgrades whatever reverse_proxy forwards, so a broken endpoint is a
handshake answered by the wrong handler, or by none. Beside the verdict,
each result names the reverse_proxy the handshake was meant for:

* `better_routes`: it matches the request too, and tests its path more
  precisely than the handler that answered, but runs later (written order in
  `route { }`, or Caddy's directive order: `handle` blocks run before a
  bare `reverse_proxy`);
* `near_misses`: it would match but for a rewrite that ran first (`try_files`,
  `rewrite`, `uri` come before reverse_proxy whatever the order in the file),
  or for an exact path matcher (`/socket.io` is not `/socket.io/*`);
* `elsewhere`: another site of the same server has it, and the Host picked
  this one (or none).

A reverse_proxy an endpoint reaches without any of these is a WebSocket
route by declaration, and its handshakes are those of the endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from wslint.caddy.build import (
    CaddyModel,
    Spot,
    chain_sets,
    is_site_route,
    positive_matchers,
    sample_host,
)
from wslint.caddy.config import (
    HeaderMatcher,
    HeaderRegexpMatcher,
    MatcherSet,
    PathMatcher,
    PathRegexpMatcher,
    ReverseProxy,
    Route,
    Server,
    Site,
    StaticResponse,
)
from wslint.caddy.handshake import client_request, proxy_request
from wslint.caddy.matchers import match_path, match_set
from wslint.caddy.request import Request, Unknown, escape_path
from wslint.caddy.routing import Outcome, Router
from wslint.clients import Client
from wslint.declare import ProxySimulator
from wslint.endpoints import Endpoint
from wslint.model import (
    INTENT_RANK,
    EndpointOutcome,
    EndpointResult,
    Listener,
    Miss,
    MissKind,
    Reason,
    Rewrite,
    Source,
    TraceStep,
)
from wslint.model import Route as ModelRoute

REDIRECTS = (301, 302, 303, 307, 308)
# the directives Caddy orders before handle, route and reverse_proxy
EARLY = {"try_files": "try_files", "rewrite": "rewrite", "uri": "uri", "method": "method"}


def _no_files(m: object, req: Request) -> bool | None:
    return None


def chain_matches(chain: list[Route], req: Request) -> bool | None:
    """Whether a route's own matchers (its chain, without the site) accept the request."""
    r = req.copy()
    out: bool | None = True
    for sets in chain_sets(chain):
        verdict: bool | None = False
        for s in sets:
            v = match_set(s, r, _no_files)
            if v is True:
                verdict = True
                break
            if v is None:
                verdict = None
        if verdict is False:
            return False
        if verdict is None:
            out = None
    return out


def precision(chain: list[Route], req: Request) -> tuple[int, int]:
    """How precisely the matching path tests of a chain describe the request's path:
    an exact path beats a prefix, a longer pattern a shorter one; no path test is (-1, 0)."""
    best = (-1, 0)
    for sets in chain_sets(chain):
        for m in positive_matchers(sets):
            if isinstance(m, PathMatcher):
                for p in m.patterns:
                    try:
                        if match_path([p], req) is not True:
                            continue
                    except Unknown:
                        # a placeholder only the live request has
                        continue
                    rank = 3 if "*" not in p else (2 if p.endswith("*") and p.count("*") == 1 else 1)
                    best = max(best, (rank, len(p)))
            elif isinstance(m, PathRegexpMatcher):
                best = max(best, (0, len(m.pattern)))
    return best


def parting(a: list[Route], b: list[Route]) -> int:
    """The index where two chains of routes stop sharing routes."""
    i = 0
    while i < min(len(a), len(b)) and a[i] is b[i]:
        i += 1
    return i


def _ends_at(spot: Spot, chosen_chain: list[Route], server: Server, original: Request) -> bool:
    """Whether the handshake, run from where the spot's routes part from the chosen ones, ends at the
    spot's reverse_proxy: a `respond` written in the same block answers first (Caddy's directive order),
    and moving that block ahead would only move the wrong answer (and the next lint would move it back)."""
    k = parting(chosen_chain, spot.chain)
    if k >= len(spot.chain):
        return True
    alone = Server(server.name, list(server.listen), [spot.chain[k]])
    out = Router(alone).run(original.copy())
    return out.kind == "proxy" and out.handler is spot.handler


def tests_handshake(chain: list[Route]) -> bool:
    """A chain whose matchers look for the WebSocket handshake (its Upgrade or Connection header)."""
    for sets in chain_sets(chain):
        for m in positive_matchers(sets):
            if isinstance(m, HeaderMatcher) and any(
                f.lower() in ("upgrade", "connection") and v is not None for f, v in m.fields.items()
            ):
                return True
            if isinstance(m, HeaderRegexpMatcher) and any(f.lower() in ("upgrade", "connection") for f in m.fields):
                return True
    return False


def _fixed_pattern(p: str, path: str) -> str | None:
    """The pattern as its author meant it, when it misses the path only by Caddy's exactness."""
    low, x = p.lower(), path.lower()
    if not low.startswith("/") or low == "/" or "*" in low.rstrip("*"):
        return None
    if "*" not in low:
        base = low.rstrip("/")
        if x.startswith(base + "/"):
            return p.rstrip("/") + "/*"
        if x.rstrip("/") == base:
            return p.rstrip("/") + "*"
        return None
    if low.endswith("/*") and x == low[:-2]:
        return p[:-2] + "*"
    return None


@dataclass
class SpotMiss:
    """A reverse_proxy written for the path that the handshake misses, and the line to change."""

    spot: Spot
    kind: MissKind
    reason: str
    cause: Source | None
    rewrite: Rewrite | None = None
    # the directive of a rewrite that ran first (try_files, uri, rewrite)
    origin: str = ""


@dataclass(frozen=True)
class Target:
    """A server an endpoint's handshake is tried in, and for an endpoint without a host, one of its sites."""

    server: Server
    note: str | None = None
    site: Site | None = None


class CaddySimulator(ProxySimulator[Target]):
    """Declared endpoints through Caddy: the server by port, the site by Host, its routes in directive order.
    A result names its alternatives as the run finds them (they decide the repair it offers)."""

    def __init__(self, model: CaddyModel, routes: dict[int, ModelRoute]) -> None:
        self.model = model
        self.routes = routes
        self.clients = model.options.clients
        # spots by server, by site and by handler: scanning every spot for every result made a
        # configuration of many sites quadratic (1,000 sites took 39 s)
        self._by_server: dict[int, list[Spot]] = {}
        self._by_site: dict[tuple[int, int], list[Spot]] = {}
        self._by_handler: dict[tuple[int, int], list[Spot]] = {}
        self._site_index: dict[int, dict[int, int]] = {}
        for spot in model.spots:
            self._by_server.setdefault(id(spot.server), []).append(spot)
            self._by_site.setdefault((id(spot.server), id(spot.site)), []).append(spot)
            self._by_handler.setdefault((id(spot.server), id(spot.handler)), []).append(spot)

    def route_of(self, spot: Spot) -> ModelRoute | None:
        return self.routes.get(id(spot))

    def spot_for(self, server: Server, site: Site | None, handler: object) -> Spot | None:
        for s in self._by_handler.get((id(server), id(handler)), ()):
            if site is None or s.site is site:
                return s
        return None

    # -- one handshake ------------------------------------------------------------------------

    def servers_for(self, ep: Endpoint) -> tuple[list[Server], str | None]:
        servers = [s for s in self.model.app.servers if not (s.automatic and not ep.host)]
        port = ep.effective_port
        on_port = [s for s in servers if port in s.ports()]
        if on_port:
            return on_port[:1], None
        users = [s for s in servers if not s.automatic]
        return users, (
            f"no server listens on port {port}; every server is considered, as behind a port mapping"
            if port is not None
            else None
        )

    def targets(self, endpoint: Endpoint) -> list[Target]:
        servers, note = self.servers_for(endpoint)
        if endpoint.host is None:
            return [Target(server, note, site) for server in servers for site in server.sites]
        return [Target(server, note) for server in servers]

    def run(self, endpoint: Endpoint, client: Client, target: Target) -> EndpointResult:
        return self.handshake(endpoint, client, target.server, target.note, target.site)

    def handshake(
        self, ep: Endpoint, client: Client, server: Server, note: str | None, site_hint: Site | None
    ) -> EndpointResult:
        tls = ep.tls
        port = ep.effective_port or 80
        if site_hint is not None:
            host = sample_host(site_hint)
            port_here = next(iter(sorted(server.ports())), port)
            host_header = host if port_here in (80, 443) else f"{host}:{port_here}"
            tls = server.tls
            port = port_here
        else:
            host_header = ep.host_header or "app.example.test"
        decoded = unquote(ep.path)
        req = client_request(client, host_header, decoded, ep.query, tls, port)
        if escape_path(decoded) != ep.path:
            req.raw_path = ep.path
        steps: list[TraceStep] = []
        uncertain: list[str] = []
        if note:
            steps.append(TraceStep(note, None))
        first_site = server.sites[0] if server.sites else None
        where = first_site.source if first_site is not None else None
        listens = ", ".join(server.listen)
        if server.automatic:
            steps.append(TraceStep(f"automatic HTTPS listens on {listens} and redirects plain HTTP to HTTPS", where))
        else:
            steps.append(
                TraceStep(f"the server on {listens} receives the {'TLS' if tls else 'plain'} connection", where)
            )
        if ep.host is None and site_hint is None:
            uncertain.append("the endpoint has no host: which site answers cannot be known")
        if server.tls != tls and not server.automatic:
            return self._tls_mismatch(ep, client, server, steps, uncertain, tls, site_hint)
        router = self.model.router(server)
        out = router.run(req.copy())
        listener = self._listener(server, out.site or site_hint)
        if out.site is not None:
            steps.append(
                TraceStep(
                    f"site {out.site.label} matches Host {req.hostname}"
                    if out.site.hosts
                    else f"site {out.site.label}",
                    out.site.source,
                )
            )
        steps.extend(out.steps)
        uncertain.extend(out.uncertain)
        return self._result(ep, client, server, out, listener, steps, uncertain, req)

    def _listener(self, server: Server, site: Site | None) -> Listener | None:
        if site is None:
            return None
        index = self._site_index.get(id(server))
        if index is None:
            index = self._site_index[id(server)] = {id(s): i for i, s in enumerate(server.sites)}
        idx = index.get(id(site))
        if idx is None:
            return None
        return self.model.listeners.get((server.name, idx))

    def _tls_mismatch(
        self,
        ep: Endpoint,
        client: Client,
        server: Server,
        steps: list[TraceStep],
        uncertain: list[str],
        tls: bool,
        site: Site | None,
    ) -> EndpointResult:
        listener = self._listener(server, site or (server.sites[0] if server.sites else None))
        if server.tls:
            steps.append(TraceStep("the server speaks TLS: Caddy answers a plain request with 400", None))
            kind: EndpointOutcome = "local"
            status: int | None = 400
            reason: Reason = "plain-to-tls"
        else:
            steps.append(TraceStep("the server speaks plain HTTP: the TLS handshake fails", None))
            kind, status, reason = "error", None, "tls-to-plain"
        return EndpointResult(
            endpoint=ep,
            client=client.name,
            listener=listener,
            route=None,
            outcome=kind,
            status=status,
            location=None,
            upstream=None,
            backend_path=None,
            handshake=None,
            steps=tuple(steps),
            cause=server.sites[0].source if server.sites else None,
            reason=reason,
            certain=not uncertain,
            uncertain=tuple(uncertain),
            path_cause=None,
            server_cause=server.sites[0].source if server.sites else None,
        )

    def _result(
        self,
        ep: Endpoint,
        client: Client,
        server: Server,
        out: Outcome,
        listener: Listener | None,
        steps: list[TraceStep],
        uncertain: list[str],
        original: Request,
    ) -> EndpointResult:
        spot = self.spot_for(server, out.site, out.handler) if out.kind == "proxy" else None
        route = self.route_of(spot) if spot is not None else None
        base: dict[str, object] = dict(
            endpoint=ep,
            client=client.name,
            listener=listener,
            server_cause=out.site.key_sources[0] if out.site is not None else None,
        )
        path_cause = out.path_cause
        path_kind = out.path_cause_kind
        better, near, elsewhere = self.explain(server, out, original, spot)
        extra: dict[str, object] = dict(
            better_routes=tuple(r for r in (self.route_of(s) for s in better) if r is not None),
            misses=tuple(
                Miss(route, m.kind, m.reason, m.cause) for m in near if (route := self.route_of(m.spot)) is not None
            ),
            elsewhere=tuple(r for r in (self.route_of(s) for s in elsewhere) if r is not None),
        )
        rewrite = next((m.rewrite for m in near if m.rewrite is not None), None)
        reasons: list[str] = []
        for b in better:
            why, fix = self.why_later(out.chain, b)
            how = (
                "tests its path more precisely"
                if precision(b.chain, original) > precision([r for r in out.chain if not is_site_route(r)], original)
                else "is the one that looks for WebSocket handshakes"
            )
            reasons.append(f"{how}: {why}")
            if fix is not None and rewrite is None:
                rewrite = fix
        extra["better_reasons"] = tuple(r for r, b in zip(reasons, better, strict=True) if self.route_of(b) is not None)
        if near and rewrite is None and near[0].kind == "rewritten" and near[0].origin == "try_files":
            rewrite = self.scoped_try_files(out, near[0].spot)
        if not better and not near and elsewhere and ep.host is not None:
            rewrite = self.add_host(elsewhere[0], ep, out.site)
            if base.get("server_cause") is None:
                base["server_cause"] = elsewhere[0].site.key_sources[-1]
        if out.kind == "proxy" and spot is not None and route is not None and out.request is not None:
            hs, target = proxy_request(spot.handler, out.request, client)
            uncertain = [*uncertain, *_unfollowed(spot.handler, out.request)]
            steps.append(
                TraceStep(
                    f"reverse_proxy to {route.upstream.url if route.upstream else '?'} with path {target}",
                    spot.handler.source,
                )
            )
            if route.upstream is not None and route.upstream.group is not None:
                hc = route.upstream.group.health_check
                if hc is not None:
                    steps.append(
                        TraceStep(
                            f"health_uri {hc.path}: Caddy sends GET {hc.path} to each upstream and answers 503 while "
                            "none passes",
                            hc.source,
                        )
                    )
            return EndpointResult(
                route=route,
                outcome="proxied",
                status=None,
                location=None,
                upstream=route.upstream.url if route.upstream else None,
                backend_path=target,
                handshake=hs,
                steps=tuple(steps),
                cause=route.source,
                reason="proxied",
                certain=not uncertain,
                uncertain=tuple(dict.fromkeys(uncertain)),
                path_cause=path_cause if target.split("?", 1)[0] != original.escaped_path else None,
                path_cause_kind=path_kind if target.split("?", 1)[0] != original.escaped_path else None,
                path_cause_text=out.path_cause_text if target.split("?", 1)[0] != original.escaped_path else None,
                rewrite=rewrite,
                **base,  # type: ignore[arg-type]
                **extra,  # type: ignore[arg-type]
            )
        kind: EndpointOutcome
        handler = out.handler
        cause = handler.source if handler is not None else None
        cause_text = self.model.text_of(cause).split("\n", 1)[0] if cause is not None else None
        status = out.status
        location = out.location
        reason: Reason
        if out.kind == "respond" and status in REDIRECTS and location:
            kind = "redirect"
            reason = "auto-https" if server.automatic or _auto(handler) else "redir"
            steps.append(TraceStep(f"answers {status} with Location {location}", cause))
            if reason == "redir" and rewrite is None:
                rewrite = self.exempt_websockets(cause)
        elif out.kind == "respond":
            kind, reason = "local", "return"
            steps.append(TraceStep(f"respond answers {status}", cause))
        elif out.kind == "error":
            kind, reason = "local", "return"
            steps.append(TraceStep(f"error answers {status}", cause))
        elif out.kind == "abort":
            kind, reason = "local", "return"
            steps.append(TraceStep("abort closes the connection without an answer", cause))
        elif out.kind == "file":
            tried = next((r for r in reversed(out.rewrites) if r[1] == "try_files"), None)
            if tried is not None and status == 200:
                kind, reason = "local", "try-files"
                cause = tried[0]
                cause_text = self.model.text_of(cause).split("\n", 1)[0] if cause is not None else None
                steps.append(TraceStep(f"file_server serves {tried[3]} (200)", handler.source if handler else None))
            else:
                kind, reason = "local", "static"
                steps.append(
                    TraceStep(
                        f"file_server finds no file {out.request.path if out.request else ''}: 404",
                        handler.source if handler else None,
                    )
                )
        elif out.site is None:
            kind, reason, status = "no-route", "no-site", 200
            steps.append(TraceStep(f"no site matches Host {original.hostname}: Caddy answers 200, empty", None))
        else:
            kind, reason, status = "local", "no-handler", 200
            cause = out.site.source
            cause_text = None
            steps.append(TraceStep("no handler answers: Caddy answers 200 with an empty body", None))
        return EndpointResult(
            route=None,
            outcome=kind,
            status=status,
            location=location,
            upstream=None,
            backend_path=None,
            handshake=None,
            steps=tuple(steps),
            cause=cause,
            reason=reason,
            certain=not uncertain,
            uncertain=tuple(dict.fromkeys(uncertain)),
            path_cause=path_cause,
            path_cause_kind=path_kind,
            path_cause_text=out.path_cause_text,
            cause_text=cause_text,
            rewrite=rewrite,
            **base,  # type: ignore[arg-type]
            **extra,  # type: ignore[arg-type]
        )

    # -- what went wrong ---------------------------------------------------------------------

    def explain(
        self, server: Server, out: Outcome, original: Request, chosen: Spot | None
    ) -> tuple[list[Spot], list[SpotMiss], list[Spot]]:
        site = out.site
        chosen_chain = [r for r in out.chain if not is_site_route(r)]
        mine = precision(chosen_chain, original) if out.kind in ("proxy", "respond", "error", "abort") else (-1, 0)
        chosen_ups = {u.dial for u in chosen.handler.upstreams} if chosen is not None else set()
        rewritten = out.request is not None and (out.request.path != original.path or bool(out.rewrites))
        better: list[Spot] = []
        near: list[SpotMiss] = []
        elsewhere: list[Spot] = []
        # another site's reverse_proxy matters only when this site did not proxy the handshake
        own_site_only = site is not None and out.kind == "proxy"
        candidates = (
            self._by_site.get((id(server), id(site)), []) if own_site_only else self._by_server.get(id(server), [])
        )
        for spot in candidates:
            if spot is chosen:
                continue
            if {u.dial for u in spot.handler.upstreams} == chosen_ups and chosen is not None:
                continue
            same_site = site is not None and spot.site is site
            own = chain_matches(spot.chain, original)
            if same_site:
                if own is True:
                    if rewritten and out.request is not None and chain_matches(spot.chain, out.request) is not True:
                        near.append(self._rewrite_miss(spot, out, original))
                        continue
                    if (
                        precision(spot.chain, original) > mine
                        or (out.kind in ("respond", "error", "abort") and tests_handshake(spot.chain))
                    ) and _ends_at(spot, out.chain, server, original):
                        better.append(spot)
                    continue
                if own is False and (chosen is None or _rank(self.route_of(spot)) >= _rank(self.route_of(chosen))):
                    miss = self._path_miss(spot, original)
                    if miss is not None:
                        near.append(miss)
                continue
            if (
                (site is None or out.kind != "proxy")
                and own is True
                and precision(spot.chain, original)[0] >= 0
                and spot.site is not site
            ):
                elsewhere.append(spot)
        return better, near, elsewhere

    def _rewrite_miss(self, spot: Spot, out: Outcome, original: Request) -> SpotMiss:
        src, origin, before, after = out.rewrites[0] if out.rewrites else (None, "rewrite", original.path, "?")
        name = self.route_of(spot).name if self.route_of(spot) is not None else "reverse_proxy"  # type: ignore[union-attr]
        early = origin in EARLY
        why = (
            f"`{self.model.text_of(src).split(chr(10), 1)[0] or origin}` rewrites {before} to {after} before "
            f"`{name}` is tried"
            + (
                f": Caddy runs {origin} before reverse_proxy and handle, whatever the order in the file"
                if early
                else ""
            )
        )
        return SpotMiss(spot, "rewritten", why, src, origin=origin)

    def _path_miss(self, spot: Spot, original: Request) -> SpotMiss | None:
        for sets in chain_sets(spot.chain):
            for s in sets:
                for m in s.matchers:
                    if not isinstance(m, PathMatcher):
                        continue
                    if match_path(m.patterns, original) is not False:
                        continue
                    for i, p in enumerate(m.patterns):
                        fixed = _fixed_pattern(p, original.path)
                        if fixed is None:
                            continue
                        if not self._would_match(spot, m, fixed, original):
                            continue
                        src = m.pattern_sources[i] if i < len(m.pattern_sources) else m.source
                        why = (
                            f"`{p}` matches only the path {p} itself (Caddy path matchers are exact unless they end in "
                            f"`*`), and the client requests {original.path}"
                            if "*" not in p
                            else f"`{p}` needs more after {p[:-1]}, and the client requests {original.path}"
                        )
                        return SpotMiss(spot, "exact-path", why, src, Rewrite(src, fixed) if src is not None else None)
        return None

    def _would_match(self, spot: Spot, target: PathMatcher, fixed: str, req: Request) -> bool:
        patched: list[Route] = []
        for r in spot.chain:
            sets: list[MatcherSet] = []
            for s in r.match:
                ms = [
                    PathMatcher("path", m.source, [fixed], m.pattern_sources) if m is target else m for m in s.matchers
                ]
                sets.append(MatcherSet(ms, s.source, s.label))
            patched.append(Route(sets, r.handlers, r.group, r.terminal, r.directive, r.source, r.keyword))
        return chain_matches(patched, req) is True

    # -- fixes ----------------------------------------------------------------------------------

    def why_later(self, chosen_chain: list[Route], better: Spot) -> tuple[str, Rewrite | None]:
        """Why the better route runs after the chosen one, and a rewrite that puts it first."""
        i = parting(chosen_chain, better.chain)
        if i >= len(chosen_chain) or i >= len(better.chain):
            return "Caddy runs the other route first", None
        parent = chosen_chain[i - 1] if i > 0 else None
        mine, theirs = chosen_chain[i], better.chain[i]
        if self.model.caddyfile is None:
            # Caddy's JSON: routes run in the order written
            return "Caddy runs routes in the order they are written, and the first matching handler answers", None
        unsorted = parent is not None and parent.keyword == "route"
        if unsorted:
            return (
                "inside `route { }` Caddy keeps the written order, and the first matching handler answers",
                self.swap(mine, theirs),
            )
        if mine.directive == theirs.directive:
            return (
                f"Caddy sorts sibling `{mine.keyword}` directives by the length of a single path matcher only; "
                "these keep the written order",
                self.swap(mine, theirs),
            )
        why = (
            f"Caddy runs `{mine.keyword or mine.directive}` before `{theirs.keyword or theirs.directive}` "
            "(its fixed directive order), whatever the order in the file"
        )
        if theirs.keyword == "reverse_proxy" and mine.directive == "handle" and len(better.chain) == i + 1:
            return why, self.wrap_in_handle(theirs)
        return why, None

    def swap(self, first: Route, second: Route) -> Rewrite | None:
        """One edit that writes `second` before `first` (both in one block, `first` above)."""
        a, b = first.source, second.source
        if a is None or b is None or a.path != b.path or a.end_line is None or b.end_line is None:
            return None
        if (b.line, b.column or 0) < (a.line, a.column or 0):
            return None
        lines = self.model.texts.get(a.path, "").split("\n")
        if not 0 < a.line <= b.end_line <= len(lines) or a.column is None or b.end_column is None:
            return None
        whole = Source(a.path, a.line, a.column, b.end_line, b.end_column)
        region = _raw(lines, whole)
        raw_a, raw_b = _raw(lines, a), _raw(lines, b)
        middle = region[len(raw_a) : len(region) - len(raw_b)]
        indent = _indent_of(lines[a.line - 1])
        new = (raw_b + middle + raw_a).split("\n")
        body = [new[0]] + [ln[len(indent) :] if ln.startswith(indent) else ln.lstrip() for ln in new[1:]]
        return Rewrite(whole, "\n".join(body))

    def wrap_in_handle(self, r: Route) -> Rewrite | None:
        """A bare `reverse_proxy <matcher> ...` as `handle <matcher> { reverse_proxy ... }`: sibling handle
        blocks are sorted by path, so the more precise one then runs first."""
        if r.source is None or not r.match:
            return None
        text = self.model.text_of(r.source)
        head, _, rest_lines = text.partition("\n")
        words = head.split()
        if len(words) < 3:
            return None
        matcher = words[1]
        rest = head[head.index(matcher) + len(matcher) :].strip()
        unit = _unit(self.model.texts.get(r.source.path, ""), r.source.line)
        body = [f"reverse_proxy {rest}", *(rest_lines.split("\n") if rest_lines else [])]
        inner = "\n".join(unit + ln if ln else ln for ln in body)
        return Rewrite(r.source, f"handle {matcher} {{\n{inner}\n}}")

    def scoped_try_files(self, out: Outcome, miss: Spot) -> Rewrite | None:
        """try_files as a rewrite that leaves the proxied paths alone (try_files takes no matcher)."""
        src, origin, _, _ = out.rewrites[0] if out.rewrites else (None, "", "", "")
        if src is None or origin != "try_files":
            return None
        text = self.model.text_of(src)
        if "\n" in text or "?" in text:
            return None
        files = text.split()[1:]
        patterns: list[str] = []
        for sets in chain_sets(miss.chain):
            for ms in sets:
                for m in ms.matchers:
                    if not isinstance(m, PathMatcher) or len(ms.matchers) != 1:
                        return None
                    patterns.extend(m.patterns)
            if len(sets) != 1:
                return None
        if not patterns or not files:
            return None
        unit = _unit(self.model.texts.get(src.path, ""), src.line)
        name = self._matcher_name("try_files", src)
        return Rewrite(
            src,
            f"@{name} {{\n"
            f"{unit}not path {' '.join(patterns)}\n"
            f"{unit}file {' '.join(files)}\n"
            "}\n"
            f"rewrite @{name} {{http.matchers.file.relative}}",
        )

    def exempt_websockets(self, src: Source | None) -> Rewrite | None:
        """The redirect kept for pages only: a named matcher that leaves WebSocket handshakes out."""
        if src is None:
            return None
        text = self.model.text_of(src)
        if "\n" in text:
            return None
        words = text.split()
        if len(words) < 2 or words[0] != "redir" or words[1].startswith("@"):
            return None
        test = "not header_regexp Upgrade (?i)^websocket$"
        name = self._matcher_name("not_websocket", src)
        if words[1] == "*" or words[1].startswith("/"):
            if len(words) < 3:
                return None
            unit = _unit(self.model.texts.get(src.path, ""), src.line)
            rest = text.split(None, 2)[2]
            head = "" if words[1] == "*" else f"{unit}path {words[1]}\n"
            return Rewrite(src, f"@{name} {{\n{head}{unit}{test}\n}}\nredir @{name} {rest}")
        rest = text.split(None, 1)[1]
        return Rewrite(src, f"@{name} {test}\nredir @{name} {rest}")

    def _matcher_name(self, name: str, src: Source) -> str:
        """`name`, or `name_LINE` when the file already defines it or another line may get the same fix: Caddy
        refuses a matcher defined twice in a site ("matcher is defined more than once")."""
        text = self.model.texts.get(src.path, "")
        directive = self.model.text_of(src).split(None, 1)[0]
        others = sum(1 for line in text.split("\n") if line.split(None, 1)[:1] == [directive])
        if f"@{name}" not in text and others <= 1:
            return name
        # a line number alone is not unique: an earlier fix that inserted lines may have named a matcher
        # after the line this directive has moved to
        candidate, n = f"{name}_{src.line}", 1
        while candidate in self.model.matcher_names:
            n += 1
            candidate = f"{name}_{src.line}_{n}"
        return candidate

    def add_host(self, spot: Spot, ep: Endpoint, selected: Site | None) -> Rewrite | None:
        """The endpoint's host added to the addresses of the site that has the route; none when the site that
        selects the host names it (Caddy refuses one address in two sites: "ambiguous site definition")."""
        site = spot.site
        if not site.key_sources or not site.keys or ep.host is None:
            return None
        if selected is not None and ep.host.lower() in (h.lower() for h in selected.hosts):
            return None
        last_key, src = site.keys[-1], site.key_sources[-1]
        scheme, sep, rest = last_key.rpartition("://")
        hostport, slash, path = rest.partition("/")
        if not hostport:
            # an address wslint cannot take apart (`//host:port`): no edit rather than a wrong one
            return None
        port = hostport.rsplit(":", 1)[1] if hostport.count(":") == 1 else ""
        new = (scheme + sep if sep else "") + ep.host + (f":{port}" if port else "") + (slash + path if slash else "")
        if new in site.keys:
            return None
        return Rewrite(src, f"{last_key}, {new}")


def _raw(lines: list[str], src: Source) -> str:
    if src.end_line is None or src.column is None or src.end_column is None:
        return ""
    if src.line == src.end_line:
        return lines[src.line - 1][src.column - 1 : src.end_column - 1]
    parts = [lines[src.line - 1][src.column - 1 :], *lines[src.line : src.end_line - 1]]
    parts.append(lines[src.end_line - 1][: src.end_column - 1])
    return "\n".join(parts)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _unit(text: str, line: int) -> str:
    """One level of indentation as the file writes it."""
    lines = text.split("\n")
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    return "\t" if here.startswith("\t") or "\n\t" in text else "    "


def _unfollowed(rp: ReverseProxy, req: Request) -> list[str]:
    """What wslint does not follow about the proxied request: a method other than GET (`method`, or
    reverse_proxy's own `method`: whether the upstream upgrades it is its business), `handle_response`
    routes that take over the upstream's answer."""
    out: list[str] = []
    method = req.method
    if rp.rewrite is not None and rp.rewrite.method:
        try:
            method = req.replace_all(rp.rewrite.method).upper()
        except Unknown:
            method = rp.rewrite.method
    if method != "GET":
        out.append(f"what the upstream does with a {method} handshake (it is sent with that method)")
    if rp.handle_response is not None:
        out.append(f"what the handle_response routes at {rp.handle_response} do with the upstream's answer")
    return out


def _auto(handler: object) -> bool:
    return isinstance(handler, StaticResponse) and handler.name == "automatic_https"


def _rank(route: ModelRoute | None) -> int:
    return INTENT_RANK.get(route.websocket.level, 0) if route is not None else -1
