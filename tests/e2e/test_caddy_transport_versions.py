"""reverse_proxy's `transport http { versions ... }` and the upgrade, against the real caddy.

Only `h2c` (HTTP/2 to a plain upstream) keeps a handshake from being upgraded to an http://
upstream: with `versions 2` alone Go's transport still speaks HTTP/1.1 there, and caddy 2.6.2
answers 101. wslint said "plain request (HTTP/2 upstream)" for it. A `write_timeout` does not keep the
handshake from being upgraded either.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.backends import Backend
from tests.e2e.caddy_proxy import GLOBAL, Caddy
from tests.e2e.named_backends import upgrade_request
from tests.e2e.proxies import free_port
from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules

pytestmark = pytest.mark.realproxy
TIMEOUT = 5.0


def caddyfile(port: int, backend: int, versions: str) -> str:
    return (
        f":{port} {{\n\treverse_proxy 127.0.0.1:{backend} {{\n\t\ttransport http {{\n"
        f"\t\t\t{versions}\n\t\t}}\n\t}}\n}}\n"
    )


def status_line(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(upgrade_request("/ws", f"a.test:{port}", "Upgrade"))
        return sock.recv(200).split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    ("versions", "upgraded"),
    [("versions 2", True), ("versions 1.1 2", True), ("versions h2c 2", False), ("write_timeout 1s", True)],
)
def test_only_h2c_keeps_a_plain_upstream_from_upgrading(
    caddy_bin: str, tmp_path: Path, versions: str, upgraded: bool
) -> None:
    with Backend() as backend:
        port = free_port()
        text = caddyfile(port, backend.port, versions)
        caddy = Caddy(caddy_bin, tmp_path / "caddy", GLOBAL + text)
        caddy.start(port)
        try:
            assert (status_line(port) == b"HTTP/1.1 101 Switching Protocols") is upgraded
        finally:
            caddy.stop()
    site = tmp_path / "Caddyfile"
    site.write_text(text)
    options = LintOptions(paths=(str(site),), proxy="caddy", endpoints=(parse_endpoint(f"ws://a.test:{port}/ws"),))
    results = run(options, load_rules()).configs[0].endpoint_results
    assert results and all(r.certain and r.upgrades is upgraded for r in results)
