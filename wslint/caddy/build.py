"""From Caddy's route tree (config.py) to the route model every rule works on.

Each site a server serves is a Listener; each `reverse_proxy` a site can
reach is a Route, named after the nearest directive that selects it
(`handle /api/*`, `reverse_proxy /ws/* app:3000`). Its handshakes are what
each simulated browser's request becomes upstream; its divergences are the
`header` / `header_regexp` matchers on Connection or Upgrade that some
browsers fail (whole values, case).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from wslint.caddy.config import (
    HeaderMatcher,
    HeaderRegexpMatcher,
    HttpApp,
    MatcherSet,
    NotMatcher,
    PathMatcher,
    PathRegexpMatcher,
    ReverseProxy,
    Route,
    Server,
    Site,
    Subroute,
)
from wslint.caddy.handshake import client_request, proxy_request
from wslint.caddy.matchers import header_value_matches, match_one
from wslint.caddy.parser import Caddyfile
from wslint.caddy.request import Request, Unknown, go_regex
from wslint.caddy.routing import Router
from wslint.clients import Client
from wslint.endpoints import Endpoint
from wslint.intent import path_signal
from wslint.lazy import LazySequence
from wslint.model import (
    Action,
    Divergence,
    HeaderScope,
    HealthCheck,
    Intent,
    ListenAddress,
    Listener,
    Match,
    Rewrite,
    ServerName,
    Setting,
    Source,
    UpgradeBlock,
    Upstream,
    UpstreamProtocol,
    UpstreamRequest,
    UpstreamTarget,
)
from wslint.model import (
    Route as ModelRoute,
)
from wslint.textfiles import lines_of
from wslint.upgrade_block import upgrade_block

UPGRADE_HEADERS = ("Connection", "Upgrade")
SUGGESTION = {
    "Connection": "header_regexp Connection (?i)upgrade",
    "Upgrade": "header_regexp Upgrade (?i)^websocket$",
}


@dataclass(frozen=True)
class BuildOptions:
    version: tuple[int, ...]
    version_text: str
    version_assumed: bool
    endpoints: tuple[Endpoint, ...]
    clients: tuple[Client, ...]


@dataclass
class Spot:
    """One reverse_proxy as one site of one server reaches it."""

    server: Server
    site: Site
    listener: Listener
    handler: ReverseProxy
    # the routes from the site's own route down to the handler's
    chain: list[Route]
    route: ModelRoute | None = None


# a named matcher's definition: `@name` first on its line (a use follows a directive's name)
_MATCHER_DEFINITION = re.compile(r"^[ \t]*@([^\s{]+)", re.MULTILINE)


@dataclass
class CaddyModel:
    app: HttpApp
    caddyfile: Caddyfile | None
    options: BuildOptions
    texts: dict[str, str]
    listeners: dict[tuple[str, int], Listener] = field(default_factory=dict)
    spots: list[Spot] = field(default_factory=list)
    routers: dict[str, Router] = field(default_factory=dict)

    @functools.cached_property
    def matcher_names(self) -> frozenset[str]:
        """Every named matcher the files define (`@name` first on its line): a fix that adds one must pick
        another name, since Caddy refuses a matcher defined twice in a site."""
        return frozenset(m.group(1) for text in self.texts.values() for m in _MATCHER_DEFINITION.finditer(text))

    def router(self, server: Server) -> Router:
        if server.name not in self.routers:
            self.routers[server.name] = Router(server)
        return self.routers[server.name]

    def text_of(self, src: Source | None) -> str:
        """The text a source spans, continuation lines dedented."""
        if src is None or src.column is None or src.end_line is None or src.end_column is None:
            return ""
        lines = lines_of(self.texts.get(src.path, ""))
        if not 0 < src.line <= src.end_line <= len(lines):
            return ""
        if src.line == src.end_line:
            return lines[src.line - 1][src.column - 1 : src.end_column - 1]
        first = lines[src.line - 1][src.column - 1 :]
        body = lines[src.line : src.end_line - 1]
        last = lines[src.end_line - 1][: src.end_column - 1]
        indent = lines[src.line - 1][: len(lines[src.line - 1]) - len(lines[src.line - 1].lstrip())]
        out = [first]
        for ln in [*body, last]:
            out.append(ln[len(indent) :] if ln.startswith(indent) else ln.lstrip())
        return "\n".join(out)


# -- listeners ---------------------------------------------------------------------------------------


def _listen_address(addr: str, tls: bool, where: Source) -> ListenAddress:
    text = addr.split("/", 1)[-1]
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    number = int(port) if port.isdigit() else 0
    return ListenAddress(host or None, number, False, tls, False, where)


def listener_for(model: CaddyModel, server: Server, index: int, site: Site) -> Listener:
    key = (server.name, index)
    found = model.listeners.get(key)
    if found is not None:
        return found
    names = []
    for h, src in zip(site.keys, site.key_sources, strict=False):
        host = _host_of(h)
        if host:
            names.append(ServerName(host, "wildcard_start" if host.startswith("*.") else "exact", src))
    if site.catch_all:
        names.append(ServerName("", "exact", site.source))
    listener = Listener(
        id=f"{server.name}#{index}",
        addresses=tuple(_listen_address(a, server.tls, site.source) for a in server.listen),
        server_names=tuple(names),
        source=site.source,
        block=site.block,
    )
    model.listeners[key] = listener
    return listener


def _host_of(key: str) -> str:
    rest = key.split("://", 1)[-1]
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):
        return hostport[1 : hostport.find("]")] if "]" in hostport else hostport
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


# -- walking the route tree ------------------------------------------------------------------------


def site_routes(server: Server) -> list[tuple[int, Site, Route]]:
    return [(i, server.site_of[i], r) for i, r in enumerate(server.routes) if i in server.site_of]


def walk(route: Route, chain: list[Route], out: list[tuple[ReverseProxy, list[Route]]]) -> None:
    here = [*chain, route]
    for h in route.handlers:
        if isinstance(h, ReverseProxy):
            out.append((h, here))
        elif isinstance(h, Subroute):
            for r in h.routes:
                walk(r, here, out)


def collect_spots(model: CaddyModel) -> None:
    for server in model.app.servers:
        if server.automatic:
            continue
        index = {id(site): n for n, site in enumerate(server.sites)}
        for _, site, top in site_routes(server):
            site_index = index[id(site)]
            listener = listener_for(model, server, site_index, site)
            found: list[tuple[ReverseProxy, list[Route]]] = []
            walk(top, [], found)
            for rp, chain in found:
                model.spots.append(Spot(server, site, listener, rp, chain))
        # sites with no reverse_proxy still are listeners
        for n, site in enumerate(server.sites):
            listener_for(model, server, n, site)


def is_site_route(route: Route) -> bool:
    return route.terminal and not route.keyword


def naming_route(spot: Spot) -> Route | None:
    """The innermost route with a matcher on the way to the handler (the one that selects it),
    else the innermost block (a `handle` without matcher takes every request)."""
    for r in reversed(spot.chain):
        if r.match and not is_site_route(r):
            return r
    for r in reversed(spot.chain):
        if r.keyword in ("handle", "handle_path", "route"):
            return r
    return None


def chain_sets(chain: list[Route], include_site: bool = False) -> list[list[MatcherSet]]:
    return [r.match for r in chain if r.match and (include_site or not is_site_route(r))]


def positive_matchers(sets: list[MatcherSet]) -> list[object]:
    out: list[object] = []
    for s in sets:
        for m in s.matchers:
            if not isinstance(m, NotMatcher):
                out.append(m)
    return out


def path_patterns(chain: list[Route]) -> list[str]:
    out: list[str] = []
    for sets in chain_sets(chain):
        for m in positive_matchers(sets):
            if isinstance(m, PathMatcher):
                out.extend(m.patterns)
            elif isinstance(m, PathRegexpMatcher):
                out.append(m.pattern)
    return out


def _takes_upgrade(m: HeaderMatcher | HeaderRegexpMatcher, value: str) -> bool | None:
    req = Request("GET", "app.example.test", "/", "", {"Upgrade": [value], "Connection": ["Upgrade"]}, False, 80)
    try:
        return match_one(m, req, lambda _m, _r: None)
    except Unknown:
        return None


def _h2c_only(ms: MatcherSet) -> bool:
    """A matcher set with a header test on Upgrade that takes `h2c` and no WebSocket spelling."""
    for m in ms.matchers:
        if not isinstance(m, HeaderMatcher | HeaderRegexpMatcher):
            continue
        if not any(f.lower() == "upgrade" for f in m.fields):
            continue
        if _takes_upgrade(m, "h2c") is True and all(
            _takes_upgrade(m, v) is False for v in ("websocket", "WebSocket", "Websocket", "WEBSOCKET")
        ):
            return True
    return False


def takes_handshakes(chain: list[Route]) -> bool:
    """False when a route of the chain takes only h2c upgrades (every one of its matcher sets tests Upgrade
    for h2c): stripping the upgrade there is the h2c smuggling mitigation, no WebSocket reaches it."""
    return not any(sets and all(_h2c_only(ms) for ms in sets) for sets in chain_sets(chain))


def intent_of(spot: Spot) -> Intent:
    where = naming_route(spot)
    src = where.source if where is not None else spot.handler.source
    if not takes_handshakes(spot.chain):
        return Intent("none", "its matcher refuses a WebSocket handshake's Upgrade header (an h2c-only route)")
    for sets in chain_sets(spot.chain):
        for m in positive_matchers(sets):
            if isinstance(m, HeaderMatcher | HeaderRegexpMatcher):
                for name in m.fields:
                    if name.lower() in ("upgrade", "connection"):
                        return Intent("explicit", f"its matcher selects on the {name} header", m.source or src)
    best: tuple[str, str] | None = None
    for p in path_patterns(spot.chain):
        signal = path_signal(p)
        if signal is not None and (best is None or (signal[0] == "strong" and best[0] != "strong")):
            best = signal
    if best is None:
        return Intent("none", "no sign of WebSockets in its matchers")
    return Intent("heuristic" if best[0] == "strong" else "possible", best[1], src)


def sample_path(chain: list[Route]) -> str:
    """A path the route's matchers accept (for its handshakes)."""
    for p in reversed(path_patterns(chain)):
        if p.startswith("/") and not any(c in p for c in "^$()[]\\?{"):
            cut = p.split("*", 1)[0]
            return cut or "/"
    return "/"


