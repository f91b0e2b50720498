"""Recognizing WebSocket paths when the configuration does not say so.

Strong signals are path segments that practically always mean a WebSocket
endpoint (`/ws`, `/websocket`, `/socket.io/`, `/cable`, `/_blazor`, ...); weak
ones are common in WebSocket apps but also in plain HTTP APIs (`/live`,
`/events`, `/stream`, `/graphql`). A finding on a route known only by a strong
signal is at most a warning; by a weak one, only information.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

STRONG_SEGMENTS = frozenset(
    {
        "ws",
        "wss",
        "websocket",
        "websockets",
        "socket.io",
        "sockjs",
        "sockjs-node",
        "cable",
        "signalr",
        "_blazor",
        "websockify",
        "vncwebsocket",
        "webpack-hmr",
        "wsapi",
    }
)

WEAK_SEGMENTS = frozenset(
    {
        "socket",
        "sockets",
        "hub",
        "hubs",
        "live",
        "stream",
        "streaming",
        "realtime",
        "events",
        "subscriptions",
        "graphql",
        "channels",
        "mqtt",
        "comms",
        "notifications",
        "push",
        "terminals",
    }
)

_SPLIT = re.compile(r"[^A-Za-z0-9_.\-]+")

Strength = Literal["strong", "weak"]


@lru_cache(maxsize=4096)
def path_signal(path_or_pattern: str) -> tuple[Strength, str] | None:
    """Whether a path (or a location pattern) looks like a WebSocket endpoint, and why (cached: the routes of a
    large configuration repeat a few paths)."""
    words = [w.strip(".").lower() for w in _SPLIT.split(path_or_pattern) if w.strip(".")]
    for w in words:
        if w in STRONG_SEGMENTS or w.endswith("websocket") or w.startswith("websocket"):
            return "strong", f"its path contains the segment '{w}'"
    if "socket.io" in path_or_pattern.lower():
        return "strong", "its path contains 'socket.io'"
    for w in words:
        if w in WEAK_SEGMENTS:
            return "weak", f"its path contains the segment '{w}', common for WebSocket endpoints"
    return None
