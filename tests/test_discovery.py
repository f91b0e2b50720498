"""A directory is linted completely: every proxy's files in any layout, each file once, nothing passed silently."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import invoke
from wslint.discovery import is_candidate_name

HAPROXY = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:8080
    default_backend be
backend be
    server s1 127.0.0.1:3000
"""
# Caddy forwards upgrades by itself; deleting Upgrade breaks every handshake (WS102)
CADDY = """\
http://app.example.com {
    reverse_proxy /ws* 127.0.0.1:3000 {
        header_up -Upgrade
    }
}
"""
# a v2-syntax rule under Traefik v3 (rule-syntax-mismatch, WS507)
TRAEFIK = """\
[http.routers.chat]
  rule = "Host(`chat.example.test`) && PathPrefix(`/ws/`, `/socket.io/`)"
  service = "chat"
[[http.services.chat.loadBalancer.servers]]
  url = "http://127.0.0.1:9001"
"""
NGINX_SITE = """\
server {
    listen 80;
    server_name app.example.com;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection keep-alive;
    }
}
"""
SUPERVISOR = "[program:app]\ncommand=/usr/bin/app\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=60)


def lint_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out = invoke(*args, "--format", "json")
    return code, json.loads(out)


def found(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["path"], f["code"]) for f in doc["findings"]}


