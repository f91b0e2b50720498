"""Test backends on 127.0.0.1: a `websockets` echo server and a plain 404 server.

The echo server answers plain requests (no Upgrade) with a normal page, like
the web apps behind real proxies; with `check_origin` it rejects handshakes
whose Origin host differs from the Host it received, as Phoenix, Jupyter and
Spring do (403).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response


@dataclass
class Seen:
    paths: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    # every request's path with its header lines as received (name, value): what the proxy really forwarded
    requests: list[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=list)


class _HttpOnly(ServerConnection):
    """Drops a connection whose first bytes are not an HTTP method (a FastCGI, uwsgi or SCGI record)
    at once, as an HTTP server does, instead of waiting for a request line that never comes: the proxy
    in front answers 502 now rather than the client timing out."""

    _first = True

    def data_received(self, data: bytes) -> None:
        if self._first:
            self._first = False
            method = data.split(b" ", 1)[0]
            if not (method.isalpha() and method.isupper()):
                self.transport.close()
                return
        super().data_received(data)


class Backend:
    """Runs an asyncio server in a thread; `port` is set once it listens."""

    def __init__(
        self, check_origin: bool = False, expect_path: str | None = None, compression: str | None = "deflate"
    ) -> None:
        self.check_origin = check_origin
        # "deflate" (the websockets default, as many servers) accepts permessage-deflate; None refuses it
        self.compression = compression
        # like a WebSocket server mounted at one path: any other path gets 404
        self.expect_path = expect_path
        self.seen = Seen()
        # set by the first plain (non-upgrade) request: before any client connects, a health check
        self.checked = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _record(self, request: Request) -> None:
        self.seen.paths.append(request.path)
        self.seen.requests.append((request.path, tuple(request.headers.raw_items())))

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self._record(request)
        host = request.headers.get("Host", "")
        self.seen.hosts.append(host)
        upgrade = request.headers.get("Upgrade", "")
        if "websocket" not in upgrade.lower():
            self.checked.set()
            return connection.respond(HTTPStatus.OK, "plain page\n")
        if self.expect_path is not None and urlsplit(request.path).path != self.expect_path:
            return connection.respond(HTTPStatus.NOT_FOUND, "no websocket here\n")
        if self.check_origin:
            origin = urlsplit(request.headers.get("Origin", "")).netloc
            if origin != host:
                return connection.respond(HTTPStatus.FORBIDDEN, "origin does not match host\n")
        return None

    async def _echo(self, ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def _main(self) -> None:
        self._stop = self._loop.create_future()

        async with serve(
            self._echo,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            ping_interval=None,
            compression=self.compression,
            create_connection=_HttpOnly,
        ) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())

    def __enter__(self) -> Backend:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("websocket backend did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(5)


class SocketOnlyBackend(Backend):
    """The echo backend, except that a plain request to the socket path gets 400, as Mattermost,
    SignalR hubs and Socket.IO answer it (what fails an HTTP health check aimed at the socket)."""

    def __init__(self, socket_path: str, expect_path: str | None = None) -> None:
        super().__init__(expect_path=expect_path)
        self.socket_path = socket_path.split("?", 1)[0]

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        upgrade = request.headers.get("Upgrade", "")
        if "websocket" not in upgrade.lower() and request.path.split("?", 1)[0] == self.socket_path:
            self._record(request)
            self.checked.set()
            return connection.respond(HTTPStatus.BAD_REQUEST, "websocket only\n")
        return super()._process_request(connection, request)


class NotFoundBackend:
    """Another plain HTTP service that answers 404 to everything (the wrong backend)."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            body = b"not found\n"
            writer.write(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _main(self) -> None:
        self._stop = self._loop.create_future()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop

    def _run(self) -> None:
        self._loop.run_until_complete(self._main())

    def __enter__(self) -> NotFoundBackend:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("404 backend did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(5)
