"""The router a declared handshake was meant for, when it lands on a web application's catch-all.

Traefik forwards an upgrade on every router, so a handshake that lands on the web application's
catch-all (``PathPrefix(`/`)``) or host-only router (``Host(`app`)``) is proxied there like any
request, and the web application answers 404. Another router may have been written for it and
miss it by a detail. wslint names that router only on strong evidence, because a wrong claim here
is a false alarm on a working configuration:

- the router the handshake lands on selects no path (its positive matchers are Host, HostRegexp,
  ClientIP or ``PathPrefix(`/`)``), or only the application's base path (``PathPrefix(`/vault`)``)
  under which the other router's path is written, and shows no sign of WebSockets itself;
- the other router selects a path (not ``/``) that says WebSocket (``/ws``, ``/socket.io``, ...),
  or its router or service name does (socket, realtime, ws, live, cable, hub), and its service
  sends to other servers than the landing router's (the same servers would answer the handshake
  anyway);
- one precise correction of one of its matchers makes it take this very handshake ahead of every
  other router (priorities recomputed with the corrected rule's length): the client's host added
  to its Host (it needs another host: `elsewhere`, a wrong-server-block, and only when that host
  has no application router of its own, or the socket router would be another application's);
  its path without the trailing slash the client does not send (a `trailing-slash` miss); its exact
  ``Path`` widened to the trailing slash the client adds (an `exact-path` miss); its path with the
  one slash it lacks, a base path joined to the rest without the separator (a `missing-slash` miss); its v2
  `{name:regex}` HostRegexp template read as a template (a `v2-host-template` miss: v3 reads the
  braces as regex text that no host contains).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from wslint.intent import path_signal
from wslint.model import Source
from wslint.traefik.build import LoadedRouter, positive_matchers
from wslint.traefik.matchers import OPAQUE, SimRequest, evaluate
from wslint.traefik.ruleparse import Expr, Matcher, RuleError, RuleTooDeep, parse_rule, priority
from wslint.traefik.v2to3 import matcher_v3

# words of a router's or service's name that say it carries WebSockets
NAME_WORDS = frozenset(
    {
        "ws",
        "wss",
        "websocket",
        "websockets",
        "socket",
        "sockets",
        "socketio",
        "sockjs",
        "realtime",
        "live",
        "cable",
        "hub",
        "hubs",
        "signalr",
        "wsapi",
    }
)
# a gorilla/mux template in a v2 HostRegexp: `{name}` or `{name:regex}`
V2_TEMPLATE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")
SITE_MATCHERS = ("Host", "HostRegexp", "HostHeader", "ClientIP")


def name_says_socket(name: str) -> bool:
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower().split("@", 1)[0]) if w]
    return any(w in NAME_WORDS or w.startswith("websocket") or w.endswith("websocket") for w in words)


def path_matchers(router: LoadedRouter) -> list[Matcher]:
    """The path matchers a request must satisfy (not negated, not ``PathPrefix(`/`)``)."""
    return [
        m
        for m, negated in positive_matchers(router.expr)
        if not negated and m.name in ("Path", "PathPrefix", "PathRegexp") and m.args[0] != "/"
    ]


def socket_evidence(router: LoadedRouter) -> str | None:
    """Why a router is plainly meant for WebSockets, or None."""
    paths = path_matchers(router)
    if not paths:
        return None
    for m in paths:
        signal = path_signal(m.args[0])
        if signal is not None and signal[0] == "strong":
            return f"`{m.text(router.rule)}` {signal[1].replace('its path contains', 'names')}"
    if name_says_socket(router.spec.name):
        return f"its name {router.spec.name} says WebSocket"
    if router.service is not None and name_says_socket(router.service.name):
        return f"its service {router.service.name} is named for WebSockets"
    return None


def base_paths(router: LoadedRouter) -> tuple[str, ...] | None:
    """The path prefixes an application's router selects besides the site (``PathPrefix(`/vault`)``: the
    application mounted under a base path), or None when it selects anything else."""
    bases: list[str] = []
    for m, negated in positive_matchers(router.expr):
        if negated or m.name in SITE_MATCHERS or (m.name == "PathPrefix" and m.args[0] == "/"):
            continue
        if m.name != "PathPrefix" or len(m.args) != 1 or OPAQUE in m.args[0]:
            return None
        bases.append(m.args[0])
    return tuple(bases)


def under_bases(router: LoadedRouter, bases: tuple[str, ...]) -> bool:
    """Whether every path the socket router selects is written under the application's base paths."""
    return all(m.args[0].startswith(b) for m in path_matchers(router) for b in bases)


