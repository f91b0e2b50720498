"""Output formats: each is a pure function from a report to text."""

from __future__ import annotations

from collections.abc import Callable

from wslint.formatters.context import FormatContext
from wslint.formatters.github import format_github
from wslint.formatters.gitlab import format_gitlab
from wslint.formatters.json_format import format_json
from wslint.formatters.junit import format_junit
from wslint.formatters.rdjson import format_rdjson, format_rdjsonl
from wslint.formatters.sarif import format_sarif
from wslint.formatters.text import format_text

Formatter = Callable[[FormatContext], str]

FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
    "rdjson": format_rdjson,
    "rdjsonl": format_rdjsonl,
    "gitlab": format_gitlab,
    "junit": format_junit,
}

__all__ = ["FORMATTERS", "FormatContext", "Formatter"]
