"""The real nginx in the foreground (`daemon off`, one worker) on a temporary prefix."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.e2e.harness import Run, run_example
from tests.e2e.proxies import ProxyProcess, substitute
from wslint.engine.schema import E2ESpec

NGINX_MAIN = """\
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
{user}
events {{ worker_connections {worker_connections}; }}
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


class Nginx(ProxyProcess):
    """nginx with `site` (an http-context fragment) on a temporary prefix."""

    name = "nginx"

    def __init__(self, binary: str, prefix: Path, site: str, worker_connections: int = 64) -> None:
        super().__init__(binary, prefix)
        self.site = site
        self.worker_connections = worker_connections

    @property
    def main(self) -> Path:
        return self.prefix / "nginx.conf"

    def write(self) -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        (self.prefix / "site.conf").write_text(self.site)
        # stock snippets the examples may include (fastcgi_params)
        for name in ("fastcgi_params", "proxy_params"):
            stock = Path("/etc/nginx") / name
            if stock.is_file():
                shutil.copy(stock, self.prefix / name)
        user = "user root;" if os.geteuid() == 0 else ""
        self.main.write_text(
            NGINX_MAIN.format(prefix=self.prefix, user=user, worker_connections=self.worker_connections)
        )

    def _command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.prefix), "-e", str(self.prefix / "error.log"), "-c", str(self.main), *extra]

    def check_command(self) -> list[str]:
        return self._command("-t")

    def run_command(self) -> list[str]:
        return self._command()

    def own_log(self) -> Path:
        return self.prefix / "error.log"

    def error_log(self) -> str:
        log = self.own_log()
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""


def run_nginx(binary: str, site: str, prefix: Path, e2e: E2ESpec) -> Run:
    """Start nginx with `site`, then run the example's probe with every simulated client."""
    return run_example(lambda port, app, other: Nginx(binary, prefix, substitute(site, port, app, other)), e2e)