def sample_host(site: Site) -> str:
    for h in site.hosts:
        if "{" not in h:
            return h.replace("*", "ws")
    return "app.example.test"


# -- routes -----------------------------------------------------------------------------------------


def route_name(model: CaddyModel, spot: Spot) -> tuple[str, str, Source]:
    """(noun, label, source): `handle` + `/api/*`, or `reverse_proxy` + its upstreams."""
    r = naming_route(spot)
    if r is not None and r.keyword:
        labels = [m.label for m in r.match if m.label]
        # `handle *` is how Caddy spells a block without matcher
        return r.keyword, " or ".join(labels) or "*", r.source or spot.handler.source or spot.site.source
    ups = " ".join(u.written for u in spot.handler.upstreams) or "(dynamic upstreams)"
    return "reverse_proxy", ups, spot.handler.source or spot.site.source


def build_route(model: CaddyModel, spot: Spot) -> ModelRoute:
    rp = spot.handler
    noun, label, src = route_name(model, spot)
    first = rp.upstreams[0] if rp.upstreams else None
    protocol: UpstreamProtocol = "http"
    if rp.transport.protocol == "fastcgi":
        protocol = "fastcgi"
    elif rp.transport.tls:
        protocol = "https"
    health = None
    if rp.health is not None:
        hc = rp.health
        health = HealthCheck(
            method="GET",
            path=hc.uri,
            source=hc.source or rp.source or src,
            expect=hc.status,
            servers=tuple(u.dial for u in rp.upstreams),
        )
        signal = path_signal(hc.uri.split("?", 1)[0])
        # a path that names a WebSocket endpoint: its server answers a plain request 400 or 426, which
        # fails the check unless the check expects exactly that
        if signal is not None and signal[0] == "strong" and hc.status is None:
            health = HealthCheck(
                health.method,
                health.path,
                health.source,
                health.expect,
                health.servers,
                socket_path=hc.uri.split("?", 1)[0],
            )
    group = Upstream(
        name=" ".join(u.dial for u in rp.upstreams) or "(dynamic)",
        servers=tuple(u.dial for u in rp.upstreams),
        keepalive=None,
        sticky=False,
        source=rp.source or src,
        health_check=health,
    )
    upstream = UpstreamTarget(
        directive="reverse_proxy",
        url=first.dial if first else "(dynamic upstreams)",
        protocol=protocol,
        uri=None,
        has_variables=any("{" in u.dial for u in rp.upstreams),
        group=group,
        source=first.source if first is not None and first.source is not None else (rp.source or src),
    )
    idle = None
    if rp.transport.read_timeout is not None and rp.transport.read_timeout > 0:
        idle = Setting(rp.transport.read_timeout, rp.transport.read_timeout_source, "route")
    host, path = sample_host(spot.site), sample_path(spot.chain)
    port = spot.listener.addresses[0].port if spot.listener.addresses else 80
    handshakes = LazySequence(
        lambda c: handshake_for(model, spot, c, host, path, spot.server.tls, port), model.options.clients
    )
    return ModelRoute(
        id=f"{spot.listener.id}/{rp.source}",
        proxy="caddy",
        listener=spot.listener,
        match=Match("named", label, src),
        action=Action("proxy", rp.source, first.dial if first else None),
        source=src,
        block=rp.block,
        upstream=upstream,
        websocket=intent_of(spot),
        handshakes=handshakes,
        idle_timeout=idle,
        header_scope=HeaderScope(None, None, None, (), None),
        divergences=divergences(spot, model.options.clients, noun, label),
        noun=noun,
        text=model.text_of(src),
        body_text="",
        unresolvable=first is not None and undialable(first.written),
        upgrade_blocked=_upgrade_blocked(model, spot, handshakes),
    )


