"""The real haproxy in the foreground on 127.0.0.1, stopped by its PID.

Each run writes its configuration into its own directory and starts
`haproxy -db` (no daemon, no master process) so that the PID this module
holds is the one that serves; `haproxy -c` explains a refused configuration
(a refusal is an outcome, not an error).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import CHECK_SETTLE, Run, run_example
from tests.e2e.proxies import ProxyProcess, substitute
from wslint.engine.schema import E2ESpec


class HAProxy(ProxyProcess):
    name = "haproxy"

    def __init__(self, binary: str, prefix: Path, config: str) -> None:
        super().__init__(binary, prefix)
        self.config = config
        self.path = prefix / "haproxy.cfg"

    def write(self) -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.config)

    def check_command(self) -> list[str]:
        return [self.binary, "-c", "-f", str(self.path)]

    def run_command(self) -> list[str]:
        return [self.binary, "-db", "-f", str(self.path)]


def run_haproxy(binary: str, config: str, prefix: Path, e2e: E2ESpec) -> Run:
    """Start haproxy with `config`, then run the example's probe with every simulated client."""
    return run_example(
        lambda port, app, other: HAProxy(binary, prefix, substitute(config, port, app, other)),
        e2e,
        socket_only=True,
        settle=CHECK_SETTLE if " check" in config else 0.0,
        config=config,
    )
