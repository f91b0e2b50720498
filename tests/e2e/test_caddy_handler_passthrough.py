"""Handlers before reverse_proxy that let a WebSocket handshake through, and those that may answer it,
against the real caddy (2.6.2).

encode, templates, push, request_body, skip_log and the response-header edits (`header`,
`header_down`) change nothing about the 101 the backend sends: wslint judges the route as upgraded.
The `order` global option and the `protocol` matcher are followed. metrics and basicauth answer the
handshake themselves (200, 401 without credentials) and reverse_proxy's `method POST` makes the backend
refuse it (405): wslint leaves those verdicts uncertain.
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
HASH = "$2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG"
PROXY = "reverse_proxy 127.0.0.1:{backend}"

# (global options, what stands in the site, what wslint says: upgraded, answered by caddy, or uncertain)
CASES = {
    "encode": ("", "encode gzip zstd\n\t" + PROXY, "upgraded"),
    "templates": ("", "templates\n\t" + PROXY, "upgraded"),
    "push": ("", "push\n\t" + PROXY, "upgraded"),
    "request_body": ("", "request_body {\n\t\tmax_size 10MB\n\t}\n\t" + PROXY, "upgraded"),
    "skip_log": ("", "skip_log\n\t" + PROXY, "upgraded"),
    "header": ("", "header -Upgrade\n\t" + PROXY, "upgraded"),
    "header_down": ("", PROXY + " {\n\t\theader_down -Connection\n\t}", "upgraded"),
    "order": ("\torder reverse_proxy before respond\n", "respond /ws 403\n\t" + PROXY, "upgraded"),
    "protocol-http": ("", "@plain protocol http\n\trespond @plain 403\n\t" + PROXY, "answered"),
    "protocol-https": ("", "@tls protocol https\n\trespond @tls 403\n\t" + PROXY, "upgraded"),
    "metrics": ("", "metrics\n\t" + PROXY, "uncertain"),
    "basicauth": ("", "basicauth {\n\t\tadmin " + HASH + "\n\t}\n\t" + PROXY, "uncertain"),
    "method": ("", PROXY + " {\n\t\tmethod POST\n\t}", "uncertain"),
}


def status_line(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(upgrade_request("/ws", f"a.test:{port}", "Upgrade"))
        return sock.recv(200).split(b"\r\n", 1)[0]


@pytest.mark.parametrize("name", list(CASES))
def test_handlers_before_the_proxy(caddy_bin: str, tmp_path: Path, name: str) -> None:
    options_text, body, verdict = CASES[name]
    with Backend() as backend:
        port = free_port()
        site = f":{port} {{\n\t{body.replace('{backend}', str(backend.port))}\n}}\n"
        text = GLOBAL.replace("{\n", "{\n" + options_text, 1) + site
        caddy = Caddy(caddy_bin, tmp_path / "caddy", text)
        caddy.start(port)
        try:
            assert (status_line(port) == b"HTTP/1.1 101 Switching Protocols") is (verdict == "upgraded")
        finally:
            caddy.stop()
    path = tmp_path / "Caddyfile"
    path.write_text(text)
    options = LintOptions(paths=(str(path),), proxy="caddy", endpoints=(parse_endpoint(f"ws://a.test:{port}/ws"),))
    results = run(options, load_rules()).configs[0].endpoint_results
    assert results
    if verdict == "uncertain":
        assert not any(r.certain for r in results)
    else:
        assert all(r.certain and r.upgrades is (verdict == "upgraded") for r in results)
