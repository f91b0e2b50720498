"""Paths declared without a host (`--ws-path`), narrowed to the servers that are meant to carry them.

A path without a host is checked in every server, because wslint cannot know
which site the clients open. Once one server proxies the path, the servers
that neither proxy it nor have any WebSocket route are other sites (a default
or catch-all server, a www redirect, a static site): their 404 or redirect is
what they are for, not a broken WebSocket. A server that has a WebSocket
route, or proxies the path, is still checked.
"""

from __future__ import annotations

from dataclasses import replace

from wslint.model import EndpointResult, ProxyConfig


def focus_path_endpoints(config: ProxyConfig) -> ProxyConfig:
    results = config.endpoint_results
    if all(r.endpoint.host is not None for r in results):
        return config
    websocket_listeners = [r.listener for r in config.routes if r.websocket.carries_websockets]
    proxied = {r.endpoint for r in results if r.endpoint.host is None and r.outcome == "proxied"}

    def other_site(r: EndpointResult) -> bool:
        return (
            r.endpoint.host is None
            and r.endpoint in proxied
            and r.outcome != "proxied"
            and not r.better_routes
            and not r.near_misses
            and r.listener not in websocket_listeners
        )

    kept = tuple(r for r in results if not other_site(r))
    return config if len(kept) == len(results) else replace(config, endpoint_results=kept)
