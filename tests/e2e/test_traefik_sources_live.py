"""Traefik's router sources on the real binary: what wslint cannot read it does not judge, what it maps it
reads as traefik does.

- A file-provider file with Go template actions is rendered by traefik: the router in it takes the
  handshake (101). wslint does not render templates; it says so and claims no 404 for that handshake
  (it used to refuse the whole configuration with exit 2).
- A static file that names its provider directory by its absolute path on the server: with `--root`
  wslint reads the same files traefik does, and its verdicts are traefik's (101 where it upgrades, 404
  where no router matches).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.traefik_live import backends, run_static
from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules

pytestmark = pytest.mark.realproxy

RULES = load_rules()

STATIC = """\
entryPoints:
  web:
    address: "{ep:web}"
providers:
  file:
    directory: "{dynamic}"
"""

TEMPLATED = """\
http:
  routers:
    chat:
      rule: Host(`{{ env "CHAT_HOST" }}`) && PathPrefix(`/ws`)
      service: chat
  services:
    chat:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""

PLAIN = """\
http:
  routers:
    web:
      rule: "Host(`www.example.test`)"
      service: web
  services:
    web:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
"""


def _lint(target: Path, *urls: str, **opts: object) -> object:
    cwd = os.getcwd()
    os.chdir(target.parent)
    try:
        endpoints = tuple(parse_endpoint(u) for u in urls)
        return run(LintOptions(paths=(target.name,), proxy="traefik", endpoints=endpoints, **opts), RULES)  # type: ignore[arg-type]
    finally:
        os.chdir(cwd)


def test_templated_router_is_not_judged(traefik_bin: str, tmp_path: Path) -> None:
    with (
        backends() as b,
        run_static(
            traefik_bin,
            tmp_path / "run",
            STATIC,
            {"chat.yml": TEMPLATED, "web.yml": PLAIN},
            ("web",),
            b,
            env={"CHAT_HOST": "chat.example.test"},
        ) as live,
    ):
        answers = live.handshake("web", "/ws", "chat.example.test")
    assert all(a.upgraded for a in answers), answers

    repo = tmp_path / "repo"
    (repo / "dynamic").mkdir(parents=True)
    (repo / "traefik.yml").write_text(STATIC.replace('"{ep:web}"', '":8080"').replace('"{dynamic}"', "dynamic"))
    (repo / "dynamic" / "chat.yml").write_text(TEMPLATED)
    (repo / "dynamic" / "web.yml").write_text(PLAIN)
    report = _lint(repo / "traefik.yml", "ws://chat.example.test:8080/ws")
    assert not [d for d in report.diagnostics if d.severity.label == "error"]  # type: ignore[attr-defined]
    assert not report.findings, report.findings  # type: ignore[attr-defined]
    warned = [d.message for d in report.diagnostics if d.path and d.path.endswith("chat.yml")]  # type: ignore[attr-defined]
    assert any("Go template" in w for w in warned), warned


def test_root_reads_the_directory_traefik_reads(traefik_bin: str, tmp_path: Path) -> None:
    routed, unrouted = "ws://chat.example.test:8080/ws", "ws://nobody.example.test:8080/ws"
    with (
        backends() as b,
        run_static(
            traefik_bin,
            tmp_path / "run",
            STATIC,
            {"chat.yml": TEMPLATED.replace('{{ env "CHAT_HOST" }}', "chat.example.test")},
            ("web",),
            b,
        ) as live,
    ):
        up = live.handshake("web", "/ws", "chat.example.test")
        missing = live.handshake("web", "/ws", "nobody.example.test")
    assert all(a.upgraded for a in up), up
    assert {a.status for a in missing} == {404}, missing

    deploy = tmp_path / "deploy"
    (deploy / "dynamic").mkdir(parents=True)
    (deploy / "traefik.yml").write_text(
        STATIC.replace('"{ep:web}"', '":8080"').replace('"{dynamic}"', "/etc/traefik/dynamic")
    )
    (deploy / "dynamic" / "chat.yml").write_text(TEMPLATED.replace('{{ env "CHAT_HOST" }}', "chat.example.test"))
    without = _lint(deploy / "traefik.yml", routed, unrouted)
    assert not without.findings  # type: ignore[attr-defined]
    mapped = _lint(deploy / "traefik.yml", routed, unrouted, roots=(("/etc/traefik", str(deploy)),))
    results = {r.endpoint.raw: r for c in mapped.configs for r in c.endpoint_results if r.client == "chrome"}  # type: ignore[attr-defined]
    assert results[routed].upgrades and results[unrouted].status == 404
    assert [(f.rule, "404" in f.message) for f in mapped.findings] == [("route-miss", True)]  # type: ignore[attr-defined]
