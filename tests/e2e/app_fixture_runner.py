"""Starting an app fixture (fixtures/<proxy>/app-<id>[-broken]/) on its real proxy binary.

The fixtures are whole configurations as a user writes them: the proxy listens on
the standard port (80) and the app is at 127.0.0.1:9001 (another service, when
there is one, at 127.0.0.1:9002). Here they are copied into a temporary
directory, moved onto free loopback ports and started in the foreground; the
process is stopped by the PID started here. The clients then open every
endpoint the fixture declares (`# wslint-test: --ws-url ...`) with the Host
header a browser sends for that URL.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from tests.e2e.apache_proxy import MODULES, Apache
from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.caddy_proxy import GLOBAL, Caddy
from tests.e2e.haproxy_proxy import CHECK_SETTLE, HAProxy
from tests.e2e.proxies import EXAMPLE_APP, EXAMPLE_OTHER, ConfigRefused, free_port, stop_process, wait_for_port
from tests.e2e.traefik_proxy import Traefik
from tests.test_fixtures import OPTIONS
from wslint.endpoints import Endpoint, parse_endpoint

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MAIN_FILE = {
    "nginx": "nginx.conf",
    "haproxy": "haproxy.cfg",
    "apache": "httpd.conf",
    "caddy": "Caddyfile",
    "traefik": "traefik.yml",
}


def fixture_endpoints(proxy: str, name: str) -> list[Endpoint]:
    """The endpoints the fixture declares for wslint (its `# wslint-test:` options), in file order."""
    options: list[str] = []
    for f in sorted((FIXTURES / proxy / name).rglob("*")):
        if f.is_file():
            for m in OPTIONS.finditer(f.read_text()):
                options.extend(shlex.split(m.group(1)))
    return [parse_endpoint(options[i + 1]) for i, opt in enumerate(options) if opt == "--ws-url"]


class AppBackend(Backend):
    """The echo backend as the app: WebSockets only on its socket paths (404 elsewhere), a plain
    request to a socket path refused with 400, as the apps' socket handlers answer it, and, for
    the apps that compare the Origin with the Host they receive, that check (403)."""

    def __init__(self, socket_paths: frozenset[str], check_origin: bool = False) -> None:
        super().__init__(check_origin=check_origin)
        self.socket_paths = socket_paths

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if path not in self.socket_paths:
            if upgrade:
                self.seen.paths.append(request.path)
                return connection.respond(HTTPStatus.NOT_FOUND, "no websocket here\n")
            return super()._process_request(connection, request)
        if not upgrade:
            self.seen.paths.append(request.path)
            return connection.respond(HTTPStatus.BAD_REQUEST, "websocket only\n")
        return super()._process_request(connection, request)

    def __enter__(self) -> AppBackend:
        super().__enter__()
        return self


def _on_free_ports(text: str, app_port: int, other_port: int) -> str:
    return text.replace(EXAMPLE_APP, f"127.0.0.1:{app_port}").replace(EXAMPLE_OTHER, f"127.0.0.1:{other_port}")


def _copy(src: Path, dst: Path, app_port: int, other_port: int, listen: list[tuple[str, str]]) -> None:
    shutil.copytree(src, dst)
    for f in dst.rglob("*"):
        if f.is_file():
            text = _on_free_ports(f.read_text(), app_port, other_port)
            for pattern, repl in listen:
                text = re.sub(pattern, repl, text, flags=re.M)
            f.write_text(text)


class _Process:
    def __init__(
        self, cmd: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None, grace: float = 2.0
    ) -> None:
        # httpd's foreground mode ignores a graceful stop for seconds: it gets Apache.stop_grace, then SIGKILL
        self.grace = grace
        with log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc, self.grace)


@contextmanager
def _nginx(binary: str, src: Path, work: Path, port: int, app: int, other: int) -> Iterator[_Process]:
    site = work / "site"
    # IPv6 listens are dropped: the proxy answers on one loopback port
    _copy(
        src,
        site,
        app,
        other,
        [(r"^\s*listen\s+\[::\]:80\b[^;]*;\s*$", ""), (r"\blisten\s+80\b", f"listen 127.0.0.1:{port}")],
    )
    (work / "logs").mkdir()
    globals_ = f"daemon off; worker_processes 1; pid {work}/nginx.pid;" + (" user root;" if os.geteuid() == 0 else "")
    cmd = [binary, "-p", str(work), "-e", str(work / "error.log"), "-c", str(site / "nginx.conf"), "-g", globals_]
    res = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=20)
    if res.returncode != 0:
        raise ConfigRefused(res.stderr.strip())
    proc = _Process(cmd, work, work / "nginx.out")
    try:
        if not wait_for_port(port):
            raise RuntimeError(f"nginx did not listen on {port}: {proc.output()}")
        yield proc
    finally:
        proc.stop()


@contextmanager
def _haproxy(binary: str, src: Path, work: Path, port: int, app: int, other: int) -> Iterator[HAProxy]:
    text = _on_free_ports((src / "haproxy.cfg").read_text(), app, other)
    text = re.sub(r"\bbind\s+(?:\*|0\.0\.0\.0)?:80\b", f"bind 127.0.0.1:{port}", text)
    proxy = HAProxy(binary, work, text)
    proxy.start(port)
    try:
        if " check" in text:
            time.sleep(CHECK_SETTLE)
        yield proxy
    finally:
        proxy.stop()


@contextmanager
def _apache(binary: str, src: Path, work: Path, port: int, app: int, other: int) -> Iterator[_Process]:
    root = work / "root"
    _copy(src, root, app, other, [(r"^Listen 80$", f"Listen 127.0.0.1:{port}"), (r"\*:80>", f"*:{port}>")])
    (root / "modules").symlink_to(MODULES)
    (root / "run").mkdir(exist_ok=True)
    main = root / "httpd.conf"
    if os.geteuid() == 0 and "\nUser " not in main.read_text():
        main.write_text(main.read_text() + "User www-data\nGroup www-data\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}
    cmd = [binary, "-d", str(root), "-f", str(main)]
    res = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=20, env=env)
    if res.returncode != 0:
        raise ConfigRefused((res.stderr or res.stdout).strip())
    proc = _Process([*cmd, "-X"], root, work / "httpd.out", env, grace=Apache.stop_grace)
    try:
        if not wait_for_port(port):
            raise RuntimeError(f"httpd did not listen on {port}: {proc.output()}")
        yield proc
    finally:
        proc.stop()


@contextmanager
def _caddy(binary: str, src: Path, work: Path, port: int, app: int, other: int) -> Iterator[Caddy]:
    text = _on_free_ports((src / "Caddyfile").read_text(), app, other)
    text = GLOBAL + re.sub(r"\bhttp://([A-Za-z0-9.-]+)(?::80)?(?=[\s,{])", rf"http://\1:{port}", text)
    proxy = Caddy(binary, work, text)
    proxy.start(port)
    try:
        yield proxy
    finally:
        proxy.stop()


@contextmanager
def _traefik(binary: str, src: Path, work: Path, app: int, other: int) -> Iterator[Traefik]:
    """The fixture's dynamic files on the harness's static configuration (entryPoint `web`)."""
    dynamic = sorted((src / "dynamic").glob("*.y*ml"))
    with Backend() as ready:
        proxy = Traefik(binary, work, ready.port, _on_free_ports(dynamic[0].read_text(), app, other), dynamic[0].name)
        for extra in dynamic[1:]:
            proxy.write_dynamic(_on_free_ports(extra.read_text(), app, other), extra.name)
        proxy.start()
        try:
            yield proxy
        finally:
            proxy.stop()


@dataclass
class Started:
    port: int
    app: AppBackend
    output: object

    def log(self) -> str:
        out = self.output
        for name in ("output", "log_text"):
            if hasattr(out, name):
                return str(getattr(out, name)())
        return ""


@contextmanager
def started(
    proxy: str, binary: str, name: str, work: Path, endpoints: list[Endpoint], check_origin: bool = False
) -> Iterator[Started]:
    """The fixture running on its proxy, with the app behind it."""
    src = FIXTURES / proxy / name
    socket_paths = frozenset(e.expected_backend_path or e.path for e in endpoints)
    with AppBackend(socket_paths, check_origin) as app, NotFoundBackend() as other:
        if proxy == "traefik":
            with _traefik(binary, src, work, app.port, other.port) as t:
                yield Started(t.port, app, t)
            return
        port = free_port()
        runner = {"nginx": _nginx, "haproxy": _haproxy, "apache": _apache, "caddy": _caddy}[proxy]
        with runner(binary, src, work, port, app.port, other.port) as p:
            yield Started(port, app, p)
