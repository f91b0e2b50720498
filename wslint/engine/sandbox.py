"""The Jinja environment rules run in.

Conditions, messages and fix templates come from rule files, which users can
write: they run in Jinja's immutable sandbox (no attribute starting with `_`,
no mutation of lists or dicts) with StrictUndefined, so a misspelled name is an
error instead of an empty string. Values taken from configurations are passed
as data and never compiled as templates: `{{ x }}` inside a config comes out
verbatim.
"""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from wslint.durations import format_duration


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def make_environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["duration"] = format_duration
    env.filters["plural"] = _plural
    env.filters["quote_nginx"] = quote_nginx
    return env


def quote_nginx(value: Any) -> str:
    """An nginx argument, quoted when it would not survive as a bare word."""
    text = str(value)
    if text == "" or any(c.isspace() or c in "{};#'\"\\" for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
