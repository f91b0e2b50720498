"""Every HAProxy rule's examples, proven on the real haproxy binary.

For each rule that supports HAProxy: its bad example must break a real
WebSocket handshake (or haproxy refuses to load it), its good example must
upgrade and echo for every simulated browser, and the bad example with
wslint's own fix applied must work too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.haproxy_proxy import run_haproxy
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import load_rules
from wslint.engine.schema import E2ESpec, Example

from ..test_rule_files import example_endpoint

RULES = load_rules()
HAPROXY_RULES = [r for r in RULES if "haproxy" in r.spec.examples]
APPLICABLE = [r for r in HAPROXY_RULES if r.spec.fix["haproxy"].edits]

pytestmark = pytest.mark.realproxy


def _example(rule_id: str) -> tuple[Example, E2ESpec]:
    rule = RULES.get(rule_id)
    assert rule is not None
    example = rule.spec.examples["haproxy"]
    assert example.e2e is not None, f"{rule_id} has no e2e section for haproxy"
    return example, example.e2e


def test_every_haproxy_rule_is_proven() -> None:
    assert len(HAPROXY_RULES) >= 14
    assert {r.id for r in APPLICABLE} >= {"tunnel-timeout-missing", "removed-keyword", "route-shadowed"}


@pytest.mark.parametrize("rule_id", [r.id for r in HAPROXY_RULES])
def test_bad_breaks_and_good_works(rule_id: str, haproxy_bin: str, tmp_path: Path) -> None:
    example, e2e = _example(rule_id)
    bad = run_haproxy(haproxy_bin, example.bad, tmp_path / "bad", e2e)
    assert bad.broken, f"bad example of {rule_id} worked on real haproxy:\n{bad.describe()}"
    good = run_haproxy(haproxy_bin, example.good, tmp_path / "good", e2e)
    assert good.works, f"good example of {rule_id} failed on real haproxy:\n{good.describe()}"


def _fixed(rule_id: str, text: str, tmp_path: Path, e2e: E2ESpec) -> str:
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    report = run(LintOptions(paths=(str(cfg),), select=(rule_id,), endpoints=example_endpoint(e2e)), RULES)
    mine = [f for f in report.findings if f.rule == rule_id]
    assert mine, f"{rule_id} does not fire on its bad example"
    edits = [e for f in mine if f.fix is not None for e in f.fix.edits]
    assert edits, f"{rule_id} offers no edits"
    assert {e.path for e in edits} == {str(cfg)}
    return apply_edits(text, edits)


@pytest.mark.parametrize("rule_id", [r.id for r in APPLICABLE])
def test_fix_applied_to_bad_example_works(rule_id: str, haproxy_bin: str, tmp_path: Path) -> None:
    example, e2e = _example(rule_id)
    fixed = _fixed(rule_id, example.bad, tmp_path, e2e)
    (tmp_path / "fixed").mkdir()
    (tmp_path / "fixed" / "haproxy.cfg").write_text(fixed)
    relint = run(LintOptions(paths=(str(tmp_path / "fixed" / "haproxy.cfg"),), endpoints=example_endpoint(e2e)), RULES)
    assert not relint.findings, f"{rule_id}: findings remain after its fix:\n{fixed}\n{relint.findings}"
    result = run_haproxy(haproxy_bin, fixed, tmp_path / "run", e2e)
    assert result.works, f"{rule_id}: bad example with wslint's fix fails on haproxy:\n{fixed}\n{result.describe()}"
