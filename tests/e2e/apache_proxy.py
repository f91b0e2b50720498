"""The real Apache httpd in the foreground on 127.0.0.1, stopped by its PID.

Never the system service: each run gets its own ServerRoot (with `modules`
pointing at the installed modules), PidFile, ErrorLog and runtime directory,
and is started with `-X` (one process, no detaching) so that the PID this
module holds is the one that serves; `apache2 -t` explains a refused
configuration (an outcome). The main file is the one the acceptance cases
use: the MPM and authz_core, then `Include site.conf` last; the site brings
its own LoadModule lines.

SIGTERM stops `httpd -X` in 2-4 ms, idle keep-alive connections included,
but not always: now and then it takes 0.5 s, and after a WebSocket tunnel
sometimes more than 3 s (SIGINT alike; with a tunnel still open neither stops
it in 15 s, and SIGWINCH, the graceful stop, did not stop it in 15 s even
without connections). So httpd gets 0.1 s after SIGTERM, then SIGKILL: one
process, and no SysV IPC left behind (checked with ipcs), so SIGKILL leaves
nothing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.harness import CHECK_SETTLE, Run, run_example
from tests.e2e.proxies import ProxyProcess, find_binary, substitute
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


class Apache(ProxyProcess):
    """httpd with `site` included last from a main file on a temporary ServerRoot."""

    name = "httpd"
    stop_grace = 0.1

    def __init__(self, binary: str, root: Path, site: str, port: int, log_level: str = "warn") -> None:
        super().__init__(binary, root)
        self.site = site
        self.port = port
        self.log_level = log_level

    @property
    def root(self) -> Path:
        return self.prefix

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

    def env(self) -> dict[str, str]:
        # Debian's apache2 binary reads these from /etc/apache2/envvars when apache2ctl runs it;
        # started directly it needs none of them, but an inherited APACHE_* must not leak in
        return {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}

    def check_command(self) -> list[str]:
        return [self.binary, "-t", "-f", str(self.main)]

    def run_command(self) -> list[str]:
        return [self.binary, "-X", "-f", str(self.main)]

    def refusal(self, res: subprocess.CompletedProcess[str]) -> str:
        return (res.stderr.strip() or res.stdout.strip() or f"exit code {res.returncode}").splitlines()[0]

    def own_log(self) -> Path:
        return self.root / "error.log"

    def error_log(self) -> str:
        log = self.own_log()
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def start(self, *ports: int) -> None:
        super().start(*(ports or (self.port,)))


def run_apache(binary: str, site: str, root: Path, e2e: E2ESpec) -> Run:
    """Start httpd with `site`, then run the example's probe with every simulated client."""
    return run_example(
        lambda port, app, other: Apache(binary, root, substitute(site, port, app, other), port),
        e2e,
        socket_only=True,
        # hcinterval=1: the first checks run a second after start
        settle=CHECK_SETTLE + 1.0 if "hcmethod" in site else 0.0,
        config=site,
    )
