"""Declared endpoints through nginx (the pipeline is wslint.declare): which server, and what a miss had.

When the endpoint lands on a location that cannot upgrade while another could (a regex ahead of it,
another server, a near-miss pattern), that other location is what the user meant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from wslint.clients import Client
from wslint.declare import ProxySimulator
from wslint.endpoints import Endpoint
from wslint.model import EndpointResult, Intent, Listener, Match, Miss, Route
from wslint.nginx.evaluate import compile_regex
from wslint.nginx.locations import BadRequest, normalize_uri
from wslint.nginx.routing import Router, ServerChoice
from wslint.nginx.tree import Directive

if TYPE_CHECKING:
    from wslint.nginx.build import NginxModel


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


class NginxSimulator(ProxySimulator[ServerChoice | None]):
    """Declared endpoints through nginx: the server by port and Host, then the location."""

    def __init__(self, builder: NginxModel, placed: list[tuple[Directive, Listener]], routes: list[Route]) -> None:
        self.router = Router(builder, placed)
        self.placed = placed
        self.routes = routes
        self.clients = builder.options.clients
        # a location that includes a file wslint cannot read is not judged: its headers may be in the file
        self.unread = {m.parent.source for m in builder.loaded.missing if m.parent is not None}

    def targets(self, endpoint: Endpoint) -> list[ServerChoice | None]:
        if endpoint.host is None:
            return [
                ServerChoice(s, li, "a path without a host is checked in every server", None) for s, li in self.placed
            ]
        # the router picks the server the way nginx does
        return [None]

    def run(self, endpoint: Endpoint, client: Client, target: ServerChoice | None) -> EndpointResult:
        return self.router.run(endpoint, client, target)

    def may_declare(self, result: EndpointResult) -> bool:
        proxied = result.outcome == "proxied" or result.reason == "unresolvable"
        return proxied and result.route is not None and result.route.source not in self.unread

    def explained(self, route: Route, declared: Sequence[Route]) -> Intent | None:
        # a location setting the upgrade headers for the locations nested in it: the declared one that
        # inherits them is where the WebSockets go
        own = route.header_scope.defined_at
        if route.websocket.level != "explicit" or own != route.source or route.path_signal is not None:
            return None
        heir = next((r for r in declared if r is not route and r.header_scope.defined_at == own), None)
        if heir is None:
            return None
        why = f"its upgrade headers are there for `{heir.name}` nested in it, where the declared endpoint goes"
        return Intent("none", why, heir.source)

    def alternatives(self, result: EndpointResult, target: ServerChoice | None) -> EndpointResult:
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
        mine = [r for r in self.routes if r.listener.id == result.listener.id and r is not result.route]
        better = tuple(r for r in mine if r.upgrades and pattern_matches(r.match, uri))
        near = tuple(Miss(r, "pattern") for r in mine if r.upgrades and not pattern_matches(r.match, uri))
        elsewhere: list[Route] = []
        if result.host_known:
            candidates, _ = self.router.candidates(result.endpoint)
            client = next(c for c in self.clients if c.name == result.client)
            for server, listener in candidates:
                if listener.id == result.listener.id:
                    continue
                other = self.router.run(result.endpoint, client, ServerChoice(server, listener, "for comparison", None))
                if other.upgrades and other.route is not None:
                    elsewhere.append(other.route)
        return replace(result, better_routes=better, elsewhere=tuple(elsewhere), misses=near)
