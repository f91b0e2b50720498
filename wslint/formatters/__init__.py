"""Output formats: each is a pure function from a report to text."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from wslint.formatters.context import FormatContext

Formatter = Callable[[FormatContext], str]

# format name: (module, function); a run imports only the formatter it writes with
_WHERE: dict[str, tuple[str, str]] = {
    "text": ("text", "format_text"),
    "json": ("json_format", "format_json"),
    "sarif": ("sarif", "format_sarif"),
    "github": ("github", "format_github"),
    "rdjson": ("rdjson", "format_rdjson"),
    "rdjsonl": ("rdjson", "format_rdjsonl"),
    "gitlab": ("gitlab", "format_gitlab"),
    "junit": ("junit", "format_junit"),
}


class _Formatters(Mapping[str, Formatter]):
    """The formatters by name, each module imported when its formatter is first asked for."""

    def __getitem__(self, name: str) -> Formatter:
        module, function = _WHERE[name]
        found: Formatter = getattr(importlib.import_module(f"wslint.formatters.{module}"), function)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


FORMATTERS: Mapping[str, Formatter] = _Formatters()

__all__ = ["FORMATTERS", "FormatContext", "Formatter"]
