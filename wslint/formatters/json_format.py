"""The JSON report: a documented, versioned contract (see README, "JSON output")."""

from __future__ import annotations

from typing import Any

from wslint.findings import Diagnostic, Finding, Fix
from wslint.formatters import indented_json
from wslint.formatters.context import FormatContext

SCHEMA_VERSION = 1


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "description": fix.description,
        "snippet": fix.snippet,
        "edits": [
            {
                "path": e.path,
                "start_line": e.start_line,
                "start_column": e.start_column,
                "end_line": e.end_line,
                "end_column": e.end_column,
                "new_text": e.new_text,
            }
            for e in fix.edits
        ],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "code": f.code,
        "category": f.category,
        "severity": f.severity.label,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "proxy": f.proxy,
        "route": None
        if f.route is None
        else {
            "listener": f.route.listener,
            "match": f.route.match,
            "upstream": f.route.upstream,
            "websocket": f.route.websocket,
            "name": f.route.name,
            "also": list(f.related),
        },
        "fix": _fix(f.fix),
    }


def diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "severity": d.severity.label,
        "message": d.message,
        "path": d.path,
        "line": d.line,
        "column": d.column,
    }


def format_json(ctx: FormatContext) -> str:
    doc = {
        "version": SCHEMA_VERSION,
        "tool": {
            "name": "wslint",
            "version": ctx.tool_version,
            "proxy_versions": ctx.proxy_versions,
        },
        "findings": [finding_dict(f) for f in ctx.findings],
        "diagnostics": [diagnostic_dict(d) for d in ctx.diagnostics],
    }
    return indented_json.dumps(doc) + "\n"
