"""The shipped rules' expressions and templates, translated to Python once.

Importing Jinja and running its sandbox cost more than linting a small file,
which is what a pre-commit hook does. The shipped rules are wslint's own code:
their `when:`, `at:`, edit targets, messages and fixes are parsed with Jinja's
own parser (so whitespace control and syntax are Jinja's) and written out as a
Python function over the helpers of native_runtime, then kept in the code
cache, so a run with a warm cache imports no Jinja at all. What the translator
does not cover raises `Unsupported`, and that expression or template runs
through the sandbox as before; a user's rule always does. The test suite
evaluates every shipped rule both ways on every fixture and compares.
"""

from __future__ import annotations

import importlib.util
import keyword
import os
from collections.abc import Callable
from types import CodeType
from typing import Any

from wslint.engine import native_runtime
from wslint.engine.codecache import CodeCache

# bump when the translation changes, so no cached code of an older translator is run
TRANSLATOR_VERSION = "2"

Evaluator = Callable[[dict[str, Any]], Any]


class Unsupported(Exception):
    """A construct the translator does not write (the sandbox runs it instead)."""


def _jinja_identity() -> str:
    """Which Jinja parsed the source: the translation depends on its parser, so a new Jinja is a new key."""
    spec = importlib.util.find_spec("jinja2")
    origin = spec.origin if spec is not None else None
    if origin is None:
        return "none"
    try:
        info = os.stat(origin)
    except OSError:
        return origin
    return f"{origin}:{info.st_mtime_ns}:{info.st_size}"


_KEY: str | None = None


def _key(kind: str, source: str) -> str:
    global _KEY
    if _KEY is None:
        _KEY = f"native-{TRANSLATOR_VERSION}:{_jinja_identity()}"
    return f"{_KEY}\0{kind}\0{source}"


_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
_BINARY = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "FloorDiv": "//", "Mod": "%", "Pow": "**"}


