"""Linting HAProxy configurations: verdicts, silence on correct configurations, fixes, errors, `wslint route`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import LintFn
from wslint.adapters import AdapterOptions
from wslint.cli import app
from wslint.core import Report
from wslint.edits import apply_edits
from wslint.endpoints import parse_endpoint
from wslint.findings import Diagnostic
from wslint.haproxy.adapter import load_haproxy
from wslint.inputs import InputFile

DEFAULTS = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""


def found(report: Report) -> set[tuple[str, int]]:
    return {(f.rule, f.line) for f in report.findings}


def ws(*urls: str) -> dict[str, object]:
    return {"endpoints": tuple(parse_endpoint(u) for u in urls)}


# --- correct configurations: nothing to report ------------------------------------------------

CORRECT = {
    "plain mode http, tunnel timeout in defaults": DEFAULTS
    + """\
    timeout tunnel 1h
frontend www
    bind :8080
    default_backend app
backend app
    server a1 127.0.0.1:9001
""",
    "option httpclose and http-server-close, tunnel in the backend": DEFAULTS
    + """\
    option httpclose
frontend www
    bind :8080
    option http-server-close
    default_backend app
backend app
    timeout tunnel 1h
    server a1 127.0.0.1:9001
""",
    "hdr(connection) -i upgrade, which HTX makes work for Firefox": DEFAULTS
    + """\
    timeout tunnel 1h
frontend www
    bind :8080
    acl is_upgrade hdr(connection) -i upgrade
    acl is_websocket hdr(upgrade) -i websocket
    use_backend ws if is_upgrade is_websocket
    default_backend web
backend ws
    server a1 127.0.0.1:9001
backend web
    server w1 127.0.0.1:9002
""",
    "mode tcp with long timeouts": """\
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
frontend tcp_in
    bind :8080
    default_backend app
backend app
    server a1 127.0.0.1:9001
""",
    "a header rule scoped to plain requests": DEFAULTS
    + """\
    timeout tunnel 1h
frontend www
    bind :8080
    default_backend app
backend app
    http-request set-header Connection keep-alive unless { req.hdr(upgrade) -i websocket }
    http-request set-timeout tunnel 2h
    server a1 127.0.0.1:9001
""",
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_configurations_get_no_finding(name: str, lint: LintFn) -> None:
    report = lint(
        CORRECT[name], "haproxy.cfg", **ws("ws://app.example.test:8080/ws/chat", "ws://app.example.test:8080/")
    )
    assert not report.diagnostics
    assert report.findings == []
    results = [r for cfg in report.configs for r in cfg.endpoint_results]
    assert len(results) == 6 and all(r.upgrades and r.certain for r in results)


def test_without_endpoints_only_websocket_routes_are_judged(lint: LintFn) -> None:
    # 30 s client/server timeouts and no tunnel timeout: fine for `web`, a warning for `ws`
    text = DEFAULTS + (
        "frontend www\n    bind :80\n    use_backend ws if { path_beg /socket.io/ }\n    default_backend web\n"
        "backend ws\n    server a 127.0.0.1:1\nbackend web\n    server b 127.0.0.1:2\n"
    )
    report = lint(text, "haproxy.cfg")
    assert found(report) == {("tunnel-timeout-missing", 10)}
    (f,) = report.findings
    assert f.severity.label == "warning" and f.route is not None and f.route.websocket == "heuristic"


@pytest.mark.parametrize(
    ("frontend", "backend", "closer"),
    [
        ("    timeout client 10s\n", "", "`timeout client 10s` (haproxy.cfg:8)"),
        ("", "    timeout server 10s\n", "`timeout server 10s` (haproxy.cfg:11)"),
        ("", "", None),
    ],
    ids=["short client timeout in the frontend", "short server timeout in the backend", "both long"],
)
def test_without_endpoints_a_short_timeout_without_tunnel_on_an_evident_websocket_route_is_reported(
    frontend: str, backend: str, closer: str | None, lint: LintFn
) -> None:
    """Issue 15: no --ws-url, a route chosen by an Upgrade test, no `timeout tunnel`: whichever of the client and
    server timeouts is short closes its WebSockets, at the backend that lacks the tunnel timeout. The plain
    backend's short server timeout is no WebSocket matter."""
    text = (
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 1h\n    timeout server 1h\n"
        "frontend www\n    bind :8080\n" + frontend + "    use_backend chat if { hdr(upgrade) -i websocket }\n"
        "    default_backend web\nbackend chat\n" + backend + "    server c1 127.0.0.1:9001\n"
        "backend web\n    timeout server 5s\n    server w1 127.0.0.1:9002\n"
    )
    report = lint(text, "haproxy.cfg")
    if closer is None:
        assert report.findings == []
        return
    chat = 11 if frontend else 10
    assert found(report) == {("tunnel-timeout-missing", chat)}
    (f,) = report.findings
    assert closer in f.message and f.severity.label == "warning"
    assert f.route is not None and f.route.websocket == "explicit"


