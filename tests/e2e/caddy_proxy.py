"""The real caddy in the foreground on 127.0.0.1, stopped by its PID.

Each run writes its Caddyfile into its own directory and starts `caddy run`
with the admin endpoint off, automatic HTTPS off and every site bound to
127.0.0.1 (the global options the acceptance cases use), its HOME and XDG
directories inside the run directory; `caddy validate` explains a refused
configuration (an outcome, not an error). Example Caddyfiles write their
sites on port 8080 and the backends on 127.0.0.1:9001 and :9002; the harness
swaps in free ports.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.harness import CHECK_SETTLE, Run, run_example
from tests.e2e.proxies import ProxyProcess, find_binary, free_port, substitute
from wslint.engine.schema import E2ESpec

GLOBAL = """\
{
\tadmin off
\tauto_https off
\tdefault_bind 127.0.0.1
}

"""
_SITE_PORT = re.compile(r"(?<=[A-Za-z0-9\]]):8080\b|(?<=^):8080\b|(?<=\s):8080\b", re.M)


def find_caddy() -> str | None:
    return find_binary("caddy")


def with_globals(caddyfile: str, port: int) -> str:
    """The example with the harness's global options and its site port 8080 replaced."""
    text = _SITE_PORT.sub(f":{port}", caddyfile)
    if text.lstrip().startswith("{"):
        # the example has its own global options: add the harness's inside them
        head, _, rest = text.partition("{")
        inner = "\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n"
        return head + "{" + inner + rest
    return GLOBAL + text


class Caddy(ProxyProcess):
    """caddy on a Caddyfile (`adapter` "caddyfile") or on its JSON configuration (`adapter` None)."""

    name = "caddy"

    def __init__(self, binary: str, prefix: Path, config: str, adapter: str | None = "caddyfile") -> None:
        super().__init__(binary, prefix)
        self.config = config
        self.adapter = adapter
        self.path = prefix / ("Caddyfile" if adapter == "caddyfile" else "caddy.json")

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
            env[name] = str(self.prefix / "home")
        return env

    def write(self) -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        (self.prefix / "home").mkdir(exist_ok=True)
        # the examples' `root * www`: a single-page app with its index.html
        (self.prefix / "www").mkdir(exist_ok=True)
        (self.prefix / "www" / "index.html").write_text("<!doctype html><title>app</title>\n")
        self.path.write_text(self.config)

    def _command(self, verb: str) -> list[str]:
        adapter = ["--adapter", self.adapter] if self.adapter else []
        return [self.binary, verb, "--config", str(self.path), *adapter]

    def check_command(self) -> list[str]:
        return self._command("validate")

    def run_command(self) -> list[str]:
        return self._command("run")

    def refusal(self, res: subprocess.CompletedProcess[str]) -> str:
        lines = [ln for ln in (res.stderr + res.stdout).splitlines() if ln.strip()]
        return "\n".join(lines[-3:])


def run_caddy(binary: str, caddyfile: str, prefix: Path, e2e: E2ESpec) -> Run:
    """Start caddy with the example, then run its probe with every simulated client."""
    return run_example(
        lambda port, app, other: Caddy(binary, prefix, with_globals(substitute(caddyfile, port, app, other), port)),
        e2e,
        socket_only=True,
        settle=CHECK_SETTLE if "health_" in caddyfile else 0.0,
        config=caddyfile,
    )


class CaddyAdapter(ProxyProcess):
    """A caddy serving nothing but its admin API on 127.0.0.1, to adapt Caddyfiles.

    POST /adapt runs the Caddyfile adapter `caddy adapt` runs and answers the JSON it prints (checked equal,
    errors included): one request instead of one process (~22 ms of CPU) per Caddyfile. Only for
    Caddyfiles without imports, which `caddy adapt` resolves from the file's directory.
    """

    name = "caddy-admin"

    def __init__(self, binary: str, prefix: Path) -> None:
        super().__init__(binary, prefix)
        self.port = free_port()
        self.path = prefix / "admin.json"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
            env[name] = str(self.prefix / "home")
        return env

    def write(self) -> None:
        (self.prefix / "home").mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"admin": {"listen": f"127.0.0.1:{self.port}"}}))

    def check_command(self) -> list[str]:
        return [self.binary, "validate", "--config", str(self.path)]

    def run_command(self) -> list[str]:
        return [self.binary, "run", "--config", str(self.path)]

    def adapt(self, caddyfile: str) -> tuple[dict[str, Any] | None, str]:
        """(the JSON configuration, "") or (None, caddy's error)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/adapt",
            data=caddyfile.encode(),
            headers={"Content-Type": "text/caddyfile"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                result: dict[str, Any] = json.load(answer)["result"]
                return result, ""
        except urllib.error.HTTPError as exc:
            return None, str(json.loads(exc.read() or b"{}").get("error", exc))
