"""Global options, site addresses and the servers Caddy builds from them.

Each site address (`http://app.example:8080`, `app.example`, `:8080`) is
served on a listener: its port, or 80 for `http://`, else 443, on the
`bind` (or `default_bind`) hosts. Sites sharing a listener are one server;
inside it the sites are tried most specific first (longer host names, names
without wildcards, catch-all sites last), and the first whose host matches
runs alone. A server is TLS when one of its addresses asks for HTTPS (a
host name on a port other than the HTTP port, `https://`, or `tls`).
Automatic HTTPS answers plain HTTP for those host names with a 308 redirect
on the HTTP port, unless `auto_https` is off or disables redirects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from wslint.caddy.caddy1 import caddy1_hint
from wslint.caddy.config import (
    HostMatcher,
    HttpApp,
    MatcherSet,
    PathMatcher,
    ProtocolMatcher,
    Route,
    Server,
    Site,
    StaticResponse,
    Subroute,
)
from wslint.caddy.directives import (
    DIRECTIVE_ORDER,
    ConfigValue,
    Ctx,
    GroupCounter,
    build_subroute,
    consolidate,
    go_stable_sort,
    parse_directive,
    scope_defs,
)
from wslint.caddy.lexer import Token
from wslint.caddy.parser import Caddyfile, CaddyfileError, Node, ServerBlock, block_ref, token_source
from wslint.model import Source

# global options of Caddy 2.6 (others come from plugins: accepted, not interpreted)
GLOBAL_OPTIONS = frozenset(
    {
        "debug",
        "http_port",
        "https_port",
        "default_bind",
        "grace_period",
        "shutdown_delay",
        "default_sni",
        "order",
        "storage",
        "storage_clean_interval",
        "renew_interval",
        "ocsp_interval",
        "acme_ca",
        "acme_ca_root",
        "acme_dns",
        "acme_eab",
        "cert_issuer",
        "skip_install_trust",
        "email",
        "admin",
        "on_demand_tls",
        "local_certs",
        "key_type",
        "auto_https",
        "servers",
        "ocsp_stapling",
        "log",
        "preferred_chains",
        "pki",
        "events",
    }
)


@dataclass
class Options:
    http_port: int = 80
    https_port: int = 443
    default_bind: list[str] = field(default_factory=list)
    auto_https: str = "on"
    order: list[str] = field(default_factory=lambda: list(DIRECTIVE_ORDER))
    timeouts: dict[str, Source] = field(default_factory=dict)
    unknown: list[tuple[str, Source]] = field(default_factory=list)


def global_options(block: ServerBlock) -> Options:
    opts = Options()
    for node in block.nodes:
        name = node.name
        args = node.args
        if name not in GLOBAL_OPTIONS:
            opts.unknown.append((name, node.source))
            continue
        if name in ("http_port", "https_port"):
            if len(args) != 1 or not args[0].isdigit():
                raise CaddyfileError(f"{name}: expected a port number", node.head)
            setattr(opts, name, int(args[0]))
        elif name == "default_bind":
            if not args:
                raise CaddyfileError("default_bind: expected at least one address", node.head)
            opts.default_bind = args
        elif name == "auto_https":
            if len(args) != 1 or args[0] not in ("off", "disable_redirects", "disable_certs", "ignore_loaded_certs"):
                raise CaddyfileError(
                    "auto_https must be one of 'off', 'disable_redirects', 'disable_certs' or 'ignore_loaded_certs'",
                    node.head,
                )
            opts.auto_https = args[0]
        elif name == "order":
            _order(node, opts.order)
        elif name == "servers":
            for child in node.children or []:
                if child.name == "timeouts":
                    for t in child.children or []:
                        opts.timeouts[t.name] = t.source
    return opts


def _order(node: Node, order: list[str]) -> None:
    args = node.args
    if len(args) < 2:
        raise CaddyfileError("order: expected a directive and a position", node.head)
    name, pos = args[0], args[1]
    if name in order:
        order.remove(name)
    if pos == "first":
        order.insert(0, name)
    elif pos == "last":
        order.append(name)
    elif pos in ("before", "after") and len(args) == 3:
        if args[2] not in order:
            raise CaddyfileError(f"directive '{args[2]}' not found", node.head)
        i = order.index(args[2])
        order.insert(i if pos == "before" else i + 1, name)
    else:
        raise CaddyfileError(f"unknown order position '{pos}'", node.head)


SHORTHANDS = {
    "{dir}": "{http.request.uri.path.dir}",
    "{file}": "{http.request.uri.path.file}",
    "{host}": "{http.request.host}",
    "{hostport}": "{http.request.hostport}",
    "{port}": "{http.request.port}",
    "{method}": "{http.request.method}",
    "{path}": "{http.request.uri.path}",
    "{query}": "{http.request.uri.query}",
    "{remote}": "{http.request.remote}",
    "{remote_host}": "{http.request.remote.host}",
    "{remote_port}": "{http.request.remote.port}",
    "{scheme}": "{http.request.scheme}",
    "{uri}": "{http.request.uri}",
    "{tls_cipher}": "{http.request.tls.cipher_suite}",
    "{tls_version}": "{http.request.tls.version}",
    "{tls_client_fingerprint}": "{http.request.tls.client.fingerprint}",
    "{tls_client_issuer}": "{http.request.tls.client.issuer}",
    "{tls_client_serial}": "{http.request.tls.client.serial}",
    "{tls_client_subject}": "{http.request.tls.client.subject}",
    "{tls_client_certificate_pem}": "{http.request.tls.client.certificate_pem}",
    "{tls_client_certificate_der_base64}": "{http.request.tls.client.certificate_der_base64}",
    "{upstream_hostport}": "{http.reverse_proxy.upstream.hostport}",
}
_SHORT = re.compile("|".join(re.escape(k) for k in SHORTHANDS))
_PREFIXED = (
    (re.compile(r"\{header\.([\w-]*)\}"), r"{http.request.header.\1}"),
    (re.compile(r"\{cookie\.([\w-]*)\}"), r"{http.request.cookie.\1}"),
    (re.compile(r"\{labels\.([\w-]*)\}"), r"{http.request.host.labels.\1}"),
    (re.compile(r"\{path\.([\w-]*)\}"), r"{http.request.uri.path.\1}"),
    (re.compile(r"\{file\.([\w-]*)\}"), r"{http.request.uri.path.file.\1}"),
    (re.compile(r"\{query\.([\w-]*)\}"), r"{http.request.uri.query.\1}"),
    (re.compile(r"\{re\.([\w-]*)\.([\w-]*)\}"), r"{http.regexp.\1.\2}"),
    (re.compile(r"\{vars\.([\w-]*)\}"), r"{http.vars.\1}"),
    (re.compile(r"\{rp\.([\w\-.]*)\}"), r"{http.reverse_proxy.\1}"),
    (re.compile(r"\{err\.([\w\-.]*)\}"), r"{http.error.\1}"),
    (re.compile(r"\{file_match\.([\w-]*)\}"), r"{http.matchers.file.\1}"),
)


def _expand(t: Token) -> Token:
    if "{" not in t.text:
        return t
    text = _SHORT.sub(lambda m: SHORTHANDS[m.group(0)], t.text)
    for rx, to in _PREFIXED:
        text = rx.sub(to, text)
    return t if text == t.text else replace(t, text=text)


def expand_shorthands(nodes: list[Node]) -> list[Node]:
    """The Caddyfile's placeholder shorthands (`{path}`, `{header.X}`) as Caddy's full names."""
    return [
        Node(
            [_expand(t) for t in n.tokens],
            expand_shorthands(n.children) if n.children is not None else None,
            n.open,
            n.close,
        )
        for n in nodes
    ]


@dataclass
class Address:
    original: str
    scheme: str
    host: str
    port: str
    path: str
    token: Token


def parse_address(tok: Token) -> Address:
    text = tok.text.strip()[:4096]
    scheme, rest = "", text
    if "://" in text:
        scheme, rest = text.split("://", 1)
    hostport, slash, path = rest.partition("/")
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end > 0:
            host = hostport[1:end]
            if hostport[end + 1 : end + 2] == ":":
                port = hostport[end + 2 :]
    elif hostport.count(":") == 1:
        host, port = hostport.split(":")
    if port and (not port.isdigit() or int(port) > 65535):
        raise CaddyfileError(f"invalid port '{port}' in site address {text}", tok)
    return Address(text, scheme.lower(), _lower(host.strip()), port, ("/" + path) if slash else "", tok)


def _lower(s: str) -> str:
    """Lower-case outside placeholders, as Caddy normalizes host names."""
    out: list[str] = []
    depth = 0
    for c in s:
        if c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        out.append(c if depth else c.lower())
    return "".join(out)


def specificity(s: str) -> int:
    length = len(s) - s.count("*")
    while s:
        start = s.find("{")
        if start < 0:
            return length
        end = s.find("}", start) + 1
        if end <= start:
            return length
        length -= end - start
        s = s[end:]
    return length


@dataclass
class SiteBlock:
    block: ServerBlock
    routes: list[ConfigValue]
    binds: list[str]
    has_tls: bool
    index: int
    error_routes: bool = False


@dataclass
class Placed:
    """A site block's keys that one listener address serves."""

    site: SiteBlock
    addresses: list[Address]


