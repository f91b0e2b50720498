"""A WebSocket opening handshake written by hand, as each browser writes it.

Libraries always send their own `Connection: Upgrade`; telling a Firefox-only
failure apart needs every header line under control, so the request is built
here. Redirects are not followed (browsers do not follow them either). After a
101 the client checks `Sec-WebSocket-Accept`, sends a ping (every compliant
server answers it with a pong) and, if asked, stays silent for a while to see
whether something cuts the idle connection.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Browser:
    name: str
    connection: str
    user_agent: str
    extensions: str | None


BROWSERS: dict[str, Browser] = {
    "chrome": Browser(
        "chrome",
        "Upgrade",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "permessage-deflate; client_max_window_bits",
    ),
    "firefox": Browser(
        "firefox",
        "keep-alive, Upgrade",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "permessage-deflate",
    ),
    "safari": Browser(
        "safari",
        "Upgrade",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
        "permessage-deflate",
    ),
}


class ProbeError(Exception):
    """The endpoint could not be reached at all (DNS, refused, TLS, timeout)."""


@dataclass(frozen=True)
class Target:
    tls: bool
    host: str
    port: int
    host_header: str
    request_target: str
    origin: str
    connect_host: str
    connect_port: int


@dataclass
class Attempt:
    browser: str
    status: int | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    accept_valid: bool | None = None
    upgraded: bool = False
    pong: bool | None = None
    echo: bool | None = None
    idle_seconds: float | None = None
    cut_after: float | None = None
    body: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.upgraded and self.accept_valid is True and self.pong is not False and self.cut_after is None


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the connection was closed")
        data += chunk
    return data


def _frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = bytes([0x80 | opcode, 0x80 | length])
    elif length < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", length)
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", length)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    b1, b2 = _recv_exact(sock, 2)
    length = b2 & 0x7F
    if length == 126:
        length = struct.unpack("!H", _recv_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _recv_exact(sock, 8))[0]
    if b2 & 0x80:
        _recv_exact(sock, 4)
    return b1 & 0x0F, _recv_exact(sock, min(length, 1 << 20))


def _connect(target: Target, timeout: float, insecure: bool) -> socket.socket:
    try:
        raw = socket.create_connection((target.connect_host, target.connect_port), timeout=timeout)
    except socket.gaierror as exc:
        raise ProbeError(f"cannot resolve {target.connect_host}: {exc.strerror or exc}") from None
    except ConnectionRefusedError:
        raise ProbeError(f"connection to {target.connect_host}:{target.connect_port} refused") from None
    except TimeoutError:
        raise ProbeError(f"no answer from {target.connect_host}:{target.connect_port} within {timeout:g}s") from None
    except OSError as exc:
        raise ProbeError(
            f"cannot connect to {target.connect_host}:{target.connect_port}: {exc.strerror or exc}"
        ) from None
    if not target.tls:
        return raw
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        return context.wrap_socket(raw, server_hostname=target.host)
    except ssl.SSLError as exc:
        raw.close()
        raise ProbeError(
            f"TLS handshake with {target.host} failed: {exc.reason or exc} (use --insecure for test certificates)"
        ) from None
    except OSError as exc:
        raw.close()
        raise ProbeError(f"TLS handshake with {target.host} failed: {exc}") from None


def handshake_request(
    target: Target, browser: Browser, key: str, extra: list[tuple[str, str]], subprotocols: list[str]
) -> bytes:
    lines = [
        f"GET {target.request_target} HTTP/1.1",
        f"Host: {target.host_header}",
        f"Connection: {browser.connection}",
        "Pragma: no-cache",
        "Cache-Control: no-cache",
        f"User-Agent: {browser.user_agent}",
        "Upgrade: websocket",
        f"Origin: {target.origin}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Key: {key}",
    ]
    if browser.extensions:
        lines.append(f"Sec-WebSocket-Extensions: {browser.extensions}")
    if subprotocols:
        lines.append(f"Sec-WebSocket-Protocol: {', '.join(subprotocols)}")
    lines.extend(f"{k}: {v}" for k, v in extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def attempt(
    target: Target,
    browser: Browser,
    timeout: float = 5.0,
    insecure: bool = False,
    extra: list[tuple[str, str]] | None = None,
    subprotocols: list[str] | None = None,
    idle: float = 0.0,
    message: str | None = None,
) -> Attempt:
    result = Attempt(browser.name)
    key = base64.b64encode(os.urandom(16)).decode()
    sock = _connect(target, timeout, insecure)
    try:
        sock.settimeout(timeout)
        sock.sendall(handshake_request(target, browser, key, extra or [], subprotocols or []))
        data = b""
        while b"\r\n\r\n" not in data and len(data) < MAX_HEAD:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        if not data:
            result.error = "the server closed the connection without answering"
            return result
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        result.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        result.reason = parts[2] if len(parts) > 2 else ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            result.headers[name.strip().lower()] = value.strip()
        if result.status != 101:
            result.body = rest[:300].decode("utf-8", errors="replace")
            return result
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        result.accept_valid = result.headers.get("sec-websocket-accept") == expected
        result.upgraded = True
        _after_upgrade(sock, result, timeout, idle, message)
        return result
    except TimeoutError:
        result.error = f"no complete answer within {timeout:g}s"
        return result
    except (ConnectionError, OSError) as exc:
        result.error = f"the connection failed: {exc}"
        return result
    finally:
        if result.upgraded and result.cut_after is None:
            # a clean close (1000), so the application does not log an abnormal disconnect
            with contextlib.suppress(OSError):
                sock.sendall(_frame(0x8, struct.pack("!H", 1000)))
        sock.close()


def _after_upgrade(sock: socket.socket, result: Attempt, timeout: float, idle: float, message: str | None) -> None:
    try:
        sock.sendall(_frame(0x9, b"wslint"))
        result.pong = _await(sock, 0xA, b"wslint")
        if message is not None:
            sock.sendall(_frame(0x1, message.encode()))
            result.echo = _await(sock, 0x1, message.encode())
    except (ConnectionError, OSError, TimeoutError):
        result.pong = False if result.pong is None else result.pong
        return
    if idle <= 0:
        return
    result.idle_seconds = idle
    start = time.monotonic()
    deadline = start + idle
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            op, data = _read_frame(sock)
        except TimeoutError:
            break
        except (ConnectionError, OSError):
            result.cut_after = round(time.monotonic() - start, 1)
            return
        if op == 0x8:
            result.cut_after = round(time.monotonic() - start, 1)
            return
        if op == 0x9:
            # answer the server's heartbeat as a browser does
            sock.sendall(_frame(0xA, data))
    sock.settimeout(timeout)
    try:
        sock.sendall(_frame(0x9, b"after-idle"))
        if not _await(sock, 0xA, b"after-idle"):
            result.cut_after = round(time.monotonic() - start, 1)
    except (ConnectionError, OSError, TimeoutError):
        result.cut_after = round(time.monotonic() - start, 1)


def _await(sock: socket.socket, opcode: int, payload: bytes) -> bool:
    """Read frames until the expected one (answering nothing else); False on a close."""
    for _ in range(32):
        op, data = _read_frame(sock)
        if op == 0x8:
            return False
        if op == opcode and data == payload:
            return True
    return False
