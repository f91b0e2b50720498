"""Running a real proxy binary in the foreground on 127.0.0.1, stopped by its PID.

Never the system service: each run gets its own prefix directory, its own
ports, and is stopped by the PID this module started. What every proxy
shares lives here (`ProxyProcess`): the start that waits for the ports
themselves, the check that explains a refused configuration in the proxy's
own words, the stop that cannot hang. Each proxy module (nginx_proxy.py,
haproxy_proxy.py, apache_proxy.py, caddy_proxy.py, traefik_proxy.py) only
says which files to write and which command lines to run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

# The example configurations use the same addresses as the acceptance cases;
# the harness swaps in free ports.
EXAMPLE_PROXY = "127.0.0.1:8080"
EXAMPLE_APP = "127.0.0.1:9001"
EXAMPLE_OTHER = "127.0.0.1:9002"

# how often a starting proxy's ports are tried: a refused connect on loopback costs microseconds,
# and the proxies start in 20-200 ms
POLL_INTERVAL = 0.005


class ConfigRefused(Exception):
    """The proxy's own check rejected the configuration (its message is the args)."""


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in ("/usr/sbin", "/usr/local/sbin", "/sbin"):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(n: int) -> list[int]:
    """n distinct free ports (the sockets are held until all are chosen, so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_ports(ports: Iterable[int], timeout: float = 5.0, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Whether every port accepts a connection within `timeout` (False as soon as `proc` has exited)."""
    deadline = time.monotonic() + timeout
    waiting = list(ports)
    while waiting:
        if _accepts(waiting[0]):
            waiting.pop(0)
            continue
        if (proc is not None and proc.poll() is not None) or time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
    return True


def wait_for_port(port: int, timeout: float = 5.0) -> bool:
    return wait_for_ports([port], timeout)


def stop_process(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, at most `grace` seconds for the process to exit, then SIGKILL (the PID is ours)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait(5)


def substitute(text: str, proxy_port: int, app_port: int, other_port: int) -> str:
    return (
        text.replace(EXAMPLE_PROXY, f"127.0.0.1:{proxy_port}")
        .replace(EXAMPLE_APP, f"127.0.0.1:{app_port}")
        .replace(EXAMPLE_OTHER, f"127.0.0.1:{other_port}")
    )


class ProxyProcess:
    """One proxy binary with its files under `prefix`.

    `start(*ports)` writes the files and runs the binary without a separate
    check first: the proxy refuses a bad configuration at start as its check
    does, so the check runs only when the process exits instead of listening,
    and raises ConfigRefused with the proxy's own message. A usable start
    takes one process instead of two.
    """

    name: ClassVar[str] = "proxy"
    # SIGTERM stops every proxy here at once when no WebSocket is open (nginx, haproxy, caddy,
    # httpd -X measured at a few ms); an open tunnel keeps httpd and traefik waiting: kill them
    stop_grace: ClassVar[float] = 2.0
    start_timeout: ClassVar[float] = 10.0

    def __init__(self, binary: str, prefix: Path) -> None:
        self.binary = binary
        self.prefix = prefix
        self.proc: subprocess.Popen[bytes] | None = None

    # --- what each proxy says -------------------------------------------------------------------

    def write(self) -> None:
        """Write the configuration files (creating `prefix`)."""
        raise NotImplementedError

    def check_command(self) -> list[str]:
        raise NotImplementedError

    def run_command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def refusal(self, res: subprocess.CompletedProcess[str]) -> str:
        """The message of a failed check."""
        return res.stderr.strip() or res.stdout.strip()

    def own_log(self) -> Path | None:
        """The log file the configuration names, if any."""
        return None

    # --- shared ---------------------------------------------------------------------------------

    @property
    def console(self) -> Path:
        """stdout and stderr of the running process."""
        return self.prefix / f"{self.name}.out"

    def output(self) -> str:
        parts = []
        for path in (self.own_log(), self.console):
            if path is not None and path.exists():
                parts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(p for p in parts if p)

    def check(self) -> str:
        """Write the configuration and run the proxy's check; returns what it printed on stderr (warnings)."""
        self.write()
        res = subprocess.run(
            self.check_command(), capture_output=True, text=True, timeout=30, cwd=self.prefix, env=self.env()
        )
        if res.returncode != 0:
            raise ConfigRefused(self.refusal(res))
        return res.stderr

    def start(self, *ports: int) -> None:
        """Run the proxy; returns once every port accepts connections."""
        self.write()
        with self.console.open("wb") as out:
            self.proc = subprocess.Popen(
                self.run_command(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.prefix,
                env=self.env(),
            )
        if wait_for_ports(ports, self.start_timeout, self.proc):
            return
        exited = self.proc.poll() is not None
        self.stop()
        if exited:
            self.check()
        raise RuntimeError(f"{self.name} did not listen on {', '.join(map(str, ports))}: {self.output()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_process(self.proc, self.stop_grace)
        self.proc = None
