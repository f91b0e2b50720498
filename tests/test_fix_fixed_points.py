"""Inputs on which --fix once wrote a file the proxy refuses, or never stopped changing it (found by the fuzz
property of tests/fuzzing.py): each now reaches a fixed point without errors, and the fix is checked by the
proxy itself where the fuzz budget allows (tests/fuzzing.py:check_fix)."""

from __future__ import annotations

import pytest

from tests.fuzzing import check_fix
from wslint.endpoints import parse_endpoint

CHAT = (parse_endpoint("ws://app.example.test:8080/ws/chat"),)

CASES: dict[str, tuple] = {
    # a v2 rule rewritten as v3 inside double quotes: `\.` must be written `\\.`
    "traefik-regex-in-double-quotes": (
        "dynamic.yml",
        "traefik",
        'http:\n  routers:\n    r0:\n      rule: "HostRegexp(`app.example.test`) && Headers(`Upgrade`, `websocket`)"\n'
        "      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n"
        "          - url: http://127.0.0.1:9001\n",
    ),
    # two redirects each get a matcher: Caddy refuses one name defined twice
    "caddy-two-redirects": (
        "Caddyfile",
        "caddy",
        "http://app.example.test:8080 {\n    redir * /moved{uri} 301\n    redir * /moved{uri} 301\n"
        "    root * www\n    try_files {path} /index.html\n    file_server\n}\n",
    ),
    # two reverse_proxy blocks that strip Upgrade each get the h2c-only matcher: one name would be defined twice
    "caddy-two-upgrade-strippers": (
        "Caddyfile",
        "caddy",
        "http://app.example.test:8080 {\n    reverse_proxy 127.0.0.1:9001\n"
        "    reverse_proxy 127.0.0.1:9001 {\n        header_up -Upgrade\n    }\n"
        "    reverse_proxy 127.0.0.1:9001 {\n        header_up Connection keep-alive\n        header_up -Upgrade\n    }\n"
        "    root * www\n    try_files {path} /index.html\n    file_server\n}\n",
    ),
    # the second route is fixed in a later pass: the name the first pass wrote is taken
    "caddy-upgrade-strippers-one-matcher": (
        "Caddyfile",
        "caddy",
        "http://app.example.test:8080 {\n    @m0 {\n        path_regexp chat$\n    }\n"
        "    reverse_proxy @m0 127.0.0.1:9001 {\n        header_up -Upgrade\n    }\n"
        "    reverse_proxy @m0 127.0.0.1:9001 {\n        header_up -Upgrade\n    }\n"
        "    root * www\n    try_files {path} /index.html\n    file_server\n}\n",
    ),
    # the host is the selecting site's own address: adding it to the other site is ambiguous
    "caddy-host-in-two-sites": (
        "Caddyfile",
        "caddy",
        'http://app.example.test:8080 {\n    respond "local" 200\n}\n'
        "http://other.example.test:8080 {\n    reverse_proxy /ws/* 127.0.0.1:9001\n}\n",
    ),
    # an address wslint cannot take apart got a longer list on every pass
    "caddy-schemeless-double-slash": (
        "Caddyfile",
        "caddy",
        "//app.example.test:8080 {\n    root * /srv/app\n    handle /socket.io/* {\n"
        "        reverse_proxy 127.0.0.1:9001\n    }\n}\n",
    ),
    # the same header tested on two lines: one line's header_regexp plus the other's is refused
    "caddy-header-tested-twice": (
        "Caddyfile",
        "caddy",
        "http://app.example.test:8080 {\n    @m0 {\n        path_regexp ^/ws\n"
        "        header Connection *Upgrade*\n        header Connection *Upgrade*\n    }\n"
        "    reverse_proxy @m0 127.0.0.1:9001\n}\n",
    ),
    # the virtual host with the route does not name the host: moving it above the one that does changed
    # nothing, and each pass moved the other such virtual host up instead
    "apache-route-in-an-unnamed-vhost": (
        "httpd.conf",
        "apache",
        "Listen 8080\n<VirtualHost *:8080>\n    ServerName h0.example.test\n    ProxyPass /ws http://127.0.0.1:9001/ws\n"
        "</VirtualHost>\n<VirtualHost *:8080>\n    ServerName h1.example.test\n"
        "    ProxyPass /ws http://127.0.0.1:9001/ws\n</VirtualHost>\n"
        "<VirtualHost *:8080>\n    ServerName app.example.test\n</VirtualHost>\n",
    ),
    # the matcher already has a header_regexp for the field: rewriting its header test as another is refused
    "caddy-header-beside-header-regexp": (
        "Caddyfile",
        "caddy",
        "http://app.example.test:8080 {\n    @m0 {\n        header Connection *Upgrade*\n"
        "        header_regexp Connection (?i)upgrade\n        path /ws\n    }\n"
        "    reverse_proxy @m0 127.0.0.1:9001\n    root * www\n    try_files {path} /index.html\n    file_server\n}\n",
    ),
    # the /ws block answers with its own `respond` before its reverse_proxy: putting it ahead of the
    # block that proxies the handshake would move the wrong answer first, and the next pass moved it back
    "caddy-respond-before-reverse-proxy-in-a-block": (
        "Caddyfile",
        "caddy",
        "http://app.example.test:8080 {\n    @m0 {\n        header Connection *Upgrade*\n    }\n"
        '    reverse_proxy @m0 127.0.0.1:9001\n    respond "local" 200\n    handle /ws {\n'
        '        respond "local" 200\n        reverse_proxy 127.0.0.1:9002 {\n'
        "            header_up Connection keep-alive\n        }\n    }\n"
        "    root * www\n    try_files {path} /index.html\n    file_server\n}\n",
    ),
    # each pass names its redirect's matcher after the redirect's line: the third pass's redirect had moved to
    # the line an earlier pass had named a matcher after (Caddy refuses a matcher defined twice)
    "caddy-matcher-named-after-a-moved-line": (
        "Caddyfile",
        "caddy",
        'http://app.example.test:8080 {\n    respond "local" 200\n}\nhttp://other.example.test:8080 {\n'
        "    handle {\n        handle_path /api* {\n            redir * /moved{uri} 301\n"
        '            redir * /moved{uri} 301\n            respond "local" 200\n        }\n'
        "        redir * /moved{uri} 301\n    }\n}\n",
        (*CHAT, parse_endpoint("/api/websocket")),
    ),
    # a server-wide `RequestHeader unset Upgrade` was taken for workers without upgrade=websocket: each pass
    # added upgrade=websocket again, and the line that strips the header stayed
    "apache-request-header-unset-upgrade": (
        "httpd.conf",
        "apache",
        "RequestHeader unset Upgrade\nListen 8080\nLoadModule mpm_event_module modules/mod_mpm_event.so\n"
        "LoadModule proxy_module modules/mod_proxy.so\nLoadModule proxy_http_module modules/mod_proxy_http.so\n"
        "<VirtualHost *:8080>\n    ServerName app.example.test\n"
        '    <Proxy "http://127.0.0.1:9001/">\n        ProxySet upgrade=websocket\n    </Proxy>\n'
        '    RewriteEngine On\n    RewriteRule "^/(ws/.*)$" "http://127.0.0.1:9001/$1" [P,L]\n'
        "    ProxyPass / http://127.0.0.1:9002/\n</VirtualHost>\n",
    ),
    # four overriding set-header lines: each fix uncovers the one before it
    "haproxy-four-overriding-set-headers": (
        "haproxy.cfg",
        "haproxy",
        "defaults\n    mode http\n    timeout client 30s\n    timeout server 30s\n    timeout connect 5s\n"
        "frontend fe\n    bind 127.0.0.1:8080\n"
        "    http-request set-header Connection keep-alive\n    http-request set-header Connection keep-alive\n"
        "    default_backend b0\nbackend b0\n"
        "    http-request set-header Connection keep-alive\n    http-request set-header Connection keep-alive\n"
        "    server s 127.0.0.1:9001\n",
    ),
    # deleting the only custom header would leave `customRequestHeaders:` empty, which Traefik refuses
    "traefik-only-custom-header": (
        "dynamic.yml",
        "traefik",
        "http:\n  routers:\n    r0:\n      rule: PathPrefix(`/ws`)\n      service: s\n      middlewares: [m0]\n"
        "  middlewares:\n    m0:\n      headers:\n        customRequestHeaders:\n          Connection: keep-alive\n"
        "  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9001\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fix_reaches_a_fixed_point(case: str) -> None:
    name, proxy, text, *endpoints = CASES[case]
    check_fix(name, text, proxy, endpoints=endpoints[0] if endpoints else CHAT)
