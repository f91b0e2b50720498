"""Inline suppressions: `# wslint: ignore[RULE, ...] reason` in the proxy's own comment syntax.

A suppression covers findings on its own line (a trailing comment), on the
line right below it, or, when written on (or right above) a block's opening
line, every finding inside that block. The reason is required: a suppression
without one suppresses nothing and is reported. A suppression that matches no
finding is reported too, so that they do not rot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from wslint.findings import Diagnostic, Finding, Severity

MARKER = re.compile(r"#\s*wslint:\s*ignore\[([^\]]*)\]\s*(.*)$", re.IGNORECASE)


@dataclass
class Suppression:
    path: str
    line: int
    keys: tuple[str, ...]
    reason: str
    comment_only: bool
    used: set[str] = field(default_factory=set)


def scan(texts: Mapping[str, str]) -> list[Suppression]:
    out: list[Suppression] = []
    for path, text in texts.items():
        if "wslint:" not in text:
            continue
        for number, line in enumerate(text.split("\n"), 1):
            m = MARKER.search(line)
            if m is None:
                continue
            keys = tuple(k.strip() for k in m.group(1).split(",") if k.strip())
            comment_only = line.lstrip().startswith("#")
            out.append(Suppression(path, number, keys, m.group(2).strip(), comment_only))
    return out


def _covers(s: Suppression, f: Finding) -> bool:
    if s.path != f.path and all(s.path != p for p, _ in f.anchors):
        return False
    if s.path == f.path and (s.line == f.line or (s.comment_only and s.line == f.line - 1)):
        return True
    return any(
        s.path == path and (s.line == line or (s.comment_only and s.line == line - 1)) for path, line in f.anchors
    )


def apply(
    findings: list[Finding],
    suppressions: list[Suppression],
    matches: Callable[[Finding, str], bool],
    known: Callable[[str], bool],
    diagnostics: list[Diagnostic],
) -> list[Finding]:
    """Findings not suppressed; problems with the suppressions become diagnostics."""
    valid: list[Suppression] = []
    for s in suppressions:
        unknown = [k for k in s.keys if not known(k)]
        if not s.keys or unknown:
            what = f"unknown rule {unknown[0]!r}" if unknown else "no rule named"
            diagnostics.append(Diagnostic("config", Severity.ERROR, f"suppression with {what}", s.path, s.line))
        elif not s.reason:
            diagnostics.append(
                Diagnostic(
                    "config",
                    Severity.ERROR,
                    f"suppression of {', '.join(s.keys)} needs a reason after the brackets",
                    s.path,
                    s.line,
                )
            )
        else:
            valid.append(s)
    kept: list[Finding] = []
    for f in findings:
        hit = None
        for s in valid:
            key = next((k for k in s.keys if matches(f, k)), None)
            if key is not None and _covers(s, f):
                hit = s
                s.used.add(key)
                break
        if hit is None:
            kept.append(f)
    for s in valid:
        for key in s.keys:
            if key not in s.used:
                diagnostics.append(
                    Diagnostic(
                        "config",
                        Severity.WARNING,
                        f"unused suppression of {key}: nothing here is reported any more; remove it",
                        s.path,
                        s.line,
                    )
                )
    return kept
