"""What Traefik does with one WebSocket handshake: entryPoint, router, middlewares, service.

The entryPoint is the one listening on the endpoint's port (any of them when
none does, or when the static configuration is not known). On it, a TCP
router takes the connection before any HTTP router when its rule covers it
(`HostSNI(`*`)` without TLS takes every plain connection). Otherwise the HTTP
routers for that kind of connection (TLS routers only see TLS connections,
the others only plain ones) are tried by priority (explicit, or the rule's
length), highest first; the first whose rule matches takes the request.
Routers of equal priority that both match are ordered arbitrarily by Traefik,
so such a choice is uncertain. Then the router's middlewares run in order
(entryPoint middlewares first), and the service receives the request.

Beside the verdict, each result names the routers the handshake was probably
meant for: `better_routes` (they match, but a router with less WebSocket
evidence and another service outranks them) and `near_misses` (they would
match but for a mistake: a port in `Host`, a `tls` section while the client
connects without TLS, an entryPoint the client does not use).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from wslint.clients import Client
from wslint.declare import ProxySimulator
from wslint.endpoints import Endpoint
from wslint.model import (
    INTENT_RANK,
    EndpointResult,
    HealthCheck,
    Miss,
    MissKind,
    Rewrite,
    Route,
    Source,
    TraceStep,
    UpstreamTarget,
)
from wslint.traefik.build import (
    EntryPoint,
    LoadedRouter,
    LoadedTcp,
    RefusedRule,
    TraefikModel,
    client_headers,
    matches,
    positive_matchers,
    routing_path,
    sanitize_path,
    served_path,
)
from wslint.traefik.chain import Request, run_chain
from wslint.traefik.intended import (
    base_paths,
    corrected,
    corrections,
    first_match,
    name_says_socket,
    servers,
    socket_evidence,
    under_bases,
)
from wslint.traefik.matchers import SimRequest, evaluate, go_regex, host_v3, match_v2, match_v3
from wslint.traefik.ruleparse import BinOp, Expr, Matcher, Not
from wslint.traefik.v2to3 import matcher_v3

HOST_MATCHERS = ("Host", "HostRegexp", "HostHeader")
# what WebSocket-only servers answer a plain request
SOCKET_ANSWERS = ("400", "404", "426")


def _host(endpoint: Endpoint) -> str:
    return (endpoint.host or "").lower()


def _sim(
    endpoint: Endpoint, client: Client, tls: bool, forwarded_proto: str | None = None, sanitize: bool = True
) -> SimRequest:
    host_header = endpoint.host_header or "app.example.test"
    headers = client_headers(client, host_header, tls, forwarded_proto, endpoint.tls)
    return SimRequest(
        host=_host(endpoint),
        path=routing_path(endpoint.path, sanitize),
        query=endpoint.query,
        headers={k: tuple(v) for k, v in headers.items()},
        tls=tls,
    )


def _without_ports(expr: Expr) -> Expr:
    """The rule as its author meant it: Host matchers without the port Traefik never sees."""
    if isinstance(expr, Matcher):
        if expr.name in ("Host", "HostHeader") and any(":" in a for a in expr.args):
            return Matcher(expr.name, tuple(a.split(":")[0] for a in expr.args), expr.start, expr.end)
        return expr
    if isinstance(expr, Not):
        return Not(_without_ports(expr.expr))
    return BinOp(expr.op, _without_ports(expr.left), _without_ports(expr.right))


def _templates_as_v2(expr: Expr, req: SimRequest) -> bool | None:
    """The rule as a v2 author meant it: `{id}` templates in Path/PathPrefix as gorilla patterns."""
    if isinstance(expr, Matcher):
        if expr.name in ("Path", "PathPrefix") and "{" in expr.args[0]:
            return match_v2(expr, req)
        return match_v3(expr, req)
    if isinstance(expr, Not):
        inner = _templates_as_v2(expr.expr, req)
        return None if inner is None else not inner
    left, right = _templates_as_v2(expr.left, req), _templates_as_v2(expr.right, req)
    if expr.op == "and":
        return False if False in (left, right) else (None if None in (left, right) else True)
    return True if True in (left, right) else (None if None in (left, right) else False)


def adds_slash(location: str, req: Request) -> bool:
    """Whether a redirect only adds a trailing slash to the request's path (same scheme, host and query)."""
    new = urlsplit(location)
    old = urlsplit(f"{req.scheme}://{req.host_header}{req.request_uri}")
    if not old.path or old.path.endswith("/") or new.path != old.path + "/":
        return False
    return (new.scheme, new.netloc.lower(), new.query) == (old.scheme, old.netloc.lower(), old.query)