def build_app(cf: Caddyfile, version: tuple[int, ...]) -> tuple[HttpApp, Options, Ctx]:
    blocks = list(cf.blocks)
    opts = Options()
    if blocks and not blocks[0].keys:
        opts = global_options(blocks[0])
        blocks = blocks[1:]
    ctx = Ctx(version, opts.order, GroupCounter(), cf.texts)
    sites: list[SiteBlock] = []
    for i, b in enumerate(blocks):
        if not b.keys:
            raise CaddyfileError(
                "server block without any key is global configuration, and if used, it must be first",
                b.open or (b.segments[0][0] if b.segments else None),
            )
        if b.keys[0].text.startswith("@"):
            raise CaddyfileError(f"cannot define a matcher outside of a site block: '{b.keys[0].text}'", b.keys[0])
        b.nodes = expand_shorthands(b.nodes)
        defs = scope_defs(b.nodes, {})
        values: list[ConfigValue] = []
        for node in b.nodes:
            if node.name.startswith("@"):
                continue
            if node.name not in ctx.order and node.name not in ("bind", "tls", "log", "handle_errors"):
                from wslint.caddy.directives import PARSERS

                if node.name not in PARSERS:
                    hint = "" if b.has_braces else " (did you mean to define a second site? use braces around each)"
                    hint = caddy1_hint(node) or hint
                    raise CaddyfileError(f"unrecognized directive: {node.name}{hint}", node.head)
            values.extend(parse_directive(node, defs, ctx))
        binds = [h for v in values if v.cls == "bind" for h in v.value]
        has_tls = any(v.cls == "tls" for v in values)
        errors = any(v.cls == "error_route" for v in values)
        sites.append(SiteBlock(b, [v for v in values if v.cls == "route"], binds, has_tls, i, errors))
    servers = _servers(sites, opts, ctx, cf)
    app = HttpApp(servers, opts.http_port, opts.https_port, dict(opts.timeouts))
    _auto_https(app, opts)
    return app, opts, ctx


