"""The one endpoint pipeline: every route an endpoint result names is the configuration's own route.

A route that an endpoint declares is rebuilt (its intent becomes "declared", its handshakes the
endpoint's); a result that names it as a better route, a near miss or a route elsewhere must name the
rebuilt one, or rules read a stale route that still says it is no WebSocket route.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import RuleSet
from wslint.model import ProxyConfig

REPO = Path(__file__).resolve().parents[1]
OPTIONS = re.compile(r"#\s*wslint-test:\s*(.+)")


def _endpoint_cases() -> list[Path]:
    """Every fixture that declares endpoints."""
    out = []
    for proxy in sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir()):
        for case in sorted(p for p in proxy.iterdir() if p.name != "README.md"):
            files = [case] if case.is_file() else [p for p in case.rglob("*") if p.is_file()]
            if any("--ws-url" in f.read_text(errors="replace") for f in files):
                out.append(case)
    return out


def _urls(case: Path) -> tuple[str, ...]:
    files = [case] if case.is_file() else sorted(p for p in case.rglob("*") if p.is_file())
    words: list[str] = []
    for f in files:
        for m in OPTIONS.finditer(f.read_text(errors="replace")):
            words += shlex.split(m.group(1))
    return tuple(words[i + 1] for i, w in enumerate(words) if w == "--ws-url")


def _lint(paths: tuple[str, ...], urls: tuple[str, ...], rules: RuleSet, cwd: Path) -> list[ProxyConfig]:
    here = os.getcwd()
    os.chdir(cwd)
    try:
        report = run(LintOptions(paths=paths, endpoints=tuple(parse_endpoint(u) for u in urls)), rules)
    finally:
        os.chdir(here)
    return report.configs


def _stale(configs: list[ProxyConfig]) -> list[str]:
    out = []
    for cfg in configs:
        own = {id(r) for r in cfg.routes}
        for res in cfg.endpoint_results:
            for field in ("better_routes", "elsewhere", "near_misses"):
                for route in getattr(res, field):
                    if id(route) not in own and any(r.id == route.id for r in cfg.routes):
                        out.append(f"{res.endpoint} {res.client}: {field} names a stale {route.label}")
            if res.route is not None and id(res.route) not in own and any(r.id == res.route.id for r in cfg.routes):
                out.append(f"{res.endpoint} {res.client}: route is a stale {res.route.label}")
    return out


@pytest.mark.parametrize("case", _endpoint_cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_endpoint_results_name_the_configurations_own_routes(case: Path, rules: RuleSet) -> None:
    configs = _lint((case.name,), _urls(case), rules, case.parent)
    assert configs
    assert _stale(configs) == []


NGINX = """\
server {
    listen 80;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }
    location / {
        root /srv/www;
        try_files $uri =404;
    }
}
"""
TRAEFIK = """\
http:
  routers:
    socket:
      rule: "PathPrefix(`/ws`)"
      service: app
    site:
      rule: "Host(`www.example.test`) && PathPrefix(`/`)"
      priority: 100
      service: web
  services:
    app:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:3000
    web:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:3001
"""


@pytest.mark.parametrize(
    ("name", "text", "urls"),
    [
        # /socket lands on `location /`, which misses `location /ws/` by its pattern; /ws/ declares that location
        ("site.conf", NGINX, ("ws://app.example.test/socket", "ws://app.example.test/ws/")),
        # on www the site router outranks the socket router; on app the socket router takes and declares it
        ("dynamic.yml", TRAEFIK, ("ws://www.example.test/ws", "ws://app.example.test/ws")),
    ],
)
def test_a_route_another_endpoint_declares_is_named_declared(
    tmp_path: Path, rules: RuleSet, name: str, text: str, urls: tuple[str, ...]
) -> None:
    (tmp_path / name).write_text(text)
    configs = _lint((name,), urls, rules, tmp_path)
    (cfg,) = configs
    named = [r for res in cfg.endpoint_results for r in (*res.better_routes, *res.near_misses, *res.elsewhere)]
    assert named, "the first endpoint's result names the route it missed"
    assert all(r.websocket.level == "declared" for r in named)
    assert _stale(configs) == []
