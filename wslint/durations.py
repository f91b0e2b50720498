"""Time values as proxies write them ("60", "90s", "1m30s", "1h", "500ms")."""

from __future__ import annotations

import re

_UNITS = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "M": 2592000.0,
    "y": 31536000.0,
}
_PART = re.compile(r"\s*(\d+)(ms|s|m|h|d|w|M|y)?\s*")
# the longest time any proxy stores (nginx: milliseconds in a signed 64-bit integer, about 292 million
# years); a longer one is no time value, and its digits would overflow a float
MAX_SECONDS = float((2**63 - 1) // 1000)


def bounded_seconds(value: float) -> float | None:
    """`value` when it is a time a proxy can hold (0 to MAX_SECONDS), None otherwise."""
    return value if 0 <= value <= MAX_SECONDS else None


def parse_duration(text: str, default_unit: str = "s") -> float | None:
    """Seconds for an nginx-style time value, None when it is not one."""
    text = text.strip()
    if not text:
        return None
    pos = 0
    total = 0.0
    while pos < len(text):
        m = _PART.match(text, pos)
        if not m or m.end() == pos:
            return None
        digits = m.group(1)
        if len(digits) > 20:
            return None
        total += int(digits) * _UNITS[m.group(2) or default_unit]
        pos = m.end()
    return bounded_seconds(total)


def format_duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds >= 600 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds:g}s"
