"""The WebSocket clients wslint simulates: every header matcher is checked against all of them.

Browsers agree on `Upgrade: websocket` but not on `Connection`: Chromium and
Safari send `Upgrade`, Firefox sends `keep-alive, Upgrade`, and a proxy hop in
front (nginx with `Connection "upgrade"`) sends it lower-case.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    name: str
    description: str
    connection: str
    upgrade: str = "websocket"

    @property
    def sender(self) -> str:
        """Who sends this handshake, as a message names it."""
        if self.name == "lowercase":
            return 'a proxy hop in front that writes lower-case tokens (nginx with `Connection "upgrade"`)'
        return f"the {self.name.capitalize()} handshake"

    def handshake_headers(self, host: str, origin: str) -> dict[str, str]:
        """Request headers of the handshake, lower-case names as proxies compare them."""
        return {
            "host": host,
            "connection": self.connection,
            "upgrade": self.upgrade,
            "origin": origin,
            "sec-websocket-version": "13",
            "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            "user-agent": f"wslint-simulated-{self.name}",
        }


CHROME = Client("chrome", "Chromium, Safari and most libraries", "Upgrade")
FIREFOX = Client("firefox", "Firefox", "keep-alive, Upgrade")
LOWERCASE = Client("lowercase", "a proxy hop sending lower-case tokens", "upgrade")

CLIENTS: tuple[Client, ...] = (CHROME, FIREFOX, LOWERCASE)
