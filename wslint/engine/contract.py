"""The names a rule can use, checked when the rule loads, and their reference page.

A rule's conditions, messages and fixes see typed model objects: `route`,
`result`, `ref` or `misplaced` (by the rule's scope), and `config`, `options`,
`version`, `proxy` in every rule. This module knows their types from the model's
own annotations, so a rule that names an attribute no model object has
(`result.near_mises`) fails when it loads, naming the file and field, instead
of when a configuration first makes it render. `reference()` writes the page
that documents the same names (docs/rule-contract.md; a test keeps it in sync).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from wslint import endpoints, model
from wslint.endpoints import Endpoint

SCOPE_SUBJECTS: dict[str, tuple[str, type]] = {
    "route": ("route", model.Route),
    "endpoint": ("result", model.EndpointResult),
    "variable_reference": ("ref", model.VariableReference),
    "misplaced_directive": ("misplaced", model.MisplacedDirective),
}
# in every rule, beside the scope's subject
COMMON: dict[str, Any] = {
    "config": model.ProxyConfig,
    "options": dict[str, Any],
    "version": tuple[int, ...],
    "proxy": str,
}
COMMON_HELP = {
    "config": "the whole configuration the subject belongs to",
    "options": "the rule's options (`options:` in the rule file), with the user's values",
    "version": "the proxy version linted for, as numbers: `version >= (1, 25)`",
    "proxy": "nginx, haproxy, traefik, apache or caddy (`message:` and `fix:` map by proxy: no need to branch on it)",
}
# filters wslint adds to Jinja's own
FILTERS_HELP = {
    "duration": "seconds as a duration nginx accepts: `90 | duration` is `1m30s`",
    "plural": "`n | plural('file')` is `1 file` or `2 files`",
    "quote_nginx": "an nginx argument, quoted when it would not stay one word",
    "ws_url": "the ws:// or wss:// URL of an http(s) URL (a redirect's Location)",
}


def roots(scope: str) -> dict[str, Any]:
    """The names a rule of this scope sees, and their types."""
    name, subject = SCOPE_SUBJECTS[scope]
    # `subjects` is the list the engine's batch condition loops over
    return {name: subject, "subjects": tuple[subject, ...], **COMMON}  # type: ignore[valid-type]


# -- the model's types ---------------------------------------------------------------------


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The attributes of a model class: fields, properties and public methods, with their types."""
    found = _HINTS.get(cls)
    if found is not None:
        return found
    namespace = {**vars(model), **vars(endpoints)}
    out: dict[str, Any] = {}
    if dataclasses.is_dataclass(cls):
        # a private field (a cache) is no rule's business: the sandbox refuses names starting with `_` too
        out.update((k, v) for k, v in typing.get_type_hints(cls, namespace).items() if not k.startswith("_"))
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or name in out:
            continue
        if isinstance(member, property) and member.fget is not None:
            out[name] = typing.get_type_hints(member.fget, namespace).get("return", Any)
        elif inspect.isfunction(member):
            out[name] = _Method(typing.get_type_hints(member, namespace).get("return", Any))
    _HINTS[cls] = out
    return out


@dataclasses.dataclass(frozen=True)
class _Method:
    returns: Any


def _documented(cls: Any) -> bool:
    return isinstance(cls, type) and (dataclasses.is_dataclass(cls) or cls is Endpoint)


def _strip_optional(t: Any) -> Any:
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        return args[0] if len(args) == 1 else None
    return t


def _element(t: Any) -> Any:
    t = _strip_optional(t)
    origin = typing.get_origin(t)
    if origin in (tuple, list, frozenset, set) or (origin is not None and issubclass(origin, typing.Sequence)):
        args = typing.get_args(t)
        return args[0] if args else None
    return None


def _attribute(t: Any, attr: str) -> tuple[bool, Any]:
    """(known, type) of `attr` on a value of type `t`; unknown types accept any attribute."""
    t = _strip_optional(t)
    if typing.get_origin(t) is not None and not _documented(typing.get_origin(t)):
        return True, None
    base = typing.get_origin(t) or t
    if not _documented(base):
        return True, None
    hints = _hints(base)
    if attr not in hints:
        return False, None
    return True, hints[attr]


# -- checking a rule's templates -----------------------------------------------------------


class ContractError(Exception):
    """A rule names something the model does not have."""


def check_template(env: ImmutableSandboxedEnvironment, source: str, names: Mapping[str, Any]) -> None:
    """Raise ContractError for the first attribute in the template that no model object has."""
    _Checker(dict(names)).visit(env.parse(source))


