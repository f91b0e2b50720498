"""Every Apache httpd rule's examples, proven on the real httpd binary.

For each rule that supports Apache: its bad example must break a real
WebSocket handshake (or httpd refuses to load it), its good example must
upgrade and echo for every simulated browser, and the bad example with
wslint's own fix applied must work too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.apache_proxy import run_apache
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import load_rules
from wslint.engine.schema import E2ESpec, Example

from ..test_rule_files import example_endpoint

RULES = load_rules()
APACHE_RULES = [r for r in RULES if "apache" in r.spec.examples]
APPLICABLE = [r for r in APACHE_RULES if r.spec.fix["apache"].edits]

pytestmark = pytest.mark.realproxy


def _example(rule_id: str) -> tuple[Example, E2ESpec]:
    rule = RULES.get(rule_id)
    assert rule is not None
    example = rule.spec.examples["apache"]
    assert example.e2e is not None, f"{rule_id} has no e2e section for apache"
    return example, example.e2e


def test_every_apache_rule_is_proven() -> None:
    assert len(APACHE_RULES) >= 13
    assert {r.id for r in APPLICABLE} >= {
        "upgrade-not-enabled",
        "proxy-module-missing",
        "invalid-command",
        "route-miss",
        "path-rewritten",
        "endpoint-redirected",
        "ws-path-not-proxied",
        "connection-exact-match",
    }


@pytest.mark.parametrize("rule_id", [r.id for r in APACHE_RULES])
def test_bad_breaks_and_good_works(rule_id: str, apache_bin: str, tmp_path: Path) -> None:
    example, e2e = _example(rule_id)
    bad = run_apache(apache_bin, example.bad, tmp_path / "bad", e2e)
    assert bad.broken, f"bad example of {rule_id} worked on real httpd:\n{bad.describe()}"
    good = run_apache(apache_bin, example.good, tmp_path / "good", e2e)
    assert good.works, f"good example of {rule_id} failed on real httpd:\n{good.describe()}"


def _fixed(rule_id: str, text: str, tmp_path: Path, e2e: E2ESpec) -> str:
    cfg = tmp_path / "site.conf"
    cfg.write_text(text)
    report = run(
        LintOptions(paths=(str(cfg),), proxy="apache", select=(rule_id,), endpoints=example_endpoint(e2e)), RULES
    )
    mine = [f for f in report.findings if f.rule == rule_id]
    assert mine, f"{rule_id} does not fire on its bad example"
    edits = [e for f in mine if f.fix is not None for e in f.fix.edits]
    assert edits, f"{rule_id} offers no edits"
    assert {e.path for e in edits} == {str(cfg)}
    return apply_edits(text, edits)


@pytest.mark.parametrize("rule_id", [r.id for r in APPLICABLE])
def test_fix_applied_to_bad_example_works(rule_id: str, apache_bin: str, tmp_path: Path) -> None:
    example, e2e = _example(rule_id)
    fixed = _fixed(rule_id, example.bad, tmp_path, e2e)
    (tmp_path / "fixed").mkdir()
    (tmp_path / "fixed" / "site.conf").write_text(fixed)
    relint = run(
        LintOptions(paths=(str(tmp_path / "fixed" / "site.conf"),), proxy="apache", endpoints=example_endpoint(e2e)),
        RULES,
    )
    assert not relint.findings, f"{rule_id}: findings remain after its fix:\n{fixed}\n{relint.findings}"
    result = run_apache(apache_bin, fixed, tmp_path / "run", e2e)
    assert result.works, f"{rule_id}: bad example with wslint's fix fails on httpd:\n{fixed}\n{result.describe()}"
