"""Annotated fixtures proven on the real proxy: finding-free ones upgrade and echo, broken ones fail.

Each case is a fixture of fixtures/<proxy>/ (see fixture_runs.py for the shape they are written
in). Its expectations and its verdict on the real binary must agree: a fixture that expects no
finding works for every client and endpoint it declares, a fixture that expects a finding breaks a
handshake (or the proxy refuses it), and the rule it expects is named.
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

    @property
    def proxy(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def target(self) -> Path:
        main = {"nginx": "nginx.conf", "haproxy": "haproxy.cfg", "apache": "httpd.conf", "caddy": "Caddyfile"}
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
    result = run_fixture(case.proxy, binary(case.proxy), case.target, tmp_path, idle=case.idle, urls=case.urls)
    if expect:
        assert result.broken, f"{case.path} expects {sorted(expect)} but works on {case.proxy}:\n{result.describe()}"
    else:
        assert result.works, f"{case.path} expects no finding but fails on {case.proxy}:\n{result.describe()}"
    if not case.fixable:
        return
    # the fixes wslint applies leave a configuration the proxy loads and that works
    work = tmp_path / "fixed-case"
    shutil.copytree(case.target.parent, work)
    (work / ".git").mkdir()
    args = [case.target.name, "--proxy", case.proxy, *options, "--fix"]
    fix = subprocess.run([sys.executable, "-m", "wslint", *args], cwd=work, capture_output=True, text=True, timeout=120)
    assert fix.returncode == 0, fix.stdout + fix.stderr
    fixed = run_fixture(case.proxy, binary(case.proxy), work / case.target.name, tmp_path / "fixed", idle=case.idle)
    assert fixed.works, f"{case.path} with wslint's fixes fails on {case.proxy}:\n{fixed.describe()}"
