"""The JUnit report as CI systems read it, validated against Jenkins' and Surefire's schemas.

tests/data/junit/ holds both schemas, unchanged (sources and licenses in
tests/data/README.md): Jenkins' xUnit plugin schema for the whole document
(`<testsuites>`), and Maven Surefire's stricter one (element order, `time` on
every test case) for each `<testsuite>`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from wslint.cli import app

from .test_cli import BROKEN, CLEAN

DATA = Path(__file__).parent / "data" / "junit"
JENKINS = etree.XMLSchema(etree.parse(str(DATA / "jenkins-junit-10.xsd")))
SUREFIRE = etree.XMLSchema(etree.parse(str(DATA / "surefire-test-report-3.0.2.xsd")))

# BROKEN has an error (WS103) and a warning (WS301, proxy_read_timeout 10s); this keeps only the warning
WARNING_ONLY = BROKEN.replace("proxy_set_header Connection keep-alive;", 'proxy_set_header Connection "upgrade";')
PARSE_ERROR = "server {\n    listen 81;\n    location / {\n        proxy_pass http://127.0.0.1:4000;\n}\n"


def junit(tmp_path: Path, files: dict[str, str], *args: str) -> tuple[int, etree._Element]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    out = tmp_path / "report.xml"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(
            app, [*files, "--format", "junit", "--output", str(out), *args], catch_exceptions=False
        )
    finally:
        os.chdir(cwd)
    root = etree.parse(str(out)).getroot()
    JENKINS.assertValid(root)
    for suite in root.iter("testsuite"):
        SUREFIRE.assertValid(etree.ElementTree(suite))
    _counts_agree(root)
    return result.exit_code, root


def _counts_agree(root: etree._Element) -> None:
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    for element in (root, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(sum(1 for c in cases if c.find("failure") is not None))
        assert element.get("errors") == str(sum(1 for c in cases if c.find("error") is not None))
    assert suite.get("skipped") == str(sum(1 for c in cases if c.find("skipped") is not None))
    # one failure per test case at most, as CI systems count them
    assert all(len(c.findall("failure")) <= 1 for c in cases)


def _case(root: etree._Element, name: str) -> etree._Element:
    (case,) = [c for c in root.iter("testcase") if c.get("name") == name]
    return case


def test_one_failure_per_file_with_every_finding(tmp_path: Path) -> None:
    code, root = junit(tmp_path, {"broken.conf": BROKEN, "clean.conf": CLEAN})
    assert code == 1
    broken = _case(root, "broken.conf")
    (failure,) = broken.findall("failure")
    lines = (failure.text or "").splitlines()
    assert [line.split()[2] for line in lines] == ["WS103", "WS301"]
    assert failure.get("message") == "2 findings: WS103, WS301"
    clean = _case(root, "clean.conf")
    assert list(clean) == []
    assert root.get("failures") == "1" and root.get("tests") == "2"


@pytest.mark.parametrize(
    ("fail_on", "failing", "passing"),
    [("error", ["WS103"], ["WS301"]), ("warning", ["WS103", "WS301"], []), ("never", [], ["WS103", "WS301"])],
)
def test_fail_on_decides_what_is_a_failure(
    tmp_path: Path, fail_on: str, failing: list[str], passing: list[str]
) -> None:
    code, root = junit(tmp_path, {"broken.conf": BROKEN}, "--fail-on", fail_on)
    assert code == (1 if failing else 0)
    case = _case(root, "broken.conf")
    failure = case.find("failure")
    assert ([line.split()[2] for line in (failure.text or "").splitlines()] if failure is not None else []) == failing
    out = case.find("system-out")
    below = [line.split()[2] for line in (out.text or "").splitlines()[1:]] if out is not None else []
    assert below == passing
    assert root.get("failures") == ("1" if failing else "0")
    (prop,) = [p for p in root.iter("property") if p.get("name") == "wslint.fail-on"]
    assert prop.get("value") == fail_on


def test_parse_errors_are_errors_not_failures(tmp_path: Path) -> None:
    code, root = junit(tmp_path, {"bad.conf": PARSE_ERROR, "broken.conf": BROKEN})
    assert code == 2
    bad = _case(root, "bad.conf")
    (error,) = bad.findall("error")
    assert error.get("type") == "parse" and (error.text or "").startswith("bad.conf:")
    assert bad.find("failure") is None
    assert root.get("errors") == "1" and root.get("failures") == "1"


def test_a_skipped_file_is_a_skipped_test_case(tmp_path: Path) -> None:
    code, root = junit(tmp_path, {"notes.conf": "just some words\n", "clean.conf": CLEAN}, "--skip-unknown")
    assert code == 0
    skipped = _case(root, "notes.conf")
    assert skipped.find("skipped") is not None
    (suite,) = root.findall("testsuite")
    assert suite.get("skipped") == "1"


def test_a_file_whose_findings_are_all_below_the_threshold_passes(tmp_path: Path) -> None:
    code, root = junit(tmp_path, {"site.conf": WARNING_ONLY}, "--fail-on", "error")
    assert code == 0
    case = _case(root, "site.conf")
    assert case.find("failure") is None
    out = case.find("system-out")
    assert out is not None and "WS301" in (out.text or "")
    assert root.get("failures") == "0"
