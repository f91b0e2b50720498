"""The real traefik binary with a whole configuration: its own static file, entryPoints and dynamic files.

tests/e2e/traefik_proxy.py runs one dynamic file under a fixed static
configuration; the cases here need the static configuration itself (an
entryPoint's `forwardedHeaders`, its `http.redirections`, a provider
directory with several files, a fixture's own traefik.yml). The static text
is written by the test with `{ep:NAME}` placeholders for the entryPoints'
addresses, `{dynamic}` for the provider directory and `{log}` for the log
file; a `probe` entryPoint and a readiness router are added so that a run
starts only once the dynamic configuration is applied. Everything listens on
127.0.0.1 and is stopped by the PID started here.

The backends: `ws` (127.0.0.1:9001 in the configurations) is a WebSocket echo
server that answers a plain GET 200; `web` (9002) answers 404 to everything,
as a web application does to a handshake on a path it does not serve;
`wsonly` (9003) is a WebSocket-only server that answers a plain GET 426, as
`ws`, Socket.IO and SignalR servers do (but 200 on its health endpoint /health). Each records the paths it received.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.harness import settle_checks
from tests.e2e.proxies import ProxyProcess, free_port, free_ports
from tests.e2e.traefik_proxy import READY, http_get
from tests.e2e.wsclient import CONNECTION_HEADERS, GUID

WS, WEB, WSONLY = "127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"


class WsOnlyBackend(Backend):
    """A WebSocket server that refuses plain requests with 426, as most WebSocket-only servers do, but for
    its health endpoint /health (200)."""

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.seen.paths.append(request.path)
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            # before any client connects, a plain request is a health check
            self.checked.set()
            if request.path.split("?", 1)[0] == "/health":
                return connection.respond(HTTPStatus.OK, "ok\n")
            return connection.respond(HTTPStatus.UPGRADE_REQUIRED, "websocket only\n")
        return None


class RecordingNotFound(NotFoundBackend):
    """The wrong service: 404 to everything, counting the requests it got."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    async def _handle(self, reader: Any, writer: Any) -> None:
        self.requests += 1
        await super()._handle(reader, writer)


@dataclass
class Answer:
    """One handshake's answer: the status, its Location, and whether the upgraded socket echoed."""

    client: str
    status: int | None
    location: str | None = None
    echoed: bool = False
    detail: str = ""

    @property
    def upgraded(self) -> bool:
        return self.status == 101 and self.echoed


def ws_handshake(
    port: int,
    target: str,
    host: str,
    client: str = "chrome",
    headers: Mapping[str, str] | None = None,
    tls: bool = False,
    timeout: float = 5.0,
    idle: float = 0.0,
) -> Answer:
    """A browser's handshake (its own Connection header) with extra headers, plain or over TLS; with `idle`, the
    upgraded socket stays silent that long before the echo."""
    key = base64.b64encode(os.urandom(16)).decode()
    scheme = "https" if tls else "http"
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host}",
        f"Connection: {CONNECTION_HEADERS[client]}",
        "Upgrade: websocket",
        f"Origin: {scheme}://{host}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Key: {key}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
        "",
        "",
    ]
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        with raw:
            sock: socket.socket = raw
            if tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(raw, server_hostname=host.split(":")[0])
            sock.settimeout(timeout)
            sock.sendall("\r\n".join(lines).encode())
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
            if not head:
                return Answer(client, None, detail="closed without an answer")
            text = head.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            status_line, *header_lines = text.split("\r\n")
            parts = status_line.split()
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            got = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
            if status != 101:
                return Answer(client, status, got.get("location"), detail=status_line)
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            if got.get("sec-websocket-accept") != accept:
                return Answer(client, status, detail="bad Sec-WebSocket-Accept")
            if idle:
                time.sleep(idle)
            payload = b"wslint-live"
            mask = os.urandom(4)
            sock.sendall(
                bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            )
            frame = sock.recv(4096)
            echoed = len(frame) >= 2 and frame[0] & 0x0F == 1 and frame[2 : 2 + (frame[1] & 0x7F)] == payload
            close = os.urandom(4)
            sock.sendall(bytes([0x88, 0x82]) + close + bytes(b ^ close[i % 4] for i, b in enumerate(b"\x03\xe8")))
            return Answer(client, status, echoed=echoed, detail="echoed" if echoed else f"frame {frame[:20]!r}")
    except OSError as exc:
        return Answer(client, None, detail=f"{type(exc).__name__}: {exc}")


@dataclass
class Backends:
    ws: Backend
    web: RecordingNotFound
    wsonly: WsOnlyBackend

    def substitute(self, text: str) -> str:
        return (
            text.replace(WS, f"127.0.0.1:{self.ws.port}")
            .replace(WEB, f"127.0.0.1:{self.web.port}")
            .replace(WSONLY, f"127.0.0.1:{self.wsonly.port}")
        )


@contextmanager
def backends() -> Iterator[Backends]:
    with ExitStack() as stack:
        ws = stack.enter_context(Backend())
        web = stack.enter_context(RecordingNotFound())
        wsonly = stack.enter_context(WsOnlyBackend())
        yield Backends(ws, web, wsonly)


@dataclass
class Live:
    """A running traefik: the local port of each entryPoint of the static configuration."""

    ports: dict[str, int]
    workdir: Path
    # a fixture's entryPoints by the port its configuration gives them
    by_port: dict[int, str] = field(default_factory=dict)

    @property
    def log(self) -> str:
        path = self.workdir / "traefik.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def handshake(self, entry_point: str, target: str, host: str, **kw: Any) -> list[Answer]:
        """Every browser's handshake through one entryPoint."""
        return [ws_handshake(self.ports[entry_point], target, host, client, **kw) for client in CONNECTION_HEADERS]


