"""Running the real caddy in the foreground on 127.0.0.1, stopped by its PID.

Each run writes its Caddyfile into its own directory, validates it with
`caddy validate` first (a refused configuration is an outcome, not an
error), and starts `caddy run` with the admin endpoint off, automatic HTTPS
off and every site bound to 127.0.0.1 (the global options the acceptance
cases use), its HOME and XDG directories inside the run directory. Example
Caddyfiles write their sites on port 8080 and the backends on 127.0.0.1:9001
and :9002; the harness swaps in free ports.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from http import HTTPStatus
from pathlib import Path

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.harness import Run
from tests.e2e.proxies import ConfigRefused, find_binary, free_port, substitute, wait_for_port
from tests.e2e.wsclient import CONNECTION_HEADERS, handshake, plain_get
from wslint.engine.schema import E2ESpec

GLOBAL = """\
{
\tadmin off
\tauto_https off
\tdefault_bind 127.0.0.1
}

"""
# active health checks run every 500 ms in the examples; give them time to mark an upstream
CHECK_SETTLE = 1.5
_SITE_PORT = re.compile(r"(?<=[A-Za-z0-9\]]):8080\b|(?<=^):8080\b|(?<=\s):8080\b", re.M)


def find_caddy() -> str | None:
    return find_binary("caddy")


def with_globals(caddyfile: str, port: int) -> str:
    """The example with the harness's global options and its site port 8080 replaced."""
    text = _SITE_PORT.sub(f":{port}", caddyfile)
    if text.lstrip().startswith("{"):
        # the example has its own global options: add the harness's inside them
        head, _, rest = text.partition("{")
        inner = "\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n"
        return head + "{" + inner + rest
    return GLOBAL + text


class Caddy:
    def __init__(self, binary: str, prefix: Path, caddyfile: str) -> None:
        self.binary = binary
        self.prefix = prefix
        self.caddyfile = caddyfile
        self.path = prefix / "Caddyfile"
        self.log = prefix / "caddy.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
            env[name] = str(self.prefix / "home")
        return env

    def check(self) -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        (self.prefix / "home").mkdir(exist_ok=True)
        # the examples' `root * www`: a single-page app with its index.html
        (self.prefix / "www").mkdir(exist_ok=True)
        (self.prefix / "www" / "index.html").write_text("<!doctype html><title>app</title>\n")
        self.path.write_text(self.caddyfile)
        res = subprocess.run(
            [self.binary, "validate", "--config", str(self.path), "--adapter", "caddyfile"],
            capture_output=True,
            text=True,
            timeout=30,
            env=self.env,
            cwd=self.prefix,
        )
        if res.returncode != 0:
            lines = [ln for ln in (res.stderr + res.stdout).splitlines() if ln.strip()]
            raise ConfigRefused("\n".join(lines[-3:]))

    def start(self, port: int) -> None:
        self.check()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [self.binary, "run", "--config", str(self.path), "--adapter", "caddyfile"],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.prefix,
                env=self.env,
            )
        if not wait_for_port(port, 10):
            self.stop()
            raise RuntimeError(f"caddy did not listen on {port}: {self.output()}")

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


class SocketOnlyBackend(Backend):
    """The echo backend, except that a plain request to the socket path gets 400 (what Mattermost,
    SignalR and Socket.IO answer), so a health check aimed at the socket fails."""

    def __init__(self, socket_path: str, expect_path: str | None = None) -> None:
        super().__init__(expect_path=expect_path)
        self.socket_path = socket_path.split("?", 1)[0]

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        upgrade = request.headers.get("Upgrade", "")
        if "websocket" not in upgrade.lower() and request.path.split("?", 1)[0] == self.socket_path:
            self.seen.paths.append(request.path)
            return connection.respond(HTTPStatus.BAD_REQUEST, "websocket only\n")
        return super()._process_request(connection, request)


def run_caddy(binary: str, caddyfile: str, prefix: Path, e2e: E2ESpec) -> Run:
    """Start caddy with the example, then run its probe with every simulated client."""
    path, probe, idle, host = e2e.path, e2e.probe, e2e.idle, e2e.host
    with SocketOnlyBackend(path, expect_path=e2e.backend) as app, NotFoundBackend() as other:
        port = free_port()
        text = with_globals(substitute(caddyfile, port, app.port, other.port), port)
        proxy = Caddy(binary, prefix, text)
        result = Run(expect_plain=probe == "plain-http")
        try:
            proxy.start(port)
        except ConfigRefused as exc:
            result.refused = str(exc)
            return result
        try:
            if "health_" in caddyfile:
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
