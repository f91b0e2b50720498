"""The app fixtures of group b (fixtures/<proxy>/app-<id>[-broken]/), proven on the real proxy binaries.

Each fixture starts once on its proxy, bound to 127.0.0.1 with a WebSocket echo backend in place of the
app. Every endpoint its `# wslint-test: --ws-url` lines declare is opened as each simulated browser
sends the handshake (Chrome, Firefox's `keep-alive, Upgrade`, a lower-case `upgrade`). A working
fixture must upgrade and echo for every client on every endpoint, reaching the backend at the path
the app expects (`#backend=`, else any); a broken fixture must fail the way its comment says: no 101
on the endpoints listed below (for the clients listed, else all of them), or, for a timeout that is
the bug, a socket that upgrades and is then cut after an idle wait just longer than that timeout.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from tests.e2e.apache_proxy import MODULES, Apache
from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.caddy_proxy import Caddy, with_globals
from tests.e2e.haproxy_proxy import HAProxy
from tests.e2e.harness import CHECK_SETTLE, settle_checks
from tests.e2e.nginx_proxy import Nginx
from tests.e2e.proxies import free_port, stop_process, wait_for_port
from tests.e2e.traefik_proxy import Traefik
from tests.e2e.wsclient import CONNECTION_HEADERS, Outcome, handshake
from tests.test_fixtures import annotations

pytestmark = pytest.mark.realproxy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MAIN_FILE = {"nginx": "nginx.conf", "apache": "httpd.conf", "haproxy": "haproxy.cfg", "caddy": "Caddyfile"}
ALL_CLIENTS = frozenset(CONNECTION_HEADERS)


@dataclass(frozen=True)
class Endpoint:
    host: str
    target: str  # path and query, as the client sends them
    backend: str | None  # the path the app serves the socket at, when the fixture says

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass(frozen=True)
class Broken:
    """How a broken fixture fails one endpoint."""

    kind: str  # "no-upgrade": no 101; "idle-cut": 101, then cut after `idle` seconds without traffic
    clients: frozenset[str] = ALL_CLIENTS
    idle: float = 0.0


NO_UPGRADE = Broken("no-upgrade")
OUTLINE_DOCUMENT = "/collaboration/document.3f1c7d02-5a6b-4c8d-9e0f-1a2b3c4d5e6f"


@dataclass(frozen=True)
class Case:
    proxy: str
    name: str
    broken: Mapping[str, Broken] = field(default_factory=dict)  # endpoint path -> failure

    @property
    def directory(self) -> Path:
        return FIXTURES / self.proxy / self.name

    def __str__(self) -> str:
        return f"{self.proxy}/{self.name}"


CASES = [
    Case("nginx", "app-guacamole"),
    Case("nginx", "app-guacamole-broken", {"/guacamole/websocket-tunnel": NO_UPGRADE}),
    Case("apache", "app-guacamole"),
    Case("apache", "app-guacamole-broken", {"/guacamole/websocket-tunnel": NO_UPGRADE}),
    Case("nginx", "app-node-red"),
    Case("nginx", "app-node-red-broken", {"/comms": NO_UPGRADE}),
    Case("caddy", "app-node-red"),
    Case("caddy", "app-node-red-broken", {"/admin/comms": NO_UPGRADE}),
    Case("nginx", "app-jitsi-meet"),
    Case("nginx", "app-jitsi-meet-broken", {"/colibri-ws/default-id/4f9cb343985d4779/c814b6a6": NO_UPGRADE}),
    Case("apache", "app-jitsi-meet"),
    Case(
        "apache",
        "app-jitsi-meet-broken",
        {"/xmpp-websocket": NO_UPGRADE, "/colibri-ws/default-id/4f9cb343985d4779/c814b6a6": NO_UPGRADE},
    ),
    Case("nginx", "app-proxmox-ve"),
    Case(
        "nginx",
        "app-proxmox-ve-broken",
        {
            "/api2/json/nodes/pve1/qemu/100/vncwebsocket": NO_UPGRADE,
            "/api2/json/nodes/pve1/lxc/101/vncwebsocket": NO_UPGRADE,
            "/api2/json/nodes/pve1/vncwebsocket": NO_UPGRADE,
        },
    ),
    Case("haproxy", "app-proxmox-ve"),
    Case(
        "haproxy",
        "app-proxmox-ve-broken",
        {"/api2/json/nodes/pve1/qemu/100/vncwebsocket": Broken("idle-cut", idle=3.5)},
    ),
    Case("nginx", "app-jellyfin"),
    Case("nginx", "app-jellyfin-broken", {"/socket": NO_UPGRADE}),
    Case("apache", "app-jellyfin"),
    Case("apache", "app-jellyfin-broken", {"/socket": NO_UPGRADE}),
    Case("haproxy", "app-octoprint"),
    Case("haproxy", "app-octoprint-broken", {"/sockjs/123/abcdefgh/websocket": Broken("idle-cut", idle=3.5)}),
    Case("nginx", "app-octoprint"),
    Case("nginx", "app-octoprint-broken", {"/octoprint/sockjs/123/abcdefgh/websocket": NO_UPGRADE}),
    Case("nginx", "app-frigate"),
    Case("nginx", "app-frigate-broken", {"/ws": NO_UPGRADE, "/live/mse/api/ws": NO_UPGRADE}),
    Case("apache", "app-frigate"),
    Case("apache", "app-frigate-broken", {"/ws": NO_UPGRADE, "/live/jsmpeg/front_door": NO_UPGRADE}),
    Case("nginx", "app-outline"),
    Case("nginx", "app-outline-broken", {OUTLINE_DOCUMENT: NO_UPGRADE}),
    Case("caddy", "app-outline"),
    Case("caddy", "app-outline-broken", {OUTLINE_DOCUMENT: NO_UPGRADE}),
    Case("nginx", "app-socket-io"),
    Case("nginx", "app-socket-io-broken", {"/socket.io/": Broken("idle-cut", idle=3.5)}),
    Case("traefik", "app-socket-io"),
    Case("traefik", "app-socket-io-broken", {"/socket.io/": NO_UPGRADE}),
    Case("nginx", "app-aspnetcore-signalr"),
    Case("nginx", "app-aspnetcore-signalr-broken", {"/chathub": NO_UPGRADE}),
    Case("haproxy", "app-aspnetcore-signalr"),
    Case("haproxy", "app-aspnetcore-signalr-broken", {"/hubs/chat": NO_UPGRADE}),
    Case("nginx", "app-phoenix"),
    Case("nginx", "app-phoenix-broken", {"/live/websocket": NO_UPGRADE}),
    Case("caddy", "app-phoenix"),
    Case("caddy", "app-phoenix-broken", {"/live/websocket": Broken("no-upgrade", clients=frozenset({"lowercase"}))}),
    Case("nginx", "app-rails-actioncable"),
    Case("nginx", "app-rails-actioncable-broken", {"/cable": NO_UPGRADE}),
    Case("traefik", "app-rails-actioncable"),
    Case("traefik", "app-rails-actioncable-broken", {"/cable": NO_UPGRADE}),
]


def endpoints(case: Case) -> list[Endpoint]:
    main = case.directory / MAIN_FILE.get(case.proxy, "dynamic.yml")
    _, _, options = annotations(main, case.directory.parent)
    urls = [options[i + 1] for i, opt in enumerate(options) if opt == "--ws-url"]
    out = []
    for url in urls:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        backend = parts.fragment.removeprefix("backend=") if parts.fragment.startswith("backend=") else None
        out.append(Endpoint(parts.hostname or "", target, backend))
    assert out, f"{case} declares no --ws-url"
    return out


class AppBackend(Backend):
    """The echo backend standing in for the app: a plain request to one of its socket paths gets 400 (as
    SignalR hubs, Socket.IO and most socket handlers answer it); with backend paths given, a handshake
    anywhere else gets 404, like an app serving its socket at one path."""

    def __init__(self, socket_paths: set[str], backend_paths: set[str]) -> None:
        super().__init__()
        self.socket_paths = socket_paths
        self.backend_paths = backend_paths

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.seen.paths.append(request.path)
        path = urlsplit(request.path).path
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            self.checked.set()
            if path in self.socket_paths:
                return connection.respond(HTTPStatus.BAD_REQUEST, "websocket only\n")
            return connection.respond(HTTPStatus.OK, "plain page\n")
        if self.backend_paths and path not in self.backend_paths:
            return connection.respond(HTTPStatus.NOT_FOUND, "no websocket here\n")
        return None


def _ports(text: str, app_port: int, other_port: int) -> str:
    """The fixture's backend ports swapped for the test's: the app on 9001, another service on 9002 (every
    such number, also in `$variable:9001` or `set $port 9001;`)."""
    text = re.sub(r"(?<![\d.])9001\b", str(app_port), text)
    return re.sub(r"(?<![\d.])9002\b", str(other_port), text)


class ApacheMain:
    """httpd with the fixture as its main file, on a temporary ServerRoot (`-X`: one process, its PID)."""

    def __init__(self, binary: str, root: Path, config: str, port: int) -> None:
        self.binary = binary
        self.root = root
        self.port = port
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 and "\nUser " not in config else ""
        self.config = f'ServerRoot "{root}"\n{user}{config}'
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        (self.root / "modules").symlink_to(MODULES)
        main = self.root / "httpd.conf"
        main.write_text(self.config)
        env = {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}
        check = subprocess.run(
            [self.binary, "-t", "-f", str(main)], capture_output=True, text=True, env=env, timeout=20
        )
        assert check.returncode == 0, f"httpd refuses the fixture: {check.stderr}"
        self.proc = subprocess.Popen(
            [self.binary, "-X", "-f", str(main)],
            cwd=self.root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for_port(self.port), f"httpd did not listen: {self.log()}"

    def log(self) -> str:
        log = self.root / "error.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, Apache.stop_grace)
            self.proc = None


@contextmanager
def running(case: Case, binary: str, work: Path, app: AppBackend, other: NotFoundBackend) -> Iterator[int]:
    """Start the fixture on its proxy; yields the port the clients connect to."""
    port = free_port()
    if case.proxy == "traefik":
        dynamic = _ports((case.directory / "dynamic.yml").read_text(), app.port, other.port)
        traefik = Traefik(binary, work, app.port, dynamic)
        traefik.start()
        try:
            yield traefik.port
        finally:
            traefik.stop()
        return
    text = _ports((case.directory / MAIN_FILE[case.proxy]).read_text(), app.port, other.port)
    if case.proxy == "nginx":
        site = text.split("http {", 1)[1].rsplit("}", 1)[0]
        nginx = Nginx(binary, work, re.sub(r"listen 8080;", f"listen 127.0.0.1:{port};", site))
        nginx.start(port)
        try:
            yield port
        finally:
            nginx.stop()
    elif case.proxy == "apache":
        config = text.replace("Listen 8080", f"Listen 127.0.0.1:{port}").replace("*:8080", f"*:{port}")
        apache = ApacheMain(binary, work, config, port)
        try:
            apache.start()
            yield port
        finally:
            apache.stop()
    elif case.proxy == "haproxy":
        haproxy = HAProxy(binary, work, text.replace("*:8080", f"127.0.0.1:{port}"))
        haproxy.start(port)
        try:
            if " check" in text:
                settle_checks(CHECK_SETTLE, text, app)
            yield port
        finally:
            haproxy.stop()
    elif case.proxy == "caddy":
        caddy = Caddy(binary, work, with_globals(text, port))
        caddy.start(port)
        try:
            if "health_" in text:
                settle_checks(CHECK_SETTLE, text, app)
            yield port
        finally:
            caddy.stop()
    else:
        raise AssertionError(f"no runner for {case.proxy}")


BINARIES = {
    "nginx": "nginx_bin",
    "apache": "apache_bin",
    "haproxy": "haproxy_bin",
    "caddy": "caddy_bin",
    "traefik": "traefik_bin",
}


def _check(case: Case, endpoint: Endpoint, outcome: Outcome) -> str | None:
    """What is wrong with one client's outcome, or None when it is what the fixture promises."""
    failure = case.broken.get(endpoint.path)
    if failure is None or outcome.client not in failure.clients:
        return None if outcome.ok else f"expected an upgrade and echo: {outcome}"
    if failure.kind == "no-upgrade":
        return None if outcome.status != 101 else f"expected no 101: {outcome}"
    if failure.kind == "idle-cut":
        cut = outcome.status == 101 and not outcome.ok
        return None if cut else f"expected a 101 cut after {failure.idle}s idle: {outcome}"
    raise AssertionError(f"unknown failure kind {failure.kind}")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_app_fixture_on_the_real_proxy(case: Case, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    binary = str(request.getfixturevalue(BINARIES[case.proxy]))
    declared = endpoints(case)
    assert set(case.broken) <= {e.path for e in declared}, "a broken endpoint the fixture does not declare"
    assert case.name.endswith("-broken") == bool(case.broken)
    backend_paths = {e.backend for e in declared if e.backend is not None}
    problems = []
    with (
        AppBackend({e.backend or e.path for e in declared}, backend_paths) as app,
        NotFoundBackend() as other,
        running(case, binary, tmp_path / "proxy", app, other) as port,
    ):
        for endpoint in declared:
            failure = case.broken.get(endpoint.path)
            idle = failure.idle if failure is not None else 0.0
            clients = ["chrome"] if idle else list(CONNECTION_HEADERS)
            for client in clients:
                outcome = handshake(port, endpoint.target, f"{endpoint.host}:{port}", client, idle=idle)
                if (problem := _check(case, endpoint, outcome)) is not None:
                    problems.append(f"{endpoint.target}: {problem}")
    assert not problems, "\n".join([*problems, f"backend saw {app.seen.paths}"])
