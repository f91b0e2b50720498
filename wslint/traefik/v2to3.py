"""Rewriting a v2-syntax rule in v3 syntax, for the fix of a rule Traefik v3 refuses.

Following Traefik's migration guide: matchers take one value (several values
become `||` alternatives), `Headers`/`HeadersRegexp` become
`Header`/`HeaderRegexp`, `HostHeader` becomes `Host`, gorilla templates
(`{id:[0-9]+}`) become Go regular expressions in `PathRegexp`/`HostRegexp`,
and `Query(`k=v`)` becomes `Query(`k`, `v`)`. Everything between the matchers
is kept as written.
"""

from __future__ import annotations

from wslint.traefik.matchers import template_regex
from wslint.traefik.ruleparse import V2_MATCHERS, RuleError, matchers_of, parse_expression, spellings


def _q(value: str) -> str:
    return f"`{value}`"


def _alternatives(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


def matcher_v3(name: str, args: tuple[str, ...]) -> str | None:
    """One v2 matcher (canonical name) written in v3 syntax."""
    if name in ("Host", "HostHeader"):
        return _alternatives([f"Host({_q(a)})" for a in args])
    if name == "HostRegexp":
        parts = []
        for a in args:
            body = template_regex(a, "[^.]+")
            if body is None:
                return None
            parts.append(f"HostRegexp({_q('^' + body + '$')})")
        return _alternatives(parts)
    if name in ("Path", "PathPrefix"):
        parts = []
        for a in args:
            if "{" not in a:
                parts.append(f"{name}({_q(a)})")
                continue
            body = template_regex(a, "[^/]+")
            if body is None:
                return None
            parts.append(f"PathRegexp({_q('^' + body + ('$' if name == 'Path' else ''))})")
        return _alternatives(parts)
    if name in ("Method", "ClientIP"):
        return _alternatives([f"{name}({_q(a)})" for a in args])
    if name in ("Headers", "HeadersRegexp"):
        single = "Header" if name == "Headers" else "HeaderRegexp"
        pairs = [f"{single}({_q(k)}, {_q(v)})" for k, v in zip(args[0::2], args[1::2], strict=False)]
        return "(" + " && ".join(pairs) + ")" if len(pairs) > 1 else (pairs[0] if pairs else None)
    if name == "Query":
        parts = []
        for a in args:
            key, _, value = a.partition("=")
            if "{" in value:
                return None
            parts.append(f"Query({_q(key)}, {_q(value)})" if value else f"Query({_q(key)})")
        return "(" + " && ".join(parts) + ")" if len(parts) > 1 else parts[0]
    return None


def convert_v2(rule: str) -> str | None:
    """The same rule in v3 syntax, or None when wslint cannot rewrite it faithfully."""
    try:
        expr = parse_expression(rule)
    except RuleError:
        return None
    names = spellings(list(V2_MATCHERS))
    out: list[str] = []
    last = 0
    for m in sorted(matchers_of(expr), key=lambda x: x.start):
        canonical = names.get(m.name)
        if canonical is None or any("`" in a for a in m.args):
            return None
        new = matcher_v3(canonical, m.args)
        if new is None:
            return None
        out.append(rule[last : m.start])
        out.append(new)
        last = m.end
    out.append(rule[last:])
    return "".join(out)
