"""GitLab's Code Quality report (the subset of Code Climate's format GitLab reads)."""

from __future__ import annotations

import json

from wslint.findings import Severity
from wslint.formatters.context import FormatContext

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def format_gitlab(ctx: FormatContext) -> str:
    issues = [
        {
            "type": "issue",
            "check_name": f.rule,
            "description": f"{f.code} {f.message}",
            "categories": ["Bug Risk"],
            "severity": SEVERITY[f.severity],
            "fingerprint": f.fingerprint,
            "location": {"path": f.path, "lines": {"begin": f.line}},
        }
        for f in ctx.findings
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
