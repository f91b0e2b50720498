"""Traefik services: a load balancer's healthCheck on the socket path, and preservePath."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_traefik_adapter import chrome, lint
from wslint.engine.rules import RuleSet


def _service(lb: str) -> str:
    return (
        'http:\n  routers:\n    rt:\n      rule: "Host(`rt.example.test`)"\n      service: rt\n'
        "  services:\n    rt:\n      loadBalancer:\n" + lb
    )


SERVER = '        servers:\n          - url: "http://127.0.0.1:9001"\n'


@pytest.mark.parametrize(
    ("check", "url", "fires"),
    [
        ("path: /ws", "ws://rt.example.test/ws", True),
        ("path: /ws?probe=1", "ws://rt.example.test/ws", True),
        # a declared endpoint elsewhere: the check path is no socket path wslint knows of
        ("path: /ws", "ws://rt.example.test/api/ws", False),
        # healthy is the status the check expects: the socket's own 426
        ("path: /ws\n          status: 426", "ws://rt.example.test/ws", False),
        # 200 expected: still fails on the socket
        ("path: /ws\n          status: 200", "ws://rt.example.test/ws", True),
        # gRPC checks and checks sent to another port are not HTTP requests to this server's socket
        ("path: /ws\n          mode: grpc", "ws://rt.example.test/ws", False),
        ("path: /ws\n          port: 9100", "ws://rt.example.test/ws", False),
    ],
)
def test_health_check_on_the_socket_path(check: str, url: str, fires: bool, tmp_path: Path, rules: RuleSet) -> None:
    text = _service(f"        healthCheck:\n          {check}\n          interval: 10s\n" + SERVER)
    report = lint(tmp_path, rules, {"d.yml": text}, "d.yml", url)
    found = [f for f in report.findings if f.rule == "health-check-on-socket-path"]
    assert bool(found) is fires, report.findings
    if fires:
        assert found[0].line == 9 and "503" in found[0].message
        assert [e.start_line for e in found[0].fix.edits] == [9]  # type: ignore[union-attr]


def test_health_check_path_resolves_against_the_server_url(tmp_path: Path, rules: RuleSet) -> None:
    """Traefik resolves a relative check path against the server URL (its path is not sent on requests)."""
    text = _service(
        "        healthCheck:\n          path: ws\n"
        '        servers:\n          - url: "http://127.0.0.1:9001/app/"\n            preservePath: true\n'
    )
    report = lint(tmp_path, rules, {"d.yml": text}, "d.yml", "ws://rt.example.test/ws#backend=/app/ws")
    assert [f.rule for f in report.findings] == ["health-check-on-socket-path"]
    assert "GET /app/ws" in report.findings[0].message


def test_health_check_in_labels(tmp_path: Path, rules: RuleSet) -> None:
    compose = (
        "services:\n  traefik:\n    image: traefik:v3.7\n    command:\n      - --entrypoints.web.address=:80\n"
        "      - --providers.docker=true\n  hub:\n    image: hub\n    labels:\n"
        "      - traefik.http.routers.hub.rule=Host(`hub.example.test`)\n"
        "      - traefik.http.services.hub.loadbalancer.server.port=5000\n"
        "      - traefik.http.services.hub.loadbalancer.healthcheck.path=/hubs/chat\n"
    )
    report = lint(
        tmp_path, rules, {"docker-compose.yml": compose}, "docker-compose.yml", "ws://hub.example.test/hubs/chat"
    )
    found = [f for f in report.findings if f.rule == "health-check-on-socket-path"]
    assert [f.line for f in found] == [12]
    assert not found[0].fix or not found[0].fix.edits


def test_preserve_path_joins_the_server_path(tmp_path: Path, rules: RuleSet) -> None:
    text = _service('        servers:\n          - url: "http://127.0.0.1:9001/base"\n            preservePath: true\n')
    report = lint(tmp_path, rules, {"d.yml": text}, "d.yml", "ws://rt.example.test/ws?x=1#backend=/base/ws")
    assert not report.findings
    (result,) = chrome(report)
    assert result.backend_path == "/base/ws?x=1"
    assert any("preservePath" in s.text for s in result.steps)
    wrong = lint(tmp_path, rules, {"d.yml": text}, "d.yml", "ws://rt.example.test/ws#backend=/ws")
    assert [(f.rule, f.line) for f in wrong.findings] == [("path-rewritten", 11)]


def test_server_path_without_preserve_path_is_not_sent(tmp_path: Path, rules: RuleSet) -> None:
    text = _service('        servers:\n          - url: "http://127.0.0.1:9001/base"\n')
    report = lint(tmp_path, rules, {"d.yml": text}, "d.yml", "ws://rt.example.test/ws#backend=/ws")
    assert not report.findings
    assert chrome(report)[0].backend_path == "/ws"


def test_preserve_path_before_3_2_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    text = _service('        servers:\n          - url: "http://127.0.0.1:9001/base"\n            preservePath: true\n')
    report = lint(tmp_path, rules, {"d.yml": text}, "d.yml", "ws://rt.example.test/ws", versions={"traefik": "3.1"})
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert errors and "since Traefik 3.2" in errors[0].message and errors[0].line == 11
