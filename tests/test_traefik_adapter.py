"""The Traefik adapter: rule language, inputs in every style, routing decisions, CLI behavior."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wslint.cli import app
from wslint.core import LintOptions, Report, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import RuleSet
from wslint.model import EndpointResult
from wslint.traefik.chain import go_expand
from wslint.traefik.intended import one_slash_added
from wslint.traefik.matchers import SimRequest, evaluate
from wslint.traefik.ruleparse import RuleError, parse_rule, priority
from wslint.traefik.v2to3 import convert_v2

SERVICES = """\
  services:
    web:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
    ws:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""


def lint(tmp_path: Path, rules: RuleSet, files: dict[str, str], target: str, *urls: str, **opts: object) -> Report:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        endpoints = tuple(parse_endpoint(u) for u in urls)
        return run(LintOptions(paths=(target,), endpoints=endpoints, **opts), rules)  # type: ignore[arg-type]
    finally:
        os.chdir(cwd)


def chrome(report: Report) -> list[EndpointResult]:
    return [r for cfg in report.configs for r in cfg.endpoint_results if r.client == "chrome"]


# -- rule language ----------------------------------------------------------------------


def test_v3_parser_precedence_and_spellings() -> None:
    expr = parse_rule("host(`a.test`) || PATHPREFIX(`/x`) && !Pathprefix(`/x/y`)", "v3")
    req = SimRequest("b.test", "/x/z", "")
    assert evaluate(expr, req, "v3") is True
    assert evaluate(expr, SimRequest("b.test", "/x/y/1", ""), "v3") is False
    assert evaluate(expr, SimRequest("a.test", "/x/y/1", ""), "v3") is True


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("PathPrefix(`/a`, `/b`)", "unexpected number of parameters"),
        ("Path(`ws`)", "does not start with a '/'"),
        ("Headers(`Upgrade`, `websocket`)", "unknown matcher 'Headers'"),
        ("Host(`a`) &&", "expected a matcher"),
        ("Host('a')", "single quotes"),
        ("Host(`a`", "expected ',' or"),
        ("PathPrefix(``)", "empty args"),
        ("ClientIP(`10.0.0.300`)", "invalid IP"),
        ('Host("\\U0011FFFF")', "invalid Unicode"),
        ('Host("a\\q")', "unknown escape"),
    ],
)
def test_v3_rejections_name_traefiks_reason(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(rule, "v3")


def test_v2_syntax_is_its_own_language() -> None:
    expr = parse_rule("Host(`a.test`, `b.test`) && PathPrefix(`/api/{id:[0-9]+}`)", "v2")
    assert evaluate(expr, SimRequest("b.test", "/api/42/x", ""), "v2") is True
    assert evaluate(expr, SimRequest("b.test", "/api/x", ""), "v2") is False
    with pytest.raises(RuleError):
        parse_rule("HeaderRegexp(`Upgrade`, `x`)", "v2")


def test_priority_is_the_rule_length_in_bytes() -> None:
    assert priority("Host(`a`)") == 9
    assert priority("Path(`/é`)") == 11


def test_v2_rules_are_rewritten_for_v3() -> None:
    assert (
        convert_v2("Host(`a`) && PathPrefix(`/ws`, `/io`)") == "Host(`a`) && (PathPrefix(`/ws`) || PathPrefix(`/io`))"
    )
    assert convert_v2("Headers(`X`, `y`) || HostHeader(`h`)") == "Header(`X`, `y`) || Host(`h`)"
    assert convert_v2("PathPrefix(`/u/{id:[0-9]+}`)") == "PathRegexp(`^/u/(?:[0-9]+)`)"
    rewritten = convert_v2("Host(`a`) && PathPrefix(`/ws`, `/io`)")
    assert rewritten is not None
    parse_rule(rewritten, "v3")


def test_go_replacement_templates() -> None:
    import re

    m = re.search(r"^(\w+)://www\.(?P<rest>.*)$", "http://www.example.test/x")
    assert m is not None
    assert go_expand("${1}://$rest/$$", m) == "http://example.test/x/$"
    assert go_expand("$9", m) == ""


def test_v3_pathprefix_is_a_raw_string_prefix(tmp_path: Path, rules: RuleSet) -> None:
    dyn = (
        'http:\n  routers:\n    ws:\n      rule: "PathPrefix(`/ws`)"\n      service: ws\n'
        '    web:\n      rule: "PathPrefix(`/`)"\n      service: web\n' + SERVICES
    )
    report = lint(tmp_path, rules, {"d/dynamic.yml": dyn}, "d/dynamic.yml", "ws://a.test/wsx")
    (r,) = chrome(report)
    assert r.route is not None and r.route.match.pattern == "ws@file"


# -- routing ---------------------------------------------------------------------------------


def test_priority_only_decides_between_routers_that_match(tmp_path: Path, rules: RuleSet) -> None:
    dyn = (
        'http:\n  routers:\n    web:\n      rule: "Host(`a.test`) && !PathPrefix(`/socket`)"\n      service: web\n'
        '    sock:\n      rule: "PathPrefix(`/socket`)"\n      service: ws\n' + SERVICES
    )
    report = lint(tmp_path, rules, {"dynamic.yml": dyn}, "dynamic.yml", "ws://a.test/socket/x")
    (r,) = chrome(report)
    assert r.route is not None and r.route.match.pattern == "sock@file"
    assert report.findings == []


def test_equal_priorities_are_uncertain(tmp_path: Path, rules: RuleSet) -> None:
    dyn = (
        'http:\n  routers:\n    one:\n      rule: "PathPrefix(`/a`)"\n      service: web\n'
        '    two:\n      rule: "PathPrefix(`/b`) || Path(`/a/ws`)"\n      priority: 16\n      service: ws\n' + SERVICES
    )
    report = lint(tmp_path, rules, {"dynamic.yml": dyn}, "dynamic.yml", "ws://a.test/a/ws")
    (r,) = chrome(report)
    assert not r.certain and any("arbitrarily" in u for u in r.uncertain)


def test_connection_is_normalized_before_routing(tmp_path: Path, rules: RuleSet) -> None:
    """Traefik rewrites every client's Connection to `Upgrade` before the routers see it."""
    dyn = (
        'http:\n  routers:\n    web:\n      rule: "Host(`a.test`)"\n      service: web\n'
        '    ws:\n      rule: "Host(`a.test`) && Header(`Connection`, `Upgrade`)"\n      service: ws\n' + SERVICES
    )
    report = lint(tmp_path, rules, {"dynamic.yml": dyn}, "dynamic.yml", "ws://a.test/x")
    results = [r for cfg in report.configs for r in cfg.endpoint_results]
    assert {r.client for r in results} == {"chrome", "firefox", "lowercase"}
    assert all(r.route is not None and r.route.match.pattern == "ws@file" for r in results)
    assert report.findings == []


def test_tls_router_serves_only_tls_connections(tmp_path: Path, rules: RuleSet) -> None:
    dyn = 'http:\n  routers:\n    app:\n      rule: "Host(`a.test`)"\n      tls: {}\n      service: ws\n' + SERVICES
    plain = lint(tmp_path, rules, {"dynamic.yml": dyn}, "dynamic.yml", "ws://a.test/ws")
    (r,) = chrome(plain)
    assert r.outcome == "no-route" and r.near_misses
    assert [f.rule for f in plain.findings] == ["route-miss"]
    secure = lint(tmp_path, rules, {"dynamic.yml": dyn}, "dynamic.yml", "wss://a.test/ws")
    (r,) = chrome(secure)
    assert r.outcome == "proxied" and secure.findings == []


def test_entrypoint_redirection_answers_before_routers(tmp_path: Path, rules: RuleSet) -> None:
    static = (
        "entryPoints:\n  web:\n    address: :80\n    http:\n      redirections:\n        entryPoint:\n"
        "          to: websecure\n  websecure:\n    address: :443\nproviders:\n  file:\n    filename: dyn.yml\n"
    )
    dyn = 'http:\n  routers:\n    app:\n      rule: "PathPrefix(`/ws`)"\n      service: ws\n' + SERVICES
    report = lint(tmp_path, rules, {"traefik.yml": static, "dyn.yml": dyn}, "traefik.yml", "ws://a.test/ws")
    (r,) = chrome(report)
    assert (r.outcome, r.status, r.location) == ("redirect", 301, "https://a.test/ws")
    assert [f.rule for f in report.findings] == ["endpoint-redirected"]
    assert report.findings[0].path == "traefik.yml"


def test_entrypoint_middlewares_run_first(tmp_path: Path, rules: RuleSet) -> None:
    static = (
        "entryPoints:\n  web:\n    address: :80\n    http:\n      middlewares:\n        - strip@file\n"
        "providers:\n  file:\n    filename: dyn.yml\n"
    )
    dyn = (
        'http:\n  routers:\n    app:\n      rule: "PathPrefix(`/app`)"\n      middlewares: [add]\n      service: ws\n'
        "  middlewares:\n    strip:\n      stripPrefix:\n        prefixes: [/app]\n"
        "    add:\n      addPrefix:\n        prefix: /v1\n" + SERVICES
    )
    report = lint(tmp_path, rules, {"traefik.yml": static, "dyn.yml": dyn}, "traefik.yml", "ws://a.test/app/ws")
    (r,) = chrome(report)
    assert r.backend_path == "/v1/ws"


def test_tcp_catch_all_takes_plain_connections_only(tmp_path: Path, rules: RuleSet) -> None:
    dyn = (
        'http:\n  routers:\n    app:\n      rule: "PathPrefix(`/ws`)"\n      service: ws\n'
        + SERVICES
        + 'tcp:\n  routers:\n    mqtt:\n      rule: "HostSNI(`*`)"\n      service: broker\n'
    )
    plain = lint(tmp_path, rules, {"dynamic.yml": dyn}, "dynamic.yml", "ws://a.test/ws")
    assert [f.rule for f in plain.findings] == ["route-shadowed"]
    assert "TCP router" in plain.findings[0].message


def test_missing_reference_disables_the_router_when_the_configuration_is_complete(
    tmp_path: Path, rules: RuleSet
) -> None:
    static = "entryPoints:\n  web:\n    address: :80\nproviders:\n  file:\n    filename: dyn.yml\n"
    dyn = (
        'http:\n  routers:\n    app:\n      rule: "PathPrefix(`/ws`)"\n      middlewares: [nope]\n      service: ws\n'
        + SERVICES
    )
    report = lint(tmp_path, rules, {"traefik.yml": static, "dyn.yml": dyn}, "traefik.yml", "ws://a.test/ws")
    assert any("nope@file is not defined" in d.message for d in report.diagnostics)
    (r,) = chrome(report)
    assert r.outcome == "no-route"


def test_a_handshake_for_a_router_refused_for_its_syntax_is_one_finding(tmp_path: Path, rules: RuleSet) -> None:
    # Host() with two names is v2 only: Traefik v3 does not load the router, and the handshake written for it
    # gets 404 because of that refusal, which rule-syntax-mismatch reports at the rule (not a second route-miss)
    static = "entryPoints:\n  web:\n    address: :80\nproviders:\n  file:\n    filename: dyn.yml\n"
    dyn = 'http:\n  routers:\n    app:\n      rule: "Host(`a.test`, `b.test`)"\n      service: ws\n' + SERVICES
    files = {"traefik.yml": static, "dyn.yml": dyn}
    report = lint(tmp_path, rules, files, "traefik.yml", "ws://b.test/ws", "ws://c.test/ws")
    by_host = {r.endpoint.host: r for r in chrome(report)}
    assert by_host["b.test"].outcome == "no-route" and by_host["b.test"].reason == "refused-router"
    assert by_host["b.test"].cause is not None and by_host["b.test"].cause.line == 4
    # a host the refused rule does not name either: nothing was written for it, a plain route miss
    assert by_host["c.test"].reason == "no-router"
    found = sorted((f.rule, Path(f.path).name, "c.test" in f.message) for f in report.findings)
    assert found == [("route-miss", "traefik.yml", True), ("rule-syntax-mismatch", "dyn.yml", False)]


def test_a_path_joined_to_its_base_without_the_slash_is_a_route_miss(tmp_path: Path, rules: RuleSet) -> None:
    # the web vault under /vault, its hub router built as `/vault` + `notifications/hub`: the handshake goes
    # to the web vault; the hub router is named, with the one slash it lacks
    routers = (
        'http:\n  routers:\n    vault:\n      rule: "Host(`v.test`) && PathPrefix(`/vault`)"\n      service: web\n'
        '    vault-hub:\n      rule: "Host(`v.test`) && Path(`/vaultnotifications/hub`)"\n      service: ws\n'
    )
    report = lint(tmp_path, rules, {"d.yml": routers + SERVICES}, "d.yml", "ws://v.test/vault/notifications/hub")
    (r,) = chrome(report)
    assert [(m.kind, m.route.name, m.replacement) for m in r.misses] == [
        ("missing-slash", "router vault-hub@file", "Path(`/vault/notifications/hub`)")
    ]
    assert [(f.rule, f.line) for f in report.findings] == [("route-miss", 7)]
    # a socket router whose path is not written under the landing router's base path is another application's,
    # though on its host it would take this path: no claim
    other = routers.replace("Host(`v.test`) && Path(`/vaultnotifications/hub`)", "Host(`w.test`) && PathPrefix(`/va`)")
    report = lint(tmp_path, rules, {"d.yml": other + SERVICES}, "d.yml", "ws://v.test/vault/notifications/hub")
    assert not report.findings


@pytest.mark.parametrize(
    ("arg", "path", "exact", "fixed"),
    [
        ("/vaultnotifications/hub", "/vault/notifications/hub", True, "/vault/notifications/hub"),
        ("/pushws", "/push/ws", False, "/push/ws"),
        ("/apiws", "/api/ws/x", False, "/api/ws"),
        ("/apiws", "/api/wsx", False, None),  # the prefix must end at a segment
        ("/ws", "/ws", True, None),  # nothing lacks
        ("/a/b", "/a//b", True, None),  # a doubled slash is not the one missing
        ("/ab", "/a/b/c", True, None),  # Path is exact
    ],
)
def test_one_slash_added(arg: str, path: str, exact: bool, fixed: str | None) -> None:
    assert one_slash_added(arg, path, exact) == fixed


# -- inputs -----------------------------------------------------------------------------------


def test_labels_and_command_flags(tmp_path: Path, rules: RuleSet) -> None:
    compose = """\
services:
  proxy:
    image: traefik:v3.7
    command: --entrypoints.web.address=:8080 --providers.docker
  app:
    image: app
    labels:
      traefik.http.routers.app.rule: "PathPrefix(`/ws`)"
      traefik.http.routers.app.entrypoints: web
      traefik.http.services.app.loadbalancer.server.port: "3000"
  off:
    image: other
    labels:
      - traefik.enable=false
      - traefik.http.routers.off.rule=PathPrefix(`/`)
"""
    report = lint(tmp_path, rules, {"docker-compose.yml": compose}, "docker-compose.yml", "ws://a.test:8080/ws/x")
    (r,) = chrome(report)
    assert r.route is not None and r.route.match.pattern == "app@docker"
    assert r.upstream == "http://app:3000"
    assert r.listener is not None and r.listener.addresses[0].port == 8080


SWARM_APP = """\
  chat:
    image: chat
    deploy:
      labels:
        - traefik.http.routers.chat.rule=PathPrefix(`/chat`)
        - traefik.http.services.chat.loadbalancer.server.port=3000
  io:
    image: io
    labels:
      - traefik.http.routers.io.rule=PathPrefix(`/io`)
      - traefik.http.services.io.loadbalancer.server.port=3001
"""


@pytest.mark.parametrize(
    ("flags", "chat", "io"),
    [
        # the swarm provider (v3) and the Docker provider in swarm mode (v2) read the services' labels only
        ("--providers.swarm=true", True, False),
        ("--providers.docker.swarmMode=true", True, False),
        # the Docker provider reads the containers' labels only
        ("--providers.docker=true", False, True),
        ("--providers.docker --providers.swarm", True, True),
        # no flag says which: both are read
        ("--log.level=INFO", True, True),
    ],
)
def test_swarm_deploy_labels(tmp_path: Path, rules: RuleSet, flags: str, chat: bool, io: bool) -> None:
    compose = f"services:\n  proxy:\n    image: traefik:v3.7\n    command: --entrypoints.web.address=:80 {flags}\n"
    compose += SWARM_APP
    files = {"docker-compose.yml": compose}
    report = lint(tmp_path, rules, files, "docker-compose.yml", "ws://a.test/chat/x", "ws://a.test/io/x")
    got = {r.endpoint.path: r.route is not None for r in chrome(report)}
    assert got == {"/chat/x": chat, "/io/x": io}


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: prod
  annotations:
    traefik.ingress.kubernetes.io/router.entrypoints: websecure
spec:
  ingressClassName: traefik
  tls:
    - hosts: [chat.example.test]
      secretName: chat-tls
  rules:
    - host: chat.example.test
      http:
        paths:
          - path: /socket.io
            pathType: Prefix
            backend:
              service:
                name: chat
                port:
                  number: 3000
          - path: /health
            pathType: Exact
            backend:
              service:
                name: chat
                port:
                  name: http
"""


def test_a_standard_ingress_is_read_as_traefiks_kubernetesingress_provider_does(tmp_path: Path, rules: RuleSet) -> None:
    urls = (
        "wss://chat.example.test/socket.io/?EIO=4",
        "wss://chat.example.test/health/x",
        "ws://chat.example.test/socket.io/",
    )
    report = lint(tmp_path, rules, {"ingress.yaml": INGRESS}, "ingress.yaml", *urls)
    got = {r.endpoint.raw: (r.route.match.pattern if r.route else None, r.upstream) for r in chrome(report)}
    assert got[urls[0]] == ("prod-chat-0@kubernetes", "http://chat.prod:3000")
    # Exact is Path: /health/x matches no router; a TLS router serves no plain connection
    assert got[urls[1]][0] is None and got[urls[2]][0] is None
    # the Ingress is recognized without --proxy
    assert report.configs and report.configs[0].proxy == "traefik"


def test_toml_positions_point_at_the_line(tmp_path: Path, rules: RuleSet) -> None:
    dyn = (
        '# comment\n[http.routers.r]\n  rule = "PathPrefix(`/ws/`, `/io/`)"\n  service = "s"\n\n'
        '[[http.services.s.loadBalancer.servers]]\n  url = "http://127.0.0.1:9001"\n'
    )
    report = lint(tmp_path, rules, {"d.toml": dyn}, "d.toml")
    (f,) = report.findings
    assert (f.rule, f.line, f.column) == ("rule-syntax-mismatch", 3, 11)
    assert f.fix is not None and f.fix.edits[0].new_text == "(PathPrefix(`/ws/`) || PathPrefix(`/io/`))"


def test_multi_document_crds_with_namespaced_middlewares(tmp_path: Path, rules: RuleSet) -> None:
    crd = """\
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: strip, namespace: apps}
spec:
  stripPrefix:
    prefixes: [/chat]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: chat, namespace: apps}