class _Checker:
    def __init__(self, names: dict[str, Any]) -> None:
        self.names = names

    def visit(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.For):
            self.resolve(node.iter)
            element = _element(self.resolve(node.iter))
            saved = dict(self.names)
            for target in _targets(node.target):
                self.names[target] = element if isinstance(node.target, nodes.Name) else None
            self.names["loop"] = None
            for child in (*node.body, *node.else_):
                self.visit(child)
            self.names = saved
            return
        if isinstance(node, nodes.Assign):
            value = self.resolve(node.node)
            for target in _targets(node.target):
                self.names[target] = value if isinstance(node.target, nodes.Name) else None
            return
        if isinstance(node, nodes.Expr):
            self.resolve(node)
            return
        for child in node.iter_child_nodes():
            self.visit(child)

    def resolve(self, node: nodes.Node) -> Any:
        """The type of an expression's value, None when it is not known."""
        if isinstance(node, nodes.Name):
            return self.names.get(node.name)
        if isinstance(node, nodes.Getattr):
            owner = self.resolve(node.node)
            known, found = _attribute(owner, node.attr) if owner is not None else (True, None)
            if not known:
                name = getattr(_strip_optional(owner), "__name__", str(owner))
                raise ContractError(f"`{_text(node)}`: {name} has no attribute {node.attr!r}")
            return found.returns if isinstance(found, _Method) else found
        if isinstance(node, nodes.Getitem):
            owner = self.resolve(node.node)
            self.resolve(node.arg)
            return _element(owner) if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, int) else None
        if isinstance(node, nodes.Call):
            found = self.resolve(node.node)
            for child in (*node.args, *node.kwargs):
                self.resolve(child)
            return found
        if isinstance(node, nodes.CondExpr):
            self.resolve(node.test)
            first = self.resolve(node.expr1)
            if node.expr2 is not None:
                self.resolve(node.expr2)
            return first
        for child in node.iter_child_nodes():
            self.resolve(child)
        return None


def _targets(node: nodes.Node) -> Iterator[str]:
    if isinstance(node, nodes.Name):
        yield node.name
    elif isinstance(node, nodes.Tuple):
        for item in node.items:
            yield from _targets(item)


def _text(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr):
        return f"{_text(node.node)}.{node.attr}"
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getitem):
        return f"{_text(node.node)}[...]"
    return "..."


# -- the reference page --------------------------------------------------------------------


def _type_name(t: Any) -> str:
    if t is None or t is type(None):
        return "None"
    if isinstance(t, _Method):
        return f"method returning {_type_name(t.returns)}"
    origin = typing.get_origin(t)
    if origin is typing.Literal:
        named = next((name for name, value in _literals() if typing.get_args(value) == typing.get_args(t)), None)
        return f"[{named}](#values)" if named else " or ".join(repr(a) for a in typing.get_args(t))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(t))
    if origin in (tuple, list):
        args = typing.get_args(t)
        inner = _type_name(args[0]) if args else "any"
        return f"list of {inner}"
    if origin is not None:
        return getattr(origin, "__name__", str(t))
    if t is Any:
        return "any"
    return getattr(t, "__name__", str(t))


def _comments(cls: type) -> dict[str, str]:
    """The comment lines written above each field in the class's source: what the field means."""
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    pending: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        m = re.match(r"^\s{4}(\w+):", line)
        if m and pending:
            out[m.group(1)] = " ".join(pending)
        pending = []
    return out


def _reachable() -> list[type]:
    seen: list[type] = []
    todo: list[Any] = [s for _, s in SCOPE_SUBJECTS.values()] + [model.ProxyConfig]

    def add(t: Any) -> None:
        t = t.returns if isinstance(t, _Method) else t
        base = typing.get_origin(t) or t
        if _documented(base) and base not in seen and base not in todo:
            todo.append(base)
        for arg in typing.get_args(t):
            add(arg)

    while todo:
        cls = todo.pop(0)
        if cls in seen:
            continue
        seen.append(cls)
        for t in _hints(cls).values():
            add(t)
    return seen


def _literals() -> list[tuple[str, Any]]:
    return [
        (name, value)
        for name, value in vars(model).items()
        if typing.get_origin(value) is typing.Literal and not name.startswith("_")
    ]


def reference() -> str:
    """docs/rule-contract.md: every name a rule can use."""
    out = [
        "# The rule contract",
        "",
        "<!-- generated by `python -m wslint.engine.contract`; tests/test_rule_contract.py keeps it in sync -->",
        "",
        "What a rule file's `when`, `at`, `message`, `fix` and `edits` can name. Every attribute below is",
        "checked when a rule loads: a name the model does not have is an error that names the rule file and",
        "field, not a surprise on the first configuration that renders it. Values compare as plain strings",
        "(`result.reason == 'try-files'`); the values each one takes are listed under Values.",
        "",
        "## Names",
        "",
        "| name | type | in rules of scope | what it is |",
        "| --- | --- | --- | --- |",
    ]
    for scope, (name, subject) in SCOPE_SUBJECTS.items():
        out.append(f"| `{name}` | {subject.__name__} | {scope} | the subject the rule judges |")
    for name, t in COMMON.items():
        out.append(f"| `{name}` | {_type_name(t)} | every scope | {COMMON_HELP[name]} |")
    out += ["", "## Filters", "", "Jinja's own filters, and:", ""]
    out += [f"- `{name}`: {text}" for name, text in FILTERS_HELP.items()]
    out += ["", "## Types", ""]
    for cls in _reachable():
        doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
        out += [f"### {cls.__name__}", "", doc, "", "| attribute | type | meaning |", "| --- | --- | --- |"]
        comments = _comments(cls)
        for attr, t in _hints(cls).items():
            meaning = comments.get(attr, "")
            if not meaning:
                member = getattr(cls, attr, None)
                if isinstance(member, property) or inspect.isfunction(member):
                    meaning = (inspect.getdoc(member) or "").split("\n\n")[0].replace("\n", " ")
            out.append(f"| `{attr}` | {_type_name(t)} | {meaning.replace('|', '/')} |")
        out.append("")
    out += ["## Values", ""]
    for name, value in _literals():
        out.append(f"- **{name}**: " + ", ".join(f"`{a}`" for a in typing.get_args(value)))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
