"""The pre-commit hook, for real: a repository holding all five proxies, `pre-commit run` with this checkout's hook.

One repository, three commits' worth of changes: every proxy's broken file refused, all fixed accepted, then a
change to included files only (an nginx snippet, a Caddy import, an Apache site, a Traefik dynamic file) refused
through the files that include them.

The hook comes from a configuration naming this checkout at its HEAD, or, with uncommitted changes, at a commit
of them in a clone (what `pre-commit try-repo` does). Not try-repo itself: it installs the hook's environment
into a store of its own on every call (7 s each, three calls); with one configuration and one PRE_COMMIT_HOME
the three runs share a single install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from wslint.discovery import is_candidate_name

REPO = Path(__file__).resolve().parents[1]

NGINX_SITE = """\
server {
    listen 80;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection keep-alive;
    }
}
"""
HAPROXY = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
frontend fe
    bind 127.0.0.1:8080
    acl is_ws hdr(Upgrade) -i websocket
    use_backend chat if is_ws
    default_backend web
backend chat
    http-request set-header Connection keep-alive
    server s1 127.0.0.1:3000
backend web
    server s2 127.0.0.1:3001
"""
TRAEFIK_DYNAMIC = """\
http:
  routers:
    chat:
      rule: "Host(`chat.example.test`) && PathPrefix(`/ws/`, `/socket.io/`)"
      service: chat
  services:
    chat:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:3000
"""
APACHE_MAIN = """\
ServerRoot "."
Listen 80
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_http_module modules/mod_proxy_http.so
IncludeOptional sites/*.conf
"""
APACHE_SITE = """\
<VirtualHost *:80>
    ServerName app.example.test
    ProxyPass /socket.io/ http://127.0.0.1:3000/socket.io/
</VirtualHost>
"""
SNIPPET_OK = (
    'proxy_http_version 1.1;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection "upgrade";\n'
)
CADDY_IMPORT_BROKEN = "reverse_proxy /ws* 127.0.0.1:3000 {\n    header_up -Upgrade\n}\n"

BROKEN = {
    "nginx/nginx.conf": "events {}\nhttp {\n    include conf.d/*.conf;\n}\n",
    "nginx/conf.d/app.conf": NGINX_SITE,
    "site2/main.conf": (
        "server {\n    listen 80;\n    location /ws/ {\n        proxy_pass http://127.0.0.1:3000;\n"
        "        include ../snippets/ws.conf;\n    }\n}\n"
    ),
    "snippets/ws.conf": SNIPPET_OK,
    "haproxy/haproxy.cfg": HAPROXY,
    "caddy/Caddyfile": "http://app.example.test {\n    import proxy.caddy\n}\n",
    "caddy/proxy.caddy": CADDY_IMPORT_BROKEN,
    "traefik/traefik.yml": 'entryPoints:\n  web:\n    address: ":80"\nproviders:\n  file:\n    directory: dynamic\n',
    "traefik/dynamic/app.yml": TRAEFIK_DYNAMIC,
    "apache/httpd.conf": APACHE_MAIN,
    "apache/sites/app.conf": APACHE_SITE,
    # not proxy configurations, though named like some: skipped quietly
    "supervisord.conf": "[program:app]\ncommand=/usr/bin/app\n",
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
    "package.json": '{"name": "app"}\n',
}
FIXED = {
    "nginx/conf.d/app.conf": NGINX_SITE.replace("Connection keep-alive", 'Connection "upgrade"'),
    "haproxy/haproxy.cfg": HAPROXY.replace("    http-request set-header Connection keep-alive\n", ""),
    "caddy/proxy.caddy": "reverse_proxy /ws* 127.0.0.1:3000\n",
    "traefik/dynamic/app.yml": TRAEFIK_DYNAMIC.replace("PathPrefix(`/ws/`, `/socket.io/`)", "PathPrefix(`/ws/`)"),
    "apache/sites/app.conf": APACHE_SITE.replace("/socket.io/\n", "/socket.io/ upgrade=websocket\n"),
}
# only files that other files include: each is linted through its includer
SNIPPETS_BROKEN = {
    "snippets/ws.conf": SNIPPET_OK.replace('"upgrade"', "keep-alive"),
    "caddy/proxy.caddy": CADDY_IMPORT_BROKEN,
    "traefik/dynamic/app.yml": BROKEN["traefik/dynamic/app.yml"],
    "apache/sites/app.conf": APACHE_SITE,
}


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.fixture(scope="module")
def pre_commit() -> str:
    exe = shutil.which("pre-commit") or str(Path(os.sys.executable).parent / "pre-commit")  # type: ignore[attr-defined]
    if not Path(exe).exists():
        pytest.fail("pre-commit is a test dependency (pip install -e '.[test]')")
    return exe


