"""Running the real haproxy in the foreground on 127.0.0.1, stopped by its PID.

Each run writes its configuration into its own directory, checks it with
`haproxy -c` first (a refused configuration is an outcome, not an error), and
starts `haproxy -db` (no daemon, no master process) so that the PID this
module holds is the one that serves.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.harness import Run
from tests.e2e.proxies import ConfigRefused, free_port, substitute, wait_for_port
from tests.e2e.wsclient import CONNECTION_HEADERS, handshake, plain_get
from wslint.engine.schema import E2ESpec

# active health checks run every 500 ms in the examples; give them time to mark a server
CHECK_SETTLE = 1.5


class HAProxy:
    def __init__(self, binary: str, prefix: Path, config: str) -> None:
        self.binary = binary
        self.prefix = prefix
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.path = prefix / "haproxy.cfg"
        self.log = prefix / "haproxy.log"

    def check(self) -> str:
        """Write the configuration and check it; returns HAProxy's warnings."""
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.config)
        res = subprocess.run([self.binary, "-c", "-f", str(self.path)], capture_output=True, text=True, timeout=20)
        if res.returncode != 0:
            raise ConfigRefused(res.stderr.strip() or res.stdout.strip())
        return res.stderr

    def start(self, port: int) -> None:
        self.check()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [self.binary, "-db", "-f", str(self.path)], stdout=out, stderr=subprocess.STDOUT, cwd=self.prefix
            )
        if not wait_for_port(port):
            self.stop()
            raise RuntimeError(f"haproxy did not listen on {port}: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


@dataclass
class SocketOnly:
    """Which path the WebSocket application serves: a plain request there is refused (400)."""

    path: str | None = None
    refused: list[str] = field(default_factory=list)


class WebSocketOnlyBackend(Backend):
    """The echo backend, except that a plain request to the socket path gets 400, as SignalR hubs
    and Socket.IO answer it (what fails an HTTP health check aimed at the socket)."""

    def __init__(self, socket_path: str, expect_path: str | None = None) -> None:
        super().__init__(expect_path=expect_path)
        self.socket_path = socket_path.split("?", 1)[0]

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        upgrade = request.headers.get("Upgrade", "")
        if "websocket" not in upgrade.lower() and request.path.split("?", 1)[0] == self.socket_path:
            self.seen.paths.append(request.path)
            return connection.respond(HTTPStatus.BAD_REQUEST, "websocket only\n")
        return super()._process_request(connection, request)


def run_haproxy(binary: str, config: str, prefix: Path, e2e: E2ESpec) -> Run:
    """Start haproxy with `config`, then run the example's probe with every simulated client."""
    path, probe, idle, host = e2e.path, e2e.probe, e2e.idle, e2e.host
    with WebSocketOnlyBackend(path, expect_path=e2e.backend) as app, NotFoundBackend() as other:
        port = free_port()
        proxy = HAProxy(binary, prefix, substitute(config, port, app.port, other.port))
        result = Run(expect_plain=probe == "plain-http")
        try:
            proxy.start(port)
        except ConfigRefused as exc:
            result.refused = str(exc)
            return result
        try:
            if " check" in config:
                time.sleep(CHECK_SETTLE)
            host_header = f"{host}:{port}"
            clients = ["chrome"] if probe == "idle" else list(CONNECTION_HEADERS)
            for client in clients:
                result.outcomes.append(handshake(port, path, host_header, client, idle=idle))
            if result.expect_plain:
                result.plain_status = plain_get(port, path, host_header)
            result.backend_paths = list(app.seen.paths)
            result.log = proxy.output() if not result.works else ""
        finally:
            proxy.stop()
        return result
