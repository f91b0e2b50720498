"""`wslint probe` through real nginx, HAProxy, Caddy and Traefik in front of a local echo server.

The echo server is the websockets library's, with permessage-deflate accepted (its default, and many
servers') or refused. Browsers offer the extension, so the probe does too: it must read the compressed
echo, report it, and say which extension was agreed. With --config it compares each live answer with
what the file predicts; a deployment that differs from the file is its own finding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.nginx_proxy import Nginx
from tests.e2e.proxies import free_port, substitute
from wslint.cli import app

pytestmark = pytest.mark.realproxy

URL = "ws://app.example.test:8080/ws/chat"

NGINX_OK = """\
server {
    listen 127.0.0.1:8080;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:9001;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }
    location / {
        return 404;
    }
}
"""
# the same server without the upgrade headers: the backend gets a plain GET and answers 200
NGINX_PLAIN = NGINX_OK.replace(
    '        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection "upgrade";\n', ""
)
# a file whose WebSocket location is for another path: /ws/chat is answered with 404
NGINX_ELSEWHERE = NGINX_OK.replace("location /ws/ {", "location /other/ {")

HAPROXY_OK = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h

frontend www
    bind 127.0.0.1:8080
    use_backend sockets if { path_beg /ws/ }

backend sockets
    server s1 127.0.0.1:9001
"""
HAPROXY_ELSEWHERE = HAPROXY_OK.replace("path_beg /ws/", "path_beg /other/")

CADDY_OK = """\
http://app.example.test:8080 {
\thandle /ws/* {
\t\treverse_proxy 127.0.0.1:9001
\t}
\thandle {
\t\trespond 404
\t}
}
"""
CADDY_ELSEWHERE = CADDY_OK.replace("/ws/*", "/other/*")

TRAEFIK_DYNAMIC = """\
http:
  routers:
    chat:
      rule: "Host(`app.example.test`) && PathPrefix(`/ws/`)"
      entryPoints: [web]
      service: chat
  services:
    chat:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""
TRAEFIK_STATIC = """\
entryPoints:
  web:
    address: ":8080"
providers:
  file:
    directory: dynamic