def _hook_repository(shadow: Path) -> tuple[str, str]:
    """This checkout and its HEAD; with uncommitted changes to tracked files (staged or not), a clone with
    them committed and that commit, as `pre-commit try-repo` takes them (untracked files are left out)."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "diff", "--name-only", "-z", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split("\0")
    changed = [c for c in changed if c]
    if not changed:
        return str(REPO), head
    _git(REPO.parent, "clone", "-q", "--no-checkout", str(REPO), str(shadow))
    _git(shadow, "checkout", "-q", "-b", "wslint-test-changes", head)
    for rel in changed:
        if (REPO / rel).is_file():
            (shadow / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, shadow / rel)
        elif (shadow / rel).exists():
            (shadow / rel).unlink()
    _git(shadow, "add", "-A", "--", *changed)
    _git(shadow, "-c", "user.email=test@example.invalid", "-c", "user.name=test", "commit", "-q", "-m", "changes")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=shadow, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    return str(shadow), rev


def test_hook_refuses_broken_configs_of_every_proxy_accepts_fixed_and_catches_snippets(
    tmp_path: Path, pre_commit: str
) -> None:
    work = tmp_path / "project"
    work.mkdir()
    _git(work, "init", "-q")
    _git(work, "config", "user.email", "test@example.invalid")
    _git(work, "config", "user.name", "test")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    repo, rev = _hook_repository(tmp_path / "hook-repo")
    config = tmp_path / "pre-commit-config.yaml"
    config.write_text(yaml.safe_dump({"repos": [{"repo": repo, "rev": rev, "hooks": [{"id": "wslint"}]}]}))

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "run", "--config", str(config), "--color", "never"],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    def commit(message: str) -> None:
        _git(work, "add", ".")
        _git(work, "commit", "-q", "--no-verify", "-m", message)

    _write(work, BROKEN)
    _git(work, "add", ".")
    failed = hook()
    out = failed.stdout.split("wslint (WebSocket proxy configuration lint)")[-1]
    assert failed.returncode == 1, failed.stdout + failed.stderr
    for expected in (
        "nginx/conf.d/app.conf:8:9: error WS103",
        "haproxy/haproxy.cfg:13:5: error WS103",
        "caddy/proxy.caddy:2:5: warning WS102",
        "traefik/dynamic/app.yml:4:14: error WS701",
        "apache/sites/app.conf:3:5: warning WS801",
    ):
        assert expected in out, out
    assert "supervisord.conf" not in out and "ci.yml" not in out and "package.json" not in out
    commit("broken")

    _write(work, FIXED)
    _git(work, "add", ".")
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    commit("fixed")

    _write(work, SNIPPETS_BROKEN)
    _git(work, "add", ".")
    snippets = hook()
    out = snippets.stdout.split("wslint (WebSocket proxy configuration lint)")[-1]
    assert snippets.returncode == 1, snippets.stdout + snippets.stderr
    for expected in (
        # a snippet alone is not a location: only through site2/main.conf does it break one
        "snippets/ws.conf:3:1: error WS103",
        "caddy/proxy.caddy:2:5: warning WS102",
        "traefik/dynamic/app.yml:4:14: error WS701",
        "apache/sites/app.conf:3:5: warning WS801",
    ):
        assert expected in out, out


@pytest.mark.parametrize(
    "path",
    [
        "nginx.conf",
        "deploy/conf.d/app.conf",
        "etc/nginx/sites-available/app",
        "etc/nginx/sites-enabled/default",
        "etc/nginx/sites-enabled/.hidden",
        "haproxy/haproxy.cfg",
        "Caddyfile",
        "deploy/Caddyfile.prod",
        "sites/app.caddyfile",
        "caddy.json",
        "traefik/dynamic.toml",
        "docker-compose.yml",
        "k8s/ingress.yaml",
        "README.md",
        "src/app.py",
        "Dockerfile",
        "Makefile",
    ],
)
def test_hook_files_pattern_selects_what_discovery_reads(path: str) -> None:
    """The hook's `files` pattern and a directory walk agree on which names can be configurations."""
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert bool(re.search(hook["files"], path)) is is_candidate_name(path)
