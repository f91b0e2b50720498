"""Caddy 1 directives in a Caddy 2 Caddyfile: what Caddy 2 writes instead.

Caddy 2 refuses a Caddy 1 directive as `unrecognized directive`, which tells a user who copied an
old recipe nothing. The most common one in WebSocket recipes is `proxy`, whose `websocket` and
`transparent` subdirectives Caddy 2 no longer needs (reverse_proxy forwards upgrades and the client's
Host by itself): the message names it as Caddy 1 syntax and writes the reverse_proxy equivalent.
Facts from the Caddy 1 documentation (proxy: `proxy from to... { ... }`, `without`, `policy`,
`header_upstream`, `health_check`) and the Caddy 2 upgrade guide.
"""

from __future__ import annotations

from wslint.caddy.parser import Node

# Caddy 1 directives that Caddy 2 does not have, and what replaced them
RENAMED = {
    "gzip": "encode gzip",
    "fastcgi": "php_fastcgi",
    "ext": "try_files {path} {path}.html",
    "internal": "a handle block that responds 404 to outside requests",
    "status": "respond",
    "timeouts": "the global `servers { timeouts { ... } }` option",
    "limits": "request_body { max_size ... }",
    "browse": "file_server browse",
    "errors": "handle_errors",
    "mime": "header Content-Type",
    "on": "the global `events` option or exec plugins",
    "realip": "the global `servers { trusted_proxies ... }` option",
    "expvar": "the admin API's /debug/vars",
    "pprof": "the admin API's /debug/pprof",
}
# subdirectives of Caddy 1's proxy that Caddy 2's reverse_proxy does by itself, or calls otherwise
PROXY_SUBDIRECTIVES = {
    "websocket": None,
    "transparent": None,
    "keepalive": None,
    "policy": "lb_policy",
    "header_upstream": "header_up",
    "header_downstream": "header_down",
    "health_check": "health_uri",
    "health_check_interval": "health_interval",
    "health_check_timeout": "health_timeout",
    "fail_timeout": "fail_duration",
    "max_fails": "max_fails",
    "try_duration": "lb_try_duration",
    "try_interval": "lb_try_interval",
}


def caddy1_hint(node: Node) -> str | None:
    """For an unrecognized directive that Caddy 1 had: the words that say so, with the Caddy 2 form."""
    if node.name == "proxy":
        return "; this is Caddy 1 syntax, Caddy 2 writes it " + _reverse_proxy(node)
    if node.name == "websocket":
        return "; this is Caddy 1's websocket directive (websocketd), which Caddy 2 does not have"
    if node.name in RENAMED:
        return f"; this is Caddy 1 syntax, Caddy 2 uses {RENAMED[node.name]}"
    return None


def caddy1_subdirective_hint(sub: str) -> str:
    """For an unrecognized reverse_proxy subdirective that Caddy 1's proxy had: what Caddy 2 writes."""
    if sub not in PROXY_SUBDIRECTIVES:
        return ""
    instead = PROXY_SUBDIRECTIVES[sub]
    if instead is None:
        return f" (Caddy 1's proxy needed `{sub}`; Caddy 2's reverse_proxy does it by itself: remove it)"
    return f" (Caddy 1's proxy spelling; Caddy 2's reverse_proxy calls it {instead})"


def _reverse_proxy(node: Node) -> str:
    """`proxy from to...  { ... }` as Caddy 2 writes it, in words (a Caddyfile block takes several lines)."""
    args = node.args
    base = args[0] if args else "/"
    upstreams = [u.removeprefix("http://") if u.startswith("http://") else u for u in args[1:]] or ["UPSTREAM"]
    without: str | None = None
    inner: list[str] = []
    for child in node.children or []:
        sub = child.name
        if sub == "without" and child.args:
            without = child.args[0]
        elif sub in PROXY_SUBDIRECTIVES and PROXY_SUBDIRECTIVES[sub] is not None:
            inner.append(" ".join([str(PROXY_SUBDIRECTIVES[sub]), *child.args]))
        elif sub == "upstream" and child.args:
            upstreams += child.args
    matcher = "" if base == "/" or without is not None else f"{base.rstrip('/')}* "
    out = f"`reverse_proxy {matcher}{' '.join(upstreams)}`"
    if inner:
        out += " with " + ", ".join(f"`{line}`" for line in inner) + " in its block"
    if without is not None:
        out += f" inside `handle_path {without.rstrip('/')}* {{ }}` (which strips {without.rstrip('/')})"
    return out + " (reverse_proxy forwards WebSocket upgrades and the Host by itself)"
