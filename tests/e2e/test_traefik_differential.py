"""wslint's Traefik routing against the real traefik, on generated router sets.

Hypothesis writes a dynamic configuration (routers with v3 rules over a few
overlapping paths and hosts, explicit or computed priorities, negations,
header matchers on Upgrade/Connection, path middlewares); one traefik process
with a watched file provider loads each in turn; requests shaped like
Firefox's handshake (`Connection: keep-alive, Upgrade`) go through it to a
backend that reports which router's header it received and the path. wslint
must name the same router (or none) and the same upstream path. Results
wslint marks uncertain (equal priorities) are skipped and counted. The router
sets are drawn up front (tests/e2e/generated.py), derandomized, never shrunk.

Also here: the entryPoint timeouts that wslint deliberately does not report
do not cut an idle upgraded connection.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from tests.e2e.backends import Backend
from tests.e2e.generated import draw_examples
from tests.e2e.traefik_proxy import Traefik, http_get
from tests.e2e.wsclient import handshake
from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules

pytestmark = pytest.mark.realproxy

RULES = load_rules()
SEGMENTS = ["a", "ab", "ws", "socket.io", "x"]
HOSTS = ["h1.test", "h2.test"]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("X-Seen-Router", self.headers.get("X-Router", ""))
        self.send_header("X-Seen-Path", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def live(traefik_bin: str, echo_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traefik]:
    proxy = Traefik(
        traefik_bin, tmp_path_factory.mktemp("traefik-diff"), echo_port, "# filled by each example\n", watch=True
    )
    proxy.start()
    yield proxy
    proxy.stop()


def _path(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=2))
    return "/" + "/".join(parts) + draw(st.sampled_from(["", "/"]))


@st.composite
def matcher(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["prefix", "prefix", "path", "host", "regexp", "header"]))
    if kind == "prefix":
        return f"PathPrefix(`{_path(draw)}`)"
    if kind == "path":
        return f"Path(`{_path(draw)}`)"
    if kind == "host":
        return f"Host(`{draw(st.sampled_from(HOSTS))}`)"
    if kind == "regexp":
        return f"PathRegexp(`^/{draw(st.sampled_from(SEGMENTS))}(/|$)`)"
    return draw(
        st.sampled_from(
            [
                "Header(`Connection`, `Upgrade`)",
                "Header(`Upgrade`, `WebSocket`)",
                "HeaderRegexp(`Upgrade`, `(?i)^websocket$`)",
                "Header(`Connection`, `keep-alive, Upgrade`)",
            ]
        )
    )


@st.composite
def rule(draw: st.DrawFn) -> str:
    first = draw(matcher())
    if draw(st.booleans()):
        op = draw(st.sampled_from([" && ", " || ", " && !"]))
        return f"{first}{op}{draw(matcher())}"
    return first


@st.composite
def router_set(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    count = draw(st.integers(min_value=1, max_value=4))
    lines = ["http:", "  routers:"]
    middlewares = ["  middlewares:"]
    for i in range(count):
        name = f"r{i}"
        lines += [f"    {name}:", f'      rule: "{draw(rule())}"']
        if draw(st.booleans()):
            lines.append(f"      priority: {draw(st.integers(min_value=1, max_value=60))}")
        chain = [f"tag{i}"]
        middlewares += [
            f"    tag{i}:",
            "      headers:",
            "        customRequestHeaders:",
            f'          X-Router: "{name}"',
        ]
        path_mw = draw(st.sampled_from(["", "strip", "add", "replace"]))
        if path_mw == "strip":
            middlewares += [
                f"    strip{i}:",
                "      stripPrefix:",
                f"        prefixes: ['/{draw(st.sampled_from(SEGMENTS))}']",
            ]
            chain.append(f"strip{i}")
        elif path_mw == "add":
            middlewares += [f"    add{i}:", "      addPrefix:", "        prefix: /v1"]
            chain.append(f"add{i}")
        elif path_mw == "replace":
            middlewares += [f"    replace{i}:", "      replacePath:", "        path: /fixed"]
            chain.append(f"replace{i}")
        lines += ["      middlewares: [" + ", ".join(chain) + "]", "      service: echo"]
    services = [
        "  services:",
        "    echo:",
        "      loadBalancer:",
        "        servers:",
        '          - url: "http://127.0.0.1:ECHO"',
    ]
    requests = [
        (draw(st.sampled_from(HOSTS)), _path(draw) + draw(st.sampled_from(["", "x", "/y"])))
        for _ in range(draw(st.integers(min_value=2, max_value=3)))
    ]
    return "\n".join([*lines, *middlewares, *services]) + "\n", requests


def _marker(n: int) -> str:
    return (
        f'    zz-marker:\n      rule: "Path(`/__gen_{n}`)"\n      entryPoints: [probe]\n'
        "      priority: 1000000\n      service: echo\n"
    )


EXAMPLES = 40


def test_router_and_path_match_the_real_traefik(live: Traefik, echo_port: int, tmp_path: Path) -> None:
    """Each generated router set is written into the watched provider directory in turn; a marker router
    of its own tells when traefik has applied it. Failures print the whole dynamic configuration."""
    counts = {"examples": 0, "requests": 0, "compared": 0, "uncertain": 0}
    for n, (text, requests) in enumerate(draw_examples(router_set(), EXAMPLES, "traefik routing"), 1):
        counts["examples"] += 1
        dynamic = text.replace("ECHO", str(echo_port)).replace("  routers:\n", "  routers:\n" + _marker(n), 1)
        live.write_dynamic(dynamic)
        live.wait_ready(f"/__gen_{n}")
        lint_dir = tmp_path / f"lint{n}"
        lint_dir.mkdir()
        (lint_dir / "dynamic.yml").write_text(dynamic)
        endpoints = tuple(dict.fromkeys(parse_endpoint(f"ws://{host}{path}") for host, path in requests))
        report = run(LintOptions(paths=(str(lint_dir / "dynamic.yml"),), proxy="traefik", endpoints=endpoints), RULES)
        assert not [d for d in report.diagnostics if d.severity.label == "error"], report.diagnostics
        (config,) = report.configs
        for endpoint in endpoints:
            counts["requests"] += 1
            (result,) = [r for r in config.endpoint_results if r.endpoint == endpoint and r.client == "firefox"]
            status, headers = http_get(
                live.port,
                endpoint.path,
                endpoint.host_header or "",
                {
                    "Connection": "keep-alive, Upgrade",
                    "Upgrade": "websocket",
                    "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                },
            )
            if not result.certain:
                counts["uncertain"] += 1
                continue
            counts["compared"] += 1
            real_router = headers.get("x-seen-router") or None if status == 200 else None
            mine = result.route.match.pattern.split("@")[0] if result.route is not None else None
            context = f"\n{dynamic}\nrequest {endpoint}: traefik {status} {headers}, wslint {result.outcome} {mine}"
            assert mine == real_router, "router differs" + context
            if mine is not None:
                assert headers.get("x-seen-path") == result.backend_path, "path differs" + context
    print(f"traefik differential: {counts}")
    # it compared real requests
    assert counts["examples"] >= EXAMPLES * 0.9, counts
    assert counts["compared"] >= 50, counts


TIMEOUTS = """\
    transport:
      respondingTimeouts:
        readTimeout: 1s
        writeTimeout: 1s
        idleTimeout: 1s
"""


def test_entrypoint_timeouts_do_not_cut_an_idle_websocket(traefik_bin: str, tmp_path: Path) -> None:
    dynamic = (
        'http:\n  routers:\n    ws:\n      rule: "PathPrefix(`/ws`)"\n      service: app\n'
        '  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: "http://127.0.0.1:{port}"\n'
    )
    with Backend() as app:
        proxy = Traefik(traefik_bin, tmp_path, app.port, dynamic.replace("{port}", str(app.port)), transport=TIMEOUTS)
        proxy.start()
        try:
            outcome = handshake(proxy.port, "/ws/idle", f"app.test:{proxy.port}", "chrome", idle=2.5)
        finally:
            proxy.stop()
    assert outcome.ok, outcome
    static = tmp_path / "traefik.yml"
    assert "readTimeout: 1s" in static.read_text()
    report = run(
        LintOptions(paths=(str(static),), endpoints=(parse_endpoint(f"ws://app.test:{proxy.port}/ws/idle"),)), RULES
    )
    assert report.findings == [] and not report.has_errors, (report.findings, report.diagnostics)
    assert os.path.isfile(static)
