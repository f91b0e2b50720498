"""Which proxy a file configures: by its content and name, never nginx for another proxy's syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from wslint.core import LintOptions, run
from wslint.detect import cannot_tell, detect, detect_why
from wslint.engine.rules import RuleSet

NGINX_HTTP = """\
user www-data;
http {
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    server {
        listen 80;
        server_name example.com;
        location /ws {
            proxy_pass http://127.0.0.1:8080;
        }
    }
}
"""
NGINX_LOCATION = "location /ws {\n    proxy_pass http://backend;\n    proxy_http_version 1.1;\n}\n"
CADDY_HTTP_SITE = "http://example.com {\n\treverse_proxy /api/* localhost:8080\n}\n"
CADDY_GLOBAL = "{\n\temail ops@example.com\n}\n\nexample.com, www.example.com {\n\treverse_proxy app:3000\n}\n"
CADDY_PORT = ":8080 {\n\t@ws {\n\t\theader Connection *Upgrade*\n\t}\n\treverse_proxy @ws app:3000\n}\n"
CADDY_FRAGMENT = "reverse_proxy localhost:8080\nreverse_proxy /api/* localhost:9000\n"
HAPROXY = (
    "global\n    maxconn 4096\n\ndefaults\n    mode http\n    timeout client 30s\n\n"
    "frontend web\n    bind :80\n    default_backend app\n\nbackend app\n    server a1 127.0.0.1:8080 check\n"
)
APACHE_VHOST = (
    "<VirtualHost *:80>\n    ServerName example.com\n    ProxyPass /ws ws://127.0.0.1:8080/ws\n</VirtualHost>\n"
)
APACHE_FRAGMENT = "ProxyPass /ws ws://127.0.0.1:8080/ws\nProxyPassReverse /ws ws://127.0.0.1:8080/ws\n"
TRAEFIK_DYNAMIC = 'http:\n  routers:\n    chat:\n      rule: "Path(`/ws`)"\n      service: chat\n'
TRAEFIK_MISPLACED = 'http:\n  routers:\n    chat:\n      rule: "Path(`/ws`)"\n  servces:\n    chat: {}\n'
TRAEFIK_TOP_ROUTERS = 'routers:\n  chat:\n    rule: "Host(`example.com`)"\n    service: chat\n'
TRAEFIK_STATIC_TOML = '[entryPoints.web]\n  address = ":80"\n\n[providers.file]\n  directory = "dynamic"\n'
COMPOSE_TRAEFIK = (
    "services:\n  app:\n    image: app\n    labels:\n      - traefik.http.routers.app.rule=Host(`a.example`)\n"
)
COMPOSE_PLAIN = "services:\n  web:\n    image: nginx:1.25\n    ports:\n      - '80:80'\n"
WORKFLOW = "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
INGRESS_TRAEFIK = (
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  ingressClassName: traefik\n"
)
INGRESS_ROUTE = "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: web\n"
SUPERVISORD = "[supervisord]\nnodaemon=true\n\n[program:app]\ncommand=/usr/bin/app --port 8080\nautorestart=true\n"
PHP_FPM = "[global]\npid = /run/php/php-fpm.pid\n; listen on a socket\n[www]\nlisten = /run/php/php-fpm.sock\n"
MY_CNF = "[mysqld]\nbind-address = 127.0.0.1\nskip-name-resolve\nmax_connections = 200\n"
LOGROTATE = (
    "/var/log/nginx/*.log {\n\tdaily\n\tmissingok\n\trotate 14\n\tcompress\n\tpostrotate\n"
    "\t\tinvoke-rc.d nginx rotate >/dev/null 2>&1\n\tendscript\n}\n"
)


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        # nginx, whole and in pieces
        ("nginx.conf", NGINX_HTTP, "nginx"),
        ("conf.d/ws.conf", NGINX_LOCATION, "nginx"),
        ("site.conf", "server { listen 80; location / { proxy_pass http://a; } }\n", "nginx"),
        ("sites-available/app", "server {\n    listen 127.0.0.1:8080;\n}\n", "nginx"),
        # Caddy, by content under any name, and by name
        ("site.caddyfile", CADDY_HTTP_SITE, "caddy"),
        ("app.Caddyfile", CADDY_HTTP_SITE, "caddy"),
        ("Caddyfile.prod", CADDY_HTTP_SITE, "caddy"),
        ("site.conf", CADDY_HTTP_SITE, "caddy"),
        ("site.conf", CADDY_GLOBAL, "caddy"),
        ("site.conf", CADDY_PORT, "caddy"),
        ("snippets/proxy", CADDY_FRAGMENT, "caddy"),
        ("caddy.json", '{"apps": {"http": {"servers": {}}}}', "caddy"),
        # HAProxy under any name
        ("lb.cfg", HAPROXY, "haproxy"),
        ("haproxy.conf", HAPROXY, "haproxy"),
        ("conf/balancer", HAPROXY, "haproxy"),
        # Apache
        ("site.conf", APACHE_VHOST, "apache"),
        ("conf.d/ws.conf", APACHE_FRAGMENT, "apache"),
        ("httpd.conf", "Listen 80\n", "apache"),
        # Traefik, YAML and TOML, compose labels, Kubernetes
        ("dynamic.yml", TRAEFIK_DYNAMIC, "traefik"),
        ("dynamic.yml", TRAEFIK_MISPLACED, "traefik"),
        ("dynamic.yml", TRAEFIK_TOP_ROUTERS, "traefik"),
        ("traefik.toml", TRAEFIK_STATIC_TOML, "traefik"),
        ("conf/dynamic", TRAEFIK_DYNAMIC, "traefik"),
        ("docker-compose.yml", COMPOSE_TRAEFIK, "traefik"),
        ("k8s/ingress.yaml", INGRESS_TRAEFIK, "traefik"),
        ("k8s/route.yaml", INGRESS_ROUTE, "traefik"),
        # not a proxy configuration at all
        (".github/workflows/ci.yml", WORKFLOW, None),
        ("docker-compose.yml", COMPOSE_PLAIN, None),
        ("k8s/deployment.yaml", DEPLOYMENT, None),
        ("supervisord.conf", SUPERVISORD, None),
        ("php-fpm.conf", PHP_FPM, None),
        ("my.cnf", MY_CNF, None),
        ("logrotate.d/nginx", LOGROTATE, None),
        ("package.json", '{"name": "x", "dependencies": {}}', None),
        ("empty.conf", "# nothing here\n\n", None),
        ("notes.txt", "remember to renew the certificate\n", None),
        # a directory's name adds to what the content shows, but does not tell alone
        ("haproxy/maps/hosts.map", "chat.example.com be_chat\napi.example.com be_api\n", None),
        ("deploy/caddy/expect.txt", "WS503 at line 3\n", None),
        ("deploy/nginx/ws", "proxy_pass http://app;\n", "nginx"),
    ],
)
def test_detection(name: str, head: str, kind: str | None) -> None:
    assert detect(name, head) == kind, detect_why(name, head)


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("site.caddyfile", CADDY_HTTP_SITE),
        ("x.conf", CADDY_PORT),
        ("x.conf", CADDY_FRAGMENT),
        ("lb.cfg", HAPROXY),
        ("x.conf", APACHE_FRAGMENT),
        ("dynamic.yml", TRAEFIK_MISPLACED),
        ("ci.yml", WORKFLOW),
        ("compose.yaml", COMPOSE_PLAIN),
        ("supervisord.conf", SUPERVISORD),
        ("php-fpm.conf", PHP_FPM),
        # a name that says nginx does not outweigh another proxy's syntax
        ("nginx/site.conf", CADDY_HTTP_SITE),
        ("nginx/site.conf", APACHE_FRAGMENT),
    ],
)
def test_never_nginx_for_another_syntax(name: str, head: str) -> None:
    assert detect(name, head) != "nginx"


def test_a_file_with_marks_of_two_proxies_is_not_guessed() -> None:
    mixed = "example.com {\n\treverse_proxy app:80\n}\n" + APACHE_VHOST
    found = detect_why("mixed.conf", mixed)
    assert found.kind is None
    assert set(found.plausible) == {"caddy", "apache"}
    assert "several proxies" in found.reason


@pytest.mark.parametrize(
    ("name", "head", "says", "suggests"),
    [
        (".github/workflows/ci.yml", WORKFLOW, "a GitHub Actions workflow", "--proxy traefik"),
        ("docker-compose.yml", COMPOSE_PLAIN, "a Docker Compose file without traefik.* labels", "--proxy traefik"),
        ("k8s/deployment.yaml", DEPLOYMENT, "a Kubernetes Deployment", "--proxy traefik"),
        ("package.json", '{"name": "x"}', "JSON", "--proxy caddy or --proxy traefik"),
        ("supervisord.conf", SUPERVISORD, "an INI file", "--proxy with its proxy"),
        ("empty.conf", "# nothing\n", "empty or only comments", "--proxy with its proxy"),
    ],
)
def test_cannot_tell_says_what_was_seen(name: str, head: str, says: str, suggests: str) -> None:
    message = cannot_tell(name, head)
    assert message.startswith(f"cannot tell which proxy {name} configures: ")
    assert says in message
    assert suggests in message
    assert "--proxy nginx" not in message


def test_cannot_tell_names_the_proxies_a_weak_mark_points_at() -> None:
    # one Apache directive name and nothing else is too little to name Apache, enough to suggest it
    message = cannot_tell("x.conf", "Options -Indexes\n")
    assert "Apache directive name (line 1: Options -Indexes)" in message
    assert "--proxy apache" in message
    assert "--proxy nginx" not in message


def test_the_reason_names_the_line_that_told(tmp_path: Path) -> None:
    found = detect_why("site.caddyfile", "# a comment\n" + CADDY_HTTP_SITE)
    assert found.kind == "caddy"
    assert "line 2: http://example.com {" in found.reason


def test_a_caddyfile_under_a_caddyfile_name_is_linted_as_caddy(tmp_path: Path, rules: RuleSet) -> None:
    """It was read as nginx and passed clean; named Caddyfile, the same content gets WS503."""
    for name in ("Caddyfile", "site.caddyfile", "app.Caddyfile"):
        (tmp_path / name).write_text(CADDY_HTTP_SITE)
        report = run(LintOptions(paths=(str(tmp_path / name),), ws_paths=("/ws",)), rules)
        assert [c.proxy for c in report.linted] == ["caddy"], name
        assert [f.code for f in report.findings] == ["WS503"], name
