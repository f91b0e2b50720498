"""SARIF 2.1.0, as GitHub code scanning and other review tools read it.

Columns count UTF-16 code units (the run says so in `columnKind`), fix
replacements included. Paths are relative to the repository root, named
`%SRCROOT%` in `originalUriBaseIds`; a file outside it gets an absolute URI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wslint.columns import Columns
from wslint.docs import render_markdown, render_text
from wslint.engine.schema import RuleSpec
from wslint.findings import Finding, Severity
from wslint.formatters import indented_json
from wslint.formatters.context import FormatContext
from wslint.project import home, rule_doc_path, rule_doc_url

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT = "%SRCROOT%"


def _artifact(ctx: FormatContext, path: str) -> dict[str, str]:
    rel = ctx.from_root(path)
    if rel is None:
        return {"uri": Path(os.path.join(ctx.cwd or os.getcwd(), path)).resolve().as_uri()}
    while rel.startswith("./"):
        rel = rel[2:]
    return {"uri": quote(rel), "uriBaseId": SRCROOT}


def _rule(spec: RuleSpec) -> dict[str, Any]:
    text, markdown = render_text(spec), render_markdown(spec)
    url = rule_doc_url(spec.id) if spec.builtin else None
    if spec.builtin and url is None:
        where = f"{rule_doc_path(spec.id)} in the wslint repository"
        text += f"\nDocumentation: {where}\n"
        markdown += f"\nDocumentation: `{where}`\n"
    rule: dict[str, Any] = {
        "id": spec.code,
        "name": spec.id,
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": " ".join(spec.why.split())},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[spec.severity]},
        "properties": {"category": spec.category, "tags": [spec.category, *spec.proxies]},
    }
    if url is not None:
        rule["helpUri"] = url
    return rule


def _region(columns: Columns, path: str, line: int, column: int | None, end: tuple[int, int] | None = None) -> Any:
    region = {"startLine": line}
    if column is not None:
        region["startColumn"] = columns.column(path, line, column)
    if end is not None:
        region["endLine"] = end[0]
        region["endColumn"] = columns.column(path, *end)
    return region


def _result(ctx: FormatContext, f: Finding, index: dict[str, int], columns: Columns) -> dict[str, Any]:
    end = (f.end_line, f.end_column) if f.end_line is not None and f.end_column is not None else None
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(ctx, f.path),
                    "region": _region(columns, f.path, f.line, f.column, end),
                }
            }
        ],
        "partialFingerprints": {"wslint/v1": f.fingerprint},
        "properties": {"category": f.category, "rule": f.rule},
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    if f.route is not None:
        result["properties"]["route"] = {"listener": f.route.listener, "match": f.route.match}
    if f.fix is not None and f.fix.edits:
        by_file: dict[str, list[dict[str, Any]]] = {}
        for e in f.fix.edits:
            by_file.setdefault(e.path, []).append(
                {
                    "deletedRegion": _region(columns, e.path, e.start_line, e.start_column, (e.end_line, e.end_column)),
                    "insertedContent": {"text": e.new_text},
                }
            )
        result["fixes"] = [
            {
                "description": {"text": f.fix.description},
                "artifactChanges": [
                    {"artifactLocation": _artifact(ctx, p), "replacements": reps} for p, reps in by_file.items()
                ],
            }
        ]
    return result


def _notification(ctx: FormatContext, d: Any, columns: Columns) -> dict[str, Any]:
    note: dict[str, Any] = {"level": LEVEL[d.severity], "message": {"text": d.message}, "descriptor": {"id": d.kind}}
    if d.path:
        physical: dict[str, Any] = {"artifactLocation": _artifact(ctx, d.path)}
        if d.line:
            physical["region"] = _region(columns, d.path, d.line, d.column)
        note["locations"] = [{"physicalLocation": physical}]
    return note


def format_sarif(ctx: FormatContext) -> str:
    specs = sorted(ctx.rules, key=lambda s: s.code)
    index = {s.code: i for i, s in enumerate(specs)}
    columns = ctx.columns("utf16")
    root: dict[str, Any] = (
        {"uri": Path(ctx.root).as_uri().rstrip("/") + "/"}
        if ctx.root is not None
        else {"description": {"text": "the directory wslint ran in"}}
    )
    driver: dict[str, Any] = {"name": "wslint", "version": ctx.tool_version}
    if home() is not None:
        driver["informationUri"] = home()
    driver["rules"] = [_rule(s) for s in specs]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: root},
                "columnKind": "utf16CodeUnits",
                "invocations": [
                    {
                        "executionSuccessful": not any(d.severity >= Severity.ERROR for d in ctx.diagnostics),
                        "toolExecutionNotifications": [_notification(ctx, d, columns) for d in ctx.diagnostics],
                        # which settings produced the results: a pull request can change the file
                        **({"properties": {"configurationFile": ctx.config}} if ctx.config else {}),
                    }
                ],
                "results": [_result(ctx, f, index, columns) for f in ctx.findings],
            }
        ],
    }
    return indented_json.dumps(doc) + "\n"
