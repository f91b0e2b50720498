"""The fixed vocabulary of failure categories: every rule maps to exactly one.

Categories group rules by what goes wrong for the client, across proxies.
"""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "missing-http-version": "the proxy talks HTTP/1.0 to the upstream, so the upgrade is ignored or rejected",
    "missing-upgrade-header": "Upgrade: websocket does not reach the backend (never set, deleted, overwritten)",
    "missing-connection-header": "the upgrade token of Connection does not reach the backend",
    "header-inheritance-dropped": "a lower level's header directive discards headers inherited from an outer level",
    "undefined-variable": "the config uses a variable nobody defines: the proxy refuses to load it",
    "config-invalid": "the proxy refuses the configuration for another reason relevant here",
    "route-shadowed": "a correct WebSocket route exists, but a route with higher precedence takes the request",
    "route-miss": "no WebSocket route matches the client's path, host or headers",
    "wrong-server-block": "the request's Host selects a server block / vhost / site that lacks the WebSocket route",
    "ws-path-not-proxied": "the WebSocket path is answered locally instead of being proxied",
    "trailing-slash-redirect": "the proxy answers 301/308 to add a trailing slash; WebSocket clients do not follow it",
    "ws-redirect": "any other redirect answered to the handshake",
    "path-rewritten": "the proxy changes the path so the backend receives one it does not serve",
    "upstream-unresolvable": "the upstream cannot be resolved or reached as configured",
    "idle-timeout": "an established, idle WebSocket is cut by a proxy timeout shorter than the app's heartbeat",
    "connection-exact-match": "a matcher requires Connection to equal Upgrade exactly; browsers send lists",
    "case-sensitive-match": "a matcher compares Upgrade/Connection tokens case-sensitively",
    "upgrade-not-enabled": "the proxy has upgrade support but it is not switched on for this route",
    "proxy-module-missing": "no loaded module can handle the WebSocket proxying configured",
    "host-or-origin-rewritten": "Host, Origin or X-Forwarded-Proto reach the backend changed",
    "upgrade-forced": "the upgrade headers are sent on every request, breaking plain HTTP on the same route",
    "session-affinity": "a transport that starts with HTTP polling is balanced without stickiness",
    "http2-websocket": "the WebSocket depends on HTTP/2 extended CONNECT, or the upstream protocol cannot tunnel it",
    "health-check-fails": "an active health check the WebSocket backend cannot pass marks the server down",
}
