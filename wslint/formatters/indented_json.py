"""`json.dumps(value, indent=2, ensure_ascii=False)`, character for character, about twice as fast.

The json module writes indented JSON in Python, one generator per nested value
(its C encoder only writes unindented JSON), and a report of a few thousand
findings spent a tenth of its run there. This writes the same text by
appending to one list. It takes what reports are made of: dicts with string
keys, lists, tuples, strings, booleans, None, integers and floats; anything
else goes to json.dumps, which also decides what it would refuse.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any

_CONSTANTS = {True: "true", False: "false"}
_FLOAT_REPR = float.__repr__
# the key of a list's item in _members
_ITEM = object()


class _Other(Exception):
    """A value this module does not write itself."""


def _float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise _Other
    return _FLOAT_REPR(value)


def _write(value: Any, depth: int, out: list[str]) -> None:
    # json's own order of checks: strings, the constants, integers (bool is one), floats, sequences, dicts
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True or value is False:
        out.append(_CONSTANTS[value])
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        _members(((_ITEM, item) for item in value), "[", "]", depth, out)
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        _members(iter(value.items()), "{", "}", depth, out)
    else:
        raise _Other


def _members(members: Iterator[tuple[Any, Any]], opening: str, closing: str, depth: int, out: list[str]) -> None:
    """A list's items (key _ITEM) or a dict's pairs, one a line. A value of exactly str, int or bool, or
    None, is written here rather than by a call of _write: those calls were most of a large report's time.
    Subclasses (IntEnum, StrEnum) go to _write, which checks in json's order."""
    inner = "\n" + "  " * (depth + 1)
    lead = opening + inner
    for key, item in members:
        if key is not _ITEM:
            if not isinstance(key, str):
                raise _Other
            lead += encode_basestring(key) + ": "
        kind = type(item)
        if kind is str:
            out.append(lead + encode_basestring(item))
        elif item is None:
            out.append(lead + "null")
        elif kind is int:
            out.append(lead + int.__repr__(item))
        elif kind is bool:
            out.append(lead + _CONSTANTS[item])
        else:
            out.append(lead)
            _write(item, depth + 1, out)
        lead = "," + inner
    out.append("\n" + "  " * depth + closing)


def dumps(value: Any) -> str:
    out: list[str] = []
    try:
        _write(value, 0, out)
    except (_Other, RecursionError):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(out)