def _listeners(site: SiteBlock, addr: Address, opts: Options) -> list[str]:
    http, https = str(opts.http_port), str(opts.https_port)
    port = addr.port or (http if addr.scheme == "http" else https)
    if (addr.scheme == "http" and port == https) or (addr.scheme == "https" and port == http):
        raise CaddyfileError(f"[{addr.original}] scheme and port violate convention", addr.token)
    hosts = site.binds or opts.default_bind or [""]
    out: set[str] = set()
    for h in hosts:
        network, sep, host = h.partition("/")
        if not sep:
            host, network = network, ""
        host = host.strip("[]")
        joined = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        out.add(f"{network}/{joined}" if network else joined)
    return sorted(out)


def _servers(sites: list[SiteBlock], opts: Options, ctx: Ctx, cf: Caddyfile) -> list[Server]:
    by_addr: dict[str, list[Placed]] = {}
    for site in sites:
        keys_for: dict[str, list[Address]] = {}
        for key in site.block.keys:
            addr = parse_address(key)
            for ln in _listeners(site, addr, opts):
                keys_for.setdefault(ln, []).append(addr)
        for ln in sorted(keys_for):
            by_addr.setdefault(ln, []).append(Placed(site, keys_for[ln]))
    # listener addresses serving identical site lists are one server
    pairings: list[tuple[list[str], list[Placed]]] = []
    for ln in sorted(by_addr):
        sig = [(p.site.index, [a.original for a in p.addresses]) for p in by_addr[ln]]
        for addrs, placed in pairings:
            if [(p.site.index, [a.original for a in p.addresses]) for p in placed] == sig:
                addrs.append(ln)
                break
        else:
            pairings.append(([ln], by_addr[ln]))
    servers: list[Server] = []
    for n, (addrs, placed) in enumerate(sorted(pairings, key=lambda p: p[0][0])):
        servers.append(_server(f"srv{n}", addrs, placed, opts, ctx, cf))
    return servers


