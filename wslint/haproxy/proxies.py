"""HAProxy's proxies (frontend, backend, listen) with the settings they really get.

Each proxy starts from a `defaults` section: the one named after `from`, or
else the last one written above it (a second `defaults` section resets
everything, it does not add to the first). A defaults section may itself start
from another with `from`. What a proxy writes replaces what it inherited;
`http-request` rules and ACLs of a named defaults section come first. Settings
that do not apply to a proxy's side are ignored, as HAProxy does: `timeout
tunnel` and `timeout server` only count in a backend (or listen), `timeout
client` only in a frontend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wslint.durations import bounded_seconds
from wslint.findings import Diagnostic, Severity
from wslint.haproxy.acl import AclTable, Condition, ConditionError, condition_start, parse_condition, parse_test
from wslint.haproxy.keywords import RemovedUse, header_address, removed_keyword
from wslint.haproxy.parser import ParsedConfig, Section, Statement
from wslint.model import Source

WEBSOCKET_MARKER = re.compile(r"^\s*wslint:\s*websocket\b", re.IGNORECASE)
TIME = re.compile(r"^(\d+)(us|ms|s|m|h|d)?$")
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_time(text: str) -> float | None:
    """Seconds for an HAProxy time (milliseconds unless a unit says otherwise)."""
    m = TIME.match(text.strip())
    if m is None or len(m.group(1)) > 20:
        return None
    return bounded_seconds(int(m.group(1)) * UNITS[m.group(2) or "ms"])


@dataclass(frozen=True)
class Timeout:
    seconds: float
    statement: Statement
    # the section it was written in (a defaults section when inherited)
    section: Section

    @property
    def source(self) -> Source:
        return self.statement.source


# `tcp-request` actions that neither accept nor refuse the connection (nor say how to read it)
TCP_NEUTRAL_ACTIONS = frozenset(
    {
        "capture",
        "do-resolve",
        "send-spoe-group",
        "set-dst",
        "set-dst-port",
        "set-log-level",
        "set-mark",
        "set-nice",
        "set-priority-class",
        "set-priority-offset",
        "set-src",
        "set-src-port",
        "set-tos",
        "switch-mode",
        "track-sc0",
        "track-sc1",
        "track-sc2",
    }
)
TCP_NEUTRAL_PREFIXES = ("set-var", "unset-var", "sc-", "track-sc", "do-resolve(")


@dataclass(frozen=True)
class HttpRule:
    """An `http-request` rule (or a legacy `redirect` statement, action "redirect")."""

    action: str
    # the words between the action and the condition
    args: tuple[str, ...]
    cond: Condition | None
    statement: Statement
    section: Section
    legacy: bool = False

    @property
    def source(self) -> Source:
        return self.statement.source


@dataclass(frozen=True)
class UseBackend:
    target: str
    cond: Condition | None
    statement: Statement
    index: int

    @property
    def dynamic(self) -> bool:
        return "%[" in self.target


@dataclass(frozen=True)
class Bind:
    host: str | None
    port: int
    ssl: bool
    statement: Statement


@dataclass(frozen=True)
class Server:
    name: str
    address: str
    check: bool
    statement: Statement
    params: tuple[str, ...]


@dataclass
class Proxy:
    section: Section
    defaults: Proxy | None = None
    mode: str = "tcp"
    mode_statement: Statement | None = None
    timeouts: dict[str, Timeout] = field(default_factory=dict)
    options: dict[str, tuple[bool, Statement]] = field(default_factory=dict)
    acls: AclTable = field(default_factory=AclTable)
    http_request: list[HttpRule] = field(default_factory=list)
    redirects: list[HttpRule] = field(default_factory=list)
    use_backends: list[UseBackend] = field(default_factory=list)
    default_backend: Statement | None = None
    servers: list[Server] = field(default_factory=list)
    default_server_check: bool = False
    httpchk: Statement | None = None
    check_send: Statement | None = None
    check_expects: list[Statement] = field(default_factory=list)
    sticky: bool = False
    binds: list[Bind] = field(default_factory=list)
    # `timeout tunnel` written where HAProxy ignores it (a frontend)
    ignored_tunnel: list[Statement] = field(default_factory=list)
    removed: list[RemovedUse] = field(default_factory=list)
    marker: Source | None = None
    # `tcp-request inspect-delay` (inherited from defaults) and the `tcp-request content` rules
    inspect_delay: Statement | None = None
    tcp_content: list[Statement] = field(default_factory=list)
    # the `tcp-request connection|session|content` rules that accept or refuse the connection, in order
    tcp_gates: list[HttpRule] = field(default_factory=list)
    # `monitor-uri`, and the prefix HAProxy's statistics page answers (`stats uri`, `stats enable`)
    monitor_uri: Statement | None = None
    stats_uri: tuple[str, Statement] | None = None

    @property
    def kind(self) -> str:
        return self.section.kind

    @property
    def name(self) -> str:
        return self.section.name or ""

    @property
    def label(self) -> str:
        return self.section.label

    @property
    def is_frontend(self) -> bool:
        return self.kind in ("frontend", "listen")

    @property
    def is_backend(self) -> bool:
        return self.kind in ("backend", "listen")

    def option(self, name: str) -> bool:
        found = self.options.get(name)
        return found is not None and found[0]

    def timeout(self, name: str) -> Timeout | None:
        """The timeout the proxy uses; 0 means none (HAProxy treats it as unset)."""
        t = self.timeouts.get(name)
        return t if t is not None and t.seconds > 0 else None


def _inherit(proxy: Proxy, base: Proxy) -> None:
    proxy.mode, proxy.mode_statement = base.mode, base.mode_statement
    proxy.timeouts = dict(base.timeouts)
    proxy.options = dict(base.options)
    proxy.acls = AclTable({k: list(v) for k, v in base.acls.acls.items()})
    proxy.http_request = list(base.http_request)
    proxy.default_backend = base.default_backend
    proxy.default_server_check = base.default_server_check
    proxy.httpchk = base.httpchk
    proxy.check_send = base.check_send
    proxy.check_expects = list(base.check_expects)
    proxy.sticky = base.sticky
    proxy.inspect_delay = base.inspect_delay
    proxy.tcp_content = list(base.tcp_content)
    proxy.tcp_gates = list(base.tcp_gates)
    proxy.monitor_uri = base.monitor_uri
    proxy.stats_uri = base.stats_uri


def _address(text: str) -> tuple[str | None, list[int]] | None:
    """A bind address: host (None for any) and its ports; None for sockets without a port."""
    for prefix in ("ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@", "quic4@", "quic6@"):
        text = text.removeprefix(prefix)
    if "@" in text or text.startswith("/"):
        return None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        host_out: str | None = f"[{host}]"
        ports = rest.lstrip(":")
    else:
        host_part, sep, ports = text.rpartition(":")
        if not sep:
            return None
        host_out = host_part or None
    if host_out in ("*", "0.0.0.0", "[::]", "::"):
        host_out = None
    lo, _, hi = ports.partition("-")
    if not lo.isdigit() or (hi and not hi.isdigit()):
        return None
    first, last = int(lo), int(hi or lo)
    return host_out, list(range(first, min(last, first + 64) + 1))


class ProxyBuilder:
    def __init__(self, parsed: ParsedConfig, version: tuple[int, ...], diagnostics: list[Diagnostic]) -> None:
        self.parsed = parsed
        self.version = version
        self.diagnostics = diagnostics
        self.failed = False
        self.proxies: list[Proxy] = []
        self._by_name: dict[str, Proxy] | None = None
        self.defaults: list[Proxy] = []

    def error(self, message: str, source: Source) -> None:
        self.failed = True
        self.diagnostics.append(Diagnostic("config", Severity.ERROR, message, source.path, source.line))

    def build(self) -> list[Proxy]:
        last: Proxy | None = None
        named: dict[str, Proxy] = {}
        for section in self.parsed.sections:
            if section.kind not in ("defaults", "frontend", "backend", "listen"):
                continue
            proxy = Proxy(section)
            # a defaults section starts from scratch unless it names another with `from`
            base = None if section.kind == "defaults" else last
            if section.from_name is not None:
                base = named.get(section.from_name)
                if base is None:
                    self.error(
                        f"{section.label}: no defaults section named '{section.from_name}' above it",
                        section.source,
                    )
            if base is not None:
                proxy.defaults = base
                _inherit(proxy, base)
            self._header_address(proxy)
            for st in section.statements:
                self._statement(proxy, st)
            self._markers(proxy)
            if section.kind == "defaults":
                last = proxy
                self.defaults.append(proxy)
                if section.name:
                    named[section.name] = proxy
            else:
                self.proxies.append(proxy)
        self._check_references()
        return self.proxies

    def _markers(self, proxy: Proxy) -> None:
        for line, text in proxy.section.comments:
            if WEBSOCKET_MARKER.match(text):
                proxy.marker = Source(proxy.section.source.path, line)
        for st in proxy.section.statements:
            if st.comment is not None and WEBSOCKET_MARKER.match(st.comment):
                proxy.marker = st.source
        if proxy.section.header.comment is not None and WEBSOCKET_MARKER.match(proxy.section.header.comment):
            proxy.marker = proxy.section.source

    def _condition(self, st: Statement, first: int = 1) -> tuple[Condition | None, int]:
        """The statement's condition and the index where it starts (len(words) without one)."""
        start = condition_start(st, first)
        if start is None:
            return None, len(st.words)
        try:
            return parse_condition(st, start), start
        except ConditionError as exc:
            self.error(f"'{st.keyword}': {exc}", st.source)
            return None, start

    def _statement(self, proxy: Proxy, st: Statement) -> None:
        kw, args = st.keyword, st.args
        removed = removed_keyword(st, self.version)
        if removed is not None:
            proxy.removed.append(removed)
            return
        if kw == "mode" and args:
            proxy.mode, proxy.mode_statement = args[0], st
        elif kw == "timeout" and len(args) >= 2:
            self._timeout(proxy, st)
        elif kw == "option" and args:
            self._option(proxy, st, True)
        elif kw == "no" and len(args) >= 2 and args[0] == "option":
            proxy.options[args[1]] = (False, st)
        elif kw == "acl" and args:
            self._acl(proxy, st)
        elif kw == "http-request" and args:
            self._http_request(proxy, st)
        elif kw == "redirect" and args:
            cond, end = self._condition(st)
            proxy.redirects.append(HttpRule("redirect", st.args[: end - 1], cond, st, proxy.section, legacy=True))
        elif kw == "use_backend" and args:
            cond, _ = self._condition(st, 2)
            proxy.use_backends.append(UseBackend(args[0], cond, st, len(proxy.use_backends)))
        elif kw == "default_backend" and args:
            proxy.default_backend = st
        elif kw == "server" and len(args) >= 2:
            params = args[2:]
            check = "check" in params or (proxy.default_server_check and "no-check" not in params)
            proxy.servers.append(Server(args[0], args[1], check, st, params))
        elif kw == "server-template" and len(args) >= 3:
            # `server-template <prefix> <count | low-high> <fqdn>[:port]`: the servers share one address
            params = args[3:]
            check = "check" in params or (proxy.default_server_check and "no-check" not in params)
            proxy.servers.append(Server(args[0], args[2], check, st, params))
        elif kw == "default-server":
            if "check" in args:
                proxy.default_server_check = True
        elif kw == "http-check" and args:
            if args[0] == "send":
                proxy.check_send = st
            elif args[0] == "expect":
                proxy.check_expects.append(st)
        elif kw in ("balance", "hash-type") and args:
            proxy.sticky = proxy.sticky or args[0] in ("source", "uri", "url_param", "hdr", "rdp-cookie", "hash")
        elif kw in ("cookie", "stick", "stick-table") and args:
            proxy.sticky = True
        elif kw == "bind" and args:
            self._bind(proxy, st)
        elif kw == "tcp-request" and len(args) >= 2 and args[0] == "inspect-delay":
            proxy.inspect_delay = st
        elif kw == "tcp-request" and args and args[0] == "content":
            proxy.tcp_content.append(st)
            self._tcp_gate(proxy, st)
        elif kw == "tcp-request" and args and args[0] in ("connection", "session"):
            self._tcp_gate(proxy, st)
        elif kw == "monitor-uri" and args:
            proxy.monitor_uri = st
        elif kw == "stats" and args[:1] == ("uri",) and len(args) >= 2:
            proxy.stats_uri = (args[1], st)
        elif kw == "stats" and args[:1] == ("enable",) and proxy.stats_uri is None:
            # the prefix compiled into HAProxy unless `stats uri` names another
            proxy.stats_uri = ("/haproxy?stats", st)

    def _tcp_gate(self, proxy: Proxy, st: Statement) -> None:
        if len(st.args) < 2 or st.args[1] in TCP_NEUTRAL_ACTIONS or st.args[1].startswith(TCP_NEUTRAL_PREFIXES):
            return
        cond, end = self._condition(st, 3)
        proxy.tcp_gates.append(HttpRule(st.args[1], st.args[2 : end - 1], cond, st, proxy.section))

    def _timeout(self, proxy: Proxy, st: Statement) -> None:
        name, value = st.args[0], st.args[1]
        seconds = parse_time(value)
        if seconds is None:
            self.error(
                f"'timeout {name}': '{value}' is not a time (a number, ms by default, or with us/ms/s/m/h/d)", st.source
            )
            return
        if name == "tunnel" and proxy.kind == "frontend":
            # "'timeout tunnel' will be ignored because frontend 'x' has no backend capability"
            proxy.ignored_tunnel.append(st)
            return
        if (name in ("server", "tunnel", "connect") and proxy.kind == "frontend") or (
            name in ("client",) and proxy.kind == "backend"
        ):
            return
        proxy.timeouts[name] = Timeout(seconds, st, proxy.section)

    def _option(self, proxy: Proxy, st: Statement, enabled: bool) -> None:
        name = st.args[0]
        proxy.options[name] = (enabled, st)
        if name == "httpchk":
            proxy.httpchk = st
        elif name in ("http-server-close", "httpclose", "http-keep-alive"):
            for other in ("http-server-close", "httpclose", "http-keep-alive"):
                if other != name:
                    proxy.options.pop(other, None)
            proxy.options[name] = (enabled, st)

    def _acl(self, proxy: Proxy, st: Statement) -> None:
        if len(st.words) < 3:
            self.error(f"'acl {st.args[0]}' needs a criterion", st.source)
            return
        test = parse_test(
            list(st.args[1:]),
            st.span_source(2, len(st.words) - 1),
            st.span_text(2, len(st.words) - 1),
            st,
            2,
            st.args[0],
        )
        if test.error is not None and test.expr is None:
            self.error(f"acl '{st.args[0]}': {test.error}", st.source)
            return
        proxy.acls.add(test)

    def _http_request(self, proxy: Proxy, st: Statement) -> None:
        action = st.args[0]
        cond, end = self._condition(st, 2)
        if proxy.kind == "frontend" and action == "set-timeout":
            self.error(
                f"'http-request set-timeout' in frontend '{proxy.name}': HAProxy refuses it "
                "(the proxy has no backend capability); set it in the backend",
                st.source,
            )
            return
        proxy.http_request.append(HttpRule(action, st.args[1 : end - 1], cond, st, proxy.section))

    def _header_address(self, proxy: Proxy) -> None:
        """HAProxy 1.4's `listen name address`: refused (WS603), read as the bind it meant."""
        section = proxy.section
        use = header_address(section.header, section.extra, section.from_name, self.version)
        if use is None:
            return
        proxy.removed.append(use)
        for part in section.extra[0].split(","):
            parsed = _address(part)
            if parsed is not None:
                host, ports = parsed
                proxy.binds.extend(Bind(host, p, False, section.header) for p in ports)

    def _bind(self, proxy: Proxy, st: Statement) -> None:
        params = st.args[1:]
        ssl = "ssl" in params
        for part in st.args[0].split(","):
            parsed = _address(part)
            if parsed is None:
                continue
            host, ports = parsed
            proxy.binds.extend(Bind(host, p, ssl, st) for p in ports)

    def _check_references(self) -> None:
        backends = {p.name for p in self.proxies if p.is_backend}
        for p in self.proxies:
            if not p.is_frontend:
                continue
            for ub in p.use_backends:
                if not ub.dynamic and ub.target not in backends:
                    self.error(
                        f"{p.label}: use_backend names '{ub.target}', which is no backend or listen",
                        ub.statement.source,
                    )
            self._check_modes(p)
            if p.default_backend is not None and p.default_backend.args and p.default_backend.args[0] not in backends:
                self.error(
                    f"{p.label}: default_backend names '{p.default_backend.args[0]}', which is no backend or listen",
                    p.default_backend.source,
                )
            for rule in [*p.http_request, *p.redirects]:
                self._check_acls(p, rule.cond, rule.statement)
            for ub in p.use_backends:
                self._check_acls(p, ub.cond, ub.statement)
        for p in self.proxies:
            if p.is_backend and not p.is_frontend:
                for rule in [*p.http_request, *p.redirects]:
                    self._check_acls(p, rule.cond, rule.statement)

    def _backends_by_name(self) -> dict[str, Proxy]:
        # made once, not once per frontend: 2,000 frontends over 2,000 backends were 4 million steps
        if self._by_name is None:
            self._by_name = {p.name: p for p in self.proxies if p.is_backend}
        return self._by_name

    def _check_modes(self, fe: Proxy) -> None:
        """An HTTP frontend cannot hand requests to a TCP backend: HAProxy refuses to start."""
        if fe.mode != "http":
            return
        by_name = self._backends_by_name()
        targets = [(ub.target, ub.statement) for ub in fe.use_backends if not ub.dynamic]
        if fe.default_backend is not None and fe.default_backend.args:
            targets.append((fe.default_backend.args[0], fe.default_backend))
        for name, st in targets:
            be = by_name.get(name)
            if be is not None and be is not fe and be.mode == "tcp":
                self.error(f"http {fe.label} cannot use the tcp {be.label} (see 'mode'): HAProxy refuses it", st.source)

    def _check_acls(self, proxy: Proxy, cond: Condition | None, st: Statement) -> None:
        if cond is None:
            return
        for term in cond.terms():
            if isinstance(term.ref, str) and not proxy.acls.knows(term.ref):
                self.error(f"{proxy.label}: no ACL named '{term.ref}' (HAProxy: \"no such ACL\")", st.source)