class _Writer:
    """Python source for one expression or template, from Jinja's syntax tree."""

    def __init__(self, direct: bool = False) -> None:
        # direct: `a.b` and `a[b]` as Python writes them, for the first try (see _two_tries)
        self.direct = direct
        self.lines: list[str] = []
        self.free: dict[str, str] = {}  # a context name -> its Python variable
        self.scopes: list[dict[str, str]] = [{}]
        self.counter = 0

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"v_{base}_{self.counter}"

    def name(self, name: str) -> str:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name not in self.free:
            self.free[name] = f"c_{name}"
        return self.free[name]

    # -- expressions --

    def expr(self, node: Any) -> str:
        kind = type(node).__name__
        method = getattr(self, f"_e_{kind}", None)
        if method is not None:
            return str(method(node))
        if kind in _BINARY:
            return f"({self.expr(node.left)} {_BINARY[kind]} {self.expr(node.right)})"
        raise Unsupported(kind)

    def _e_Name(self, node: Any) -> str:
        if node.ctx != "load":
            raise Unsupported(f"name in {node.ctx} context")
        return self.name(node.name)

    def _e_Const(self, node: Any) -> str:
        if not isinstance(node.value, (str, int, float, bool, type(None))):
            raise Unsupported("constant")
        return repr(node.value)

    def _e_List(self, node: Any) -> str:
        return "[" + ", ".join(self.expr(i) for i in node.items) + "]"

    def _e_Tuple(self, node: Any) -> str:
        if node.ctx != "load":
            raise Unsupported("tuple target")
        return "(" + "".join(self.expr(i) + ", " for i in node.items) + ")"

    def _e_Dict(self, node: Any) -> str:
        return "{" + ", ".join(f"{self.expr(p.key)}: {self.expr(p.value)}" for p in node.items) + "}"

    def _e_Getattr(self, node: Any) -> str:
        if self.direct:
            if node.attr.isidentifier() and not keyword.iskeyword(node.attr):
                return f"{self.expr(node.node)}.{node.attr}"
            return f"getattr({self.expr(node.node)}, {node.attr!r})"
        return f"_rt.attr({self.expr(node.node)}, {node.attr!r})"

    def _e_Getitem(self, node: Any) -> str:
        if type(node.arg).__name__ == "Slice":
            s = node.arg
            parts = [self.expr(p) if p is not None else "None" for p in (s.start, s.stop, s.step)]
            key = f"slice({', '.join(parts)})"
        else:
            key = self.expr(node.arg)
        if self.direct:
            return f"{self.expr(node.node)}[{key}]"
        return f"_rt.item({self.expr(node.node)}, {key})"

    def _arguments(self, node: Any, leading: list[str]) -> str:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise Unsupported("*args or **kwargs")
        args = [*leading, *(self.expr(a) for a in node.args)]
        args += [f"{k.key}={self.expr(k.value)}" for k in node.kwargs]
        return ", ".join(args)

    def _e_Call(self, node: Any) -> str:
        return f"{self.expr(node.node)}({self._arguments(node, [])})"

    def _e_Filter(self, node: Any) -> str:
        if node.node is None:
            raise Unsupported("filter block")
        return self._named("FILTERS", node)

    def _e_Test(self, node: Any) -> str:
        return self._named("TESTS", node)

    def _named(self, table: str, node: Any) -> str:
        """A filter or test applied to its value: the runtime's function of that name, or Unsupported."""
        if node.name not in getattr(native_runtime, table):
            raise Unsupported(f"{table.lower()} {node.name}")
        return f"_rt.{table}[{node.name!r}]({self._arguments(node, [self.expr(node.node)])})"

    def _e_Compare(self, node: Any) -> str:
        out = self.expr(node.expr)
        for op in node.ops:
            out += f" {_COMPARE[op.op]} {self.expr(op.expr)}"
        return f"({out})"

    def _e_And(self, node: Any) -> str:
        return f"({self.expr(node.left)} and {self.expr(node.right)})"

    def _e_Or(self, node: Any) -> str:
        return f"({self.expr(node.left)} or {self.expr(node.right)})"

    def _e_Not(self, node: Any) -> str:
        return f"(not {self.expr(node.node)})"

    def _e_Neg(self, node: Any) -> str:
        return f"(-{self.expr(node.node)})"

    def _e_Pos(self, node: Any) -> str:
        return f"(+{self.expr(node.node)})"

    def _e_CondExpr(self, node: Any) -> str:
        if node.expr2 is None:
            return f"_rt.if_else({self.expr(node.test)}, {self.expr(node.expr1)})"
        return f"({self.expr(node.expr1)} if {self.expr(node.test)} else {self.expr(node.expr2)})"

    def _e_Concat(self, node: Any) -> str:
        return "_rt.concat(" + ", ".join(self.expr(n) for n in node.nodes) + ")"

    # -- statements --

    def emit(self, depth: int, line: str) -> None:
        self.lines.append(" " * depth + line)

    def body(self, nodes: list[Any], depth: int) -> None:
        if not nodes:
            self.emit(depth, "pass")
        for node in nodes:
            kind = type(node).__name__
            method = getattr(self, f"_s_{kind}", None)
            if method is None:
                raise Unsupported(kind)
            method(node, depth)

    def _s_Output(self, node: Any, depth: int) -> None:
        for child in node.nodes:
            if type(child).__name__ == "TemplateData":
                self.emit(depth, f"_out({child.data!r})")
            else:
                self.emit(depth, f"_out(_rt.text({self.expr(child)}))")

    def _s_If(self, node: Any, depth: int) -> None:
        self.emit(depth, f"if {self.expr(node.test)}:")
        self.body(node.body, depth + 1)
        for elif_ in node.elif_:
            self.emit(depth, f"elif {self.expr(elif_.test)}:")
            self.body(elif_.body, depth + 1)
        if node.else_:
            self.emit(depth, "else:")
            self.body(node.else_, depth + 1)

    def _target(self, node: Any) -> str:
        kind = type(node).__name__
        if kind == "Name":
            return self.name(node.name)
        if kind == "Tuple":
            return "(" + "".join(self._target(n) + ", " for n in node.items) + ")"
        raise Unsupported(f"target {kind}")

    def open_scope(self, nodes: list[Any], bound: list[str], depth: int) -> None:
        """A new scope (the template, a loop body): every name it sets gets a variable of its own, which
        starts as the outer value (Jinja reads the outer name until the `set` runs, and never writes it)."""
        assigned = [n for n in _assigned(nodes) if n not in bound]
        outer = {name: self.name(name) for name in assigned}
        scope = {name: self.fresh(name) for name in (*bound, *assigned)}
        self.scopes.append(scope)
        for name in assigned:
            self.emit(depth, f"{scope[name]} = {outer[name]}")

    def _s_Assign(self, node: Any, depth: int) -> None:
        self.emit(depth, f"{self._target(node.target)} = {self.expr(node.node)}")

    def _s_For(self, node: Any, depth: int) -> None:
        if node.recursive or node.test is not None:
            raise Unsupported("recursive or filtered loop")
        items, index, ran = self.fresh("items"), self.fresh("index"), self.fresh("ran")
        self.emit(depth, f"{items} = list({self.expr(node.iter)})")
        self.emit(depth, f"{ran} = False")
        bound = [*_names(node.target), "loop"]
        target_at = len(self.lines)
        self.open_scope(node.body, bound, depth + 1)
        inits = self.lines[target_at:]
        del self.lines[target_at:]
        self.emit(depth, f"for {index}, {self._target(node.target)} in enumerate({items}):")
        self.lines.extend(inits)
        self.emit(depth + 1, f"{ran} = True")
        self.emit(depth + 1, f"{self.name('loop')} = _rt.Loop({index}, len({items}))")
        self.body(node.body, depth + 1)
        self.scopes.pop()
        if node.else_:
            self.emit(depth, f"if not {ran}:")
            self.body(node.else_, depth + 1)