# --- timeouts -----------------------------------------------------------------------------------


def test_the_last_defaults_above_a_backend_is_the_one_it_uses(lint: LintFn) -> None:
    text = (
        DEFAULTS + "    timeout tunnel 1h\nfrontend www\n    bind :8080\n    default_backend hub\n"
        "defaults\n    mode http\n    timeout server 2s\nbackend hub\n    server h 127.0.0.1:1\n"
    )
    report = lint(text, "haproxy.cfg", **ws("ws://hub.test:8080/api/kernels/1/channels"))
    assert found(report) == {("tunnel-timeout-missing", 13)}
    assert "timeout server 2s" in report.findings[0].message
    fix = report.findings[0].fix
    assert fix is not None
    fixed = apply_edits(text, fix.edits)
    assert fixed.endswith("backend hub\n    server h 127.0.0.1:1\n    timeout tunnel 1h\n")


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("    timeout tunnel 0\n", {("tunnel-timeout-missing", 9)}),
        ("    timeout tunnel 10s\n", {("idle-timeout-short", 10)}),
        ("    http-request set-timeout tunnel 5s\n", {("idle-timeout-short", 10)}),
        ("    http-request set-timeout tunnel 1h if { path_beg /ws }\n", set()),
        ("    timeout tunnel 1h\n", set()),
    ],
)
def test_which_timeout_closes_the_tunnel(backend: str, expected: set[tuple[str, int]], lint: LintFn) -> None:
    text = DEFAULTS + "frontend www\n    bind :8080\n    default_backend app\nbackend app\n" + backend
    text += "    server a 127.0.0.1:1\n"
    assert found(lint(text, "haproxy.cfg", **ws("ws://a.test:8080/ws"))) == expected


def test_a_tunnel_timeout_in_the_frontend_is_reported_where_it_is_and_moved(lint: LintFn) -> None:
    text = DEFAULTS + "frontend www\n    bind :8080\n    timeout tunnel 2h\n    default_backend app\nbackend app\n"
    text += "    server a 127.0.0.1:1\n"
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/ws"))
    assert found(report) == {("tunnel-timeout-in-frontend", 8)}
    fix = report.findings[0].fix
    assert fix is not None
    assert apply_edits(text, fix.edits) == (
        DEFAULTS + "frontend www\n    bind :8080\n    default_backend app\nbackend app\n"
        "    server a 127.0.0.1:1\n    timeout tunnel 2h\n"
    )


def test_the_idle_threshold_applies_to_every_idle_rule(tmp_path: Path) -> None:
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(
        DEFAULTS + "frontend www\n    bind :8080\n    default_backend ws\nbackend ws\n    server a 127.0.0.1:1\n"
    )
    runner = CliRunner()
    loose = runner.invoke(app, ["check", str(cfg), "--idle-threshold", "20s", "--format", "json"])
    strict = runner.invoke(app, ["check", str(cfg), "--idle-threshold", "5m", "--format", "json"])
    assert json.loads(loose.stdout)["findings"] == []
    assert [f["rule"] for f in json.loads(strict.stdout)["findings"]] == ["tunnel-timeout-missing"]


