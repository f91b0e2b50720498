"""Backends for the routing differentials: each answers 200 with its name and what it received.

The body is `backend=NAME target=TARGET conn=CONNECTION up=UPGRADE` (header
values with spaces written as `_`, repeated lines joined with `,` as Go's
Header keeps them), so a probe through the proxy tells which backend got the
request, with which target and which hop-by-hop headers.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

REQUEST_TIMEOUT = 5.0


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(REQUEST_TIMEOUT)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        target = head[0].split(b" ")[1]
        fields: dict[bytes, bytes] = {}
        for line in head[1:]:
            key, _, value = line.partition(b":")
            name = key.strip().lower()
            value = value.strip().replace(b" ", b"_")
            fields[name] = fields[name] + b"," + value if name in fields else value
        name = self.server.backend_name.encode()  # type: ignore[attr-defined]
        body = b"backend=%s target=%s conn=%s up=%s\n" % (
            name,
            target,
            fields.get(b"connection", b""),
            fields.get(b"upgrade", b""),
        )
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


@contextmanager
def named_backends(names: Iterable[str]) -> Iterator[dict[str, int]]:
    """One backend per name on 127.0.0.1; yields their ports by name."""
    servers = []
    ports: dict[str, int] = {}
    try:
        for name in names:
            srv = _Server(("127.0.0.1", 0), _Echo)
            srv.backend_name = name  # type: ignore[attr-defined]
            # shutdown() waits for the loop to notice: poll often
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            servers.append(srv)
            ports[name] = srv.server_address[1]
        yield ports
    finally:
        for srv in servers:
            srv.shutdown()
            srv.server_close()


def upgrade_request(target: str, host: str, connection: str) -> bytes:
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: {connection}\r\n"
        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    ).encode()


def exchange(port: int, request: bytes) -> tuple[str, dict[str, str] | None]:
    """Send `request`; the status and, when a named backend answered, its fields ("abort": no answer).

    The proxies keep the connection open after their own answers: the answer is complete when
    Content-Length says so, or when the connection closes."""
    data = b""
    deadline = time.monotonic() + REQUEST_TIMEOUT
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        while not _complete(data):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete answer to {request[:80]!r}")
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            data += chunk
    if not data:
        return "abort", None
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode()
    if status == "200" and body.startswith(b"backend="):
        return status, dict(part.split("=", 1) for part in body.decode().split())
    return status, None


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False
