"""Anti-upgrade actions found without a declared endpoint (Route.upgrade_blocked, WS102/WS103 as info).

A statement that strips the upgrade from every request of a route makes WebSockets impossible there,
whatever path the application uses: it is reported at its own line with no --ws-url. Its h2c-only form
(the h2c smuggling mitigation done right) is silent, and so is every route the statement does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import LintFn
from wslint.core import Report

HAPROXY_DEFAULTS = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
"""


@dataclass(frozen=True)
class Form:
    """A configuration, the file it is written to, and the line of the statement (0: none is expected)."""

    text: str
    name: str
    proxy: str
    line: int = 0
    rule: str = ""


def lint_form(lint: LintFn, form: Form) -> Report:
    report = lint(form.text, name=form.name, proxy=form.proxy)
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    return report


def blocked_lines(report: Report) -> list[tuple[str, int | None]]:
    """Each route's name with the line of the statement that blocks its upgrades (None: nothing does)."""
    return [
        (r.name, r.upgrade_blocked.source.line if r.upgrade_blocked is not None else None)
        for cfg in report.configs
        for r in cfg.routes
    ]


def found(report: Report) -> set[tuple[str, int, str]]:
    return {(f.rule, f.line, f.severity.label) for f in report.findings}


ANTI_UPGRADE = {
    "haproxy del-header Upgrade on the frontend": Form(
        HAPROXY_DEFAULTS
        + """\
frontend www
    bind :8080
    http-request del-header Upgrade
    use_backend api if { path_beg /api/ }
    default_backend web
backend web
    server w1 127.0.0.1:9001
backend api
    server a1 127.0.0.1:9002
""",
        "haproxy.cfg",
        "haproxy",
        9,
        "upgrade-header-not-forwarded",
    ),
    "haproxy set-header Connection close in the backend": Form(
        HAPROXY_DEFAULTS
        + """\
frontend www
    bind :8080
    default_backend web
backend web
    http-request set-header Connection close
    server w1 127.0.0.1:9001
""",
        "haproxy.cfg",
        "haproxy",
        11,
        "connection-header-not-upgrade",
    ),
    "haproxy set-header Upgrade to another value": Form(
        HAPROXY_DEFAULTS
        + """\
frontend www
    bind :8080
    http-request set-header Upgrade none
    default_backend web
backend web
    server w1 127.0.0.1:9001
""",
        "haproxy.cfg",
        "haproxy",
        9,
        "upgrade-header-not-forwarded",
    ),
    "caddy header_up -Upgrade": Form(
        """\
http://app.example.test:8080 {
\treverse_proxy 127.0.0.1:9001 {
\t\theader_up -Upgrade
\t}
}
""",
        "Caddyfile",
        "caddy",
        3,
        "upgrade-header-not-forwarded",
    ),
    "caddy header_up -Connection": Form(
        """\
http://app.example.test:8080 {
\treverse_proxy 127.0.0.1:9001 {
\t\theader_up -Connection
\t}
}
""",
        "Caddyfile",
        "caddy",
        3,
        "connection-header-not-upgrade",
    ),
    "caddy request_header -Upgrade before reverse_proxy": Form(
        """\
http://app.example.test:8080 {
\trequest_header -Upgrade
\treverse_proxy 127.0.0.1:9001
}
""",
        "Caddyfile",
        "caddy",
        2,
        "upgrade-header-not-forwarded",
    ),
    "traefik headers middleware with Upgrade blank": Form(
        """\
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      middlewares: [no-h2c]
      service: app
  middlewares:
    no-h2c:
      headers:
        customRequestHeaders:
          Upgrade: ""
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
""",
        "dynamic.yml",
        "traefik",
        11,
        "upgrade-header-not-forwarded",
    ),
    "nginx proxy_set_header Upgrade blank at server level": Form(
        """\
server {
    listen 8080;
    server_name app.example.test;
    proxy_http_version 1.1;
    proxy_set_header Upgrade "";
    location / {
        proxy_pass http://127.0.0.1:9001;
    }
}
""",
        "site.conf",
        "nginx",
        5,
        "upgrade-header-not-forwarded",
    ),
}


