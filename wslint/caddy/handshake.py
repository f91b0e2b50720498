"""A browser's handshake as Caddy receives it, and the request reverse_proxy sends upstream.

Caddy's HTTP server passes the client's headers to the routes unchanged, so
header matchers see Firefox's `Connection: keep-alive, Upgrade` as sent.
reverse_proxy then removes the hop-by-hop headers and, when the request's
Connection carries the upgrade token, puts back `Connection: Upgrade` and
the client's `Upgrade` (lower-cased): Caddy upgrades by itself. Only after
that are the `header_up` operations applied, so a `header_up` on Connection
or Upgrade replaces what the upgrade needs. Go's transport speaks HTTP/1.1
to an `http://` upstream, and HTTP/2 (which cannot carry the upgrade) with
`versions h2c`, or to a TLS upstream whose `versions` leave out 1.1.
"""

from __future__ import annotations

import contextlib

from wslint.caddy.config import ReverseProxy, canonical_header
from wslint.caddy.request import Request, Unknown
from wslint.caddy.routing import apply_ops
from wslint.clients import Client
from wslint.model import Header, HeaderOrigin, Setting, Source, UpstreamRequest

HOP_HEADERS = (
    "Alt-Svc",
    "Connection",
    "Proxy-Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Te",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
)


def client_request(client: Client, host_header: str, path: str, query: str, tls: bool, port: int) -> Request:
    origin = f"{'https' if tls else 'http'}://{host_header}"
    raw = client.handshake_headers(host_header, origin)
    headers = {canonical_header(k): [v] for k, v in raw.items() if k != "host"}
    return Request("GET", host_header, path, query, headers, tls, port)


def _tokens(values: list[str] | None) -> list[str]:
    return [t.strip().lower() for v in values or [] for t in v.split(",") if t.strip()]


def upgrade_type(headers: dict[str, list[str]]) -> str:
    if "upgrade" not in _tokens(headers.get("Connection")):
        return ""
    vals = headers.get("Upgrade")
    return vals[0].lower() if vals else ""


def proxy_request(rp: ReverseProxy, req: Request, client: Client) -> tuple[UpstreamRequest, str]:
    """The request the upstream receives, and its request target (path and query)."""
    r = req.copy()
    touched_before = dict(r.touched)
    if rp.rewrite is not None:
        with contextlib.suppress(Unknown):
            r.rewrite(rp.rewrite)
    headers = r.headers
    up = upgrade_type(headers)
    for name in _tokens(headers.get("Connection")):
        headers.pop(canonical_header(name), None)
    for h in HOP_HEADERS:
        headers.pop(h, None)
    if up:
        headers["Connection"] = ["Upgrade"]
        headers["Upgrade"] = [up]
    headers["X-Forwarded-Proto"] = ["https" if r.tls else "http"]
    headers["X-Forwarded-Host"] = [r.host]
    r.touched = {}
    if rp.headers is not None:
        apply_ops(rp.headers, r)
    configured = r.touched
    out: list[Header] = []

    def origin_of(name: str) -> tuple[HeaderOrigin, Source | None, str | None]:
        if name in configured:
            return "configured", configured[name], _expression(rp, name)
        if name in touched_before:
            return "configured", touched_before[name], None
        return "default", None, None

    for name in ("Upgrade", "Connection"):
        origin, src, expr = origin_of(name)
        vals = headers.get(name)
        value: str | None = ",".join(vals) if vals else ""
        if value and r.unfilled(value):
            # a placeholder wslint cannot fill
            value = None
        if origin == "default" and not up:
            # the client's upgrade never reached reverse_proxy (an earlier request_header)
            src = touched_before.get("Connection") or touched_before.get("Upgrade")
            origin = "configured" if src is not None else "default"
        out.append(Header(name, expr or value or "(not sent)", value, src, origin))
    host_origin, host_src, host_expr = origin_of("Host")
    out.append(Header("Host", host_expr or r.host, r.host, host_src, host_origin if host_src else "client"))
    for name in sorted(headers):
        if name in ("Upgrade", "Connection"):
            continue
        origin, src, expr = origin_of(name)
        value = ",".join(headers[name])
        if origin == "default":
            origin = "default" if name.startswith("X-Forwarded-") else "client"
        out.append(Header(name, expr or value, value, src, origin))
    for name in configured:
        if name not in headers and name not in ("Upgrade", "Connection", "Host"):
            out.append(Header(name, _expression(rp, name) or f"-{name}", "", configured[name], "configured"))
    version = "1.1"
    versions = rp.transport.versions
    # h2c speaks HTTP/2 to a plain upstream; `versions 2` alone only over TLS (ALPN): to an http://
    # upstream Go's transport still speaks HTTP/1.1, and caddy 2.6.2 upgrades (tests/e2e)
    tls = rp.transport.tls
    if ("h2c" in versions and not tls) or (tls and versions and "1.1" not in versions):
        version = "2"
    url = rp.upstreams[0].dial if rp.upstreams else "(dynamic upstreams)"
    return UpstreamRequest(client.name, Setting(version, rp.transport.source), url, r.request_uri, tuple(out)), (
        r.request_uri
    )


def _expression(rp: ReverseProxy, name: str) -> str | None:
    """The header_up line that changed a header, as written."""
    ops = rp.headers
    if ops is None:
        return None
    found: str | None = None
    for n, v, _ in ops.add:
        if canonical_header(n) == name:
            found = f"header_up +{n} {v}"
    for n, v, _ in ops.set:
        if canonical_header(n) == name:
            found = f"header_up {n} {v}".rstrip()
    for n, _ in ops.delete:
        if canonical_header(n.strip("*")) == name or n.strip("*").lower() in name.lower():
            found = f"header_up -{n}"
    for n, f, t, _ in ops.replace:
        if canonical_header(n) == name:
            found = f"header_up {n} {f} {t}"
    return found
