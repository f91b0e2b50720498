"""Generated Caddyfiles for the differential tests, and wslint's view of a request through them.

A layout is one or two sites on one port with a random mix of the directives
that decide where a WebSocket handshake goes: reverse_proxy with and without
matchers, handle / handle_path / route blocks, named matchers (path,
path_regexp, header and header_regexp on Connection and Upgrade, method,
query, not), respond, redir, error, rewrite, uri, try_files with
file_server. Backends are named b0..b3 and written as `__bN__` ports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from wslint.adapters import AdapterOptions
from wslint.caddy.build import CaddyModel
from wslint.caddy.config import ReverseProxy
from wslint.caddy.handshake import client_request, proxy_request
from wslint.clients import CLIENTS
from wslint.findings import Diagnostic
from wslint.inputs import InputFile

BACKENDS = ("b0", "b1", "b2", "b3")
PATHS = ("/", "/ws", "/ws/", "/ws/chat", "/WS/Chat", "/api/websocket", "/api/v1/streaming", "/app/socket", "/app")
QUERIES = ("", "?EIO=4&transport=websocket")

PATTERNS = ("/ws", "/ws/*", "/ws*", "/api/*", "/api/websocket", "/app/*", "/app*", "/*/chat", "/WS/*")
# only a named matcher's path may start with `*` (a token starting with `*` is not a matcher)
NAMED_PATTERNS = (*PATTERNS, "*chat", "*socket*")


@st.composite
def path_token(draw: st.DrawFn, named: bool = False) -> str:
    return draw(st.sampled_from(NAMED_PATTERNS if named else PATTERNS))


@st.composite
def matcher_body(draw: st.DrawFn) -> list[str]:
    """The lines of a named matcher."""
    lines: list[str] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(("path", "path", "path_regexp", "header", "header_regexp", "not path", "method", "query"))
        )
        if kind in ("path_regexp", "header_regexp"):
            # Caddy allows one regular expression per matcher (per header field)
            if kind in used:
                continue
            used.add(kind)
        if kind == "path":
            lines.append(
                "path " + " ".join(draw(st.lists(path_token(named=True), min_size=1, max_size=2, unique=True)))
            )
        elif kind == "not path":
            lines.append("not path " + draw(path_token(named=True)))
        elif kind == "path_regexp":
            lines.append("path_regexp " + draw(st.sampled_from(("^/ws", "chat$", "^/(api|app)/", "(?i)^/ws/"))))
        elif kind == "header":
            lines.append(
                draw(
                    st.sampled_from(
                        (
                            "header Connection *Upgrade*",
                            "header Connection Upgrade",
                            "header Upgrade websocket",
                            "header Upgrade WebSocket",
                            "header Connection *grade*",
                        )
                    )
                )
            )
        elif kind == "header_regexp":
            lines.append(
                draw(st.sampled_from(("header_regexp Connection (?i)upgrade", "header_regexp Connection ^Upgrade$")))
            )
        elif kind == "method":
            lines.append(draw(st.sampled_from(("method GET", "method POST"))))
        else:
            lines.append(draw(st.sampled_from(("query EIO=4", "query transport=polling"))))
    return lines


HEADER_UP = (
    "header_up Connection keep-alive",
    "header_up -Upgrade",
    "header_up Upgrade WebSocket",
    "header_up -Connection",
    "header_up X-Test yes",
    "header_up Connection Upgrade",
    "header_up +Connection close",
)
REQUEST_HEADER = ("-Connection", "Upgrade h2c", "Connection keep-alive", "X-Seen 1", "-Upgrade")


@dataclass
class Ctx:
    matchers: list[str]


@st.composite
def matcher(draw: st.DrawFn, ctx: Ctx, allow_none: bool = True) -> str:
    choice = draw(st.sampled_from(("none", "path", "path", "named", "star") if allow_none else ("path", "named")))
    if choice == "none":
        return ""
    if choice == "star":
        return "*"
    if choice == "path" or not ctx.matchers:
        return draw(path_token())
    return draw(st.sampled_from(ctx.matchers))


def _m(m: str) -> str:
    return f" {m}" if m else ""


@st.composite
def directive(draw: st.DrawFn, ctx: Ctx, depth: int) -> list[str]:
    kinds = ["reverse_proxy", "reverse_proxy", "respond", "redir", "rewrite", "uri", "error", "request_header"]
    if depth < 2:
        kinds += ["handle", "handle", "handle_path", "route"]
    kind = draw(st.sampled_from(kinds))
    b = draw(st.sampled_from(BACKENDS))
    if kind == "reverse_proxy":
        head = f"reverse_proxy{_m(draw(matcher(ctx)))} 127.0.0.1:__{b}__"
        if draw(st.booleans()):
            return [head]
        edits = draw(st.lists(st.sampled_from(HEADER_UP), min_size=1, max_size=2, unique=True))
        return [head + " {", *("    " + e for e in edits), "}"]
    if kind == "request_header":
        return [f"request_header{_m(draw(matcher(ctx)))} {draw(st.sampled_from(REQUEST_HEADER))}"]
    if kind == "respond":
        return [f'respond{_m(draw(matcher(ctx)))} "local" {draw(st.sampled_from(("200", "403", "418")))}']
    if kind == "error":
        return [f"error{_m(draw(matcher(ctx)))} {draw(st.sampled_from(('403', '502')))}"]
    # a first argument starting with `/` would be read as a matcher: say `*` for every request
    if kind == "redir":
        code = draw(st.sampled_from(("301", "302", "308")))
        return [f"redir {draw(matcher(ctx)) or '*'} /moved{{uri}} {code}"]
    if kind == "rewrite":
        to = draw(st.sampled_from(("/ws/chat", "/api{path}", "/other?x=1")))
        return [f"rewrite {draw(matcher(ctx)) or '*'} {to}"]
    if kind == "uri":
        op = draw(
            st.sampled_from(("strip_prefix /api", "strip_prefix /ws", "replace /ws /socket", "replace chat room"))
        )
        return [f"uri {draw(matcher(ctx)) or '*'} {op}"]
    inner: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        inner.extend(draw(directive(ctx, depth + 1)))
    body = ["    " + ln for ln in inner]
    if kind == "handle_path":
        return [f"handle_path {draw(st.sampled_from(('/app/*', '/ws/*', '/api*')))} {{", *body, "}"]
    return [f"{kind}{_m(draw(matcher(ctx)))} {{", *body, "}"]


@st.composite
def site_body(draw: st.DrawFn) -> list[str]:
    ctx = Ctx([])
    lines: list[str] = []
    for i in range(draw(st.integers(0, 2))):
        name = f"@m{i}"
        body = draw(matcher_body())
        lines += [f"{name} {{", *("    " + ln for ln in body), "}"]
        ctx.matchers.append(name)
    for _ in range(draw(st.integers(1, 5))):
        lines.extend(draw(directive(ctx, 0)))
    if draw(st.integers(0, 4)) == 0:
        # a single-page app: try_files rewrites what is not a file to /index.html (www/ has one)
        lines += ["root * www", "try_files {path} /index.html", "file_server"]
    return lines


@st.composite
def layouts(draw: st.DrawFn) -> str:
    """A Caddyfile (without global options) with `__PORT__` for the sites' port."""
    out: list[str] = []
    out.append("http://app.example.test:__PORT__ {")
    out.extend("    " + ln for ln in draw(site_body()))
    out.append("}")
    if draw(st.booleans()):
        out.append(f"http://{draw(st.sampled_from(('other.example.test', '*.example.test')))}:__PORT__ {{")
        out.extend("    " + ln for ln in draw(site_body()))
        out.append("}")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Probe:
    path: str
    query: str
    host: str
    client: str


