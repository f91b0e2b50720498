"""A user's rule cannot take the run down: whatever its expression raises is a diagnostic naming the rule
and its file while every other rule's findings stay, a computation too large for the sandbox is refused,
and a rule that loops past its time budget is stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import BROKEN, REPO, invoke
from wslint.engine import runner

TEMPLATE = (REPO / "tests" / "data" / "user-rule.yaml").read_text()


def _rules(tmp_path: Path, when: str, message: str | None = None) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    text = TEMPLATE.replace("when: route.idle_timeout.default", f"when: {when}")
    if message is not None:
        text = text.replace(
            'message: "`{{ route.name }}` relies on the default proxy_read_timeout"', f'message: "{message}"'
        )
    (rules / "team.yaml").write_text(text)
    return rules


def _lint(tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> dict:  # type: ignore[type-arg]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.conf").write_text(BROKEN)
    code, out = invoke("site.conf", "--rules", str(rules), "--format", "json")
    assert code == 2, out
    return json.loads(out)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("when", "raised"),
    [
        ("1 / 0", "ZeroDivisionError"),
        ("range(10 ** 10) | length > 0", "OverflowError"),
        ("2 ** 100000000 > 1", "SecurityError"),
        ("('x' * 10 ** 9) | length > 0", "SecurityError"),
        ("route.name.index('no such text') > 0", "ValueError"),
    ],
    ids=["zero-division", "huge-range", "huge-power", "huge-string", "value-error"],
)
def test_a_failing_user_rule_names_its_file_and_loses_no_other_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, raised: str
) -> None:
    doc = _lint(tmp_path, _rules(tmp_path, when), monkeypatch)
    assert {f["code"] for f in doc["findings"]} == {"WS103", "WS301"}
    failed = [d for d in doc["diagnostics"] if d["kind"] == "internal"]
    assert failed and all(
        f"rule ws-location-without-timeout (XX001, {tmp_path / 'rules' / 'team.yaml'}) failed: {raised}" in d["message"]
        for d in failed
    )


def test_a_rule_that_loops_past_its_budget_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "USER_RULE_BUDGET", 0.5)
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    doc = _lint(tmp_path, _rules(tmp_path, "route.name != ''", message=loop), monkeypatch)
    assert {f["code"] for f in doc["findings"]} == {"WS103", "WS301"}
    (stopped,) = [d for d in doc["diagnostics"] if d["kind"] == "internal"]
    assert "rule ws-location-without-timeout (XX001," in stopped["message"]
    assert "was stopped after 0.5 s on this configuration (its time budget)" in stopped["message"]
