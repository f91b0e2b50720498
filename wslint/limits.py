"""Bounds on what wslint reads, so hostile input cannot make it hang or eat memory.

Each limit is generous for real configurations and configurable (the `limits:`
key of the config file). Exceeding one is a diagnostic with file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

_SIZE = re.compile(r"^\s*(\d+)\s*(b|kb|k|mb|m|gb|g)?\s*$", re.IGNORECASE)
_UNITS = {None: 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


@dataclass(frozen=True)
class Limits:
    file_size: int = 10 * 1024 * 1024  # bytes per file
    files: int = 10_000  # files per configuration (includes and globs)
    include_depth: int = 64  # includes within includes
    nesting: int = 200  # blocks within blocks
    yaml_nodes: int = 2_000_000  # nodes of a YAML document with aliases expanded (a 10 MB file holds fewer)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name.replace("_", "-") for f in fields(cls))


def parse_size(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = _SIZE.match(str(value))
    if m is None:
        return None
    return int(m.group(1)) * _UNITS[m.group(2).lower() if m.group(2) else None]
