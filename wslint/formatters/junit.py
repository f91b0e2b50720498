"""JUnit XML as CI systems read it (Jenkins, GitLab, Azure, Surefire-style tools).

One test case per linted file. A file fails (one `<failure>`, listing every
finding at or above --fail-on) or passes; findings below the threshold are not
failures and go to the test case's `<system-out>`. Input errors (a file that
does not parse, a bad suppression) are the test case's `<error>`, other input
warnings its `<system-err>`, and a file wslint skipped is a skipped test case.
Problems that concern no file are a test case named `wslint`. The counts on
`<testsuite>` and `<testsuites>` are those of the test cases. Validated against
Jenkins' and Surefire's schemas (tests/data/junit/).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from wslint.findings import Diagnostic, Finding, Severity
from wslint.formatters.context import FormatContext

WSLINT = "wslint"


@dataclass
class _Case:
    failing: list[Finding] = field(default_factory=list)
    passing: list[Finding] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    skipped: list[Diagnostic] = field(default_factory=list)


def _finding_line(f: Finding) -> str:
    where = f"{f.path}:{f.line}:{f.column}" if f.column is not None else f"{f.path}:{f.line}"
    return f"{where}: {f.severity.label} {f.code} [{f.rule}] {f.message}"


def _diagnostic_line(d: Diagnostic) -> str:
    where = f"{d.path}:{d.line}: " if d.path and d.line else (f"{d.path}: " if d.path else "")
    return f"{where}{d.severity.label}: {d.message} ({d.kind})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _cases(ctx: FormatContext) -> dict[str, _Case]:
    cases: dict[str, _Case] = {path: _Case() for path in ctx.files}
    for f in ctx.findings:
        case = cases.setdefault(f.path, _Case())
        (case.failing if ctx.fails(f.severity) else case.passing).append(f)
    for d in ctx.diagnostics:
        case = cases.setdefault(d.path or WSLINT, _Case())
        if d.kind == "skipped":
            case.skipped.append(d)
        elif d.severity >= Severity.ERROR:
            case.errors.append(d)
        else:
            case.warnings.append(d)
    return cases


def _testcase(name: str, case: _Case) -> ET.Element:
    testcase = ET.Element("testcase", classname=WSLINT, name=name, time="0")
    if case.failing:
        codes = sorted({f.code for f in case.failing})
        failure = ET.SubElement(
            testcase,
            "failure",
            message=f"{_plural(len(case.failing), 'finding')}: {', '.join(codes)}",
            type=codes[0] if len(codes) == 1 else "wslint-findings",
        )
        failure.text = "\n".join(_finding_line(f) for f in case.failing)
    if case.skipped and not (case.failing or case.errors):
        ET.SubElement(testcase, "skipped", message=case.skipped[0].message)
    if case.errors:
        error = ET.SubElement(
            testcase,
            "error",
            message=case.errors[0].message,
            type=case.errors[0].kind,
        )
        error.text = "\n".join(_diagnostic_line(d) for d in case.errors)
    if case.passing:
        out = ET.SubElement(testcase, "system-out")
        out.text = "below --fail-on, not failures:\n" + "\n".join(_finding_line(f) for f in case.passing)
    if case.warnings:
        err = ET.SubElement(testcase, "system-err")
        err.text = "\n".join(_diagnostic_line(d) for d in case.warnings)
    return testcase


def format_junit(ctx: FormatContext) -> str:
    cases = _cases(ctx)
    testcases = [_testcase(name, cases[name]) for name in sorted(cases)]
    counts = {
        "tests": str(len(testcases)),
        "failures": str(sum(1 for t in testcases if t.find("failure") is not None)),
        "errors": str(sum(1 for t in testcases if t.find("error") is not None)),
    }
    skipped = str(sum(1 for t in testcases if t.find("skipped") is not None))
    suites = ET.Element("testsuites", {"name": WSLINT, "time": "0", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": WSLINT, "time": "0", **counts, "skipped": skipped})
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="wslint.version", value=ctx.tool_version)
    ET.SubElement(properties, "property", name="wslint.fail-on", value=ctx.fail_on)
    suite.extend(testcases)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
