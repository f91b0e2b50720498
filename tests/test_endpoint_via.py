"""An endpoint that arrives through a TLS-terminating load balancer (`#via=tls-balancer`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_traefik_adapter import chrome, lint
from wslint.cli import app
from wslint.endpoints import EndpointError, load_endpoints_file, parse_endpoint
from wslint.engine.rules import RuleSet


def test_via_in_the_fragment_and_in_a_file(tmp_path: Path) -> None:
    e = parse_endpoint("wss://app.example.test/ws#backend=/ws&via=tls-balancer:8080")
    assert (e.via, e.via_port, e.expected_backend_path, e.tls, e.tls_to_proxy) == (
        "tls-balancer",
        8080,
        "/ws",
        True,
        False,
    )
    assert e.host_header == "app.example.test"
    f = tmp_path / "eps.yml"
    f.write_text("- url: wss://app.example.test/ws\n  via: tls-balancer\n- wss://b.example.test/ws\n")
    a, b = load_endpoints_file(str(f))
    assert (a.via, a.via_port, b.via) == ("tls-balancer", None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ws://app.example.test/ws#via=tls-balancer", "needs a wss:// or https:// URL"),
        ("/ws#via=tls-balancer", "needs a wss:// or https:// URL"),
        ("wss://app.example.test/ws#via=haproxy", "takes tls-balancer"),
        ("wss://app.example.test/ws#via=tls-balancer:x", "takes tls-balancer"),
        ("wss://app.example.test/ws#other=1", "may only say"),
    ],
)
def test_bad_via(text: str, message: str) -> None:
    with pytest.raises(EndpointError, match=message):
        parse_endpoint(text)


def test_project_settings_accept_via(tmp_path: Path, rules: RuleSet) -> None:
    files = {
        ".wslint.yaml": "endpoints:\n  - url: wss://app.example.test/ws\n    via: tls-balancer\n",
        "traefik.yml": 'entryPoints:\n  web:\n    address: ":80"\nproviders:\n  file:\n    directory: dynamic\n',
        "dynamic/a.yml": (
            "http:\n  routers:\n    app:\n      rule: Host(`app.example.test`)\n      middlewares: [https]\n"
            "      service: app\n  middlewares:\n    https:\n      redirectScheme:\n        scheme: https\n"
            '  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: "http://127.0.0.1:9001"\n'
        ),
    }
    (tmp_path / ".git").mkdir()
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        out = CliRunner().invoke(app, ["traefik.yml", "--format", "json"])
    finally:
        os.chdir(cwd)
    findings = json.loads(out.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["endpoint-redirected"], out.stdout
    assert "does not trust the X-Forwarded-Proto" in findings[0]["message"]


def test_other_proxies_do_not_judge_an_endpoint_behind_a_balancer(tmp_path: Path, rules: RuleSet) -> None:
    conf = (
        "events {}\nhttp {\n  server {\n    listen 443 ssl;\n    server_name app.example.test;\n"
        "    location / { return 404; }\n  }\n}\n"
    )
    report = lint(tmp_path, rules, {"nginx.conf": conf}, "nginx.conf", "wss://app.example.test/ws#via=tls-balancer")
    assert not report.findings
    assert all(not r.certain and any("tls-balancer" in u for u in r.uncertain) for r in chrome(report))