def _upgrade_blocked(model: CaddyModel, spot: Spot, handshakes: Sequence[UpstreamRequest]) -> UpgradeBlock | None:
    if spot.handler.headers is None and not model.router(spot.server).edits_headers:
        # nothing on the way sets or removes a request header: no handshake need be simulated to know that
        # (asked first: it is the cheaper test, and the usual answer)
        return None
    if not handshakes or not takes_handshakes(spot.chain):
        return None
    block = upgrade_block(handshakes[0])
    # a request_header that ran before reverse_proxy has no header_up expression: name its line as written
    if block is not None and (text := model.text_of(block.source)) and block.expression != text:
        block = replace(block, expression=text)
    return block


def undialable(written: str) -> bool:
    """An upstream without a scheme that has a path (`127.0.0.1:9001/ws`): Caddy 2.6 takes it whole for
    the address to dial (`127.0.0.1:9001/ws:80`) and answers 502; with a scheme it refuses the file."""
    return "/" in written and "://" not in written and not written.startswith("unix/") and "{" not in written


def handshake_for(
    model: CaddyModel, spot: Spot, client: Client, host: str, path: str, tls: bool, port: int
) -> UpstreamRequest:
    """The request this reverse_proxy sends for a browser's handshake on one of its paths."""
    req = client_request(client, host if port in (80, 443) else f"{host}:{port}", path, "", tls, port)
    out = model.router(spot.server).run(req.copy())
    if out.handler is spot.handler and out.request is not None:
        return proxy_request(spot.handler, out.request, client)[0]
    return proxy_request(spot.handler, req, client)[0]