"""


@dataclass
class Deployed:
    port: int
    # writes the configuration file wslint is given (a main file) and returns its path
    config: Callable[[str], Path]


def _write(tmp_path: Path, name: str) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "given" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write


@contextmanager
def nginx(binary: str, tmp_path: Path, site: str, app_port: int) -> Iterator[Deployed]:
    port = free_port()
    proxy = Nginx(binary, tmp_path / "nginx", substitute(site, port, app_port, 0))
    proxy.start(port)
    try:
        yield Deployed(port, _write(tmp_path, "site.conf"))
    finally:
        proxy.stop()


@contextmanager
def haproxy(binary: str, tmp_path: Path, site: str, app_port: int) -> Iterator[Deployed]:
    from tests.e2e.haproxy_proxy import HAProxy

    port = free_port()
    proxy = HAProxy(binary, tmp_path / "haproxy", substitute(site, port, app_port, 0))
    proxy.start(port)
    try:
        yield Deployed(port, _write(tmp_path, "haproxy.cfg"))
    finally:
        proxy.stop()


@contextmanager
def caddy(binary: str, tmp_path: Path, site: str, app_port: int) -> Iterator[Deployed]:
    from tests.e2e.caddy_proxy import Caddy, with_globals

    port = free_port()
    proxy = Caddy(binary, tmp_path / "caddy", with_globals(substitute(site, 0, app_port, 0), port))
    proxy.start(port)
    try:
        yield Deployed(port, _write(tmp_path, "Caddyfile"))
    finally:
        proxy.stop()


@contextmanager
def traefik(binary: str, tmp_path: Path, dynamic: str, app_port: int) -> Iterator[Deployed]:
    from tests.e2e.traefik_proxy import Traefik

    with NotFoundBackend() as ready_target, Backend() as ready:
        del ready_target
        proxy = Traefik(binary, tmp_path / "traefik", ready.port, substitute(dynamic, 0, app_port, 0))
        proxy.start()

        def write(text: str) -> Path:
            given = tmp_path / "given"
            (given / "dynamic").mkdir(parents=True, exist_ok=True)
            (given / "dynamic" / "site.yml").write_text(text)
            (given / "traefik.yml").write_text(TRAEFIK_STATIC)
            return given / "traefik.yml"

        try:
            yield Deployed(proxy.port, write)
        finally:
            proxy.stop()


PROXIES: dict[str, tuple[Callable[..., Any], str, str]] = {
    "nginx": (nginx, NGINX_OK, NGINX_ELSEWHERE),
    "haproxy": (haproxy, HAPROXY_OK, HAPROXY_ELSEWHERE),
    "caddy": (caddy, CADDY_OK, CADDY_ELSEWHERE),
    "traefik": (traefik, TRAEFIK_DYNAMIC, TRAEFIK_DYNAMIC.replace("PathPrefix(`/ws/`)", "PathPrefix(`/other/`)")),
}


def probe(port: int, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(
        app,
        ["probe", URL, "--connect", f"127.0.0.1:{port}", "--timeout", "3", "--format", "json", *args],
        catch_exceptions=False,
    )
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.exit_code, doc, result.stdout + result.stderr


@pytest.fixture
def binaries(request: pytest.FixtureRequest) -> Callable[[str], str]:
    return lambda proxy: str(request.getfixturevalue(f"{proxy}_bin"))


@pytest.mark.parametrize("compression", ["deflate", None], ids=["permessage-deflate", "uncompressed"])
@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_echo_through_the_proxy_with_and_without_compression(
    proxy: str, compression: str | None, tmp_path: Path, binaries: Callable[[str], str]
) -> None:
    start, ok, _ = PROXIES[proxy]
    with Backend(compression=compression) as echo, start(binaries(proxy), tmp_path, ok, echo.port) as deployed:
        code, doc, raw = probe(deployed.port, "--message", "hello é😀")
        config = deployed.config(ok)
        code_cfg, doc_cfg, raw_cfg = probe(deployed.port, "--message", "hello", "--config", str(config))
    assert code == 0, raw
    assert [a["browser"] for a in doc["attempts"]] == ["chrome", "firefox", "safari"]
    for a in doc["attempts"]:
        assert (a["status"], a["pong"], a["echo"], a["ok"]) == (101, True, True, True), a
        assert (a["compression"] is not None) == (compression is not None), a
        if compression is not None:
            assert a["compression"].startswith("permessage-deflate")
    assert doc["disagreements"] == []
    # the configuration deployed is the file given: no disagreement
    assert code_cfg == 0, raw_cfg
    assert doc_cfg["disagreements"] == [] and doc_cfg["predicted"], raw_cfg
    assert all(p["outcome"] == "proxied" for p in doc_cfg["predicted"])


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_a_deployment_that_differs_from_the_file_is_a_finding(
    proxy: str, tmp_path: Path, binaries: Callable[[str], str]
) -> None:
    """The live proxy upgrades /ws/chat; the file given routes only /other/ to the WebSocket server."""
    start, ok, elsewhere = PROXIES[proxy]
    with Backend() as echo, start(binaries(proxy), tmp_path, ok, echo.port) as deployed:
        config = deployed.config(elsewhere)
        code, doc, raw = probe(deployed.port, "--config", str(config))
        text = CliRunner().invoke(
            app, ["probe", URL, "--connect", f"127.0.0.1:{deployed.port}", "--timeout", "3", "--config", str(config)]
        )
    assert code == 1, raw
    assert all(a["ok"] for a in doc["attempts"]), raw
    (d,) = doc["disagreements"]
    assert d["live_status"] == 101 and sorted(d["browsers"]) == ["chrome", "firefox", "safari"]
    assert d["message"].startswith("the live server answers 101; the configuration predicts ")
    assert d["message"].endswith(
        ": the deployed configuration differs from this file, or a hop in front of it changes the request"
    )
    assert "upgraded" not in d["predicted"]
    assert text.exit_code == 1
    assert "live server and configuration disagree:\n  the live server answers 101;" in text.stdout


def test_a_file_that_upgrades_where_the_live_server_does_not(nginx_bin: str, tmp_path: Path) -> None:
    """The deployed nginx lost its upgrade headers; the file given still has them."""
    with Backend() as echo, nginx(nginx_bin, tmp_path, NGINX_PLAIN, echo.port) as deployed:
        code, doc, raw = probe(deployed.port, "--browser", "chrome", "--config", str(deployed.config(NGINX_OK)))
    assert code == 1, raw
    (a,) = doc["attempts"]
    assert a["status"] == 200
    (d,) = doc["disagreements"]
    assert d["message"] == (
        "the live server answers 200; the configuration predicts 101 (upgraded): the deployed configuration "
        "differs from this file, or a hop in front of it changes the request"
    )
