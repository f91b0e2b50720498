"""Run a rule example through a real proxy and report what clients experienced.

The same for every proxy: the example's backends on free ports, the proxy
started on its own (a refusal is an outcome), the example's probe as every
simulated client (one Chrome connection for an idle probe), the proxy stopped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.e2e.backends import Backend, NotFoundBackend, SocketOnlyBackend
from tests.e2e.proxies import ConfigRefused, ProxyProcess, free_port
from tests.e2e.wsclient import CONNECTION_HEADERS, Outcome, handshake, plain_get
from wslint.engine.schema import E2ESpec

# active health checks run every 500 ms in the examples; give them time to mark a server
CHECK_SETTLE = 1.5
# how long past CHECK_SETTLE to wait for the first check on a loaded machine, and how long a proxy gets
# to count that check's answer before clients connect
CHECK_LATE = 8.0
CHECK_COUNTED = 0.5


def sends_check_request(config: str) -> bool:
    """Whether the configuration's health checks send an HTTP request (HAProxy's plain `check` only
    connects and resets, which a backend never sees; Caddy's active checks, httpd's hcmethod GET and
    Traefik's loadBalancer.healthCheck do)."""
    return bool(
        re.search(r"option\s+httpchk|http-check\s|health_(?:uri|path)\b", config)
        or re.search(r"hcmethod\s+(?!tcp\b)\w", config, re.IGNORECASE)
        # Traefik's healthCheck section (YAML key, TOML table, label), not a location or backend named so
        or re.search(r"\bhealthcheck\s*:|\.healthcheck\]|loadbalancer\.healthcheck\.", config, re.IGNORECASE)
    )


def settle_checks(minimum: float, config: str, *backends: Backend) -> None:
    """Wait at least `minimum` seconds and, when the checks send a request, until one has reached a
    backend and its answer has had time to count: on a loaded machine the first check comes late, and a
    fixed sleep let clients in while the server still looked up."""
    start = time.monotonic()
    if sends_check_request(config):
        deadline = start + minimum + CHECK_LATE
        while not any(b.checked.is_set() for b in backends) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(CHECK_COUNTED)
    time.sleep(max(minimum - (time.monotonic() - start), 0.0))


@dataclass
class Run:
    refused: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    plain_status: int | None = None
    expect_plain: bool = False
    backend_paths: list[str] = field(default_factory=list)
    log: str = ""
    # the h2c upgrade request's status, and the headers (lower-case names) of each copy the application got
    h2c_status: int | None = None
    h2c_seen: list[dict[str, str]] = field(default_factory=list)

    @property
    def works(self) -> bool:
        if self.refused is not None or not self.outcomes:
            return False
        if self.expect_plain and self.plain_status != 200:
            return False
        return all(o.ok for o in self.outcomes)

    @property
    def broken(self) -> bool:
        return not self.works

    def describe(self) -> str:
        if self.refused is not None:
            return f"configuration refused: {self.refused}"
        lines = [str(o) for o in self.outcomes]
        if self.expect_plain:
            lines.append(f"plain GET: {self.plain_status}")
        lines.append(f"backend saw paths {self.backend_paths}")
        if self.h2c_status is not None or self.h2c_seen:
            lines.append(f"h2c upgrade: status {self.h2c_status}, the application got {self.h2c_seen}")
        if self.log:
            lines.append(self.log[-800:])
        return "\n".join(lines)


# (proxy port, app port, other port) -> the proxy to start
MakeProxy = Callable[[int, int, int], ProxyProcess]


def run_example(
    make: MakeProxy,
    e2e: E2ESpec,
    *,
    socket_only: bool = False,
    settle: float = 0.0,
    config: str = "",
    clients: Sequence[str] | None = None,
) -> Run:
    """Start the proxy `make` builds, wait `settle` seconds for the health checks of `config`, then run
    the example's probe.

    socket_only: the application answers a plain request to the socket path with 400 (what fails a
    health check aimed at it); else it serves a page there, and checks Origin for an origin-check probe.
    clients: who connects (default: every client, only Chrome for an idle probe).
    """
    app: Backend = (
        SocketOnlyBackend(e2e.path, expect_path=e2e.backend)
        if socket_only
        else Backend(check_origin=e2e.probe == "origin-check", expect_path=e2e.backend)
    )
    with app, NotFoundBackend() as other:
        port = free_port()
        proxy = make(port, app.port, other.port)
        result = Run(expect_plain=e2e.probe == "plain-http")
        try:
            proxy.start(port)
        except ConfigRefused as exc:
            result.refused = str(exc)
            return result
        try:
            if settle:
                settle_checks(settle, config, app)
            host_header = f"{e2e.host}:{port}"
            if clients is None:
                clients = ["chrome"] if e2e.probe == "idle" else list(CONNECTION_HEADERS)
            for client in clients:
                result.outcomes.append(handshake(port, e2e.path, host_header, client, idle=e2e.idle))
            if result.expect_plain:
                result.plain_status = plain_get(port, e2e.path, host_header)
            result.backend_paths = list(app.seen.paths)
            result.log = proxy.output() if not result.works else ""
        finally:
            proxy.stop()
        return result
