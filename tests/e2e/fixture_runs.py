"""An annotated fixture run through its real proxy, with a handshake for every endpoint it declares.

The fixtures proven this way are written in the harnesses' shape: the proxy listens on
127.0.0.1:8080 (a second listener on 127.0.0.1:8081), the application is 127.0.0.1:9001 and another
service 127.0.0.1:9002; nginx fixtures are http-level files, Apache fixtures a site with its own
LoadModule lines, Traefik fixtures a dynamic file whose routers take every entryPoint. Each `--ws-url` of the fixture's `# wslint-test:` line is opened as Chrome, Firefox
and a lower-case hop send it (Host as the URL gives it, with the port the proxy really has), the
application being a WebSocket echo server that answers a plain request to the socket path with 400
and, when the URL says `#backend=/path`, only upgrades that path. With `h2c`, a cleartext HTTP/2
upgrade request (`Upgrade: h2c`) follows the handshakes and the run records what the application got.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.apache_proxy import Apache
from tests.e2e.backends import NotFoundBackend
from tests.e2e.backends import SocketOnlyBackend as WebSocketOnlyBackend
from tests.e2e.caddy_proxy import Caddy, with_globals
from tests.e2e.haproxy_proxy import HAProxy
from tests.e2e.harness import CHECK_SETTLE, Run, settle_checks
from tests.e2e.nginx_proxy import Nginx
from tests.e2e.proxies import ConfigRefused, free_port, substitute
from tests.e2e.traefik_proxy import Traefik
from tests.e2e.wsclient import CONNECTION_HEADERS, h2c_upgrade, handshake
from tests.test_fixtures import OPTIONS
from wslint.endpoints import Endpoint, parse_endpoint

SECOND_LISTENER = "127.0.0.1:8081"
# the path the h2c upgrade request asks for: no handshake uses it, so its record at the backend is its own
H2C_PATH = "/wslint-h2c-probe"


@dataclass(frozen=True)
class Started:
    """A proxy the run stops, whatever its kind."""

    proxy: Nginx | HAProxy | Apache | Caddy | Traefik

    def stop(self) -> None:
        self.proxy.stop()

    def log(self) -> str:
        p = self.proxy
        if isinstance(p, Traefik):
            return p.log_text()
        return p.error_log() if isinstance(p, Nginx | Apache) else p.output()


def endpoints_of(fixture: Path) -> list[Endpoint]:
    """The fixture's `--ws-url` endpoints, in the order written."""
    out: list[Endpoint] = []
    single = fixture.parent.name == "nginx"
    for f in [fixture] if single else sorted(fixture.parent.rglob("*")):
        if not f.is_file():
            continue
        for m in OPTIONS.finditer(f.read_text()):
            args = shlex.split(m.group(1))
            out += [parse_endpoint(args[i + 1]) for i, a in enumerate(args[:-1]) if a == "--ws-url"]
    return out


def _start(proxy: str, binary: str, text: str, prefix: Path, port: int, app_port: int) -> Started:
    if proxy == "nginx":
        nginx = Nginx(binary, prefix, text)
        nginx.start(port)
        return Started(nginx)
    if proxy == "haproxy":
        haproxy = HAProxy(binary, prefix, text)
        haproxy.start(port)
        return Started(haproxy)
    if proxy == "apache":
        # the harness's main file listens on the proxy's port; a fixture's second listener is its own
        apache = Apache(binary, prefix, text, port)
        apache.start()
        return Started(apache)
    if proxy == "traefik":
        # its readiness router asks the application for a plain page
        traefik = Traefik(binary, prefix, app_port, text, port=port)
        traefik.start(port)
        return Started(traefik)
    caddy = Caddy(binary, prefix, with_globals(text, port))
    caddy.start(port)
    return Started(caddy)


def run_fixture(
    proxy: str,
    binary: str,
    fixture: Path,
    prefix: Path,
    idle: float = 0.0,
    urls: tuple[str, ...] = (),
    h2c: bool = False,
) -> Run:
    """Start the proxy with the fixture's text, then open every endpoint it declares (or `urls`) with every
    client, and with `h2c` send an h2c upgrade request on the first endpoint's listener."""
    endpoints = [parse_endpoint(u) for u in urls] or endpoints_of(fixture)
    assert endpoints, f"{fixture}: a fixture proven on the proxy declares its endpoints with --ws-url"
    text = fixture.read_text()
    backends = {e.expected_backend_path for e in endpoints}
    socket_path = endpoints[0].expected_backend_path or endpoints[0].path
    expect = backends.pop() if len(backends) == 1 else None
    with WebSocketOnlyBackend(socket_path, expect_path=expect) as app, NotFoundBackend() as other:
        port, second = free_port(), free_port()
        config = substitute(text, port, app.port, other.port).replace(SECOND_LISTENER, f"127.0.0.1:{second}")
        result = Run()
        try:
            started = _start(proxy, binary, config, prefix, port, app.port)
        except ConfigRefused as exc:
            result.refused = str(exc)
            return result
        try:
            if any(mark in text for mark in (" check", "hcmethod", "health_")):
                settle_checks(CHECK_SETTLE + 1.0, config, app)
            for e in endpoints:
                host = e.host_header or "localhost"
                host = host.replace(":8080", f":{port}").replace(":8081", f":{second}")
                target = port if e.effective_port != 8081 else second
                clients = ["chrome"] if idle else list(CONNECTION_HEADERS)
                for client in clients:
                    result.outcomes.append(handshake(target, e.target, host, client, idle=idle))
            if h2c:
                e = endpoints[0]
                host = (e.host_header or "localhost").replace(":8080", f":{port}").replace(":8081", f":{second}")
                result.h2c_status = h2c_upgrade(port if e.effective_port != 8081 else second, H2C_PATH, host)
                result.h2c_seen = [dict((k.lower(), v) for k, v in h) for p, h in app.seen.requests if p == H2C_PATH]
            result.backend_paths = list(app.seen.paths)
            result.log = started.log() if not result.works else ""
        finally:
            started.stop()
        return result
