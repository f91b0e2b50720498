"""From what the browsers saw to the likely causes (the catalog's status cheat sheet).

The same proxy mistake shows up as different statuses depending on who
answers, so each status lists its usual causes; the response headers narrow
them down (a `Server: nginx` 404 with nginx's own page means nginx answered
itself; a redirect to the same URL plus "/" is a trailing-slash redirect), and
differences between browsers point at matchers that compare `Connection`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from wslint.probe.client import Attempt

STATUS_CAUSES: dict[int, str] = {
    400: "the handshake was rejected as malformed: a proxy that checks Sec-WebSocket-Key (HAProxy 2.4+), a "
    "backend that refuses HTTP/1.0 from the proxy, or Socket.IO's 'Session ID unknown' when polling and the "
    "upgrade reach different backends (no session affinity)",
    403: "an origin or host check failed: the proxy changed Host or dropped X-Forwarded-Proto/Host, or the "
    "app does not allow this Origin (Envoy answers 403 when upgrades are not enabled)",
    404: "the path is not routed to the WebSocket server (another location, router or backend took it), or "
    "the upgrade headers were lost and the app answered a plain GET with 'not found'",
    426: "the backend wanted an upgrade and did not get one: the proxy does not forward Upgrade and Connection",
    200: "a page answered instead of the WebSocket server: an SPA fallback (try_files ... /index.html), a static "
    "root, or a backend that got a plain GET because the upgrade headers were lost",
    500: "the proxy has no handler for the WebSocket (Apache ws:// without mod_proxy_wstunnel) or failed itself",
    502: "the proxy could not reach the upstream: wrong address, the server is down, or an upstream named "
    "through a variable without a resolver (nginx)",
    503: "the proxy has no server for the request: no backend matched (HAProxy without default_backend), or every "
    "server is marked down by a health check that probes the WebSocket path",
    505: "the upstream refused the HTTP version: the proxy talks HTTP/1.0 to it (nginx without "
    "proxy_http_version 1.1 before 1.29.7)",
}

IDLE_HINTS = (
    (
        55,
        65,
        "nginx's default proxy_read_timeout (60 s), Apache's Timeout (60 s) or an AWS load balancer (60 s)",
    ),
    (25, 55, "HAProxy's timeout client/server without a timeout tunnel (often 30 to 50 s)"),
    (95, 105, "a Cloudflare-style 100 s limit on an outer hop"),
)


def _redirect(a: Attempt, url: str) -> str:
    location = a.headers.get("location", "")
    here = urlsplit(url)
    there = urlsplit(location)
    if there.path == here.path + "/":
        return (
            f"{a.status} to {location}: a trailing-slash redirect (nginx answers it for a `location {here.path}/` "
            "that proxies, when the client omits the slash); connect to the URL with the slash or add an exact "
            "location for the path without it"
        )
    if there.scheme in ("https", "wss") and here.scheme in ("ws", "http"):
        return (
            f"{a.status} to {location}: a scheme redirect to HTTPS; browsers do not follow it for WebSockets, so "
            "use wss:// (derive the scheme from the page's location.protocol)"
        )
    return f"{a.status} to {location or '(no Location header)'}: WebSocket clients do not follow redirects"


def proxy_own_page(a: Attempt) -> str | None:
    """The proxy whose built-in error page this is (it answered without asking a backend)."""
    server = a.headers.get("server", "").lower()
    if "nginx" in server and "<center>nginx" in a.body:
        return "nginx"
    if a.status == 503 and "No server is available to handle this request" in a.body:
        return "HAProxy"
    if a.body.strip() == "404 page not found" and "text/plain" in a.headers.get("content-type", ""):
        return "Traefik"
    return None


def answered_by(a: Attempt) -> str | None:
    server = a.headers.get("server")
    via = a.headers.get("via")
    if server and via:
        return f"Server: {server}, Via: {via}"
    if server:
        return f"Server: {server}"
    if via:
        return f"Via: {via}"
    return None


def diagnose(url: str, attempts: list[Attempt]) -> list[str]:
    lines: list[str] = []
    ok = [a for a in attempts if a.ok]
    bad = [a for a in attempts if not a.ok]
    if not bad and attempts:
        lines.append(
            "every browser's handshake was upgraded"
            + (" and survived the idle period" if any(a.idle_seconds for a in attempts) else "")
        )
        return lines
    if ok:
        names = ", ".join(a.browser for a in bad)
        if any(a.browser == "firefox" for a in bad) and not any(a.browser == "firefox" for a in ok):
            lines.append(
                f"only {names} fails: Firefox sends `Connection: keep-alive, Upgrade`, so a matcher that compares "
                "the whole Connection header with `Upgrade` (an nginx `map` key, a Caddy `header` matcher) misses it; "
                "HAProxy and Traefik reduce the header to `Upgrade` before matching, so it is not theirs"
            )
        else:
            lines.append(f"only {names} fails: a header matcher treats these clients differently")
    seen: set[str] = set()
    for a in bad:
        if a.error is not None:
            text = f"{a.browser}: {a.error}"
        elif a.status is not None and a.status != 101:
            text = (
                _redirect(a, url)
                if 300 <= a.status < 400
                else STATUS_CAUSES.get(a.status, f"the handshake got {a.status} instead of 101")
            )
            if a.status == 400 and "sent to HTTPS port" in a.body:
                text = "the port serves TLS and the handshake came in plain text: use wss:// (or https://) for it"
            own = proxy_own_page(a)
            if own is not None and a.status in (404, 403, 400, 500, 503):
                text = (
                    f"{own} answered itself with its own error page: the handshake reached no backend "
                    "(no route proxies this path here, or it is served from files)"
                    if a.status != 503
                    else f"{own} has no server for the request (no backend matched, or all are marked down)"
                )
            text = f"{a.status} {a.reason}: {text}" if not 300 <= a.status < 400 else text
        elif a.accept_valid is False:
            text = "101 with a wrong Sec-WebSocket-Accept: a hop rewrote the handshake"
        elif a.pong is False:
            text = "101, but nothing answered a ping: the upgraded connection does not reach a WebSocket server"
        elif a.echo is False:
            text = f"101, but the message was not echoed: {a.echo_detail}"
        elif a.cut_after is not None:
            hint = next((h for lo, hi, h in IDLE_HINTS if lo <= a.cut_after <= hi), None)
            text = f"the idle connection was cut after about {a.cut_after:g} s" + (
                f", like {hint}" if hint else ": a proxy idle timeout shorter than the silence"
            )
        else:
            continue
        if text not in seen:
            seen.add(text)
            lines.append(text)
    return lines
