"""SARIF 2.1.0, as GitHub code scanning and other review tools read it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wslint.engine.schema import RuleSpec
from wslint.findings import Finding, Severity
from wslint.formatters.context import FormatContext

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
INFORMATION_URI = "https://pypi.org/project/wslint/"


def _artifact(path: str) -> dict[str, str]:
    """Relative paths stay relative to the directory wslint ran in (SRCROOT)."""
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    uri = path.replace(os.sep, "/")
    while uri.startswith("./"):
        uri = uri[2:]
    return {"uri": quote(uri), "uriBaseId": "SRCROOT"}


def _rule(spec: RuleSpec) -> dict[str, Any]:
    why = " ".join(spec.why.split())
    client = " ".join(spec.client_sees.split())
    refs = "\n".join(f"- {r}" for r in spec.references)
    return {
        "id": spec.code,
        "name": spec.id,
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": why},
        "help": {
            "text": f"{why}\n\nWhat the client sees: {client}\n\nReferences:\n{refs}",
            "markdown": (f"**{spec.title}**\n\n{why}\n\n*What the client sees:* {client}\n\n**References**\n\n{refs}"),
        },
        "helpUri": spec.references[0],
        "defaultConfiguration": {"level": LEVEL[spec.severity]},
        "properties": {"category": spec.category, "tags": [spec.category, *spec.proxies]},
    }


def _region(line: int, column: int | None) -> dict[str, int]:
    region = {"startLine": line}
    if column is not None:
        region["startColumn"] = column
    return region


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(f.path),
                    "region": _region(f.line, f.column),
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
                    "deletedRegion": {
                        "startLine": e.start_line,
                        "startColumn": e.start_column,
                        "endLine": e.end_line,
                        "endColumn": e.end_column,
                    },
                    "insertedContent": {"text": e.new_text},
                }
            )
        result["fixes"] = [
            {
                "description": {"text": f.fix.description},
                "artifactChanges": [
                    {"artifactLocation": _artifact(p), "replacements": reps} for p, reps in by_file.items()
                ],
            }
        ]
    return result


def format_sarif(ctx: FormatContext) -> str:
    specs = sorted(ctx.rules, key=lambda s: s.code)
    index = {s.code: i for i, s in enumerate(specs)}
    notifications = [
        {
            "level": LEVEL[d.severity],
            "message": {"text": d.message},
            "descriptor": {"id": d.kind},
            **(
                {
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": _artifact(d.path),
                                **({"region": _region(d.line, d.column)} if d.line else {}),
                            }
                        }
                    ]
                }
                if d.path
                else {}
            ),
        }
        for d in ctx.diagnostics
    ]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wslint",
                        "version": ctx.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(s) for s in specs],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the directory wslint ran in"}}},
                "invocations": [
                    {
                        "executionSuccessful": not any(d.severity >= Severity.ERROR for d in ctx.diagnostics),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": [_result(f, index) for f in ctx.findings],
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
