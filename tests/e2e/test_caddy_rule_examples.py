"""Every Caddy rule's examples, proven on the real caddy binary.

For each rule that supports Caddy: its bad example must break a real
WebSocket handshake (or caddy refuses to load it), its good example must
upgrade and echo for every simulated browser, and the bad example with
wslint's own fix applied must work too, with no finding left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.caddy_proxy import run_caddy
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import load_rules
from wslint.engine.schema import E2ESpec, Example

from ..test_rule_files import example_endpoint

RULES = load_rules()
CADDY_RULES = [r for r in RULES if "caddy" in r.spec.examples]
APPLICABLE = [r for r in CADDY_RULES if r.spec.fix["caddy"].edits]

pytestmark = pytest.mark.realproxy


def _example(rule_id: str) -> tuple[Example, E2ESpec]:
    rule = RULES.get(rule_id)
    assert rule is not None
    example = rule.spec.examples["caddy"]
    assert example.e2e is not None, f"{rule_id} has no e2e section for caddy"
    return example, example.e2e


def test_every_caddy_rule_is_proven() -> None:
    ids = {r.id for r in CADDY_RULES}
    assert {
        "route-shadowed",
        "route-miss",
        "ws-path-not-proxied",
        "endpoint-redirected",
        "path-rewritten",
        "wrong-server-block",
        "case-sensitive-match",
        "connection-exact-match",
        "health-check-on-socket-path",
        "idle-timeout-short",
        "keyword-too-new",
    } <= ids
    # every Caddy rule's fix edits the file
    assert ids == {r.id for r in APPLICABLE}


@pytest.mark.parametrize("rule_id", [r.id for r in CADDY_RULES])
def test_bad_breaks_and_good_works(rule_id: str, caddy_bin: str, tmp_path: Path) -> None:
    example, e2e = _example(rule_id)
    bad = run_caddy(caddy_bin, example.bad, tmp_path / "bad", e2e)
    assert bad.broken, f"bad example of {rule_id} worked on real caddy:\n{bad.describe()}"
    good = run_caddy(caddy_bin, example.good, tmp_path / "good", e2e)
    assert good.works, f"good example of {rule_id} failed on real caddy:\n{good.describe()}"


def _fixed(rule_id: str, text: str, tmp_path: Path, e2e: E2ESpec) -> str:
    cfg = tmp_path / "Caddyfile"
    cfg.write_text(text)
    options = LintOptions(paths=(str(cfg),), proxy="caddy", select=(rule_id,), endpoints=example_endpoint(e2e))
    report = run(options, RULES)
    mine = [f for f in report.findings if f.rule == rule_id]
    assert mine, f"{rule_id} does not fire on its bad example"
    edits = [e for f in mine if f.fix is not None for e in f.fix.edits]
    assert edits, f"{rule_id} offers no edits"
    assert {e.path for e in edits} == {str(cfg)}
    return apply_edits(text, edits)


@pytest.mark.parametrize("rule_id", [r.id for r in APPLICABLE])
def test_fix_applied_to_bad_example_works(rule_id: str, caddy_bin: str, tmp_path: Path) -> None:
    example, e2e = _example(rule_id)
    fixed = _fixed(rule_id, example.bad, tmp_path, e2e)
    (tmp_path / "fixed").mkdir()
    target = tmp_path / "fixed" / "Caddyfile"
    target.write_text(fixed)
    relint = run(LintOptions(paths=(str(target),), proxy="caddy", endpoints=example_endpoint(e2e)), RULES)
    assert not relint.findings, f"{rule_id}: findings remain after its fix:\n{fixed}\n{relint.findings}"
    result = run_caddy(caddy_bin, fixed, tmp_path / "run", e2e)
    assert result.works, f"{rule_id}: bad example with wslint's fix fails on caddy:\n{fixed}\n{result.describe()}"
