"""Running a real proxy binary in the foreground on 127.0.0.1, stopped by its PID.

Never the system service: each run gets its own prefix directory, its own
ports, and is terminated by the PID this module started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

# The example configurations use the same addresses as the acceptance cases;
# the harness swaps in free ports.
EXAMPLE_PROXY = "127.0.0.1:8080"
EXAMPLE_APP = "127.0.0.1:9001"
EXAMPLE_OTHER = "127.0.0.1:9002"


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


def wait_for_port(port: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def substitute(text: str, proxy_port: int, app_port: int, other_port: int) -> str:
    return (
        text.replace(EXAMPLE_PROXY, f"127.0.0.1:{proxy_port}")
        .replace(EXAMPLE_APP, f"127.0.0.1:{app_port}")
        .replace(EXAMPLE_OTHER, f"127.0.0.1:{other_port}")
    )


NGINX_MAIN = """\
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
{user}
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp_body;
    proxy_temp_path {prefix}/tmp_proxy;
    fastcgi_temp_path {prefix}/tmp_fastcgi;
    uwsgi_temp_path {prefix}/tmp_uwsgi;
    scgi_temp_path {prefix}/tmp_scgi;
    include {prefix}/site.conf;
}}
"""


class Nginx:
    """nginx with `site` (an http-context fragment) on a temporary prefix."""

    def __init__(self, binary: str, prefix: Path, site: str) -> None:
        self.binary = binary
        self.prefix = prefix
        self.site = site
        self.proc: subprocess.Popen[bytes] | None = None

    def _write(self) -> Path:
        self.prefix.mkdir(parents=True, exist_ok=True)
        (self.prefix / "site.conf").write_text(self.site)
        # stock snippets the examples may include (fastcgi_params)
        for name in ("fastcgi_params", "proxy_params"):
            stock = Path("/etc/nginx") / name
            if stock.is_file():
                shutil.copy(stock, self.prefix / name)
        user = "user root;" if os.geteuid() == 0 else ""
        main = self.prefix / "nginx.conf"
        main.write_text(NGINX_MAIN.format(prefix=self.prefix, user=user))
        return main

    def _cmd(self, main: Path, *extra: str) -> list[str]:
        return [
            self.binary,
            "-p",
            str(self.prefix),
            "-e",
            str(self.prefix / "error.log"),
            "-c",
            str(main),
            *extra,
        ]

    def check(self) -> None:
        main = self._write()
        res = subprocess.run(self._cmd(main, "-t"), capture_output=True, text=True, timeout=20)
        if res.returncode != 0:
            raise ConfigRefused(res.stderr.strip())

    def start(self, port: int) -> None:
        self.check()
        main = self.prefix / "nginx.conf"
        self.proc = subprocess.Popen(self._cmd(main), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_for_port(port):
            self.stop()
            raise RuntimeError(f"nginx did not listen on {port}: {self.error_log()}")

    def error_log(self) -> str:
        log = self.prefix / "error.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

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