spec:
  routes:
    - match: PathPrefix(`/chat`)
      middlewares: [{name: strip}]
      services: [{name: chat, port: 80}]
"""
    report = lint(tmp_path, rules, {"crd.yaml": crd}, "crd.yaml", "ws://a.test/chat/ws#backend=/chat/ws")
    assert [f.rule for f in report.findings] == ["path-rewritten"]
    assert report.findings[0].line == 3


def test_a_directory_of_dynamic_files_is_one_configuration(tmp_path: Path, rules: RuleSet) -> None:
    files = {
        "conf/routers.yml": 'http:\n  routers:\n    app:\n      rule: "PathPrefix(`/ws`)"\n'
        "      middlewares: [strip@file]\n      service: ws@file\n",
        "conf/more.yml": "http:\n  middlewares:\n    strip:\n      stripPrefix:\n        prefixes: [/ws]\n" + SERVICES,
    }
    report = lint(tmp_path, rules, files, "conf", "ws://a.test/ws/x#backend=/ws/x")
    assert [f.rule for f in report.findings] == ["path-rewritten"]


def test_invalid_input_is_a_diagnostic_not_a_crash(tmp_path: Path, rules: RuleSet) -> None:
    report = lint(tmp_path, rules, {"d.yml": "http:\n  routers: [\n"}, "d.yml", proxy="traefik")
    assert report.has_errors and not report.findings
    report = lint(tmp_path, rules, {"d.toml": "[http\n"}, "d.toml", proxy="traefik")
    assert report.has_errors
    bad_rule = 'http:\n  routers:\n    r:\n      rule: "Host(`a`) &&& Path(`/`)"\n      service: s\n'
    report = lint(tmp_path, rules, {"d.yml": bad_rule}, "d.yml", proxy="traefik")
    (d,) = [d for d in report.diagnostics if d.severity.label == "error"]
    assert d.line == 4 and "cannot parse its rule" in d.message


@pytest.mark.parametrize(
    "text",
    ["", "http: 3\n", "http:\n  routers:\n    r: [1, 2]\n", "entryPoints: [a]\n", "services: {a: 1}\n", "- 1\n"],
)
def test_odd_shapes_never_crash(tmp_path: Path, rules: RuleSet, text: str) -> None:
    report = lint(tmp_path, rules, {"d.yml": text}, "d.yml", "ws://a.test/ws", proxy="traefik")
    assert not [d for d in report.diagnostics if d.kind == "internal"]


def test_v2_install_reads_v2_rules(tmp_path: Path, rules: RuleSet) -> None:
    dyn = 'http:\n  routers:\n    r:\n      rule: "PathPrefix(`/ws`, `/io`)"\n      service: ws\n' + SERVICES
    v3 = lint(tmp_path, rules, {"d.yml": dyn}, "d.yml")
    assert [f.rule for f in v3.findings] == ["rule-syntax-mismatch"]
    v2 = lint(tmp_path, rules, {"d.yml": dyn}, "d.yml", versions={"traefik": "2.11"})
    assert v2.findings == []


# -- CLI ----------------------------------------------------------------------------------------


def test_route_command_and_detection(tmp_path: Path) -> None:
    dyn = 'http:\n  routers:\n    app:\n      rule: "PathPrefix(`/ws`)"\n      service: ws\n' + SERVICES
    (tmp_path / "dynamic.yml").write_text(dyn)
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(app, ["route", "dynamic.yml", "ws://a.test/ws/x"])
        assert result.exit_code == 0, result.output
        assert "router app@file matches (priority 17, the rule's length)" in result.output
        assert "=> upgraded" in result.output
        result = runner.invoke(app, ["route", "dynamic.yml", "ws://a.test/nope", "--format", "json"])
        assert result.exit_code == 1
        assert json.loads(result.output)["routes"][0]["outcome"] == "no-route"
        result = runner.invoke(app, ["dynamic.yml", "--traefik-version", "3.7.15"])
        assert result.exit_code == 0, result.output
    finally:
        os.chdir(cwd)
