"""wslint's HAProxy routing, checked against the real haproxy on generated layouts.

Hypothesis writes frontends with named and anonymous ACLs (path, Host,
Connection and Upgrade tests, every match method, `-i`, `-m`, converters),
`http-request` path rewrites (conditional or not) and `use_backend` rules
with `if`/`unless`, `or`/`||` and `!`, with or without a `default_backend`.
Each backend has its own echo server, which answers with the request target
it received. The same handshakes (three clients' `Connection` headers, several
Host headers and paths) go to haproxy and through wslint's simulation, and the
backend chosen (or the 503 of no backend) and the path the server received
must be equal.

Hand-written cases pin the behaviors the rules depend on (first matching
use_backend wins, hdr(host) keeps the port, HTX cleans Connection, a dynamic
backend name from a map file, replace-path).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import strategies as st

from tests.e2e.generated import draw_examples
from tests.e2e.haproxy_proxy import HAProxy
from tests.e2e.named_backends import exchange, named_backends, upgrade_request
from tests.e2e.proxies import free_port
from wslint.adapters import AdapterOptions
from wslint.clients import CLIENTS
from wslint.findings import Diagnostic
from wslint.haproxy.adapter import load_model
from wslint.haproxy.build import HaproxyModel
from wslint.haproxy.request import handshake_request
from wslint.inputs import InputFile

pytestmark = pytest.mark.realproxy

BACKENDS = ("b0", "b1", "b2", "b3")
NO_BACKEND = "503"


# --- layouts ------------------------------------------------------------------------------------

PATHS = ("/", "/ws", "/ws/", "/ws/chat", "/WS/chat", "/api/websocket", "/api/v1", "/live/socket.io/x", "/cable")
QUERIES = ("", "?EIO=4&transport=websocket")
HOSTS = ("app.example.test", "app.example.test:8080", "APP.Example.Test", "ws.example.test", "other.test:81")

CRITERIA: dict[str, tuple[str, ...]] = {
    "path": ("/ws", "/ws/", "/api/websocket", "/cable", "/WS/chat"),
    "path_beg": ("/ws", "/ws/", "/api/", "/live/", "/API/"),
    "path_end": ("chat", "/", "websocket", "x"),
    "path_sub": ("socket", "ws/c", "api"),
    "path_dir": ("ws", "api", "socket.io", "chat"),
    "path_reg": ("^/ws", "chat$", "^/(api|live)/", "[0-9]"),
    "url_beg": ("/ws", "/live/"),
    "url_sub": ("EIO=4", "transport"),
    "hdr(host)": ("app.example.test", "app.example.test:8080", "ws.example.test"),
    "hdr_beg(host)": ("app.", "ws.", "APP."),
    "hdr_end(host)": (".test", ":8080", "example.test"),
    "hdr_dom(host)": ("example.test", "app", "test"),
    "req.hdr(host),host_only": ("app.example.test", "other.test"),
    "req.hdr(host),lower": ("app.example.test",),
    "hdr(connection)": ("upgrade", "Upgrade", "keep-alive"),
    "req.fhdr(connection)": ("upgrade", "Upgrade"),
    "hdr_sub(connection)": ("grade", "Up"),
    "hdr(upgrade)": ("websocket", "WebSocket"),
    "hdr_cnt(connection)": ("1", "0"),
    "query": ("EIO=4&transport=websocket",),
}
METHODS = ("", "-m beg", "-m end", "-m sub", "-m str", "-m dir", "-m dom", "-m reg", "-m found")


@dataclass(frozen=True)
class Acl:
    criterion: str
    flags: str
    patterns: tuple[str, ...]

    def text(self) -> str:
        parts = [self.criterion, self.flags, *self.patterns]
        return " ".join(p for p in parts if p)


@st.composite
def acls(draw: st.DrawFn) -> Acl:
    criterion = draw(st.sampled_from(sorted(CRITERIA)))
    icase = draw(st.booleans())
    method = draw(st.sampled_from(METHODS)) if not criterion.startswith(("path_", "hdr_", "url_")) else ""
    if criterion == "hdr_cnt(connection)":
        method = ""
    flags = " ".join(f for f in ("-i" if icase else "", method) if f)
    if method == "-m found":
        return Acl(criterion, flags, ())
    patterns = draw(st.lists(st.sampled_from(CRITERIA[criterion]), min_size=1, max_size=2, unique=True))
    return Acl(criterion, flags, tuple(patterns))


@st.composite
def conditions(draw: st.DrawFn, names: list[str]) -> str:
    def term() -> str:
        neg = "!" if draw(st.booleans()) and draw(st.booleans()) else ""
        if names and draw(st.booleans()):
            return neg + draw(st.sampled_from(names))
        return neg + "{ " + draw(acls()).text() + " }"

    disjuncts = [" ".join(term() for _ in range(draw(st.integers(1, 2)))) for _ in range(draw(st.integers(1, 2)))]
    joiner = draw(st.sampled_from((" || ", " or ")))
    keyword = draw(st.sampled_from(("if", "if", "unless")))
    return f"{keyword} {joiner.join(disjuncts)}"


REWRITES = (
    r"http-request set-path /rewritten",
    r"http-request replace-path ^/api(/.*) \1",
    r"http-request replace-path (.*) /prefix\1",
    # the regex matches part of the path: haproxy replaces the whole path with the replacement
    r"http-request replace-path /ws /socket",
    r"http-request set-path %[path,regsub(^/ws,/socket)]",
    r"http-request set-query x=1",
    r"http-request set-uri /uri?from=set-uri",
)


@st.composite
def layouts(draw: st.DrawFn) -> str:
    named = draw(st.lists(acls(), max_size=3))
    names = [f"acl{i}" for i in range(len(named))]
    lines = [
        "global",
        "    maxconn 128",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 5s",
        "    timeout server 5s",
        "frontend fe",
        "    bind 127.0.0.1:__PORT__",
    ]
    lines += [f"    acl {n} {a.text()}" for n, a in zip(names, named, strict=True)]
    for _ in range(draw(st.integers(0, 2))):
        rewrite = draw(st.sampled_from(REWRITES))
        cond = draw(conditions(names)) if draw(st.booleans()) else ""
        lines.append(f"    {rewrite} {cond}".rstrip())
    for _ in range(draw(st.integers(1, 4))):
        lines.append(f"    use_backend {draw(st.sampled_from(BACKENDS))} {draw(conditions(names))}")
    if draw(st.booleans()):
        lines.append(f"    default_backend {draw(st.sampled_from(BACKENDS))}")
    for b in BACKENDS:
        lines += [f"backend {b}", f"    server s1 127.0.0.1:__{b}__"]
        if b == "b3" and draw(st.booleans()):
            lines.insert(len(lines) - 1, "    http-request replace-path ^/ws(.*) /backend-ws\\1")
    return "\n".join(lines) + "\n"


# --- asking both ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    path: str
    query: str
    host: str
    client: str


PROBES = tuple(
    Probe(p, q, h, c.name)
    for p in PATHS
    for q, h in ((QUERIES[0], HOSTS[0]), (QUERIES[1], HOSTS[1]), (QUERIES[0], HOSTS[2]), (QUERIES[0], HOSTS[4]))
    for c in CLIENTS
    if (c.name == "chrome" or p in ("/ws/chat", "/cable"))
)


def ask_haproxy(port: int, probe: Probe) -> tuple[str, str | None]:
    client = next(c for c in CLIENTS if c.name == probe.client)
    status, fields = exchange(port, upgrade_request(f"{probe.path}{probe.query}", probe.host, client.connection))
    return (fields["backend"], fields["target"]) if fields is not None else (status, None)


def ask_wslint(model: HaproxyModel, probe: Probe) -> tuple[str, str | None] | None:
    """What wslint says (None: it is not certain)."""
    client = next(c for c in CLIENTS if c.name == probe.client)
    fe = model.frontends[0]
    query = probe.query[1:] if probe.query else None
    req = handshake_request(client, probe.host, probe.path, query, False, fe.binds[0].port, model.version)
    out = model.router.run(fe, req)
    if out.flow.uncertain:
        return None
    if out.answer is not None:
        return str(out.answer.status), None
    assert out.switch is not None and out.sent is not None
    return out.switch.backend.name, out.sent.url


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, int]]:
    with named_backends(BACKENDS) as ports:
        yield ports


def compare(binary: str, layout: str, tmp: Path, ports: dict[str, int]) -> tuple[int, list[str]]:
    """Every probe through haproxy and through wslint: (probes compared, disagreements)."""
    port = free_port()
    text = layout.replace("__PORT__", str(port))
    for name, p in ports.items():
        text = text.replace(f"__{name}__", str(p))
    tmp.mkdir(parents=True, exist_ok=True)
    cfg = tmp / "haproxy.cfg"
    cfg.write_text(text)
    diagnostics: list[Diagnostic] = []
    options = AdapterOptions(version=(2, 6, 0), version_text="2.6.0", version_assumed=False)
    model = load_model(InputFile("haproxy.cfg", str(cfg)), options, diagnostics)
    assert model is not None, diagnostics
    proxy = HAProxy(binary, tmp / "run", text)
    proxy.start(port)
    try:
        wrong = []
        compared = 0
        for probe in PROBES:
            real = ask_haproxy(port, probe)
            mine = ask_wslint(model, probe)
            if mine is None:
                wrong.append(f"{probe}: wslint is not certain, haproxy says {real}")
                continue
            compared += 1
            if mine != real:
                wrong.append(f"{probe}: haproxy {real}, wslint {mine}")
    finally:
        proxy.stop()
    return compared, wrong


LAYOUTS = 60


def test_generated_layouts_route_like_haproxy(haproxy_bin: str, backends: dict[str, int], tmp_path: Path) -> None:
    generated = draw_examples(layouts(), LAYOUTS, "haproxy routing")
    probes = 0
    for i, layout in enumerate(generated):
        compared, wrong = compare(haproxy_bin, layout, tmp_path / f"layout{i}", backends)
        probes += compared
        assert not wrong, "\n".join([layout, *wrong[:10]])
    # it really compared layouts and probes
    assert len(generated) >= 50
    assert probes >= len(generated) * len(PROBES) * 0.9


HAND_WRITTEN = {
    "first matching use_backend wins": (
        """
        acl is_api path_beg /api/
        acl is_ws path /api/websocket
        use_backend b1 if is_api
        use_backend b2 if is_ws
        default_backend b0
        """,
        Probe("/api/websocket", "", "app.example.test", "chrome"),
        ("b1", "/api/websocket"),
    ),
    "hdr(host) keeps the port": (
        """
        use_backend b1 if { hdr(host) -i app.example.test }
        default_backend b0
        """,
        Probe("/ws", "", "app.example.test:8080", "chrome"),
        ("b0", "/ws"),
    ),
    "host_only drops it": (
        """
        use_backend b1 if { req.hdr(host),host_only -i app.example.test }
        default_backend b0
        """,
        Probe("/ws", "", "app.example.test:8080", "chrome"),
        ("b1", "/ws"),
    ),
    "HTX cleans Firefox's Connection": (
        """
        use_backend b1 if { req.fhdr(connection) -m str Upgrade }
        default_backend b0
        """,
        Probe("/ws/chat", "", "app.example.test", "firefox"),
        ("b1", "/ws/chat"),
    ),
    "no backend is 503": (
        """
        use_backend b1 if { path /live }
        """,
        Probe("/live/socket.io/x", "", "app.example.test", "chrome"),
        (NO_BACKEND, None),
    ),
    "a frontend rewrite is what use_backend sees": (
        r"""
        http-request replace-path ^/api(/.*) \1
        use_backend b2 if { path /websocket }
        default_backend b0
        """,
        Probe("/api/websocket", "", "app.example.test", "chrome"),
        ("b2", "/websocket"),
    ),
}


@pytest.mark.parametrize("case", sorted(HAND_WRITTEN))
def test_hand_written_cases(case: str, haproxy_bin: str, backends: dict[str, int], tmp_path: Path) -> None:
    body, probe, expected = HAND_WRITTEN[case]
    frontend = "\n".join("    " + line.strip() for line in body.strip().splitlines())
    layout = (
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n"
        "frontend fe\n    bind 127.0.0.1:__PORT__\n"
        + frontend
        + "\n"
        + "".join(f"backend {b}\n    server s1 127.0.0.1:__{b}__\n" for b in BACKENDS)
    )
    port = free_port()
    text = layout.replace("__PORT__", str(port))
    for name, p in backends.items():
        text = text.replace(f"__{name}__", str(p))
    proxy = HAProxy(haproxy_bin, tmp_path, text)
    proxy.start(port)
    try:
        real = ask_haproxy(port, probe)
    finally:
        proxy.stop()
    cfg = tmp_path / "lint.cfg"
    cfg.write_text(text)
    options = AdapterOptions(version=(2, 6, 0), version_text="2.6.0", version_assumed=False)
    model = load_model(InputFile("lint.cfg", str(cfg)), options, [])
    assert model is not None
    mine = ask_wslint(model, probe)
    assert real == expected, f"haproxy itself: {real}"
    assert mine == expected
