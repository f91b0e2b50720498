"""A minimal RFC 6455 client for the tests: it sends exactly the headers a given browser sends.

Libraries always write their own `Connection: Upgrade`; simulating Firefox
(`keep-alive, Upgrade`) or a lower-case hop needs control over every header
line, so the handshake is written by hand. Loopback only, bounded waits.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import time
from dataclasses import dataclass

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONNECTION_HEADERS = {
    "chrome": "Upgrade",
    "firefox": "keep-alive, Upgrade",
    "lowercase": "upgrade",
}


@dataclass
class Outcome:
    client: str
    status: int | None
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{self.client}: {'ok' if self.ok else 'FAILED'} (status {self.status}) {self.detail}"


def _recv_until(sock: socket.socket, marker: bytes, limit: int = 65536) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            break
    return data


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _send_text(sock: socket.socket, text: str) -> None:
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81, 0x80 | len(payload)])
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    b1, b2 = _recv_exact(sock, 2)
    length = b2 & 0x7F
    if length == 126:
        length = struct.unpack("!H", _recv_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _recv_exact(sock, 8))[0]
    return b1 & 0x0F, _recv_exact(sock, length)


def handshake(
    port: int,
    path: str,
    host: str,
    client: str = "chrome",
    idle: float = 0.0,
    timeout: float = 5.0,
) -> Outcome:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        f"Connection: {CONNECTION_HEADERS[client]}",
        "Upgrade: websocket",
        f"Origin: http://{host}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Key: {key}",
        "",
        "",
    ]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall("\r\n".join(lines).encode())
            head = _recv_until(sock, b"\r\n\r\n")
            if not head:
                return Outcome(client, None, False, "connection closed without a response")
            status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
            parts = status_line.split()
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            if status != 101:
                return Outcome(client, status, False, status_line)
            expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            if expected.encode() not in head:
                return Outcome(client, status, False, "bad Sec-WebSocket-Accept")
            if idle:
                time.sleep(idle)
            try:
                _send_text(sock, "ping-from-test")
                opcode, payload = _read_frame(sock)
            except (OSError, ConnectionError) as exc:
                return Outcome(client, status, False, f"no echo after {idle}s idle: {exc}")
            if opcode != 1 or payload != b"ping-from-test":
                return Outcome(client, status, False, f"unexpected frame opcode={opcode} {payload[:40]!r}")
            return Outcome(client, status, True, "upgraded and echoed")
    except OSError as exc:
        return Outcome(client, None, False, f"{type(exc).__name__}: {exc}")


def plain_get(port: int, path: str, host: str, timeout: float = 5.0) -> int | None:
    """Status of an ordinary GET (no upgrade) through the proxy."""
    req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(req.encode())
            head = _recv_until(sock, b"\r\n")
    except OSError:
        return None
    parts = head.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def h2c_upgrade(port: int, path: str, host: str, timeout: float = 5.0) -> int | None:
    """Status of a cleartext HTTP/2 upgrade request (`Upgrade: h2c`, as curl --http2 sends it) through the
    proxy; what reached the application is the backend's to say."""
    req = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(req.encode())
            head = _recv_until(sock, b"\r\n")
    except OSError:
        return None
    parts = head.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
