"""wslint's request routing for nginx, checked against the real nginx binary.

For a WebSocket URL, wslint predicts which server block and which location
handle the handshake, what nginx answers when it does not proxy (a redirect
and its Location, or a status of its own), and for a proxied request the exact
path and query the upstream receives. Hypothesis generates layouts (up to four
servers on two ports, with exact, wildcard, regex and conflicting server
names, default servers and now and then the wildcard address; server-level
`return`, `rewrite`, `if`, `error_page` and redirect settings; prefix, exact,
`^~`, regex, nested, named and `internal` locations; every proxy_pass form,
with and without variables, an upstream block; `rewrite` with each flag,
`return`, `try_files`, `error_page`) and request targets (query strings, `//`,
percent-encoding, dot segments, missing trailing slashes, Hosts that match
nothing or are invalid), serves the layouts from one nginx 25 at a time (each
on ports of its own, so no layout sees another's servers), sends every
request, and compares each answer with wslint's.

How nginx's answer is read:

* every server block has `add_header X-Srv <tag> always;` and every location
  both that and `add_header X-Loc <tag> always;`, so the headers of an answer
  name the configuration nginx used (a location's add_header replaces the
  server's; an answer without X-Loc came from the server level);
* every proxy_pass points at a recording backend on 127.0.0.1 that answers
  203 with `X-Target: <the request target it received>` (another status with
  that header is one an `error_page` forced);
* no file exists under the root, as wslint assumes for a WebSocket path.

wslint is asked through `wslint.core.run` with the URLs as endpoints, on the
layout's text alone, included by the nginx.conf nginx would run it with alone
(the batch's nginx reads the same server blocks, and the shared http-level
lines once); its server and location are mapped back to tags by the
`# S1` / `# L3` comment on the line of the block. Results wslint marks
uncertain (the servers of a port listen on different addresses) are counted
and left out, and so are answers where wslint assumes that the fallback URI of
try_files names a file, which no layout here provides.

The hand-written cases at the end pin down every disagreement this test found,
with nginx's answer written out, so both a change in nginx and a regression in
wslint show up by name.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import strategies as st

from tests.e2e.generated import batches, draw_examples
from tests.e2e.nginx_proxy import Nginx
from tests.e2e.proxies import ConfigRefused, free_ports
from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import RuleSet, load_rules
from wslint.model import EndpointResult

pytestmark = pytest.mark.realproxy

# Placeholders filled in when nginx is started.
BACKEND = "__BACKEND__"  # the recording backend's port
PORTS = ("__P0__", "__P1__")
ROOT = "__ROOT__"  # a directory that does not exist: no file is ever found

REQUEST_TIMEOUT = 5.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})
TAG = re.compile(r"#\s*([SL]\d+)\s*$")


# --- the recording backend ---------------------------------------------------------------------


UPSTREAM_STATUS = 203  # what the recorder answers: any other status was forced by nginx


class Recorder:
    """A plain HTTP server on 127.0.0.1 answering 203 with `X-Target: <request target>`."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            line = head.split(b"\r\n", 1)[0]
            target = line.partition(b" ")[2].rpartition(b" ")[0]
            writer.write(
                b"HTTP/1.1 %d Recorded\r\nX-Target: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                % (UPSTREAM_STATUS, target)
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _main(self) -> None:
        self._stop = self._loop.create_future()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())

    def __enter__(self) -> Recorder:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("recording backend did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(5)


# --- answers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What happened to one request: the configuration that answered, and the answer."""

    server: str | None  # tag of the server block
    location: str | None  # tag of the location whose settings answered (None: the server's)
    status: int | None = None  # None when the request was proxied
    redirect: str | None = None  # the Location header of a redirect
    upstream: str | None = None  # the request target the backend received

    def __str__(self) -> str:
        where = f"{self.server}/{self.location or '-'}"
        if self.upstream is not None:
            return f"{where} proxied as {self.upstream}"
        if self.redirect is not None:
            return f"{where} {self.status} -> {self.redirect}"
        return f"{where} {self.status}"


def http_get(port: int, host: str, target: str) -> tuple[int, dict[str, str]]:
    """One raw HTTP/1.1 GET with exactly these target bytes; status and headers of the answer."""
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1")
    deadline = time.monotonic() + REQUEST_TIMEOUT
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        while b"\r\n\r\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete answer to GET {target}")
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    # header values may carry raw bytes (a decoded $uri): UTF-8, and other bytes kept as
    # surrogates, the way wslint keeps a decoded URI
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape").split("\r\n")
    status = int(head[0].split()[1])
    headers: dict[str, str] = {}
    for line in head[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers


def ask_nginx(port: int, host: str, target: str) -> Seen:
    status, headers = http_get(port, f"{host}:{port}", target)
    server, location = headers.get("x-srv"), headers.get("x-loc")
    if "x-target" in headers and status == UPSTREAM_STATUS:
        return Seen(server, location, upstream=headers["x-target"])
    # an error_page can make nginx answer its own status for what the upstream answered
    return Seen(server, location, status, headers.get("location") if status in REDIRECTS else None)


def _tag_at(lines: list[str], line: int) -> str | None:
    m = TAG.search(lines[line - 1]) if 0 < line <= len(lines) else None
    return m.group(1) if m else None


def as_seen(res: EndpointResult, lines: list[str]) -> Seen:
    server = _tag_at(lines, res.listener.source.line) if res.listener is not None else None
    location = _tag_at(lines, res.route.source.line) if res.route is not None else None
    if res.outcome == "proxied":
        return Seen(server, location, upstream=res.backend_path)
    return Seen(server, location, res.status, res.location if res.status in REDIRECTS else None)


@dataclass(frozen=True)
class Request:
    port: int  # index into PORTS
    host: str
    target: str


def assumes_a_file(res: EndpointResult) -> bool:
    """wslint assumes the fallback URI of try_files names a file that nginx serves; in these
    tests no file exists, so nginx goes on (another try_files, a 404, a redirect cycle)."""
    return any("is the fallback file of try_files" in s.text for s in res.steps)


@dataclass
class Verdict:
    request: Request
    port: int  # the port the request was sent to
    nginx: Seen
    wslint: Seen | None  # None: not compared (wslint was not certain, or assumed a file)
    trail: tuple[str, ...] = ()
    skipped: str | None = None  # why wslint's answer was not compared
    uncertain: tuple[str, ...] = ()  # what wslint could not know

    @property
    def agrees(self) -> bool:
        return self.wslint is None or self.wslint == self.nginx

    def __str__(self) -> str:
        r = self.request
        head = f"GET {r.target} Host: {r.host}:{self.port}"
        if self.wslint is None:
            return f"{head}: nginx {self.nginx}, wslint {self.skipped}"
        trail = " / ".join(self.trail[-12:])
        return f"{head}: nginx {self.nginx}, wslint {self.wslint}\n      wslint's steps: {trail}"


@dataclass
class Stats:
    layouts: int = 0
    requests: int = 0
    compared: int = 0
    proxied: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def add(self, verdicts: list[Verdict]) -> None:
        self.layouts += 1
        self.requests += len(verdicts)
        for v in verdicts:
            if v.wslint is None:
                self.skipped[v.skipped or "?"] += 1
            else:
                self.compared += 1
                self.proxied += v.nginx.upstream is not None

    def __str__(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        return (
            f"{self.layouts} layouts, {self.requests} requests: {self.compared} compared "
            f"({self.proxied} of them proxied); not compared: {skipped}"
        )


# --- running both ------------------------------------------------------------------------------


class World:
    """The recording backend, the rules, a prefix directory; nginx is started per batch of layouts."""

    def __init__(self, binary: str, prefix: Path, recorder: Recorder, rules: RuleSet) -> None:
        self.binary = binary
        self.prefix = prefix
        self.recorder = recorder
        self.rules = rules
        self.runs = 0

    def site_text(self, template: str, ports: tuple[int, int]) -> str:
        text = template.replace(BACKEND, str(self.recorder.port)).replace(ROOT, str(self.prefix / "absent"))
        for placeholder, port in zip(PORTS, ports, strict=True):
            text = text.replace(placeholder, str(port))
        return text

    def compare(self, template: str, requests: list[Request]) -> list[Verdict]:
        """Serve `template` with nginx, send every request, and ask wslint about the same URLs."""
        (verdicts,) = self.compare_many([(template, requests)])
        return verdicts

    def compare_many(self, layouts: list[tuple[str, list[Request]]]) -> list[list[Verdict]]:
        """Serve every layout from one nginx, each on ports of its own (its servers are the only ones
        there), and ask wslint about each one's URLs with that layout's file alone.

        The layouts share their http-level preamble, which nginx reads once; each one's servers come
        from its own file."""
        self.runs += 1
        prefix = self.prefix / f"run{self.runs}"
        all_ports = free_ports(2 * len(layouts))
        head = "\n".join(PREAMBLE) + "\n"
        served = []
        includes = []
        prefix.mkdir(parents=True)
        for i, (template, requests) in enumerate(layouts):
            assert template.startswith(head), template
            ports = (all_ports[2 * i], all_ports[2 * i + 1])
            site = self.site_text(template, ports)
            servers = prefix / f"layout{i}.conf"
            servers.write_text(self.site_text(template[len(head) :], ports))
            includes.append(f"include {servers};")
            # what wslint lints: the layout alone, in the prefix nginx would have run it from alone
            alone = Nginx(self.binary, self.prefix / f"run{self.runs}-layout{i}", site)
            alone.write()
            listening = ports if PORTS[1] in template else ports[:1]
            served.append((site, requests, ports, alone.prefix / "site.conf", listening))
        nginx = Nginx(
            self.binary,
            prefix,
            self.site_text(head, all_ports[:2]) + "\n".join(includes) + "\n",
            # every listening socket takes a connection slot of the worker
            worker_connections=64 + 2 * len(layouts),
        )
        try:
            nginx.start(*(p for *_, listening in served for p in listening))
        except ConfigRefused:
            if len(layouts) == 1:
                raise
            for one in layouts:
                self.compare(*one)  # raises for the layout nginx refuses
            raise
        try:
            seen = [[ask_nginx(ports[r.port], r.host, r.target) for r in requests] for _, requests, ports, *_ in served]
        finally:
            nginx.stop()
        return [
            self._verdicts(site, requests, ports, path, answers)
            for (site, requests, ports, path, _), answers in zip(served, seen, strict=True)
        ]

    def _verdicts(
        self, site: str, requests: list[Request], ports: tuple[int, int], path: Path, seen: list[Seen]
    ) -> list[Verdict]:
        lines = site.splitlines()
        urls = [f"ws://{r.host}:{ports[r.port]}{r.target}" for r in requests]
        report = run(LintOptions(paths=(str(path),), endpoints=tuple(parse_endpoint(u) for u in urls)), self.rules)
        assert report.configs, f"wslint loaded nothing: {report.diagnostics}"
        first_client = report.configs[0].endpoints[0].client
        results = [r for r in report.configs[0].endpoints if r.client == first_client]
        assert [r.endpoint.raw for r in results] == urls
        out = []
        for request, want, res in zip(requests, seen, results, strict=True):
            skipped = "uncertain" if not res.certain else "assumed a file" if assumes_a_file(res) else None
            got = as_seen(res, lines) if skipped is None else None
            steps = tuple(s.text for s in res.steps)
            out.append(Verdict(request, ports[request.port], want, got, steps, skipped, res.uncertain))
        return out


@pytest.fixture(scope="module")
def world(nginx_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with Recorder() as recorder:
        yield World(nginx_bin, tmp_path_factory.mktemp("routing"), recorder, load_rules())


# --- configuration text ------------------------------------------------------------------------

UP = f"127.0.0.1:{BACKEND}"


@dataclass(frozen=True)
class Loc:
    head: str  # what follows `location`: "/a/", "= /ws", "~ ^/ws", "@ws"
    body: tuple[str, ...] = ()  # the handler's directives
    nested: tuple[Loc, ...] = ()


@dataclass(frozen=True)
class Srv:
    port: int  # index into PORTS
    names: tuple[str, ...] = ()
    default: bool = False
    top: tuple[str, ...] = ()  # server-level directives
    locations: tuple[Loc, ...] = ()
    anywhere: bool = False  # listen on the wildcard address instead of 127.0.0.1


class Renderer:
    def __init__(self) -> None:
        self.servers = 0
        self.locations = 0
        self.lines: list[str] = []

    def location(self, loc: Loc, server_tag: str, indent: str) -> None:
        self.locations += 1
        self.lines.append(f"{indent}location {loc.head} {{  # L{self.locations}")
        inner = indent + "    "
        self.lines.append(f"{inner}add_header X-Srv {server_tag} always;")
        self.lines.append(f"{inner}add_header X-Loc L{self.locations} always;")
        self.lines.extend(inner + d for d in loc.body)
        for n in loc.nested:
            self.location(n, server_tag, inner)
        self.lines.append(f"{indent}}}")

    def server(self, srv: Srv) -> None:
        self.servers += 1
        tag = f"S{self.servers}"
        self.lines.append(f"server {{  # {tag}")
        flags = " default_server" if srv.default else ""
        address = "" if srv.anywhere else "127.0.0.1:"
        self.lines.append(f"    listen {address}{PORTS[srv.port]}{flags};")
        if srv.names:
            self.lines.append(f"    server_name {' '.join(srv.names)};")
        self.lines.append(f"    add_header X-Srv {tag} always;")
        self.lines.extend("    " + d for d in srv.top)
        for loc in srv.locations:
            self.location(loc, tag, "    ")
        self.lines.append("}")


PREAMBLE = (
    f"root {ROOT};",
    "proxy_connect_timeout 2s;",
    "proxy_read_timeout 5s;",
    f"upstream backend {{ server {UP}; }}",
)


def render(servers: tuple[Srv, ...] | list[Srv]) -> str:
    r = Renderer()
    r.lines.extend(PREAMBLE)
    for srv in servers:
        r.server(srv)
    return "\n".join(r.lines) + "\n"


# --- generated layouts -------------------------------------------------------------------------

SERVER_NAMES = (
    "a.test",
    "B.test",
    "*.a.test",
    ".a.test",
    ".b.test",
    "*.b.test",
    "*.x.a.test",
    "www.*",
    "www.a.*",
    r"~^(?<sub>[a-z]+)\.c\.test$",
    r"~^(w)(\d+)\.d\.test$",
    "~^w",
    '""',
    "_",
)
HOSTS = (
    "a.test",
    "b.test",
    "a.test.",
    "x.a.test",
    "y.x.a.test",
    "z.b.test",
    "www.a.test",
    "www.q.test",
    "sub.c.test",
    "w1.c.test",
    "w12.d.test",
    "nomatch.test",
    "localhost",
    "127.0.0.1",
    ".b.test",
    "www..a.test",
)
SERVER_TOPS: tuple[tuple[str, ...], ...] = (
    ("return 301 https://$host$request_uri;",),
    ("rewrite ^/old/(.*)$ /ws/$1 last;",),
    ("rewrite ^/old/(.*)$ /a/$1 break;",),
    ("rewrite ^/old/(.*)$ /ws/$1 permanent;",),
    ("rewrite ^/old/(.*)$ /new/$1?o=1;",),
    ("rewrite ^/fallback/(.*)$ /ws/fb/$1 last;",),
    ("if ($arg_srv) {", "    return 302 /srv$is_args$args;", "}"),
    ("absolute_redirect off;",),
    ("port_in_redirect off;",),
    ("server_name_in_redirect on;",),
    ("merge_slashes off;",),
    ("if ($arg_go) {", "    set $s 1;", "}"),
    ("error_page 404 /a/;",),
    ("error_page 404 = @ws;",),
)
# (modifier, name) of top-level locations
LOCATION_HEADS = (
    ("", "/"),
    ("", "/a"),
    ("", "/a/"),
    ("", "/ws"),
    ("", "/ws/"),
    ("", "/api/"),
    ("", "/fallback/"),
    ("", "/moved/"),
    ("=", "/ws"),
    ("=", "/a/"),
    ("^~", "/a/"),
    ("^~", "/api/"),
    ("~", "^/ws"),
    ("~", "/chat$"),
    ("~*", "^/API/"),
    ("~", "^/(a|ws)/(.+)$"),
)
REWRITE_TARGETS = ("/ws/", "/a/", "/api/", "/fallback/", "/")
PATHS = (
    "/",
    "/a",
    "/a/",
    "/a/b",
    "/a/b/c",
    "/ws",
    "/ws/",
    "/ws/chat",
    "/api",
    "/api/",
    "/api/ws",
    "/API/x",
    "/fallback/",
    "/fallback/x",
    "/old/x",
    "/old/a/b",
    "/moved/x",
    "/other",
    "/x/chat",
    "/a/x",
    "/a/../../ws",
)
ODD_SEGMENTS = (
    "/%20x",
    "/a%3Fb",
    "/%25",
    "/%C3%A9",
    "/%FF",
    "/a+b",
    "/%2Fws",
    "/%41",
    "/~u",
    "/a;b",
    "/%22%3C%5E%7B",
    "/%26%3B%2B",
    "/%23",
)
QUERIES = ("q=1", "a=b&c=%2F", "x=%20y", "go=1", "srv=1", "r=%3F")


def handlers(kind: str, name: str) -> list[tuple[str, ...]]:
    """The directives a location of this kind may carry (nginx refuses a URI in proxy_pass of
    a regex or named location, so those get none)."""
    plain = (f"proxy_pass http://{UP};",)
    var = (f"set $u {UP};", "proxy_pass http://$u;")
    out: list[tuple[str, ...]] = [
        plain,
        plain,
        var,
        (f"set $u {UP};", "proxy_pass http://$u/v/;"),
        (f"proxy_pass http://{UP}$request_uri;",),
        (f"proxy_pass http://{UP}/u$uri$is_args$args;",),
        ("proxy_pass http://backend;",),
        ("set $ups backend;", "proxy_pass http://$ups;"),
        ('return 200 "ok";',),
        ("return 403;",),
        ("return 301 https://$host$request_uri;",),
        ("return 302 /elsewhere$is_args$args;",),
        ("return 307 $scheme://$host$uri;",),
        ("return 302 /s/$1/$2$is_args$args;",),
        ("if ($arg_go) {", "    return 418;", "}", *plain),
        ("set $args x=1;", *plain),
        ("internal;", *plain),
        # the WebSocket trick: an `if` answers 418, error_page turns it into the named location
        ("error_page 418 = @ws;", "if ($arg_go) {", "    return 418;", "}", "return 403;"),
        ("error_page 418 @ws;", "if ($arg_go) {", "    return 418;", "}", *plain),
        ("error_page 404 = /fallback/;",),
        ("error_page 403 =200 /fallback/x;", "return 403;"),
        ("error_page 404 =301 https://$host/nf;",),
        (),
    ]
    if kind == "named":
        return out
    static = kind in ("prefix", "exact", "noregex")
    rx = f"^{name}(.*)$" if static else "^/(.*)$"
    out += [
        ("try_files $uri /fallback/;",),
        ("try_files $uri /fallback/?t=1;",),
        ("try_files $uri @ws;",),
        ("try_files $uri =404;",),
        (f"rewrite {rx} /r/$1 break;", *plain),
        (f"rewrite {rx} /moved/$1 permanent;", *plain),
        (f"rewrite {rx} /moved/$1?m=1 redirect;", *plain),
        *((f"rewrite {rx} {t}$1 last;",) for t in REWRITE_TARGETS),
        (f"rewrite {rx} /ws/$1?r=1 last;",),
        (f"rewrite {rx} /ws/$1? last;",),
        (f"rewrite {rx} /api/$1;", *plain),
        (f"rewrite {rx} /c/$1;", "return 302 $uri$is_args$args;"),
        (f"rewrite {rx} /r/$1 break;", "try_files $uri /fallback/;"),
        (f"rewrite {rx} https://$host/moved/$1;",),
    ]
    if kind == "regex":
        out += [(f"proxy_pass http://{UP}/cap/$1;",)]
    if static:
        out += [
            (f"proxy_pass http://{UP}/;",),
            (f"proxy_pass http://{UP}/base/;",),
            (f"proxy_pass http://{UP}/base;",),
            ("proxy_pass http://backend/base/;",),
            (f"rewrite {rx} /$1 break;", f"proxy_pass http://{UP}/base/;"),
            ("if ($arg_go) {", f"    proxy_pass http://{UP};", "}", f"proxy_pass http://{UP}/base/;"),
        ]
    return out


def _kind(modifier: str, name: str) -> str:
    if name.startswith("@"):
        return "named"
    return {"": "prefix", "=": "exact", "^~": "noregex", "~": "regex", "~*": "regex"}[modifier]


@st.composite
def locations(draw: st.DrawFn) -> tuple[Loc, ...]:
    heads = draw(st.lists(st.sampled_from(LOCATION_HEADS), min_size=1, max_size=6, unique=True))
    # nginx refuses two prefix locations of one name (`/a/` and `^~ /a/`)
    seen: set[tuple[bool, str]] = set()
    out: list[Loc] = []
    for modifier, name in heads:
        key = (modifier == "=", name) if modifier in ("", "=", "^~") else (False, modifier + name)
        if key in seen:
            continue
        seen.add(key)
        kind = _kind(modifier, name)
        body = draw(st.sampled_from(handlers(kind, name)))
        nested: tuple[Loc, ...] = ()
        if kind in ("prefix", "noregex") and name.endswith("/") and draw(st.integers(0, 4)) == 0:
            inner_name = draw(st.sampled_from((f"{name}b/", "~ b$", f"= {name}x")))
            inner_kind = {"~": "regex", "=": "exact"}.get(inner_name[0], "prefix")
            bare = inner_name.split()[-1]
            nested = (Loc(inner_name, draw(st.sampled_from(handlers(inner_kind, bare)))),)
        head = f"{modifier} {name}" if modifier else name
        out.append(Loc(head, body, nested))
    bodies = [d for loc in out for n in (loc, *loc.nested) for d in n.body]
    if any("@ws" in d for d in bodies) and draw(st.integers(0, 5)) > 0:
        out.append(Loc("@ws", draw(st.sampled_from(handlers("named", "@ws")))))
    return tuple(out)


@st.composite
def servers(draw: st.DrawFn) -> tuple[Srv, ...]:
    count = draw(st.integers(1, 4))
    out: list[Srv] = []
    defaults: set[int] = set()
    for i in range(count):
        port = 0 if i == 0 else draw(st.integers(0, 1))
        names = tuple(draw(st.lists(st.sampled_from(SERVER_NAMES), max_size=2, unique=True)))
        default = port not in defaults and draw(st.integers(0, 3)) == 0
        if default:
            defaults.add(port)
        tops = draw(st.lists(st.sampled_from(SERVER_TOPS), max_size=2, unique=True))
        top = tuple(line for t in tops for line in t) if draw(st.integers(0, 2)) == 0 else ()
        # now and then a server on the wildcard address: which servers a request reaches then
        # depends on the address the client connects to
        anywhere = draw(st.integers(0, 24)) == 0
        out.append(Srv(port, names, default, top, draw(locations()), anywhere))
    return tuple(out)


@st.composite
def targets(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(PATHS))
    tweak = draw(st.integers(0, 9))
    if tweak == 0:
        path = "/" + path  # a leading double slash
    elif tweak == 1 and path.count("/") > 1:
        i = path.rindex("/")
        path = path[:i] + "/" + path[i:]
    elif tweak == 2 and any(c.isalpha() for c in path):
        i = next(i for i, c in enumerate(path) if c.isalpha())
        code = f"%{ord(path[i]):02X}"
        path = path[:i] + (code if draw(st.booleans()) else code.lower()) + path[i + 1 :]
    elif tweak == 3:
        path = path.rstrip("/") + draw(st.sampled_from(ODD_SEGMENTS))
    elif tweak == 4:
        path = "/zz/.." + path
    elif tweak == 5:
        path = path.replace("/", "/./", 1)
    if draw(st.integers(0, 3)) == 0:
        path += "?" + draw(st.sampled_from(QUERIES))
    return path


@st.composite
def layouts(draw: st.DrawFn) -> tuple[tuple[Srv, ...], list[Request]]:
    srvs = draw(servers())
    ports = sorted({s.port for s in srvs})
    names = [n for s in srvs for n in s.names]
    hosts = list(HOSTS) + [n for n in names if "*" not in n and not n.startswith(("~", '"', "_"))]
    reqs = draw(
        st.lists(
            st.builds(Request, st.sampled_from(ports), st.sampled_from(hosts), targets()),
            min_size=12,
            max_size=24,
        )
    )
    return srvs, reqs


# How many layouts hypothesis generates (~18 requests each), and how many one nginx serves at once.
MAX_EXAMPLES = 300
BATCH = 25


def test_generated_layouts_agree_with_nginx(world: World) -> None:
    stats = Stats()
    generated = draw_examples(layouts(), MAX_EXAMPLES, "nginx routing")
    for batch in batches(generated, BATCH):
        templates = [(render(srvs), reqs) for srvs, reqs in batch]
        try:
            found = world.compare_many(templates)
        except ConfigRefused as exc:
            raise AssertionError(f"nginx refused a generated configuration: {exc}") from None
        wrong = []
        for (template, _), verdicts in zip(templates, found, strict=True):
            stats.add(verdicts)
            if bad := [str(v) for v in verdicts if not v.agrees]:
                wrong.append("\n".join(bad) + "\n" + template)
        assert not wrong, "wslint's routing differs from nginx:\n" + "\n\n".join(wrong)
    print(f"\nrouting differential: {stats}")
    assert stats.layouts == len(generated) >= MAX_EXAMPLES * 0.9, stats
    assert stats.compared >= MAX_EXAMPLES * 10, stats
    assert stats.proxied >= MAX_EXAMPLES * 2, stats


# --- hand-written cases ------------------------------------------------------------------------
#
# Each one pins down a disagreement this differential test found between wslint and nginx 1.22
# (all fixed in wslint/nginx/routing.py unless marked otherwise). The answer nginx gives is
# written out, so `test_nginx_behaves_as_documented` notices a different nginx, and
# `test_wslint_agrees_with_nginx` a regression in wslint. "__P0__" in a Location is the port.


@dataclass(frozen=True)
class Ask:
    host: str
    target: str
    nginx: Seen
    wslint_uncertain: bool = False  # wslint must say it cannot know


@dataclass(frozen=True)
class Case:
    id: str
    servers: tuple[Srv, ...]
    asks: tuple[Ask, ...]


def proxied(server: str, location: str, upstream: str) -> Seen:
    return Seen(server, location, upstream=upstream)


def answered(server: str, location: str | None, status: int, redirect: str | None = None) -> Seen:
    return Seen(server, location, status, redirect)


def loc(head: str, *body: str) -> Loc:
    return Loc(head, body)


PLAIN = f"proxy_pass http://{UP};"
HERE = "http://a.test:__P0__"

CASES = [
    Case(
        # $request_uri was built from the normalized URI: nginx keeps the target as sent
        "request_uri_is_the_raw_target",
        (Srv(0, ("a.test",), top=("return 301 https://$host$request_uri;",)),),
        (
            Ask("a.test", "//a/%41/./b?q=%2F", answered("S1", None, 301, "https://a.test//a/%41/./b?q=%2F")),
            Ask("a.test", "/ws%20x", answered("S1", None, 301, "https://a.test/ws%20x")),
        ),
    ),
    Case(
        # `return 302 /path` was reported relative: nginx makes it absolute (absolute_redirect,
        # port_in_redirect, server_name_in_redirect with the server's first name, even "")
        "redirect_location_is_absolute",
        (
            Srv(
                0,
                ("a.test",),
                locations=(loc("/r/", "return 302 /elsewhere$is_args$args;"), loc("/ws/", PLAIN)),
            ),
            Srv(0, ("b.test",), top=("absolute_redirect off;", "return 302 /elsewhere;")),
            Srv(0, ("c.test",), top=("port_in_redirect off;", "return 302 /elsewhere;")),
            Srv(0, ('""', "d.test"), top=("server_name_in_redirect on;", "return 302 /elsewhere;")),
            Srv(0, (".e.test",), top=("server_name_in_redirect on;", "return 302 /elsewhere;")),
        ),
        (
            Ask("a.test", "/r/x?q=1", answered("S1", "L1", 302, f"{HERE}/elsewhere?q=1")),
            Ask("a.test", "/ws?q=1", answered("S1", "L2", 301, f"{HERE}/ws/?q=1")),
            Ask("b.test", "/x", answered("S2", None, 302, "/elsewhere")),
            Ask("c.test", "/x", answered("S3", None, 302, "http://c.test/elsewhere")),
            Ask("d.test", "/x", answered("S4", None, 302, "http://:__P0__/elsewhere")),
            Ask("x.e.test", "/x", answered("S5", None, 302, "http://e.test:__P0__/elsewhere")),
        ),
    ),
    Case(
        # try_files to a named location was reported as answered by the try_files location, and
        # the named location's own `set` was never run (the upstream was unknown)
        "named_location_answers_with_its_own_settings",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/n/", "try_files $uri @ws;"),
                    loc("@ws", f"set $u {UP};", "proxy_pass http://$u;"),
                    loc("/m/", "try_files $uri @missing;"),
                ),
            ),
        ),
        (
            Ask("a.test", "/n/%41?q=1", proxied("S1", "L2", "/n/%41?q=1")),
            Ask("a.test", "/m/x", answered("S1", "L3", 500)),
        ),
    ),
    Case(
        # a rewrite cycle's 500 was reported without a location: nginx answers it with the
        # settings of the location that rewrote last
        "rewrite_cycle_is_answered_by_the_last_location",
        (Srv(0, ("a.test",), locations=(loc("~ /chat$", "rewrite ^/(.*)$ /api/$1 last;"),)),),
        (Ask("a.test", "/x/chat", answered("S1", "L1", 500)),),
    ),
    Case(
        # the path passed upstream was the decoded URI: nginx escapes it again (ngx_escape_uri)
        # whenever the target had %XX or the URI was changed inside nginx
        "proxied_path_is_escaped_again",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/b/", f"proxy_pass http://{UP}/base/;"),
                    loc("/r/", "rewrite ^/r/(.*)$ /$1 break;", f"proxy_pass http://{UP}/base/;"),
                    loc("/i/", "rewrite ^/i/(.*)$ /p/$1 last;"),
                    loc("/p/", PLAIN),
                ),
            ),
        ),
        (
            Ask(
                "a.test",
                "/b/%20x%3F%23%22%41%FF%C3%A9~",
                proxied("S1", "L1", "/base/%20x%3F%23%22A%FF%C3%A9~"),
            ),
            Ask("a.test", "/r/a%20b?q=1", proxied("S1", "L2", "/a%20b?q=1")),
            # a "?" decoded from %3F and captured stays in the path
            Ask("a.test", "/i/a%3Fb?q=1", proxied("S1", "L4", "/p/a%3Fb?q=1")),
        ),
    ),
    Case(
        # a rewrite's redirect carried the decoded captures: nginx escapes captures (when the
        # target had %XX or +), then decodes printable characters up to the first "?"
        "rewrite_redirect_escapes_captures",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/r/", "rewrite ^/r/(.*)$ /moved/$1 permanent;"),
                    loc("/q/", "rewrite ^/q/(.*)$ /moved?x=$1 redirect;"),
                ),
            ),
        ),
        (
            Ask("a.test", "/r/%C3%A9", answered("S1", "L1", 301, f"{HERE}/moved/%C3%A9")),
            Ask("a.test", "/r/%26%3B%3F%23%2B", answered("S1", "L1", 301, f"{HERE}/moved/&;?%23%2B")),
            Ask("a.test", "/r/a+b%20c", answered("S1", "L1", 301, f"{HERE}/moved/a+b%20c")),
            Ask("a.test", "/q/a+b", answered("S1", "L2", 302, f"{HERE}/moved?x=a%2Bb")),
            Ask("a.test", "/q/x?y=1", answered("S1", "L2", 302, f"{HERE}/moved?x=x&y=1")),
        ),
    ),
    Case(
        # with variables nginx evaluates the whole URL and only then splits host and URI: a URI
        # from a variable is passed exactly (wslint took it for part of the upstream's name)
        "proxy_pass_with_variables_splits_after_evaluation",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/v/", f"proxy_pass http://{UP}$request_uri;"),
                    loc("/w/", f"set $target {UP}/base;", "proxy_pass http://$target;"),
                ),
            ),
        ),
        (
            Ask("a.test", "/v//x%41?q=1", proxied("S1", "L1", "/v//x%41?q=1")),
            Ask("a.test", "/w/x?q=1", proxied("S1", "L2", "/base")),
        ),
    ),
    Case(
        # $uri and $args kept the values of the original request after a rewrite
        "uri_and_args_follow_rewrites",
        (
            Srv(
                0,
                ("a.test",),
                locations=(loc("/c/", "rewrite ^/c/(.*)$ /d/$1?r=1;", "return 302 $uri$is_args$args;"),),
            ),
        ),
        (Ask("a.test", "/c/x?q=1", answered("S1", "L1", 302, f"{HERE}/d/x?r=1&q=1")),),
    ),
    Case(
        # a server_name an earlier server already has is ignored by nginx; `.x.test` takes
        # both x.test and *.x.test, and is ignored whole when either was taken
        "conflicting_server_names",
        (
            Srv(0, (".b.test",)),
            Srv(0, ("b.test", "*.c.test", "d.test")),
            Srv(0, (".c.test", ".d.test", "www.*")),
            Srv(0, ("www.*", "*.d.test")),
        ),
        (
            Ask("b.test", "/", answered("S1", None, 404)),
            Ask("c.test", "/", answered("S1", None, 404)),
            Ask("x.c.test", "/", answered("S2", None, 404)),
            Ask("d.test", "/", answered("S2", None, 404)),
            Ask("x.d.test", "/", answered("S4", None, 404)),
            Ask("www.q", "/", answered("S3", None, 404)),
        ),
    ),
    Case(
        # `*.b.test` also covers a Host with an empty first label
        "wildcard_with_empty_label",
        (Srv(0, ("a.test",)), Srv(0, ("*.b.test",))),
        (Ask(".b.test", "/", answered("S2", None, 404)),),
    ),
    Case(
        # nginx only considers the servers listening on the address the client connected to;
        # wslint knows that address only from an IP literal, otherwise it is uncertain
        "servers_on_different_addresses",
        (Srv(0, ("a.test",)), Srv(0, ("b.test",), anywhere=True)),
        (
            Ask("b.test", "/", answered("S1", None, 404), wslint_uncertain=True),
            Ask("127.0.0.1", "/", answered("S1", None, 404)),
        ),
    ),
    Case(
        # the request line is parsed with the port's default server's merge_slashes
        "merge_slashes_of_the_default_server",
        (
            Srv(
                0,
                ("a.test",),
                top=("merge_slashes off;",),
                locations=(loc("//x/", PLAIN), loc("/", "return 204;")),
            ),
            Srv(0, ("b.test",), locations=(loc("/x/", PLAIN), loc("/", "return 204;"))),
        ),
        (
            Ask("a.test", "//x/y", proxied("S1", "L1", "//x/y")),
            Ask("b.test", "//x/y", answered("S2", "L4", 204)),
            Ask("b.test", "/x//y", proxied("S2", "L3", "/x//y")),
        ),
    ),
    Case(
        # the captures of the server_name regex that chose the server were lost when another
        # regex came first on the line, and $1 or a named capture nothing set was unknown
        # (nginx: empty)
        "server_name_regex_captures",
        (
            Srv(0, ("a.test",), locations=(loc("/", "return 302 /s/$sub/$1;"),)),
            Srv(
                0,
                (r"~^(?<sub>[a-z]+)\.c\.test$", r"~^(w)(\d+)\.d\.test$"),
                locations=(loc("/", "return 302 /s/$sub/$1/$2;"),),
            ),
        ),
        (
            Ask("a.test", "/", answered("S1", "L1", 302, f"{HERE}/s//")),
            Ask("abc.c.test", "/", answered("S2", "L2", 302, "http://abc.c.test:__P0__/s/abc/abc/")),
            Ask("w12.d.test", "/", answered("S2", "L2", 302, "http://w12.d.test:__P0__/s//w/12")),
        ),
    ),
    Case(
        # $arg_NAME kept the request's arguments after try_files replaced them, and compared
        # names case-sensitively
        "arg_variables_follow_the_arguments",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/t/", "try_files $uri /f/?t=1;"),
                    loc("/f/", "if ($arg_go) {", "    return 418;", "}", "return 302 /x/$arg_t;"),
                ),
            ),
        ),
        (
            Ask("a.test", "/t/x?go=1", answered("S1", "L2", 302, f"{HERE}/x/1")),
            Ask("a.test", "/f/x?GO=1", answered("S1", "L2", 418)),
        ),
    ),
    Case(
        # $1..$9 were kept when the regex of a rewrite or an `if` did not match (nginx clears
        # them), and were not set by an `if ($x !~ ...)` whose regex matched
        "captures_after_rewrite_and_if",
        (
            Srv(
                0,
                (r"~^(w)(\d+)\.d\.test$",),
                top=("rewrite ^/old/(.*)$ /a/$1 break;",),
                locations=(
                    loc("/a/", "try_files $uri /f/;"),
                    loc("/f/", "return 302 /s/$1/$2;"),
                    loc("/m/", "if ($uri !~ ^/m/(y)) {", "    return 302 /s/$1;", "}", "return 302 /t/$1;"),
                ),
            ),
        ),
        (
            Ask("w12.d.test", "/old/a/b", answered("S1", "L2", 302, "http://w12.d.test:__P0__/s//")),
            Ask("w12.d.test", "/m/y", answered("S1", "L3", 302, "http://w12.d.test:__P0__/t/y")),
        ),
    ),
    Case(
        # `internal` locations were reachable by the client's own request (nginx: 404, also
        # instead of the trailing-slash redirect), but not after a rewrite or redirect inside
        "internal_locations",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/i/", "internal;", PLAIN),
                    loc("/t/", "try_files $uri /i/x;"),
                    loc("/r/", "rewrite ^/r/(.*)$ /i/$1 last;"),
                ),
            ),
        ),
        (
            Ask("a.test", "/i/x", answered("S1", "L1", 404)),
            Ask("a.test", "/i", answered("S1", "L1", 404)),
            Ask("a.test", "/t/y", proxied("S1", "L1", "/i/x")),
            Ask("a.test", "/r/y?q=1", proxied("S1", "L1", "/i/y?q=1")),
        ),
    ),
    Case(
        # error_page was ignored: nginx sends a status it answers itself to the page (a named
        # location, a URI, or a redirect), and without `=` the client still gets that status,
        # whatever the page answers; `=CODE` forces CODE. The first case is the known trick
        # `error_page 418 = @websocket; if ($http_upgrade) { return 418; }`
        "error_page",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/b/", "error_page 418 = @ws;", "if ($arg_x) {", "    return 418;", "}", "return 403;"),
                    loc("/a/", "error_page 418 @ws;", "return 418;"),
                    loc("/c/", "error_page 404 =200 /p/x;"),
                    loc("/d/", "error_page 403 http://e.test/x;", "return 403;"),
                    loc("/p/", PLAIN),
                    loc("@ws", PLAIN),
                ),
            ),
            Srv(0, ("b.test",), top=("error_page 404 /p/;",), locations=(loc("/p/", PLAIN),)),
        ),
        (
            Ask("a.test", "/b/x?x=1", proxied("S1", "L6", "/b/x?x=1")),
            Ask("a.test", "/b/x", answered("S1", "L1", 403)),
            Ask("a.test", "/a/x", answered("S1", "L6", 418)),
            Ask("a.test", "/c/x?q=1", answered("S1", "L5", 200)),
            Ask("a.test", "/d/x", answered("S1", "L4", 302, "http://e.test/x")),
            Ask("b.test", "/x", answered("S2", "L7", 404)),
        ),
    ),
    Case(
        # $host drops the final dot of the Host header
        "host_without_final_dot",
        (Srv(0, ("a.test",), top=("return 301 https://$host$request_uri;",)),),
        (Ask("a.test.", "/x", answered("S1", None, 301, "https://a.test/x")),),
    ),
    Case(
        # `set $args` means the request target is no longer passed as it came
        "set_args_rebuilds_the_target",
        (Srv(0, ("a.test",), locations=(loc("/s/", "set $args x=1;", PLAIN),)),),
        (Ask("a.test", "//s/?q=1", proxied("S1", "L1", "/s/?x=1")),),
    ),
    Case(
        # an invalid Host, or a target above the root, is answered 400 by the port's default
        # server, before the Host header chooses one
        "bad_requests_are_answered_by_the_default_server",
        (Srv(0, ("x.test",)), Srv(0, ("a.test", "*.a.test"))),
        (
            Ask("www..a.test", "/", answered("S1", None, 400)),
            Ask("a.test", "/a/../../x", answered("S1", None, 400)),
        ),
    ),
    Case(
        # the fallback URI of try_files brings its own arguments; without any, none are left
        "try_files_fallback_replaces_the_arguments",
        (
            Srv(
                0,
                ("a.test",),
                locations=(
                    loc("/t/", "try_files $uri /p/;"),
                    loc("/u/", "try_files $uri /p/?t=1;"),
                    loc("/p/", PLAIN),
                ),
            ),
        ),
        (
            Ask("a.test", "/t/x?q=1", proxied("S1", "L3", "/p/")),
            Ask("a.test", "/u/x?q=1", proxied("S1", "L3", "/p/?t=1")),
        ),
    ),
    Case(
        # an internal redirect starts over at the server's rewrite directives, and undoes the
        # `rewrite ... break` that made proxy_pass ignore its URI
        "internal_redirect_starts_over",
        (
            Srv(
                0,
                ("a.test",),
                top=("rewrite ^/fb/(.*)$ /p/fb/$1;",),
                locations=(
                    loc("/t/", "try_files $uri /fb/x;"),
                    loc("/r/", "rewrite ^/r/(.*)$ /s/$1 break;", "try_files $uri /b/;"),
                    loc("/p/", PLAIN),
                    loc("/b/", f"proxy_pass http://{UP}/base/;"),
                ),
            ),
        ),
        (
            Ask("a.test", "/t/y", proxied("S1", "L3", "/p/fb/x")),
            Ask("a.test", "/r/y", proxied("S1", "L4", "/base/")),
        ),
    ),
]


