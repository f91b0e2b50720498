"""What every formatter receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from wslint.engine.schema import RuleSpec
from wslint.findings import Diagnostic, Finding


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

    @property
    def skipped(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.kind == "skipped")
