"""wslint's Apache httpd routing, checked against the real httpd on generated layouts.

Hypothesis writes httpd configurations: up to three `<VirtualHost>` blocks on
two ports (ServerName, ServerAlias with wildcards, none at all; the first one
of a port is its default), now and then only the main server, and in the main
server and each vhost, in random order: `ProxyPass` lines (prefixes with and
without trailing slashes, `!` exclusions, http:// and ws:// URLs with and
without a path, `upgrade=websocket`), `ProxyPassMatch` with and without
back-references, `<Location>` and `<LocationMatch>` sections holding a
`ProxyPass` (or `ProxyPass !`) and `Require all denied|granted`, server
`RewriteRule`s with `[P]`, `[R]`, `[L]`, `[PT]`, `[F]` behind `RewriteCond`s on
`%{HTTP:Upgrade}` and `%{HTTP:Connection}` (with and without `[NC]`, negated,
`[OR]`), `Redirect` and `RedirectMatch`, `<Proxy URL>` sections with
`ProxySet upgrade=`, `RequestHeader` edits of `Upgrade`. Which proxy modules
are loaded varies too (mod_proxy_http, mod_proxy_wstunnel, both, with
`ProxyWebsocketFallbackToProxyHttp Off`).

Every proxy URL points at one of four WebSocket servers (`tests/e2e/backends.py`)
on 127.0.0.1, each recording the request target it receives; a handshake is
upgraded there (101), a plain request answered 200. Each request is sent as a
real handshake with the headers Chrome, Firefox and a lower-case proxy hop
write, and httpd's answer is read as: the status, which backend recorded it
and with which target, and the Location of a redirect. wslint is asked about
the same URL (`ApacheModel.declare`, what the rules see) for each client, and
its predicted status (101 when it says the upgrade reaches the backend, the
backend's 200 when it does not), backend, upstream path and redirect must be
equal to httpd's for every request where wslint claims certainty.

httpd runs once per layout (`-X`, about 0.1 s to start), bound to 127.0.0.1,
and is stopped by its PID. The hand-written cases at the end pin every
disagreement this test found, with httpd's answer written out, and
`test_upgrade_matrix` every combination of the Upgrade a backend may be sent
and a worker's `upgrade=` through both tunnelling modules.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.apache_proxy import Apache
from tests.e2e.backends import Backend
from tests.e2e.proxies import free_ports
from wslint.adapters import AdapterOptions
from wslint.apache.adapter import load_model
from wslint.apache.simulator import ApacheSimulator
from wslint.core import LintOptions, run
from wslint.declare import declare_endpoints
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules
from wslint.findings import Diagnostic
from wslint.inputs import InputFile
from wslint.model import EndpointResult

pytestmark = pytest.mark.realproxy
RULES = load_rules()

BACKENDS = ("b0", "b1", "b2", "b3")
PORTS = ("__P0__", "__P1__")
REQUEST_TIMEOUT = 5.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# --- real handshakes ---------------------------------------------------------------------------

# the request headers, in the order each client writes them (Host and the key filled in)
CLIENT_HEADERS: dict[str, tuple[tuple[str, str], ...]] = {
    "chrome": (
        ("Connection", "Upgrade"),
        ("Pragma", "no-cache"),
        ("Cache-Control", "no-cache"),
        (
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        ),
        ("Upgrade", "websocket"),
        ("Origin", "http://{host}"),
        ("Sec-WebSocket-Version", "13"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Accept-Language", "en-US,en;q=0.9"),
        ("Sec-WebSocket-Key", "{key}"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
    ),
    "firefox": (
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
        ("Accept", "*/*"),
        ("Accept-Language", "en-US,en;q=0.5"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Sec-WebSocket-Version", "13"),
        ("Origin", "http://{host}"),
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
        ("Sec-WebSocket-Key", "{key}"),
        ("Connection", "keep-alive, Upgrade"),
        ("Pragma", "no-cache"),
        ("Cache-Control", "no-cache"),
        ("Upgrade", "websocket"),
    ),
    # what nginx in front sends with `proxy_set_header Connection "upgrade"`
    "lowercase": (
        ("Upgrade", "websocket"),
        ("Connection", "upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "{key}"),
    ),
}
CLIENT_NAMES = tuple(CLIENT_HEADERS)


def _read_head(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no complete answer")
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _close_websocket(sock: socket.socket, deadline: float) -> None:
    """A masked close frame, then wait for the peer's (the tunnel ends cleanly, httpd stops at once)."""
    mask = os.urandom(4)
    payload = (1000).to_bytes(2, "big")
    sock.sendall(bytes([0x88, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if not sock.recv(4096):
                return
    except OSError:
        return


def send_handshake(port: int, host: str, target: str, client: str) -> tuple[int, dict[str, str]]:
    """One handshake as `client` writes it; the status and headers of the answer."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v.format(host=host, key=key)}" for k, v in CLIENT_HEADERS[client]]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    deadline = time.monotonic() + REQUEST_TIMEOUT
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        data = _read_head(sock, deadline)
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 101:
            _close_websocket(sock, min(deadline, time.monotonic() + 1.0))
    return status, headers


# --- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What happened to one handshake."""

    status: int
    backend: str | None = None  # the backend that received it
    target: str | None = None  # the request target it received
    location: str | None = None  # the Location of a redirect

    def __str__(self) -> str:
        if self.backend is not None:
            return f"{self.status} from {self.backend} {self.target}"
        if self.location is not None:
            return f"{self.status} -> {self.location}"
        return str(self.status)


@dataclass(frozen=True)
class Request:
    port: int  # index into PORTS
    host: str
    target: str


@dataclass
class Verdict:
    request: Request
    client: str
    port: int
    httpd: Seen
    wslint: Seen | None  # None: wslint is not certain
    steps: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        return self.wslint is None or self.wslint == self.httpd

    def __str__(self) -> str:
        r = self.request
        head = f"GET {r.target} Host: {r.host}:{self.port} (P{r.port}, {self.client})"
        if self.wslint is None:
            return f"{head}: httpd {self.httpd}, wslint uncertain ({'; '.join(self.uncertain)})"
        return f"{head}: httpd {self.httpd}, wslint {self.wslint}\n      wslint's steps: {' / '.join(self.steps)}"


@dataclass
class Stats:
    layouts: int = 0
    requests: int = 0
    compared: int = 0
    upgraded: int = 0
    plain: int = 0
    answered: Counter[int] = field(default_factory=Counter)
    uncertain: int = 0

    def add(self, verdicts: list[Verdict]) -> None:
        self.layouts += 1
        for v in verdicts:
            self.requests += 1
            if v.wslint is None:
                self.uncertain += 1
                continue
            self.compared += 1
            if v.httpd.backend is not None:
                self.upgraded += v.httpd.status == 101
                self.plain += v.httpd.status != 101
            else:
                self.answered[v.httpd.status] += 1

    def __str__(self) -> str:
        answered = ", ".join(f"{n}x {s}" for s, n in sorted(self.answered.items()))
        return (
            f"{self.layouts} layouts, {self.requests} handshakes: {self.compared} compared "
            f"({self.upgraded} upgraded, {self.plain} proxied without the upgrade, answered by httpd: {answered}); "
            f"{self.uncertain} not compared (wslint uncertain)"
        )


# --- running both -----------------------------------------------------------------------------


class World:
    """The four recording backends and a directory; httpd is started per layout."""

    def __init__(self, binary: str, root: Path, backends: dict[str, Backend]) -> None:
        self.binary = binary
        self.root = root
        self.backends = backends
        self.by_port = {b.port: name for name, b in backends.items()}
        self.runs = 0
        # what the rules said about the last layout's URLs although httpd upgraded them
        self.alarms: list[str] = []
        # endpoint findings checked against what httpd did
        self.findings = 0

    def site_text(self, template: str, ports: tuple[int, int]) -> str:
        text = template
        for placeholder, port in zip(PORTS, ports, strict=True):
            text = text.replace(placeholder, str(port))
        for name, b in self.backends.items():
            text = text.replace(f"__{name}__", str(b.port))
        return text

    def ask_httpd(self, port: int, request: Request, client: str) -> Seen:
        before = {name: len(b.seen.paths) for name, b in self.backends.items()}
        status, headers = send_handshake(port, f"{request.host}:{port}", request.target, client)
        got = [(name, b.seen.paths[before[name] :]) for name, b in self.backends.items()]
        hit = [(name, paths) for name, paths in got if paths]
        if hit:
            assert len(hit) == 1 and len(hit[0][1]) == 1, f"one handshake reached {hit}"
            return Seen(status, hit[0][0], hit[0][1][0])
        return Seen(status, location=headers.get("location") if status in REDIRECTS else None)

    def as_seen(self, res: EndpointResult) -> Seen | None:
        if not res.certain:
            return None
        if res.outcome == "proxied":
            assert res.upstream is not None
            m = re.fullmatch(r"[a-z]+://127\.0\.0\.1:(\d+)/", res.upstream)
            backend = self.by_port.get(int(m.group(1))) if m else None
            return Seen(101 if res.upgrades else 200, backend or res.upstream, res.backend_path)
        assert res.status is not None, res
        return Seen(res.status, location=res.location if res.status in REDIRECTS else None)

    def compare(self, template: str, requests: list[Request]) -> list[Verdict]:
        """Serve `template` with httpd, send every request as every client, and ask wslint the same."""
        self.runs += 1
        p0, p1 = free_ports(2)
        ports = (p0, p1)
        site = self.site_text(template, ports)
        root = self.root / f"run{self.runs}"
        httpd = Apache(self.binary, root, site, ports[0])
        httpd.start(*(ports if PORTS[1] in template else ports[:1]))
        try:
            seen = [(r, c, self.ask_httpd(ports[r.port], r, c)) for r in requests for c in CLIENT_NAMES]
        finally:
            httpd.stop()
        urls = list(dict.fromkeys(f"ws://{r.host}:{ports[r.port]}{r.target}" for r in requests))
        diagnostics: list[Diagnostic] = []
        options = AdapterOptions(version=(2, 4, 71), version_text="2.4.71", version_assumed=False)
        model = load_model(InputFile(str(httpd.main), str(httpd.main)), options, diagnostics)
        assert model is not None, f"wslint could not load the layout: {diagnostics}\n{site}"
        _, results = declare_endpoints(ApacheSimulator(model), model.order, tuple(parse_endpoint(u) for u in urls))
        by_url = {(r.endpoint.raw, r.client): r for r in results}
        out = []
        for request, client, real in seen:
            res = by_url[(f"ws://{request.host}:{ports[request.port]}{request.target}", client)]
            out.append(
                Verdict(
                    request,
                    client,
                    ports[request.port],
                    real,
                    self.as_seen(res),
                    tuple(s.text for s in res.steps),
                    res.uncertain,
                )
            )
        self.alarms = self.false_alarms(httpd.main, urls, seen, ports)
        return out

    def false_alarms(
        self, main: Path, urls: list[str], seen: list[tuple[Request, str, Seen]], ports: tuple[int, int]
    ) -> list[str]:
        """The endpoint findings wslint reports for a URL that httpd upgraded for every client."""
        report = run(LintOptions(paths=(str(main),), proxy="apache", endpoints=tuple(map(parse_endpoint, urls))), RULES)
        upgraded: dict[str, bool] = {}
        for r, _, real in seen:
            url = f"ws://{r.host}:{ports[r.port]}{r.target}"
            upgraded[url] = upgraded.get(url, True) and real.status == 101
        self.findings += sum(f.message.split(": ", 1)[0] in upgraded for f in report.findings)
        return [
            f"{f.rule} at line {f.line}: {f.message}"
            for f in report.findings
            if upgraded.get(f.message.split(": ", 1)[0], False)
        ]


@pytest.fixture(scope="module")
def world(apache_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with ExitStack() as stack:
        backends = {name: stack.enter_context(Backend()) for name in BACKENDS}
        yield World(apache_bin, tmp_path_factory.mktemp("apache-routing"), backends)


# --- configuration text -----------------------------------------------------------------------

MODULES = {
    "proxy": "LoadModule proxy_module modules/mod_proxy.so",
    "proxy_http": "LoadModule proxy_http_module modules/mod_proxy_http.so",
    "proxy_wstunnel": "LoadModule proxy_wstunnel_module modules/mod_proxy_wstunnel.so",
    "rewrite": "LoadModule rewrite_module modules/mod_rewrite.so",
    "alias": "LoadModule alias_module modules/mod_alias.so",
    "headers": "LoadModule headers_module modules/mod_headers.so",
}

NAMES = ("app.example.test", "ws.example.test", "*.example.test", "api.test", "ws.example.test:8080")
HOSTS = ("app.example.test", "ws.example.test", "WS.Example.Test", "x.example.test", "api.test", "other.test")
PREFIXES = ("/", "/ws", "/ws/", "/api/", "/api/websocket", "/socket.io/", "/cable", "/app/")
URL_PATHS = ("", "/", "/ws/", "/backend/", "/socket.io/", "/ws")
REGEXES = (
    ("^/ws/(.*)$", "/backend/$1"),
    ("^/(api|live)/websocket", ""),
    ("^/socket\\.io/", ""),
    ("/cable$", "/c"),
    ("^/WS/(.*)", "/upper/$1"),
    ("^/app/(ws|socket)$", "/$1"),
)
TARGETS = (
    "/",
    "/ws",
    "/ws/",
    "/ws/chat",
    "/WS/chat",
    "//ws/chat",
    "/wsx",
    "/api/websocket",
    "/api/websocket/x",
    "/api/v1",
    "/socket.io/?EIO=4&transport=websocket",
    "/cable",
    "/cable?x=1",
    "/app/ws",
    "/app/ws?x=1",
    "/old/x",
    "/old/x?y=2",
    "/moved/x",
    "/ws/chat?token=a%2Fb",
    "/ws/a%20b",
)


def _url(draw: st.DrawFn, scheme: str | None = None) -> str:
    scheme = scheme or draw(st.sampled_from(("http", "http", "ws")))
    return f"{scheme}://127.0.0.1:__{draw(st.sampled_from(BACKENDS))}__{draw(st.sampled_from(URL_PATHS))}"


def _upgrade(draw: st.DrawFn) -> str:
    return draw(
        st.sampled_from(
            ("", "", " upgrade=websocket", " upgrade=WebSocket", " upgrade=*", " upgrade=NONE", " upgrade=ANY")
        )
    )


@st.composite
def proxy_pass(draw: st.DrawFn) -> list[str]:
    path = draw(st.sampled_from(PREFIXES))
    if draw(st.integers(0, 5)) == 0:
        return [f"ProxyPass {path} !"]
    return [f"ProxyPass {path} {_url(draw)}{_upgrade(draw)}"]


@st.composite
def proxy_pass_match(draw: st.DrawFn) -> list[str]:
    regex, suffix = draw(st.sampled_from(REGEXES))
    scheme = draw(st.sampled_from(("http", "ws")))
    base = f"{scheme}://127.0.0.1:__{draw(st.sampled_from(BACKENDS))}__"
    if draw(st.integers(0, 5)) == 0:
        return [f'ProxyPassMatch "{regex}" !']
    return [f'ProxyPassMatch "{regex}" {base}{suffix}{_upgrade(draw)}']


@st.composite
def location(draw: st.DrawFn) -> list[str]:
    if draw(st.booleans()):
        head, close = f"<Location {draw(st.sampled_from(PREFIXES))}>", "</Location>"
        regex = False
    else:
        head, close = f'<LocationMatch "{draw(st.sampled_from(REGEXES))[0]}">', "</LocationMatch>"
        regex = True
    body = []
    what = draw(st.sampled_from(("pass", "pass", "pass", "exclude", "deny", "deny+pass", "grant")))
    if what in ("pass", "deny+pass"):
        if regex and draw(st.booleans()):
            _, suffix = draw(st.sampled_from(REGEXES))
            body.append(f"ProxyPass {_url(draw).rstrip('/')}{suffix}{_upgrade(draw)}")
        else:
            body.append(f"ProxyPass {_url(draw)}{_upgrade(draw)}")
    if what == "exclude":
        body.append("ProxyPass !")
    if what.startswith("deny"):
        body.append("Require all denied")
    if what == "grant":
        body.append("Require all granted")
    return [head, *("    " + b for b in body), close]


CONDS = (
    "RewriteCond %{HTTP:Upgrade} websocket [NC]",
    "RewriteCond %{HTTP:Upgrade} websocket",
    "RewriteCond %{HTTP:Upgrade} =websocket",
    "RewriteCond %{HTTP:Upgrade} ^WebSocket$",
    "RewriteCond %{HTTP:Upgrade} !websocket [NC]",
    "RewriteCond %{HTTP:Connection} upgrade [NC]",
    "RewriteCond %{HTTP:Connection} upgrade",
    "RewriteCond %{HTTP:Connection} Upgrade",
    "RewriteCond %{HTTP:Connection} ^Upgrade$ [NC]",
    "RewriteCond %{HTTP:Connection} =Upgrade",
    "RewriteCond %{HTTP:Upgrade} websocket [NC,OR]",
    "RewriteCond %{HTTP:Connection} upgrade [NC,OR]",
)
RULE_PATTERNS = ("^/ws/(.*)$", "^/socket.io/(.*)", "^/?(.*)", "^/api/websocket$", "^/cable", "^/old/(.*)")


@st.composite
def rewrite(draw: st.DrawFn) -> list[str]:
    lines = [draw(st.sampled_from(CONDS)) for _ in range(draw(st.integers(0, 2)))]
    if lines and "[NC,OR]" in lines[-1]:
        lines.append(draw(st.sampled_from(CONDS[:10])))
    pattern = draw(st.sampled_from(RULE_PATTERNS))
    b = draw(st.sampled_from(BACKENDS))
    subst, flags = draw(
        st.sampled_from(
            (
                (f"ws://127.0.0.1:__{b}__/$1", "[P,L]"),
                (f"ws://127.0.0.1:__{b}__/rw/$1", "[P]"),
                (f"http://127.0.0.1:__{b}__/$1", "[P,L]"),
                (f"http://127.0.0.1:__{b}__%{{REQUEST_URI}}", "[P,L]"),
                ("/moved/$1", "[R=301,L]"),
                ("/moved/$1", "[R,L]"),
                ("http://elsewhere.test/$1", "[R=308,L]"),
                ("-", "[F]"),
                ("/internal/$1", "[L]"),
                ("/ws/$1", "[PT,L]"),
                ("/ws/$1", "[PT]"),
            )
        )
    )
    return [*lines, f"RewriteRule {pattern} {subst} {flags}"]


@st.composite
def proxy_section(draw: st.DrawFn) -> list[str]:
    """A <Proxy URL> section whose ProxySet gives (or takes) a worker its upgrade= parameter."""
    url = _url(draw)
    value = draw(st.sampled_from(("websocket", "websocket", "NONE", "*")))
    return [f'<Proxy "{url}">', f"    ProxySet upgrade={value}", "</Proxy>"]


HEADER_LINES = (
    "RequestHeader unset Upgrade",
    "RequestHeader set Upgrade websocket",
    "RequestHeader set Upgrade h2c",
    'RequestHeader set Upgrade "h2c, websocket"',
)

REDIRECTS_LINES = (
    "Redirect /old http://elsewhere.test/new",
    "Redirect 301 /ws http://elsewhere.test/ws2",
    "Redirect permanent /cable http://elsewhere.test/cable",
    'RedirectMatch "^/app/(.*)$" http://elsewhere.test/app2/$1',
    "Redirect /old/ /moved/",
    "Redirect 410 /wsx",
)


@st.composite
def items(draw: st.DrawFn, rewriting: bool) -> list[str]:
    kinds = ["pass", "pass", "match", "location", "location", "redirect", "proxy"]
    kinds += ["rewrite", "rewrite"] if rewriting else []
    out: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(kinds))
        if kind == "pass":
            out += draw(proxy_pass())
        elif kind == "match":
            out += draw(proxy_pass_match())
        elif kind == "location":
            out += draw(location())
        elif kind == "redirect":
            out.append(draw(st.sampled_from(REDIRECTS_LINES)))
        elif kind == "proxy":
            out += draw(proxy_section())
        else:
            out += draw(rewrite())
    return out


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, list[Request]]:
    lines = [MODULES["proxy"]]
    if draw(st.integers(0, 9)):
        lines.append(MODULES["proxy_http"])
    if draw(st.booleans()):
        lines.append(MODULES["proxy_wstunnel"])
        if MODULES["proxy_http"] in lines and draw(st.integers(0, 5)) == 0:
            lines.append("ProxyWebsocketFallbackToProxyHttp Off")
    lines += [MODULES["rewrite"], MODULES["alias"], "Listen 127.0.0.1:__P1__"]
    if draw(st.integers(0, 5)) == 0:
        lines += [MODULES["headers"], draw(st.sampled_from(HEADER_LINES))]
    vhosts = draw(st.integers(0, 3))
    main_rewrite = draw(st.integers(0, 3)) == 0
    if main_rewrite:
        lines.append("RewriteEngine On")
    if vhosts == 0 or draw(st.integers(0, 2)) == 0:
        lines += draw(items(main_rewrite))
    names: list[str] = []
    ports_used = {0}
    # mostly one address for every vhost; now and then mixed (wslint must then say it cannot know)
    same_address = draw(st.sampled_from(("127.0.0.1", "*", "127.0.0.1", "*", None)))
    for _ in range(vhosts):
        port = 1 if draw(st.integers(0, 4)) == 0 else 0
        ports_used.add(port)
        address = same_address or draw(st.sampled_from(("127.0.0.1", "*")))
        lines.append(f"<VirtualHost {address}:{PORTS[port]}>")
        body: list[str] = []
        if draw(st.integers(0, 4)):
            # httpd refuses a wildcard ServerName
            name = draw(st.sampled_from([n for n in NAMES if "*" not in n]))
            names.append(name.split(":")[0])
            body.append(f"ServerName {name}")
        aliases = draw(st.lists(st.sampled_from(NAMES[:4]), max_size=2, unique=True))
        if aliases:
            names += aliases
            body.append("ServerAlias " + " ".join(aliases))
        rewriting = draw(st.booleans())
        if rewriting:
            body.append("RewriteEngine On")
            if main_rewrite and draw(st.booleans()):
                body.append(draw(st.sampled_from(("RewriteOptions Inherit", "RewriteOptions InheritBefore"))))
        if draw(st.integers(0, 5)) == 0:
            body.append("ProxyPassInherit Off")
        body += draw(items(rewriting))
        lines += ["    " + b for b in body]
        lines.append("</VirtualHost>")
    hosts = list(HOSTS) + [n for n in names if "*" not in n]
    reqs = draw(
        st.lists(
            st.builds(Request, st.sampled_from(sorted(ports_used)), st.sampled_from(hosts), st.sampled_from(TARGETS)),
            min_size=10,
            max_size=16,
            unique=True,
        )
    )
    return "\n".join(lines) + "\n", reqs


# How many layouts hypothesis generates: about 0.17 s each (one httpd start, ~13 URLs x 3 clients).
MAX_EXAMPLES = 300


def test_generated_layouts_agree_with_httpd(world: World) -> None:
    stats = Stats()

    # no shrinking: every step would restart httpd, and a failure lists every request that disagrees
    @settings(
        derandomize=True,
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(layouts())
    def check(layout: tuple[str, list[Request]]) -> None:
        template, reqs = layout
        verdicts = world.compare(template, reqs)
        stats.add(verdicts)
        wrong = [str(v) for v in verdicts if not v.agrees]
        assert not wrong, "wslint's routing differs from httpd:\n" + "\n".join(wrong) + "\n" + template
        # and no endpoint rule reports a URL that httpd upgraded for every client
        assert not world.alarms, "false alarms:\n" + "\n".join(world.alarms) + "\n" + template

    check()
    print(f"\napache routing differential: {stats}; {world.findings} endpoint findings, none on an upgraded URL")
    assert world.findings >= MAX_EXAMPLES, world.findings
    assert stats.compared >= MAX_EXAMPLES * 20, stats
    assert stats.upgraded >= MAX_EXAMPLES * 3, stats


# --- hand-written cases ------------------------------------------------------------------------
#
# Each one pins down a disagreement this differential test found between wslint and httpd 2.4.71
# (all fixed in wslint/apache/), with httpd's answer written out: `test_httpd_behaves_as_documented`
# notices a different httpd, `test_wslint_agrees_with_httpd` a regression in wslint. "__P0__" in a
# Location stands for the port.

MODS = "\n".join(MODULES[m] for m in ("proxy", "proxy_http", "proxy_wstunnel", "rewrite", "alias")) + "\n"
WSTUNNEL_ONLY = "\n".join(MODULES[m] for m in ("proxy", "proxy_wstunnel", "alias")) + "\n"


@dataclass(frozen=True)
class Ask:
    host: str
    target: str
    httpd: Seen
    client: str = "chrome"
    port: int = 0
    wslint_uncertain: bool = False  # wslint must say it cannot know


@dataclass(frozen=True)
class Case:
    id: str
    site: str
    asks: tuple[Ask, ...]


def vhost(*lines: str, name: str = "a.test", address: str = "127.0.0.1:__P0__") -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return f"<VirtualHost {address}>\n    ServerName {name}\n{body}</VirtualHost>\n"


B = {name: f"127.0.0.1:__{name}__" for name in BACKENDS}

CASES = [
    Case(
        "a ProxyPass ! exclusion leaves the path to Redirect",
        MODS + vhost("ProxyPass /ws/ !", f"ProxyPass / ws://{B['b0']}/", "Redirect 301 /ws http://elsewhere.test/ws2"),
        (Ask("a.test", "/ws/chat", Seen(301, location="http://elsewhere.test/ws2/chat")),),
    ),
    Case(
        "a vhost's own Redirect first, then the main server's; a path target names the request's host",
        MODS + "Redirect /old/ /moved/\n" + vhost("Redirect /old/x http://elsewhere.test/vhost"),
        (
            Ask("a.test", "/old/x", Seen(302, location="http://elsewhere.test/vhost")),
            Ask("a.test", "/old/y?q=1", Seen(302, location="http://a.test:__P0__/moved/y?q=1")),
        ),
    ),
    Case(
        "RedirectMatch's first argument is its regex",
        MODS + vhost('RedirectMatch "^/app/(.*)$" http://elsewhere.test/app2/$1'),
        (Ask("a.test", "/app/ws", Seen(302, location="http://elsewhere.test/app2/ws")),),
    ),
    Case(
        "vhosts on different addresses of one port: the IP-specific ones answer a connection to that IP",
        MODS
        + vhost(f"ProxyPass / ws://{B['b0']}/", address="*:__P0__")
        + vhost(f"ProxyPass / ws://{B['b1']}/", name="b.test"),
        (Ask("a.test", "/x", Seen(101, "b1", "/x"), wslint_uncertain=True),),
    ),
    Case(
        "a port httpd listens on that no vhost claims is the main server's",
        MODS
        + "Listen 127.0.0.1:__P1__\n"
        + f"ProxyPass /main ws://{B['b2']}/main\n"
        + vhost(f"ProxyPass / ws://{B['b0']}/"),
        (
            Ask("a.test", "/x", Seen(404), port=1),
            Ask("a.test", "/main", Seen(101, "b2", "/main"), port=1),
        ),
    ),
    Case(
        "the main server's ProxyPass lines come first, and ProxyPassInherit Off does not stop them",
        MODS
        + f"ProxyPass /both ws://{B['b2']}/main\n"
        + vhost("ProxyPassInherit Off", f"ProxyPass /both ws://{B['b0']}/vhost"),
        (Ask("a.test", "/both", Seen(101, "b2", "/main")),),
    ),
    Case(
        "ProxyPass in a section reads its path as a regex only when it holds a wildcard",
        MODS
        + vhost(
            '<LocationMatch "^/ws$">',
            f"    ProxyPass ws://{B['b0']}/ws",
            "</LocationMatch>",
            '<LocationMatch "^/io/(.*)">',
            f"    ProxyPass ws://{B['b0']}",
            "</LocationMatch>",
            '<LocationMatch "^/(api|live)/websocket">',
            "    ProxyPass !",
            "</LocationMatch>",
            f"ProxyPass / http://{B['b1']}/",
        ),
        (
            Ask("a.test", "/ws", Seen(200, "b1", "/ws")),
            Ask("a.test", "/io/x", Seen(101, "b0", "/io/x")),
            Ask("a.test", "/api/websocket", Seen(200, "b1", "/api/websocket")),
        ),
    ),
    Case(
        "a ProxyPass URL without a path glues the rest of the path to its port: 500",
        MODS + vhost(f"ProxyPass /t/ ws://{B['b0']}"),
        (Ask("a.test", "/t/x", Seen(500)),),
    ),
    Case(
        "a worker covers the URLs it is a prefix of, in the order written",
        MODS
        + vhost(
            f"ProxyPass /w ws://{B['b2']}/w/ upgrade=NONE",
            f"ProxyPass /w2 ws://{B['b2']}/w/x",
            "<Location /cable>",
            f"    ProxyPass http://{B['b1']}/",
            "</Location>",
            f'ProxyPassMatch "^/api" http://{B["b1"]} upgrade=websocket',
        ),
        (
            Ask("a.test", "/w2", Seen(200, "b2", "/w/x")),
            Ask("a.test", "/api/websocket", Seen(200, "b1", "/api/websocket")),
        ),
    ),
    Case(
        "a ProxyPassMatch worker named with $1 serves only URLs at least as long as its name",
        MODS + vhost(f'ProxyPassMatch "^/ws/(.*)$" http://{B["b3"]}/backend/$1 upgrade=websocket'),
        (
            Ask("a.test", "/ws/x", Seen(200, "b3", "/backend/x")),
            Ask("a.test", "/ws/xy", Seen(101, "b3", "/backend/xy")),
            Ask("a.test", "/ws/x?q", Seen(101, "b3", "/backend/x?q")),
        ),
    ),
    Case(
        "mod_proxy_http: upgrade=NONE keeps a ws:// worker from upgrading, ANY lets an http:// one",
        MODS + vhost(f"ProxyPass /d ws://{B['b1']}/d upgrade=NONE", f"ProxyPass /e http://{B['b1']}/e upgrade=ANY"),
        (Ask("a.test", "/d", Seen(200, "b1", "/d")), Ask("a.test", "/e", Seen(101, "b1", "/e"))),
    ),
    Case(
        "mod_proxy_wstunnel alone sends the upgrade= value as Upgrade, and refuses unlisted protocols",
        WSTUNNEL_ONLY
        + vhost(
            f"ProxyPass /a ws://{B['b1']}/a upgrade=*",
            f"ProxyPass /b ws://{B['b1']}/b",
            f"ProxyPass /f ws://{B['b1']}/f upgrade=foo",
        ),
        (
            Ask("a.test", "/a", Seen(200, "b1", "/a")),
            Ask("a.test", "/b", Seen(101, "b1", "/b")),
            Ask("a.test", "/f", Seen(426)),
        ),
    ),
    Case(
        "Require all denied answers paths nothing proxies too, but not a Redirect",
        MODS
        + vhost("<Location /ws>", "    Require all denied", "</Location>", "Redirect /ws/old http://elsewhere.test/"),
        (
            Ask("a.test", "/ws/chat", Seen(403)),
            Ask("a.test", "/ws/old", Seen(302, location="http://elsewhere.test/")),
        ),
    ),
    Case(
        "MergeSlashes: //ws/chat is matched as /ws/chat",
        MODS + vhost(f'ProxyPassMatch "^/ws/(.*)$" ws://{B["b0"]}/backend/$1'),
        (Ask("a.test", "//ws/chat", Seen(101, "b0", "/backend/chat")),),
    ),
    Case(
        "[PT] implies [L]",
        MODS
        + vhost(
            "RewriteEngine On",
            "RewriteRule ^/cable /ws/ [PT]",
            "RewriteRule ^/ws/ - [F]",
            f"ProxyPass /ws/ ws://{B['b0']}/",
        ),
        (Ask("a.test", "/cable", Seen(101, "b0", "/")),),
    ),
]


@pytest.fixture(scope="module")
def case_verdicts(world: World) -> dict[str, list[Verdict]]:
    """Every hand-written case served by its own httpd, asked once per request (as its client)."""
    out = {}
    for case in CASES:
        verdicts = world.compare(case.site, [Request(a.port, a.host, a.target) for a in case.asks])
        out[case.id] = [
            next(v for v in verdicts if v.request == Request(a.port, a.host, a.target) and v.client == a.client)
            for a in case.asks
        ]
    return out


def _documented(ask: Ask, port: int) -> Seen:
    location = ask.httpd.location.replace("__P0__", str(port)) if ask.httpd.location else None
    return Seen(ask.httpd.status, ask.httpd.backend, ask.httpd.target, location)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_httpd_behaves_as_documented(case: Case, case_verdicts: dict[str, list[Verdict]]) -> None:
    wrong = [
        f"{a.target} Host: {a.host}: documented {_documented(a, v.port)}, httpd {v.httpd}"
        for a, v in zip(case.asks, case_verdicts[case.id], strict=True)
        if v.httpd != _documented(a, v.port)
    ]
    assert not wrong, "\n".join(wrong) + "\n" + case.site


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wslint_agrees_with_httpd(case: Case, case_verdicts: dict[str, list[Verdict]]) -> None:
    wrong = []
    for a, v in zip(case.asks, case_verdicts[case.id], strict=True):
        if a.wslint_uncertain:
            if v.wslint is not None:
                wrong.append(f"{v}: wslint should be uncertain")
        elif v.wslint is None or not v.agrees:
            wrong.append(str(v))
    assert not wrong, "wslint's routing differs from httpd:\n" + "\n".join(wrong) + "\n" + case.site


UPGRADE_EDITS = {
    "client": "",
    "h2c": "RequestHeader set Upgrade h2c",
    "none": "RequestHeader unset Upgrade",
    "list": 'RequestHeader set Upgrade "h2c, websocket"',
}
UPGRADE_PARAMS = (
    "",
    " upgrade=*",
    " upgrade=foo",
    " upgrade=h2c",
    " upgrade=NONE",
    " upgrade=ANY",
    " upgrade=WebSocket",
)


@pytest.mark.parametrize("modules", [("proxy", "proxy_http", "proxy_wstunnel"), ("proxy", "proxy_wstunnel")])
def test_upgrade_matrix(modules: tuple[str, ...], world: World) -> None:
    """Every Upgrade the backend may be sent (the client's, edited by RequestHeader) against every worker
    `upgrade=`, through mod_proxy_http and through mod_proxy_wstunnel alone, to a valid URL and to one
    whose port the path was glued to: wslint's verdict equals httpd's wherever it claims one."""
    site = "\n".join(MODULES[m] for m in (*modules, "headers")) + "\n"
    requests = []
    for edit, header in UPGRADE_EDITS.items():
        for j, param in enumerate(UPGRADE_PARAMS):
            name = f"{edit}{j}.test"
            # each vhost has its own workers, so that no upgrade= is shared
            site += vhost(
                *([header] if header else []),
                f"ProxyPass /good/ ws://{B['b0']}/g/{param}",
                f"ProxyPass /bad/ ws://{B['b1']}{param}",
                name=name,
            )
            requests += [Request(0, name, "/good/x"), Request(0, name, "/bad/x")]
    verdicts = [v for v in world.compare(site, requests) if v.client == "chrome"]
    wrong = [str(v) for v in verdicts if not v.agrees]
    assert not wrong, "\n".join(wrong)
    # wslint is uncertain only about the Upgrade with two protocols
    assert all(v.wslint is not None for v in verdicts if not v.request.host.startswith("list"))
