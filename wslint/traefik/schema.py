"""What Traefik's file decoder refuses in a configuration file, before anything is routed.

Traefik decodes a file-provider file (and its static configuration) with its
own decoder, which matches every key to a field of its Go structs by name,
case-insensitively, and stops at the first key it cannot place. Measured on
traefik 3.7 (tests/e2e/test_traefik_refusals.py):

- a dynamic file with a key in the wrong place is refused whole: the file
  provider logs `Cannot start the provider *file.Provider error="...: field
  not found, node: servces"` and applies none of its configuration; with a
  provider directory, none of the directory's files;
- the static configuration: traefik exits with `field not found`;
- keys at the top level other than the configuration's own sections are
  dropped without a word (YAML files keep anchors there), and so are keys
  whose value is null.

The field lists (wslint/data/traefik-schema.json) come from Traefik's
sources of several versions together: a key any of them accepts passes, and
whatever the schema does not describe (`any`) is not looked at, so that a
file Traefik takes is never called refused.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from wslint.model import Source
from wslint.traefik.located import Node

Part = Literal["dynamic", "static"]
# (shown name, kind, file tag)
Field = tuple[str, str, str]

_INT = re.compile(r"[+-]?\d+")
_DURATION = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
# what a YAML 1.1 reader (PyYAML) keeps as text but Go's YAML 1.2 reader may take for a number
_NUMBERISH = re.compile(r"[+-]?(?:0[xob][0-9a-fA-F_]+|[0-9_.]+(?:[eE][+-]?\d+)?|\.inf|\.nan)", re.I)
_GO_BOOLS = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
_YAML12_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
# sections that belong under http: (or tcp:) and are silently dropped at the top level
_MISPLACED_SECTIONS = {"routers", "services", "middlewares", "serverstransports"}


@dataclass(frozen=True)
class Refusal:
    """One key or value Traefik's decoder refuses, and the error Traefik logs for it."""

    message: str
    traefik_error: str
    source: Source


@cache
def _schema() -> dict[str, tuple[str, dict[str, dict[str, Field]]]]:
    raw = json.loads(resources.files("wslint.data").joinpath("traefik-schema.json").read_text(encoding="utf-8"))
    out: dict[str, tuple[str, dict[str, dict[str, Field]]]] = {}
    for part in ("dynamic", "static"):
        types = {
            name: {key: (f[0], f[1], f[2] if len(f) > 2 else "") for key, f in fields.items()}
            for name, fields in raw[part]["types"].items()
        }
        out[part] = (raw[part]["root"], types)
    return out


def top_level_sections(part: Part) -> set[str]:
    root, types = _schema()[part]
    return set(types[root])


def refusals(doc: Node, part: Part, yaml_text: str | None = None) -> list[Refusal]:
    """Every key and value of a file's document that Traefik's decoder refuses.

    `yaml_text` is the YAML the document was read from: booleans are judged as
    written there (`yes` is no boolean to Traefik). TOML's booleans are plain.
    """
    root, types = _schema()[part]
    checker = _Checker(types, yaml_text.split("\n") if yaml_text is not None else [])
    fields = types[root]
    for key, child in doc.items():
        # the decoder reads the configuration's own sections only; any other top-level key is dropped
        field = fields.get(key.lower())
        if field is not None and child.value is not None:
            checker.field(child, field, key, _key_source(doc, key, child))
    return checker.found


def misplaced_sections(doc: Node) -> list[tuple[str, Source]]:
    """Top-level `routers:`, `services:`... of a dynamic file: Traefik drops them without a word."""
    return [(key, _key_source(doc, key, child)) for key, child in doc.items() if key.lower() in _MISPLACED_SECTIONS]


def _key_source(parent: Node, key: str, child: Node) -> Source:
    return parent.keys.get(key) or child.entry or child.source


