"""`wslint probe`: real handshakes against a live endpoint, diagnosed, and tied to the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from wslint.endpoints import DEFAULT_PORTS, EndpointError
from wslint.findings import Finding
from wslint.model import EndpointResult
from wslint.probe.client import BROWSERS, Attempt, ProbeError, Target, attempt
from wslint.probe.diagnose import diagnose
from wslint.probe.predict import Disagreement, Prediction, disagreements

__all__ = ["BROWSERS", "ProbeError", "ProbeReport", "make_target", "probe"]


@dataclass
class ProbeReport:
    url: str
    target: Target
    attempts: list[Attempt]
    diagnosis: list[str]
    predicted: list[EndpointResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # where the live answers contradict the --config prediction
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.attempts) and not self.disagreements

    def tie(self, prediction: Prediction) -> None:
        """Compare the live answers with what the configuration predicts."""
        self.predicted = prediction.results
        self.findings = prediction.findings
        self.disagreements = disagreements(self.attempts, prediction)


def make_target(url: str, connect: str | None = None, origin: str | None = None) -> Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise EndpointError(f"{url!r}: probe needs a ws://, wss://, http:// or https:// URL")
    if not parts.hostname:
        raise EndpointError(f"{url!r} has no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise EndpointError(f"{url!r} has an invalid port") from None
    tls = scheme in ("wss", "https")
    default = port == DEFAULT_PORTS[scheme]
    host = parts.hostname
    host_header = host if default else f"{host}:{port}"
    connect_host, connect_port = host, port
    if connect:
        connect_host, connect_port = _address(connect, port)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Target(
        tls=tls,
        host=host,
        port=port,
        host_header=host_header,
        request_target=target,
        origin=origin or f"{'https' if tls else 'http'}://{host_header}",
        connect_host=connect_host,
        connect_port=connect_port,
    )


def _address(text: str, default_port: int) -> tuple[str, int]:
    """HOST, HOST:PORT, [V6] or [V6]:PORT."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port.isdigit() else default_port
    if text.count(":") == 1:
        host, port = text.split(":")
        if not port.isdigit():
            raise EndpointError(f"--connect {text!r}: the port must be a number")
        return host, int(port)
    return text, default_port


def probe(
    url: str,
    browsers: list[str],
    connect: str | None = None,
    origin: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    subprotocols: list[str] | None = None,
    insecure: bool = False,
    timeout: float = 5.0,
    idle: float = 0.0,
    message: str | None = None,
) -> ProbeReport:
    target = make_target(url, connect, origin)
    attempts = [attempt(target, BROWSERS[b], timeout, insecure, headers, subprotocols, idle, message) for b in browsers]
    return ProbeReport(url=url, target=target, attempts=attempts, diagnosis=diagnose(url, attempts))