class StaticTraefik(ProxyProcess):
    """traefik with a whole static configuration (its `probe` entryPoint and readiness router added) and
    these dynamic files; started and stopped by the shared harness (tests/e2e/proxies.py)."""

    name = "traefik"
    # an open tunnel keeps traefik waiting for its graceTimeOut: nothing is lost by killing it
    stop_grace = 0.2

    def __init__(
        self,
        binary: str,
        workdir: Path,
        static: str,
        dynamic: Mapping[str, str],
        ports: Mapping[str, int],
        ready_port: int,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(binary, workdir)
        self.static_text = static
        self.dynamic = dynamic
        self.ports = dict(ports)
        self.probe_port = free_port()
        self.ready_port = ready_port
        self.extra_env = dict(env or {})

    @property
    def log(self) -> Path:
        return self.prefix / "traefik.log"

    def own_log(self) -> Path:
        return self.log

    def write(self) -> None:
        directory = self.prefix / "dynamic"
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in self.dynamic.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        (directory / "zz-wslint-ready.yml").write_text(READY.format(ready_port=self.ready_port))
        text = self.static_text
        for name, port in self.ports.items():
            text = text.replace("{ep:" + name + "}", f"127.0.0.1:{port}")
        text = text.replace("{dynamic}", str(directory)).replace("{log}", str(self.log))
        data = yaml.safe_load(text)
        data.setdefault("entryPoints", {})["probe"] = {"address": f"127.0.0.1:{self.probe_port}"}
        data.setdefault("log", {}).update({"level": "ERROR", "filePath": str(self.log)})
        data.setdefault("global", {}).update({"checkNewVersion": False, "sendAnonymousUsage": False})
        (self.prefix / "traefik.yml").write_text(yaml.safe_dump(data, sort_keys=False))

    def run_command(self) -> list[str]:
        return [self.binary, f"--configFile={self.prefix / 'traefik.yml'}"]

    def check(self) -> str:
        # traefik has no check command: a dynamic file it refuses only shows in its log
        return ""

    def env(self) -> dict[str, str] | None:
        return {**os.environ, **self.extra_env} if self.extra_env else None

    def wait_ready(self, timeout: float = 15.0) -> None:
        """The dynamic configuration is applied once the readiness router answers (bounded wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _ = http_get(self.probe_port, "/__wslint_ready", "ready.test", timeout=1.0)
            if status == 200:
                return
            time.sleep(0.05)
        raise RuntimeError(f"traefik did not apply its configuration in {timeout}s: {self.output()}")


@contextmanager
def run_static(
    binary: str,
    workdir: Path,
    static: str,
    dynamic: Mapping[str, str],
    entry_points: tuple[str, ...],
    backends: Backends,
    settle: float = 0.0,
    env: Mapping[str, str] | None = None,
) -> Iterator[Live]:
    """traefik with this static configuration (placeholders `{ep:NAME}`, `{dynamic}`, `{log}`) and these
    dynamic files (their 127.0.0.1:9001/9002/9003 replaced by the backends' ports). `settle`: health checks
    run; wait until one reached a backend (bounded), as the shared harness does."""
    ports = dict(zip(entry_points, free_ports(len(entry_points)), strict=True))
    text = {name: backends.substitute(t) for name, t in dynamic.items()}
    proxy = StaticTraefik(binary, workdir, static, text, ports, backends.ws.port, env)
    proxy.start(proxy.probe_port, *ports.values())
    live = Live(ports, workdir)
    try:
        proxy.wait_ready()
        if settle:
            settle_checks(settle, "\n".join([static, *text.values()]), backends.ws, backends.wsonly)
        yield live
    finally:
        proxy.stop()


# -- a fixture's own configuration --------------------------------------------------------------

_ADDRESS = re.compile(r"^(?P<host>[^:]*):(?P<port>\d+)(?P<rest>/\w+)?$")


def fixture_static(traefik_yml: Path) -> tuple[str, dict[str, int], list[str]]:
    """A fixture's static file with `{ep:NAME}` in place of each entryPoint's address and the file provider
    pointed at `{dynamic}`; the port each entryPoint had, and the dynamic files (relative to the fixture)."""
    data = yaml.safe_load(traefik_yml.read_text())
    original: dict[str, int] = {}
    for name, ep in (data.get("entryPoints") or {}).items():
        m = _ADDRESS.match(str(ep.get("address", "")))
        if m is None:
            raise ValueError(f"{traefik_yml}: entryPoint {name} has an address the live run cannot map")
        original[name] = int(m.group("port"))
        ep["address"] = "{ep:" + name + "}"
    files: list[str] = []
    provider = (data.get("providers") or {}).get("file") or {}
    base = traefik_yml.parent
    if "directory" in provider:
        root = base / provider.pop("directory")
        files = [str(p.relative_to(base)) for p in sorted(root.rglob("*")) if p.suffix in (".yml", ".yaml", ".toml")]
    elif "filename" in provider:
        files = [provider.pop("filename")]
    provider["directory"] = "{dynamic}"
    provider.pop("watch", None)
    data.setdefault("providers", {})["file"] = provider
    data.pop("log", None)
    return yaml.safe_dump(data, sort_keys=False), original, files


@contextmanager
def run_fixture(binary: str, fixture: Path, workdir: Path, backends: Backends, settle: float = 0.0) -> Iterator[Live]:
    """traefik with a fixture's traefik.yml and its file-provider files (their layout kept)."""
    static, original, files = fixture_static(fixture / "traefik.yml")
    dynamic = {"/".join(Path(f).parts[1:]) or f: (fixture / f).read_text() for f in files}
    with run_static(binary, workdir, static, dynamic, tuple(original), backends, settle) as live:
        live.by_port = {port: name for name, port in original.items()}
        yield live