class _Checker:
    def __init__(self, types: dict[str, dict[str, Field]], lines: list[str]) -> None:
        self.types = types
        self.lines = lines
        self.found: list[Refusal] = []

    def refuse(self, message: str, traefik_error: str, source: Source) -> None:
        self.found.append(Refusal(message, traefik_error, source))

    def struct(self, node: Node, type_name: str, path: str) -> None:
        fields = self.types.get(type_name)
        if fields is None:
            return
        for key, child in node.items():
            if child.value is None:
                # a key without a value is skipped by the decoder, known or not
                continue
            field = fields.get(key.lower())
            where = _key_source(node, key, child)
            if field is None:
                near = difflib.get_close_matches(key.lower(), list(fields), n=1, cutoff=0.75)
                hint = f" (did you mean {fields[near[0]][0]!r}?)" if near else ""
                self.refuse(f"{key!r} is not a key of {path}{hint}", f"field not found, node: {key}", where)
                continue
            self.field(child, field, f"{path}.{key}", where)

    def field(self, node: Node, field: Field, path: str, where: Source) -> None:
        _, kind, tag = field
        if kind == "any" or tag == "-":
            return
        name = path.rsplit(".", 1)[-1]
        if kind.startswith(("struct:", "map:")):
            self.section(node, kind, tag, path, name, where)
        elif kind.startswith("list:"):
            self.items(node, kind.removeprefix("list:"), path)
        elif node.is_map and node.value:
            # Traefik names the field's Go kind: certain for text, int or int64 (and so on) for numbers
            error = f"invalid node {name}: string" if kind == "str" else f"invalid node {name}"
            self.refuse(f"{path} takes a single value, not a mapping", error, where)
        elif not node.is_list and not node.is_map:
            self.scalar(node, kind, path)

    def section(self, node: Node, kind: str, tag: str, path: str, name: str, where: Source) -> None:
        """A struct or a map: it needs keys (unless Traefik allows it empty), and they are checked."""
        may_be_empty = tag == "allowEmpty"
        if node.is_list:
            if kind.startswith("struct:") and any(item.is_map and item.value for item in node.value):
                self.refuse(f"{path} takes a mapping, not a list", f"field not found, node: {name}[0]", where)
            elif not node.value and not may_be_empty:
                self.refuse(f"{path} cannot be empty", f"{name} cannot be a standalone element", where)
            return
        if not node.is_map or not node.value:
            # `tls: true` or `tls: {}` on a router is allowed; `loadBalancer: {}` or `routers: x` is not
            if not may_be_empty:
                what = "empty" if node.is_map or node.value == "" else "a single value: it takes a mapping"
                self.refuse(f"{path} cannot be {what}", f"{name} cannot be a standalone element", where)
            return
        if kind.startswith("struct:"):
            self.struct(node, kind.removeprefix("struct:"), path)
            return
        value_kind = kind.removeprefix("map:")
        if value_kind.startswith("struct:"):
            for key, entry in node.items():
                if entry.is_map:
                    self.struct(entry, value_kind.removeprefix("struct:"), f"{path}.{key}")

    def items(self, node: Node, item_kind: str, path: str) -> None:
        if not node.is_list:
            # a single value is split on commas and a mapping's values taken as items: both accepted
            return
        for index, item in enumerate(node.value):
            if not item.is_map or not item.value:
                continue
            where = item.entry or item.source
            if item_kind.startswith("struct:"):
                self.struct(item, item_kind.removeprefix("struct:"), f"{path}[{index}]")
            elif item_kind in ("str", "int", "bool", "dur"):
                first = next(iter(item.value))
                self.refuse(
                    f"{path}[{index}] takes a single value, not a mapping", f"field not found, node: {first}", where
                )

    def scalar(self, node: Node, kind: str, path: str) -> None:
        text = self.go_text(node)
        if text is None:
            return
        if kind == "int" and not _INT.fullmatch(text):
            error = f'strconv.ParseInt: parsing "{text}": invalid syntax'
            self.refuse(f"{path} takes a whole number, not {text!r}", error, node.entry or node.source)
        elif kind == "bool" and text not in _GO_BOOLS:
            error = f'strconv.ParseBool: parsing "{text}": invalid syntax'
            self.refuse(f"{path} takes true or false, not {text!r}", error, node.entry or node.source)
        elif kind == "dur" and not (_INT.fullmatch(text) or _DURATION.fullmatch(text)):
            error = f'time: invalid duration "{text}"'
            self.refuse(
                f"{path} takes a duration (seconds, or like 30s or 1m30s), not {text!r}",
                error,
                node.entry or node.source,
            )

    def go_text(self, node: Node) -> str | None:
        """The value as Traefik's decoder hands it to its parsers, or None when that is unsure."""
        value = node.value
        if isinstance(value, bool):
            # PyYAML reads yes/no/on/off as booleans, Go's YAML reader as text
            written = self.written(node.source)
            if written is not None and written not in _YAML12_BOOLS:
                return written
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                return None
            # Go formats a float with six decimals and drops a ".000000"
            return str(int(value)) if value.is_integer() else f"{value:.6f}"
        if isinstance(value, str):
            # a number in a notation only one of the two YAML readers knows: not judged
            return None if _NUMBERISH.fullmatch(value) else value
        return None

    def written(self, source: Source) -> str | None:
        """The text of a one-line value as written in the file."""
        if not self.lines or not 1 <= source.line <= len(self.lines) or source.end_line != source.line:
            return None
        if source.column is None or source.end_column is None:
            return None
        line = self.lines[source.line - 1]
        return line[source.column - 1 : source.end_column - 1].strip() or None
