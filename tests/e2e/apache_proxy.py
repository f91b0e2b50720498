"""Running the real Apache httpd in the foreground on 127.0.0.1, stopped by its PID.

Never the system service: each run gets its own ServerRoot (with `modules`
pointing at the installed modules), PidFile, ErrorLog and runtime directory,
is checked with `apache2 -t` first (a refused configuration is an outcome),
and is started with `-X` (one process, no detaching) so that the PID this
module holds is the one that serves. The main file is the one the acceptance
cases use: the MPM and authz_core, then `Include site.conf` last; the site
brings its own LoadModule lines.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.e2e.backends import NotFoundBackend
from tests.e2e.haproxy_proxy import CHECK_SETTLE, WebSocketOnlyBackend
from tests.e2e.harness import Run
from tests.e2e.proxies import ConfigRefused, find_binary, free_port, substitute, wait_for_port
from tests.e2e.wsclient import CONNECTION_HEADERS, handshake, plain_get
from wslint.engine.schema import E2ESpec

MODULES = "/usr/lib/apache2/modules"

MAIN = """\
ServerRoot "{root}"
PidFile "httpd.pid"
DefaultRuntimeDir "run"
ServerName localhost
Listen 127.0.0.1:{port}
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule authz_core_module modules/mod_authz_core.so
{user}
ErrorLog "error.log"
LogLevel {log_level}
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
Include site.conf
"""


def find_apache() -> str | None:
    return find_binary("apache2") or find_binary("httpd")


class Apache:
    """httpd with `site` included last from a main file on a temporary ServerRoot."""

    def __init__(self, binary: str, root: Path, site: str, port: int, log_level: str = "warn") -> None:
        self.binary = binary
        self.root = root
        self.site = site
        self.port = port
        self.log_level = log_level
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def main(self) -> Path:
        return self.root / "httpd.conf"

    def write(self) -> None:
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        modules = self.root / "modules"
        if not modules.exists():
            modules.symlink_to(MODULES)
        (self.root / "site.conf").write_text(self.site)
        user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
        self.main.write_text(MAIN.format(root=self.root, port=self.port, user=user, log_level=self.log_level))

    def _env(self) -> dict[str, str]:
        # Debian's apache2 binary reads these from /etc/apache2/envvars when apache2ctl runs it;
        # started directly it needs none of them, but an inherited APACHE_* must not leak in
        return {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}

    def check(self) -> None:
        self.write()
        res = subprocess.run(
            [self.binary, "-t", "-f", str(self.main)], capture_output=True, text=True, timeout=20, env=self._env()
        )
        if res.returncode != 0:
            raise ConfigRefused((res.stderr.strip() or res.stdout.strip()).splitlines()[0])

    def start(self) -> None:
        self.check()
        self.proc = subprocess.Popen(
            [self.binary, "-X", "-f", str(self.main)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
            env=self._env(),
        )
        if not wait_for_port(self.port):
            self.stop()
            raise RuntimeError(f"httpd did not listen on {self.port}: {self.error_log()}")

    def error_log(self) -> str:
        log = self.root / "error.log"
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


def run_apache(binary: str, site: str, root: Path, e2e: E2ESpec) -> Run:
    """Start httpd with `site`, then run the example's probe with every simulated client."""
    path, probe, idle, host = e2e.path, e2e.probe, e2e.idle, e2e.host
    with WebSocketOnlyBackend(path, expect_path=e2e.backend) as app, NotFoundBackend() as other:
        port = free_port()
        proxy = Apache(binary, root, substitute(site, port, app.port, other.port), port)
        result = Run(expect_plain=probe == "plain-http")
        try:
            proxy.start()
        except ConfigRefused as exc:
            result.refused = str(exc)
            return result
        try:
            if "hcmethod" in site:
                # hcinterval=1: the first checks run a second after start
                time.sleep(CHECK_SETTLE + 1.0)
            host_header = f"{host}:{port}"
            clients = ["chrome"] if probe == "idle" else list(CONNECTION_HEADERS)
            for client in clients:
                result.outcomes.append(handshake(port, path, host_header, client, idle=idle))
            if result.expect_plain:
                result.plain_status = plain_get(port, path, host_header)
            result.backend_paths = list(app.seen.paths)
            result.log = proxy.error_log() if not result.works else ""
        finally:
            proxy.stop()
        return result
