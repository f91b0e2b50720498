"""A `mode tcp` frontend routing on the request's path decides before the request arrives (haproxy 2.6).

Without `tcp-request inspect-delay` and a `tcp-request content` rule that waits for the request,
HAProxy evaluates `use_backend ws if { path_beg /ws }` as the connection opens: a client that sends
its handshake a moment after connecting (as a browser does after TLS, or over a slow link) always
reaches the default backend, one that sends it at once only sometimes reaches `ws`. wslint reports
route-miss (WS506) on the rule, and its fix (the wait the manual recommends) makes every handshake
reach `ws`, late or not.
"""

from __future__ import annotations

import base64
import os
import socket
import time
from pathlib import Path

import pytest

from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.haproxy_proxy import HAProxy
from tests.e2e.proxies import free_port
from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import RuleSet

pytestmark = pytest.mark.realproxy

CONFIG = """\
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
frontend fe
    bind 127.0.0.1:{port}
{wait}    use_backend ws if {{ path_beg /ws }}
    default_backend web
backend ws
    server w1 127.0.0.1:{app}
backend web
    server x1 127.0.0.1:{other}
"""
WAITS = {
    "none": "",
    # the delay alone does not make it wait: no content rule needs the request
    "delay-only": "    tcp-request inspect-delay 5s\n",
    "req-len": "    tcp-request inspect-delay 5s\n    tcp-request content accept if { req_len gt 0 }\n",
}
TRIES = 5


def _late_status(port: int, delay: float) -> int | None:
    """A WebSocket handshake sent `delay` seconds after the connection opens."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws HTTP/1.1\r\nHost: app.example.test:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        time.sleep(delay)
        sock.sendall(request.encode())
        head = sock.recv(4096).split(b"\r\n", 1)[0].split()
    return int(head[1]) if len(head) > 1 and head[1].isdigit() else None


def _statuses(binary: str, config: str, prefix: Path, port: int) -> list[int | None]:
    proxy = HAProxy(binary, prefix, config)
    proxy.start(port)
    try:
        return [_late_status(port, 0.05) for _ in range(TRIES)]
    finally:
        proxy.stop()


def _lint(config: str, path: Path, port: int, rules: RuleSet) -> list[str]:
    path.write_text(config)
    endpoint = parse_endpoint(f"ws://app.example.test:{port}/ws")
    report = run(LintOptions(paths=(str(path),), endpoints=(endpoint,)), rules)
    assert not report.diagnostics
    return [f.rule for f in report.findings]


@pytest.mark.parametrize("wait", ["none", "delay-only"])
def test_deciding_before_the_request_misses_and_the_fix_waits(
    wait: str, haproxy_bin: str, tmp_path: Path, rules: RuleSet
) -> None:
    with Backend() as app, NotFoundBackend() as other:
        port = free_port()
        config = CONFIG.format(port=port, app=app.port, other=other.port, wait=WAITS[wait])
        assert _statuses(haproxy_bin, config, tmp_path / "broken", port) == [404] * TRIES
        path = tmp_path / "haproxy.cfg"
        path.write_text(config)
        endpoint = parse_endpoint(f"ws://app.example.test:{port}/ws")
        report = run(LintOptions(paths=(str(path),), endpoints=(endpoint,)), rules)
        (finding,) = report.findings
        assert finding.rule == "route-miss"
        assert finding.line == config.splitlines().index("    use_backend ws if { path_beg /ws }") + 1
        assert "before the request" in finding.message
        assert finding.fix is not None and finding.fix.snippet is not None
        # the fix's lines, written before the rule that tests the request (in the frontend's indentation)
        rule = "    use_backend ws if { path_beg /ws }\n"
        wait = "".join(f"    {line}\n" for line in finding.fix.snippet.splitlines())
        fixed = config.replace(rule, wait + rule)
        assert _lint(fixed, path, port, rules) == []
        assert _statuses(haproxy_bin, fixed, tmp_path / "fixed", port) == [101] * TRIES


def test_a_content_rule_that_reads_the_request_makes_it_wait(haproxy_bin: str, tmp_path: Path, rules: RuleSet) -> None:
    with Backend() as app, NotFoundBackend() as other:
        port = free_port()
        config = CONFIG.format(port=port, app=app.port, other=other.port, wait=WAITS["req-len"])
        assert _lint(config, tmp_path / "haproxy.cfg", port, rules) == []
        assert _statuses(haproxy_bin, config, tmp_path / "run", port) == [101] * TRIES