# --- versions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "version", "fires"),
    [
        ("option forceclose", "2.4", False),
        ("option forceclose", "2.6", True),
        ("option http-tunnel", "2.5", True),
        ("option http-use-htx", "2.0", False),
        ("option http-use-htx", "3.2", True),
        ("reqadd X-Proto:\\ http", "2.0", False),
        ("reqadd X-Proto:\\ http", "2.1", True),
        ("bind-process 1", "2.6", False),
        ("bind-process 1", "2.7", True),
    ],
)
def test_removed_keywords_depend_on_the_version(keyword: str, version: str, fires: bool, lint: LintFn) -> None:
    text = DEFAULTS + f"frontend www\n    bind :8080\n    {keyword}\n    default_backend app\nbackend app\n"
    text += "    timeout tunnel 1h\n    server a 127.0.0.1:1\n"
    report = lint(text, "haproxy.cfg", versions={"haproxy": version})
    assert found(report) == ({("removed-keyword", 8)} if fires else set())


def test_removed_keyword_fixes(lint: LintFn) -> None:
    text = DEFAULTS + "frontend www\n    bind :8080\n    reqadd X-Forwarded-Proto:\\ https if { ssl_fc }\n"
    text += (
        "    clitimeout 5000\n    option forceclose\n    default_backend app\nbackend app\n    server a 127.0.0.1:1\n"
    )
    report = lint(text, "haproxy.cfg")
    edits = [e for f in report.findings if f.fix is not None for e in f.fix.edits]
    assert apply_edits(text, edits) == (
        DEFAULTS + "frontend www\n    bind :8080\n    http-request add-header X-Forwarded-Proto https if { ssl_fc }\n"
        "    timeout client 5000\n    default_backend app\nbackend app\n    server a 127.0.0.1:1\n"
    )
    assert all("wslint assumes it; pass --haproxy-version" in f.message for f in report.findings)


# --- ACLs and clients ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acl", "clients"),
    [
        ("hdr(connection) upgrade", {"chrome", "firefox"}),
        ("hdr(connection) Upgrade", {"lowercase"}),
        ("req.hdr(connection) -m reg ^Upgrade$", {"lowercase"}),
        ("hdr(connection) -i upgrade", set()),
        ("hdr_sub(connection) -i grade", set()),
        # no browser sends "WebSocket": every client goes elsewhere
        ("hdr(upgrade) WebSocket", {"chrome", "firefox", "lowercase"}),
        ("hdr(upgrade) -i WebSocket", set()),
        # a test that ignoring case would not rescue is no case problem
        ("hdr(upgrade) h2c", set()),
    ],
)
def test_case_sensitive_acls_are_found_for_the_clients_they_miss(acl: str, clients: set[str], lint: LintFn) -> None:
    text = DEFAULTS + "    timeout tunnel 1h\nfrontend www\n    bind :8080\n"
    text += f"    acl is_ws {acl}\n    use_backend ws if is_ws\n    default_backend web\n"
    text += "backend ws\n    server a 127.0.0.1:1\nbackend web\n    server b 127.0.0.1:2\n"
    report = lint(text, "haproxy.cfg")
    route = next(r for cfg in report.configs for r in cfg.routes if r.noun == "use_backend")
    assert {d.client for d in route.divergences} == clients
    assert found(report) == ({("case-sensitive-match", 9)} if clients else set())
    if clients:
        fix = report.findings[0].fix
        assert fix is not None
        assert f"    acl is_ws {acl.split()[0]} -i " in apply_edits(text, fix.edits)


def test_header_rules_are_applied_per_client_and_condition(lint: LintFn) -> None:
    text = DEFAULTS + "    timeout tunnel 1h\nfrontend www\n    bind :8080\n    default_backend app\nbackend app\n"
    text += "    http-request del-header Upgrade if { path_beg /api/ }\n    server a 127.0.0.1:1\n"
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/api/live", "ws://a.test:8080/ws"))
    assert found(report) == {("upgrade-header-not-forwarded", 11)}
    (api, _) = [r for r in report.configs[0].endpoints]
    assert api.handshake is not None and api.handshake.upgrade_status == "missing"


# --- routing --------------------------------------------------------------------------------------


def test_no_backend_is_a_route_miss_with_the_near_miss(lint: LintFn) -> None:
    text = DEFAULTS + "    timeout tunnel 1h\nfrontend www\n    bind :8080\n    use_backend rt if { path /live }\n"
    text += "backend rt\n    server a 127.0.0.1:1\n"
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/live/websocket"))
    (f,) = report.findings
    assert (f.rule, f.line) == ("route-miss", 7)
    assert "HAProxy answers 503" in f.message and "`use_backend rt if { path /live }` (line 9)" in f.message


