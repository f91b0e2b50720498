"""Output formats: each is a pure function from a report to text."""

from __future__ import annotations

from collections.abc import Callable

from wslint.formatters.context import FormatContext
from wslint.formatters.json_format import format_json
from wslint.formatters.text import format_text

Formatter = Callable[[FormatContext], str]

FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
}

__all__ = ["FORMATTERS", "FormatContext", "Formatter"]
