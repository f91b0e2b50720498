"""Traefik's router rule language: `Host(`a`) && (PathPrefix(`/ws`) || !Header(`X`, `y`))`.

Traefik hands rules to a Go expression parser: matchers are function calls
whose arguments are Go string literals (backquoted raw strings or
double-quoted strings with escapes), combined with `&&`, `||`, `!` and
parentheses (`!` binds tightest, then `&&`, then `||`). A matcher name is
accepted as written in the table, in lower case, in upper case, or with only
its first letter upper case (`Pathprefix`). Which matchers exist and how many
arguments they take depends on the syntax: v3 (the default since Traefik 3.0)
or v2 (`ruleSyntax: v2`, or any Traefik 2.x).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

Syntax = Literal["v2", "v3"]

# v3 matchers and the argument counts each accepts
V3_ARITY: dict[str, tuple[int, ...]] = {
    "ClientIP": (1,),
    "Method": (1,),
    "Host": (1,),
    "HostRegexp": (1,),
    "Path": (1,),
    "PathRegexp": (1,),
    "PathPrefix": (1,),
    "Header": (2,),
    "HeaderRegexp": (2,),
    "Query": (1, 2),
    "QueryRegexp": (1, 2),
}
# v2 matchers take any number of arguments (gorilla/mux based)
V2_MATCHERS = (
    "Host",
    "HostHeader",
    "HostRegexp",
    "ClientIP",
    "Path",
    "PathPrefix",
    "Method",
    "Headers",
    "HeadersRegexp",
    "Query",
)
TCP_V3_ARITY: dict[str, tuple[int, ...]] = {"HostSNI": (1,), "HostSNIRegexp": (1,), "ClientIP": (1,), "ALPN": (1,)}
TCP_V2_MATCHERS = ("HostSNI", "HostSNIRegexp", "ClientIP", "ALPN")


class RuleError(Exception):
    """A rule Traefik refuses; `offset` is the character in the rule where it went wrong."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


# Real rules nest a few levels; a hostile one could nest thousands and exhaust the stack.
MAX_RULE_DEPTH = 100


class RuleTooDeep(Exception):
    """A rule nested deeper than MAX_RULE_DEPTH: not Traefik's refusal, wslint's own limit."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"the rule nests deeper than {MAX_RULE_DEPTH} levels, which wslint does not follow")
        self.offset = offset


@dataclass(frozen=True)
class Matcher:
    name: str  # canonical (as in Traefik's table)
    args: tuple[str, ...]
    start: int  # offsets of the call in the rule text
    end: int

    def text(self, rule: str) -> str:
        return rule[self.start : self.end]


@dataclass(frozen=True)
class Not:
    expr: Expr


@dataclass(frozen=True)
class BinOp:
    op: Literal["and", "or"]
    left: Expr
    right: Expr


Expr = Matcher | Not | BinOp


def spellings(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Every spelling Traefik accepts for each matcher name, mapped to the canonical name."""
    out: dict[str, str] = {}
    for name in names:
        for s in (name, name.lower(), name.upper(), name.lower().capitalize()):
            out.setdefault(s, name)
    return out


# -- tokens ---------------------------------------------------------------------

_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


@dataclass(frozen=True)
class _Tok:
    kind: str  # ident, string, (, ), ",", &&, ||, !, end
    value: str
    start: int
    end: int


