"""Declared endpoints, for every proxy: simulate each client's handshake, find what it missed, mark its route.

A declared endpoint (`--ws-url`, `--ws-path`, `endpoints:`) is tried in every place the proxy could
receive it (a server, a frontend, an entryPoint, a virtual host: the simulator's *targets*), once per
client (browsers write `Connection` differently). Where a handshake lands on a route that cannot
upgrade while another route could, the simulator names the *alternatives*: routes that also match
but lose (`better_routes`), routes of other servers that would take it (`elsewhere`), routes written
for nearly this path (`misses`). The landing route is then not what the user meant, and the
endpoint rules explain the precedence instead of blaming its headers.

A route that every client's handshake reaches cleanly (proxied, no alternative, all clients on the
same route: clients that disagree are a finding of their own, and the route some of them reach is
not what the endpoint meant) becomes a WebSocket route by declaration: its handshakes become the
endpoint's own, a health check that requests the socket's path is marked, and every reference to
the route in the results (`route`, `better_routes`, `misses`, `elsewhere`) points at the
declared route.

The per-proxy part is a `ProxySimulator`: which targets, one client's run, the alternatives of a
result, and the few places where a proxy's own semantics refine a declared route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Generic, TypeVar

from wslint.clients import Client
from wslint.endpoints import Endpoint
from wslint.model import INTENT_RANK, EndpointResult, HealthCheck, Intent, Route

T = TypeVar("T")

# what a result says about other routes, and the repaired line; shared by clients that land alike
ALTERNATIVE_FIELDS = (
    "better_routes",
    "elsewhere",
    "misses",
    "better_reasons",
    "rewrite",
)
_ROUTE_FIELDS = ("better_routes", "elsewhere")


class ProxySimulator(Generic[T]):
    """What one proxy contributes to declared endpoints. `targets` and `run` are the proxy's; every
    other method has the answer most proxies give."""

    clients: tuple[Client, ...]
    # what a proxy models in front of it (an endpoint's `via`); an endpoint through anything else is not judged
    balancers: frozenset[str] = frozenset()

    def targets(self, endpoint: Endpoint) -> Sequence[T]:
        """The places (server, frontend, entryPoint, virtual host) where the endpoint's handshake is tried."""
        raise NotImplementedError

    def run(self, endpoint: Endpoint, client: Client, target: T) -> EndpointResult:
        """One client's handshake through the target, step by step."""
        raise NotImplementedError

    def alternatives(self, result: EndpointResult, target: T) -> EndpointResult:
        """The result with the routes it missed; unchanged where the simulation already names them."""
        return result

    def may_declare(self, result: EndpointResult) -> bool:
        """Whether a clean result may make its route a WebSocket route (a route wslint could not read whole
        may not)."""
        return result.outcome == "proxied"

    def check_fails_on_socket(self, check: HealthCheck) -> bool:
        """Whether the health check wants an answer that a WebSocket-only server does not give (a plain GET
        on its path gets 400 or 426)."""
        return True

    def refine(self, route: Route, results: Sequence[EndpointResult]) -> Route:
        """A declared route with what the proxy works out from the endpoint's own requests."""
        return route

    def explained(self, route: Route, declared: Sequence[Route]) -> Intent | None:
        """For a route no endpoint reaches: its intent once the declared routes show where the WebSockets
        go (an outer route whose upgrade headers are there for a declared route nested in it is no WebSocket
        route), or None when they change nothing."""
        return None


def _landing(r: EndpointResult) -> tuple[int, str, object]:
    return (id(r.route), r.outcome, r.cause)


def _has_alternatives(r: EndpointResult) -> bool:
    return bool(r.better_routes or r.elsewhere or r.near_misses)


def simulate(sim: ProxySimulator[T], endpoints: Sequence[Endpoint]) -> list[list[EndpointResult]]:
    """Every client's result for each endpoint and target, one group per (endpoint, target)."""
    groups: list[list[EndpointResult]] = []
    for endpoint in endpoints:
        for target in sim.targets(endpoint):
            found: dict[tuple[int, str, object], EndpointResult] = {}
            group: list[EndpointResult] = []
            for client in sim.clients:
                r = sim.run(endpoint, client, target)
                if endpoint.via is not None and endpoint.via not in sim.balancers:
                    note = f"wslint does not model this proxy behind a {endpoint.via}"
                    r = replace(r, certain=False, uncertain=(*r.uncertain, note))
                key = _landing(r)
                shared = found.get(key)
                if shared is None:
                    # the alternatives depend on where the handshake landed: worked out once per landing
                    r = found[key] = sim.alternatives(r, target)
                else:
                    taken = {f: getattr(shared, f) for f in ALTERNATIVE_FIELDS if not getattr(r, f)}
                    r = replace(r, **taken) if any(taken.values()) else r
                group.append(r)
            groups.append(group)
    return groups


