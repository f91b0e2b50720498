"""A declared handshake that lands on the web application's router instead of the router written for it,
on the real traefik: the broken configurations send the handshake to the wrong service (it answers 404),
wslint names the router that was meant for it, and with wslint's fix applied traefik upgrades it at the
socket service. The guards are configurations that look alike but work on traefik: wslint says nothing.

Backends: 127.0.0.1:9001 is a WebSocket echo server, 9002 a web application that answers 404 to
everything, 9003 a WebSocket-only server (see tests/e2e/traefik_live.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.traefik_live import Backends, backends, run_static
from wslint.core import LintOptions, Report, run
from wslint.edits import apply_edits
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

SERVICES = """\
  services:
    web:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
    echo:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
    socket:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9003"
    realtime:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9003"
"""


@dataclass(frozen=True)
class Case:
    routers: str
    url: str
    # the rule and category wslint reports (None: nothing) and the router it names
    rule: str | None = None
    names: str | None = None

    @property
    def dynamic(self) -> str:
        return "http:\n  routers:\n" + self.routers + SERVICES

    @property
    def host(self) -> str:
        return self.url.split("/")[2]

    @property
    def target(self) -> str:
        return "/" + self.url.split("/", 3)[3]


BROKEN = {
    # the socket router names another host than the one clients use
    "socket router on another host": Case(
        """\
    app:
      rule: "Host(`app.example.test`)"
      service: web
    app-ws:
      rule: "Host(`ws.example.test`) && PathPrefix(`/ws`)"
      service: socket
""",
        "ws://app.example.test/ws",
        "wrong-server-block",
        "app-ws@file",
    ),
    # PathPrefix(`/ws/`) while clients open /ws
    "trailing slash": Case(
        """\
    chat:
      rule: "Host(`chat.example.test`)"
      service: web
    chat-socket:
      rule: "Host(`chat.example.test`) && PathPrefix(`/ws/`)"
      service: socket
""",
        "ws://chat.example.test/ws",
        "route-miss",
        "chat-socket@file",
    ),
    # Path(`/socket.io`) is exact, and every Socket.IO client opens /socket.io/
    "exact path without the slash": Case(
        """\
    chat:
      rule: "Host(`chat.example.test`)"
      service: web
    chat-io:
      rule: "Host(`chat.example.test`) && Path(`/socket.io`)"
      service: socket
""",
        "ws://chat.example.test/socket.io/?EIO=4&transport=websocket",
        "route-miss",
        "chat-io@file",
    ),
    # a v2 placeholder left in HostRegexp after the move to v3 syntax
    "v2 HostRegexp placeholder": Case(
        """\
    tenants:
      rule: "HostRegexp(`^[a-z]+\\\\.apps\\\\.example\\\\.test$`)"
      service: web
    tenants-io:
      rule: "HostRegexp(`{tenant:[a-z]+}.apps.example.test`) && PathPrefix(`/socket.io/`)"
      service: socket
""",
        "ws://acme.apps.example.test/socket.io/?EIO=4&transport=websocket",
        "route-miss",
        "tenants-io@file",
    ),
    # the application under a base path, its hub router's path joined to the base without the slash
    "base path joined without its slash": Case(
        """\
    vault:
      rule: "Host(`vault.example.test`) && PathPrefix(`/vault`)"
      service: web
    vault-websocket:
      rule: "Host(`vault.example.test`) && Path(`/vaultnotifications/hub`)"
      service: socket
""",
        "ws://vault.example.test/vault/notifications/hub",
        "route-miss",
        "vault-websocket@file",
    ),
    # a catch-all without Host, the socket router on its own host: named by its service
    "catch-all and a realtime service": Case(
        """\
    site:
      rule: "PathPrefix(`/`)"
      service: web
    events:
      rule: "Host(`rt.example.test`) && PathPrefix(`/events`)"
      service: realtime
""",
        "ws://www.example.test/events",
        "wrong-server-block",
        "events@file",
    ),
}

WORKING = {
    # another application has a socket router for /ws; this one serves /ws itself
    "another application's socket router": Case(
        """\
    a:
      rule: "Host(`a.example.test`)"
      service: web
    a-ws:
      rule: "Host(`a.example.test`) && PathPrefix(`/ws`)"
      service: socket
    b:
      rule: "Host(`b.example.test`)"
      service: echo
