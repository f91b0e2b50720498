"""Building the route model from httpd's servers (wslint.apache.simulator follows declared endpoints).

A route is one line that proxies: a server's `ProxyPass`/`ProxyPassMatch`,
a `<Location>`/`<LocationMatch>` section's `ProxyPass`, or a `RewriteRule
... [P]`. Its handshakes say whether each simulated browser's upgrade reaches
the backend (httpd forwards it only to ws:// URLs or through a worker with
`upgrade=websocket`), its idle timeout is the one that closes the tunnel, and
its divergences are the clients its own RewriteConds send elsewhere.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, replace

from wslint.apache.config import Mapping, Server, Servers, Worker
from wslint.apache.loader import Loaded
from wslint.apache.parser import Node, dedent
from wslint.apache.rewrite import Cond, Request, Rule, Unknown, cond_holds
from wslint.apache.routing import CHECK_METHODS, VARIABLE, Context, Outcome, Router, Upgrade, header_tokens
from wslint.clients import CLIENTS, Client
from wslint.intent import path_signal
from wslint.lazy import LazySequence
from wslint.model import (
    Action,
    BlockRef,
    Divergence,
    EndpointResult,
    Header,
    HeaderScope,
    HealthCheck,
    Intent,
    ListenAddress,
    Listener,
    Match,
    Matcher,
    Position,
    ProxyConfig,
    Rewrite,
    Route,
    ServerName,
    Setting,
    Source,
    UpgradeBlock,
    UpgradeSupport,
    Upstream,
    UpstreamProtocol,
    UpstreamRequest,
    UpstreamTarget,
)
from wslint.textfiles import lines_of

WS_TEST = re.compile(r"websocket|upgrade", re.I)
# the query every Socket.IO client sends with its WebSocket handshake
SOCKETIO_QUERY = "EIO=4&transport=websocket"
_HOST_PORT = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?$%]*)")


def _upgrade_blocked(out: Outcome) -> UpgradeBlock | None:
    """The RequestHeader line that leaves mod_proxy no `Upgrade: websocket` for a browser's handshake (it runs
    before mod_proxy, so no worker setting brings the upgrade back)."""
    if out.upgrade_edit is None or not out.headers:
        return None
    value = out.headers[-1][1]
    if header_tokens(value) == ["websocket"]:
        return None
    text, source = out.upgrade_edit
    return UpgradeBlock("Upgrade", text, source)


def block_of(node: Node, texts: dict[str, str]) -> BlockRef | None:
    """The body of a section, for fixes that add lines to it."""
    if node.close is None:
        return None
    children = node.children or []
    # split once per file however many sections ask: per section it made many vhosts quadratic
    lines = lines_of(texts.get(node.source.path, ""))
    child_indent = node.indent + "    "
    if children:
        first = lines[children[0].source.line - 1] if children[0].source.line <= len(lines) else ""
        child_indent = first[: len(first) - len(first.lstrip(" \t"))]
    return BlockRef(
        path=node.source.path,
        opened_by=node.head,
        body_start=Position(node.head.end_line or node.head.line, node.head.end_column or 1),
        body_end=Position(node.close.line, node.close.column or 1),
        indent=node.indent,
        child_indent=child_indent,
        close_on_own_line=True,
        open_ends_line=True,
    )


def _literal_prefix(pattern: str) -> str:
    """The plain path a regex starts with (`^/octoprint/(.*)$` -> `/octoprint/`)."""
    body = pattern.lstrip("^")
    out = []
    for ch in body:
        if ch in ".*+?()[]{}|$\\":
            break
        out.append(ch)
    text = "".join(out)
    return text if text.startswith("/") else "/"


def _protocol(url: str) -> UpstreamProtocol:
    scheme = url.split("://", 1)[0].lower() if "://" in url else "http"
    if scheme in ("https", "wss", "h2"):
        return "https"
    if scheme == "fcgi":
        return "fastcgi"
    if scheme in ("uwsgi", "scgi"):
        return scheme  # type: ignore[return-value]
    return "http"


def host_port(url: str) -> str:
    m = _HOST_PORT.match(url)
    return (m.group(1) if m else url) + "/"


@dataclass
class Decider:
    server: Server
    node: Node
    mapping: Mapping | None = None
    rule: Rule | None = None


class ApacheModel:
    def __init__(
        self,
        loaded: Loaded,
        main_file: str,
        version: tuple[int, ...],
        version_text: str,
        version_assumed: bool,
        clients: tuple[Client, ...] = CLIENTS,
    ) -> None:
        self.loaded = loaded
        self.main_file = main_file
        self.version = version
        self.version_text = version_text
        self.version_assumed = version_assumed
        self.clients = clients
        self.servers = Servers(loaded.nodes, version)
        self.context = Context(version, loaded.modules, *_unfollowed(loaded.nodes))
        self.hosts: list[Server] = self.servers.vhosts or [self.servers.main]
        if self.servers.vhosts and any(
            not any(p is None or p == port for s in self.servers.vhosts for _, p in s.addresses)
            for port in self.servers.listen_ports()
        ):
            # a port httpd listens on that no vhost claims is answered by the main server
            self.hosts = [*self.hosts, self.servers.main]
        self.listeners: dict[int, Listener] = {id(s): self._listener(s) for s in self.hosts}
        self.routes: dict[tuple[int, int], Route] = {}
        self.order: list[Route] = []
        for s in self.hosts:
            for d in self.deciders(s):
                self.route(d)

    # -- listeners --------------------------------------------------------------------

    def _listener(self, s: Server) -> Listener:
        if s.node is None:
            src = Source(self.main_file, 1, 1)
            names = tuple(ServerName(n, "exact", node.source) for n, node in s.names)
            claimed = {p for v in self.servers.vhosts for _, p in v.addresses}
            ports = sorted(p for p in self.servers.listen_ports() if p not in claimed) or [80]
            addrs = tuple(ListenAddress(None, p, True, p == 443, False, src) for p in ports)
            return Listener(f"{self.main_file}#main", addrs, names, src, None)
        names = tuple(
            ServerName(n, "wildcard_start" if n.startswith("*") else "exact", node.source) for n, node in s.names
        )
        addrs = tuple(
            ListenAddress(None if h in ("*", "_default_") else h, p or 80, False, p == 443, False, s.node.head)
            for h, p in s.addresses
        )
        return Listener(
            f"{s.node.source.path}:{s.node.source.line}",
            addrs,
            names,
            s.node.source,
            block_of(s.node, self.loaded.texts),
            dedent(s.node.text, s.node.indent),
        )

    # -- routes -----------------------------------------------------------------------

    def deciders(self, s: Server) -> list[Decider]:
        out: list[Decider] = []
        for sec in s.locations:
            if sec.mapping is not None and not sec.mapping.excluded:
                out.append(Decider(s, sec.mapping.node, mapping=sec.mapping))
        if s.rewrite_on:
            out += [Decider(s, r.node, rule=r) for r in s.rules if r.proxy]
        out += [Decider(s, m.node, mapping=m) for m in s.mappings if not m.excluded]
        return out

    def route_of(self, s: Server, node: Node | None) -> Route | None:
        if node is None:
            return None
        return self.routes.get((id(s), id(node)))

    def route(self, d: Decider) -> Route:
        key = (id(d.server), id(d.node))
        if key in self.routes:
            return self.routes[key]
        route = self._route(d)
        self.routes[key] = route
        self.order.append(route)
        return route

    def _route(self, d: Decider) -> Route:
        s, router = d.server, Router(d.server, self.context)
        if d.mapping is not None:
            m = d.mapping
            sample = m.path if m.kind == "prefix" else _literal_prefix(m.path)
            if m.location is not None:
                noun = "Location" if m.location.node.key == "location" else "LocationMatch"
                match = Match("named" if m.kind == "regex" else "prefix", m.path, m.location.node.head)
                source, text = m.location.node.source, dedent(m.location.node.text, m.location.node.indent)
                block = block_of(m.location.node, self.loaded.texts)
            else:
                noun = "ProxyPass" if m.node.key == "proxypass" else "ProxyPassMatch"
                match = Match("named" if m.kind == "regex" else "prefix", m.path, m.node.source)
                source, text = m.node.source, m.node.text
                block = self.listeners[id(s)].block
            url_template = m.url
        else:
            assert d.rule is not None
            r = d.rule
            sample = _literal_prefix(r.pattern.lstrip("!"))
            noun = "RewriteRule"
            match = Match("named", r.pattern, r.node.source)
            source, text, block = r.node.source, r.node.text, self.listeners[id(s)].block
            url_template = r.substitution
        base_url = VARIABLE.split(url_template, maxsplit=1)[0]
        first = self._outcome(router, d, base_url, self.clients[0])
        upgrade = first.upgrade or Upgrade(False, "not proxied")
        worker = upgrade.worker
        group = self._upstream(first, d)
        target = UpstreamTarget(
            directive=noun,
            url=base_url if d.mapping is not None else url_template,
            protocol=_protocol(first.url or base_url),
            uri=None,
            has_variables=url_template != base_url,
            group=group,
            source=(d.mapping.node.source if d.mapping is not None else source),
        )
        # the other browsers' outcomes only matter to a rule that reads their handshakes (wslint.lazy)
        handshakes = LazySequence(
            lambda c: self.handshake(
                c, first if c is self.clients[0] else self._outcome(router, d, base_url, c), s, base_url
            ),
            self.clients,
        )
        seconds, idle_src, idle_text = router.idle(worker)
        level = "route" if worker is not None and idle_src == worker.node.source else "outer"
        intent = self._intent(d, first, sample, router)
        timeout_rewrite = None
        if seconds < 60 and level == "route" and worker is not None:
            timeout_rewrite = Rewrite(
                worker.node.source, re.sub(r"(?i)\btimeout=\S+", "timeout=3600", worker.node.text, count=1)
            )
        support = self._support(
            d, upgrade, base_url, first, timeout_rewrite, idle_text if idle_src is not None else None
        )
        signal = path_signal(sample if d.mapping is None or d.mapping.kind == "prefix" else d.mapping.path)
        return Route(
            id=f"{source}#{s.label}",
            proxy="apache",
            listener=self.listeners[id(s)],
            match=match,
            action=Action("proxy", source, base_url),
            source=source,
            block=block,
            upstream=target,
            websocket=intent,
            handshakes=handshakes,
            idle_timeout=Setting(seconds, idle_src, level),  # type: ignore[arg-type]
            header_scope=HeaderScope(None, None, None, (), block),
            divergences=self._divergences(d, router, sample),
            path_signal=signal[0] if signal else None,
            noun=noun,
            text=text,
            upgrade_support=support,
            upgrade_blocked=_upgrade_blocked(first),
        )

    def _outcome(self, router: Router, d: Decider, url: str, client: Client) -> Outcome:
        out = Outcome("proxied", "proxy-pass", d.node.source, url=url, mapping=d.mapping, rule=d.rule)
        section = d.mapping.location if d.mapping is not None else None
        headers = router.request(client, "app.example.test", None, False)
        # the route's own upgrade: who may reach it (Require, Deny) is the endpoints' business
        return router._proxied(out, [section] if section is not None else [], headers, [], [], access=False)

    def _upstream(self, out: Outcome, d: Decider) -> Upstream | None:
        bal = out.balancer
        url = d.mapping.url if d.mapping is not None else (d.rule.substitution if d.rule else "")
        if bal is None and url.lower().startswith("balancer://"):
            bal = d.server.balancers.get("balancer://" + url.split("://", 1)[1].split("/", 1)[0].lower())
        if bal is None:
            return None
        return Upstream(
            bal.name,
            tuple(m.name for m in bal.members),
            None,
            False,
            bal.node.source,
            health_check=self._health_check(bal.members, Router(d.server, self.context)),
        )

    def _health_check(self, members: list[Worker], router: Router) -> HealthCheck | None:
        checked = [m for m in members if m.params.get("hcmethod", "TCP").upper() in CHECK_METHODS]
        if not checked or not self.context.loaded("proxy_hcheck_module"):
            return None
        m = checked[0]
        path = m.params.get("hcuri", "/")
        text = re.sub(r"\s+hc(method|uri)=\S+", "", m.node.text, flags=re.I)
        hc = HealthCheck(
            m.params.get("hcmethod", "GET").upper(),
            path,
            m.node.source,
            expect=m.params.get("hcexpr"),
            servers=tuple(x.name for x in checked),
            rewrite=Rewrite(m.node.source, text),
        )
        if router.check_fails(m):
            hc = replace(hc, socket_path=path.split("?", 1)[0])
        return hc

    def handshake(
        self, client: Client, out: Outcome, s: Server, url: str, host: str = "app.example.test"
    ) -> UpstreamRequest:
        up = out.upgrade
        enabled = up is not None and up.enabled and out.kind == "proxied"
        src = up.worker.node.source if up is not None and up.worker is not None else out.cause
        origin = "configured" if up is not None and up.worker is not None else "default"
        host_value = "app.example.test" if s.preserve_host else host_port(out.url or url).split("://", 1)[-1].strip("/")
        headers = (
            Header("Upgrade", "websocket" if enabled else "", "websocket" if enabled else "", src, origin),  # type: ignore[arg-type]
            Header("Connection", "Upgrade" if enabled else "", "Upgrade" if enabled else "", src, origin),  # type: ignore[arg-type]
            Header("Host", "ProxyPreserveHost", host_value, None, "default"),
        )
        return UpstreamRequest(client.name, Setting("1.1"), host_port(out.url or url), out.backend_path, headers)

    def _intent(self, d: Decider, out: Outcome, sample: str, router: Router) -> Intent:
        scheme = (out.url or "").split("://", 1)[0].lower()
        node = d.mapping.node if d.mapping is not None else d.node
        if "wslint: websocket" in node.text:
            return Intent("declared", "it is marked '# wslint: websocket'", node.source)
        barrier = self._keeps_handshakes_out(d, router, sample)
        if barrier is not None:
            return Intent("none", f"its condition `{barrier.node.text}` lets no WebSocket handshake through")
        if scheme in ("ws", "wss"):
            return Intent("explicit", f"it proxies to a {scheme}:// URL", node.source)
        up = out.upgrade
        if up is not None and up.enabled and up.worker is not None and up.worker.upgrade:
            return Intent("explicit", f"its worker has upgrade={up.worker.upgrade}", up.worker.node.source)
        if d.rule is not None:
            for c in d.rule.conds:
                if c.header in ("upgrade", "connection") and WS_TEST.search(c.pattern):
                    return Intent("explicit", f"it is guarded by a test for an upgrade ({c.node.text})", c.node.source)
        pattern = d.mapping.path if d.mapping is not None else d.rule.pattern if d.rule else sample
        signal = path_signal(pattern)
        if signal is not None:
            first = self._upgraded_before(d, router, sample)
            if first is not None:
                return Intent("none", f"WebSocket handshakes for its path are upgraded by `{first.text}` first")
            inner = self._websocket_within(d, router)
            if inner is not None:
                return Intent("none", f"its WebSockets go to `{inner.text}`, which upgrades", inner.source)
            return Intent("heuristic" if signal[0] == "strong" else "possible", signal[1], node.source)
        return Intent("none", "nothing in its configuration or path suggests WebSockets")

    def _upgraded_before(self, d: Decider, router: Router, sample: str) -> Node | None:
        """For a route known only by its path: the line that takes every browser's handshake for that path
        first and upgrades it (the ws:// `RewriteRule ... [P]` ahead of the plain `ProxyPass /socket.io` of
        the Socket.IO recipe, tried with and without Socket.IO's query)."""
        for query in ("", SOCKETIO_QUERY):
            found: Node | None = None
            for c in self.clients:
                where = router.run(sample, query, c, "app.example.test", None)
                decider = where.decider
                if (
                    where.kind != "proxied"
                    or where.uncertain
                    or decider is None
                    or decider is d.node
                    or where.upgrade is None
                    or not where.upgrade.enabled
                ):
                    found = None
                    break
                found = found or decider
            if found is not None:
                return found
        return None

    def _websocket_within(self, d: Decider, router: Router) -> Node | None:
        """For a prefix route known only by its path: a longer prefix under it that proxies WebSockets
        (to ws:// or with upgrade=) and gets its own path (`ProxyPass /push/ws ws://...` before
        `ProxyPass /push/ http://...`)."""
        m = d.mapping
        if m is None or m.kind != "prefix":
            return None
        for o in self.deciders(d.server):
            om = o.mapping
            if om is None or o.node is d.node or om.kind != "prefix" or len(om.path) <= len(m.path):
                continue
            if not om.path.startswith(m.path):
                continue
            scheme = om.url.split("://", 1)[0].lower()
            if scheme not in ("ws", "wss") and not re.search(r"(?i)\bupgrade=(?!none\b)", om.node.text):
                continue
            where = router.run(om.path, "", self.clients[0], "app.example.test", None)
            if where.kind == "proxied" and where.decider is o.node:
                return o.node
        return None

    def _keeps_handshakes_out(self, d: Decider, router: Router, sample: str) -> Cond | None:
        """The Upgrade/Connection RewriteCond that fails for every client's handshake, so that the
        rule never proxies one (`RewriteCond %{HTTP:Upgrade} !=websocket [NC]` before the plain rule)."""
        rule = d.rule
        if rule is None or not rule.conds:
            return None
        failing: set[int] | None = None
        for c in self.clients:
            req = Request(
                sample, "", "app.example.test", router.request(c, "app.example.test", None, False), False, 80, ""
            )
            try:
                results = [cond_holds(cond, req, ("",), [""]) for cond in rule.conds]
            except Unknown:
                return None
            if _chain(rule.conds, results):
                return None
            mine = {i for i, (cond, ok) in enumerate(zip(rule.conds, results, strict=True)) if not ok and cond.header}
            failing = mine if failing is None else failing & mine
        for i in sorted(failing or ()):
            cond = rule.conds[i]
            alone = not cond.ornext and (i == 0 or not rule.conds[i - 1].ornext)
            if alone and cond.header in ("upgrade", "connection"):
                return cond
        return None

    def _support(
        self,
        d: Decider,
        up: Upgrade,
        url: str,
        out: Outcome,
        timeout_rewrite: Rewrite | None = None,
        timeout_text: str | None = None,
    ) -> UpgradeSupport:
        worker = up.worker
        src = worker.node.source if worker is not None else d.node.source
        rewrite = insert = None
        if not up.enabled and up.handler:
            if worker is not None and not (worker.node.children is not None):
                rewrite = Rewrite(worker.node.source, worker.node.text + " upgrade=websocket")
            elif worker is None and d.rule is not None:
                insert = Rewrite(
                    d.rule.node.source, f'<Proxy "{host_port(url)}">\n    ProxySet upgrade=websocket\n</Proxy>'
                )
        load_line = None
        if not up.handler and up.missing:
            scheme = url.split("://", 1)[0].lower()
            module = "proxy_wstunnel_module" if scheme in ("ws", "wss") else up.missing[0]
            load_line = f"LoadModule {module} {self.loaded.module_dir}mod_{module[: -len('_module')]}.so"
        return UpgradeSupport(
            enabled=up.enabled,
            reason=up.reason,
            source=src,
            handler=up.handler,
            missing_modules=up.missing,
            rewrite=rewrite,
            insert=insert,
            load_line=load_line,
            load_after=self.loaded.load_anchor,
            timeout_rewrite=timeout_rewrite,
            timeout_text=timeout_text,
        )

    # -- divergences --------------------------------------------------------------------

    def _divergences(self, d: Decider, router: Router, sample: str) -> tuple[Divergence, ...]:
        rule = d.rule
        if rule is None or not rule.conds:
            return ()
        verdicts: list[tuple[Client, list[bool] | None]] = []
        for c in self.clients:
            req = Request(
                sample, "", "app.example.test", router.request(c, "app.example.test", None, False), False, 80, ""
            )
            try:
                results = [cond_holds(cond, req, ("",), [""]) for cond in rule.conds]
            except Unknown:
                return ()
            verdicts.append((c, results))
        passing = [v for _, v in verdicts if v is not None and _chain(rule.conds, v)]
        if not passing or len(passing) == len(verdicts):
            return ()
        good = passing[0]
        out: list[Divergence] = []
        for c, v in verdicts:
            if v is None or _chain(rule.conds, v):
                continue
            for cond, mine, theirs in zip(rule.conds, v, good, strict=True):
                if mine == theirs or cond.header not in ("upgrade", "connection"):
                    continue
                where = router.run(sample, "", c, "app.example.test", None)
                if (
                    where.kind == "proxied"
                    and where.upgrade is not None
                    and where.upgrade.enabled
                    and host_port(where.url or "").split("://")[-1] == host_port(rule.substitution).split("://")[-1]
                ):
                    # the handshake the rule misses still reaches the same server as an upgrade
                    break
                matcher, fixed = self._matcher(cond, router)
                upgrades = "upgrades" if where.upgrade and where.upgrade.enabled else "no upgrade"
                actual = (
                    f"`{where.decider.text}` ({upgrades})"
                    if where.decider is not None
                    else f"{where.status or where.kind} ({where.reason})"
                )
                value = dict(router.request(c, "app.example.test", None, False)).get(cond.header or "", "")
                out.append(
                    Divergence(
                        client=c.name,
                        aspect="upstream",
                        expected=rule.substitution,
                        actual=actual,
                        variable=cond.test,
                        matcher=matcher,
                        cause=cond.node.source,
                        detail=f"`{cond.node.text}` does not match the {c.name} handshake's `{value}`",
                        key=cond.pattern,
                        value=value,
                        rewrite=Rewrite(cond.node.source, fixed),
                    )
                )
                break
        return tuple(out)

    def _matcher(self, cond: Cond, router: Router) -> tuple[Matcher, str]:
        flags = sorted(set(cond.flags) | {"NC"}, key=lambda f: f != "NC")
        flag_text = "[" + ",".join(f.upper() for f in flags if f.lower() != "nc" or f == "NC") + "]"
        caseless = Cond(cond.test, cond.pattern, frozenset({*cond.flags, "nc"}), cond.node)
        results = []
        for c in self.clients:
            req = Request("/", "", None, router.request(c, "app.example.test", None, False), False, 80, "")
            try:
                results.append(cond_holds(caseless, req, ("",), [""]))
            except Unknown:
                results.append(False)
        if all(results):
            return "case-sensitive", f"RewriteCond {cond.test} {cond.pattern} {flag_text}"
        wanted = "websocket" if cond.header == "upgrade" else "upgrade"
        matcher: Matcher = "whole-value" if cond.header == "connection" else "other"
        return matcher, f"RewriteCond {cond.test} {wanted} {flag_text}"

    # -- the whole configuration ---------------------------------------------------------

    def config(
        self, routes: list[Route], results: tuple[EndpointResult, ...], misplaced: tuple[object, ...]
    ) -> ProxyConfig:
        from wslint.model import MisplacedDirective

        return ProxyConfig(
            proxy="apache",
            version=self.version_text,
            main_file=self.main_file,
            files=tuple(self.loaded.files),
            listeners=tuple(self.listeners[id(s)] for s in self.hosts),
            routes=tuple(routes),
            upstreams=tuple(
                Upstream(b.name, tuple(m.name for m in b.members), None, False, b.node.source)
                for s in self.hosts
                for b in s.balancers.values()
            ),
            variables=frozenset(),
            variable_references=(),
            misplaced_directives=tuple(m for m in misplaced if isinstance(m, MisplacedDirective)),
            http_block=None,
            fragment_context="main",
            endpoint_results=results,
            version_assumed=self.version_assumed,
        )


ENV_SETTERS = frozenset(
    {"setenv", "setenvif", "setenvifnocase", "setenvifexpr", "browsermatch", "browsermatchnocase", "rewriterule"}
)


def _unfollowed(nodes: list[Node]) -> tuple[tuple[str, ...], tuple[Source, ...]]:
    """What the whole configuration holds that wslint does not follow: mod_macro's `Use` lines (the virtual
    hosts and sections they expand to are not read), and where force-proxy-request-1.0 is set."""
    uses: list[str] = []
    force10: list[Source] = []
    # breadth first, as before; a deque, since list.pop(0) made it quadratic in the number of lines
    todo = deque(nodes)
    while todo:
        n = todo.popleft()
        if n.key == "use":
            uses.append(f"what `{n.text}` at {n.source} expands to (mod_macro is not followed)")
        elif n.key in ENV_SETTERS and "force-proxy-request-1.0" in n.text.lower():
            force10.append(n.source)
        todo.extend(n.children or [])
    return tuple(uses), tuple(force10)


def _chain(conds: tuple[Cond, ...], results: list[bool]) -> bool:
    """Whether conditions with these results let the rule apply ([OR] chains)."""
    chain = False
    for i, (cond, holds) in enumerate(zip(conds, results, strict=True)):
        chain = chain or holds
        if cond.ornext and i + 1 < len(conds):
            continue
        if not chain:
            return False
        chain = False
    return True
