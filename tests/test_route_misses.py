"""`wslint route` says why a WebSocket route written for the URL misses it, in the adapter's own terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wslint.cli import app

STATIC = """\
entryPoints:
  web:
    address: ":80"
providers:
  file:
    directory: dynamic
"""

TLS_ONLY = """\
http:
  routers:
    chat:
      rule: "Host(`app.example.test`) && PathPrefix(`/ws/`)"
      entryPoints: [web]
      service: chat
      tls: {}
  services:
    chat:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""


def route(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["route", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_a_traefik_router_serving_only_tls_on_the_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dynamic").mkdir()
    (tmp_path / "traefik.yml").write_text(STATIC)
    (tmp_path / "dynamic" / "site.yml").write_text(TLS_ONLY)
    code, out = route("traefik.yml", "ws://app.example.test/ws/chat")
    assert code == 1
    note = next(line for line in out.splitlines() if line.startswith("  note: "))
    assert note == (
        "  note: `router chat@file` [dynamic/site.yml:4:14] upgrades, but router chat@file has a `tls` section, so "
        "on entryPoint web (:80) it only serves TLS connections, and the client connects without TLS"
    )
    assert "pattern does not match" not in out


def test_an_nginx_location_whose_pattern_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.conf").write_text(
        "server {\n    listen 80;\n    location /ws/ {\n        proxy_pass http://127.0.0.1:3000;\n"
        "        proxy_http_version 1.1;\n        proxy_set_header Upgrade $http_upgrade;\n"
        '        proxy_set_header Connection "upgrade";\n    }\n    location / {\n        return 404;\n    }\n}\n'
    )
    code, out = route("site.conf", "/socket/")
    assert code == 1
    assert "  note: `location /ws/` [site.conf:3:5] upgrades, but its pattern does not match this path" in out
