"""Traefik's router sources: what the static configuration enables, what wslint reads of it, and that a
handshake is never said to find no router (404, route-miss) or the wrong one while a source was not read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_traefik_adapter import chrome, lint
from wslint.config import ProjectConfig
from wslint.core import Report
from wslint.engine.rules import RuleSet
from wslint.limits import Limits
from wslint.traefik.sources import interpolate, shown

STATIC = """\
entryPoints:
  web:
    address: ":8080"
providers:
{providers}
"""

FILE_PROVIDER = "  file:\n    directory: {directory}\n"

WS_ROUTER = """\
http:
  routers:
    chat:
      rule: "Host(`chat.example.test`) && PathPrefix(`/ws`)"
      service: chat
  services:
    chat:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""

# a handshake no router of WS_ROUTER matches: with every source read, Traefik answers 404
MISSING = "ws://other.example.test:8080/ws"
FOUND = "ws://chat.example.test:8080/ws"
ROUTING_RULES = {"route-miss", "wrong-server-block", "route-shadowed"}


def _warnings(report: Report) -> list[str]:
    return [d.message for d in report.diagnostics if d.severity.label == "warning"]


def _routing_claims(report: Report) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in report.findings if f.rule in ROUTING_RULES or "404" in f.message]


def test_every_source_read_claims_the_404(tmp_path: Path, rules: RuleSet) -> None:
    files = {
        "traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="dynamic")),
        "dynamic/a.yml": WS_ROUTER,
    }
    report = lint(tmp_path, rules, files, "traefik.yml", MISSING, FOUND)
    assert [f.rule for f in report.findings] == ["route-miss"]
    assert not _warnings(report)


