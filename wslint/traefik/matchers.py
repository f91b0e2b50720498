"""Evaluating a parsed router rule against one simulated request, as Traefik's muxer does.

Three-valued: True, False, or None when wslint cannot know (a `ClientIP`
matcher: the client's address is not part of an endpoint; a Go regular
expression Python cannot compile).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl

from wslint.traefik.ruleparse import BinOp, Expr, Matcher, Not, Syntax

# a value wslint cannot know (a compose `${VAR}` no .env sets) has this in place of its `$`; a matcher
# whose argument holds it is neither true nor false
OPAQUE = "\ue000"
# matchers wslint puts in place of a rule it cannot know: one it cannot evaluate at all, and the Docker
# provider's default `Host(`{{ normalize .Name }}`)`, a container name without dots
UNKNOWN_RULE = "WslintUnknownRule"
CONTAINER_NAME_RULE = "WslintContainerName"


@dataclass(frozen=True)
class SimRequest:
    """The request as Traefik's router sees it (after the entryPoint's own handling)."""

    host: str  # Host without its port, lower case
    path: str  # the routing path
    query: str
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    method: str = "GET"
    tls: bool = False

    def header(self, name: str) -> tuple[str, ...]:
        return self.headers.get(canonical_header(name), ())


@lru_cache(maxsize=1024)
def canonical_header(name: str) -> str:
    """Go's http.CanonicalHeaderKey: `x-forwarded-proto` becomes `X-Forwarded-Proto`."""
    if not name or any(c in name for c in " \t"):
        return name
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


@lru_cache(maxsize=512)
def go_regex(pattern: str) -> re.Pattern[str] | None:
    """A Go (RE2) regular expression as a Python one, or None when it cannot be translated."""
    translated = pattern.replace(r"\z", r"\Z")
    try:
        return re.compile(translated)
    except (re.error, OverflowError, RecursionError):
        return None


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def evaluate(expr: Expr, req: SimRequest, syntax: Syntax) -> bool | None:
    if isinstance(expr, BinOp):
        left = evaluate(expr.left, req, syntax)
        # Go evaluates lazily; the result is the same in three-valued logic
        right = evaluate(expr.right, req, syntax)
        return _and(left, right) if expr.op == "and" else _or(left, right)
    if isinstance(expr, Not):
        inner = evaluate(expr.expr, req, syntax)
        return None if inner is None else not inner
    if expr.name == CONTAINER_NAME_RULE:
        return False if "." in req.host else None
    if expr.name == UNKNOWN_RULE or any(OPAQUE in a for a in expr.args):
        return None
    return match_v3(expr, req) if syntax == "v3" else match_v2(expr, req)


def _domain_match(domain: str, expr: str) -> bool:
    if expr.startswith("*"):
        labels = domain.split(".")
        labels[0] = "*"
        return ".".join(labels).lower() == expr.lower()
    return domain.lower() == expr.lower()


def host_v3(expr: str, host: str) -> bool:
    if expr == "*":
        return True
    expr = expr.lower()
    if not host:
        return False
    if _domain_match(host, expr):
        return True
    if expr.endswith(".") and _domain_match(host, expr[:-1]):
        return True
    return host.endswith(".") and _domain_match(host[:-1], expr)


def _search(pattern: str, value: str) -> bool | None:
    rx = go_regex(pattern)
    return None if rx is None else rx.search(value) is not None


def _query(req: SimRequest) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(req.query, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return out


def match_v3(m: Matcher, req: SimRequest) -> bool | None:
    a = m.args
    if m.name == "Host":
        return host_v3(a[0], req.host)
    if m.name == "HostRegexp":
        return _search(a[0], req.host)
    if m.name == "Path":
        return req.path == a[0]
    if m.name == "PathPrefix":
        return req.path.startswith(a[0])
    if m.name == "PathRegexp":
        return _search(a[0], req.path)
    if m.name == "Header":
        return a[1] in req.header(a[0])
    if m.name == "HeaderRegexp":
        results = [_search(a[1], v) for v in req.header(a[0])]
        return True if True in results else (None if None in results else False)
    if m.name == "Method":
        return req.method == a[0].upper()
    if m.name in ("Query", "QueryRegexp"):
        values = _query(req).get(a[0])
        if values is None:
            return False
        if m.name == "Query" or len(a) == 1:
            wanted = a[1] if len(a) == 2 else ""
            return wanted in values
        results = [_search(a[1], v) for v in values]
        return True if True in results else (None if None in results else False)
    # ClientIP: the client's address is not known
    return None


# -- v2: gorilla/mux templates ------------------------------------------------------


def template_regex(template: str, default: str) -> str | None:
    """A gorilla/mux template (`/api/{id:[0-9]+}`) as a regular expression body."""
    out: list[str] = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "{":
            depth, j = 1, i + 1
            while j < len(template) and depth:
                depth += {"{": 1, "}": -1}.get(template[j], 0)
                j += 1
            if depth:
                return None
            inner = template[i + 1 : j - 1]
            _, sep, pattern = inner.partition(":")
            out.append(f"(?:{pattern if sep else default})")
            i = j
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(out)


def _template_match(template: str, value: str, default: str, prefix: bool) -> bool | None:
    body = template_regex(template, default)
    if body is None:
        return None
    rx = go_regex("^" + body + ("" if prefix else "$"))
    return None if rx is None else rx.search(value) is not None


def _any(results: list[bool | None]) -> bool | None:
    return True if True in results else (None if None in results else False)


def match_v2(m: Matcher, req: SimRequest) -> bool | None:
    a = m.args
    if m.name in ("Host", "HostHeader"):
        return any(
            req.host == h.lower()
            or (h.endswith(".") and req.host == h[:-1].lower())
            or req.host.rstrip(".") == h.lower()
            for h in a
        )
    if m.name == "HostRegexp":
        return _any([_template_match(h.lower(), req.host, "[^.]+", False) for h in a])
    if m.name == "Path":
        return _any([_template_match(p, req.path, "[^/]+", False) for p in a])
    if m.name == "PathPrefix":
        return _any([_template_match(p, req.path, "[^/]+", True) for p in a])
    if m.name == "Method":
        return req.method in {x.upper() for x in a}
    if m.name in ("Headers", "HeadersRegexp"):
        results: list[bool | None] = []
        for key, value in zip(a[0::2], a[1::2], strict=True):
            values = req.header(key)
            if m.name == "Headers":
                results.append(bool(values) and (value == "" or value in values))
            else:
                results.append(_any([_search(value, v) for v in values]) if values else False)
        return False if False in results else (None if None in results else True)
    if m.name == "Query":
        query = _query(req)
        for item in a:
            key, _, value = item.partition("=")
            if "{" in value:
                return None
            if value not in query.get(key, []) and not (value == "" and key in query):
                return False
        return True
    return None
