"""Caddy's request matchers: reading them from a Caddyfile and evaluating them on a request.

Path matching is exact unless the pattern has a `*` (`/ws*` is a prefix,
`*.php` a suffix, `*x*` a substring, otherwise a glob), and case-insensitive;
the request path is cleaned first. `header` compares whole values, case
included, with the same `*` shortcuts; `header_regexp` searches with a Go
regular expression. `host` ignores case and the port. Evaluation is
three-valued: None means it depends on something wslint does not know (the
client's address, a CEL expression).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs

from wslint.caddy.config import (
    FileMatcher,
    HeaderMatcher,
    HeaderRegexpMatcher,
    HostMatcher,
    Matcher,
    MatcherSet,
    MethodMatcher,
    NotMatcher,
    OpaqueMatcher,
    PathMatcher,
    PathRegexpMatcher,
    ProtocolMatcher,
    QueryMatcher,
    canonical_header,
)
from wslint.caddy.lexer import Token
from wslint.caddy.parser import CaddyfileError, Node, span, token_source
from wslint.caddy.request import Request, Unknown, clean_path, go_regex, refused_by_go
from wslint.model import Source

# matchers Caddy 2.6 has that wslint does not evaluate
OPAQUE = ("remote_ip", "expression", "vars", "vars_regexp", "client_ip", "file")
KNOWN = ("path", "path_regexp", "host", "header", "header_regexp", "method", "query", "protocol", "not", *OPAQUE)


@dataclass
class Line:
    """One matcher line: `header Connection *Upgrade*` (name, then its arguments)."""

    name: Token
    args: list[Token]
    node: Node | None = None


def _lines_of(nodes: list[Node]) -> list[Line]:
    return [Line(n.tokens[0], n.tokens[1:], n) for n in nodes]


def parse_definition(node: Node, defs: dict[str, MatcherSet]) -> None:
    """`@name matcher args...`, `@name { ... }` or `@name "cel expression"`."""
    name = node.name
    if name in defs:
        raise CaddyfileError(f"matcher is defined more than once: {name}", node.head)
    args = node.arg_tokens
    if args and args[0].quoted:
        defs[name] = MatcherSet([OpaqueMatcher("expression", token_source(args[0]), args[0].text)], node.source, name)
        return
    lines: list[Line] = []
    if args:
        lines.append(Line(args[0], args[1:], None))
    lines.extend(_lines_of(node.children or []))
    ms = build_set(lines, node.head)
    ms.source = node.source
    ms.label = name
    defs[name] = ms


def build_set(lines: list[Line], where: Token) -> MatcherSet:
    """The matchers of one set; several lines of one kind are read together, as Caddy does."""
    by_kind: dict[str, list[Line]] = {}
    for line in lines:
        by_kind.setdefault(line.name.text, []).append(line)
    matchers: list[Matcher] = []
    for kind, group in by_kind.items():
        matchers.append(_matcher(kind, group))
    first = lines[0].name if lines else where
    last_line = lines[-1] if lines else None
    last = where
    if last_line is not None:
        last = last_line.node.last if last_line.node is not None else (last_line.args or [last_line.name])[-1]
    return MatcherSet(matchers, span(first, last))


def _no_block(line: Line, kind: str) -> None:
    if line.node is not None and line.node.children is not None:
        raise CaddyfileError(f"malformed {kind} matcher: blocks are not supported", line.name)


def _matcher(kind: str, lines: list[Line]) -> Matcher:
    first = lines[0]
    where = span(first.name, (lines[-1].args or [lines[-1].name])[-1])
    if kind not in KNOWN:
        raise CaddyfileError(
            f"getting matcher module '{kind}': module not registered: http.matchers.{kind}", first.name
        )
    if kind == "path":
        patterns: list[str] = []
        psources: list[Source] = []
        for line in lines:
            _no_block(line, kind)
            patterns.extend(t.text for t in line.args)
            psources.extend(token_source(t) for t in line.args)
        return PathMatcher(kind, where, patterns, psources)
    if kind == "host":
        hosts: list[str] = []
        for line in lines:
            _no_block(line, kind)
            hosts.extend(t.text for t in line.args)
        return HostMatcher(kind, where, hosts)
    if kind == "path_regexp":
        if len(lines) > 1:
            raise CaddyfileError("regular expression can only be used once per named matcher", lines[1].name)
        args = first.args
        if len(args) not in (1, 2):
            raise CaddyfileError("wrong argument count or unexpected line ending after 'path_regexp'", first.name)
        pattern = args[-1].text
        _check_regex(pattern, args[-1])
        return PathRegexpMatcher(kind, where, pattern, args[0].text if len(args) == 2 else "")
    if kind == "header":
        fields: dict[str, list[str] | None] = {}
        sources: dict[str, Source] = {}
        repeated: set[str] = set()
        for line in lines:
            _no_block(line, kind)
            if not line.args:
                raise CaddyfileError("malformed header matcher: expected field", line.name)
            fld = line.args[0].text
            if fld.startswith("!"):
                if len(fld) == 1:
                    raise CaddyfileError("malformed header matcher: must have field name following !", line.name)
                if len(line.args) > 1:
                    raise CaddyfileError(
                        "malformed header matcher: null matching headers cannot have a field value", line.name
                    )
                fields[canonical_header(fld[1:])] = None
                sources[canonical_header(fld[1:])] = span(line.name, line.args[-1])
                continue
            if len(line.args) < 2:
                raise CaddyfileError("malformed header matcher: expected both field and value", line.name)
            key = canonical_header(fld)
            existing = fields.get(key)
            if key in sources:
                repeated.add(key)
            fields[key] = [*(existing or []), line.args[1].text]
            sources.setdefault(key, span(line.name, line.args[-1]))
        return HeaderMatcher(kind, where, fields, sources, frozenset(repeated))
    if kind == "header_regexp":
        rx_fields: dict[str, tuple[str, str]] = {}
        rx_sources: dict[str, Source] = {}
        for line in lines:
            _no_block(line, kind)
            a = line.args
            if len(a) not in (2, 3):
                raise CaddyfileError("wrong argument count or unexpected line ending after 'header_regexp'", line.name)
            name, fld, pattern = (a[0].text, a[1].text, a[2].text) if len(a) == 3 else ("", a[0].text, a[1].text)
            if fld in rx_fields:
                raise CaddyfileError(
                    f"header_regexp matcher can only be used once per named matcher, per header field: {fld}",
                    line.name,
                )
            _check_regex(pattern, a[-1])
            rx_fields[fld] = (name, pattern)
            rx_sources[fld] = span(line.name, a[-1])
        return HeaderRegexpMatcher(kind, where, rx_fields, rx_sources)
    if kind == "method":
        methods = [t.text for line in lines for t in line.args]
        return MethodMatcher(kind, where, methods)
    if kind == "query":
        params: dict[str, list[str]] = {}
        for line in lines:
            for t in line.args:
                if not t.text:
                    continue
                if "=" not in t.text:
                    raise CaddyfileError(f"malformed query matcher token: {t.text}; must be in param=val format", t)
                k, _, v = t.text.partition("=")
                params.setdefault(k, []).append(v)
        return QueryMatcher(kind, where, params)
    if kind == "protocol":
        if len(first.args) != 1:
            raise CaddyfileError("wrong argument count or unexpected line ending after 'protocol'", first.name)
        return ProtocolMatcher(kind, where, first.args[0].text.lower())
    if kind == "not":
        sets: list[MatcherSet] = []
        for line in lines:
            inner: list[Line] = []
            if line.args:
                inner.append(Line(line.args[0], line.args[1:], None))
            if line.node is not None and line.node.children:
                inner.extend(_lines_of(line.node.children))
            sets.append(build_set(inner, line.name))
        return NotMatcher(kind, where, sets)
    if kind == "file":
        files: list[str] = []
        for line in lines:
            files.extend(t.text for t in line.args)
            for child in (line.node.children or []) if line.node is not None else []:
                if child.name == "try_files":
                    files.extend(child.args)
        return FileMatcher(kind, where, files or ["{http.request.uri.path}"])
    return OpaqueMatcher(kind, where, [t.text for line in lines for t in line.args])


def _check_regex(pattern: str, where: Token) -> None:
    if refused_by_go(pattern) or go_regex(pattern) is None:
        raise CaddyfileError(f"invalid regular expression {pattern!r} (Go's RE2 syntax)", where)


def matcher_token(tok: Token, defs: dict[str, MatcherSet]) -> tuple[bool, MatcherSet | None]:
    """Whether the token is a matcher (`*`, `/path`, `@name`), and the set it stands for
    (None for `*`, which matches everything)."""
    if tok.text == "*":
        return True, None
    if tok.text.startswith("/"):
        src = token_source(tok)
        return True, MatcherSet([PathMatcher("path", src, [tok.text], [src])], src, tok.text)
    if tok.text.startswith("@"):
        found = defs.get(tok.text)
        if found is None:
            raise CaddyfileError(f"unrecognized matcher name: {tok.text}", tok)
        return True, MatcherSet(found.matchers, found.source, tok.text)
    return False, None


# -- evaluation ---------------------------------------------------------------------------------


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


FileCheck = Callable[[FileMatcher, Request], bool | None]


class MatcherError(Exception):
    """A matcher that ends the request with an error status (try_files with `=404`)."""

    def __init__(self, status: int, source: object) -> None:
        super().__init__(status)
        self.status = status
        self.source = source


def match_any(sets: list[MatcherSet], req: Request, files: FileCheck) -> bool | None:
    """A route's matcher sets: any one matching is enough (no sets: every request)."""
    if not sets:
        return True
    out: bool | None = False
    for s in sets:
        out = _or(out, match_set(s, req, files))
        if out is True:
            return True
    return out