""",
        "ws://b.example.test/ws",
    ),
    # the socket router misses by its slash, but both routers send to the same server
    "same servers": Case(
        """\
    app:
      rule: "Host(`app.example.test`)"
      service: echo
    app-ws:
      rule: "Host(`app.example.test`) && PathPrefix(`/ws/`)"
      service: echo
""",
        "ws://app.example.test/ws",
    ),
    # an exact Path the client opens as written
    "exact path as the client opens it": Case(
        """\
    app:
      rule: "Host(`app.example.test`)"
      service: web
    app-ws:
      rule: "Host(`app.example.test`) && Path(`/ws`)"
      service: socket
""",
        "ws://app.example.test/ws",
    ),
    # a router named for WebSockets that selects no path is an application of its own
    "host-only hub": Case(
        """\
    app:
      rule: "Host(`app.example.test`)"
      service: echo
    hub:
      rule: "Host(`hub.example.test`)"
      service: socket
""",
        "ws://app.example.test/ws",
    ),
    # the application under a base path, its hub router written under it: the hub router takes the handshake
    "base path with its hub router": Case(
        """\
    vault:
      rule: "Host(`vault.example.test`) && PathPrefix(`/vault`)"
      service: web
    vault-websocket:
      rule: "Host(`vault.example.test`) && Path(`/vault/notifications/hub`)"
      service: socket
""",
        "ws://vault.example.test/vault/notifications/hub",
    ),
    # a base path router of one application, a socket router of another written outside that base
    "socket router outside the base path": Case(
        """\
    shop:
      rule: "Host(`app.example.test`) && PathPrefix(`/shop`)"
      service: echo
    chat-ws:
      rule: "Host(`chat.example.test`) && PathPrefix(`/ws`)"
      service: socket
""",
        "ws://app.example.test/shop/ws",
    ),
    # the socket router's host has its own web application
    "socket host with its own application": Case(
        """\
    app:
      rule: "Host(`app.example.test`)"
      service: echo
    other:
      rule: "Host(`other.example.test`)"
      service: web
    other-ws:
      rule: "Host(`other.example.test`) && PathPrefix(`/ws`)"
      service: socket
""",
        "ws://app.example.test/ws",
    ),
}


def _lint(tmp_path: Path, text: str, url: str) -> Report:
    site = tmp_path / "dynamic.yml"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text(text)
    options = LintOptions(paths=(str(site),), proxy="traefik", endpoints=(parse_endpoint(url),))
    return run(options, RULES)


def _live(traefik_bin: str, b: Backends, workdir: Path, text: str, case: Case) -> list[object]:
    with run_static(traefik_bin, workdir, STATIC, {"d.yml": text}, ("web",), b) as live:
        return list(live.handshake("web", case.target, case.host))


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_wrong_router_is_named_and_fixed(name: str, traefik_bin: str, tmp_path: Path) -> None:
    case = BROKEN[name]
    text = case.dynamic
    with backends() as b:
        answers = _live(traefik_bin, b, tmp_path / "bad", text, case)
        assert {a.status for a in answers} == {404}, answers  # type: ignore[attr-defined]
        assert b.web.requests == len(answers) and not b.wsonly.seen.paths

    report = _lint(tmp_path / "lint", text, case.url)
    found = [f for f in report.findings if f.severity.label in ("error", "warning")]
    assert [f.rule for f in found] == [case.rule], found
    assert case.names is not None and case.names in found[0].message
    edits = [e for f in found if f.fix is not None for e in f.fix.edits]
    assert edits, found[0]
    fixed = apply_edits(text, edits)
    relint = _lint(tmp_path / "relint", fixed, case.url)
    assert not relint.findings, (fixed, relint.findings)
    with backends() as b:
        answers = _live(traefik_bin, b, tmp_path / "fixed", fixed, case)
        assert all(a.upgraded for a in answers), (fixed, answers)  # type: ignore[attr-defined]
        assert b.wsonly.seen.paths and not b.web.requests


@pytest.mark.parametrize("name", sorted(WORKING))
def test_lookalike_that_works_is_not_reported(name: str, traefik_bin: str, tmp_path: Path) -> None:
    case = WORKING[name]
    text = case.dynamic
    with backends() as b:
        answers = _live(traefik_bin, b, tmp_path / "run", text, case)
    assert all(a.upgraded for a in answers), answers  # type: ignore[attr-defined]
    report = _lint(tmp_path / "lint", text, case.url)
    assert not report.findings, report.findings