def test_the_rule_written_first_wins(lint: LintFn) -> None:
    text = DEFAULTS + "    timeout tunnel 1h\nfrontend www\n    bind :8080\n"
    text += "    use_backend api if { path_beg /api/ }\n    use_backend ws if { path /api/websocket }\n"
    text += "backend api\n    server a 127.0.0.1:1\nbackend ws\n    server b 127.0.0.1:2\n"
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/api/websocket"))
    assert found(report) == {("route-shadowed", 9)}
    fix = report.findings[0].fix
    assert fix is not None
    fixed = apply_edits(text, fix.edits)
    assert fixed.index("use_backend ws") < fixed.index("use_backend api")
    # the other way round, nothing to say
    assert lint(fixed, "haproxy.cfg", **ws("ws://a.test:8080/api/websocket")).findings == []


def test_a_dynamic_backend_from_a_map_file(lint: LintFn) -> None:
    text = (
        "global\n    default-path config\n" + DEFAULTS + "frontend www\n    bind :8080\n"
        "    use_backend %[path,map_beg(maps/be.map,web)]\nbackend cable\n    timeout tunnel 1h\n"
        "    server a 127.0.0.1:1\nbackend web\n    server b 127.0.0.1:2\n"
    )
    report = lint(
        text, "haproxy.cfg", files={"maps/be.map": "# prefix backend\n/cable cable\n"}, **ws("ws://s.test:8080/cable")
    )
    assert report.findings == []
    (r,) = report.configs[0].endpoints
    assert (r.upstream, r.backend_path, r.certain) == ("cable", "/cable", True)


def test_uncertain_results_are_not_judged(lint: LintFn) -> None:
    text = DEFAULTS + "frontend www\n    bind :8080\n    use_backend ws if { src 10.0.0.0/8 }\n"
    text += "backend ws\n    timeout tunnel 1h\n    server b 127.0.0.1:2\n"
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/ws"))
    (r,) = report.configs[0].endpoints
    assert not r.certain and report.findings == []


GATED = DEFAULTS + "    timeout tunnel 1h\nfrontend www\n    bind :8080\nFRONTEND    default_backend app\n"
GATED += "backend app\nBACKEND    server a 127.0.0.1:1\n"


@pytest.mark.parametrize(
    ("frontend", "backend", "finding"),
    [
        # answered before any http-request rule, for that exact path
        ("    monitor-uri /ws\n", "", ("ws-path-not-proxied", 9)),
        # the statistics page answers every URI under its prefix, in the frontend or the backend
        ("    stats uri /w\n", "", ("ws-path-not-proxied", 9)),
        ("", "    stats enable\n    stats uri /\n", ("ws-path-not-proxied", 12)),
    ],
)
def test_the_pages_haproxy_answers_itself_take_the_handshake(
    frontend: str, backend: str, finding: tuple[str, int], lint: LintFn
) -> None:
    text = GATED.replace("FRONTEND", frontend).replace("BACKEND", backend)
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/ws"))
    assert found(report) == {finding}
    (r,) = report.configs[0].endpoints
    assert r.certain and r.status == 200 and not r.upgrades


@pytest.mark.parametrize(
    "frontend",
    ["    monitor-uri /ws/health\n", "    monitor-uri ws\n", "    stats uri /stats\n", "    stats enable\n"],
)
def test_pages_at_other_uris_leave_the_handshake_alone(frontend: str, lint: LintFn) -> None:
    report = lint(
        GATED.replace("FRONTEND", frontend).replace("BACKEND", ""), "haproxy.cfg", **ws("ws://a.test:8080/ws")
    )
    assert report.findings == []
    (r,) = report.configs[0].endpoints
    assert r.certain and r.upgrades