# the routes a path without a host is meant for, by their own configuration (a weak path hint is not enough)
_MEANT = ("declared", "explicit", "inherited", "heuristic")


def _other_sites_left_out(groups: list[list[EndpointResult]], routes: Sequence[Route]) -> list[list[EndpointResult]]:
    """For a path without a host (`--ws-path`), tried in every server or frontend: once one of them routes it
    to a WebSocket route, the places without any WebSocket route where it only reaches a plain one (another
    site's catch-all, an ACME frontend on port 80) are other sites, neither declared nor judged."""
    websocket = {r.listener.id for r in routes if r.websocket.carries_websockets}

    def plain(group: list[EndpointResult]) -> bool:
        return all(
            r.route is not None and r.route.websocket.level == "none" and r.route.listener.id not in websocket
            for r in group
        )

    meant = {
        g[0].endpoint
        for g in groups
        if g
        and g[0].endpoint.host is None
        and all(r.route is not None and r.route.websocket.level in _MEANT for r in g)
    }
    return [g for g in groups if not (g and g[0].endpoint in meant and plain(g))]


def declare_endpoints(
    sim: ProxySimulator[T], routes: Sequence[Route], endpoints: Sequence[Endpoint]
) -> tuple[list[Route], tuple[EndpointResult, ...]]:
    """The routes with those the endpoints reach made WebSocket routes, and every endpoint result."""
    groups = _other_sites_left_out(simulate(sim, endpoints), routes)
    results = [r for g in groups for r in g]
    declared: dict[int, list[EndpointResult]] = {}
    for group in groups:
        if len({id(r.route) for r in group}) > 1:
            continue
        for r in group:
            if r.route is None or _has_alternatives(r) or not sim.may_declare(r):
                continue
            declared.setdefault(id(r.route), []).append(r)
    if not declared:
        return list(routes), tuple(results)
    renamed: dict[int, Route] = {}
    for route in routes:
        mine = declared.get(id(route))
        if mine:
            renamed[id(route)] = sim.refine(_declared(sim, route, mine), mine)
    reached = list(renamed.values())
    for route in routes:
        intent = None if id(route) in renamed else sim.explained(route, reached)
        if intent is not None:
            renamed[id(route)] = replace(route, websocket=intent)
    out = [renamed.get(id(route), route) for route in routes]
    return out, tuple(_repoint(r, renamed) for r in results)


def _declared(sim: ProxySimulator[T], route: Route, mine: list[EndpointResult]) -> Route:
    first = mine[0]
    handshakes = tuple(r.handshake for r in mine if r.handshake is not None and r.endpoint == first.endpoint)
    new = replace(
        route,
        websocket=_intent(route, first),
        # a route that was no WebSocket route has no handshakes yet: the endpoint's are its own
        handshakes=handshakes if len(handshakes) == len(route.handshakes) or not route.handshakes else route.handshakes,
    )
    up = new.upstream
    group = up.group if up is not None else None
    check = group.health_check if group is not None else None
    socket = first.backend_path_only
    if (
        up is not None
        and group is not None
        and check is not None
        and check.socket_path is None
        and socket is not None
        and check.path.split("?", 1)[0] == socket
        and sim.check_fails_on_socket(check)
    ):
        new = replace(new, upstream=replace(up, group=replace(group, health_check=replace(check, socket_path=socket))))
    return new


def _intent(route: Route, result: EndpointResult) -> Intent:
    """Declared by the endpoint; an app profile's endpoint that a path only suggests makes it a possible
    WebSocket route at most (its findings stay hints), never less than it was."""
    origin = result.endpoint.origin
    if origin is None:
        return Intent("declared", f"the endpoint {result.endpoint} is routed here", route.source)
    if origin.certain:
        return Intent("declared", f"{origin.name}'s endpoint {result.endpoint} is routed here", route.source, origin)
    if INTENT_RANK[route.websocket.level] >= INTENT_RANK["possible"]:
        return route.websocket
    why = f"{origin.name}'s endpoint {result.endpoint} may be routed here"
    return Intent("possible", why, route.source, origin)


def _repoint(r: EndpointResult, renamed: dict[int, Route]) -> EndpointResult:
    """The result with every route it names replaced by its declared version."""
    changes: dict[str, object] = {}
    if r.route is not None and id(r.route) in renamed:
        changes["route"] = renamed[id(r.route)]
    for name in _ROUTE_FIELDS:
        value: tuple[Route, ...] = getattr(r, name)
        if any(id(x) in renamed for x in value):
            changes[name] = tuple(renamed.get(id(x), x) for x in value)
    if any(id(m.route) in renamed for m in r.misses):
        changes["misses"] = tuple(replace(m, route=renamed.get(id(m.route), m.route)) for m in r.misses)
    return replace(r, **changes) if changes else r  # type: ignore[arg-type]
