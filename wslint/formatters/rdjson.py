"""reviewdog's Diagnostic Format (rdjson, and rdjsonl with one diagnostic per line).

Fix edits become `suggestions`, which reviewdog posts as suggestion blocks a
reviewer can commit with one click.
"""

from __future__ import annotations

import json
from typing import Any

from wslint.findings import Finding, Severity
from wslint.formatters.context import FormatContext

SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}
SOURCE = {"name": "wslint", "url": "https://pypi.org/project/wslint/"}


def _position(line: int, column: int | None) -> dict[str, int]:
    return {"line": line, "column": column or 1}


def diagnostic(f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {
        "message": f.message,
        "location": {"path": f.path, "range": {"start": _position(f.line, f.column)}},
        "severity": SEVERITY[f.severity],
        "source": SOURCE,
        "code": {"value": f.code, "url": f"https://pypi.org/project/wslint/#{f.rule}"},
        "original_output": f"{f.path}:{f.line}:{f.column or 1}: {f.severity.label} {f.code} {f.message}",
    }
    if f.fix is not None and f.fix.edits:
        d["suggestions"] = [
            {
                "range": {
                    "start": {"line": e.start_line, "column": e.start_column},
                    "end": {"line": e.end_line, "column": e.end_column},
                },
                "text": e.new_text,
            }
            for e in f.fix.edits
            if e.path == f.path
        ]
    return d


def format_rdjson(ctx: FormatContext) -> str:
    doc = {"source": SOURCE, "severity": "ERROR", "diagnostics": [diagnostic(f) for f in ctx.findings]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def format_rdjsonl(ctx: FormatContext) -> str:
    return "".join(json.dumps(diagnostic(f), ensure_ascii=False) + "\n" for f in ctx.findings)
