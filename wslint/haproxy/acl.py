"""ACLs and the conditions built from them (`if is_ws !is_api || { path_beg /live/ }`).

An `acl` line is a criterion (a sample, optionally with converters), flags
(`-i`, `-m METHOD`, `-f FILE`, `--`), an integer operator and patterns;
several lines with the same name are ORed. A condition is a disjunction
(`or`, `||`) of conjunctions of terms, each a named ACL, a predefined one
(`TRUE`, `METH_GET`, ...) or an anonymous `{ ... }`, optionally negated with
`!`. Evaluation is three-valued: None means wslint cannot know (a test on the
client address, a regex Python cannot compile), and it propagates the way
HAProxy's own short-circuits would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from wslint.haproxy.parser import Statement
from wslint.haproxy.samples import (
    MATCH_METHODS,
    ExprError,
    SampleContext,
    SampleExpr,
    acl_keyword,
    match_values,
    parse_expr,
)
from wslint.model import Source

INT_OPERATORS = ("eq", "ge", "gt", "le", "lt")

# The predefined ACLs, for a WebSocket handshake (GET, HTTP/1.1, no body, origin-form URI).
# None: depends on what wslint does not know (the client's address, buffered data).
PREDEFINED: dict[str, bool | None] = {
    "TRUE": True,
    "FALSE": False,
    "HTTP": True,
    "HTTP_1.0": False,
    "HTTP_1.1": True,
    "HTTP_2.0": False,
    "HTTP_CONTENT": False,
    "HTTP_URL_ABS": False,
    "HTTP_URL_SLASH": True,
    "HTTP_URL_STAR": False,
    "METH_CONNECT": False,
    "METH_DELETE": False,
    "METH_GET": True,
    "METH_HEAD": False,
    "METH_OPTIONS": False,
    "METH_POST": False,
    "METH_PUT": False,
    "METH_TRACE": False,
    "LOCALHOST": None,
    "RDP_COOKIE": False,
    "REQ_CONTENT": False,
    "WAIT_END": None,
}


# the predefined ACLs that read the request: all false before it arrives
REQUEST_ACLS = frozenset(n for n in PREDEFINED if n.startswith(("HTTP", "METH_")) or n in ("REQ_CONTENT", "RDP_COOKIE"))


@dataclass(frozen=True)
class AclTest:
    """One test: an `acl` line's criterion and patterns, or an anonymous ACL's."""

    expr: SampleExpr | None
    method: str
    # each pattern with its own -i (the flag applies to the patterns after it)
    patterns: tuple[tuple[str, bool], ...]
    op: str | None
    files: tuple[tuple[str, bool], ...]
    source: Source
    # the criterion, flags and patterns as written
    text: str
    # the first word of the criterion and the first pattern, by index in their statement
    statement: Statement | None = None
    first_word: int = 0
    name: str | None = None
    error: str | None = None

    @property
    def icase(self) -> bool:
        return bool(self.patterns) and all(i for _, i in self.patterns)

    @property
    def header(self) -> str | None:
        return self.expr.header if self.expr is not None and not self.expr.converters else None


@lru_cache(maxsize=4096)
def _criterion(text: str) -> tuple[SampleExpr, str | None]:
    """An ACL criterion's expression (its fetch as the sample fetch it names) and its implied match method;
    cached like parse_expr: both are immutable."""
    expr = parse_expr(text)
    fetch, implied = acl_keyword(expr.fetch.name)
    return SampleExpr(type(expr.fetch)(fetch, expr.fetch.args), expr.converters, expr.text), implied


def parse_test(
    words: list[str],
    source: Source,
    text: str,
    statement: Statement | None = None,
    first_word: int = 0,
    name: str | None = None,
) -> AclTest:
    """A criterion with its flags and patterns (the words after the ACL name `name`, or inside `{ }`)."""
    if not words:
        return AclTest(None, "str", (), None, (), source, text, statement, first_word, name, error="no criterion")
    try:
        expr, implied = _criterion(words[0])
    except ExprError as exc:
        return AclTest(None, "str", (), None, (), source, text, statement, first_word, name, error=str(exc))
    method = implied if implied is not None and not expr.converters else None
    icase = False
    files: list[tuple[str, bool]] = []
    i = 1
    while i < len(words) and words[i].startswith("-"):
        flag = words[i]
        if flag == "--":
            i += 1
            break
        if flag == "-i":
            icase = True
        elif flag == "-m" and i + 1 < len(words):
            method = words[i + 1]
            i += 1
        elif flag == "-f" and i + 1 < len(words):
            files.append((words[i + 1], icase))
            i += 1
        elif flag in ("-M", "-n"):
            pass
        elif flag == "-u" and i + 1 < len(words):
            i += 1
        else:
            break
        i += 1
    op = None
    if i < len(words) and words[i] in INT_OPERATORS:
        op = words[i]
        i += 1
    patterns = tuple((p, icase) for p in words[i:])
    method = method or "str"
    error = None if method in MATCH_METHODS else f"unknown match method {method!r}"
    return AclTest(expr, method, patterns, op, tuple(files), source, text, statement, first_word, name, error=error)


@dataclass(frozen=True)
class Term:
    negated: bool
    # an ACL name, or the anonymous ACL itself
    ref: str | AclTest
    source: Source

    @property
    def label(self) -> str:
        inner = self.ref if isinstance(self.ref, str) else "{ " + self.ref.text + " }"
        return ("!" if self.negated else "") + inner


@dataclass(frozen=True)
class Condition:
    """`if`/`unless` and a disjunction of conjunctions; `source` spans the keyword and the terms."""

    unless: bool
    disjuncts: tuple[tuple[Term, ...], ...]
    source: Source
    text: str

    def terms(self) -> list[Term]:
        return [t for d in self.disjuncts for t in d]


class ConditionError(ValueError):
    pass


def parse_condition(st: Statement, start: int) -> Condition:
    """The condition starting at word `start` (`if` or `unless`) of a statement."""
    words = st.words
    kw = words[start].text
    if kw not in ("if", "unless"):
        raise ConditionError(f"expected 'if' or 'unless', found {kw!r}")
    if start + 1 >= len(words):
        raise ConditionError(f"'{kw}' needs a condition")
    disjuncts: list[tuple[Term, ...]] = []
    current: list[Term] = []
    i = start + 1
    while i < len(words):
        w = words[i].text
        if w in ("or", "||"):
            if not current:
                raise ConditionError(f"'{w}' without a condition before it")
            disjuncts.append(tuple(current))
            current = []
            i += 1
            continue
        negated = False
        first = i
        if w == "!":
            negated = True
            i += 1
            if i >= len(words):
                raise ConditionError("'!' at the end of the condition")
            w = words[i].text
        elif w.startswith("!"):
            negated = True
            w = w[1:]
        if w == "{":
            close = next((j for j in range(i + 1, len(words)) if words[j].text == "}"), None)
            if close is None:
                raise ConditionError("missing '}' after an anonymous ACL")
            inner = [x.text for x in words[i + 1 : close]]
            src = st.span_source(first, close)
            text = st.span_text(i + 1, close - 1) if close > i + 1 else ""
            test = parse_test(inner, src, text, st, i + 1)
            current.append(Term(negated, test, src))
            i = close + 1
            continue
        if not w:
            raise ConditionError("an empty ACL name")
        current.append(Term(negated, w, st.span_source(first, i)))
        i += 1
    if not current:
        raise ConditionError("the condition ends with 'or'")
    disjuncts.append(tuple(current))
    return Condition(
        kw == "unless", tuple(disjuncts), st.span_source(start, len(words) - 1), st.span_text(start, len(words) - 1)
    )


def condition_start(st: Statement, first: int = 1) -> int | None:
    """The index of the `if`/`unless` word of a rule, if it has one."""
    for i in range(first, len(st.words)):
        if st.words[i].text in ("if", "unless"):
            return i
    return None


@dataclass
class AclTable:
    """The ACLs a proxy knows: its own lines and its named defaults' (by name, in order)."""

    acls: dict[str, list[AclTest]] = field(default_factory=dict)

    def add(self, test: AclTest) -> None:
        assert test.name is not None
        self.acls.setdefault(test.name, []).append(test)

    def knows(self, name: str) -> bool:
        return name in self.acls or name in PREDEFINED


