"""Building the route model from HAProxy's proxies.

A route is one way a frontend hands requests to a backend: each `use_backend`
rule (one per backend a dynamic rule can name through its map file), the
`default_backend`, and a listen section's own servers. Its handshakes are what
each simulated browser's request looks like when it reaches that backend (the
frontend's and the backend's `http-request` rules applied), its idle timeout
the one that closes the tunnel, and its divergences the clients that the
rule's own condition sends elsewhere (a case-sensitive ACL on Connection).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from wslint.adapters import inside
from wslint.clients import CLIENTS, Client
from wslint.endpoints import Endpoint
from wslint.findings import Diagnostic, Severity
from wslint.haproxy.acl import AclTest, Condition, TestResult
from wslint.haproxy.keywords import removed_global
from wslint.haproxy.parser import ParsedConfig, Section, Statement
from wslint.haproxy.proxies import WEBSOCKET_MARKER, Proxy, Timeout, parse_time
from wslint.haproxy.request import HTX_SINCE, HttpRequest, handshake_request
from wslint.haproxy.routing import Flow, Outcome, Router, Switch
from wslint.haproxy.samples import MapFile, SampleContext, match_values, read_map
from wslint.inputs import display_path
from wslint.intent import Strength, path_signal
from wslint.lazy import LazySequence
from wslint.limits import Limits
from wslint.model import (
    Action,
    Divergence,
    Header,
    HeaderOrigin,
    HeaderScope,
    HealthCheck,
    IdleTimeouts,
    Intent,
    ListenAddress,
    Listener,
    Match,
    Matcher,
    MisplacedDirective,
    ProxyConfig,
    Rewrite,
    Route,
    ServerName,
    Setting,
    Snippet,
    UpgradeBlock,
    Upstream,
    UpstreamRequest,
    UpstreamTarget,
)
from wslint.textfiles import TextFileError
from wslint.upgrade_block import upgrade_block

UPGRADE_HEADERS = ("upgrade", "connection")
# what HAProxy speaks to a server (one instance for every handshake: a Setting is immutable)
HTTP_1_1: Setting[str] = Setting("1.1")
_NAME_WORDS = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class BuildOptions:
    version: tuple[int, ...]
    version_text: str
    endpoints: tuple[Endpoint, ...] = ()
    clients: tuple[Client, ...] = CLIENTS
    version_assumed: bool = False
    roots: tuple[tuple[str, str], ...] = ()
    # with --confine, the directories map and pattern files must be in
    confine: tuple[str, ...] | None = None
    file_size: int = Limits().file_size


def positive_tests(cond: Condition | None, proxy: Proxy) -> list[AclTest]:
    """The tests that must match for the condition to hold (named ACLs expanded)."""
    if cond is None:
        return []
    out: list[AclTest] = []
    for term in cond.terms():
        if term.negated != cond.unless:
            continue
        if isinstance(term.ref, str):
            out.extend(proxy.acls.acls.get(term.ref, []))
        else:
            out.append(term.ref)
    return out


def literal_path(tests: list[AclTest]) -> str | None:
    """A path the condition is written for: the first exact or prefix path pattern."""
    for t in tests:
        if t.expr is None or t.expr.converters or t.expr.fetch.name not in ("path", "url", "pathq"):
            continue
        if t.method in ("str", "beg", "dir") and t.patterns:
            p = t.patterns[0][0]
            if p.startswith("/"):
                return p if t.method == "str" else p if p.endswith("/") else p + ("/" if t.method == "dir" else "")
    return None


def literal_host(tests: list[AclTest]) -> str | None:
    for t in tests:
        if t.header == "host" and t.method in ("str", "dom") and t.patterns:
            return t.patterns[0][0]
    return None


def tests_on(cond: Condition | None, proxy: Proxy) -> list[AclTest]:
    """Every test of a condition (named ACLs expanded)."""
    if cond is None:
        return []
    out: list[AclTest] = []
    for term in cond.terms():
        if isinstance(term.ref, str):
            out.extend(proxy.acls.acls.get(term.ref, []))
        else:
            out.append(term.ref)
    return out


def _websocket_test(t: AclTest) -> bool:
    """A test that looks for an upgrade: `hdr(upgrade) websocket`, `hdr(connection) upgrade`."""
    if t.header not in UPGRADE_HEADERS:
        return False
    wanted = "websocket" if t.header == "upgrade" else "upgrade"
    return t.method == "found" or any(wanted in p.lower() for p, _ in t.patterns)


class HaproxyModel:
    """Proxies, their routes and the simulator, for one configuration."""

    def __init__(
        self,
        parsed: ParsedConfig,
        proxies: list[Proxy],
        defaults: list[Proxy],
        options: BuildOptions,
        diagnostics: list[Diagnostic] | None = None,
    ) -> None:
        self.parsed = parsed
        # what reading map files found (they are read when a route or request first needs them)
        self.diagnostics = diagnostics if diagnostics is not None else []
        self.proxies = proxies
        self.defaults = defaults
        self.options = options
        self.version = options.version
        self.backends = {p.name: p for p in proxies if p.is_backend}
        self.frontends = [p for p in proxies if p.is_frontend]
        self._maps: dict[str, MapFile | None] = {}
        self.default_path = self._default_path()
        self.router = Router(self.backends, self.map_file, self.version)
        self.listeners: dict[str, Listener] = {}
        self._routes: dict[tuple[str, str, int, str], Route] = {}
        self.route_order: list[Route] = []
        # by id of the proxy (a frontend and a backend may share a name): whether its http-request rules and
        # redirects read no map or pattern file
        self._quiet: dict[int, bool] = {}
        self._upstreams: dict[int, Upstream] = {}
        # the headers of handshakes that no rule touched, by name, value and origin: every route's handshakes
        # share their Upgrade, Connection, Sec-WebSocket-* and User-Agent (a Header is immutable)
        self._client_headers: dict[tuple[str, str | None, HeaderOrigin], Header] = {}
        self._tunnels: dict[int, Statement | None] = {}
        self._frontend_idle: dict[int, tuple[Setting[float] | None, tuple[Setting[float], ...]]] = {}
        # by id of the backend: what its name alone says of WebSockets
        self._name_signals: dict[int, tuple[Strength, str] | None] = {}

    # -- files next to the configuration ------------------------------------------------

    def _default_path(self) -> tuple[str, str | None]:
        for s in self.parsed.sections:
            if s.kind == "global":
                for st in s.all("default-path"):
                    if st.args:
                        return st.args[0], st.args[1] if len(st.args) > 1 else None
        return "current", None

    def _disk_dir(self, section: Section) -> str:
        disk = self.parsed.disk_paths.get(section.source.path, section.source.path)
        return os.path.dirname(os.path.abspath(disk))

    def map_file(self, name: str, section: Section) -> MapFile | None:
        """A map or pattern file, found the way `default-path` says (`current` is taken as the
        configuration's directory: the server's working directory is unknown here)."""
        path = name
        for server, local in self.options.roots:
            if path == server or path.startswith(server.rstrip("/") + "/"):
                path = local + path[len(server) :]
        if not os.path.isabs(path):
            mode, origin = self.default_path
            base = self._disk_dir(section)
            if mode == "parent":
                base = os.path.dirname(base)
            elif mode == "origin" and origin:
                base = origin
            path = os.path.normpath(os.path.join(base, path))
        if path not in self._maps:
            self._maps[path] = self._read_map(path, section)
        return self._maps[path]

    def _read_map(self, path: str, section: Section) -> MapFile | None:
        """The map file, or None (what it decides is unknown): one that is not there is the server's own
        business, one that is there but cannot be read, or lies outside --confine, is said."""
        where = (section.source.path, section.source.line)
        if not inside(path, self.options.confine):
            self.diagnostics.append(
                Diagnostic(
                    "include",
                    Severity.ERROR,
                    f"map file {display_path(path)} leaves the confined directories (--confine); it was not read",
                    *where,
                )
            )
            return None
        if not os.path.lexists(path):
            return None
        try:
            return read_map(path, self.options.file_size)
        except TextFileError as exc:
            self.diagnostics.append(
                Diagnostic("io", Severity.WARNING, f"{exc}; what the map decides is unknown", *where)
            )
            return None

    # -- listeners ------------------------------------------------------------------------

    def listener(self, fe: Proxy) -> Listener:
        if fe.name in self.listeners:
            return self.listeners[fe.name]
        addresses = tuple(ListenAddress(b.host, b.port, False, b.ssl, False, b.statement.source) for b in fe.binds)
        # HAProxy has no server names: the frontend's name stands in the listener's label
        names = (ServerName(f"{fe.kind} {fe.name}", "exact", fe.section.source),)
        li = Listener(f"{fe.section.source}#{fe.name}", addresses, names, fe.section.source, fe.section.block)
        self.listeners[fe.name] = li
        return li

    # -- requests -----------------------------------------------------------------------

    def request(
        self, fe: Proxy, client: Client, host: str | None, path: str | None, query: str | None, tls: bool | None
    ) -> HttpRequest:
        bind = fe.binds[0] if fe.binds else None
        port = bind.port if bind is not None else None
        use_tls = tls if tls is not None else bool(bind and bind.ssl)
        # a TCP frontend passes the bytes: no HTTP parser cleans the Connection header
        version = self.version if fe.mode == "http" else (1, 0)
        return handshake_request(client, host, path, query, use_tls, port, version)

    # -- routes -------------------------------------------------------------------------

    def switches(self, fe: Proxy) -> list[Switch]:
        out: list[Switch] = []
        for ub in fe.use_backends:
            names = [ub.target] if not ub.dynamic else self._dynamic_targets(fe, ub.target)
            for name in names:
                be = self.backends.get(name)
                if be is not None:
                    out.append(Switch("use_backend", be, ub.statement.source, ub))
        if fe.default_backend is not None and fe.default_backend.args:
            be = self.backends.get(fe.default_backend.args[0])
            if be is not None:
                out.append(Switch("default_backend", be, fe.default_backend.source))
        elif fe.kind == "listen":
            out.append(Switch("listen", fe, fe.section.source))
        return out

    def _dynamic_targets(self, fe: Proxy, target: str) -> list[str]:
        """The backends a dynamic name can produce: the values (and default) of its map."""
        names: list[str] = []
        for m in re.finditer(r"map[a-z_]*\(([^,)]+)(?:,([^)]*))?\)", target):
            mp = self.map_file(m.group(1).strip("\"'"), fe.section)
            if mp is not None:
                names += [v for _, v in mp.entries]
            if m.group(2):
                names.append(m.group(2).strip("\"'"))
        return list(dict.fromkeys(n for n in names if n in self.backends))

    def route_for(self, fe: Proxy, switch: Switch) -> Route:
        key = (fe.name, switch.kind, switch.rule.index if switch.rule else -1, switch.backend.name)
        if key not in self._routes:
            route = self._route(fe, switch)
            self._routes[key] = route
            self.route_order.append(route)
        return self._routes[key]

    def replace_route(self, old: Route, new: Route) -> None:
        for key, r in self._routes.items():
            if r is old:
                self._routes[key] = new
        self.route_order = [new if r is old else r for r in self.route_order]

    def _route(self, fe: Proxy, switch: Switch) -> Route:
        be = switch.backend
        st = switch.rule.statement if switch.rule is not None else fe.default_backend
        if switch.kind == "listen" or st is None:
            noun, pattern, text = "listen", fe.name, fe.section.header.text
            source = fe.section.source
        else:
            noun = switch.kind
            pattern = st.span_text(1, len(st.words) - 1)
            if switch.rule is not None and switch.rule.dynamic:
                pattern += f" ({be.name})"
            text, source = st.text, st.source
        tests = positive_tests(switch.rule.cond if switch.rule else None, fe)
        path, host = literal_path(tests), literal_host(tests)
        clients = self.options.clients
        handshakes: Sequence[UpstreamRequest]
        blocked: UpgradeBlock | None = None
        if not clients:
            handshakes, idle = (), None
        else:

            def outcome(c: Client) -> Outcome:
                return self.router.run(fe, self.request(fe, c, host, path, None, None), switch)

            if self._untouched(fe, be):
                # no rule on the way: nothing sets a timeout or touches a header, and only a backend without a
                # server answers, so the handshakes are simulated only when a rule reads them
                idle = self._idle(fe, be, None, None)
                handshakes = LazySequence(lambda c: self._reached(outcome(c)), clients) if be.servers else ()
            else:
                handshakes, idle = self._simulated(fe, be, outcome)
                blocked = upgrade_block(handshakes[0] if handshakes else None)
        target = UpstreamTarget(
            directive=noun,
            url=be.name,
            protocol="http",
            uri=None,
            has_variables=bool(switch.rule and switch.rule.dynamic),
            group=self.upstream(be),
            source=source,
        )
        signal = self._signal(tests, be)
        return Route(
            id=f"{source}#{fe.name}->{be.name}",
            proxy="haproxy",
            listener=self.listener(fe),
            match=Match("named", pattern, source),
            action=Action("proxy", source, be.name),
            source=source,
            block=be.section.block,
            upstream=target,
            websocket=self._intent(fe, switch, tests, be, signal, host, path),
            handshakes=handshakes,
            idle_timeout=effective_timeout(idle) if idle is not None else None,
            header_scope=HeaderScope(None, None, None, (), be.section.block),
            divergences=self._divergences(fe, switch, path, host),
            path_signal=signal[0] if signal else None,
            noun=noun,
            text=text,
            idle=idle,
            upgrade_blocked=blocked,
        )

    def _simulated(
        self, fe: Proxy, be: Proxy, outcome: Callable[[Client], Outcome]
    ) -> tuple[Sequence[UpstreamRequest], IdleTimeouts]:
        """The route's handshakes (the first browser's simulated now) and its idle timeouts."""
        clients = self.options.clients
        first = outcome(clients[0])
        idle = self.idle(fe, be, first.flow)
        if self._reached_alike(fe, be):
            found = self.handshake(first)
            if found is None:
                return (), idle
            return LazySequence(lambda c: found if c is clients[0] else self._reached(outcome(c)), clients), idle
        outcomes = [first, *(outcome(c) for c in clients[1:])]
        return tuple(hs for o in outcomes if (hs := self.handshake(o)) is not None), idle

    @staticmethod
    def _untouched(fe: Proxy, be: Proxy) -> bool:
        """Whether a handshake taken to `be` meets no `http-request` rule, redirect or statistics page: then it
        reaches a server as the browser sent it (Connection cleaned) whenever `be` has one, and the upgrade
        can be blocked by no statement."""
        return not (fe.http_request or fe.redirects or be.http_request or be.redirects or be.stats_uri is not None)

    def _reached_alike(self, fe: Proxy, be: Proxy) -> bool:
        """Whether every browser's handshake taken to `be` reaches a server or none does, and simulating one reads
        no map or pattern file: then the other browsers' handshakes are simulated only when a rule reads them
        (most rules read the first browser's alone), and the files' diagnostics do not depend on the rules.

        Taken to a backend, a handshake is answered by HAProxy only for want of a server (the same for every
        browser) or by the backend's statistics page (whose prefix a rule may change the path to reach)."""
        if be.stats_uri is not None:
            return False
        for proxy in (fe, be):
            if id(proxy) not in self._quiet:
                self._quiet[id(proxy)] = not any(
                    "map" in rule.statement.text.lower() or any(t.files for t in tests_on(rule.cond, proxy))
                    for rule in (*proxy.http_request, *proxy.redirects)
                )
            if not self._quiet[id(proxy)]:
                return False
        return True

    def _reached(self, outcome: Outcome) -> UpstreamRequest:
        found = self.handshake(outcome)
        if found is None:
            raise AssertionError(f"a handshake through {outcome.frontend.label} was answered by HAProxy")
        return found

    def _upgrades_first(self, fe: Proxy, switch: Switch, host: str | None, path: str | None) -> Statement | None:
        """For a route known only by its path or name: the earlier `use_backend` that takes every browser's
        handshake for that path because it tests for an upgrade (`use_backend ws if { hdr(upgrade) -i
        websocket }` ahead of `use_backend io_polling if { path_beg /socket.io/ }`)."""
        if path is None or fe.mode != "http":
            return None
        found: Statement | None = None
        for c in self.options.clients:
            out = self.router.run(fe, self.request(fe, c, host, path, None, None))
            sw = out.switch
            if out.answer is not None or out.switch_uncertain or sw is None or sw.rule is None:
                return None
            if sw.rule is switch.rule or not any(_websocket_test(t) for t in positive_tests(sw.rule.cond, fe)):
                return None
            found = found or sw.rule.statement
        return found

    def _websocket_within(self, fe: Proxy, switch: Switch, path: str | None) -> Statement | None:
        """For a route known only by its path: a `use_backend` for a longer path under it, to a WebSocket
        backend (chosen by an upgrade test, or with its own tunnel timeout), that gets its own path
        (`use_backend push_ws if { path /push/ws }` before `use_backend push if { path_beg /push/ }`)."""
        if path is None or switch.rule is None or fe.mode != "http":
            return None
        for ub in fe.use_backends:
            be = self.backends.get(ub.target)
            if ub is switch.rule or ub.dynamic or be is None:
                continue
            tests = positive_tests(ub.cond, fe)
            other = literal_path(tests)
            if other is None or len(other) <= len(path) or not other.startswith(path):
                continue
            own = any(
                (s.keyword == "timeout" and s.args[:1] == ("tunnel",))
                or (s.keyword == "http-request" and s.args[:2] == ("set-timeout", "tunnel"))
                for s in be.section.statements
            )
            if not own and not any(_websocket_test(t) for t in tests):
                continue
            client = self.options.clients[0]
            out = self.router.run(fe, self.request(fe, client, literal_host(tests), other, None, None))
            if out.answer is None and out.switch is not None and out.switch.rule is ub:
                return ub.statement
        return None

    def _signal(self, tests: list[AclTest], be: Proxy) -> tuple[Strength, str] | None:
        for t in tests:
            if t.expr is not None and t.expr.fetch.name in ("path", "url", "pathq", "base"):
                for p, _ in t.patterns:
                    found = path_signal(p)
                    if found is not None:
                        return found
        if id(be) not in self._name_signals:
            words = "/".join(w for w in _NAME_WORDS.split(be.name) if w)
            found = path_signal("/" + words)
            self._name_signals[id(be)] = (
                (found[0], f"its backend's name {be.name!r} suggests it ({found[1]})") if found is not None else None
            )
        return self._name_signals[id(be)]

    def _intent(
        self,
        fe: Proxy,
        switch: Switch,
        tests: list[AclTest],
        be: Proxy,
        signal: tuple[Strength, str] | None,
        host: str | None = None,
        path: str | None = None,
    ) -> Intent:
        st = switch.rule.statement if switch.rule else fe.default_backend
        if st is not None and st.comment is not None and WEBSOCKET_MARKER.match(st.comment):
            return Intent("declared", "it is marked '# wslint: websocket'", st.source)
        if be.marker is not None:
            return Intent("declared", f"{be.label} is marked '# wslint: websocket'", be.marker)
        for t in tests:
            if _websocket_test(t):
                return Intent("explicit", f"it is chosen by a test for an upgrade ({t.text})", t.source)
        own = self._own_tunnel(be)
        if own is not None:
            return Intent("explicit", f"{be.label} sets its own tunnel timeout", own.source)
        if signal is not None:
            first = self._upgrades_first(fe, switch, host, path)
            if first is not None:
                return Intent("none", f"every WebSocket handshake for its path goes to `{first.text}` first")
            inner = self._websocket_within(fe, switch, path)
            if inner is not None:
                return Intent("none", f"its WebSockets go to `{inner.text}`, a WebSocket backend", inner.source)
            strength, why = signal
            return Intent(
                "heuristic" if strength == "strong" else "possible", why, st.source if st else be.section.source
            )
        return Intent("none", "nothing in its configuration or names suggests WebSockets")

    def _own_tunnel(self, be: Proxy) -> Statement | None:
        """The backend's own `timeout tunnel` (else its first `http-request set-timeout tunnel`), looked up once."""
        if id(be) not in self._tunnels:
            statements = be.section.statements
            own = [s for s in statements if s.keyword == "timeout" and s.args[:1] == ("tunnel",)]
            own += [s for s in statements if s.keyword == "http-request" and s.args[:2] == ("set-timeout", "tunnel")]
            self._tunnels[id(be)] = own[0] if own else None
        return self._tunnels[id(be)]

    def upstream(self, be: Proxy) -> Upstream:
        """The backend's servers (made once per backend: every route to it, and the configuration, share it)."""
        found = self._upstreams.get(id(be))
        if found is None:
            found = self._upstreams[id(be)] = self._upstream(be)
        return found

    def _upstream(self, be: Proxy) -> Upstream:
        return Upstream(
            be.name,
            tuple(s.address for s in be.servers),
            None,
            be.sticky,
            be.section.source,
            health_check=self.health_check(be),
        )

    @staticmethod
    def health_check(be: Proxy) -> HealthCheck | None:
        checked = tuple(s.name for s in be.servers if s.check)
        if not checked or be.httpchk is None:
            return None
        method, path, source = "OPTIONS", "/", be.httpchk.source
        args = list(be.httpchk.args[1:])
        if len(args) == 1:
            path = args[0]
        elif len(args) >= 2:
            method, path = args[0], args[1]
        if be.check_send is not None:
            words = list(be.check_send.args[1:])
            for key, value in zip(words, [*words[1:], ""], strict=False):
                if key == "meth" and value:
                    method = value
                elif key == "uri" and value:
                    path = value
            source = be.check_send.source
        expect = " ".join(be.check_expects[-1].args[1:]) if be.check_expects else None
        inherited = be.httpchk.source.path != be.section.source.path or not any(
            st is be.httpchk for st in be.section.statements
        )
        hc = HealthCheck(method, path, source, expect, checked, inherited=inherited)
        signal = path_signal(path.split("?", 1)[0])
        if signal is not None and signal[0] == "strong" and expects_success(hc):
            # a path that names a WebSocket endpoint: its server answers a plain request 400 or 426
            hc = replace(hc, socket_path=path.split("?", 1)[0])
        return hc

    # -- handshakes and timeouts ---------------------------------------------------------

    def handshake(self, outcome: Outcome) -> UpstreamRequest | None:
        sent = outcome.sent
        if sent is None or outcome.switch is None:
            return None
        headers: list[Header] = []
        touched_by = outcome.flow.touched
        present: set[str] = set()
        for name, value in sent.headers:
            lname = name.lower()
            present.add(lname)
            touched = touched_by.get(lname) if touched_by else None
            if touched is not None:
                headers.append(Header(name, touched.rule.statement.text, value, touched.rule.source, "configured"))
            else:
                origin: HeaderOrigin = "default" if lname == "connection" and self.version >= HTX_SINCE else "client"
                key = (name, value, origin)
                header = self._client_headers.get(key)
                if header is None:
                    header = self._client_headers[key] = Header(name, value or "", value, None, origin)
                headers.append(header)
        for lname, touched in touched_by.items():
            if lname not in present:
                # removed by a rule: an empty value is "not sent", with the line that removed it
                rule = touched.rule
                headers.append(Header(rule.args[0], rule.statement.text, "", rule.source, "configured"))
        return UpstreamRequest(
            client=outcome.flow.request.client,
            http_version=HTTP_1_1,
            upstream=outcome.switch.backend.name,
            path=sent.url,
            headers=tuple(headers),
        )

    def idle(self, fe: Proxy, be: Proxy, flow: Flow) -> IdleTimeouts:
        return self._idle(fe, be, flow.tunnel, flow.server)

    def _idle(self, fe: Proxy, be: Proxy, set_tunnel: Timeout | None, set_server: Timeout | None) -> IdleTimeouts:
        """The route's idle timeouts, with those a rule set on the way (`http-request set-timeout`)."""

        def setting(t: Timeout | None, own: Section) -> Setting[float] | None:
            if t is None:
                return None
            return Setting(t.seconds, t.source, "route" if t.section is own else "outer")

        tunnel = set_tunnel or be.timeout("tunnel")
        server = set_server or be.timeout("server")
        # the frontend's part is the same for all its routes
        if id(fe) not in self._frontend_idle:
            self._frontend_idle[id(fe)] = (
                setting(fe.timeout("client"), fe.section),
                tuple(
                    Setting(seconds, s.source, "outer")
                    for s in fe.ignored_tunnel
                    if (seconds := parse_time(s.args[1])) is not None
                ),
            )
        client, ignored = self._frontend_idle[id(fe)]
        return IdleTimeouts(
            tunnel=setting(tunnel, be.section),
            client=client,
            server=setting(server, be.section),
            ignored_tunnel=ignored,
            tunnel_block=be.section.block,
            defaults=be.defaults.section.source if be.defaults is not None else None,
            tunnel_text=tunnel.statement.text if tunnel is not None else None,
        )

    # -- divergences ---------------------------------------------------------------------

    def _divergences(self, fe: Proxy, switch: Switch, path: str | None, host: str | None) -> tuple[Divergence, ...]:
        """Clients that the rule's own condition sends elsewhere, and the ACL test to blame."""
        rule = switch.rule
        if rule is None or rule.cond is None or fe.mode != "http":
            return ()
        if not any(t.header in UPGRADE_HEADERS for t in tests_on(rule.cond, fe)):
            # clients differ only in these headers: a condition that does not test them treats all alike
            return ()
        verdicts: list[tuple[Client, bool | None, list[TestResult], Flow]] = []
        for c in self.options.clients:
            flow = self.router.prepare(fe, self.request(fe, c, host, path, None, None))
            ev = self.router.evaluator(fe, flow, fe.section)
            verdicts.append((c, ev.condition(rule.cond), ev.results, flow))
        values = {v for _, v, _, _ in verdicts}
        if values == {False}:
            return self._no_client_matches(fe, switch, rule.cond, verdicts)
        if None in values or len(values) < 2:
            return ()
        out: list[Divergence] = []
        for c, v, _, flow in verdicts:
            if v:
                continue
            culprit = self._culprit(verdicts, c)
            if culprit is None:
                continue
            test, matcher = culprit
            elsewhere, _ = self.router.switch(fe, flow)
            actual = elsewhere.backend.name if elsewhere is not None else "no backend (503)"
            sent = flow.request.values(test.header or "") or [] if test.header else []
            value = f" (`{test.header.capitalize()}: {', '.join(sent)}`)" if test.header and sent else ""
            detail = f"`{test.text}` does not match the {c.name} handshake{value}"
            out.append(
                Divergence(
                    client=c.name,
                    aspect="upstream",
                    expected=switch.backend.name,
                    actual=actual,
                    variable=test.expr.text if test.expr is not None else "",
                    matcher=matcher,
                    cause=test.statement.source if test.statement is not None and test.name else test.source,
                    detail=detail,
                    key=test.text,
                    rewrite=self._case_rewrite(test) if matcher == "case-sensitive" else None,
                )
            )
        return tuple(out)

    def _no_client_matches(
        self,
        fe: Proxy,
        switch: Switch,
        cond: Condition,
        verdicts: list[tuple[Client, bool | None, list[TestResult], Flow]],
    ) -> tuple[Divergence, ...]:
        """A condition no browser's handshake meets only because an Upgrade/Connection test minds case
        (`hdr(upgrade) WebSocket`): every client goes elsewhere."""
        for t in tests_on(cond, fe):
            if t.header not in UPGRADE_HEADERS or t.icase or t.expr is None:
                continue
            fixed = []
            for _, _, _, flow in verdicts:
                ev = self.router.evaluator(fe, flow, fe.section)
                ev.caseless = t
                fixed.append(ev.condition(cond))
            if not all(v is True for v in fixed):
                continue
            out = []
            for c, _, _, flow in verdicts:
                elsewhere, _ = self.router.switch(fe, flow)
                sent = flow.request.values(t.header or "") or []
                value = f" (`{(t.header or '').capitalize()}: {', '.join(sent)}`)" if sent else ""
                out.append(
                    Divergence(
                        client=c.name,
                        aspect="upstream",
                        expected=switch.backend.name,
                        actual=elsewhere.backend.name if elsewhere is not None else "no backend (503)",
                        variable=t.expr.text,
                        matcher="case-sensitive",
                        cause=t.statement.source if t.statement is not None and t.name else t.source,
                        detail=f"`{t.text}` does not match the {c.name} handshake{value}",
                        key=t.text,
                        rewrite=self._case_rewrite(t),
                    )
                )
            return tuple(out)
        return ()

    def _culprit(
        self, verdicts: list[tuple[Client, bool | None, list[TestResult], Flow]], client: Client
    ) -> tuple[AclTest, Matcher] | None:
        """The Upgrade/Connection test whose result differs for `client`, and why."""
        mine = next(r for c, _, r, _ in verdicts if c is client)
        taken = [r for c, v, r, _ in verdicts if v]
        for res in mine:
            t = res.test
            if t.header not in UPGRADE_HEADERS or t.expr is None:
                continue
            others = [next((x.value for x in r if x.test is t), None) for r in taken]
            if all(o is None or o == res.value for o in others):
                continue
            flows = [f for c, _, _, f in verdicts]
            caseless = [
                match_values(
                    SampleContext(f.request, lambda n: None).values(t.expr),
                    t.method,
                    [(p, True) for p, _ in t.patterns],
                    t.op,
                )
                for f in flows
            ]
            if not t.icase and len(set(caseless)) == 1 and None not in caseless:
                return t, "case-sensitive"
            if t.method == "str" and t.header == "connection":
                return t, "whole-value"
            return t, "other"
        return None

    @staticmethod
    def _case_rewrite(test: AclTest) -> Rewrite | None:
        """The statement with `-i` after the test's criterion, which makes the test ignore case."""
        st = test.statement
        if st is None or st.source.column is None:
            return None
        cut = st.words[test.first_word].end_column - st.source.column
        return Rewrite(st.source, f"{st.text[:cut]} -i{st.text[cut:]}")

    # -- the whole configuration -----------------------------------------------------

    def misplaced(self) -> list[MisplacedDirective]:
        uses = [
            (s, use)
            for s in self.parsed.sections
            if s.kind == "global"
            for use in (removed_global(st, self.version) for st in s.statements)
            if use is not None
        ]
        uses += [(p.section, use) for p in [*self.defaults, *self.proxies] for use in p.removed]
        out = []
        for section, use in uses:
            st = use.statement
            out.append(
                MisplacedDirective(
                    snippet=Snippet(use.keyword, st.args, st.text, st.source, (section.kind,)),
                    allowed=(),
                    enclosing=section.block,
                    target=None,
                    removed_in=".".join(map(str, use.removed.since)),
                    reason=use.removed.advice,
                    replacement=use.replacement,
                    replace_action=use.action,
                )
            )
        return out

    def config(self, routes: list[Route], results: tuple[object, ...]) -> ProxyConfig:
        from wslint.model import EndpointResult

        return ProxyConfig(
            proxy="haproxy",
            version=self.options.version_text,
            main_file=self.parsed.main,
            files=tuple(self.parsed.files),
            listeners=tuple(self.listeners[f.name] for f in self.frontends if f.name in self.listeners),
            routes=tuple(routes),
            upstreams=tuple(self.upstream(b) for b in self.backends.values()),
            variables=frozenset(),
            variable_references=(),
            misplaced_directives=tuple(self.misplaced()),
            http_block=None,
            fragment_context="main",
            endpoint_results=tuple(r for r in results if isinstance(r, EndpointResult)),
            version_assumed=self.options.version_assumed,
        )


def effective_timeout(idle: IdleTimeouts) -> Setting[float] | None:
    """The timeout that closes an idle tunnel: the tunnel timeout, or the shorter side."""
    if idle.tunnel is not None:
        return idle.tunnel
    sides = [s for s in (idle.client, idle.server) if s is not None]
    if not sides:
        return None
    # equal values: the server side, whose backend is where the tunnel timeout belongs
    return min(sides, key=lambda s: (s.value, s is idle.client))


SOCKET_ANSWERS = ("400", "426")


def expects_success(hc: HealthCheck) -> bool:
    """Whether the check fails on the 400 or 426 a WebSocket-only server gives a plain request."""
    expect = (hc.expect or "").split()
    if expect[:1] == ["!"]:
        return False
    if len(expect) >= 2 and expect[0] == "status":
        return not any(code in SOCKET_ANSWERS for code in re.split("[,-]", expect[1]))
    if len(expect) >= 2 and expect[0] == "rstatus":
        rx = re.compile(expect[1]) if _valid(expect[1]) else None
        return rx is not None and not any(rx.search(code) for code in SOCKET_ANSWERS)
    return not expect or expect[0] not in ("string", "rstring")


def _valid(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
