"""The Caddy adapter end to end: the route model, endpoint results, findings, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LintFn
from tests.test_cli import invoke
from wslint.endpoints import parse_endpoint
from wslint.model import ProxyConfig


def model(lint: LintFn, text: str, *urls: str, files: dict[str, str] | None = None, **opts: object) -> ProxyConfig:
    report = lint(
        text, name="Caddyfile", files=files, proxy="caddy", endpoints=tuple(parse_endpoint(u) for u in urls), **opts
    )
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    (cfg,) = report.configs
    return cfg


def findings(lint: LintFn, text: str, *urls: str, **opts: object) -> list[tuple[str, int]]:
    report = lint(text, name="Caddyfile", proxy="caddy", endpoints=tuple(parse_endpoint(u) for u in urls), **opts)
    return sorted((f.rule, f.line) for f in report.findings)


# -- the model ----------------------------------------------------------------------------------


def test_routes_are_named_after_the_directive_that_selects_them(lint: LintFn) -> None:
    cfg = model(
        lint,
        "app.example.test {\n"
        "\thandle_path /z2m/* {\n\t\treverse_proxy z2m:8080\n\t}\n"
        "\treverse_proxy /ws/* ws:3000\n"
        "\thandle {\n\t\treverse_proxy web:80\n\t}\n"
        "}\n",
    )
    assert sorted(r.name for r in cfg.routes) == ["handle *", "handle_path /z2m/*", "reverse_proxy /ws/*"]
    ws = next(r for r in cfg.routes if r.name == "reverse_proxy /ws/*")
    assert ws.websocket.level == "heuristic" and ws.source.line == 5
    assert ws.upstream is not None and ws.upstream.url == "ws:3000"
    (listener,) = cfg.listeners
    assert [n.name for n in listener.server_names] == ["app.example.test"]
    assert [(a.port, a.ssl) for a in listener.addresses] == [(443, True)]


def test_caddy_upgrades_by_itself_and_header_up_edits_come_after(lint: LintFn) -> None:
    cfg = model(
        lint,
        "http://app.example.test {\n\treverse_proxy /ws/* app:3000 {\n\t\theader_up Connection keep-alive\n\t}\n"
        "\treverse_proxy app:3001\n}\n",
    )
    edited = next(r for r in cfg.routes if r.name == "reverse_proxy /ws/*")
    plain = next(r for r in cfg.routes if r.name != "reverse_proxy /ws/*")
    for hs in plain.handshakes:
        # Firefox's "keep-alive, Upgrade" and a hop's "upgrade" both become "Connection: Upgrade"
        assert (hs.header("Connection").value, hs.header("Upgrade").value) == ("Upgrade", "websocket")  # type: ignore[union-attr]
    conn = edited.handshake.header("Connection")  # type: ignore[union-attr]
    assert conn is not None and conn.value == "keep-alive" and conn.origin == "configured"
    assert conn.source is not None and conn.source.line == 3
    assert edited.handshake.connection_status == "wrong"  # type: ignore[union-attr]


def test_header_matchers_diverge_per_client(lint: LintFn) -> None:
    cfg = model(
        lint,
        "app.example.test {\n\t@ws {\n\t\theader Connection Upgrade\n\t\theader Upgrade websocket\n\t}\n"
        "\treverse_proxy @ws app:3000\n\t@ws2 header_regexp Connection (?i)upgrade\n"
        "\treverse_proxy @ws2 app:3001\n}\n",
    )
    exact = next(r for r in cfg.routes if r.name == "reverse_proxy @ws")
    ((d,),) = [exact.divergences]
    assert (d.client, d.matcher, d.cause.line if d.cause else 0) == ("firefox", "whole-value", 3)
    assert d.rewrite is not None and d.rewrite.text == "header_regexp Connection (?i)upgrade"
    regex = next(r for r in cfg.routes if r.name == "reverse_proxy @ws2")
    assert regex.divergences == () and regex.websocket.level == "explicit"


def test_an_endpoint_declares_its_route(lint: LintFn) -> None:
    cfg = model(lint, "http://app.example.test {\n\treverse_proxy app:3000\n}\n", "ws://app.example.test/socket")
    (route,) = cfg.routes
    assert route.websocket.level == "declared"
    r = cfg.endpoints[0]
    assert (r.outcome, r.upstream, r.backend_path, r.upgrades) == ("proxied", "app:3000", "/socket", True)


# -- findings on correct and broken configurations -------------------------------------------------


CORRECT = [
    # the reverse_proxy documentation's WebSocket example, minus the header matcher
    (
        "example.test {\n\treverse_proxy /socket.io/* localhost:3000\n\tfile_server\n}\n",
        "wss://example.test/socket.io/?EIO=4",
    ),
    # handle_path, a SPA fallback scoped to its own handle block
    (
        "example.test {\n\thandle_path /api/* {\n\t\treverse_proxy localhost:8080\n\t}\n"
        "\thandle {\n\t\troot * /srv\n\t\ttry_files {path} /index.html\n\t\tfile_server\n\t}\n}\n",
        "wss://example.test/api/ws#backend=/ws",
    ),
    # short server timeouts do not cut tunnels
    (
        "{\n\tservers {\n\t\ttimeouts {\n\t\t\tidle 2s\n\t\t\tread_body 2s\n\t\t}\n\t}\n}\n"
        "example.test {\n\treverse_proxy localhost:8080\n}\n",
        "wss://example.test/ws",
    ),
    # a redirect that exempts WebSocket handshakes
    (
        "http://example.test {\n\t@page not header_regexp Upgrade (?i)^websocket$\n\tredir @page https://{host}{uri}\n"
        "\treverse_proxy localhost:8080\n}\n",
        "ws://example.test/ws",
    ),
]


@pytest.mark.parametrize(("text", "url"), CORRECT)
def test_no_finding_on_correct_configurations(lint: LintFn, text: str, url: str) -> None:
    assert findings(lint, text, url) == []
    assert findings(lint, text) == []


def test_a_ws_url_to_a_https_site_meets_the_automatic_redirect(lint: LintFn) -> None:
    text = "example.test {\n\treverse_proxy /ws/* localhost:8080\n}\n"
    assert findings(lint, text, "ws://example.test/ws/chat") == [("endpoint-redirected", 1)]
    cfg = model(lint, text, "ws://example.test/ws/chat")
    r = cfg.endpoints[0]
    assert (r.outcome, r.status, r.location, r.reason) == (
        "redirect",
        308,
        "https://example.test/ws/chat",
        "auto-https",
    )
    assert findings(lint, text, "wss://example.test/ws/chat") == []
    (f,) = lint(text, "Caddyfile", endpoints=(parse_endpoint("ws://example.test/ws/chat"),)).findings
    # the client opens a WebSocket URL, not the https:// one the redirect names
    assert f.fix is not None and f.fix.snippet.strip() == "# connect to wss://example.test/ws/chat"


def test_handle_runs_before_a_bare_reverse_proxy(lint: LintFn) -> None:
    text = "example.test {\n\treverse_proxy /cable rails:28080\n\thandle {\n\t\treverse_proxy web:3000\n\t}\n}\n"
    assert findings(lint, text, "wss://example.test/cable") == [("route-shadowed", 3)]
    cfg = model(lint, text, "wss://example.test/cable")
    r = cfg.endpoints[0]
    assert r.rewrite is not None
    assert r.rewrite.text == "handle /cable {\n\treverse_proxy rails:28080\n}"


def test_stream_close_delay_depends_on_the_version(lint: LintFn) -> None:
    text = "example.test {\n\treverse_proxy app:80 {\n\t\tstream_close_delay 5m\n\t}\n}\n"
    assert findings(lint, text) == [("keyword-too-new", 3)]
    assert findings(lint, text, versions={"caddy": "2.7.6"}) == []


def test_route_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Caddyfile").write_text(
        "http://app.example.test:8080 {\n\troute {\n\t\treverse_proxy /api/* 127.0.0.1:9002\n"
        "\t\treverse_proxy /api/v1/streaming* 127.0.0.1:9001\n\t}\n}\n"
    )
    code, out = invoke("route", "Caddyfile", "ws://app.example.test:8080/api/v1/streaming")
    # the wrong upstream still gets a WebSocket handshake: `route` says so, the note says which one was meant
    assert code == 0
    assert "reverse_proxy /api/* matches  [Caddyfile:3:3]" in out
    assert "note: `reverse_proxy /api/v1/streaming*` [Caddyfile:4:3] would upgrade this path" in out
    code, out = invoke("route", "Caddyfile", "ws://app.example.test:8080/api/v1/streaming", "--format", "json")
    (first, *_) = json.loads(out)["routes"]
    assert (first["route"], first["upstream"], first["backend_path"]) == (
        "reverse_proxy /api/*",
        "127.0.0.1:9002",
        "/api/v1/streaming",
    )


# -- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Caddyfile:1:1: error: Caddyfile contains no configuration (it is empty or only comments)"),
        (b"# only a comment\n", "Caddyfile contains no configuration"),
        (b"a.test {\n\treverse_proxy app:80\n", "Caddyfile:2:16: error: expected '}' at end of file"),
        (b"a.test {\n\trespond \xe9\n}\n", "Caddyfile:2:1: error: Caddyfile is not valid UTF-8 (byte 0xe9 on line 2)"),
        (b"a.test {\x00}\n", "Caddyfile: error: Caddyfile is not a text file"),
        (b"a.test {\n\tfrobnicate on\n}\n", "Caddyfile:2:2: error: unrecognized directive: frobnicate"),
        (b"a.test {\n\treverse_proxy @nope app:80\n}\n", "Caddyfile:2:16: error: unrecognized matcher name: @nope"),
        (b"import Caddyfile\n", "a cycle of imports"),
        (b"a.test {\n" + b"\troute {\n" * 300 + b"}\n" * 301, "blocks are nested more than 200 deep"),
        (
            b"a.test {\n\treverse_proxy /x/ http://app:80/path\n}\n",
            "URLs for proxy upstreams only support scheme, host, and port components",
        ),
    ],
)
def test_broken_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Caddyfile").write_bytes(content)
    code, out = invoke("Caddyfile", "--proxy", "caddy", "--color", "never")
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


def test_a_huge_line_is_read_in_linear_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Caddyfile").write_text("a.test {\n\trespond " + "x" * 5_000_000 + "\n}\n")
    code, out = invoke("Caddyfile", "--proxy", "caddy", "--color", "never")
    assert code == 0, out


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ("proxy /ws app:3000 {\n\t\twebsocket\n\t}", "`reverse_proxy /ws* app:3000`"),
        (
            "proxy / app:3000 {\n\t\ttransparent\n\t\tpolicy ip_hash\n\t}",
            "`reverse_proxy app:3000` with `lb_policy ip_hash`",
        ),
        ("proxy /chat/ app:3000 {\n\t\twithout /chat\n\t}", "inside `handle_path /chat* { }`"),
        ("gzip", "Caddy 2 uses encode gzip"),
    ],
)
def test_caddy1_directives_are_named_with_their_caddy2_form(tmp_path: Path, block: str, words: str) -> None:
    from wslint.core import LintOptions, run
    from wslint.engine.rules import load_rules

    path = tmp_path / "Caddyfile"
    path.write_text(f"app.test {{\n\t{block}\n}}\n")
    (diag,) = run(LintOptions(paths=(str(path),), proxy="caddy"), load_rules()).diagnostics
    assert diag.line == 2 and "Caddy 1 syntax" in diag.message and words in diag.message


# -- what wslint does not follow makes the verdict uncertain (docs/coverage/caddy.md, Known guesses) ----------


@pytest.mark.parametrize(
    "directive",
    [
        pytest.param("forward_auth 127.0.0.1:9091 {\n\t\turi /api/verify\n\t}", id="forward-auth"),
        pytest.param(
            "basicauth {\n\t\tadmin $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n\t}", id="basicauth"
        ),
        pytest.param("metrics", id="metrics"),
        pytest.param("method POST", id="method"),
    ],
)
def test_a_handler_that_may_answer_or_change_the_handshake_is_not_judged(lint: LintFn, directive: str) -> None:
    text = f"http://app.example.test {{\n\t{directive}\n\treverse_proxy 127.0.0.1:9001\n}}\n"
    cfg = model(lint, text, "ws://app.example.test/ws")
    assert cfg.endpoints and not any(r.certain for r in cfg.endpoints)
    plain = model(lint, "http://app.example.test {\n\treverse_proxy 127.0.0.1:9001\n}\n", "ws://app.example.test/ws")
    assert all(r.certain and r.upgrades for r in plain.endpoints)


@pytest.mark.parametrize(
    "sub",
    [
        pytest.param("method POST", id="method"),
        pytest.param("handle_response {\n\t\t\trespond 403\n\t\t}", id="handle-response"),
    ],
)
def test_a_proxy_that_sends_another_method_or_takes_over_the_answer_is_not_judged(lint: LintFn, sub: str) -> None:
    text = f"http://app.example.test {{\n\treverse_proxy 127.0.0.1:9001 {{\n\t\t{sub}\n\t}}\n}}\n"
    cfg = model(lint, text, "ws://app.example.test/ws")
    assert cfg.endpoints and not any(r.certain for r in cfg.endpoints)


def test_a_plugin_directive_placed_with_order_is_not_judged(lint: LintFn) -> None:
    text = "{\n\torder rate_limit before reverse_proxy\n}\nhttp://app.example.test {\n\trate_limit\n\treverse_proxy 127.0.0.1:9001\n}\n"
    cfg = model(lint, text, "ws://app.example.test/ws")
    assert cfg.endpoints and not any(r.certain for r in cfg.endpoints)
    assert any("rate_limit" in u for r in cfg.endpoints for u in r.uncertain)


def test_dynamic_upstreams_are_proxied_to(lint: LintFn) -> None:
    text = "http://app.example.test {\n\treverse_proxy {\n\t\tdynamic a backend.internal 9001\n\t}\n}\n"
    cfg = model(lint, text, "ws://app.example.test/ws")
    assert cfg.endpoints and all(r.outcome == "proxied" and r.upgrades and r.certain for r in cfg.endpoints)
