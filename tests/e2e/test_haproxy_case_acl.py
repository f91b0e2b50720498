"""An Upgrade ACL that no browser meets because of case, proven on the real haproxy.

`hdr(upgrade) WebSocket` never matches `Upgrade: websocket`: every handshake
goes to the default backend. wslint must say so (case-sensitive-match for
every client) and its `-i` fix must make every browser upgrade.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.haproxy_proxy import run_haproxy
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
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
    acl is_websocket hdr(Upgrade) WebSocket
    use_backend realtime if is_websocket
    default_backend pages

backend realtime
    server app 127.0.0.1:9001

backend pages
    server web 127.0.0.1:9002
"""
E2E = E2ESpec(path="/chat", probe="handshake", idle=0.0, host="app.example.test", backend=None)


def test_an_upgrade_acl_no_browser_meets(haproxy_bin: str, tmp_path: Path) -> None:
    broken = run_haproxy(haproxy_bin, CONFIG, tmp_path / "broken", E2E)
    assert broken.broken and all(o.status == 404 for o in broken.outcomes), broken.describe()

    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(CONFIG)
    report = run(LintOptions(paths=(str(cfg),)), load_rules())
    assert [(f.rule, f.line) for f in report.findings] == [("case-sensitive-match", 10)]
    assert "no browser's handshake matches" in report.findings[0].message
    fix = report.findings[0].fix
    assert fix is not None
    fixed = apply_edits(CONFIG, fix.edits)
    assert "hdr(Upgrade) -i WebSocket" in fixed
    works = run_haproxy(haproxy_bin, fixed, tmp_path / "fixed", E2E)
    assert works.works, works.describe()
