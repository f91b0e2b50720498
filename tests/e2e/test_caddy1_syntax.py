"""Caddy 1's `proxy` in a Caddyfile: refused as Caddy 2 refuses it, with the reverse_proxy that replaces it.

caddy 2.6 stops on `unrecognized directive: proxy`; wslint refuses the file on the same line and
says it is Caddy 1 syntax, writing the Caddy 2 form. That form, put in place of the block, is one
caddy runs and that upgrades every browser's handshake (and strips the prefix `without` named).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.backends import Backend
from tests.e2e.caddy_proxy import Caddy, with_globals
from tests.e2e.proxies import ConfigRefused, free_port
from tests.e2e.wsclient import CONNECTION_HEADERS, handshake
from wslint.core import LintOptions, run
from wslint.engine.rules import RuleSet

pytestmark = pytest.mark.realproxy

CASES = {
    "plain": ("proxy /ws 127.0.0.1:{app} {{\n\t\twebsocket\n\t\ttransparent\n\t}}", "/ws", "/ws"),
    "without": ("proxy /chat/ 127.0.0.1:{app} {{\n\t\twebsocket\n\t\twithout /chat\n\t}}", "/chat/ws", "/ws"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_caddy1_proxy_is_refused_with_its_caddy2_form(
    name: str, caddy_bin: str, tmp_path: Path, rules: RuleSet
) -> None:
    block, path, backend_path = CASES[name]
    with Backend(expect_path=backend_path) as app:
        port = free_port()
        site = "http://app.example.test:{port} {{\n\t" + block + "\n}}\n"
        v1 = site.format(port=port, app=app.port)
        with pytest.raises(ConfigRefused, match="unrecognized directive: proxy"):
            Caddy(caddy_bin, tmp_path / "v1", with_globals(v1, port)).check()

        caddyfile = tmp_path / "Caddyfile"
        caddyfile.write_text(v1)
        report = run(LintOptions(paths=(str(caddyfile),), proxy="caddy"), rules)
        (diag,) = report.diagnostics
        assert (diag.line, diag.severity.label) == (2, "error")
        assert "Caddy 1 syntax" in diag.message
        quoted = re.findall(r"`([^`]+)`", diag.message)
        directive = quoted[0]
        if "inside `handle_path" in diag.message:
            # the reverse_proxy goes in the block of the handle_path named
            directive = quoted[1].replace("{ }", "{\n\t\t" + directive + "\n\t}")
        v2 = f"http://app.example.test:{port} {{\n\t{directive}\n}}\n"
        assert run(LintOptions(paths=(str(caddyfile),), proxy="caddy"), rules).diagnostics
        caddyfile.write_text(v2)
        assert run(LintOptions(paths=(str(caddyfile),), proxy="caddy"), rules).diagnostics == []
        proxy = Caddy(caddy_bin, tmp_path / "v2", with_globals(v2, port))
        proxy.start(port)
        try:
            outcomes = [handshake(port, path, f"app.example.test:{port}", c) for c in CONNECTION_HEADERS]
        finally:
            proxy.stop()
        assert all(o.ok for o in outcomes), [str(o) for o in outcomes]
