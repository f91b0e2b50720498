"""`wslint probe` against a real nginx and a websockets backend on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.e2e.backends import Backend, NotFoundBackend
from tests.e2e.nginx_proxy import Nginx
from tests.e2e.proxies import free_port, substitute
from wslint.cli import app

pytestmark = pytest.mark.realproxy

SITE = """\
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}
upstream sockets { server 127.0.0.1:9001; }
upstream web { server 127.0.0.1:9002; }
map $http_connection $pool {
    upgrade  sockets;
    default  web;
}
server {
    listen 127.0.0.1:8080;
    server_name app.example.test;
    root /var/empty;

    location /ws/ {
        proxy_pass http://127.0.0.1:9001;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_read_timeout 2s;
    }
    location /live/ {
        proxy_pass http://$pool;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
    }
    location / {
        try_files $uri =404;
    }
}
"""


@contextmanager
def running(nginx_bin: str, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    with Backend() as ws, NotFoundBackend() as other:
        port = free_port()
        site = substitute(SITE, port, ws.port, other.port)
        nginx = Nginx(nginx_bin, tmp_path / "nginx", site)
        nginx.start(port)
        config = tmp_path / "site.conf"
        config.write_text(SITE)
        try:
            yield port, config
        finally:
            nginx.stop()


def probe(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["probe", *args, "--format", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else {"raw": result.output}


def test_probe_scenarios(nginx_bin: str, tmp_path: Path) -> None:
    with running(nginx_bin, tmp_path) as (port, config):
        connect = f"127.0.0.1:{port}"

        code, doc = probe("ws://app.example.test:8080/ws/chat", "--connect", connect)
        assert code == 0 and doc["ok"]
        assert [a["browser"] for a in doc["attempts"]] == ["chrome", "firefox", "safari"]
        assert all(a["status"] == 101 and a["accept_valid"] and a["pong"] for a in doc["attempts"])

        code, doc = probe("ws://app.example.test:8080/socket", "--connect", connect, "--config", str(config))
        assert code == 1
        assert {a["status"] for a in doc["attempts"]} == {404}
        assert doc["diagnosis"][0].startswith("404 Not Found: nginx answered itself with its own error page")
        (predicted,) = [p for p in doc["predicted"] if p["client"] == "chrome"]
        assert predicted["outcome"] == "local" and predicted["route"] == "location /"
        assert [f["rule"] for f in doc["findings"]] == ["ws-path-not-proxied"]

        code, doc = probe("ws://app.example.test:8080/ws", "--connect", connect, "--browser", "chrome")
        assert code == 1
        (a,) = doc["attempts"]
        assert a["status"] == 301 and a["headers"]["location"].endswith("/ws/")
        assert "trailing-slash redirect" in doc["diagnosis"][0]

        code, doc = probe("ws://app.example.test:8080/live/websocket", "--connect", connect, "--config", str(config))
        assert code == 1
        by_browser = {a["browser"]: a for a in doc["attempts"]}
        assert by_browser["chrome"]["ok"] and by_browser["safari"]["ok"]
        assert by_browser["firefox"]["status"] == 404
        assert doc["diagnosis"][0].startswith("only firefox fails: Firefox sends `Connection: keep-alive, Upgrade`")
        assert "connection-exact-match" in [f["rule"] for f in doc["findings"]]

        code, doc = probe("ws://app.example.test:8080/ws/x", "--connect", connect, "--browser", "chrome", "--idle", "3")
        assert code == 1
        (a,) = doc["attempts"]
        assert a["upgraded"] and a["cut_after"] is not None and 1.5 <= a["cut_after"] <= 3.5
        assert "cut after about" in doc["diagnosis"][0]


def test_probe_text_points_at_the_config_line(nginx_bin: str, tmp_path: Path) -> None:
    with running(nginx_bin, tmp_path) as (port, config):
        result = CliRunner().invoke(
            app,
            ["probe", "ws://app.example.test:8080/socket", "--connect", f"127.0.0.1:{port}", "--config", str(config)],
        )
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(SITE.splitlines(), 1) if "try_files" in text)
    assert f"the 404 comes from `location /` ({config}:{line}:9)" in result.output


def test_network_errors_are_exit_2() -> None:
    closed = free_port()
    result = CliRunner().invoke(app, ["probe", f"ws://127.0.0.1:{closed}/ws"])
    assert result.exit_code == 2 and "refused" in result.output
    result = CliRunner().invoke(app, ["probe", "ftp://127.0.0.1/ws"])
    assert result.exit_code == 2


def test_readme_probe_session_is_what_wslint_prints(
    nginx_bin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import shlex

    repo = Path(__file__).resolve().parents[2]
    readme = (repo / "README.md").read_text()
    block = re.search(r"\$ wslint probe (.+?)\n(.*?)```", readme, re.S)
    assert block is not None
    config = (repo / "fixtures/nginx/example-routing/nginx.conf").read_text()
    site = config.split("http {", 1)[1].rsplit("}", 1)[0]
    site = site.replace("listen 80;", "listen 127.0.0.1:8080;").replace("root /srv/app;", f"root {tmp_path};")
    with Backend() as ws:
        port = free_port()
        nginx = Nginx(
            nginx_bin,
            tmp_path / "nginx",
            substitute(site.replace("127.0.0.1:3000", "127.0.0.1:9001"), port, ws.port, 0),
        )
        nginx.start(port)
        try:
            monkeypatch.chdir(repo)
            args = shlex.split(block.group(1).replace("127.0.0.1:8080", f"127.0.0.1:{port}"))
            result = CliRunner().invoke(app, ["probe", *args])
        finally:
            nginx.stop()
    assert result.exit_code == 1
    assert result.output == block.group(2).replace("127.0.0.1:8080", f"127.0.0.1:{port}")


HAPROXY_SITE = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h

frontend www
    bind 127.0.0.1:8080
    acl is_ws path_beg /ws/
    acl is_upgrade req.fhdr(connection) -i upgrade
    use_backend sockets if is_ws is_upgrade

backend sockets
    server s1 127.0.0.1:9001
"""


def test_probe_through_haproxy(haproxy_bin: str, tmp_path: Path) -> None:
    """HAProxy's own 503 page is recognized, and every browser (Firefox too) passes an exact Connection ACL."""
    from tests.e2e.haproxy_proxy import HAProxy

    with Backend() as ws, NotFoundBackend() as other:
        port = free_port()
        proxy = HAProxy(haproxy_bin, tmp_path / "haproxy", substitute(HAPROXY_SITE, port, ws.port, other.port))
        proxy.start(port)
        config = tmp_path / "haproxy.cfg"
        config.write_text(HAPROXY_SITE)
        try:
            connect = f"127.0.0.1:{port}"
            code, doc = probe("ws://app.example.test:8080/ws/chat", "--connect", connect, "--config", str(config))
            assert code == 0 and doc["ok"], doc
            assert {a["browser"]: a["status"] for a in doc["attempts"]} == {
                "chrome": 101,
                "firefox": 101,
                "safari": 101,
            }
            assert doc["findings"] == []

            code, doc = probe("ws://app.example.test:8080/socket", "--connect", connect, "--browser", "chrome")
            assert code == 1
            (a,) = doc["attempts"]
            assert a["status"] == 503
            assert doc["diagnosis"][0].startswith("503 Service Unavailable: HAProxy has no server for the request")
        finally:
            proxy.stop()
