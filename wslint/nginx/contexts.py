"""Where nginx accepts the directives that matter for WebSockets.

Taken from the "Context:" line of each directive in the nginx documentation.
Only directives whose misplacement breaks a WebSocket setup are listed; any
other directive is not judged (wslint is not a general nginx validator, and a
third-party module may define a directive of the same name).
"""

from __future__ import annotations

HTTP_SERVER_LOCATION = ("http", "server", "location")

ALLOWED: dict[str, tuple[str, ...]] = {
    "map": ("http",),
    "geo": ("http",),
    "split_clients": ("http",),
    "upstream": ("http",),
    "server": ("http",),
    "location": ("server", "location"),
    "proxy_set_header": HTTP_SERVER_LOCATION,
    "proxy_http_version": HTTP_SERVER_LOCATION,
    "proxy_read_timeout": HTTP_SERVER_LOCATION,
    "proxy_send_timeout": HTTP_SERVER_LOCATION,
    "proxy_connect_timeout": HTTP_SERVER_LOCATION,
    "proxy_pass_request_headers": HTTP_SERVER_LOCATION,
    "proxy_pass": ("location", "if in location", "limit_except"),
    "resolver": HTTP_SERVER_LOCATION,
    "keepalive": ("upstream",),
    "try_files": ("server", "location"),
}

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


def is_allowed(directive: str, ctx: tuple[str, ...]) -> bool | None:
    """True/False for directives wslint judges, None when it does not judge this one here."""
    if any(part in OPAQUE_BLOCKS for part in ctx):
        return None
    if ctx and ctx[0] not in ("http",):
        return None
    allowed = ALLOWED.get(directive)
    if allowed is None:
        return None
    if "upstream" in ctx and directive == "server":
        return None
    return effective_context(ctx) in allowed
