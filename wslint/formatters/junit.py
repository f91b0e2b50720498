"""JUnit XML: each linted file is a test case, each finding a failure of it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from wslint.findings import Severity
from wslint.formatters.context import FormatContext


def format_junit(ctx: FormatContext) -> str:
    failing = [f for f in ctx.findings if f.severity >= Severity.WARNING]
    suites = ET.Element("testsuites", name="wslint")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="wslint",
        tests=str(max(len(ctx.files), len({f.path for f in ctx.findings}))),
        failures=str(len(failing)),
        errors=str(sum(1 for d in ctx.diagnostics if d.severity >= Severity.ERROR)),
    )
    failures: dict[str, list[ET.Element]] = {}
    for f in ctx.findings:
        failure = ET.Element("failure", message=f"{f.code} {f.message}", type=f.rule)
        failure.text = f"{f.path}:{f.line}:{f.column or 1}: {f.severity.label} {f.code} [{f.rule}] {f.message}"
        failures.setdefault(f.path, []).append(failure)
    for path in sorted(set(ctx.files) | set(failures)):
        testcase = ET.SubElement(suite, "testcase", classname="wslint", name=path)
        testcase.extend(failures.get(path, []))
    for d in ctx.diagnostics:
        if d.severity >= Severity.ERROR:
            testcase = ET.SubElement(suite, "testcase", classname="wslint", name=d.path or "wslint")
            error = ET.SubElement(testcase, "error", message=d.message, type=d.kind)
            error.text = f"{d.path}:{d.line}: {d.message}" if d.path else d.message
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
