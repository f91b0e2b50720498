"""A `respond` that Caddy's directive order runs before the WebSocket reverse_proxy, proven on the real caddy.

The reverse_proxy selects handshakes by their headers, not by a path, so no
path test makes it "more precise" than the bare `respond`: it is still the
route the handshake was meant for, and wslint must name it (route-shadowed at
the respond line), not call the path unproxied. The snippet it prints, a
`route` block in the order written, must work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.caddy_proxy import run_caddy
from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules
from wslint.engine.schema import E2ESpec

pytestmark = pytest.mark.realproxy

BROKEN = """\
http://app.example.test:8080 {
    @websockets {
        header_regexp Connection (?i)upgrade
        header Upgrade websocket
    }
    reverse_proxy @websockets 127.0.0.1:9001
    respond 404
}
"""
E2E = E2ESpec(path="/live/socket", probe="handshake", idle=0.0, host="app.example.test", backend=None)


def _lint(text: str, tmp_path: Path) -> list[tuple[str, int, str]]:
    cfg = tmp_path / "Caddyfile"
    cfg.write_text(text)
    options = LintOptions(
        paths=(str(cfg),), proxy="caddy", endpoints=(parse_endpoint("ws://app.example.test:8080/live/socket"),)
    )
    report = run(options, load_rules())
    return [(f.rule, f.line, f.fix.snippet if f.fix else "") for f in report.findings]


def test_respond_before_a_header_matched_reverse_proxy(caddy_bin: str, tmp_path: Path) -> None:
    broken = run_caddy(caddy_bin, BROKEN, tmp_path / "broken", E2E)
    assert broken.broken and all(o.status == 404 for o in broken.outcomes), broken.describe()

    (finding,) = _lint(BROKEN, tmp_path)
    rule, line, snippet = finding
    assert (rule, line) == ("route-shadowed", 7)

    inner = snippet.split("route {\n", 1)[1].rsplit("\n}", 1)[0].splitlines()
    assert inner == ["    reverse_proxy @websockets 127.0.0.1:9001", "    respond 404"], snippet
    # the snippet in place of the two directives
    block = "\n".join("    " + s for s in snippet.splitlines() if not s.startswith("#"))
    fixed = BROKEN.replace("    reverse_proxy @websockets 127.0.0.1:9001\n    respond 404\n", block + "\n")
    assert "route {" in fixed and fixed != BROKEN
    works = run_caddy(caddy_bin, fixed, tmp_path / "fixed", E2E)
    assert works.works, f"{fixed}\n{works.describe()}"
    assert _lint(fixed, tmp_path) == []
