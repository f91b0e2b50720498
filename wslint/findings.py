"""What a lint run produces: findings (rule verdicts) and diagnostics (problems with the input)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal


class Severity(IntEnum):
    """Ordered so that `max()` picks the most severe and `>=` compares with --fail-on."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace the text between two positions (1-based, end exclusive) with `new_text`.

    An insertion has start == end; a deletion has an empty `new_text`. This is
    the shape SARIF replacements and reviewdog suggestions use, so a later
    `--fix` and the bot formats can apply it as is.
    """

    path: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    new_text: str


@dataclass(frozen=True)
class Fix:
    description: str
    snippet: str
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True)
class RouteRef:
    """The route a finding concerns, as the JSON contract shows it."""

    listener: str
    match: str | None
    upstream: str | None
    websocket: str
    # how the proxy names the route ("location /ws/", "router chat"); None when no route matched
    name: str | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    code: str
    category: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int | None
    proxy: str
    route: RouteRef | None = None
    fix: Fix | None = None
    end_line: int | None = None
    end_column: int | None = None
    related: tuple[str, ...] = field(default=())
    # identifies the finding across unrelated edits (line shifts): for SARIF,
    # baselines and code-review bots
    fingerprint: str = ""
    # opening lines (path, line) of the blocks the finding sits in, where a
    # suppression comment may stand for the whole block
    anchors: tuple[tuple[str, int], ...] = ()

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column or 0, self.code, self.message)


DiagnosticKind = Literal["usage", "config", "parse", "io", "include", "internal", "rule", "skipped"]


@dataclass(frozen=True)
class Diagnostic:
    """A problem with the input or with wslint itself, never a verdict on the configuration."""

    kind: DiagnosticKind
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path or "", self.line or 0, self.column or 0, self.message)