def one_slash_added(arg: str, path: str, exact: bool) -> str | None:
    """`arg` with the one slash that makes it select `path` (all of it for Path, a leading part ending at
    a segment for PathPrefix), or None."""
    for i in range(1, len(arg) + 1):
        if arg[i - 1] == "/" or (i < len(arg) and arg[i] == "/"):
            continue  # a doubled slash is not the one missing
        fixed = arg[:i] + "/" + arg[i:]
        if exact and path == fixed:
            return fixed
        at_segment = fixed.endswith("/") or path[len(fixed) : len(fixed) + 1] in ("", "/")
        if not exact and path.startswith(fixed) and at_segment:
            return fixed
    return None


def servers(router: LoadedRouter) -> frozenset[str]:
    """The servers a router's service sends to (scheme, host and port)."""
    urls = router.service.urls if router.service is not None else ()
    return frozenset(u.split("://", 1)[-1].split("/", 1)[0].lower() for u in urls if u)


@dataclass(frozen=True)
class Correction:
    """One matcher of the socket router rewritten so that it takes the handshake."""

    kind: str  # "host", "trailing-slash", "exact-path", "missing-slash", "v2-host-template"
    matcher: Matcher
    replacement: str
    reason: str


def corrections(router: LoadedRouter, sim: SimRequest, path: str, client_host: str | None) -> Iterator[Correction]:
    rule = router.rule
    for m, negated in positive_matchers(router.expr):
        if negated or any(OPAQUE in a for a in m.args) or len(m.args) != 1:
            continue
        written, arg = m.text(rule), m.args[0]
        if m.name == "Host" and client_host and arg.lower() != client_host:
            yield Correction(
                "host",
                m,
                f"(Host(`{arg}`) || Host(`{client_host}`))",
                f"`{written}` takes only {arg}, and the client connects to {client_host}",
            )
        elif m.name in ("PathPrefix", "Path") and arg.endswith("/") and arg.rstrip("/") == path and path:
            yield Correction(
                "trailing-slash",
                m,
                f"(Path(`{path}`) || {m.name}(`{arg}`))",
                f"`{written}` requires the trailing slash, which the client does not send",
            )
        elif m.name == "Path" and path and path == arg.rstrip("/") + "/" and not arg.endswith("/"):
            # Path is exact: `/socket.io` does not take the `/socket.io/` every Socket.IO client opens
            yield Correction(
                "exact-path",
                m,
                f"(Path(`{arg}`) || PathPrefix(`{path}`))",
                f"`{written}` matches {arg} exactly, and the client sends {path} with the trailing slash",
            )
        elif m.name in ("PathPrefix", "Path") and path and (fixed := one_slash_added(arg, path, m.name == "Path")):
            yield Correction(
                "missing-slash",
                m,
                f"{m.name}(`{fixed}`)",
                f"`{written}` lacks a slash: the client sends {path}",
            )
        elif m.name == "HostRegexp" and router.syntax == "v3" and V2_TEMPLATE.search(arg):
            converted = matcher_v3("HostRegexp", (arg,))
            if converted is not None:
                yield Correction(
                    "v2-host-template",
                    m,
                    converted,
                    f"`{written}` is a v2 host template: Traefik v3 reads HostRegexp as a Go regular expression, "
                    "braces included, which no host matches",
                )


def corrected(router: LoadedRouter, c: Correction) -> tuple[Expr, int] | None:
    """The router's rule with the correction applied, and the priority Traefik would then give it."""
    rule = router.rule
    new = rule[: c.matcher.start] + c.replacement + rule[c.matcher.end :]
    try:
        expr = parse_rule(new, router.syntax)
    except (RuleError, RuleTooDeep):
        return None
    return expr, router.priority if router.explicit_priority else priority(new)


def first_match(
    routers: list[LoadedRouter], sim: SimRequest, replaced: LoadedRouter, expr: Expr, prio: int
) -> LoadedRouter | None:
    """The router Traefik would pick with `replaced` carrying another rule and priority; None when
    undecidable before any match."""
    order = sorted(routers, key=lambda r: (-(prio if r is replaced else r.priority), r.name))
    for r in order:
        verdict = evaluate(expr if r is replaced else r.expr, sim, r.syntax)
        if verdict is None:
            return None
        if verdict:
            return r
    return None


def span(router: LoadedRouter, m: Matcher) -> Source | None:
    return router.span(m)
