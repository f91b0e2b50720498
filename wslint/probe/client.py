"""A WebSocket opening handshake written by hand, as each browser writes it.

Libraries always send their own `Connection: Upgrade`; telling a Firefox-only
failure apart needs every header line under control, so the request is built
here. Redirects are not followed (browsers do not follow them either). After a
101 the client checks `Sec-WebSocket-Accept`, sends a ping (every compliant
server answers it with a pong) and, if asked, stays silent for a while to see
whether something cuts the idle connection.

Like browsers it offers permessage-deflate, so the server answers as it
answers them; when the server accepts, the messages it sends are inflated
(wslint's own messages go uncompressed, which the extension allows). An
extension the probe did not offer fails the connection, as in a browser. Every
wait is bounded by --timeout as a whole, not per frame.
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
import zlib
from dataclasses import dataclass, field
from typing import Protocol

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# what OpenSSL says when the other end answers a ClientHello in plain text (an HTTP port)
PLAIN_ANSWERS = {
    "WRONG_VERSION_NUMBER",
    "UNKNOWN_PROTOCOL",
    "HTTP_REQUEST",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
}
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


class _Conn(Protocol):
    def recv(self, n: int, /) -> bytes: ...
    def settimeout(self, value: float | None, /) -> None: ...
    def sendall(self, data: bytes, /) -> None: ...


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
    # the permessage-deflate parameters the server accepted, None without the extension
    compression: str | None = None
    # why the message sent with --message came back differently (or not at all)
    echo_detail: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.upgraded
            and self.accept_valid is True
            and self.pong is not False
            and self.echo is not False
            and self.cut_after is None
            and self.error is None
        )


class _Inflater:
    """permessage-deflate (RFC 7692) for the messages the server sends."""

    def __init__(self, params: dict[str, str | None]) -> None:
        bits = params.get("server_max_window_bits")
        self.bits = int(bits) if bits and bits.isdigit() and 8 <= int(bits) <= 15 else 15
        self.takeover = "server_no_context_takeover" not in params
        self._inflate = zlib.decompressobj(-self.bits)

    def message(self, payload: bytes) -> bytes:
        if not self.takeover:
            self._inflate = zlib.decompressobj(-self.bits)
        return self._inflate.decompress(payload + b"\x00\x00\xff\xff", 1 << 20)


def _extensions(header: str) -> list[tuple[str, dict[str, str | None]]]:
    """`Sec-WebSocket-Extensions` as (name, parameters)."""
    out: list[tuple[str, dict[str, str | None]]] = []
    for item in header.split(","):
        name, *params = (p.strip() for p in item.split(";"))
        if not name:
            continue
        parsed: dict[str, str | None] = {}
        for param in params:
            key, sep, value = param.partition("=")
            parsed[key.strip().lower()] = value.strip().strip('"') if sep else None
        out.append((name.lower(), parsed))
    return out


def _negotiated(browser: Browser, header: str) -> tuple[_Inflater | None, str | None]:
    """The inflater for what the server accepted, or why a browser would fail the connection."""
    if not header:
        return None, None
    accepted = _extensions(header)
    offered = {name for name, _ in _extensions(browser.extensions or "")}
    for name, _ in accepted:
        if name not in offered:
            return (
                None,
                f"the server accepted the extension {name!r}, which was not offered: browsers fail the connection",
            )
    if len(accepted) != 1:
        return None, f"the server accepted permessage-deflate {len(accepted)} times: browsers fail the connection"
    params = accepted[0][1]
    known = {
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
    }
    unknown = sorted(set(params) - known)
    if unknown:
        return None, f"the server answered permessage-deflate with an unknown parameter {unknown[0]!r}"
    return _Inflater(params), None


class _Reader:
    """Frames from the server, messages reassembled and inflated, within deadlines."""

    def __init__(self, sock: _Conn, inflater: _Inflater | None) -> None:
        self.sock = sock
        self.inflater = inflater

    def frame(self, deadline: float) -> tuple[int, bytes]:
        """The next control frame or whole message (opcode, payload); TimeoutError at the deadline."""
        opcode = 0
        parts: list[bytes] = []
        compressed = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            b1, op, data = _read_frame(self.sock, deadline)
            if op >= 0x8:
                return op, data
            if op != 0:
                opcode, compressed = op, bool(b1 & 0x40)
            parts.append(data)
            if b1 & 0x80:
                payload = b"".join(parts)
                if compressed:
                    if self.inflater is None:
                        raise ConnectionError("a compressed message without permessage-deflate")
                    try:
                        payload = self.inflater.message(payload)
                    except zlib.error as exc:
                        raise ConnectionError(f"a compressed message that does not inflate ({exc})") from None
                return opcode, payload


def _recv_by(sock: _Conn, n: int, deadline: float) -> bytes:
    """One recv that may wait only until `deadline`: --timeout bounds a whole answer, so a server sending a
    byte every few seconds cannot hold the probe longer (a per-recv timeout would never fire)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)
    return sock.recv(n)


