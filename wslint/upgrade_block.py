"""Finding the statement that strips the upgrade from every WebSocket handshake of a route."""

from __future__ import annotations

from wslint.model import UpgradeBlock, UpstreamRequest


def upgrade_block(handshake: UpstreamRequest | None, *, connection: bool = True) -> UpgradeBlock | None:
    """The configured statement that removes or overwrites the handshake's Upgrade (or, with `connection`, the
    `upgrade` token of its Connection), or None.

    A statement whose condition the WebSocket handshake fails (HAProxy's `if { req.hdr(upgrade) -i h2c }`, a
    Caddy matcher on `h2c`) left the handshake's header alone, so it is not one: the simulated handshake
    already tells the two apart.
    """
    if handshake is None:
        return None
    conn = handshake.header("Connection")
    if connection and handshake.upgrade_lost_with_connection and conn is not None and conn.source is not None:
        # Traefik forwards no Upgrade once a middleware's Connection lacks the token: the Connection line did it
        return UpgradeBlock("Connection", conn.expression, conn.source)
    up = handshake.header("Upgrade")
    if (
        up is not None
        and up.origin == "configured"
        and up.source is not None
        and handshake.upgrade_status in ("missing", "wrong")
    ):
        return UpgradeBlock("Upgrade", up.expression, up.source)
    if not connection or handshake.upgrade_status != "ok":
        return None
    if (
        conn is not None
        and conn.origin == "configured"
        and conn.source is not None
        and handshake.connection_status in ("missing", "wrong")
    ):
        return UpgradeBlock("Connection", conn.expression, conn.source)
    return None
