"""Traefik: what wslint does not model makes a handshake uncertain, and an uncertain handshake gets no finding;
what it does model of the entryPoint's request handling (sanitizePath, encodedCharacters) decides the route.

The router below sends /ws through a redirectScheme middleware: judged, the declared ws:// handshake is
redirected (an endpoint-redirected finding); a service, middleware or setting wslint cannot follow must leave
the handshake unjudged instead. The entryPoint behaviours asserted here were measured on traefik
3.7 (tests/e2e/test_traefik_unmodelled_live.py runs the same requests on the real binary).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_traefik_adapter import chrome, lint
from wslint.core import Report
from wslint.engine.rules import RuleSet
from wslint.model import Source
from wslint.traefik.chain import Request, run_chain
from wslint.traefik.config import MiddlewareSpec
from wslint.traefik.located import Node

STATIC = """\
entryPoints:
  web:
    address: ":8080"
{entry_point}providers:
  file:
    directory: dynamic
{provider}{top}"""

DYNAMIC = """\
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      service: web
    app-ws:
      rule: "Host(`app.example.test`) && PathPrefix(`/ws`)"
      service: {service}
      middlewares: [{middlewares}]
  middlewares:
    tohttps:
      redirectScheme:
        scheme: https
    keepalive:
      headers:
        customRequestHeaders:
          Connection: "keep-alive"
    enc:
      encodedCharacters:
        allowEncodedHash: true
    slashes:
      encodedCharacters:
        allowEncodedSlash: true
    plug:
      plugin:
        example:
          header: X-Example
    both:
      headers:
        customRequestHeaders:
          X-Example: "1"
      stripPrefix:
        prefixes: ["/ws"]
    noprefix:
      addPrefix:
        prefix: ""
  services:
    web:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
    socket:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
    socket-again:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
    split:
      weighted:
        services:
          - name: socket
            weight: 3
          - name: web
            weight: 1
    even:
      weighted:
        services:
          - name: socket
          - name: socket-again
    fallback:
      failover:
        service: socket
        fallback: web
    mirrored:
      mirroring:
        service: socket
        mirrors:
          - name: web
            percent: 10
    grpc:
      loadBalancer:
        servers:
          - url: "h2c://127.0.0.1:9001"
    empty:
      loadBalancer:
        servers: []
    own-middlewares:
      middlewares: [enc]
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
    no-transport:
      loadBalancer:
        serversTransport: missing
        servers:
          - url: "http://127.0.0.1:9001"
    with-transport:
      loadBalancer:
        serversTransport: short
        servers:
          - url: "http://127.0.0.1:9001"
    hashed:
      highestRandomWeight:
        services:
          - name: socket
          - name: web
    hashed-alike:
      highestRandomWeight:
        services:
          - name: socket
          - name: socket-again
  serversTransports:
    short:
      forwardingTimeouts:
        dialTimeout: 5s
"""

WS = "ws://app.example.test:8080/ws"


def _lint(
    tmp_path: Path,
    rules: RuleSet,
    *urls: str,
    service: str = "socket",
    middlewares: str = "tohttps",
    entry_point: str = "",
    provider: str = "",
    top: str = "",
) -> Report:
    files = {
        "traefik.yml": STATIC.format(entry_point=entry_point, provider=provider, top=top),
        "dynamic/d.yml": DYNAMIC.format(service=service, middlewares=middlewares),
    }
    return lint(tmp_path, rules, files, "traefik.yml", *(urls or (WS,)))


def _judged(report: Report) -> dict[str, tuple[str | None, bool]]:
    """Each declared handshake's router and whether wslint is certain of it."""
    return {r.endpoint.raw: (r.route.match.pattern if r.route else None, r.certain) for r in chrome(report)}


def _reasons(report: Report) -> str:
    return " | ".join(u for r in chrome(report) for u in r.uncertain)


def test_judged_when_everything_is_modelled(tmp_path: Path, rules: RuleSet) -> None:
    """The baseline the other tests depend on: the keep-alive header is found when nothing is in the way."""
    report = _lint(tmp_path, rules)
    assert [f.rule for f in report.findings] == ["endpoint-redirected"]
    assert _judged(report) == {WS: ("app-ws@file", True)}


