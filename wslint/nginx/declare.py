"""Declared endpoints: simulate each, find the better routes it misses, mark the routes it uses.

A route that handles a declared endpoint is a WebSocket route by declaration,
and its handshakes are recomputed with the endpoint's own Host and path. When
the endpoint lands on a route that cannot upgrade while another route could
(a regex ahead of it, another server, a near-miss pattern), that other route
is what the user meant: the landing route is not declared, so its missing
headers are not blamed, and the endpoint rules explain the precedence instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from wslint.endpoints import Endpoint
from wslint.model import EndpointResult, Intent, Listener, Match, Route
from wslint.nginx.evaluate import compile_regex
from wslint.nginx.locations import BadRequest, normalize_uri
from wslint.nginx.routing import NginxRouter, ServerChoice
from wslint.nginx.tree import Directive

if TYPE_CHECKING:
    from wslint.nginx.build import ConfigBuilder


def pattern_matches(match: Match, uri: str) -> bool:
    """Whether a location's own pattern covers `uri`, ignoring every other location."""
    if match.kind == "exact":
        return uri == match.pattern
    if match.kind in ("prefix", "prefix_no_regex"):
        return uri.startswith(match.pattern)
    if match.kind in ("regex", "regex_caseless"):
        rx = compile_regex(match.pattern, match.kind == "regex_caseless")
        return rx is not None and rx.search(uri) is not None
    return False


def _alternatives(
    router: NginxRouter,
    result: EndpointResult,
    routes: list[Route],
    placed: list[tuple[Directive, Listener]],
) -> EndpointResult:
    if result.listener is None or result.upgrades or not result.certain:
        return result
    # a route that forwards the upgrade itself (or inherits that, or is marked) is the one meant for
    # the handshake: its own defect (HTTP/1.0, a dropped header) breaks it, not the choice of route
    if result.route is not None and result.route.websocket.level in ("explicit", "declared", "inherited"):
        return result
    try:
        uri = normalize_uri(result.endpoint.path)
    except BadRequest:
        return result
    mine = [r for r in routes if r.listener.id == result.listener.id and r is not result.route]
    better = tuple(r for r in mine if r.upgrades and pattern_matches(r.match, uri))
    near = tuple(r for r in mine if r.upgrades and not pattern_matches(r.match, uri))
    elsewhere: list[Route] = []
    if result.host_known:
        candidates, _ = router.candidates(result.endpoint)
        client = next(c for c in router.b.options.clients if c.name == result.client)
        for server, listener in candidates:
            if listener.id == result.listener.id:
                continue
            other = router.run(result.endpoint, client, ServerChoice(server, listener, "for comparison", None))
            if other.upgrades and other.route is not None:
                elsewhere.append(other.route)
    return replace(result, better_routes=better, elsewhere=tuple(elsewhere), near_misses=near)


def declare_endpoints(
    builder: ConfigBuilder,
    placed: list[tuple[Directive, Listener]],
    routes: list[Route],
    endpoints: tuple[Endpoint, ...],
) -> tuple[list[Route], tuple[EndpointResult, ...]]:
    router = NginxRouter(builder, placed)
    clients = builder.options.clients
    results: list[EndpointResult] = []
    for ep in endpoints:
        forced: list[ServerChoice | None]
        if ep.host is None:
            forced = [ServerChoice(s, li, "a path without a host is checked in every server", None) for s, li in placed]
        else:
            forced = [None]
        for choice in forced:
            per_client = [router.run(ep, c, choice) for c in clients]
            primary = _alternatives(router, per_client[0], routes, placed)
            extra = {
                "better_routes": primary.better_routes,
                "elsewhere": primary.elsewhere,
                "near_misses": primary.near_misses,
            }
            results.extend([primary, *(replace(r, **extra) for r in per_client[1:])])  # type: ignore[arg-type]
    declared: dict[int, list[EndpointResult]] = {}
    # a location that includes a file wslint cannot read is not judged: its headers may be in the file
    unread = {m.parent.source for m in builder.loaded.missing if m.parent is not None}
    for r in results:
        proxied = r.outcome == "proxied" or r.reason == "unresolvable"
        if not proxied or r.route is None or r.better_routes or r.elsewhere or r.near_misses:
            continue
        if r.route.source in unread:
            continue
        declared.setdefault(id(r.route), []).append(r)
    if not declared:
        return routes, tuple(results)
    renamed: dict[int, Route] = {}
    out: list[Route] = []
    for route in routes:
        mine = declared.get(id(route))
        if not mine:
            out.append(route)
            continue
        handshakes = [r.handshake for r in mine if r.handshake is not None and r.endpoint == mine[0].endpoint]
        new = replace(
            route,
            websocket=Intent("declared", f"the endpoint {mine[0].endpoint} is routed here", route.source),
            # a route that was no WebSocket route has no handshakes yet: the endpoint's are its own
            handshakes=tuple(handshakes)
            if len(handshakes) == len(route.handshakes) or not route.handshakes
            else route.handshakes,
        )
        renamed[id(route)] = new
        out.append(new)

    def remap(r: EndpointResult) -> EndpointResult:
        if r.route is not None and id(r.route) in renamed:
            return replace(r, route=renamed[id(r.route)])
        return r

    return out, tuple(remap(r) for r in results)
