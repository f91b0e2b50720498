"""mod_rewrite's rules in server context, evaluated for one request.

`RewriteRule PATTERN SUBSTITUTION [FLAGS]` matches the URL-path (no query);
its `RewriteCond`s (the ones written just above it) are then tested in order,
`[OR]` joining a condition with the next, `[NC]` making a regex or string
comparison ignore case (without it, `upgrade` does not match `Upgrade`). A
rule that applies changes the path (`-`: no change), proxies (`[P]`),
redirects (`[R]`), refuses (`[F]`, `[G]`) and, with `[L]`/`[END]`, stops the
rules. Values wslint cannot know (a RewriteMap, an environment variable, a
file test) make the result uncertain, except file tests on the request path,
which are taken as "no such file" like a WebSocket path always is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from wslint.apache.parser import Node
from wslint.model import Source

FILE_TESTS = ("-f", "-d", "-s", "-l", "-L", "-h", "-x", "-F", "-U")
INT_TESTS = ("-eq", "-ne", "-gt", "-ge", "-lt", "-le")


class Unknown(Exception):
    """The rules depend on something wslint cannot know; the message says what."""


@dataclass(frozen=True)
class Cond:
    test: str
    pattern: str
    flags: frozenset[str]
    node: Node

    @property
    def nocase(self) -> bool:
        return "nc" in self.flags or "nocase" in self.flags

    @property
    def ornext(self) -> bool:
        return "or" in self.flags or "ornext" in self.flags

    @property
    def header(self) -> str | None:
        """The request header the condition tests (lower case), if any."""
        m = re.fullmatch(r"%\{HTTP:([^}]+)\}", self.test.strip(), re.I)
        if m:
            return m.group(1).strip().lower()
        m = re.fullmatch(r"%\{HTTP_([A-Z_]+)\}", self.test.strip(), re.I)
        if m:
            return m.group(1).lower().replace("_", "-")
        return None


@dataclass(frozen=True)
class Rule:
    pattern: str
    substitution: str
    flags: dict[str, str]
    conds: tuple[Cond, ...]
    node: Node

    @property
    def negated(self) -> bool:
        return self.pattern.startswith("!")

    @property
    def proxy(self) -> bool:
        return "p" in self.flags or "proxy" in self.flags

    def has(self, *names: str) -> bool:
        return any(n in self.flags for n in names)

    @property
    def source(self) -> Source:
        return self.node.source


def parse_flags(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    out: dict[str, str] = {}
    for part in body.split(","):
        key, _, value = part.strip().partition("=")
        if key:
            out[key.strip().lower()] = value.strip()
    return out


def collect(nodes: list[Node]) -> list[Rule]:
    """The RewriteRules among `nodes`, each with the RewriteConds written above it."""
    rules: list[Rule] = []
    pending: list[Cond] = []
    for n in nodes:
        if n.key == "rewritecond" and len(n.args) >= 2:
            flags = frozenset(parse_flags(n.args[2] if len(n.args) > 2 else None))
            pending.append(Cond(n.args[0], n.args[1], flags, n))
        elif n.key == "rewriterule" and len(n.args) >= 2:
            rules.append(
                Rule(n.args[0], n.args[1], parse_flags(n.args[2] if len(n.args) > 2 else None), tuple(pending), n)
            )
            pending = []
    return rules


def compile_pattern(pattern: str, nocase: bool) -> re.Pattern[str] | None:
    """A PCRE pattern as Python reads it (None when it does not compile)."""
    try:
        return re.compile(pattern, re.IGNORECASE if nocase else 0)
    except (re.error, RecursionError, OverflowError):
        return None


@dataclass
class Request:
    """What the conditions and substitutions can see of the request."""

    uri: str
    query: str
    host: str | None
    headers: dict[str, str]
    https: bool
    port: int | None
    server_name: str


@dataclass
class Applied:
    """What the rules did: the rule that decided (if any) and its result."""

    kind: str  # "none", "path", "passthrough", "proxy", "redirect", "forbidden", "gone"
    rule: Rule | None = None
    uri: str | None = None
    query: str | None = None
    url: str | None = None
    status: int | None = None
    steps: list[tuple[str, Source | None]] = field(default_factory=list)
    # the conditions evaluated, in order, with their result
    tested: list[tuple[Cond, bool]] = field(default_factory=list)


def _variable(name: str, req: Request) -> str:
    upper = name.upper()
    if upper.startswith("HTTP:"):
        return req.headers.get(name[5:].strip().lower(), "")
    simple = {
        "REQUEST_URI": req.uri,
        "REQUEST_FILENAME": req.uri,
        "SCRIPT_FILENAME": req.uri,
        "QUERY_STRING": req.query,
        "HTTPS": "on" if req.https else "off",
        "REQUEST_SCHEME": "https" if req.https else "http",
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "THE_REQUEST": f"GET {req.uri}{'?' + req.query if req.query else ''} HTTP/1.1",
        "SERVER_NAME": req.server_name,
        "SERVER_PORT": str(req.port or 80),
    }
    if upper in simple:
        return simple[upper]
    if upper.startswith("HTTP_"):
        header = upper[5:].lower().replace("_", "-")
        if header == "host":
            if req.host is None:
                raise Unknown("the request's Host (the endpoint has no host)")
            return req.host
        return req.headers.get(header, "")
    raise Unknown(f"the value of %{{{name}}}")


def expand(text: str, req: Request, rule_groups: tuple[str, ...], cond_groups: tuple[str, ...]) -> str:
    """`$N`, `%N` and `%{VAR}` in a substitution or test string."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            n = int(text[i + 1])
            out.append(rule_groups[n] if n < len(rule_groups) else "")
            i += 2
            continue
        if ch == "$" and i + 1 < len(text) and text[i + 1] == "{":
            raise Unknown(f"the RewriteMap lookup in `{text}`")
        if ch == "%" and i + 1 < len(text) and text[i + 1].isdigit():
            n = int(text[i + 1])
            out.append(cond_groups[n] if n < len(cond_groups) else "")
            i += 2
            continue
        if ch == "%" and i + 1 < len(text) and text[i + 1] == "{":
            end = text.find("}", i)
            if end < 0:
                out.append(text[i:])
                break
            out.append(_variable(text[i + 2 : end], req))
            i = end + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def cond_holds(cond: Cond, req: Request, rule_groups: tuple[str, ...], cond_groups: list[str]) -> bool:
    value = expand(cond.test, req, rule_groups, tuple(cond_groups))
    pattern = cond.pattern
    negate = pattern.startswith("!")
    if negate:
        pattern = pattern[1:]
    if pattern in FILE_TESTS:
        if not _names_the_request(cond.test):
            # a file the configuration names (a maintenance flag, a docroot file): whether it exists is the server's
            raise Unknown(f"whether the file of `{cond.node.text}` exists")
        # a WebSocket path names no file or directory
        result = False
    elif (
        pattern.startswith(("-ipmatch", "-strmatch", "-strcmatch"))
        or cond.test.strip().lower() == "expr"
        or pattern in INT_TESTS
    ):
        raise Unknown(f"the condition `{cond.node.text}`")
    elif pattern[:1] in ("=", "<", ">"):
        op = pattern[:2] if pattern[:2] in ("<=", ">=") else pattern[0]
        other = pattern[len(op) :]
        if other == '""':
            other = ""
        a, b = (value.lower(), other.lower()) if cond.nocase else (value, other)
        result = {"=": a == b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    else:
        rx = compile_pattern(pattern, cond.nocase)
        if rx is None:
            raise Unknown(f"the regex of `{cond.node.text}`")
        m = rx.search(value)
        result = m is not None
        if m is not None and not negate:
            cond_groups[:] = [m.group(0), *(g or "" for g in m.groups())]
    return result != negate


def _names_the_request(test: str) -> bool:
    """Whether a file test's string is made from the request's path (`%{REQUEST_FILENAME}`, a `$1`)."""
    return re.search(r"%\{(REQUEST_FILENAME|REQUEST_URI|SCRIPT_FILENAME)\}|[$%]\d", test, re.I) is not None


def conds_hold(rule: Rule, req: Request, rule_groups: tuple[str, ...], tested: list[tuple[Cond, bool]]) -> bool:
    """The rule's conditions, `[OR]` chains included (a chain holds when one of its members does).

    A condition wslint cannot evaluate (an unknown variable, `expr`) leaves its chain undecided, but
    the conditions are ANDed: one chain that fails decides them all, whatever the undecided ones say.
    Only when none fails does an undecided one make the answer unknown (raised).
    """
    groups: list[str] = [""]
    groups_known = True
    undecided: Unknown | None = None
    chain: bool | None = False
    why: Unknown | None = None
    for i, cond in enumerate(rule.conds):
        holds: bool | None
        if not groups_known and re.search(r"%\d", cond.test):
            # its %N refers to a condition whose match wslint does not know
            holds, why = None, why or Unknown(f"the condition `{cond.node.text}`")
        else:
            try:
                holds = cond_holds(cond, req, rule_groups, groups)
                tested.append((cond, holds))
            except Unknown as exc:
                holds, why, groups_known = None, why or exc, False
        chain = True if chain is True or holds is True else (None if chain is None or holds is None else False)
        if cond.ornext and i + 1 < len(rule.conds):
            continue
        if chain is False:
            return False
        if chain is None:
            undecided = undecided or why
        chain, why = False, None
    if undecided is not None:
        raise undecided
    return True


def run_rules(rules: list[Rule], req: Request, host_url: Callable[[str], str]) -> Applied:
    """What the server-context rules do to the request (raises Unknown when it cannot be told)."""
    applied = Applied("none")
    uri, query = req.uri, req.query
    changed = False
    i = 0
    skip_chain = False
    while i < len(rules):
        rule = rules[i]
        i += 1
        if skip_chain:
            skip_chain = rule.has("c", "chain")
            continue
        pattern = rule.pattern[1:] if rule.negated else rule.pattern
        rx = compile_pattern(pattern, rule.has("nc", "nocase"))
        if rx is None:
            raise Unknown(f"the regex of `{rule.node.text}`")
        m = rx.search(uri)
        matched = (m is not None) != rule.negated
        groups: tuple[str, ...] = (
            (m.group(0), *(g or "" for g in m.groups())) if m is not None and not rule.negated else ("",)
        )
        current = Request(uri, query, req.host, req.headers, req.https, req.port, req.server_name)
        if matched and rule.conds:
            matched = conds_hold(rule, current, groups, applied.tested)
        if not matched:
            if rule.conds and m is not None:
                applied.steps.append((f"{rule.node.text}: a condition does not hold", rule.source))
            skip_chain = rule.has("c", "chain")
            continue
        if rule.has("n", "next") or any(f == "h" or f == "handler" for f in rule.flags):
            # [N] runs the rules again from the first; [H=] hands the request to another handler
            raise Unknown(f"what `{rule.node.text}` does (its [N] or [H] flag is not followed)")
        cond_groups: list[str] = [""]
        if rule.conds:
            # the groups of the last condition that matched
            for cond, holds in applied.tested[-len(rule.conds) :]:
                if holds:
                    cond_holds(cond, current, groups, cond_groups)
        if rule.has("f", "forbidden"):
            applied.steps.append((f"{rule.node.text}: 403", rule.source))
            return Applied("forbidden", rule, status=403, steps=applied.steps, tested=applied.tested)
        if rule.has("g", "gone"):
            applied.steps.append((f"{rule.node.text}: 410", rule.source))
            return Applied("gone", rule, status=410, steps=applied.steps, tested=applied.tested)
        if rule.substitution != "-":
            target = expand(rule.substitution, current, groups, tuple(cond_groups))
            new_path, qmark, new_query = target.partition("?")
            if rule.has("qsd", "qsdiscard"):
                # the request's query is discarded; one the substitution writes is kept (splitout_queryargs)
                query = ""
            if qmark and rule.has("qsa", "qsappend"):
                query = "&".join(q for q in (new_query, query) if q)
            elif qmark:
                query = new_query
            absolute = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", new_path) is not None
            if rule.proxy:
                url = new_path + (f"?{query}" if query else "")
                applied.steps.append((f"{rule.node.text}: proxied to {url}", rule.source))
                return Applied("proxy", rule, uri=uri, query=query, url=url, steps=applied.steps, tested=applied.tested)
            if rule.has("r", "redirect") or absolute:
                code = rule.flags.get("r") or rule.flags.get("redirect") or "302"
                status = (
                    int(code)
                    if code.isdigit()
                    else {"permanent": 301, "temp": 302, "seeother": 303}.get(code.lower(), 302)
                )
                location = new_path if absolute else host_url(new_path)
                location += f"?{query}" if query else ""
                applied.steps.append((f"{rule.node.text}: redirect {status} to {location}", rule.source))
                if 300 <= status < 400:
                    return Applied(
                        "redirect", rule, url=location, status=status, steps=applied.steps, tested=applied.tested
                    )
                return Applied("forbidden", rule, status=status, steps=applied.steps, tested=applied.tested)
            uri = new_path
            changed = True
            applied.rule = rule
            applied.steps.append((f"{rule.node.text}: the path becomes {uri}", rule.source))
            if rule.has("pt", "passthrough"):
                applied.kind = "passthrough"
        elif rule.proxy:
            url = uri + (f"?{query}" if query else "")
            return Applied("proxy", rule, uri=uri, query=query, url=url, steps=applied.steps, tested=applied.tested)
        # [PT] implies [L]
        if rule.has("l", "last", "end", "pt", "passthrough"):
            break
        skip = rule.flags.get("s") or rule.flags.get("skip")
        if skip and skip.isdigit():
            i += int(skip)
    if changed:
        kind = "passthrough" if applied.kind == "passthrough" else "path"
        return Applied(kind, applied.rule, uri=uri, query=query, steps=applied.steps, tested=applied.tested)
    return applied