def skipped(doc: dict[str, Any]) -> set[str]:
    return {d["path"] for d in doc["diagnostics"] if d["kind"] == "skipped"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git_init(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_nested_per_proxy_folders_are_all_linted(repo: Path) -> None:
    write(
        repo,
        {
            "deploy/haproxy/haproxy.cfg": HAPROXY,
            "deploy/caddy/Caddyfile": CADDY,
            "deploy/traefik/dynamic.toml": TRAEFIK,
            "deploy/nginx/conf.d/app.conf": NGINX_SITE,
        },
    )
    code, doc = lint_json("deploy")
    assert code == 1
    assert {p for p, _ in found(doc)} == {
        "deploy/caddy/Caddyfile",
        "deploy/nginx/conf.d/app.conf",
        "deploy/traefik/dynamic.toml",
    }
    code, out = invoke("deploy", "--color", "never")
    assert "in 4 files" in out.splitlines()[-1]


def test_a_main_file_at_the_top_hides_nothing_below_it(repo: Path) -> None:
    write(
        repo, {"deploy/Caddyfile": CADDY, "deploy/nginx/sites/app.conf": NGINX_SITE, "deploy/lb/haproxy.cfg": HAPROXY}
    )
    code, doc = lint_json("deploy")
    assert code == 1
    assert found(doc) >= {("deploy/Caddyfile", "WS102"), ("deploy/nginx/sites/app.conf", "WS103")}
    assert "in 3 files" in invoke("deploy", "--color", "never")[1]


def test_debian_sites_without_conf_are_linted_once_through_the_link(repo: Path) -> None:
    write(repo, {"nginx/sites-available/app": NGINX_SITE, "nginx/sites-available/old": NGINX_SITE})
    (repo / "nginx" / "sites-enabled").mkdir()
    os.symlink("../sites-available/app", repo / "nginx" / "sites-enabled" / "app")
    # the directory itself given on the command line, and its parent
    for target in ("nginx", "nginx/sites-available"):
        code, doc = lint_json(target)
        assert code == 1, doc
        paths = [f["path"] for f in doc["findings"] if f["code"] == "WS103"]
        assert sorted(paths) == sorted({*paths}), "each file once"
        assert any(p.endswith("/app") for p in paths) and any(p.endswith("/old") for p in paths)


def test_files_included_by_a_main_file_are_linted_through_it(repo: Path) -> None:
    # linted on its own the site would not know $connection_upgrade; through nginx.conf it does
    site = NGINX_SITE.replace("Connection keep-alive", "Connection $connection_upgrade")
    write(
        repo,
        {
            "etc/nginx/nginx.conf": (
                "events {}\nhttp {\n    map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"
                "    include sites/*.site;\n}\n"
            ),
            "etc/nginx/sites/app.site": site,
            "etc/nginx/extra.conf": NGINX_SITE,
        },
    )
    code, doc = lint_json("etc")
    assert code == 1
    # app.site is no candidate by name, but nginx.conf reads it; extra.conf is a configuration of its own
    assert found(doc) == {("etc/nginx/extra.conf", "WS103")}
    assert "in 3 files" in invoke("etc", "--color", "never")[1]


def test_ignored_directories_and_gitignored_paths_are_not_read(repo: Path) -> None:
    write(
        repo,
        {
            "deploy/Caddyfile": CADDY.replace("header_up -Upgrade", "header_up X-Real-IP {remote_host}"),
            "node_modules/pkg/Caddyfile": CADDY,
            "build/out/Caddyfile": CADDY,
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/site.conf": NGINX_SITE,
            "charts/app/Chart.yaml": "apiVersion: v2\nname: app\n",
            "charts/app/templates/Caddyfile": CADDY,
            ".gitignore": "build/\n",
        },
    )
    code, doc = lint_json(".")
    assert code == 0, doc
    assert doc["findings"] == []
    # outside a repository .gitignore means nothing: build/ is read
    subprocess.run(["rm", "-rf", str(repo / ".git")], check=True)
    code, doc = lint_json(".")
    assert code == 1 and {p for p, _ in found(doc)} == {"build/out/Caddyfile"}


def test_skipped_files_are_counted_and_listed_with_verbose(repo: Path) -> None:
    write(repo, {"deploy/supervisord.conf": SUPERVISOR, "deploy/app.conf": NGINX_SITE, "ci.yml": "on: push\n"})
    code, out = invoke("deploy", ".", "--color", "never")
    assert code == 1
    assert out.splitlines()[-1].endswith("in 1 file, 2 skipped: not a proxy configuration (--verbose lists them)"), out
    assert "skipped deploy/supervisord.conf" not in out
    code, out = invoke(".", "--color", "never", "--verbose")
    assert "skipped deploy/supervisord.conf: not a proxy configuration (skipped)" in out
    assert "skipped ci.yml: not a proxy configuration" in out
    code, doc = lint_json(".")
    assert skipped(doc) == {"deploy/supervisord.conf", "ci.yml"}


def test_a_directory_with_nothing_to_lint_is_an_error(repo: Path) -> None:
    write(repo, {"only/supervisord.conf": SUPERVISOR, "only/README.md": "# hi\n", "none/notes.txt": "x\n"})
    code, out = invoke("only", "--color", "never")
    assert code == 2
    assert "only: no proxy configuration in this directory (1 file looked at, none is one" in out
    code, out = invoke("none", "--skip-unknown", "--color", "never")
    assert code == 2 and "none: no proxy configuration in this directory (no file is named like one)" in out
    # a file that is no configuration, given by name with --skip-unknown (the hook): quietly skipped
    code, out = invoke("only/supervisord.conf", "--skip-unknown", "--color", "never")
    assert code == 0


def test_a_snippet_is_linted_through_whichever_file_includes_it(repo: Path) -> None:
    write(
        repo,
        {
            "site2/main.conf": (
                "server {\n    listen 80;\n    location /ws/ {\n        proxy_pass http://127.0.0.1:3000;\n"
                "        include ../snippets/ws.conf;\n    }\n}\n"
            ),
            "snippets/ws.conf": (
                "proxy_http_version 1.1;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection keep-alive;\n"
            ),
            "site1/other.conf": NGINX_SITE.replace("keep-alive", "upgrade"),
        },
    )
    code, out = invoke("snippets/ws.conf", "--color", "never")
    assert code == 1
    assert "snippets/ws.conf:3:1: error WS103" in out
    assert out.splitlines()[-1].endswith("in 2 files"), out
    # through a chain: the top file includes the site by a glob, the site includes the snippet
    write(
        repo,
        {
            "deploy/edge.conf": "events {}\nhttp {\n    include sites/*.conf;\n}\n",
            "deploy/sites/app.conf": NGINX_SITE.replace(
                "        proxy_set_header Connection keep-alive;\n", "        include snippets/ws.conf;\n"
            ),
            "deploy/snippets/ws.conf": "proxy_set_header Connection keep-alive;\n",
        },
    )
    code, out = invoke("deploy/snippets/ws.conf", "--color", "never")
    assert code == 1 and "deploy/snippets/ws.conf:1:1: error WS103" in out
    assert out.splitlines()[-1].endswith("in 3 files"), out


def test_traefik_file_provider_directory_is_one_configuration(repo: Path) -> None:
    router = 'http:\n  routers:\n    r{n}:\n      rule: "Host(`{n}.example.com`)"\n      service: s\n'
    # (each file holds a router: a file of services alone is read with the others the same way)
    service = "http:\n  routers:\n    api:\n      rule: Host(`api.example.com`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:3000\n"
    write(repo, {f"dynamic/r{n}.yml": router.format(n=n) for n in range(3)} | {"dynamic/services.yml": service})
    code, out = invoke("dynamic", "--color", "never")
    assert code == 0, out
    # one target reads the four files together (none of them on its own lacks the service)
    assert out.splitlines()[-1] == "no problems found in 4 files", out


def test_proxy_option_on_a_directory_takes_only_that_proxys_files(repo: Path) -> None:
    write(repo, {"d/Caddyfile": CADDY, "d/app.conf": NGINX_SITE, "d/x.conf": SUPERVISOR})
    code, doc = lint_json("d", "--proxy", "caddy")
    assert code == 1 and {p for p, _ in found(doc)} == {"d/Caddyfile"}
    assert "d/app.conf" in skipped(doc)


def test_a_link_out_of_the_directory_is_not_followed(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.conf"
    outside.write_text(NGINX_SITE)
    write(repo, {"d/app.conf": NGINX_SITE.replace("keep-alive", "upgrade")})
    os.symlink(outside, repo / "d" / "linked.conf")
    code, out = invoke("d", "--color", "never", "--verbose")
    assert code == 0, out
    assert "skipped d/linked.conf: a symbolic link to" in out


def test_an_include_cycle_in_a_directory_is_still_reported(repo: Path) -> None:
    write(repo, {"d/a.conf": "include b.conf;\n", "d/b.conf": "server { include a.conf; }\n"})
    code, out = invoke("d", "--color", "never")
    assert code == 2 and "include cycle" in out


@pytest.mark.parametrize(
    ("path", "candidate"),
    [
        ("nginx.conf", True),
        ("deploy/haproxy.cfg", True),
        ("x/Caddyfile", True),
        ("x/Caddyfile.prod", True),
        ("x/site.caddyfile", True),
        ("k8s/ingress.yaml", True),
        ("traefik/dynamic.toml", True),
        ("caddy.json", True),
        ("sites-available/app", True),
        ("sites-enabled/default", True),
        ("sites-enabled/.hidden", False),
        ("README.md", False),
        ("app/main.py", False),
        ("Dockerfile", False),
    ],
)
def test_candidate_names(path: str, candidate: bool) -> None:
    assert is_candidate_name(path) is candidate