def match_set(ms: MatcherSet, req: Request, files: FileCheck) -> bool | None:
    out: bool | None = True
    for m in ms.matchers:
        try:
            out = _and(out, match_one(m, req, files))
        except Unknown:
            out = _and(out, None)
        if out is False:
            return False
    return out


def match_one(m: Matcher, req: Request, files: FileCheck) -> bool | None:
    if isinstance(m, PathMatcher):
        return match_path(m.patterns, req)
    if isinstance(m, PathRegexpMatcher):
        rx = go_regex(m.pattern)
        if rx is None:
            return None
        found = rx.search(clean_path(req.path))
        if found is None:
            return False
        prefix = f"http.regexp.{m.name}" if m.name else "http.regexp"
        for i, g in enumerate([found.group(0), *found.groups()]):
            req.values[f"{prefix}.{i}"] = g or ""
        for name, g in found.groupdict().items():
            req.values[f"{prefix}.{name}"] = g or ""
        return True
    if isinstance(m, HostMatcher):
        return match_host(m.hosts, req)
    if isinstance(m, HeaderMatcher):
        return match_headers(m.fields, req)
    if isinstance(m, HeaderRegexpMatcher):
        for fld, (name, pattern) in m.fields.items():
            rx = go_regex(pattern)
            if rx is None:
                return None
            vals = [req.host] if canonical_header(fld) == "Host" and req.host else (req.header(fld) or [])
            hit = None
            for v in vals:
                hit = rx.search(v)
                if hit:
                    break
            if hit is None:
                return False
            prefix = f"http.regexp.{name}" if name else "http.regexp"
            for i, g in enumerate([hit.group(0), *hit.groups()]):
                req.values[f"{prefix}.{i}"] = g or ""
        return True
    if isinstance(m, MethodMatcher):
        return req.method in m.methods
    if isinstance(m, QueryMatcher):
        return match_query(m.params, req)
    if isinstance(m, ProtocolMatcher):
        return {
            "https": req.tls,
            "http": not req.tls,
            "http/1.1": True,
            "http/1.1+": True,
            "http/1.0+": True,
            "http/1.0": False,
            "http/2": False,
            "http/2+": False,
            "http/3": False,
            "http/3+": False,
            "grpc": False,
        }.get(m.protocol, False)
    if isinstance(m, NotMatcher):
        inner: bool | None = False
        for s in m.sets:
            inner = _or(inner, match_set(s, req, files))
        return None if inner is None else not inner
    if isinstance(m, FileMatcher):
        return files(m, req)
    return None


