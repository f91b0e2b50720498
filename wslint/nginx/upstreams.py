"""What a `*_pass` directive names: protocol, host part and URI part."""

from __future__ import annotations

import ipaddress

from wslint.model import UpstreamProtocol
from wslint.nginx.tree import Directive


def is_address(host: str) -> bool:
    """A literal address (IP, [IPv6], unix socket): nginx needs no resolver for it."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name.startswith("unix:"):
        return True
    try:
        ipaddress.ip_address(name.strip("[]"))
        return True
    except ValueError:
        return False


def split_pass(d: Directive) -> tuple[UpstreamProtocol, str, str | None]:
    """(protocol, host part, URI part) of a *_pass argument."""
    url = d.args[0] if d.args else ""
    protocol: UpstreamProtocol
    if d.name == "proxy_pass":
        scheme, sep, rest = url.partition("://")
        protocol = "https" if scheme.lower() == "https" else "http"
        if not sep:
            rest = url
    elif d.name == "grpc_pass":
        scheme, sep, rest = url.partition("://")
        protocol = "grpcs" if sep and scheme.lower() == "grpcs" else "grpc"
        rest = rest if sep else url
        return protocol, rest, None
    else:
        protocol = {
            "fastcgi_pass": "fastcgi",
            "uwsgi_pass": "uwsgi",
            "scgi_pass": "scgi",
            "memcached_pass": "memcached",
        }[d.name]  # type: ignore[assignment]
        _, sep, rest = url.partition("://")
        return protocol, rest if sep else url, None
    if rest.startswith("unix:"):
        path, colon, uri = rest[5:].partition(":")
        return protocol, "unix:" + path, uri if colon else None
    host, slash, uri = rest.partition("/")
    return protocol, host, "/" + uri if slash else None