def _names(target: Any) -> list[str]:
    kind = type(target).__name__
    if kind == "Name":
        return [target.name]
    if kind == "Tuple":
        return [n for item in target.items for n in _names(item)]
    raise Unsupported(f"target {kind}")


def _assigned(nodes: list[Any]) -> list[str]:
    """The names `set` in these statements, in this scope (an if's branches are in it, a loop's body is not)."""
    out: list[str] = []
    for node in nodes:
        kind = type(node).__name__
        if kind == "Assign":
            out += [n for n in _names(node.target) if n not in out]
        elif kind == "If":
            for branch in (node.body, *(e.body for e in node.elif_), node.else_):
                out += [n for n in _assigned(branch) if n not in out]
    return out


def _unbound_reads(writer: _Writer) -> list[str]:
    """Context names, read from the context dict at the top of the function."""
    return [f" {var} = _c[{name!r}] if {name!r} in _c else _rt.unknown({name!r})" for name, var in writer.free.items()]


# What a direct `a.b` or `a[b]` raises where Jinja would look the other way (an attribute for an item, an item
# for an attribute) or make an undefined value: the first try gives up, and the second does it Jinja's way.
_LOOKUP_ERRORS = "(AttributeError, TypeError, LookupError)"


def _two_tries(name: str, direct: list[str], careful: list[str]) -> str:
    """`name(_c)`: the function with plain attribute and item access, and when a lookup fails in it, the one
    with Jinja's (attribute, else item, else undefined). Both compute the same value whenever the first
    finishes: a lookup that succeeds is the same lookup either way, and rule code has no side effects (the
    model is immutable). Most evaluations take the first, which skips a helper call per attribute."""
    return "\n".join(
        [
            *direct,
            *careful,
            f"def {name}(_c):",
            " try:",
            "  return _direct(_c)",
            f" except {_LOOKUP_ERRORS}:",
            "  return _careful(_c)",
        ]
    )


def _expression_function(tree: Any, name: str, direct: bool) -> list[str]:
    writer = _Writer(direct)
    value = writer.expr(tree)
    return [f"def {name}(_c):", *_unbound_reads(writer), f" return {value}"]


def _template_function(tree: Any, name: str, direct: bool) -> list[str]:
    writer = _Writer(direct)
    writer.open_scope(tree.body, [], 1)
    writer.body(tree.body, 1)
    head = [f"def {name}(_c):", " _parts = []", " _out = _parts.append", *_unbound_reads(writer)]
    return [*head, *writer.lines, " return ''.join(_parts)"]


def translate_expression(source: str) -> str:
    """Python source of `def evaluate(_c)` returning the expression's value."""
    from jinja2.parser import Parser

    from wslint.engine.sandbox import make_environment

    parser = Parser(make_environment(), source, state="variable")
    tree = parser.parse_expression()
    if not parser.stream.eos:
        raise Unsupported("chunk after expression")
    direct = _expression_function(tree, "_direct", True)
    return _two_tries("evaluate", direct, _expression_function(tree, "_careful", False))


def translate_template(source: str) -> str:
    """Python source of `def render(_c)` returning the template's text."""
    from wslint.engine.sandbox import make_environment

    tree = make_environment().parse(source)
    direct = _template_function(tree, "_direct", True)
    return _two_tries("render", direct, _template_function(tree, "_careful", False))


def _compile(kind: str, source: str, cache: CodeCache | None) -> CodeType:
    key = _key(kind, source)
    code = cache.load(key, "native") if cache is not None else None
    if code is None:
        try:
            python = translate_expression(source) if kind == "expression" else translate_template(source)
        except Unsupported as exc:
            # remembered too, so the next run does not import Jinja to find out again
            python = f"UNSUPPORTED = {str(exc)!r}"
        code = compile(python, f"<wslint rule {kind}>", "exec")
        if cache is not None:
            cache.store(key, code, "native")
    return code


def load(kind: str, source: str, cache: CodeCache | None) -> Evaluator:
    """The translated function of an `expression` or a `template`; Unsupported if it has none."""
    namespace: dict[str, Any] = {"_rt": native_runtime}
    exec(_compile(kind, source, cache), namespace)
    if "UNSUPPORTED" in namespace:
        raise Unsupported(namespace["UNSUPPORTED"])
    function: Evaluator = namespace["evaluate" if kind == "expression" else "render"]
    return function
