"""Baselines: accept today's findings of a legacy configuration, fail only on new ones.

Findings are recorded by fingerprint (rule, file, the flagged line's text and
route; not the line number), so editing other parts of a file keeps them
matched.
"""

from __future__ import annotations

import json
from pathlib import Path

from wslint.findings import Finding
from wslint.limits import Limits
from wslint.textfiles import TextFileError, read_text

VERSION = 1


class BaselineError(Exception):
    """A baseline file wslint cannot read."""


def write(path: Path, findings: list[Finding]) -> str:
    doc = {
        "version": VERSION,
        "tool": "wslint",
        "findings": [
            {
                "fingerprint": f.fingerprint,
                "rule": f.rule,
                "path": f.path,
                "line": f.line,
                "message": f.message,
            }
            for f in findings
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def read(path: Path) -> set[str]:
    try:
        doc = json.loads(read_text(str(path), str(path), Limits().file_size))
    except TextFileError as exc:
        raise BaselineError(f"cannot read the baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a wslint baseline: {exc}") from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{path}: not a wslint baseline (version {VERSION})")
    return {str(f.get("fingerprint")) for f in doc["findings"] if isinstance(f, dict)}


def apply(findings: list[Finding], known: set[str]) -> tuple[list[Finding], int]:
    """(findings not in the baseline, how many were)."""
    kept = [f for f in findings if f.fingerprint not in known]
    return kept, len(findings) - len(kept)
