"""GitLab's Code Quality report (the subset of Code Climate's format GitLab reads).

GitLab matches `location.path` against the files of the merge request, so it is
relative to the repository root (see FormatContext.from_root), wherever wslint ran.
"""

from __future__ import annotations

from wslint.findings import Severity
from wslint.formatters import indented_json
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
            "location": {"path": ctx.from_root(f.path) or f.path, "lines": {"begin": f.line}},
        }
        for f in ctx.findings
    ]
    return indented_json.dumps(issues) + "\n"
