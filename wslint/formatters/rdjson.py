"""reviewdog's Diagnostic Format (rdjson, and rdjsonl with one diagnostic per line).

Columns count UTF-8 bytes, as reviewdog does. Fix edits become `suggestions`,
which reviewdog posts as suggestion blocks a reviewer can commit with one click.
"""

from __future__ import annotations

import json
from typing import Any

from wslint.columns import Columns
from wslint.findings import Finding, Severity
from wslint.formatters import indented_json
from wslint.formatters.context import FormatContext
from wslint.project import home, rule_doc_url

SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}


def _source() -> dict[str, str]:
    url = home()
    return {"name": "wslint", **({"url": url} if url else {})}


def _position(columns: Columns, path: str, line: int, column: int) -> dict[str, int]:
    return {"line": line, "column": columns.column(path, line, column)}


def diagnostic(f: Finding, columns: Columns, documented: frozenset[str] = frozenset()) -> dict[str, Any]:
    start = _position(columns, f.path, f.line, f.column or 1)
    location_range: dict[str, Any] = {"start": start}
    if f.end_line is not None and f.end_column is not None:
        location_range["end"] = _position(columns, f.path, f.end_line, f.end_column)
    code: dict[str, str] = {"value": f.code}
    url = rule_doc_url(f.rule) if f.rule in documented else None
    if url is not None:
        code["url"] = url
    d: dict[str, Any] = {
        "message": f.message,
        "location": {"path": f.path, "range": location_range},
        "severity": SEVERITY[f.severity],
        "source": _source(),
        "code": code,
        "original_output": f"{f.path}:{f.line}:{f.column or 1}: {f.severity.label} {f.code} {f.message}",
    }
    if f.fix is not None and f.fix.edits:
        d["suggestions"] = [
            {
                "range": {
                    "start": _position(columns, e.path, e.start_line, e.start_column),
                    "end": _position(columns, e.path, e.end_line, e.end_column),
                },
                "text": e.new_text,
            }
            for e in f.fix.edits
            if e.path == f.path
        ]
    return d


def _diagnostics(ctx: FormatContext) -> list[dict[str, Any]]:
    columns = ctx.columns("utf8")
    documented = frozenset(s.id for s in ctx.rules if s.builtin)
    return [diagnostic(f, columns, documented) for f in ctx.findings]


def format_rdjson(ctx: FormatContext) -> str:
    doc = {"source": _source(), "severity": "ERROR", "diagnostics": _diagnostics(ctx)}
    return indented_json.dumps(doc) + "\n"


def format_rdjsonl(ctx: FormatContext) -> str:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in _diagnostics(ctx))
