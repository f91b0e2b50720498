"""A path declared without a host (--ws-path) is judged only in the servers meant to carry it."""

from __future__ import annotations

from tests.conftest import LintFn

MAP = "map $http_upgrade $connection_upgrade {\n    default upgrade;\n    '' close;\n}\n"
WS_LOCATION = (
    "    location /ws/ {\n        proxy_pass http://127.0.0.1:3000;\n        proxy_http_version 1.1;\n"
    "        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection $connection_upgrade;\n    }\n"
)
DEFAULT_STATIC = (
    "server {\n    listen 80 default_server;\n    server_name _;\n    root /var/www/html;\n"
    "    location / { try_files $uri $uri/ =404; }\n}\n"
)
WWW_REDIRECT = (
    "server {\n    listen 80;\n    server_name www.app.test;\n    return 301 http://app.test$request_uri;\n}\n"
)
APP = "server {\n    listen 80;\n    server_name app.test;\n    location / { proxy_pass http://127.0.0.1:3000; }\n"


def found(lint: LintFn, text: str, *paths: str) -> set[tuple[str, int]]:
    return {(f.rule, f.line) for f in lint(text, "site.conf", ws_paths=paths).findings}


def test_a_default_static_server_and_a_www_redirect_are_other_sites(lint: LintFn) -> None:
    text = MAP + DEFAULT_STATIC + WWW_REDIRECT + APP + WS_LOCATION + "}\n"
    assert found(lint, text, "/ws/chat") == set()


def test_without_a_server_that_proxies_the_path_every_server_is_judged(lint: LintFn) -> None:
    static_app = APP.replace("proxy_pass http://127.0.0.1:3000;", "root /srv/app;")
    text = MAP + DEFAULT_STATIC + WWW_REDIRECT + static_app + "}\n"
    assert found(lint, text, "/ws/chat") >= {
        ("endpoint-redirected", 14),
        ("ws-path-not-proxied", 9),
        ("ws-path-not-proxied", 19),
    }


def test_a_declared_path_on_a_plain_proxy_location_is_judged_there(lint: LintFn) -> None:
    text = MAP + DEFAULT_STATIC + WWW_REDIRECT + APP + "}\n"
    # the app server's `location /` takes the handshake: it forwards no upgrade, the other sites do not matter
    assert found(lint, text, "/ws/chat") == {("upstream-http-version", 19), ("upgrade-header-not-forwarded", 19)}


def test_a_server_with_websocket_routes_that_misses_the_path_is_still_judged(lint: LintFn) -> None:
    other = APP.replace("app.test", "other.test") + WS_LOCATION.replace("/ws/", "/live/") + "}\n"
    text = MAP + DEFAULT_STATIC + APP + WS_LOCATION + "}\n" + other
    assert ("route-miss", 25) in found(lint, text, "/ws/chat")


def test_caddy_catch_all_and_redirect_sites(lint: LintFn) -> None:
    text = (
        "http://www.example.test:8080 {\n\tredir http://example.test:8080{uri} permanent\n}\n"
        "http://example.test:8080 {\n\treverse_proxy /cable* 127.0.0.1:9001\n}\n"
        ':8080 {\n\trespond "unknown host" 404\n}\n'
    )
    assert {(f.rule, f.line) for f in lint(text, "Caddyfile", ws_paths=("/cable",)).findings} == set()
    broken = text.replace("reverse_proxy /cable* 127.0.0.1:9001", "respond /cable* 403")
    assert {f.rule for f in lint(broken, "Caddyfile", ws_paths=("/cable",)).findings} >= {"ws-path-not-proxied"}


def test_a_bare_path_on_a_tls_listener_is_an_https_request(lint: LintFn) -> None:
    text = (
        MAP + "server {\n    listen 8443 ssl;\n    server_name app.test;\n    ssl_certificate c.pem;\n"
        "    ssl_certificate_key c.key;\n" + WS_LOCATION.replace("/ws/", "/chat/") + "}\n"
    )
    (f,) = lint(text, "site.conf", ws_paths=("/chat",)).findings
    assert f.rule == "trailing-slash-redirect"
    assert "301 to https://app.test:8443/chat/" in f.message