@pytest.mark.parametrize(
    ("gate", "certain", "upgrades"),
    [
        ("    tcp-request content reject\n", True, False),
        ("    tcp-request connection silent-drop\n", True, False),
        ("    tcp-request content reject if { path_beg /api }\n", True, True),
        ("    tcp-request content accept if { path_beg /ws }\n    tcp-request content reject\n", True, True),
        ("    tcp-request connection track-sc0 src\n", True, True),
        # what wslint cannot know: the client's address, whether it speaks the PROXY protocol
        ("    tcp-request connection reject if { src 10.0.0.0/8 }\n", False, True),
        ("    tcp-request connection expect-proxy layer4\n", False, True),
    ],
)
def test_tcp_request_rules_refuse_the_connection_before_the_request(
    gate: str, certain: bool, upgrades: bool, lint: LintFn
) -> None:
    report = lint(GATED.replace("FRONTEND", gate).replace("BACKEND", ""), "haproxy.cfg", **ws("ws://a.test:8080/ws"))
    assert report.findings == [] and not report.diagnostics
    (r,) = report.configs[0].endpoints
    assert (r.certain, r.upgrades) == (certain, upgrades)


@pytest.mark.parametrize(("method", "certain"), [("POST", False), ("GET", True)])
def test_a_handshake_sent_with_another_method_is_not_judged(method: str, certain: bool, lint: LintFn) -> None:
    # the backend path is wrong either way; whether a server upgrades a POST is its own business
    frontend = f"    http-request set-method {method}\n    http-request set-path /api%[path]\n"
    report = lint(
        GATED.replace("FRONTEND", frontend).replace("BACKEND", ""),
        "haproxy.cfg",
        **ws("ws://a.test:8080/ws#backend=/ws"),
    )
    (r,) = report.configs[0].endpoints
    assert r.certain is certain
    assert [f.rule for f in report.findings] == ([] if not certain else ["path-rewritten"])


def test_a_server_template_gives_the_backend_its_servers(lint: LintFn) -> None:
    text = GATED.replace("FRONTEND", "").replace("BACKEND", "    server-template app 1-3 app.internal:3000\n")
    text = text.replace("    server a 127.0.0.1:1\n", "")
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/ws"))
    assert report.findings == []
    (r,) = report.configs[0].endpoints
    assert r.certain and r.upgrades


@pytest.mark.parametrize(
    ("frontend", "backend_path"),
    [
        ("    http-request normalize-uri path-merge-slashes\n", "/ws/./chat"),
        ("    http-request normalize-uri path-strip-dot\n", "//ws/chat"),
        # `allow` ends the http-request rules: the rewrite after it never runs
        ("    http-request allow\n    http-request set-path /other\n", "//ws/./chat"),
    ],
)
def test_normalize_uri_and_allow(frontend: str, backend_path: str, lint: LintFn) -> None:
    text = GATED.replace("FRONTEND", frontend).replace("BACKEND", "")
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080//ws/./chat"))
    (r,) = report.configs[0].endpoints
    assert r.certain and r.backend_path == backend_path


def test_a_split_directory_is_one_configuration(tmp_path: Path, lint: LintFn) -> None:
    files = {
        "conf.d/10-defaults.cfg": DEFAULTS,
        "conf.d/30-backends.cfg": "backend ws\n    server a 127.0.0.1:1\n",
    }
    report = lint(
        "frontend www\n    bind :8080\n    default_backend ws\n",
        "conf.d/20-frontend.cfg",
        files=files,
        **ws("ws://a.test:8080/ws"),
    )
    assert not report.diagnostics
    assert {(f.rule, f.path, f.line) for f in report.findings} == {
        ("tunnel-timeout-missing", os.path.join("conf.d", "30-backends.cfg"), 1)
    }


def test_a_tcp_frontend_hands_http_to_an_http_backend(lint: LintFn) -> None:
    text = (
        "defaults\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n    timeout tunnel 1h\n"
        "frontend raw\n    mode tcp\n    bind :8080\n    default_backend app\n"
        "backend app\n    mode http\n    http-request del-header Upgrade\n    server a 127.0.0.1:1\n"
    )
    report = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/ws"))
    assert found(report) == {("upgrade-header-not-forwarded", 12)}


def test_a_redirect_in_the_backend_names_it(lint: LintFn) -> None:
    text = DEFAULTS + "frontend www\n    bind :8080\n    default_backend app\nbackend app\n"
    text += "    http-request redirect location /login\n    server a 127.0.0.1:1\n"
    (f,) = lint(text, "haproxy.cfg", **ws("ws://a.test:8080/ws")).findings
    assert (f.rule, f.line) == ("endpoint-redirected", 10)
    assert "302 to /login in backend app" in f.message