def _is_tls(addr: Address, opts: Options) -> bool:
    if addr.scheme == "https":
        return True
    if addr.scheme == "http":
        return False
    port = addr.port or str(opts.https_port)
    if port == str(opts.http_port):
        return False
    return bool(addr.host) or port == str(opts.https_port)


def _server(name: str, addrs: list[str], placed: list[Placed], opts: Options, ctx: Ctx, cf: Caddyfile) -> Server:
    seen: dict[str, int] = {}
    for p in placed:
        for a in p.addresses:
            if a.original in seen and seen[a.original] != p.site.index:
                raise CaddyfileError(f"ambiguous site definition: {a.original}", a.token)
            seen[a.original] = p.site.index
    tls_flags = {_is_tls(a, opts) or p.site.has_tls for p in placed for a in p.addresses}
    if len(tls_flags) > 1:
        first = placed[0].addresses[0]
        raise CaddyfileError(
            f"server listening on {addrs} cannot natively multiplex HTTP and HTTPS: {first.original}", first.token
        )
    tls = tls_flags.pop() if tls_flags else False

    def wildcard(p: Placed) -> bool:
        return any("*" in a.host or a.host == "" for a in p.addresses)

    def longest(p: Placed, attr: str) -> str:
        best = ""
        for a in p.addresses:
            v = getattr(a, attr)
            if specificity(v) > specificity(best):
                best = v
        return best

    # what the comparison reads of a site, worked out once per site, not per comparison
    keys = {id(p): (specificity(longest(p, "host")), wildcard(p), len(longest(p, "path"))) for p in placed}

    def before(i: Placed, j: Placed) -> bool:
        (ispec, iwild, ipath), (jspec, jwild, jpath) = keys[id(i)], keys[id(j)]
        if ispec == 0:
            return False
        if jspec == 0:
            return True
        if iwild != jwild:
            return jwild and not iwild
        if ispec == jspec:
            return ipath > jpath
        return ispec > jspec

    ordered = list(placed)
    go_stable_sort(ordered, before)
    routes: list[Route] = []
    sites: list[Site] = []
    site_of: dict[int, Site] = {}
    for p in ordered:
        sets = _site_matchers(p)
        sub = build_subroute([ConfigValue(v.cls, _copy_route(v.value), v.directive) for v in p.site.routes], ctx)
        b = p.site.block
        block = block_ref(b.keys[0], b.open, b.close, cf.texts) if b.open and b.close else None
        site = Site(
            keys=[a.original for a in p.addresses],
            key_sources=[token_source(a.token) for a in p.addresses],
            hosts=[a.host for a in p.addresses if a.host],
            catch_all=any(a.host == "" for a in p.addresses),
            source=token_source(b.keys[0]),
            block=block,
            label=", ".join(a.original for a in p.addresses),
            scheme="https" if tls else "http",
            tls=tls,
        )
        sites.append(site)
        wrap = True
        if not sets and len(ordered) == 1:
            wrap = any(m.get("host") is not None for r in sub.routes for m in r.match)
        if wrap:
            if not sets and not sub.routes:
                continue
            route = Route(match=sets, terminal=True, source=site.source)
            if sub.routes:
                route.handlers = [sub]
            site_of[len(routes)] = site
            routes.append(route)
        else:
            for r in sub.routes:
                site_of[len(routes)] = site
                routes.append(r)
    merged = consolidate(routes)
    if len(merged) != len(routes):
        site_of = {i: site_of[routes.index(r)] for i, r in enumerate(merged) if routes.index(r) in site_of}
    return Server(name, addrs, merged, sites, tls=tls, site_of=site_of)


def _copy_route(route: Route) -> Route:
    """A site block may be served by several servers: each gets its own route objects."""
    handlers = [(_copy_sub(h) if isinstance(h, Subroute) else h) for h in route.handlers]
    return Route(list(route.match), handlers, route.group, route.terminal, route.directive, route.source, route.keyword)


def _copy_sub(sub: Subroute) -> Subroute:
    return Subroute(sub.name, sub.source, [_copy_route(r) for r in sub.routes])