@pytest.mark.parametrize(
    ("service", "said"),
    [
        ("split", "weighted service split@file splits requests between different servers"),
        ("fallback", "failover service fallback@file"),
        ("grpc", "h2c"),
        # measured on traefik 3.7: no servers answers 503, an undefined serversTransport leaves the router
        # unloaded (404), a service's own middlewares run after the router's, an HRW service picks a child
        # by the client's address
        ("empty", "service empty@file lists no servers"),
        ("no-transport", "the serversTransport missing of service no-transport@file is not defined"),
        ("own-middlewares", "service own-middlewares@file has its own middlewares"),
        ("hashed", "highestRandomWeight service hashed@file splits requests between different servers"),
    ],
)
def test_a_service_wslint_cannot_follow_is_not_judged(service: str, said: str, tmp_path: Path, rules: RuleSet) -> None:
    report = _lint(tmp_path, rules, service=service)
    assert not report.findings, report.findings
    assert _judged(report) == {WS: ("app-ws@file", False)}
    assert said in _reasons(report)


@pytest.mark.parametrize("service", ["even", "mirrored", "with-transport", "hashed-alike"])
def test_services_that_send_the_handshake_to_one_server_are_judged(
    service: str, tmp_path: Path, rules: RuleSet
) -> None:
    """A weighted service whose children all have the same servers, and a mirroring service (its main
    service answers; the mirrors get copies), send the handshake where wslint can follow it."""
    report = _lint(tmp_path, rules, service=service)
    assert [f.rule for f in report.findings] == ["endpoint-redirected"]
    assert _judged(report) == {WS: ("app-ws@file", True)}
    assert not _reasons(report)


def test_a_plugin_middleware_is_not_judged(tmp_path: Path, rules: RuleSet) -> None:
    report = _lint(tmp_path, rules, middlewares="plug, tohttps")
    assert not report.findings, report.findings
    assert _judged(report) == {WS: ("app-ws@file", False)}
    assert "middleware plug@file (plugin) is not modelled" in _reasons(report)


@pytest.mark.parametrize(
    ("middleware", "said"),
    [
        # measured on traefik 3.7: "multi-types middleware not supported" and "prefix cannot be empty"; the
        # router is not loaded (404)
        ("both", "middleware both@file has 2 types, which Traefik refuses"),
        ("noprefix", "middleware noprefix@file (addPrefix) has no prefix, which Traefik refuses"),
    ],
)
def test_a_middleware_traefik_refuses_to_build_is_not_judged(
    middleware: str, said: str, tmp_path: Path, rules: RuleSet
) -> None:
    report = _lint(tmp_path, rules, middlewares=f"{middleware}, tohttps")
    assert not report.findings, report.findings
    assert _judged(report) == {WS: ("app-ws@file", False)}
    assert said in _reasons(report)


def test_a_label_service_on_h2c_is_not_judged(tmp_path: Path, rules: RuleSet) -> None:
    """`loadbalancer.server.scheme=h2c` makes Traefik talk h2c to the container, like an `h2c://` URL."""
    compose = """\
services:
  traefik:
    image: traefik:v3.7
    command: ["--providers.docker=true", "--entrypoints.web.address=:8080"]
  chat:
    image: chat
    labels:
      - traefik.http.routers.chat.rule=Host(`app.example.test`) && PathPrefix(`/ws`)
      - traefik.http.routers.chat.middlewares=tohttps
      - traefik.http.middlewares.tohttps.redirectscheme.scheme=https
      - traefik.http.services.chat.loadbalancer.server.port=9000
      - traefik.http.services.chat.loadbalancer.server.scheme={scheme}
"""
    plain = lint(
        tmp_path / "http", rules, {"docker-compose.yml": compose.format(scheme="http")}, "docker-compose.yml", WS
    )
    assert [f.rule for f in plain.findings] == ["endpoint-redirected"]
    report = lint(
        tmp_path / "h2c", rules, {"docker-compose.yml": compose.format(scheme="h2c")}, "docker-compose.yml", WS
    )
    assert not report.findings, report.findings
    assert _judged(report) == {WS: ("chat@docker", False)}
    assert "service chat@docker talks h2c" in _reasons(report)


def test_a_header_the_configuration_sets_is_found_whatever_runs_before(tmp_path: Path, rules: RuleSet) -> None:
    """Route findings are about what the configuration itself does to every request: the keep-alive header
    replaces the Connection header whatever a plugin before it did, so that finding stands."""
    report = _lint(tmp_path, rules, middlewares="plug, keepalive")
    assert [f.rule for f in report.findings] == ["connection-header-not-upgrade"]
    assert _judged(report) == {WS: ("app-ws@file", False)}


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"top": "experimental:\n  fastProxy: {}\n"}, "experimental.fastProxy"),
        ({"top": "experimental:\n  fastProxy:\n    debug: true\n"}, "experimental.fastProxy"),
        ({"provider": '  docker:\n    constraints: "Label(`a`,`b`)"\n'}, "providers.docker.constraints"),
        ({"entry_point": "    proxyProtocol:\n      insecure: true\n"}, "PROXY protocol"),
    ],
)
def test_static_settings_wslint_does_not_model(
    settings: dict[str, str], said: str, tmp_path: Path, rules: RuleSet
) -> None:
    report = _lint(tmp_path, rules, **settings)
    assert not report.findings, report.findings
    assert _judged(report) == {WS: ("app-ws@file", False)}
    assert said in _reasons(report)


