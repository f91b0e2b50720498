"""Every output format: SARIF against the official schema, the bot formats against their documented shapes."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from wslint.core import LintOptions, run
from wslint.engine.rules import RuleSet
from wslint.formatters import FORMATTERS, FormatContext

from .conftest import SHARED
from .test_fixtures import (
    CADDY_FIXTURES,
    FIXTURES,
    _options,
    annotations,
    apache_cases,
    caddy_cases,
    cases,
    haproxy_cases,
    traefik_cases,
)

SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


def context(case: Path, rules: RuleSet, base: Path = FIXTURES, proxy: str | None = None) -> FormatContext:
    """The report of one fixture, linted from its proxy's fixture directory (JSON has no annotations)."""
    args = [] if case.suffix == ".json" else annotations(case, base)[2]
    cwd = os.getcwd()
    os.chdir(base)
    try:
        options = LintOptions(paths=(os.path.relpath(case, base),), proxy=proxy, **_options(args))  # type: ignore[arg-type]
        report = run(options, rules)
    finally:
        os.chdir(cwd)
    return FormatContext(
        findings=tuple(report.findings),
        diagnostics=tuple(report.diagnostics),
        tool_version="0.0-test",
        files=tuple(f for c in report.configs for f in c.files),
        rules=tuple(r.spec for r in rules),
    )