def _string(text: str, i: int) -> tuple[str, int]:
    """A Go string literal starting at text[i]; returns its value and the index after it."""
    quote = text[i]
    if quote == "`":
        end = text.find("`", i + 1)
        if end < 0:
            raise RuleError("raw string literal not terminated", i)
        return text[i + 1 : end].replace("\r", ""), end + 1
    out: list[str] = []
    j = i + 1
    while True:
        if j >= len(text) or text[j] == "\n":
            raise RuleError("string literal not terminated", i)
        ch = text[j]
        if ch == '"':
            return "".join(out), j + 1
        if ch != "\\":
            out.append(ch)
            j += 1
            continue
        if j + 1 >= len(text):
            raise RuleError("string literal not terminated", i)
        e = text[j + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            j += 2
        elif e in "xuU01234567":
            width = {"x": 2, "u": 4, "U": 8}.get(e, 3)
            digits = text[j + 2 : j + 2 + width] if e in "xuU" else text[j + 1 : j + 4]
            base = 8 if e not in "xuU" else 16
            try:
                code = int(digits, base)
            except ValueError:
                raise RuleError("invalid escape in string literal", j) from None
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or (e.isdigit() and code > 255):
                raise RuleError("escape sequence is invalid Unicode code point", j)
            out.append(chr(code))
            j += 2 + width if e in "xuU" else 4
        else:
            raise RuleError("unknown escape sequence in string literal", j)


def tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
        elif ch.isalpha() or ch == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            toks.append(_Tok("ident", text[i:j], i, j))
            i = j
        elif ch in '`"':
            value, j = _string(text, i)
            toks.append(_Tok("string", value, i, j))
            i = j
        elif text.startswith("&&", i) or text.startswith("||", i):
            toks.append(_Tok(text[i : i + 2], text[i : i + 2], i, i + 2))
            i += 2
        elif ch in "(),!":
            toks.append(_Tok(ch, ch, i, i + 1))
            i += 1
        elif ch == "'":
            raise RuleError("single quotes are not strings in Traefik rules: use backquotes", i)
        else:
            raise RuleError(f"unexpected character {ch!r}", i)
    toks.append(_Tok("end", "", len(text), len(text)))
    return toks


# -- parser -------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self, kind: str) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != kind:
            shown = "end of rule" if tok.kind == "end" else repr(tok.value)
            raise RuleError(f"expected {kind!r}, found {shown}", tok.start)
        self.i += 1
        return tok

    def parse(self) -> Expr:
        if self.peek().kind == "end":
            raise RuleError("empty rule", 0)
        expr = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise RuleError(f"unexpected {tok.value!r}", tok.start)
        if _depth(expr) > MAX_RULE_DEPTH:
            raise RuleTooDeep(0)
        return expr

    def or_expr(self) -> Expr:
        left = self.and_expr()
        while self.peek().kind == "||":
            self.i += 1
            left = BinOp("or", left, self.and_expr())
        return left

    def and_expr(self) -> Expr:
        left = self.unary()
        while self.peek().kind == "&&":
            self.i += 1
            left = BinOp("and", left, self.unary())
        return left

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind in ("!", "("):
            self.depth += 1
            if self.depth > MAX_RULE_DEPTH:
                raise RuleTooDeep(tok.start)
            self.i += 1
            if tok.kind == "!":
                inner: Expr = Not(self.unary())
            else:
                inner = self.or_expr()
                self.take(")")
            self.depth -= 1
            return inner
        if tok.kind == "ident":
            return self.call()
        shown = "end of rule" if tok.kind == "end" else repr(tok.value)
        raise RuleError(f"expected a matcher, found {shown}", tok.start)

    def call(self) -> Matcher:
        name = self.take("ident")
        self.take("(")
        args: list[str] = []
        while self.peek().kind != ")":
            tok = self.peek()
            if tok.kind != "string":
                shown = "end of rule" if tok.kind == "end" else repr(tok.value)
                raise RuleError(f"matcher arguments must be strings, found {shown}", tok.start)
            args.append(tok.value)
            self.i += 1
            if self.peek().kind == ",":
                self.i += 1
            elif self.peek().kind != ")":
                raise RuleError(f"expected ',' or ')', found {self.peek().value!r}", self.peek().start)
        close = self.take(")")
        return Matcher(name.value, tuple(args), name.start, close.end)


def _depth(expr: Expr) -> int:
    """How deep the tree is (a chain of && is as deep as it is long), without recursion."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, Not):
            stack.append((node.expr, level + 1))
        elif isinstance(node, BinOp):
            stack.extend(((node.left, level + 1), (node.right, level + 1)))
    return deepest


def parse_expression(text: str) -> Expr:
    """The expression tree, matcher names as written (not validated against a syntax)."""
    return _Parser(text).parse()


def matchers_of(expr: Expr) -> list[Matcher]:
    if isinstance(expr, Matcher):
        return [expr]
    if isinstance(expr, Not):
        return matchers_of(expr.expr)
    return matchers_of(expr.left) + matchers_of(expr.right)


def _canonical(expr: Expr, names: dict[str, str]) -> Expr:
    if isinstance(expr, Matcher):
        canonical = names.get(expr.name)
        if canonical is None:
            raise RuleError(f"unknown matcher {expr.name!r}", expr.start)
        return Matcher(canonical, expr.args, expr.start, expr.end)
    if isinstance(expr, Not):
        return Not(_canonical(expr.expr, names))
    return BinOp(expr.op, _canonical(expr.left, names), _canonical(expr.right, names))


def _check_ip(value: str, at: int) -> None:
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        raise RuleError(f"invalid IP or CIDR {value!r} for ClientIP", at) from None


def _validate(m: Matcher, syntax: Syntax, tcp: bool) -> None:
    if not m.args:
        raise RuleError(f"no args for matcher {m.name}", m.start)
    if any(a == "" for a in m.args):
        raise RuleError(f"empty args for matcher {m.name}", m.start)
    if syntax == "v3":
        arity = (TCP_V3_ARITY if tcp else V3_ARITY)[m.name]
        if len(m.args) not in arity:
            expected = " ".join(map(str, arity))
            raise RuleError(
                f"unexpected number of parameters for {m.name}; got {len(m.args)}, expected one of [{expected}]",
                m.start,
            )
        if m.name in ("Path", "PathPrefix") and not m.args[0].startswith("/"):
            raise RuleError(f"path {m.args[0]!r} does not start with a '/'", m.start)
    else:
        if m.name in ("Path", "PathPrefix") and any(not a.startswith("/") for a in m.args):
            raise RuleError(f"mux: path must start with a slash, got {m.args[0]!r}", m.start)
        if m.name in ("Headers", "HeadersRegexp") and len(m.args) % 2:
            raise RuleError(f"mux: number of parameters must be multiple of 2, got {list(m.args)}", m.start)
    if m.name in ("Host", "HostHeader", "HostRegexp") and any(not a.isascii() for a in m.args):
        raise RuleError(f"invalid value {m.args[0]!r} for {m.name} matcher, non-ASCII characters are not allowed")
    if m.name == "ClientIP":
        for a in m.args:
            _check_ip(a, m.start)


def parse_rule(text: str, syntax: Syntax, tcp: bool = False) -> Expr:
    """The rule as Traefik builds it under `syntax`, or RuleError with Traefik's reason."""
    expr = parse_expression(text)
    if tcp:
        table = spellings(list(TCP_V3_ARITY) if syntax == "v3" else list(TCP_V2_MATCHERS))
    else:
        table = spellings(list(V3_ARITY) if syntax == "v3" else list(V2_MATCHERS))
    expr = _canonical(expr, table)
    for m in matchers_of(expr):
        _validate(m, syntax, tcp)
    return expr


def priority(rule: str) -> int:
    """Traefik's default priority: the rule's length in bytes."""
    return len(rule.encode("utf-8"))
