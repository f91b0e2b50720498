"""Where nginx accepts the directives that matter for WebSockets, for the rules that move them.

Where a directive is allowed comes from the directive table (the "Context:"
line of nginx's documentation, read from nginx itself). Only the directives
listed here are judged by the rules WS402, WS403 and WS404, which explain the
misplacement and move the line; any other misplaced directive is a parse
diagnostic (wslint/nginx/syntax.py).
"""

from __future__ import annotations

from wslint.nginx import directive_table
from wslint.nginx.directive_form import Version

JUDGED = frozenset(
    {
        "map",
        "geo",
        "split_clients",
        "upstream",
        "server",
        "location",
        "proxy_set_header",
        "proxy_http_version",
        "proxy_read_timeout",
        "proxy_send_timeout",
        "proxy_connect_timeout",
        "proxy_pass_request_headers",
        "proxy_pass",
        "resolver",
        "keepalive",
        "try_files",
    }
)

# the http contexts, in the order nginx's documentation lists them
HTTP_CONTEXTS = ("http", "server", "location", "if in server", "if in location", "limit_except", "upstream")

# Human wording for the context names above, as nginx's documentation writes them.
CONTEXT_WORDS = {
    "main": "the main context",
    "http": "http",
    "server": "server",
    "location": "location",
    "if": "if",
    "if in location": "if in location",
    "if in server": "if in server",
    "limit_except": "limit_except",
    "upstream": "upstream",
}

# Blocks whose inside is another module's world (stream/mail servers, map
# bodies, types): directive names there mean something else.
OPAQUE_BLOCKS = frozenset({"stream", "mail", "map", "geo", "split_clients", "types", "events", "charset_map", "match"})


def effective_context(ctx: tuple[str, ...]) -> str:
    """nginx's name for the innermost context (`if` depends on where it sits)."""
    if not ctx:
        return "main"
    last = ctx[-1]
    if last == "if":
        return "if in location" if len(ctx) > 1 and ctx[-2] in ("location", "if") else "if in server"
    return last


def allowed_contexts(directive: str, version: Version) -> tuple[str, ...]:
    """The http contexts nginx `version` accepts `directive` in."""
    forms = directive_table.forms(directive, version) or ()
    return tuple(c for c in HTTP_CONTEXTS if any(c in f.contexts for f in forms))


# (judged directive, context, version) -> is_allowed's answer: a large configuration asks the same few
# questions for every one of its directives
_ALLOWED: dict[tuple[str, tuple[str, ...], Version], bool | None] = {}


def is_allowed(directive: str, ctx: tuple[str, ...], version: Version) -> bool | None:
    """True/False for directives the rules judge, None when they do not judge this one here."""
    if directive not in JUDGED:
        return None
    key = (directive, ctx, version)
    try:
        return _ALLOWED[key]
    except KeyError:
        answer = _ALLOWED[key] = _is_allowed(directive, ctx, version)
        return answer


def _is_allowed(directive: str, ctx: tuple[str, ...], version: Version) -> bool | None:
    if any(part in OPAQUE_BLOCKS for part in ctx):
        return None
    if ctx and ctx[0] not in ("http",):
        return None
    if "upstream" in ctx and directive == "server":
        return None
    return effective_context(ctx) in allowed_contexts(directive, version)
