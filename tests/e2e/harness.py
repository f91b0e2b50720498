"""Run a configuration fragment through a real proxy and report what clients experienced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.proxies import ConfigRefused, Nginx, free_port, substitute
from tests.e2e.wsclient import CONNECTION_HEADERS, Outcome, handshake, plain_get
from wslint.engine.schema import E2ESpec


@dataclass
class Run:
    refused: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    plain_status: int | None = None
    expect_plain: bool = False
    backend_paths: list[str] = field(default_factory=list)
    log: str = ""

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
        if self.log:
            lines.append(self.log[-800:])
        return "\n".join(lines)


def run_nginx(binary: str, site: str, prefix: Path, e2e: E2ESpec) -> Run:
    """Start nginx with `site`, then run the example's probe with every simulated client."""
    path, probe, idle, host = e2e.path, e2e.probe, e2e.idle, e2e.host
    with (
        Backend(check_origin=probe == "origin-check", expect_path=e2e.backend) as app,
        NotFoundBackend() as other,
    ):
        port = free_port()
        nginx = Nginx(binary, prefix, substitute(site, port, app.port, other.port))
        result = Run(expect_plain=probe == "plain-http")
        try:
            nginx.start(port)
        except ConfigRefused as exc:
            result.refused = str(exc)
            return result
        try:
            host_header = f"{host}:{port}"
            clients = ["chrome"] if probe == "idle" else list(CONNECTION_HEADERS)
            for client in clients:
                result.outcomes.append(handshake(port, path, host_header, client, idle=idle))
            if result.expect_plain:
                result.plain_status = plain_get(port, path, host_header)
            result.backend_paths = list(app.seen.paths)
            result.log = nginx.error_log() if not result.works else ""
        finally:
            nginx.stop()
        return result
