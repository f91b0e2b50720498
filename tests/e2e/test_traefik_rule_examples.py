"""Every Traefik rule's examples, proven on the real traefik binary.

For each rule with a Traefik example: the bad dynamic configuration must break
a real WebSocket handshake, the good one must upgrade and echo for every
simulated browser, and the bad one with wslint's own fix applied must work too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.traefik_proxy import run_traefik
from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import load_rules
from wslint.engine.schema import E2ESpec

from ..test_rule_files import example_endpoint

RULES = load_rules()
TRAEFIK_RULES = [r for r in RULES if "traefik" in r.spec.examples]
APPLICABLE = [r for r in TRAEFIK_RULES if r.spec.fix["traefik"].edits]

pytestmark = pytest.mark.realproxy


def _example(rule_id: str) -> tuple[str, str, E2ESpec]:
    rule = RULES.get(rule_id)
    assert rule is not None
    example = rule.spec.examples["traefik"]
    assert example.e2e is not None, f"{rule_id} has no e2e section for traefik"
    return example.bad, example.good, example.e2e


def test_every_traefik_rule_is_covered() -> None:
    ids = {r.id for r in TRAEFIK_RULES}
    assert {"route-miss", "route-shadowed", "path-rewritten", "endpoint-redirected", "rule-syntax-mismatch"} <= ids


@pytest.mark.parametrize("rule_id", [r.id for r in TRAEFIK_RULES])
def test_bad_breaks_and_good_works(rule_id: str, traefik_bin: str, tmp_path: Path) -> None:
    bad, good, e2e = _example(rule_id)
    result = run_traefik(traefik_bin, bad, tmp_path / "bad", e2e.path, e2e.host, e2e.backend, e2e.idle)
    assert result.broken, f"bad example of {rule_id} worked on real traefik:\n{result.describe()}"
    result = run_traefik(traefik_bin, good, tmp_path / "good", e2e.path, e2e.host, e2e.backend, e2e.idle)
    assert result.works, f"good example of {rule_id} failed on real traefik:\n{result.describe()}"


def _fixed(rule_id: str, text: str, tmp_path: Path, e2e: E2ESpec) -> str:
    site = tmp_path / "dynamic.yml"
    site.write_text(text)
    options = LintOptions(paths=(str(site),), proxy="traefik", select=(rule_id,), endpoints=example_endpoint(e2e))
    report = run(options, RULES)
    mine = [f for f in report.findings if f.rule == rule_id]
    assert mine, f"{rule_id} does not fire on its bad example"
    edits = [e for f in mine if f.fix is not None for e in f.fix.edits]
    assert edits, f"{rule_id} offers no edits"
    assert {e.path for e in edits} == {str(site)}
    return apply_edits(text, edits)


@pytest.mark.parametrize("rule_id", [r.id for r in APPLICABLE])
def test_fix_applied_to_bad_example_works(rule_id: str, traefik_bin: str, tmp_path: Path) -> None:
    bad, _, e2e = _example(rule_id)
    fixed = _fixed(rule_id, bad, tmp_path, e2e)
    (tmp_path / "fixed").mkdir()
    target = tmp_path / "fixed" / "dynamic.yml"
    target.write_text(fixed)
    relint = run(LintOptions(paths=(str(target),), proxy="traefik", endpoints=example_endpoint(e2e)), RULES)
    assert not relint.findings, f"{rule_id}: findings remain after its fix:\n{fixed}\n{relint.findings}"
    result = run_traefik(traefik_bin, fixed, tmp_path / "run", e2e.path, e2e.host, e2e.backend, e2e.idle)
    assert result.works, f"{rule_id}: bad example with wslint's fix fails on traefik:\n{fixed}\n{result.describe()}"


TEMPLATE = """\
http:
  routers:
    web:
      rule: "Host(`app.example.test`)"
      service: web
    kernels:
      rule: "Host(`app.example.test`) && PathPrefix(`/api/kernels/{id}/channels`)"
      service: app
  services:
    web:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
    app:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""


def test_v2_path_template_is_plain_text_in_v3(traefik_bin: str, tmp_path: Path) -> None:
    """A `{id}` left in PathPrefix after the move to v3 matches only literal braces; wslint's
    PathRegexp rewrite routes the kernel socket again."""
    e2e = E2ESpec("/api/kernels/42/channels", "handshake", 0.0, "app.example.test", None)
    bad = run_traefik(traefik_bin, TEMPLATE, tmp_path / "bad", e2e.path, e2e.host, None)
    assert bad.broken, bad.describe()
    fixed = _fixed("route-miss", TEMPLATE, tmp_path, e2e)
    assert "PathRegexp(`^/api/kernels/(?:[^/]+)/channels`)" in fixed
    result = run_traefik(traefik_bin, fixed, tmp_path / "fixed", e2e.path, e2e.host, None)
    assert result.works, result.describe()