def _rank(route: Route | None) -> int:
    return INTENT_RANK.get(route.websocket.level, 0) if route is not None else -1


@dataclass(frozen=True)
class Target:
    """An entryPoint an endpoint's handshake is tried on."""

    entry_point: EntryPoint
    # why every entryPoint is checked (none listens on the endpoint's port)
    note: str | None = None


class TraefikSimulator(ProxySimulator[Target]):
    """Declared endpoints through Traefik: the entryPoint by port, TCP routers first, then the routers by
    priority, their middlewares and service. A result names its near misses and better routers as the run
    finds them (a miss's line is the cause of a 404)."""

    balancers = frozenset({"tls-balancer"})

    def __init__(self, b: TraefikModel) -> None:
        self.b = b
        self.clients = b.options.clients
        self.route_of: dict[tuple[str, str], Route] = {}
        for route in b.routes:
            router, ep = b.placed[route.id]
            self.route_of[(router.name, ep.name)] = route

    # -- which entryPoint ---------------------------------------------------------------

    def entry_points(self, endpoint: Endpoint) -> tuple[list[EntryPoint], str | None]:
        eps = self.b.entry_points
        if len(eps) == 1 and eps[0].spec is None:
            return eps, None
        if endpoint.via is not None:
            # a balancer that ends TLS connects to a plain entryPoint, on port 80 unless the endpoint says
            plain = [e for e in eps if e.spec is not None and not e.spec.tls]
            behind = endpoint.via_port or 80
            on_port = [e for e in plain if e.spec is not None and e.spec.port == behind]
            if on_port:
                return on_port[:1], None
            return plain or eps, f"no plain entryPoint listens on port {behind}, where the balancer connects"
        port = endpoint.effective_port
        on_port = [e for e in eps if e.spec is not None and e.spec.port == port]
        if on_port:
            return on_port[:1], None
        return eps, f"no entryPoint listens on port {port}; each entryPoint is checked"

    # -- one handshake ---------------------------------------------------------------------

    def ordered(self, ep: EntryPoint, tls: bool) -> list[LoadedRouter]:
        routers = [r for r in self.b.routers if self.b.attached(r, ep) and self.b.tls_of(r, ep) == tls]
        # highest priority first; the name only makes wslint's order deterministic
        return sorted(routers, key=lambda r: (-r.priority, r.name))

    def tcp_taker(self, ep: EntryPoint, endpoint: Endpoint) -> tuple[LoadedTcp | None, bool]:
        """A TCP router on the entryPoint that takes the connection (and whether that is certain)."""
        for tcp in self.b.tcp:
            if ep.name != "*" and ep.name not in tcp.entry_points:
                continue
            if tcp.expr is None:
                continue
            if not endpoint.tls_to_proxy:
                if tcp.spec.tls:
                    continue
                covers = self._tcp_plain(tcp.expr)
                if covers is not False:
                    return tcp, covers is True
            elif tcp.spec.tls:
                covers = self._tcp_sni(tcp.expr, _host(endpoint))
                if covers is not False:
                    return tcp, covers is True
        return None, True

    def _tcp_plain(self, expr: Expr) -> bool | None:
        """Without TLS there is no SNI: only `HostSNI(`*`)` (and ClientIP) rules can match."""
        if isinstance(expr, Matcher):
            if expr.name == "HostSNI":
                return expr.args[0] == "*"
            if expr.name == "ClientIP":
                return None
            return False
        if isinstance(expr, Not):
            inner = self._tcp_plain(expr.expr)
            return None if inner is None else not inner
        left, right = self._tcp_plain(expr.left), self._tcp_plain(expr.right)
        if expr.op == "and":
            return False if False in (left, right) else (None if None in (left, right) else True)
        return True if True in (left, right) else (None if None in (left, right) else False)

    def _tcp_sni(self, expr: Expr, host: str) -> bool | None:
        if isinstance(expr, Matcher):
            if expr.name == "HostSNI":
                return host_v3(expr.args[0], host)
            if expr.name == "HostSNIRegexp":
                rx = go_regex(expr.args[0])
                return None if rx is None else rx.search(host) is not None
            return None
        if isinstance(expr, Not):
            inner = self._tcp_sni(expr.expr, host)
            return None if inner is None else not inner
        left, right = self._tcp_sni(expr.left, host), self._tcp_sni(expr.right, host)
        if expr.op == "and":
            return False if False in (left, right) else (None if None in (left, right) else True)
        return True if True in (left, right) else (None if None in (left, right) else False)

    def targets(self, endpoint: Endpoint) -> list[Target]:
        eps, note = self.entry_points(endpoint)
        return [Target(ep, note) for ep in eps]

    def check_fails_on_socket(self, check: HealthCheck) -> bool:
        # healthy is a 2xx or 3xx answer, or exactly the `status` configured
        return check.expect is None or check.expect not in SOCKET_ANSWERS

    def may_declare(self, result: EndpointResult) -> bool:
        # a TCP router's bytes are no HTTP route's
        return result.outcome == "proxied" and result.reason != "tcp-router"

    def run(self, endpoint: Endpoint, client: Client, target: Target) -> EndpointResult:
        result = self.handshake(endpoint, client, target.entry_point, target.note)
        return self.unseen(self.intended(result, endpoint, client, target.entry_point))

    def intended(self, result: EndpointResult, endpoint: Endpoint, client: Client, ep: EntryPoint) -> EndpointResult:
        """A handshake proxied by a catch-all or host-only router while a router plainly written for it misses
        it by one detail (see traefik/intended.py): that router, as `elsewhere` (it needs another host) or as
        a miss."""
        route = result.route
        if result.outcome != "proxied" or not result.certain or result.misses or result.better_routes:
            return result
        if route is None or route.id not in self.b.placed:
            return result
        landed, _ = self.b.placed[route.id]
        bases = base_paths(landed)
        if (
            bases is None
            or landed.intent.level in ("explicit", "declared")
            or name_says_socket(landed.spec.name)
            or (landed.service is not None and name_says_socket(landed.service.name))
        ):
            return result
        tls = endpoint.tls_to_proxy
        sim = _sim(endpoint, client, tls, self.forwarded_proto(endpoint, ep), self._sanitizes(ep))
        routers = self.ordered(ep, tls)
        mine = servers(landed)
        for socket in routers:
            if socket is landed or socket.service is None or (socket.name, ep.name) not in self.route_of:
                continue
            evidence = socket_evidence(socket)
            theirs = servers(socket)
            if evidence is None or not theirs or theirs & mine or matches(socket, sim) is not False:
                continue
            if not under_bases(socket, bases):
                continue  # the landing router's base path is another application's, not this router's
            for c in corrections(socket, sim, sim.path, endpoint.host):
                fixed = corrected(socket, c)
                if fixed is None or first_match(routers, sim, socket, *fixed) is not socket:
                    continue
                if c.kind == "host" and self._site_of_its_own(c.matcher.args[0], routers, socket, sim):
                    continue
                target = self.route_of[(socket.name, ep.name)]
                where = socket.span(c.matcher)
                if c.kind == "host":
                    return replace(
                        result,
                        elsewhere=(target,),
                        rewrite=Rewrite(where, socket.written(c.replacement)) if where is not None else None,
                        server_cause=landed.rule_span or result.server_cause,
                        server_reason=f"`{landed.rule}` of router {landed.name} matches Host {endpoint.host}",
                    )
                why = f"router {socket.name} is written for this path ({evidence}), but {c.reason}"
                kinds: dict[str, MissKind] = {
                    "trailing-slash": "trailing-slash",
                    "exact-path": "exact-path",
                    "missing-slash": "missing-slash",
                }
                kind = kinds.get(c.kind, "v2-host-template")
                return replace(result, misses=(Miss(target, kind, why, where, socket.written(c.replacement)),))
        return result

    def _site_of_its_own(self, host: str, routers: list[LoadedRouter], socket: LoadedRouter, sim: SimRequest) -> bool:
        """Whether a host has an application router of its own (one that selects that site and no socket path):
        then the socket router belongs to that application, not to the client's."""
        page = SimRequest(host.lower(), "/", "", sim.headers, sim.method, sim.tls)
        for r in routers:
            if r is socket or socket_evidence(r) is not None:
                continue
            sited = any(
                m.name in ("Host", "HostRegexp", "HostHeader") for m, neg in positive_matchers(r.expr) if not neg
            )
            if sited and matches(r, page) is not False:
                return True
        return False

    def unseen(self, result: EndpointResult) -> EndpointResult:
        """A result that says the handshake finds no router or the wrong one is not certain while a router
        source the static configuration enables was not read: a router there could take it."""
        unread = self.b.inp.unread
        if not unread or not (
            result.outcome == "no-route" or result.misses or result.elsewhere or result.better_routes
        ):
            return result
        why = [f"{u.what} was not read ({u.reason}): a router there could take the handshake" for u in unread]
        return replace(result, certain=False, uncertain=(*result.uncertain, *why))

    def _sanitizes(self, ep: EntryPoint) -> bool:
        return ep.spec is None or ep.spec.sanitize_path

    def _unmodelled(self, endpoint: Endpoint, ep: EntryPoint) -> list[str]:
        """What makes every handshake on this entryPoint one wslint cannot follow."""
        out = list(self.b.inp.static.unmodelled) if self.b.inp.static is not None else []
        spec = ep.spec
        if spec is not None and spec.proxy_protocol:
            out.append(f"{ep.label} expects the PROXY protocol from trusted clients, which wslint does not model")
        refused = [c for c in (spec.refused_encoded if spec is not None else ()) if c in endpoint.path.lower()]
        if refused:
            out.append(f"{ep.label} refuses {', '.join(refused)} in the path (http.encodedCharacters)")
        return out

    def forwarded_proto(self, endpoint: Endpoint, ep: EntryPoint) -> str | None:
        """The X-Forwarded-Proto the routers see from a balancer in front: its own `https` when the entryPoint
        trusts it (forwardedHeaders.insecure, or trustedIPs, taken to list the balancer), else None (Traefik
        removes it and sets its own)."""
        if endpoint.via is None or ep.spec is None or ep.spec.forwarded is None:
            return None
        return "https" if ep.spec.forwarded.trusts else None

    def _trust_step(self, ep: EntryPoint, forwarded: str | None) -> TraceStep:
        fh = ep.spec.forwarded if ep.spec is not None else None
        if forwarded is not None and fh is not None:
            how = (
                "forwardedHeaders.insecure"
                if fh.insecure
                else f"forwardedHeaders.trustedIPs ({', '.join(fh.trusted_ips)})"
            )
            return TraceStep(
                f"{ep.label} trusts the balancer by {how}, assumed to include its address: X-Forwarded-Proto "
                "stays https",
                fh.source,
            )
        return TraceStep(
            f"{ep.label} trusts no forwarding hop (no forwardedHeaders.trustedIPs or insecure): Traefik removes the "
            "balancer's X-Forwarded-Proto and sets ws, as for any plain connection",
            fh.source if fh is not None else (ep.spec.source if ep.spec is not None else None),
        )

    def handshake(self, endpoint: Endpoint, client: Client, ep: EntryPoint, note: str | None) -> EndpointResult:
        steps: list[TraceStep] = []
        uncertain: list[str] = [note] if note else []
        uncertain.extend(self._unmodelled(endpoint, ep))
        tls = endpoint.tls_to_proxy
        host_header = endpoint.host_header or "app.example.test"
        where = ep.spec.source if ep.spec is not None else None
        forwarded = self.forwarded_proto(endpoint, ep)
        if endpoint.via is not None:
            steps.append(
                TraceStep(
                    f"the {endpoint.via} ends the client's TLS and connects to {ep.label} without it, sending "
                    "X-Forwarded-Proto: https",
                    where,
                )
            )
            steps.append(self._trust_step(ep, forwarded))
            if ep.spec is None:
                uncertain.append("whether the entryPoint trusts the balancer's X-Forwarded-Proto is not known")
        steps.append(TraceStep(f"{ep.label} receives the {'TLS' if tls else 'plain'} connection", where))
        if endpoint.host is None:
            uncertain.append("the endpoint has no host: Host matchers cannot be checked")
        if client.connection != "Upgrade":
            steps.append(
                TraceStep(
                    f"Traefik rewrites the client's `Connection: {client.connection}` to `Connection: Upgrade` "
                    "before routing",
                    None,
                )
            )
        base = dict(
            endpoint=endpoint,
            client=client.name,
            listener=ep.listener,
            server_cause=where or Source(self.b.inp.main, 1, 1),
        )
        tcp, sure = self.tcp_taker(ep, endpoint)
        sim = _sim(endpoint, client, tls, forwarded, self._sanitizes(ep))
        if tcp is not None:
            steps.append(
                TraceStep(
                    f"TCP router {tcp.spec.qualified} (`{tcp.spec.rule}`) takes the connection before any HTTP "
                    "router: the bytes go to its TCP service unparsed",
                    tcp.spec.rule_node.source if tcp.spec.rule_node else tcp.spec.source,
                )
            )
            if not sure:
                uncertain.append(f"whether TCP router {tcp.spec.qualified} takes this client depends on its address")
            better = next((r for r in self.ordered(ep, tls) if matches(r, sim) is True), None)
            tcp_route = self._tcp_route(tcp, ep)
            return EndpointResult(
                route=tcp_route,
                outcome="proxied",
                status=None,
                location=None,
                upstream=tcp.spec.service.name if tcp.spec.service else None,
                backend_path=None,
                handshake=None,
                steps=tuple(steps),
                cause=tcp_route.source,
                reason="tcp-router",
                certain=not uncertain,
                uncertain=tuple(uncertain),
                path_cause=None,
                better_routes=(self.route_of[(better.name, ep.name)],)
                if better is not None and (better.name, ep.name) in self.route_of
                else (),
                **base,  # type: ignore[arg-type]
            )
        chosen: LoadedRouter | None = None
        matching: list[LoadedRouter] = []
        for router in self.ordered(ep, tls):
            verdict = matches(router, sim)
            if verdict is None:
                if chosen is None:
                    uncertain.append(f"whether router {router.name} matches depends on the client's address")
                continue
            if not verdict:
                if chosen is None and router.intent.level != "none":
                    steps.append(
                        TraceStep(f"router {router.name} (priority {router.priority}) does not match", router.rule_span)
                    )
                continue
            matching.append(router)
            if chosen is None:
                chosen = router
        near = self.near_misses(endpoint, client, ep, chosen)
        if chosen is None:
            refused = self.refused_taker(ep, tls, sim)
            if refused is not None:
                steps.append(
                    TraceStep(
                        f"router {refused.spec.qualified} would take the handshake, but its rule is "
                        f"{refused.syntax} syntax and Traefik does not load it",
                        refused.source,
                    )
                )
            steps.append(TraceStep(f"no router on {ep.label} matches: Traefik answers 404", None))
            return EndpointResult(
                route=None,
                outcome="no-route",
                status=404,
                location=None,
                upstream=None,
                backend_path=None,
                handshake=None,
                steps=tuple(steps),
                cause=refused.source if refused is not None else near[0].cause if near else None,
                reason="refused-router" if refused is not None else "no-router",
                certain=not uncertain,
                uncertain=tuple(uncertain),
                path_cause=None,
                misses=near,
                **base,  # type: ignore[arg-type]
            )
        for other in self.ordered(ep, tls):
            if other is chosen or (other.priority_known and chosen.priority_known):
                continue
            if matches(other, sim) is not False:
                unknown = other if not other.priority_known else chosen
                uncertain.append(
                    f"the priority of router {unknown.name} depends on a value wslint does not know: "
                    f"{other.name if unknown is chosen else chosen.name} may come first"
                )
                break
        how = "explicit priority" if chosen.explicit_priority else "the rule's length"
        steps.append(TraceStep(f"router {chosen.name} matches (priority {chosen.priority}, {how})", chosen.rule_span))
        for other in matching[1:]:
            if other.priority == chosen.priority and (other.service, other.middlewares) != (
                chosen.service,
                chosen.middlewares,
            ):
                uncertain.append(
                    f"routers {chosen.name} and {other.name} both match with priority {chosen.priority}: "
                    "Traefik orders them arbitrarily"
                )
        uncertain.extend(chosen.unknown)
        route = self.route_of.get((chosen.name, ep.name))
        req = Request(
            scheme="https" if tls else "http",
            host_header=host_header,
            path=sanitize_path(endpoint.path) if self._sanitizes(ep) else endpoint.path,
            query=endpoint.query,
            headers=client_headers(client, host_header, tls, forwarded, endpoint.tls),
            steps=steps,
            uncertain=uncertain,
        )
        redirect = run_chain(self.b.chain_for(chosen, ep), req)
        better_routes = tuple(
            self.route_of[(r.name, ep.name)]
            for r in matching[1:]
            if (r.name, ep.name) in self.route_of
            and r.service is not None
            and (chosen.service is None or r.service.qualified != chosen.service.qualified)
            and INTENT_RANK.get(r.intent.level, 0) >= 2
            and INTENT_RANK.get(r.intent.level, 0) > INTENT_RANK.get(chosen.intent.level, 0)
        )
        common = dict(
            steps=tuple(req.steps),
            certain=not req.uncertain,
            uncertain=tuple(req.uncertain),
            better_routes=better_routes,
            misses=near,
            **base,
        )
        if redirect is not None:
            return EndpointResult(
                route=route,
                outcome="redirect",
                status=redirect.status,
                location=redirect.location,
                upstream=None,
                backend_path=None,
                handshake=None,
                cause=redirect.middleware.source,
                reason=(
                    "entrypoint-redirect"
                    if redirect.middleware.provider == "internal"
                    else "slash-redirect"
                    if adds_slash(redirect.location, req)
                    else "redirect-middleware"
                ),
                path_cause=None,
                cause_text=redirect.middleware.kind_label,
                **common,  # type: ignore[arg-type]
            )
        svc = chosen.service
        if svc is not None and svc.kind == "internal":
            status = 418 if svc.name == "noop" else None
            req.step(f"service {svc.qualified}: Traefik answers {status or 'the request itself'}", svc.source)
            return EndpointResult(
                route=route,
                outcome="local",
                status=status,
                location=None,
                upstream=None,
                backend_path=None,
                handshake=None,
                cause=(chosen.spec.service.source if chosen.spec.service else None) or svc.source,
                reason="internal",
                path_cause=None,
                cause_text=svc.qualified,
                **{**common, "steps": tuple(req.steps)},  # type: ignore[arg-type]
            )
        _, hs = self.b.handshake(chosen, ep, client, host_header, req.path, endpoint.query, tls)
        upstream = svc.urls[0] if svc is not None and svc.urls else (svc.qualified if svc else None)
        req.steps.append(
            TraceStep(f"service {svc.qualified if svc else '(unknown)'} -> {upstream}", svc.source if svc else None)
        )
        served, kept = served_path(svc, req.request_uri, self.b.options.version)
        if kept is not None and svc is not None:
            where = svc.preserve_source or svc.source
            req.step(
                f"preservePath keeps the server URL's path {kept} before the request's: the server receives {served}",
                where,
            )
            req.path_cause, req.path_cause_kind, req.path_cause_text = where, "preserve-path", "preservePath"
        common["steps"] = tuple(req.steps)
        return EndpointResult(
            route=route,
            outcome="proxied",
            status=None,
            location=None,
            upstream=upstream,
            backend_path=served,
            handshake=hs,
            cause=route.source if route is not None else chosen.spec.source,
            reason="proxied",
            path_cause=req.path_cause,
            path_cause_kind=req.path_cause_kind,
            path_cause_text=req.path_cause_text,
            **common,  # type: ignore[arg-type]
        )

    def _tcp_route(self, tcp: LoadedTcp, ep: EntryPoint) -> Route:
        from wslint.model import Action, HeaderScope, Intent, Match, TraefikRouter

        where = tcp.spec.rule_node.source if tcp.spec.rule_node else tcp.spec.source
        target = tcp.spec.service.name if tcp.spec.service else "(none)"
        return Route(
            id=f"{tcp.spec.qualified}#{ep.name}",
            proxy="traefik",
            listener=ep.listener,
            match=Match("named", tcp.spec.qualified, where),
            action=Action("proxy", where, target),
            source=where,
            block=None,
            upstream=UpstreamTarget("service", target, "http", None, False, None, where),
            websocket=Intent("none", "a TCP router"),
            handshakes=(),
            idle_timeout=None,
            header_scope=HeaderScope(None, None, None, (), None),
            noun="TCP router",
            traefik=TraefikRouter(tcp.spec.rule or ""),
        )

    def refused_taker(self, ep: EntryPoint, tls: bool, sim: SimRequest) -> RefusedRule | None:
        """The router written for this handshake that Traefik refused for its rule's syntax: the 404 is that
        refusal, which rule-syntax-mismatch reports at the rule (a second finding would say the same)."""
        for r in self.b.refused_rules:
            attached = ep.name == "*" or ep.name in r.entry_points
            served = r.spec.tls or (ep.spec is not None and ep.spec.tls)
            if attached and served == tls and evaluate(r.expr, sim, r.syntax) is True:
                return r
        return None

    def near_misses(
        self, endpoint: Endpoint, client: Client, ep: EntryPoint, chosen: LoadedRouter | None
    ) -> tuple[Miss, ...]:
        found: list[Miss] = []
        chosen_route = self.route_of.get((chosen.name, ep.name)) if chosen is not None else None
        for router in self.b.routers:
            if router is chosen or router.spec.provider == "internal" or router.service is None:
                continue
            if (
                chosen is not None
                and chosen.service is not None
                and router.service.qualified == chosen.service.qualified
            ):
                continue
            other_tls = not endpoint.tls_to_proxy
            attached = self.b.attached(router, ep)
            if (
                attached
                and self.b.tls_of(router, ep) == other_tls
                and matches(router, _sim(endpoint, client, other_tls, None, self._sanitizes(ep)))
            ):
                kind = "a `tls` section" if other_tls else "no `tls` section"
                why = (
                    f"router {router.name} has {kind}, so on {ep.label} it only serves "
                    f"{'TLS' if other_tls else 'plain'} connections, and the client connects "
                    f"{'without' if other_tls else 'with'} TLS"
                )
                self._add(found, router, ep, "tls-mismatch", why, router.spec.tls_source or router.spec.source)
                continue
            sim = _sim(endpoint, client, endpoint.tls_to_proxy, self.forwarded_proto(endpoint, ep), self._sanitizes(ep))
            if attached and self.b.tls_of(router, ep) == endpoint.tls_to_proxy and matches(router, sim) is False:
                fixed = _without_ports(router.expr)
                if fixed != router.expr and evaluate(fixed, sim, router.syntax) is True:
                    m = next(
                        m
                        for m, _ in positive_matchers(router.expr)
                        if m.name in ("Host", "HostHeader") and ":" in "".join(m.args)
                    )
                    why = (
                        f"router {router.name}'s `{m.text(router.rule)}` includes a port; Traefik compares the "
                        "Host without its port, so this matcher never matches"
                    )
                    self._add(found, router, ep, "host-has-port", why, router.span(m) or router.rule_span)
                    continue
                templated = [
                    m
                    for m, _ in positive_matchers(router.expr)
                    if m.name in ("Path", "PathPrefix") and "{" in m.args[0]
                ]
                if router.syntax == "v3" and templated and _templates_as_v2(router.expr, sim) is True:
                    m = templated[0]
                    written = matcher_v3(m.name, m.args)
                    why = (
                        f"router {router.name}'s `{m.text(router.rule)}` is a v2 path template, but Traefik v3 "
                        "compares PathPrefix and Path as plain text, braces included; write "
                        f"{written or 'PathRegexp(...)'}"
                    )
                    where = router.span(m) or router.rule_span
                    self._add(found, router, ep, "v2-path-template", why, where, written and router.written(written))
                    continue
            if (
                not attached
                and ep.name != "*"
                and matches(router, sim) is True
                and self.b.tls_of(router, ep) == endpoint.tls_to_proxy
            ):
                listed = ", ".join(router.entry_points)
                why = (
                    f"router {router.name} is attached to entryPoint {listed}, not to {ep.name}, which the client uses"
                )
                target_ep = next((e for e in self.b.entry_points if e.name in router.entry_points), ep)
                where = router.spec.entry_points[0].source if router.spec.entry_points else router.spec.source
                self._add(found, router, target_ep, "other-entrypoint", why, where)
        if chosen_route is not None:
            found = [m for m in found if _rank(m.route) >= _rank(chosen_route)]
        return tuple(found)

    def _add(
        self,
        found: list[Miss],
        router: LoadedRouter,
        ep: EntryPoint,
        kind: MissKind,
        why: str,
        cause: Source | None,
        replacement: str | None = None,
    ) -> None:
        route = self.route_of.get((router.name, ep.name)) or next(
            (r for (n, _), r in self.route_of.items() if n == router.name), None
        )
        if route is None:
            return
        found.append(Miss(route, kind, why, cause, replacement))
