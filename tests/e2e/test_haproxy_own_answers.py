"""What HAProxy answers itself before any backend, proven on the real haproxy.

`monitor-uri` answers its exact path with HAProxy's health status, the statistics page answers every
URI under `stats uri`, and a `tcp-request` rule that rejects closes the connection before the request
is read. A handshake sent there never reaches a backend: wslint must not call it upgraded. The same
keywords at other URIs, or a rule whose condition does not hold, leave the handshake alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.haproxy_proxy import run_haproxy
from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules
from wslint.engine.schema import E2ESpec

pytestmark = pytest.mark.realproxy

CONFIG = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h

frontend www
    bind 127.0.0.1:8080
FRONTEND    default_backend realtime

backend realtime
    server app 127.0.0.1:9001
"""
E2E = E2ESpec(path="/ws", probe="handshake", idle=0.0, host="app.example.test", backend=None)


def verdict(tmp_path: Path, config: str) -> tuple[bool, int | None]:
    """wslint's verdict on the handshake: whether it upgrades, and the status HAProxy answers when it does not."""
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(config)
    report = run(
        LintOptions(paths=(str(cfg),), endpoints=(parse_endpoint("ws://app.example.test:8080/ws"),)), load_rules()
    )
    results = [r for c in report.configs for r in c.endpoints]
    assert results and all(r.certain for r in results)
    return all(r.upgrades for r in results), results[0].status


@pytest.mark.parametrize(
    ("frontend", "status"),
    [
        ("    monitor-uri /ws\n", 200),
        ("    stats uri /w\n", 200),
        ("    tcp-request content reject\n", None),
        ("    tcp-request connection reject\n", None),
    ],
)
def test_haproxy_answers_the_handshake_itself(
    haproxy_bin: str, tmp_path: Path, frontend: str, status: int | None
) -> None:
    config = CONFIG.replace("FRONTEND", frontend)
    real = run_haproxy(haproxy_bin, config, tmp_path / "real", E2E)
    assert real.broken and all(o.status == status for o in real.outcomes), real.describe()
    assert verdict(tmp_path, config) == (False, status)


@pytest.mark.parametrize(
    "frontend",
    [
        "    monitor-uri /ws/health\n",
        "    stats uri /stats\n",
        "    tcp-request content reject if { path_beg /api }\n",
        "    tcp-request content accept if { path_beg /ws }\n    tcp-request content reject\n",
    ],
)
def test_the_same_keywords_elsewhere_let_it_through(haproxy_bin: str, tmp_path: Path, frontend: str) -> None:
    config = CONFIG.replace("FRONTEND", frontend)
    real = run_haproxy(haproxy_bin, config, tmp_path / "real", E2E)
    assert real.works, real.describe()
    assert verdict(tmp_path, config)[0]