def _site_matchers(p: Placed) -> list[MatcherSet]:
    """Caddy's compileEncodedMatcherSets: one host (and path) matcher set per distinct address path;
    a key without a host makes its set match every host."""
    pairs: list[list[object]] = []
    catch_all = False
    for a in p.addresses:
        chosen = next((pair for pair in pairs if pair[1] == a.path), None)
        if chosen is None:
            chosen = [[], a.path]
            pairs.append(chosen)
        if a.host == "" and not catch_all:
            chosen[0] = None
            catch_all = True
        if catch_all:
            continue
        hosts = chosen[0]
        if a.host and isinstance(hosts, list) and a.host not in hosts:
            hosts.append(a.host)
    sets: list[MatcherSet] = []
    src = token_source(p.addresses[0].token)
    for hosts, path in pairs:
        matchers: list[HostMatcher | PathMatcher] = []
        if isinstance(hosts, list) and hosts:
            matchers.append(HostMatcher("host", src, [str(h) for h in hosts]))
        if path:
            matchers.append(PathMatcher("path", src, [str(path)]))
        if matchers:
            label = " ".join(str(h) for h in hosts) if isinstance(hosts, list) and hosts else str(path)
            sets.append(MatcherSet(list(matchers), src, label))
    return sets


def _auto_https(app: HttpApp, opts: Options) -> None:
    """The HTTP->HTTPS redirects automatic HTTPS adds on the HTTP port."""
    if opts.auto_https in ("off", "disable_redirects"):
        return
    redirects: dict[str, list[Route]] = {}
    for srv in app.servers:
        if not srv.tls:
            continue
        for site in srv.sites:
            if not site.hosts:
                continue
            for ln in srv.listen:
                host, _, port = ln.rpartition(":")
                target = f"{host}:{app.http_port}"
                loc = "https://{http.request.host}" + (f":{port}" if port != "443" else "") + "{http.request.uri}"
                src = site.source
                route = Route(
                    match=[MatcherSet([HostMatcher("host", src, list(site.hosts))], src, " ".join(site.hosts))],
                    handlers=[StaticResponse("automatic_https", src, status="308", headers={"Location": [loc]})],
                    source=src,
                )
                redirects.setdefault(target, []).append(route)
    # a TLS server on the HTTPS port without host names still gets the catch-all redirect (caddy 2.6 logs
    # "enabling automatic HTTP->HTTPS redirects" for it and answers every plain-HTTP host with 308)
    for srv in app.servers:
        if srv.tls and not srv.automatic and not any(site.hosts for site in srv.sites):
            for ln in srv.listen:
                host, _, port = ln.rpartition(":")
                if port == str(app.https_port):
                    redirects.setdefault(f"{host}:{app.http_port}", [])
    if not redirects:
        return
    https_port = app.https_port

    def catch_all(where: Source | None) -> Route:
        loc = "https://{http.request.host}" + (f":{https_port}" if https_port != 443 else "") + "{http.request.uri}"
        return Route(
            match=[MatcherSet([ProtocolMatcher("protocol", where, "http")], where, "protocol http")],
            handlers=[StaticResponse("automatic_https", where, status="308", headers={"Location": [loc]})],
            source=where,
        )

    def existing_source(addr: str) -> Source | None:
        """The first site of the TLS server whose redirect listens on addr."""
        for srv in app.servers:
            for ln in srv.listen:
                if srv.tls and srv.sites and f"{ln.rpartition(':')[0]}:{app.http_port}" == addr:
                    return srv.sites[0].source
        return None

    remaining: list[Route] = []
    remaining_addrs: list[str] = []
    for addr, routes in redirects.items():
        existing = next((s for s in app.servers if addr in s.listen), None)
        if existing is not None:
            last_host = max(
                (i + 1 for i, r in enumerate(existing.routes) if any(m.get("host") for m in r.match)), default=0
            )
            existing.routes[last_host:last_host] = routes
            existing.site_of = {(k + len(routes) if k >= last_host else k): v for k, v in existing.site_of.items()}
            existing.routes.append(catch_all(routes[0].source if routes else existing_source(addr)))
            continue
        remaining.extend(routes)
        remaining_addrs.append(addr)
    if remaining_addrs:
        remaining.append(catch_all(remaining[0].source if remaining else existing_source(remaining_addrs[0])))
        app.servers.append(Server("remaining_auto_https_redirects", sorted(remaining_addrs), remaining, automatic=True))
