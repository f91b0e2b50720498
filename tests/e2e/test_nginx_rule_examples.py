"""Every nginx rule's examples, proven on the real nginx binary.

For each rule: its bad example must break a real WebSocket handshake (or nginx
refuses to load it), its good example must upgrade and echo for every
simulated browser, and the bad example with wslint's own fix applied must
work too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.nginx_proxy import run_nginx
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import load_rules
from wslint.engine.schema import E2ESpec

from ..test_rule_files import example_endpoint

RULES = load_rules()
NGINX_RULES = [r for r in RULES if "nginx" in r.spec.examples]
APPLICABLE = [r for r in NGINX_RULES if r.spec.fix["nginx"].edits]

pytestmark = pytest.mark.realproxy


def _e2e(rule_id: str):  # type: ignore[no-untyped-def]
    rule = RULES.get(rule_id)
    assert rule is not None
    example = rule.spec.examples["nginx"]
    assert example.e2e is not None, f"{rule_id} has no e2e section for nginx"
    return rule, example


@pytest.mark.parametrize("rule_id", [r.id for r in NGINX_RULES])
def test_bad_breaks_and_good_works(rule_id: str, nginx_bin: str, tmp_path: Path) -> None:
    _, example = _e2e(rule_id)
    e2e = example.e2e
    assert e2e is not None
    bad = run_nginx(nginx_bin, example.bad, tmp_path / "bad", e2e)
    assert bad.broken, f"bad example of {rule_id} worked on real nginx:\n{bad.describe()}"
    good = run_nginx(nginx_bin, example.good, tmp_path / "good", e2e)
    assert good.works, f"good example of {rule_id} failed on real nginx:\n{good.describe()}"


def _fixed(rule_id: str, text: str, tmp_path: Path, e2e: E2ESpec) -> str:
    site = tmp_path / "site.conf"
    site.write_text(text)
    report = run(LintOptions(paths=(str(site),), select=(rule_id,), endpoints=example_endpoint(e2e)), RULES)
    mine = [f for f in report.findings if f.rule == rule_id]
    assert mine, f"{rule_id} does not fire on its bad example"
    edits = [e for f in mine if f.fix is not None for e in f.fix.edits]
    assert edits, f"{rule_id} offers no edits"
    assert {e.path for e in edits} == {str(site)}
    return apply_edits(text, edits)


@pytest.mark.parametrize("rule_id", [r.id for r in APPLICABLE])
def test_fix_applied_to_bad_example_works(rule_id: str, nginx_bin: str, tmp_path: Path) -> None:
    _, example = _e2e(rule_id)
    e2e = example.e2e
    assert e2e is not None
    fixed = _fixed(rule_id, example.bad, tmp_path, e2e)
    (tmp_path / "fixed.conf").write_text(fixed)
    relint = run(LintOptions(paths=(str(tmp_path / "fixed.conf"),), endpoints=example_endpoint(e2e)), RULES)
    assert not [f for f in relint.findings if f.rule == rule_id], f"{rule_id} still fires after its fix:\n{fixed}"
    result = run_nginx(nginx_bin, fixed, tmp_path / "fixed", e2e)
    assert result.works, f"{rule_id}: bad example with wslint's fix fails on nginx:\n{fixed}\n{result.describe()}"