def go_path_match(pattern: str, name: str) -> bool:
    """Go's path.Match: `*` and `?` never cross a slash; a malformed pattern matches nothing."""
    rx = _path_pattern(pattern)
    return rx is not None and rx.fullmatch(name) is not None


@lru_cache(maxsize=8192)
def _path_pattern(pattern: str) -> re.Pattern[str] | None:
    """A path.Match pattern as a regex, compiled once: a server of 1,000 routes matches each request
    against all of them, and re's own cache (512 patterns) would compile them again for every request."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            j = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] == "^" else i + 1)
            if j < 0:
                return None
            body = pattern[i + 1 : j]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            if not body:
                return None
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out), re.S)
    except re.error:
        return None


def match_path(patterns: list[str], req: Request) -> bool | None:
    req_path = req.path.lower().rstrip(". ")
    unsure = False
    cleaned: dict[bool, str] = {}
    for raw in patterns:
        pattern = req.replace_all(raw).lower() if "{" in raw else raw.lower()
        if pattern == "*":
            return True
        merge = "//" not in pattern
        if "%" in pattern:
            # compared in escaped space: rare enough to leave undecided
            unsure = True
            continue
        path = cleaned.get(merge) or cleaned.setdefault(merge, clean_path(req_path, merge))
        stars = pattern.count("*")
        if stars == 2 and pattern.startswith("*") and pattern.endswith("*"):
            if pattern[1:-1] in path:
                return True
            continue
        if stars == 1:
            if pattern.startswith("*"):
                if path.endswith(pattern[1:]):
                    return True
                continue
            if pattern.endswith("*"):
                if path.startswith(pattern[:-1]):
                    return True
                continue
        if go_path_match(pattern, path):
            return True
    return None if unsure else False


def match_host(hosts: list[str], req: Request) -> bool | None:
    req_host = req.hostname
    for raw in hosts:
        host = req.replace_all(raw) if "{" in raw else raw
        if "*" in host:
            pp, ip = host.split("."), req_host.split(".")
            if len(pp) != len(ip):
                continue
            if all(p == "*" or p.lower() == q.lower() for p, q in zip(pp, ip, strict=True)):
                return True
        elif host.lower() == req_host.lower():
            return True
    return False


def match_headers(fields: dict[str, list[str] | None], req: Request) -> bool:
    for fld, allowed in fields.items():
        key = canonical_header(fld)
        actual = [req.host] if key == "Host" and req.host else req.header(key)
        if allowed is not None and len(allowed) == 0 and actual is not None:
            continue
        if allowed is None and actual is None:
            continue
        if allowed is None:
            return False
        ok = False
        for value in actual or []:
            for want in allowed:
                want = req.replace_all(want) if "{" in want else want
                if header_value_matches(want, value):
                    ok = True
                    break
            if ok:
                break
        if not ok:
            return False
    return True


def header_value_matches(want: str, value: str) -> bool:
    """One `header` matcher value against one request value (case-sensitive, `*` shortcuts)."""
    if want == "*":
        return True
    if want.startswith("*") and want.endswith("*") and len(want) >= 2:
        return want[1:-1] in value
    if want.startswith("*"):
        return value.endswith(want[1:])
    if want.endswith("*"):
        return value.startswith(want[:-1])
    return value == want


def match_query(params: dict[str, list[str]], req: Request) -> bool:
    try:
        parsed = parse_qs(req.query, keep_blank_values=True, strict_parsing=False, separator="&")
    except ValueError:
        return False
    if ";" in req.query:
        return False
    for param, vals in params.items():
        key = req.replace_all(param)
        if key in parsed:
            for v in vals:
                v = req.replace_all(v)
                if parsed[key][0] == v or v == "*":
                    return True
    return not params and not parsed