FileResolver = Callable[[str], list[str] | None]


@dataclass
class TestResult:
    test: AclTest
    value: bool | None


class Evaluator:
    """Evaluates conditions for one request, recording each test's result."""

    def __init__(self, table: AclTable, ctx: SampleContext, pattern_file: FileResolver) -> None:
        self.table = table
        self.ctx = ctx
        self.pattern_file = pattern_file
        self.results: list[TestResult] = []
        # a test evaluated as if written with -i (what-if questions: would ignoring case match?)
        self.caseless: AclTest | None = None

    def test(self, t: AclTest) -> bool | None:
        if t.error is not None or t.expr is None:
            value: bool | None = None
        else:
            patterns = [(p, True) for p, _ in t.patterns] if t is self.caseless else list(t.patterns)
            unknown_file = False
            for name, icase in t.files:
                lines = self.pattern_file(name)
                if lines is None:
                    unknown_file = True
                else:
                    patterns += [(p, icase) for p in lines]
            value = match_values(self.ctx.values(t.expr), t.method, patterns, t.op)
            if unknown_file and value is not True:
                value = None
        self.results.append(TestResult(t, value))
        return value

    def acl(self, name: str) -> bool | None:
        if name in self.table.acls:
            return _any(self.test(t) for t in self.table.acls[name])
        if self.ctx.request.before_request and name in REQUEST_ACLS:
            return False
        return PREDEFINED.get(name)

    def term(self, term: Term) -> bool | None:
        v = self.acl(term.ref) if isinstance(term.ref, str) else self.test(term.ref)
        return None if v is None else (not v if term.negated else v)

    def condition(self, cond: Condition | None) -> bool | None:
        """Whether the rule applies (a missing condition always does)."""
        if cond is None:
            return True
        v = _any(_all(self.term(t) for t in d) for d in cond.disjuncts)
        return None if v is None else (not v if cond.unless else v)


def _any(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def _all(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True
