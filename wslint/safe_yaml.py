"""Loading YAML that strangers wrote: safe, bounded, and strict about duplicate keys.

Only PyYAML's SafeLoader is used (no object construction). Before anything is
constructed, the node graph is measured with aliases expanded, so an alias
bomb ("billion laughs") is refused in microseconds instead of exhausting
memory later; a key written twice in one mapping, which PyYAML silently
resolves to the last value, is an error naming both lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

# PyYAML is imported on first use: a run whose rule files come from the cache reads no YAML
if TYPE_CHECKING:
    import yaml

# scalars whose value a constructor converts, and can fail to: an explicit `!!int abc`, `!!timestamp abc`
# or `!!bool maybe`, a date that does not exist, an integer of more digits than Python converts
_CONVERTED = {f"tag:yaml.org,2002:{name}": name for name in ("int", "float", "bool", "timestamp", "binary")}


class _Yaml(NamedTuple):
    loader: type[yaml.SafeLoader]
    constructor: yaml.constructor.SafeConstructor
    conversion_errors: tuple[type[BaseException], ...]


@cache
def _yaml() -> _Yaml:
    import yaml

    return _Yaml(
        # libyaml's C loader when PyYAML was built with it: same nodes, several times faster
        getattr(yaml, "CSafeLoader", yaml.SafeLoader),
        yaml.constructor.SafeConstructor(),
        (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError, yaml.YAMLError),
    )


DEFAULT_MAX_NODES = 2_000_000
DEFAULT_MAX_DEPTH = 200


class YamlError(Exception):
    """The YAML cannot be used; the message names the source and, where known, the line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Limits:
    max_nodes: int = DEFAULT_MAX_NODES
    max_depth: int = DEFAULT_MAX_DEPTH


def _measure(root: yaml.Node, limits: Limits, source: str) -> None:
    """Expanded node count and depth, computed once per distinct node (aliases share nodes)."""
    sizes: dict[int, int] = {}
    # iterative post-order walk: deep documents must not hit Python's recursion limit
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > limits.max_nodes:
                raise YamlError(
                    f"{source}: the document expands to more than {limits.max_nodes} nodes "
                    "(an alias bomb, or a file far larger than a configuration)",
                    node.start_mark.line + 1,
                )
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if depth > limits.max_depth:
            raise YamlError(f"{source}: nested deeper than {limits.max_depth} levels", node.start_mark.line + 1)
        if key in on_path:
            raise YamlError(f"{source}: a recursive alias", node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _duplicates(root: yaml.Node, source: str) -> None:
    import yaml

    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.ScalarNode) and node.tag in _CONVERTED:
            _check_scalar(node, source)
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for k, _ in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    line = k.start_mark.line + 1
                    if k.value in keys:
                        raise YamlError(
                            f"{source}: key {k.value!r} appears twice (lines {keys[k.value]} and {line}); "
                            "YAML would silently keep only the last one",
                            line,
                        )
                    keys[k.value] = line
        stack.extend(_children(node))


def _check_scalar(node: yaml.ScalarNode, source: str) -> None:
    """A scalar whose tag (written or implied) its value does not fit is an error on its line."""
    constructor, errors = _yaml().constructor, _yaml().conversion_errors
    try:
        constructor.yaml_constructors[node.tag](constructor, node)
    except errors:
        line = node.start_mark.line + 1
        shown = node.value if len(node.value) <= 40 else f"{node.value[:36]}... ({len(node.value)} characters)"
        raise YamlError(
            f"{source}: not valid YAML (line {line}): {shown!r} is not a valid !!{_CONVERTED[node.tag]}", line
        ) from None


def compose_all(text: str, source: str, limits: Limits = Limits()) -> list[yaml.Node]:
    """Every document's node tree (for callers that need line numbers), checked."""
    import yaml

    try:
        nodes = [n for n in yaml.compose_all(text, Loader=_yaml().loader) if n is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f" (line {line})" if line else ""
        raise YamlError(f"{source}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}", line) from None
    except RecursionError:
        raise YamlError(f"{source}: nested too deeply to read") from None
    for node in nodes:
        _measure(node, limits, source)
        _duplicates(node, source)
    return nodes


def construct(node: yaml.Node, source: str = "<yaml>") -> Any:
    import yaml

    loader = _yaml().loader("")
    try:
        return loader.construct_document(node)
    except RecursionError:
        raise YamlError(f"{source}: nested too deeply to read", node.start_mark.line + 1) from None
    except _yaml().conversion_errors as exc:
        if not isinstance(exc, yaml.YAMLError):
            # compose_all checks every converted scalar first; this is the net under that check
            raise YamlError(f"{source}: not valid YAML: a value its tag refuses ({exc})") from None
        mark = getattr(exc, "problem_mark", None) or node.start_mark
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlError(f"{source}: not valid YAML (line {mark.line + 1}): {problem}", mark.line + 1) from None
    finally:
        loader.dispose()


def load(text: str, source: str, limits: Limits = Limits()) -> Any:
    """The single document in `text` (None when empty), safely and within limits."""
    nodes = compose_all(text, source, limits)
    if not nodes:
        return None
    if len(nodes) > 1:
        raise YamlError(f"{source}: expected one YAML document, found {len(nodes)}", nodes[1].start_mark.line + 1)
    return construct(nodes[0], source)


def load_all(text: str, source: str, limits: Limits = Limits()) -> list[Any]:
    return [construct(n, source) for n in compose_all(text, source, limits)]