@pytest.fixture(scope="module")
def sarif_schema() -> jsonschema.Draft4Validator:
    """The SARIF schema's validator, the schema itself checked once (jsonschema.validate checks it on every
    call, which took most of these tests' time)."""
    if not SARIF_SCHEMA.is_file():
        pytest.skip("../shared/schemas/sarif-schema-2.1.0.json is not present in this checkout")
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def validate(doc: Any, validator: jsonschema.Draft4Validator) -> None:
    """What jsonschema.validate does once the schema is checked: raise the most relevant error."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        raise error


@pytest.mark.parametrize("case", cases(), ids=lambda p: os.path.relpath(p, FIXTURES))
def test_sarif_of_every_fixture_validates(case: Path, rules: RuleSet, sarif_schema: jsonschema.Draft4Validator) -> None:
    ctx = context(case, rules)
    doc = json.loads(FORMATTERS["sarif"](ctx))
    validate(doc, sarif_schema)
    run_ = doc["runs"][0]
    driver_rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in driver_rules] == sorted(r.code for r in rules)
    assert all(r["help"]["text"] and r["help"]["markdown"] for r in driver_rules)
    assert run_["columnKind"] == "utf16CodeUnits"
    assert len(run_["results"]) == len(ctx.findings)
    for result, finding in zip(run_["results"], ctx.findings, strict=True):
        assert driver_rules[result["ruleIndex"]]["id"] == finding.code
        loc = result["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] == finding.line
        assert result["partialFingerprints"]["wslint/v1"] == finding.fingerprint
        if finding.fix is not None and finding.fix.edits:
            (fix,) = result["fixes"]
            replacements = [r for c in fix["artifactChanges"] for r in c["replacements"]]
            assert len(replacements) == len(finding.fix.edits)


OTHER_PROXIES = [
    *(("haproxy", c) for c in haproxy_cases()),
    *(("traefik", c) for c in traefik_cases()),
    *(("apache", c) for c in apache_cases()),
    *(("caddy", c) for c in caddy_cases()),
    *(("caddy", d / "caddy.json") for d in sorted(CADDY_FIXTURES.iterdir()) if (d / "caddy.json").is_file()),
]


@pytest.mark.parametrize(("proxy", "case"), OTHER_PROXIES, ids=lambda v: v if isinstance(v, str) else v.parent.name)
def test_sarif_of_every_other_proxy_fixture_validates(
    proxy: str, case: Path, rules: RuleSet, sarif_schema: jsonschema.Draft4Validator
) -> None:
    ctx = context(case, rules, case.parent.parent, proxy)
    doc = json.loads(FORMATTERS["sarif"](ctx))
    validate(doc, sarif_schema)
    results = doc["runs"][0]["results"]
    assert len(results) == len(ctx.findings)
    for result, finding in zip(results, ctx.findings, strict=True):
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == finding.path and not finding.path.startswith("/")
        assert loc["region"]["startLine"] == finding.line
        assert len(result.get("fixes", [])) == (1 if finding.fix is not None and finding.fix.edits else 0)
    for fmt in ("rdjson", "gitlab", "json"):
        assert isinstance(json.loads(FORMATTERS[fmt](ctx)), (dict, list))
    assert ElementTree.fromstring(FORMATTERS["junit"](ctx)) is not None
    assert len(FORMATTERS["github"](ctx).splitlines()) == len(ctx.findings)


def test_fingerprints_survive_unrelated_edits(tmp_path: Path, rules: RuleSet) -> None:
    text = (FIXTURES / "connection-variants.conf").read_text()
    site = tmp_path / "site.conf"
    opts = {"ws_paths": ("/a/", "/b/", "/c/", "/d/")}
    site.write_text(text)
    before = run(LintOptions(paths=(str(site),), **opts), rules).findings  # type: ignore[arg-type]
    site.write_text("# a comment added on top\n\n" + text.replace("listen 80;", "listen 80;\n    access_log off;"))
    after = run(LintOptions(paths=(str(site),), **opts), rules).findings  # type: ignore[arg-type]
    assert [f.line + 3 for f in before] == [f.line for f in after]
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert len({f.fingerprint for f in before}) == len(before) == 4


def _example(rules: RuleSet) -> FormatContext:
    return context(FIXTURES / "example-chat" / "nginx.conf", rules)


def test_github_workflow_commands(rules: RuleSet) -> None:
    out = FORMATTERS["github"](_example(rules)).splitlines()
    assert len(out) == 3
    assert out[1].startswith(
        "::error file=example-chat/conf.d/chat.conf,line=22,col=9,title=WS103 connection-header-not-upgrade::"
    )
    assert all("\n" not in line for line in out)
    assert "%0AFix: Send an upgrade Connection header" in out[1]


def test_rdjson_and_rdjsonl_shapes_with_suggestions(rules: RuleSet) -> None:
    ctx = _example(rules)
    doc = json.loads(FORMATTERS["rdjson"](ctx))
    assert doc["source"]["name"] == "wslint"
    lines = [json.loads(line) for line in FORMATTERS["rdjsonl"](ctx).splitlines()]
    assert lines == doc["diagnostics"]
    severities = {"ERROR", "WARNING", "INFO"}
    for d, f in zip(doc["diagnostics"], ctx.findings, strict=True):
        assert set(d) >= {"message", "location", "severity", "code"}
        assert d["severity"] in severities and d["code"]["value"] == f.code
        assert d["location"]["path"] == f.path
        assert d["location"]["range"]["start"] == {"line": f.line, "column": f.column}
        for s in d.get("suggestions", []):
            assert set(s) == {"range", "text"} and set(s["range"]) == {"start", "end"}
    connection = doc["diagnostics"][1]
    (suggestion,) = connection["suggestions"]
    assert suggestion["range"]["start"] == {"line": 22, "column": 9}
    assert suggestion["text"] == 'proxy_set_header Connection "upgrade";'


def test_gitlab_code_quality(rules: RuleSet) -> None:
    ctx = _example(rules)
    issues = json.loads(FORMATTERS["gitlab"](ctx))
    assert len(issues) == len(ctx.findings)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_junit(rules: RuleSet) -> None:
    ctx = _example(rules)
    root = ET.fromstring(FORMATTERS["junit"](ctx))
    suite = root.find("testsuite")
    assert suite is not None
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == sorted(ctx.files)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    failing = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["example-chat/conf.d/chat.conf"]
    (failure,) = failing[0].findall("failure")
    assert failure.text is not None and len(failure.text.splitlines()) == 3


RDJSON = Path(__file__).parent / "data" / "rdjson"


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """reviewdog's schema with additionalProperties false everywhere: every field wslint writes is one it defines."""
    text = json.dumps(schema).replace('"additionalProperties": true', '"additionalProperties": false')
    return dict(json.loads(text))


@pytest.mark.parametrize("case", cases(), ids=lambda p: os.path.relpath(p, FIXTURES))
def test_rdjson_of_every_fixture_validates(case: Path, rules: RuleSet) -> None:
    ctx = context(case, rules)
    result = _closed(json.loads((RDJSON / "DiagnosticResult.json").read_text()))
    jsonschema.validate(json.loads(FORMATTERS["rdjson"](ctx)), result, cls=jsonschema.Draft4Validator)
    one = _closed(json.loads((RDJSON / "Diagnostic.json").read_text()))
    for line in FORMATTERS["rdjsonl"](ctx).splitlines():
        jsonschema.validate(json.loads(line), one, cls=jsonschema.Draft4Validator)