@pytest.mark.parametrize("form", ANTI_UPGRADE.values(), ids=list(ANTI_UPGRADE))
def test_an_anti_upgrade_action_is_reported_at_its_line_without_an_endpoint(lint: LintFn, form: Form) -> None:
    report = lint_form(lint, form)
    assert found(report) == {(form.rule, form.line, "info")}
    assert {line for _, line in blocked_lines(report)} == {form.line}
    (finding,) = report.findings
    assert finding.fix is not None and "h2c" in (finding.fix.description + finding.fix.snippet), finding.fix


def test_the_messages_name_the_statement_as_written(lint: LintFn) -> None:
    """A Traefik middleware's value alone does not say which header it blanks; a Caddy request_header has no
    header_up expression: both are named by their line."""
    traefik = lint_form(lint, ANTI_UPGRADE["traefik headers middleware with Upgrade blank"])
    assert '`Upgrade: ""`' in traefik.findings[0].message
    conn = ANTI_UPGRADE["traefik headers middleware with Upgrade blank"].text.replace('Upgrade: ""', 'Connection: ""')
    assert '`Connection: ""`' in lint(conn, name="dynamic.yml", proxy="traefik").findings[0].message
    caddy = lint_form(lint, ANTI_UPGRADE["caddy request_header -Upgrade before reverse_proxy"])
    assert "`request_header -Upgrade`" in caddy.findings[0].message


H2C_ONLY = {
    "haproxy del-header and set-header if the Upgrade is h2c": Form(
        HAPROXY_DEFAULTS
        + """\
frontend www
    bind :8080
    http-request set-header Connection close if { req.hdr(upgrade) -i h2c }
    http-request del-header Upgrade if { req.hdr(upgrade) -i h2c }
    http-request del-header Upgrade if { req.hdr(upgrade) -m sub -i h2c }
    http-request del-header HTTP2-Settings
    default_backend web
backend web
    server w1 127.0.0.1:9001
""",
        "haproxy.cfg",
        "haproxy",
    ),
    "caddy request_header behind an h2c matcher": Form(
        """\
http://app.example.test:8080 {
\t@h2c header Upgrade h2c
\trequest_header @h2c -Upgrade
\t@h2c_any header_regexp Upgrade (?i)h2c
\trequest_header @h2c_any -Upgrade
\treverse_proxy 127.0.0.1:9001
}
""",
        "Caddyfile",
        "caddy",
    ),
    "caddy header_up -Upgrade in a handle that takes h2c only": Form(
        """\
http://app.example.test:8080 {
\t@h2c header Upgrade h2c
\thandle @h2c {
\t\treverse_proxy 127.0.0.1:9001 {
\t\t\theader_up -Upgrade
\t\t}
\t}
\thandle {
\t\treverse_proxy 127.0.0.1:9001
\t}
}
""",
        "Caddyfile",
        "caddy",
    ),
    "traefik middleware on a router of its own for h2c": Form(
        """\
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      service: app
    app-h2c:
      rule: "Host(`app.example.test`) && HeaderRegexp(`Upgrade`, `(?i)h2c`)"
      middlewares: [no-h2c]
      service: app
  middlewares:
    no-h2c:
      headers:
        customRequestHeaders:
          Upgrade: ""
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
""",
        "dynamic.yml",
        "traefik",
    ),
    "nginx map that blanks only h2c": Form(
        """\
map $http_upgrade $upgrade_not_h2c {
    default  $http_upgrade;
    ~*h2c    "";
}
map $upgrade_not_h2c $connection_upgrade_not_h2c {
    default  upgrade;
    ""       "";
}
server {
    listen 8080;
    proxy_http_version 1.1;
    proxy_set_header Upgrade $upgrade_not_h2c;
    proxy_set_header Connection $connection_upgrade_not_h2c;
    location / {
        proxy_pass http://127.0.0.1:9001;
    }
}
""",
        "site.conf",
        "nginx",
    ),
    "nginx keepalive recipe Connection blank without Upgrade": Form(
        """\
server {
    listen 8080;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location / {
        proxy_pass http://127.0.0.1:9001;
    }
}
""",
        "site.conf",
        "nginx",
    ),
}