# -- divergences --------------------------------------------------------------------------------------


def divergences(spot: Spot, clients: tuple[Client, ...], noun: str, label: str) -> tuple[Divergence, ...]:
    out: list[Divergence] = []
    name = f"{noun} {label}"
    for sets in chain_sets(spot.chain):
        # Caddy refuses a second header_regexp for one field in a matcher: a test of a field that one
        # already has cannot become header_regexp
        regexp_fields = {
            f.lower() for m in positive_matchers(sets) if isinstance(m, HeaderRegexpMatcher) for f in m.fields
        }
        for m in positive_matchers(sets):
            if isinstance(m, HeaderMatcher):
                for fld, wanted in m.fields.items():
                    if fld not in UPGRADE_HEADERS or not wanted:
                        continue
                    rewritable = fld not in m.repeated and fld.lower() not in regexp_fields
                    d = _header_divergence(fld, wanted, m.sources.get(fld, m.source), clients, name, False, rewritable)
                    if d is not None:
                        out.append(d)
            elif isinstance(m, HeaderRegexpMatcher):
                for fld, (_, pattern) in m.fields.items():
                    if fld.capitalize() not in UPGRADE_HEADERS:
                        continue
                    d = _header_divergence(
                        fld.capitalize(), [pattern], m.sources.get(fld, m.source), clients, name, regex=True
                    )
                    if d is not None:
                        out.append(d)
    return tuple(out)


def _client_value(client: Client, fld: str) -> str:
    return client.connection if fld == "Connection" else client.upgrade


def _header_divergence(
    fld: str,
    wanted: list[str],
    cause: Source | None,
    clients: tuple[Client, ...],
    route: str,
    regex: bool,
    rewritable: bool = True,
) -> Divergence | None:
    for client in clients:
        sent = _client_value(client, fld)
        if regex:
            rxs = [go_regex(w) for w in wanted]
            if any(rx is None for rx in rxs):
                return None
            if any(rx is not None and rx.search(sent) for rx in rxs):
                continue
            loose = [go_regex("(?i)" + w) for w in wanted]
            kind = "case-sensitive" if any(rx is not None and rx.search(sent) for rx in loose) else "other"
        else:
            if any(header_value_matches(w, sent) for w in wanted):
                continue
            tokens = [t.strip() for t in sent.split(",") if t.strip()]
            if any(header_value_matches(w, t) for w in wanted for t in tokens):
                kind = "whole-value"
            elif any(header_value_matches(w.lower(), sent.lower()) for w in wanted) or any(
                header_value_matches(w.lower(), t.lower()) for w in wanted for t in tokens
            ):
                kind = "case-sensitive"
            else:
                kind = "other"
        shown = " ".join(wanted)
        written = f"{'header_regexp' if regex else 'header'} {fld} {shown}"
        return Divergence(
            client=client.name,
            aspect="upstream",
            expected=route,
            actual=None,
            variable=fld,
            matcher=kind,  # type: ignore[arg-type]
            cause=cause,
            detail=(
                f"`{written}` compares the whole {fld} header, case included, and {client.sender} sends `{fld}: {sent}`"
                if not regex
                else f"`{written}` is case-sensitive, and {client.sender} sends `{fld}: {sent}`"
            ),
            key=written,
            value=SUGGESTION[fld],
            rewrite=Rewrite(cause, SUGGESTION[fld]) if cause is not None and rewritable else None,
        )
    return None
