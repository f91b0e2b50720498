"""Keywords HAProxy removed (audited against its parser at each version tag), proven on haproxy 2.6.

Each case is a configuration haproxy 2.6 refuses on one line (`haproxy -c` names it): wslint at the
modelled 2.6 reports WS603 on that line, and, where the fix is mechanical, the configuration with
wslint's fix applied is one haproxy accepts (and the frontend of HAProxy 1.4's `frontend name address`
serves the WebSocket on that address). At a version before the removal wslint says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.backends import Backend
from tests.e2e.haproxy_proxy import HAProxy
from tests.e2e.proxies import ConfigRefused, free_port
from tests.e2e.wsclient import handshake
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import RuleSet

pytestmark = pytest.mark.realproxy

HEAD = "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
TAIL = "backend app\n    timeout tunnel 1h\n    server a1 127.0.0.1:{app}\n"
FRONTEND = "frontend www\n    bind 127.0.0.1:{port}\n    default_backend app\n"


@dataclass(frozen=True)
class Case:
    name: str
    config: str
    # the version before the one that removed it (wslint accepts it there)
    older: str
    fixable: bool = True


CASES = [
    Case("nbproc", "global\n    nbproc 1\n" + HEAD + FRONTEND + TAIL, "2.4"),
    Case("debug", "global\n    debug\n" + HEAD + FRONTEND + TAIL, "2.2"),
    Case("tune.chksize", "global\n    tune.chksize 16384\n" + HEAD + FRONTEND + TAIL, "2.4"),
    Case("frontend-address", HEAD + "frontend all 127.0.0.1:{port}\n    default_backend app\n" + TAIL, "1.5"),
    Case("listen-address", HEAD + "listen all 127.0.0.1:{port}\n    server a1 127.0.0.1:{app}\n", "1.5"),
    Case("monitor-net", HEAD + FRONTEND + "    monitor-net 10.0.0.0/8\n" + TAIL, "2.2"),
    Case("grace", HEAD + FRONTEND + "    grace 10s\n" + TAIL, "2.4"),
    Case("independant-streams", HEAD + "    option independant-streams\n" + FRONTEND + TAIL, "2.0"),
    Case("mode-health", HEAD + FRONTEND + TAIL + "backend health\n    mode health\n", "2.2", fixable=False),
]


def _refused_line(binary: str, config: str, prefix: Path) -> int:
    with pytest.raises(ConfigRefused) as refused:
        HAProxy(binary, prefix, config).check()
    lines = [int(n) for n in re.findall(r"haproxy\.cfg:(\d+)\]", str(refused.value))]
    assert lines, str(refused.value)
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_haproxy_refuses_what_wslint_reports(case: Case, haproxy_bin: str, tmp_path: Path, rules: RuleSet) -> None:
    with Backend() as app:
        port = free_port()
        config = case.config.format(port=port, app=app.port)
        line = _refused_line(haproxy_bin, config, tmp_path / "original")
        path = tmp_path / "haproxy.cfg"
        path.write_text(config)
        report = run(LintOptions(paths=(str(path),), versions={"haproxy": "2.6"}), rules)
        assert not report.diagnostics
        (finding,) = [f for f in report.findings if f.rule == "removed-keyword"]
        assert finding.line == line
        older = run(LintOptions(paths=(str(path),), versions={"haproxy": case.older}), rules)
        assert not [f for f in older.findings if f.rule == "removed-keyword"]
        if not case.fixable:
            assert finding.fix is None or not finding.fix.edits
            return
        assert finding.fix is not None and finding.fix.edits
        fixed = apply_edits(config, list(finding.fix.edits))
        path.write_text(fixed)
        again = run(LintOptions(paths=(str(path),), versions={"haproxy": "2.6"}), rules)
        assert not [f for f in again.findings if f.rule == "removed-keyword"]
        proxy = HAProxy(haproxy_bin, tmp_path / "fixed", fixed)
        proxy.start(port)
        try:
            outcome = handshake(port, "/ws", "app.example.test")
        finally:
            proxy.stop()
        assert outcome.ok, f"{outcome}\n{fixed}"