# configurations in which some router source the static configuration enables is not read
UNREAD_CASES: dict[str, tuple[dict[str, str], tuple[str, ...], str]] = {
    "missing directory": (
        {"traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="conf.d"))},
        (),
        "the file provider's directory conf.d",
    ),
    "absolute directory without --root": (
        {"traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="/etc/traefik/dynamic"))},
        (),
        "--root /etc/traefik=DIR",
    ),
    "template beside": (
        {
            "traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="dynamic")),
            "dynamic/a.yml": WS_ROUTER,
            "dynamic/other.yml": (
                'http:\n  routers:\n    other:\n      rule: Host(`{{ env "OTHER_HOST" }}`)\n      service: chat\n'
            ),
        },
        (),
        "dynamic/other.yml was not read: it is a Go template",
    ),
    "range template": (
        {
            "traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="dynamic")),
            "dynamic/a.yml": WS_ROUTER,
            "dynamic/b.yml": (
                "http:\n  routers:\n{{ range $i, $e := until 2 }}\n    r{{ $e }}:\n"
                "      rule: Host(`h{{ $e }}.example.test`)\n      service: chat\n{{ end }}\n"
            ),
        },
        (),
        "Go template",
    ),
    "kubernetes provider": (
        {
            "traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="dynamic") + "  kubernetesCRD: {}\n"),
            "dynamic/a.yml": WS_ROUTER,
        },
        (),
        "the Kubernetes CRD provider",
    ),
    "docker provider without compose": (
        {
            "traefik.yml": STATIC.format(providers="  docker:\n    exposedByDefault: false\n"),
        },
        (),
        "no compose file with Traefik labels was found",
    ),
    "no provider": (
        {"traefik.yml": 'entryPoints:\n  web:\n    address: ":8080"\n'},
        (),
        "enables no provider",
    ),
    "compose variable without .env": (
        {
            "docker-compose.yml": (
                "services:\n  traefik:\n    image: traefik:v3.7\n    command:\n"
                "      - --entrypoints.web.address=:8080\n      - --providers.docker=true\n"
                "  chat:\n    image: chat\n    labels:\n"
                "      - traefik.http.routers.chat.rule=Host(`${CHAT_HOST}`) && PathPrefix(`/ws`)\n"
                "      - traefik.http.services.chat.loadbalancer.server.port=3000\n"
            )
        },
        (),
        "",
    ),
    "compose static file not in the repository": (
        {
            "docker-compose.yml": (
                "services:\n  traefik:\n    image: traefik:v3.7\n    volumes:\n"
                "      - /srv/traefik/traefik.yml:/etc/traefik/traefik.yml:ro\n"
                "  chat:\n    image: chat\n    labels:\n"
                "      - traefik.http.routers.chat.rule=Host(`chat.example.test`) && PathPrefix(`/ws`)\n"
            )
        },
        (),
        "the static configuration /etc/traefik/traefik.yml of compose service traefik",
    ),
}


@pytest.mark.parametrize("case", sorted(UNREAD_CASES))
def test_no_404_or_route_miss_while_a_source_is_unread(case: str, tmp_path: Path, rules: RuleSet) -> None:
    files, _flags, said = UNREAD_CASES[case]
    (tmp_path / "outside").mkdir()
    target = "docker-compose.yml" if "docker-compose.yml" in files else "traefik.yml"
    report = lint(tmp_path / "repo", rules, files, target, MISSING, FOUND)
    assert not _routing_claims(report), _routing_claims(report)
    assert not [d for d in report.diagnostics if d.severity.label == "error"]
    results = chrome(report)
    assert results and all(not r.certain for r in results if r.outcome == "no-route" or r.misses)
    if said:
        assert any(said in w for w in _warnings(report)), _warnings(report)


def test_a_provider_directory_outside_confine_is_refused_not_judged(tmp_path: Path, rules: RuleSet) -> None:
    """--confine refuses the file provider's directory outside it (as every proxy's includes): an error
    naming it, and no finding from a configuration wslint did not read whole."""
    (tmp_path / "outside").mkdir()
    files = {"traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="../outside"))}
    report = lint(tmp_path / "repo", rules, files, "traefik.yml", MISSING, FOUND, confine=True)
    assert not report.findings and not _routing_claims(report)
    errors = [d.message for d in report.diagnostics if d.severity.label == "error"]
    assert any("'../outside' leaves the confined directories (--confine)" in m for m in errors), errors
    assert report.has_errors


def test_templated_file_hides_only_what_it_holds(tmp_path: Path, rules: RuleSet) -> None:
    """A router in a readable file is still judged on its own: the template file only hides routing claims."""
    broken = WS_ROUTER.replace(
        "      service: chat\n  services:",
        "      service: chat\n      middlewares: [keepalive]\n  middlewares:\n    keepalive:\n      headers:\n"
        "        customRequestHeaders:\n          Connection: keep-alive\n  services:",
    )
    files = {
        "traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="dynamic")),
        "dynamic/a.yml": broken,
        "dynamic/b.yml": 'http:\n  routers:\n    b:\n      rule: Host(`{{ env "B" }}`)\n      service: chat\n',
    }
    report = lint(tmp_path, rules, files, "traefik.yml", FOUND)
    assert {f.path for f in report.findings} == {"dynamic/a.yml"}
    assert report.findings and not _routing_claims(report)


def test_root_maps_the_provider_directory(tmp_path: Path, rules: RuleSet) -> None:
    files = {
        "deploy/traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="/etc/traefik/dynamic")),
        "deploy/dynamic/a.yml": WS_ROUTER,
    }
    report = lint(tmp_path, rules, files, "deploy/traefik.yml", MISSING, FOUND, roots=(("/etc/traefik", "deploy"),))
    assert [f.rule for f in report.findings] == ["route-miss"]
    assert {r.endpoint.raw: r.route is not None for r in chrome(report)} == {MISSING: False, FOUND: True}


COMPOSE_RUNNER = """\
services:
  traefik:
    image: traefik:v3.7
    volumes:
      - ./traefik/traefik.yml:/etc/traefik/traefik.yml:ro
      - ./traefik/dynamic:/config
      - /var/run/docker.sock:/var/run/docker.sock:ro
  chat:
    image: chat
    labels:
      - traefik.enable=true
      - traefik.http.routers.chat.rule=Host(`${CHAT_HOST}`) && PathPrefix(`/ws`)
      - traefik.http.services.chat.loadbalancer.server.port=3000
  hidden:
    image: hidden
    labels:
      - traefik.http.routers.hidden.rule=PathPrefix(`/`)
"""

COMPOSE_STATIC = """\
entryPoints:
  web:
    address: ":8080"
providers:
  docker:
    exposedByDefault: false
  file:
    directory: /config
"""

CONFIG_ROUTER = WS_ROUTER.replace("chat", "api").replace("/ws", "/api")


@pytest.mark.parametrize("target", ["docker-compose.yml", "traefik/traefik.yml"])
def test_compose_runner_static_file_labels_and_mounts(target: str, tmp_path: Path, rules: RuleSet) -> None:
    """The compose service that runs Traefik mounts its static file and the file provider's directory; the
    Docker provider reads the labels (only traefik.enable=true ones: exposedByDefault is false); `${CHAT_HOST}`
    comes from the project's .env. Linted through either file, the configuration is the same."""
    files = {
        "docker-compose.yml": COMPOSE_RUNNER,
        ".env": "# the public host\nCHAT_HOST=chat.example.test\n",
        "traefik/traefik.yml": COMPOSE_STATIC,
        "traefik/dynamic/api.yml": CONFIG_ROUTER.replace("api.example.test", "chat.example.test"),
    }
    report = lint(tmp_path, rules, files, target, MISSING, FOUND, "ws://chat.example.test:8080/api/x")
    assert not _warnings(report), _warnings(report)
    routes = {r.endpoint.raw: r.route.match.pattern if r.route else None for r in chrome(report)}
    assert routes == {MISSING: None, FOUND: "chat@docker", "ws://chat.example.test:8080/api/x": "api@file"}
    assert [f.rule for f in report.findings] == ["route-miss"]


def test_docker_provider_reads_compose_beside_the_static_file(tmp_path: Path, rules: RuleSet) -> None:
    files = {
        "traefik.yml": STATIC.format(providers="  docker: {}\n"),
        "compose.yaml": "services:\n  chat:\n    image: chat\n    labels:\n"
        "      traefik.http.routers.chat.rule: Host(`chat.example.test`) && PathPrefix(`/ws`)\n",
    }
    report = lint(tmp_path, rules, files, "traefik.yml", FOUND, MISSING)
    assert {r.endpoint.raw: r.route is not None for r in chrome(report)} == {FOUND: True, MISSING: False}
    assert [f.rule for f in report.findings] == ["route-miss"]
    assert "compose.yaml" in report.configs[0].files


def test_default_rule_router_never_matches_a_dotted_host(tmp_path: Path, rules: RuleSet) -> None:
    """traefik.enable=true without a rule: the Docker provider's default rule is a Host made of the container's
    name, which has no dots, so a dotted host is routed as if the router did not exist."""
    files = {
        "docker-compose.yml": (
            "services:\n  traefik:\n    image: traefik:v3.7\n    command:\n"
            "      - --entrypoints.web.address=:8080\n      - --providers.docker=true\n"
            "  db:\n    image: db\n    labels:\n      - traefik.enable=true\n"
            "  chat:\n    image: chat\n    labels:\n"
            "      - traefik.http.routers.chat.rule=Host(`chat.example.test`) && PathPrefix(`/ws`)\n"
        )
    }
    report = lint(tmp_path, rules, files, "docker-compose.yml", FOUND, MISSING, "ws://db:8080/ws")
    by_url = {r.endpoint.raw: r for r in chrome(report)}
    assert by_url[FOUND].route is not None and by_url[FOUND].certain
    assert by_url[MISSING].route is None and by_url[MISSING].certain
    # a host without dots could be the container's name: not known
    assert not by_url["ws://db:8080/ws"].certain


def test_compose_interpolation() -> None:
    env = {"HOST": "a.test", "EMPTY": ""}
    assert interpolate("Host(`${HOST}`)", env) == "Host(`a.test`)"
    assert interpolate("$$apr1$$x", env) == "$apr1$x"
    assert interpolate("${EMPTY:-b.test}|${HOST:+set}|$HOST", env) == "b.test|set|a.test"
    unknown = interpolate("Host(`${NOPE}`)", env)
    assert unknown != "Host(`${NOPE}`)" and shown(unknown) == "Host(`${NOPE}`)"


MOUNTING_COMPOSE = """\
services:
  traefik:
    image: traefik:v3.7
    volumes:
      - ./traefik/traefik.yml:/etc/traefik/traefik.yml:ro
      - ./traefik/dynamic:/config
"""


def test_a_compose_file_over_the_size_limit_mounts_nothing(tmp_path: Path, rules: RuleSet) -> None:
    """The compose file that says where /config is mounted is read within --limits like every other file:
    too big, it is not read, so the provider directory is not found, and wslint says so instead of claiming
    the 404."""
    files = {
        "docker-compose.yml": MOUNTING_COMPOSE + "# padding\n" * 400,
        "traefik/traefik.yml": STATIC.format(providers=FILE_PROVIDER.format(directory="/config")),
        "traefik/dynamic/a.yml": WS_ROUTER,
    }
    report = lint(tmp_path, rules, files, "traefik/traefik.yml", MISSING, FOUND)
    assert [f.rule for f in report.findings] == ["route-miss"]
    assert not _warnings(report)
    small = ProjectConfig(limits=Limits(file_size=2000))
    report = lint(tmp_path, rules, {}, "traefik/traefik.yml", MISSING, FOUND, project=small)
    assert not _routing_claims(report), _routing_claims(report)
    assert any("/config" in w for w in _warnings(report)), _warnings(report)
