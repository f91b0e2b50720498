"""Configuration values with the place they were written: YAML (every style) and TOML.

Traefik reads YAML, TOML and labels into the same structure; wslint keeps,
for every value, the file, line and column it came from, so that a finding
points at the router rule or the middleware line that breaks the handshake.
YAML is composed with PyYAML's SafeLoader (no unsafe tags); TOML is parsed by
`tomllib`, which has no positions, so a small line scanner finds where each
key was written.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from wslint import safe_yaml
from wslint.limits import Limits
from wslint.model import Source


class LoadError(Exception):
    """The text is not valid YAML or TOML; `line` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class Node:
    """One value: a scalar, a mapping of Nodes or a list of Nodes, and where it is.

    `source` spans the value; `entry` spans the whole `key: value` (or list item)
    that holds it, which is what a fix deletes.
    """

    value: Any
    source: Source
    entry: Source | None = None
    # mapping keys as written, in order (the value dict keeps the same order)
    keys: dict[str, Source] = field(default_factory=dict)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def get(self, name: str) -> Node | None:
        """A field by name, case-insensitively, as Traefik's configuration decoder matches fields."""
        if not isinstance(self.value, dict):
            return None
        if name in self.value:
            found: Node = self.value[name]
            return found
        wanted = name.lower()
        for key, child in self.value.items():
            if isinstance(key, str) and key.lower() == wanted:
                return child  # type: ignore[no-any-return]
        return None

    def path(self, *names: str) -> Node | None:
        node: Node | None = self
        for n in names:
            node = node.get(n) if node is not None else None
        return node

    def items(self) -> list[tuple[str, Node]]:
        if not isinstance(self.value, dict):
            return []
        return [(str(k), v) for k, v in self.value.items()]

    def elements(self) -> list[Node]:
        """A list's items; a comma-separated string (labels, CLI flags) counts as a list too."""
        if isinstance(self.value, list):
            return list(self.value)
        if isinstance(self.value, str):
            return [Node(part.strip(), self.source, self.entry) for part in self.value.split(",") if part.strip()]
        if isinstance(self.value, dict):
            # labels write lists as name[0]=..., name[1]=...
            keyed = [(k, v) for k, v in self.value.items() if str(k).isdigit()]
            return [v for _, v in sorted(keyed, key=lambda kv: int(kv[0]))]
        if self.value is None:
            return []
        return [self]

    def text(self) -> str | None:
        if self.value is None or isinstance(self.value, (dict, list)):
            return None
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    def truthy(self) -> bool:
        if isinstance(self.value, bool):
            return self.value
        if isinstance(self.value, str):
            return self.value.strip().lower() == "true"
        return False

    def plain(self) -> Any:
        """The value without positions."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def empty(path: str) -> Node:
    return Node({}, Source(path, 1, 1))


# -- YAML ---------------------------------------------------------------------


def _span(path: str, node: yaml.Node, end: yaml.Node | None = None) -> Source:
    last = end if end is not None else node
    return Source(
        path,
        node.start_mark.line + 1,
        node.start_mark.column + 1,
        last.end_mark.line + 1,
        last.end_mark.column + 1,
    )


def _convert(
    loader: yaml.SafeLoader, path: str, node: yaml.Node, depth: int = 0, seen: dict[int, Node] | None = None
) -> Node:
    if depth > 200:
        raise LoadError("nesting too deep", node.start_mark.line + 1)
    seen = {} if seen is None else seen
    done = seen.get(id(node))
    if done is not None:
        # an alias: the converted value is shared, only the holder's `entry` differs. Converting
        # it again would make the work (and memory) grow with the expanded document
        return replace(done, entry=None)
    converted = _convert_new(loader, path, node, depth, seen)
    seen[id(node)] = converted
    return converted


def _convert_new(loader: yaml.SafeLoader, path: str, node: yaml.Node, depth: int, seen: dict[int, Node]) -> Node:
    if isinstance(node, yaml.MappingNode):
        # `<<: *anchor` merge keys, as SafeLoader's own constructor resolves them
        loader.flatten_mapping(node)
        out: dict[str, Node] = {}
        keys: dict[str, Source] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            name = "" if key is None else str(key)
            child = _convert(loader, path, value_node, depth + 1, seen)
            child.entry = _span(path, key_node, value_node)
            out[name] = child
            keys[name] = _span(path, key_node)
        return Node(out, _span(path, node), keys=keys)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for item in node.value:
            child = _convert(loader, path, item, depth + 1, seen)
            child.entry = _span(path, item)
            items.append(child)
        return Node(items, _span(path, node))
    value = loader.construct_object(node, deep=True)
    return Node(value, _span(path, node))


def load_yaml_documents(text: str, path: str, limits: Limits | None = None) -> list[Node]:
    """Every document of a YAML stream (Kubernetes files hold several), bounded against alias bombs."""
    try:
        bounds = limits or Limits()
        roots = safe_yaml.compose_all(text, path, safe_yaml.Limits(bounds.yaml_nodes, bounds.nesting))
    except safe_yaml.YamlError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        raise LoadError(message, exc.line) from None
    loader = yaml.SafeLoader("")
    try:
        return [_convert(loader, path, node) for node in roots]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LoadError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}", mark.line + 1 if mark else None
        ) from None
    except RecursionError:
        raise LoadError("nested too deeply to read") from None
    finally:
        loader.dispose()


# -- TOML ---------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(#.*)?$")
_KEY_LINE = re.compile(
    r"""^(\s*)((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_KEY_PART = re.compile(r"""[A-Za-z0-9_\-]+|"((?:[^"\\]|\\.)*)"|'([^']*)'""")


def _toml_key(text: str) -> list[str]:
    parts = []
    for m in _KEY_PART.finditer(text):
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(m.group(2))
        else:
            parts.append(m.group(0))
    return parts


def _value_end(line: str, start: int) -> int:
    """Column (0-based, exclusive) where a value written on this line ends, before a comment."""
    quote: str | None = None
    i = start
    end = len(line.rstrip())
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            end = len(line[:i].rstrip())
            break
        i += 1
    return end


def _toml_positions(text: str, path: str) -> dict[tuple[str, ...], Source]:
    """Where each key path (array-of-tables items indexed) was written."""
    positions: dict[tuple[str, ...], Source] = {}
    table: tuple[str, ...] = ()
    counters: dict[tuple[str, ...], int] = {}
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line) if stripped.startswith("[") else None
        if header is not None:
            keys = tuple(_toml_key(header.group(2)))
            if header.group(1) == "[[":
                index = counters.get(keys, -1) + 1
                counters[keys] = index
                table = (*keys, str(index))
            else:
                # a sub-table of the latest array-of-tables item belongs to that item
                table = _under_array(keys, counters)
            col = len(line) - len(line.lstrip()) + 1
            positions.setdefault(table, Source(path, number, col, number, len(line.rstrip()) + 1))
            continue
        m = _KEY_LINE.match(line)
        if m is None:
            continue
        keys = tuple(_toml_key(m.group(2)))
        full = (*table, *keys)
        start = len(m.group(1))
        end = _value_end(line, m.end())
        positions[full] = Source(path, number, start + 1, number, end + 1)
    return positions


def _under_array(keys: tuple[str, ...], counters: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    for n in range(len(keys) - 1, 0, -1):
        prefix = keys[:n]
        if prefix in counters:
            return (*prefix, str(counters[prefix]), *keys[n:])
    return keys


def _from_plain(value: Any, path: str, at: tuple[str, ...], positions: dict[tuple[str, ...], Source]) -> Node:
    if len(at) > 200:
        where = positions.get(at) or _nearest(at, positions)
        raise LoadError("nested more than 200 levels deep (limits: nesting)", where.line if where else None)
    here = positions.get(at)
    fallback = here or _nearest(at, positions) or Source(path, 1, 1)
    if isinstance(value, dict):
        children = {k: _from_plain(v, path, (*at, k), positions) for k, v in value.items()}
        keys = {k: c.entry or c.source for k, c in children.items()}
        return Node(children, fallback, entry=here, keys=keys)
    if isinstance(value, list):
        items = [_from_plain(v, path, (*at, str(i)), positions) for i, v in enumerate(value)]
        for item in items:
            if item.entry is None:
                item.source = fallback
        return Node(items, fallback, entry=here)
    return Node(value, fallback, entry=here)


def _nearest(at: tuple[str, ...], positions: dict[tuple[str, ...], Source]) -> Source | None:
    for n in range(len(at) - 1, 0, -1):
        if at[:n] in positions:
            return positions[at[:n]]
    return None


def load_toml(text: str, path: str) -> Node:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        column = int(m.group(2)) if m else None
        raise LoadError(f"not valid TOML: {str(exc).split(' (at line')[0]}", line, column) from None
    return _from_plain(data, path, (), _toml_positions(text, path))


def looks_like_toml(text: str) -> bool:
    """TOML tables (`[http.routers.x]`) or `key = value` lines; YAML has neither at the top level."""
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        return bool(re.match(r"^\[\[?[A-Za-z0-9_\-.\"' ]+\]\]?\s*(#.*)?$", s) or _KEY_LINE.match(line))
    return False