HOSTS = ("app.example.test", "other.example.test", "ws.example.test")
PROBES = tuple(
    Probe(p, q, h, c.name)
    for p in PATHS
    for q, h in ((QUERIES[0], HOSTS[0]), (QUERIES[1], HOSTS[0]), (QUERIES[0], HOSTS[1]), (QUERIES[0], HOSTS[2]))
    for c in CLIENTS
    if c.name == "chrome" or p in ("/ws/chat", "/api/websocket")
)


def load(text: str, path: Path) -> CaddyModel | None:
    from wslint.caddy.adapter import model_of
    from wslint.caddy.parser import parse_caddyfile
    from wslint.limits import Limits

    diagnostics: list[Diagnostic] = []
    cf = parse_caddyfile(InputFile(str(path), None, text), Limits(), False, diagnostics)
    if cf is None:
        return None
    options = AdapterOptions(version=(2, 6, 2), version_text="2.6.2", version_assumed=False)
    loaded = model_of(cf, InputFile(str(path), None, text), options, diagnostics)
    return loaded[0] if loaded is not None else None


Answer = tuple[str, str | None, str, str]


def ask_wslint(model: CaddyModel, probe: Probe, port: int, names: dict[str, str]) -> Answer | None:
    """What wslint says Caddy answers: (backend name, target, Connection, Upgrade) or (status, None, "", "");
    None: not certain."""
    client = next(c for c in CLIENTS if c.name == probe.client)
    server = next((s for s in model.app.servers if port in s.ports()), None)
    if server is None:
        return None
    req = client_request(client, f"{probe.host}:{port}", probe.path, probe.query[1:], False, port)
    out = model.router(server).run(req.copy())
    if out.uncertain:
        return None
    if out.kind == "proxy":
        assert isinstance(out.handler, ReverseProxy) and out.request is not None
        hs, target = proxy_request(out.handler, out.request, client)
        conn = hs.header("Connection")
        up = hs.header("Upgrade")
        return (
            names.get(out.handler.upstreams[0].dial, "?"),
            target,
            (conn.value or "") if conn is not None else "",
            (up.value or "") if up is not None else "",
        )
    if out.kind == "abort":
        return "abort", None, "", ""
    return str(out.status), None, "", ""
