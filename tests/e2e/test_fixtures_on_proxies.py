"""Annotated fixtures proven on the real proxy: finding-free ones upgrade and echo, broken ones fail.

Each case is a fixture of fixtures/<proxy>/ (see fixture_runs.py for the shape they are written
in). Its expectations and its verdict on the real binary must agree: a fixture that expects no
finding works for every client and endpoint it declares, a fixture that expects a finding breaks a
handshake (or the proxy refuses it), and the rule it expects is named. An anti-upgrade fixture (a
statement that strips the upgrade from every request, found without a declared endpoint) fails every
handshake it is opened with; its h2c-only twin upgrades them and keeps `Upgrade: h2c` from the application.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.fixture_runs import run_fixture
from tests.e2e.harness import Run
from tests.test_fixtures import FIXTURES, annotations

pytestmark = pytest.mark.realproxy

ROOT = FIXTURES.parent


@dataclass(frozen=True)
class Case:
    path: str
    # seconds the socket stays silent before the echo (an idle-timeout case)
    idle: float = 0.0
    # the URLs to open when the fixture declares a path without a host (--ws-path)
    urls: tuple[str, ...] = ()
    # a broken fixture whose every finding wslint fixes: with the fixes applied, it works
    fixable: bool = False
    # no handshake gets 101, on any URL: the fixture's finding covers every route it is opened on
    blocked: bool = False
    # an `Upgrade: h2c` request reaches the application without that Upgrade (with the fixes too)
    h2c: bool = False

    @property
    def proxy(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def target(self) -> Path:
        main = {
            "nginx": "nginx.conf",
            "haproxy": "haproxy.cfg",
            "apache": "httpd.conf",
            "caddy": "Caddyfile",
            "traefik": "dynamic.yml",
        }
        p = ROOT / self.path
        return p if p.is_file() else p / main[self.proxy]


CASES = [
    Case("nginx/nested-websocket-location.conf", idle=3),
    Case("nginx/nested-websocket-location-declared.conf", idle=3),
    Case("nginx/nested-websocket-location-inherits-timeout.conf", idle=3),
    # its broken twin, tcp-path-before-request, fails only now and then for handshakes sent at once:
    # test_haproxy_tcp_decision.py proves it with late ones
    Case("haproxy/tcp-path-waits-for-request"),
    Case("haproxy/ws-path-acme-frontend", urls=("ws://app.example.test:8080/ws",)),
    Case("nginx/ws-path-other-site.conf", urls=("ws://app.example.test:8080/ws/",)),
    Case("apache/section-line-comment"),
    Case("apache/section-line-comment-correct"),
    Case("apache/rewritecond-file-test-and-false"),
    Case("apache/rewritecond-file-test-and-false-correct"),
    Case("caddy/upstream-with-path", fixable=True),
    # anti-upgrade actions, reported without an endpoint, and their h2c-only forms (issue 15). Without any
    # mitigation nginx (Upgrade $http_upgrade), HAProxy 2.6 and Caddy 2.6 pass `Upgrade: h2c` to the
    # application (measured), so the h2c check tells the mitigation's absence apart there
    Case(
        "haproxy/anti-upgrade-frontend",
        urls=("ws://app.example.test:8080/ws", "ws://app.example.test:8080/api/ws", "ws://app.example.test:8081/ws"),
        blocked=True,
        fixable=True,
        h2c=True,
    ),
    Case("haproxy/h2c-only-mitigation", urls=("ws://app.example.test:8080/ws",), h2c=True),
    Case(
        "caddy/anti-upgrade-header-up",
        urls=("ws://app.example.test:8080/ws", "ws://app.example.test:8080/api/ws"),
        blocked=True,
        fixable=True,
        h2c=True,
    ),
    Case("caddy/h2c-only-request-header", urls=("ws://app.example.test:8080/ws",), h2c=True),
    Case("nginx/anti-upgrade-server-level.conf", urls=("ws://app.example.test:8080/ws",), blocked=True),
    Case(
        "nginx/h2c-only-map.conf",
        urls=("ws://app.example.test:8080/ws", "ws://app.example.test:8080/api/ws"),
        h2c=True,
    ),
    Case("traefik/anti-upgrade-middleware", urls=("ws://app.example.test:8080/ws",), blocked=True),
    # Traefik 3.7 forwards no `Upgrade: h2c` even on a router without the middleware (measured): the h2c
    # check holds here but does not show the h2c router at work, only that WebSockets keep working beside it
    Case("traefik/h2c-only-router", urls=("ws://app.example.test:8080/ws",), h2c=True),
    # realistic configurations (the source of each is in its file)
    Case("nginx/realworld-mattermost-regex-websocket.conf"),
    Case("nginx/realworld-mattermost-websocket-http10.conf"),
    Case("nginx/realworld-code-server-no-http11.conf"),
    Case("nginx/realworld-uptime-kuma.conf"),
    Case("nginx/realworld-jitsi-xmpp-websocket.conf"),
    Case("nginx/realworld-vaultwarden-notifications.conf"),
    Case("nginx/realworld-immich.conf"),
    Case("nginx/realworld-portainer-websocket-api.conf"),
    Case("nginx/realworld-jellyfin-socket-variable.conf"),
    Case("haproxy/realworld-opnsense-nbproc-chksize"),
    Case("haproxy/realworld-vaultwarden-hub-negotiate"),
    Case("haproxy/realworld-grafana-subpath-regsub"),
    Case("haproxy/realworld-jitsi-room-stickiness"),
    Case("haproxy/realworld-home-assistant-forwarded"),
    Case("haproxy/realworld-uptime-kuma-host-port"),
    Case("haproxy/realworld-mattermost-ws-backend"),
    Case("apache/realworld-mattermost-rewrite-location"),
    Case("apache/realworld-uptime-kuma-rewrite"),
    Case("apache/realworld-vaultwarden-upgrade-param"),
    Case("apache/realworld-code-server-rewrite-pair"),
    Case("apache/realworld-jellyfin-socket-first"),
    Case("apache/realworld-immich-upgrade-timeout"),
    Case("apache/realworld-spreed-signaling-rewrite-skip"),
    Case("apache/realworld-mattermost-docroot-file-test"),
    Case("apache/realworld-uptime-kuma-no-wstunnel"),
    Case("apache/realworld-uptime-kuma-catchall-rewrite-first"),
]


@pytest.fixture
def binary(request: pytest.FixtureRequest) -> Callable[[str], str]:
    def get(proxy: str) -> str:
        return str(request.getfixturevalue(f"{proxy}_bin"))

    return get


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.path)
def test_fixture_verdict_matches_the_proxy(case: Case, tmp_path: Path, binary: Callable[[str], str]) -> None:
    expect, _, options = (
        annotations(case.target) if case.proxy == "nginx" else annotations(case.target, ROOT / case.proxy)
    )
    result = run_fixture(
        case.proxy, binary(case.proxy), case.target, tmp_path, idle=case.idle, urls=case.urls, h2c=case.h2c
    )
    if expect:
        assert result.broken, f"{case.path} expects {sorted(expect)} but works on {case.proxy}:\n{result.describe()}"
    else:
        assert result.works, f"{case.path} expects no finding but fails on {case.proxy}:\n{result.describe()}"
    if case.blocked:
        upgraded = [str(o) for o in result.outcomes if o.status == 101]
        assert result.outcomes and not upgraded, f"{case.path}: some handshakes upgraded:\n{result.describe()}"
    if case.h2c:
        assert_h2c_kept_out(case.path, result)
    if not case.fixable:
        return
    # the fixes wslint applies leave a configuration the proxy loads and that works
    work = tmp_path / "fixed-case"
    shutil.copytree(case.target.parent, work)
    (work / ".git").mkdir()
    args = [case.target.name, "--proxy", case.proxy, *options, "--fix"]
    fix = subprocess.run([sys.executable, "-m", "wslint", *args], cwd=work, capture_output=True, text=True, timeout=120)
    assert fix.returncode == 0, fix.stdout + fix.stderr
    fixed = run_fixture(
        case.proxy,
        binary(case.proxy),
        work / case.target.name,
        tmp_path / "fixed",
        idle=case.idle,
        urls=case.urls,
        h2c=case.h2c,
    )
    assert fixed.works, f"{case.path} with wslint's fixes fails on {case.proxy}:\n{fixed.describe()}"
    if case.h2c:
        assert_h2c_kept_out(f"{case.path} with wslint's fixes", fixed)


def assert_h2c_kept_out(name: str, result: Run) -> None:
    """The h2c upgrade request reached the application (so the check is not empty), without `Upgrade: h2c`."""
    assert result.h2c_seen, f"{name}: the h2c request never reached the application:\n{result.describe()}"
    passed = [h for h in result.h2c_seen if "h2c" in h.get("upgrade", "").lower()]
    assert not passed, f"{name}: the application got `Upgrade: h2c`:\n{result.describe()}"
    assert result.h2c_status != 101, f"{name}: the h2c request was switched:\n{result.describe()}"
