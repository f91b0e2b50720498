"""What every formatter receives."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wslint.columns import Columns, ColumnUnit
from wslint.engine.schema import RuleSpec
from wslint.findings import Diagnostic, Finding, Severity


def source_root(cwd: str | None = None) -> str:
    """The directory report paths are relative to in GitLab and SARIF: the git repository's top level,
    else the working directory."""
    from wslint.discovery import repository_root  # the adapters it imports are not needed before this

    here = Path(cwd or os.getcwd()).resolve()
    return str(repository_root(here) or here)


@dataclass(frozen=True)
class FormatContext:
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]
    tool_version: str
    proxy_versions: dict[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    color: bool = False
    # every rule that ran, for formats that describe rules (SARIF)
    rules: tuple[RuleSpec, ...] = ()
    quiet: bool = False
    suppressed: int = 0
    baselined: int = 0
    # text output lists what was not linted and why (skipped files)
    verbose: bool = False
    # the text of every file read, by display path: columns in other units are counted on it
    texts: Mapping[str, str] = field(default_factory=dict)
    # absolute: the repository root (see source_root) and the directory display paths are relative to;
    # without them paths are reported as they are
    root: str | None = None
    cwd: str | None = None
    # the lowest severity that fails the run (--fail-on); "never" fails on nothing
    fail_on: str = "warning"
    # the configuration file the settings came from (None: defaults and command line only)
    config: str | None = None

    @property
    def skipped(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.kind == "skipped")

    def columns(self, unit: ColumnUnit) -> Columns:
        return Columns(self.texts, unit)

    def fails(self, severity: Severity) -> bool:
        """Whether a finding of this severity fails the run (--fail-on)."""
        return self.fail_on != "never" and severity >= Severity.parse(self.fail_on)

    def from_root(self, path: str) -> str | None:
        """`path` relative to the repository root with `/` separators; None when it lies outside."""
        if self.root is None:
            return path.replace(os.sep, "/")
        absolute = os.path.normpath(os.path.join(self.cwd or os.getcwd(), path))
        rel = os.path.relpath(absolute, self.root) if os.path.isabs(absolute) else absolute
        if rel == ".." or rel.startswith(".." + os.sep):
            return None
        return rel.replace(os.sep, "/")
