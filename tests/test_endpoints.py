"""Endpoint URLs: what becomes the Host header, the path, and the expected backend path."""

from __future__ import annotations

import pytest

from wslint.endpoints import EndpointError, parse_endpoint


@pytest.mark.parametrize(
    ("url", "host_header", "port", "target", "backend", "tls"),
    [
        ("ws://app.example.test/ws", "app.example.test", 80, "/ws", None, False),
        ("wss://app.example.test/ws?x=1", "app.example.test", 443, "/ws?x=1", None, True),
        (
            "ws://App.Example.Test:8080/rt/socket#backend=/socket",
            "app.example.test:8080",
            8080,
            "/rt/socket",
            "/socket",
            False,
        ),
        ("https://h.test:443/", "h.test", 443, "/", None, True),
        ("ws://h.test", "h.test", 80, "/", None, False),
        ("/socket.io/?EIO=4#backend=/io/", None, None, "/socket.io/?EIO=4", "/io/", False),
    ],
)
def test_parse(
    url: str, host_header: str | None, port: int | None, target: str, backend: str | None, tls: bool
) -> None:
    ep = parse_endpoint(url)
    assert (ep.host_header, ep.effective_port, ep.target, ep.expected_backend_path, ep.tls) == (
        host_header,
        port,
        target,
        backend,
        tls,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x/", "use a ws://"),
        ("ws:///path", "has no host"),
        ("ws://h:99999/", "invalid port"),
        ("ws://h/#frag", "may only say #backend="),
        ("ws://h/#backend=x", "needs a path starting with /"),
        ("", "empty"),
    ],
)
def test_bad_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(EndpointError, match=message):
        parse_endpoint(url)