@pytest.fixture(scope="module")
def case_verdicts(world: World) -> dict[str, list[Verdict]]:
    """Every hand-written case served by one nginx (each on its own ports), asked once."""
    layouts = [(render(case.servers), [Request(0, a.host, a.target) for a in case.asks]) for case in CASES]
    return {case.id: verdicts for case, verdicts in zip(CASES, world.compare_many(layouts), strict=True)}


def _documented(ask: Ask, port: int) -> Seen:
    redirect = ask.nginx.redirect.replace(PORTS[0], str(port)) if ask.nginx.redirect else None
    return Seen(ask.nginx.server, ask.nginx.location, ask.nginx.status, redirect, ask.nginx.upstream)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_nginx_behaves_as_documented(case: Case, case_verdicts: dict[str, list[Verdict]]) -> None:
    wrong = [
        f"GET {a.target} Host: {a.host}: documented {_documented(a, v.port)}, nginx {v.nginx}"
        for a, v in zip(case.asks, case_verdicts[case.id], strict=True)
        if v.nginx != _documented(a, v.port)
    ]
    assert not wrong, "\n".join(wrong) + "\n" + render(case.servers)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wslint_agrees_with_nginx(case: Case, case_verdicts: dict[str, list[Verdict]]) -> None:
    wrong = []
    for a, v in zip(case.asks, case_verdicts[case.id], strict=True):
        if a.wslint_uncertain:
            if v.skipped != "uncertain":
                wrong.append(f"{v}: wslint should be uncertain")
        elif v.wslint is None or not v.agrees:
            wrong.append(str(v))
    assert not wrong, "wslint's routing differs from nginx:\n" + "\n".join(wrong) + "\n" + render(case.servers)


def test_regex_location_with_uri_in_proxy_pass_is_refused(world: World) -> None:
    """Why the generator never writes a URI into proxy_pass of a regex or named location."""
    template = render([Srv(0, ("a.test",), locations=(loc("~ ^/ws", f"proxy_pass http://{UP}/base/;"),))])
    with pytest.raises(ConfigRefused, match="cannot have URI part"):
        world.compare(template, [Request(0, "a.test", "/ws")])


def test_empty_query_is_passed_as_sent(world: World) -> None:
    """ws://host/a? sends the target /a? and nginx passes the bare "?" on unchanged."""
    template = render([Srv(0, ("a.test",), locations=(loc("/", PLAIN),))])
    (verdict,) = world.compare(template, [Request(0, "a.test", "/a?")])
    assert verdict.nginx == proxied("S1", "L1", "/a?")
    assert verdict.agrees, str(verdict)