def _recv_exact(sock: _Conn, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        chunk = _recv_by(sock, n - len(data), deadline)
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


def _read_frame(sock: _Conn, deadline: float) -> tuple[int, int, bytes]:
    """(first byte, opcode, payload) of one frame."""
    b1, b2 = _recv_exact(sock, 2, deadline)
    length = b2 & 0x7F
    if length == 126:
        length = struct.unpack("!H", _recv_exact(sock, 2, deadline))[0]
    elif length == 127:
        length = struct.unpack("!Q", _recv_exact(sock, 8, deadline))[0]
    if b2 & 0x80:
        _recv_exact(sock, 4, deadline)
    return b1, b1 & 0x0F, _recv_exact(sock, min(length, 1 << 20), deadline)


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
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        raise ProbeError(
            f"TLS handshake with {target.host} failed: {exc.verify_message or exc.reason or exc} "
            "(--insecure accepts test certificates)"
        ) from None
    except ssl.SSLError as exc:
        raw.close()
        where = f"{target.connect_host}:{target.connect_port}"
        if exc.reason in PLAIN_ANSWERS:
            raise ProbeError(
                f"TLS handshake with {where} failed: it answered without TLS, so this port serves plain HTTP: "
                "use ws:// (or http://) for it, or the port that serves TLS"
            ) from None
        raise ProbeError(f"TLS handshake with {where} failed: {exc.reason or exc}") from None
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
    reader: _Reader | None = None
    try:
        sock.settimeout(timeout)
        sock.sendall(handshake_request(target, browser, key, extra or [], subprotocols or []))
        head_by = time.monotonic() + timeout
        data = b""
        while b"\r\n\r\n" not in data and len(data) < MAX_HEAD:
            chunk = _recv_by(sock, 4096, head_by)
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
        inflater, refused = _negotiated(browser, result.headers.get("sec-websocket-extensions", ""))
        if refused is not None:
            result.error = refused
            if message is not None:
                result.echo, result.echo_detail = False, "not sent: the connection failed"
            return result
        if inflater is not None:
            result.compression = result.headers.get("sec-websocket-extensions", "")
        # frames the server sent right after its answer came with the head
        reader = _Reader(_Buffered(sock, rest), inflater)
        _after_upgrade(reader, result, timeout, idle, message)
        return result
    except TimeoutError:
        result.error = f"no complete answer within {timeout:g}s"
        return result
    except (ConnectionError, OSError) as exc:
        result.error = f"the connection failed: {exc}"
        return result
    finally:
        if reader is not None and result.cut_after is None:
            _close(reader, min(timeout, 1.0))
        sock.close()


def _close(reader: _Reader, wait: float) -> None:
    """The closing handshake as a browser does it: a close (1000), then the server's close, waited for
    at most `wait` seconds, so that neither the application nor a proxy sees an abnormal disconnect."""
    deadline = time.monotonic() + wait
    with contextlib.suppress(OSError, ConnectionError, TimeoutError):
        reader.sock.sendall(_frame(0x8, struct.pack("!H", 1000)))
        while reader.frame(deadline)[0] != 0x8:
            pass


class _Buffered:
    """A socket whose first bytes were already read with the handshake's answer."""

    def __init__(self, sock: socket.socket, pending: bytes) -> None:
        self._sock = sock
        self._pending = pending

    def recv(self, n: int) -> bytes:
        if self._pending:
            out, self._pending = self._pending[:n], self._pending[n:]
            return out
        return self._sock.recv(n)

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(value)

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(data)


def _after_upgrade(reader: _Reader, result: Attempt, timeout: float, idle: float, message: str | None) -> None:
    sock = reader.sock
    try:
        sock.sendall(_frame(0x9, b"wslint"))
        result.pong = _await(reader, 0xA, b"wslint", timeout)
    except (ConnectionError, OSError, TimeoutError):
        result.pong = False
    if message is not None:
        if result.pong:
            _echo(reader, result, timeout, message)
        else:
            result.echo, result.echo_detail = False, "not sent: nothing answered the ping"
    if idle <= 0 or result.pong is False:
        return
    result.idle_seconds = idle
    start = time.monotonic()
    deadline = start + idle
    while deadline - time.monotonic() > 0:
        try:
            op, data = reader.frame(deadline)
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
    try:
        sock.sendall(_frame(0x9, b"after-idle"))
        if not _await(reader, 0xA, b"after-idle", timeout):
            result.cut_after = round(time.monotonic() - start, 1)
    except (ConnectionError, OSError, TimeoutError):
        result.cut_after = round(time.monotonic() - start, 1)


def _echo(reader: _Reader, result: Attempt, timeout: float, message: str) -> None:
    """Send `message` and wait (at most `timeout`) for the same text to come back."""
    sent = message.encode()
    try:
        reader.sock.sendall(_frame(0x1, sent))
        deadline = time.monotonic() + timeout
        other: bytes | None = None
        while True:
            op, data = reader.frame(deadline)
            if op == 0x8:
                result.echo, result.echo_detail = False, "the server closed the connection instead of answering"
                return
            if op == 0x9:
                reader.sock.sendall(_frame(0xA, data))
                continue
            if op == 0x1 and data == sent:
                result.echo = True
                return
            if op in (0x1, 0x2) and other is None:
                other = data
    except TimeoutError:
        shown = "" if other is None else f" (it sent {other[:60].decode('utf-8', 'replace')!r} instead)"
        result.echo, result.echo_detail = False, f"the message did not come back within {timeout:g}s{shown}"
    except (ConnectionError, OSError) as exc:
        result.echo, result.echo_detail = False, f"the connection failed before the echo: {exc}"


def _await(reader: _Reader, opcode: int, payload: bytes, timeout: float) -> bool:
    """Read frames until the expected one, at most `timeout` seconds; False on a close or at the deadline."""
    deadline = time.monotonic() + timeout
    try:
        while True:
            op, data = reader.frame(deadline)
            if op == 0x8:
                return False
            if op == opcode and data == payload:
                return True
            if op == 0x9:
                reader.sock.sendall(_frame(0xA, data))
    except TimeoutError:
        return False