@pytest.mark.parametrize("form", H2C_ONLY.values(), ids=list(H2C_ONLY))
def test_an_h2c_only_form_is_silent(lint: LintFn, form: Form) -> None:
    report = lint_form(lint, form)
    assert not report.findings, [f.message for f in report.findings]
    assert {line for _, line in blocked_lines(report)} == {None}


NOT_COVERED = {
    "haproxy: another frontend": (
        Form(
            HAPROXY_DEFAULTS
            + """\
frontend www
    bind :8080
    http-request del-header Upgrade
    default_backend web
frontend chat
    bind :8081
    default_backend web
backend web
    server w1 127.0.0.1:9001
""",
            "haproxy.cfg",
            "haproxy",
            9,
        ),
        "default_backend web",
    ),
    "nginx: another server, and a location with its own header list": (
        Form(
            """\
server {
    listen 8080;
    server_name app.example.test;
    proxy_set_header Upgrade "";
    location / {
        proxy_pass http://127.0.0.1:9001;
    }
    location /chat/ {
        proxy_pass http://127.0.0.1:9001;
        proxy_set_header Host $host;
    }
}
server {
    listen 8080;
    server_name chat.example.test;
    location / {
        proxy_pass http://127.0.0.1:9001;
    }
}
""",
            "site.conf",
            "nginx",
            4,
        ),
        "location /",
    ),
    "caddy: another site": (
        Form(
            """\
http://app.example.test:8080 {
\treverse_proxy 127.0.0.1:9001 {
\t\theader_up -Upgrade
\t}
}
http://chat.example.test:8080 {
\treverse_proxy 127.0.0.2:9001
}
""",
            "Caddyfile",
            "caddy",
            3,
        ),
        "reverse_proxy 127.0.0.1:9001",
    ),
    "traefik: a router without the middleware": (
        Form(
            """\
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      middlewares: [no-h2c]
      service: app
    chat:
      rule: "Host(`chat.example.test`)"
      service: app
  middlewares:
    no-h2c:
      headers:
        customRequestHeaders:
          Upgrade: ""
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
""",
            "dynamic.yml",
            "traefik",
            14,
        ),
        "router app@file",
    ),
}


@pytest.mark.parametrize(("form", "covered"), NOT_COVERED.values(), ids=list(NOT_COVERED))
def test_a_route_the_action_does_not_cover_is_not_reported(lint: LintFn, form: Form, covered: str) -> None:
    report = lint_form(lint, form)
    routes = blocked_lines(report)
    assert len(routes) > 1, routes
    assert [(name, line) for name, line in routes if line is not None] == [(covered, form.line)], routes
    assert [(f.line, f.route.name if f.route else None) for f in report.findings] == [(form.line, covered)]


def test_the_caddy_fix_names_a_matcher_the_site_does_not_define(lint: LintFn) -> None:
    """Caddy refuses a matcher defined twice in a site: the h2c matcher is named after the statement's line,
    and gets a further suffix when the file already has that name (an earlier --fix pass wrote it)."""
    text = (
        "http://app.example.test:8080 {\n"
        "    @h2c_upgrade_4 header Upgrade h2c\n"
        "    reverse_proxy /static/* 127.0.0.1:9001 {\n"
        "        header_up -Upgrade\n"
        "    }\n"
        "    reverse_proxy /api/* 127.0.0.1:9002 {\n"
        "        header_up -Upgrade\n"
        "    }\n"
        "}\n"
    )
    report = lint(text, name="Caddyfile", proxy="caddy")
    names = sorted(
        line.split()[0] for f in report.findings if f.fix for line in f.fix.snippet.splitlines() if line.startswith("@")
    )
    assert names == ["@h2c_upgrade_4_2", "@h2c_upgrade_7"], [f.fix for f in report.findings]