# --- errors and robustness ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("frontend www\n    bind :80\n    default_backend nowhere\n", 3, "no backend"),
        ('frontend www\n    bind "1.2.3.4:80\n', 2, "unmatched double quote"),
        ("    bind :80\nfrontend www\n", 1, "out of section"),
        ("frontend www\n    use_backend b if { path /x\nbackend b\n", 2, "missing '}'"),
        ("backend b\n    timeout server soon\n", 2, "not a time"),
        (
            "frontend f\n    mode http\n    bind :80\n    default_backend b\nbackend b\n    mode tcp\n    server s 1.2.3.4:5\n",
            4,
            "cannot use the tcp backend b",
        ),
    ],
)
def test_input_errors_are_diagnostics_with_a_line(text: str, line: int, words: str, lint: LintFn) -> None:
    report = lint(text, "haproxy.cfg")
    assert report.has_errors and report.findings == []
    assert any(d.line == line and words in d.message and d.path == "haproxy.cfg" for d in report.diagnostics), (
        report.diagnostics
    )


KEYWORDS = [
    "mode http",
    "mode tcp",
    "bind :80",
    "bind 127.0.0.1:8080 ssl crt x.pem",
    "timeout client 1s",
    "timeout tunnel 1h",
    "timeout server 2",
    "acl a path_beg /ws",
    "acl b hdr(host) -i x",
    "use_backend be if a",
    "use_backend be if a || !b",
    "use_backend %[path,map(x.map,be)]",
    "default_backend be",
    "http-request set-path /x",
    "http-request redirect scheme https unless { ssl_fc }",
    "http-request del-header Upgrade",
    "http-request return status 200",
    "option httpchk GET /ws",
    "server s 127.0.0.1:1 check",
    "option forceclose",
    'http-request set-header X "%[req.hdr(host),lower]"',
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sections=st.lists(
        st.tuples(
            st.sampled_from(["frontend fe", "backend be", "listen li", "defaults", "global"]),
            st.lists(st.sampled_from(KEYWORDS), max_size=6),
        ),
        max_size=5,
    )
)
def test_any_configuration_loads_or_is_refused_without_crashing(
    sections: list[tuple[str, list[str]]], tmp_path: Path
) -> None:
    text = "".join(head + "\n" + "".join(f"    {k}\n" for k in body) for head, body in sections)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    diags: list[Diagnostic] = []
    options = AdapterOptions(
        version=(2, 6, 0), version_text="2.6.0", version_assumed=True, endpoints=(parse_endpoint("ws://x.test/ws"),)
    )
    load_haproxy(InputFile("haproxy.cfg", str(cfg)), options, diags)


# --- wslint route ------------------------------------------------------------------------------


def test_route_command_explains_each_decision(tmp_path: Path) -> None:
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(
        DEFAULTS + "    timeout tunnel 1h\nfrontend www\n    bind :8080\n"
        "    http-request replace-path /app(/.*) \\1\n    use_backend ws if { path_beg /socket }\n"
        "    default_backend web\nbackend ws\n    server a 127.0.0.1:1\nbackend web\n    server b 127.0.0.1:2\n"
    )
    runner = CliRunner()
    result = runner.invoke(app, ["route", str(cfg), "ws://a.test:8080/app/socket?x=1", "--format", "json"])
    assert result.exit_code == 0, result.stdout
    routes = json.loads(result.stdout)["routes"]
    chrome = next(r for r in routes if r["client"] == "chrome")
    assert (chrome["outcome"], chrome["upstream"], chrome["backend_path"]) == ("proxied", "ws", "/socket?x=1")
    assert [s["line"] for s in chrome["steps"]] == [8, 9, 10]
    text = runner.invoke(app, ["route", str(cfg), "ws://a.test:8080/other"])
    assert "default_backend web" in text.stdout


def test_readme_haproxy_example_is_what_wslint_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text()
    block = re.search(r"```text\n\$ wslint (fixtures/haproxy/\S+ .+?)\n(.*?)```", readme, re.S)
    assert block is not None
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, [*block.group(1).split(), "--color", "never"])
    assert result.exit_code == 1
    assert result.stdout == block.group(2)