def test_fast_proxy_switched_off_is_judged(tmp_path: Path, rules: RuleSet) -> None:
    report = _lint(tmp_path, rules, top="experimental:\n  fastProxy: false\n")
    assert [f.rule for f in report.findings] == ["endpoint-redirected"]


SANITIZED = {
    "ws://app.example.test:8080/x/../ws": "app-ws@file",
    "ws://app.example.test:8080//ws": "app-ws@file",
    "ws://app.example.test:8080/./ws": "app-ws@file",
}


@pytest.mark.parametrize("sanitize", [None, True, False])
def test_sanitize_path_decides_the_route(sanitize: bool | None, tmp_path: Path, rules: RuleSet) -> None:
    """Traefik cleans dot segments and repeated slashes before routing (http.sanitizePath, on by default);
    switched off, the routers see the path as sent, and `/x/../ws` is no `/ws` path (the site router takes it)."""
    entry_point = "" if sanitize is None else f"    http:\n      sanitizePath: {str(sanitize).lower()}\n"
    report = _lint(tmp_path, rules, *SANITIZED, middlewares="", entry_point=entry_point)
    routes = {url: route for url, (route, _) in _judged(report).items()}
    if sanitize is False:
        assert routes == dict.fromkeys(SANITIZED, "app@file")
    else:
        assert routes == SANITIZED


ENTRY_POINT_ENCODED = "    http:\n      encodedCharacters:\n        allowEncodedSlash: false\n"


def test_entry_point_encoded_characters(tmp_path: Path, rules: RuleSet) -> None:
    """An entryPoint's encodedCharacters allows every encoded character it does not set to false: a refused
    one makes the handshake uncertain (Traefik answers 400), the others are judged."""
    slash, semicolon = f"{WS}/a%2Fb", f"{WS}/a%3Bb"
    report = _lint(tmp_path, rules, slash, semicolon, entry_point=ENTRY_POINT_ENCODED)
    assert _judged(report) == {slash: ("app-ws@file", False), semicolon: ("app-ws@file", True)}
    assert "refuses %2f in the path (http.encodedCharacters)" in _reasons(report)
    # the finding stands for the judged handshake only
    assert [f.rule for f in report.findings] == ["endpoint-redirected"]
    assert semicolon in report.findings[0].message
    report = _lint(tmp_path / "all", rules, slash)
    assert _judged(report) == {slash: ("app-ws@file", True)}


@pytest.mark.parametrize(
    ("middleware", "path", "refused"),
    [
        # the middleware refuses every encoded character it does not allow
        ("enc", "/ws/a%2Fb", True),
        ("enc", "/ws/a%2fb", True),
        ("enc", "/ws/a%5Cb", True),
        ("enc", "/ws/a%3Bb", True),
        ("enc", "/ws/a%25b", True),
        ("enc", "/ws/a%3Fb", True),
        ("enc", "/ws/a%00b", True),
        ("enc", "/ws/a%23b", False),
        ("enc", "/ws/a%41b", False),
        ("slashes", "/ws/a%2Fb", False),
        ("slashes", "/ws/a%3Bb", True),
        ("slashes", "/ws/a%23b", True),
    ],
)
def test_encoded_characters_middleware(
    middleware: str, path: str, refused: bool, tmp_path: Path, rules: RuleSet
) -> None:
    url = f"ws://app.example.test:8080{path}"
    report = _lint(tmp_path, rules, url, middlewares=f"{middleware}, tohttps")
    assert _judged(report) == {url: ("app-ws@file", not refused)}
    assert bool(report.findings) is not refused, report.findings
    if refused:
        assert f"middleware {middleware}@file refuses" in _reasons(report)


def test_a_path_rewritten_to_nothing_reaches_the_service_as_a_slash() -> None:
    """replacePathRegex with an empty replacement: Traefik sends `/` (measured on traefik 3.7: /rpr/x -> /)."""
    where = Source("d.yml", 1, 1)
    params = Node({"regex": Node("^/ws(.*)", where), "replacement": Node("", where)}, where)
    mw = MiddlewareSpec("rpr", "file", "replacepathregex", params, where, "yaml", "replacePathRegex")
    req = Request("http", "app.example.test", "/ws/x", "", {})
    assert run_chain([mw], req) is None
    assert req.path == "/"
    assert req.path_cause_kind == "replace-path-regex"
