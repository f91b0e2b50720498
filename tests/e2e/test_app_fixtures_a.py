"""The app fixtures of group a (apps/*.yaml), proven on the real proxy binaries.

Each app has its documented configuration for nginx and one other proxy
(fixtures/<proxy>/app-<id>/, linted finding-free by tests/test_fixtures.py) and
a broken variant with the mistake users make (fixtures/<proxy>/app-<id>-broken/,
with `# expect:` on the line wslint flags). Here every fixture runs on its proxy
with the app on 127.0.0.1 and every endpoint it declares is opened as each
simulated browser: the documented configuration upgrades and echoes for all of
them; the broken one fails exactly where its mistake is (the other endpoints
and browsers still work), or upgrades and is then cut while idle when the
mistake is a timeout. The profiles and the fixtures are checked against each
other too: every app has both variants for nginx and another proxy, and its
documented nginx configuration declares the profile's WebSocket endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.app_fixture_runner import FIXTURES, fixture_endpoints, started
from tests.e2e.wsclient import CONNECTION_HEADERS, Outcome, handshake

APPS = FIXTURES.parent / "apps"
GROUP_A = (
    "mattermost",
    "home-assistant",
    "grafana",
    "jupyter",
    "jupyterhub",
    "nextcloud-notify-push",
    "gitlab",
    "mastodon",
    "rocket-chat",
    "uptime-kuma",
    "immich",
    "vaultwarden",
    "code-server",
    "portainer",
)

ALL_CLIENTS = tuple(CONNECTION_HEADERS)


@dataclass(frozen=True)
class Fails:
    """Where a broken fixture fails: these endpoints (indexes into its --ws-url list, all when
    None) for these clients, with this HTTP status when given; with `idle`, they upgrade and
    are cut after that long idle."""

    endpoints: tuple[int, ...] | None = None
    clients: tuple[str, ...] = ALL_CLIENTS
    status: int | None = None
    idle: float = 0.0


WORKS = None

# The apps that refuse a WebSocket whose Origin is not the Host they receive, so the proxy must
# pass the client's Host: Grafana Live (centrifuge's same-host check), Jupyter Server and the
# JupyterHub single-user servers (WebSocketMixin.check_origin), Uptime Kuma (its Socket.IO
# allowRequest), code-server (ensureOrigin) and Portainer (gorilla's default Upgrader).
ORIGIN_CHECKING = {"grafana", "jupyter", "jupyterhub", "uptime-kuma", "code-server", "portainer"}

# (proxy, fixture directory, expectation)
CASES: list[tuple[str, str, Fails | None]] = [
    ("nginx", "app-mattermost", WORKS),
    ("nginx", "app-mattermost-broken", Fails(status=301)),
    ("haproxy", "app-mattermost", WORKS),
    ("haproxy", "app-mattermost-broken", Fails(idle=3.5)),
    ("nginx", "app-home-assistant", WORKS),
    ("nginx", "app-home-assistant-broken", Fails()),
    ("haproxy", "app-home-assistant", WORKS),
    ("haproxy", "app-home-assistant-broken", Fails(idle=3.5)),
    ("nginx", "app-grafana", WORKS),
    ("nginx", "app-grafana-broken", Fails()),
    ("traefik", "app-grafana", WORKS),
    ("traefik", "app-grafana-broken", Fails(status=404)),
    ("nginx", "app-jupyter", WORKS),
    ("nginx", "app-jupyter-broken", Fails(endpoints=(1, 2))),
    ("caddy", "app-jupyter", WORKS),
    ("caddy", "app-jupyter-broken", Fails(status=404)),
    ("nginx", "app-jupyterhub", WORKS),
    ("nginx", "app-jupyterhub-broken", Fails(status=404)),
    ("apache", "app-jupyterhub", WORKS),
    ("apache", "app-jupyterhub-broken", Fails()),
    ("nginx", "app-nextcloud-notify-push", WORKS),
    ("nginx", "app-nextcloud-notify-push-broken", Fails(status=404)),
    ("caddy", "app-nextcloud-notify-push", WORKS),
    ("caddy", "app-nextcloud-notify-push-broken", Fails(status=404)),
    ("nginx", "app-gitlab", WORKS),
    ("nginx", "app-gitlab-broken", Fails()),
    ("haproxy", "app-gitlab", WORKS),
    ("haproxy", "app-gitlab-broken", Fails(status=404)),
    ("nginx", "app-mastodon", WORKS),
    ("nginx", "app-mastodon-broken", Fails(status=404)),
    ("caddy", "app-mastodon", WORKS),
    ("caddy", "app-mastodon-broken", Fails(endpoints=(0,), status=404)),
    ("nginx", "app-rocket-chat", WORKS),
    ("nginx", "app-rocket-chat-broken", Fails(status=404)),
    ("apache", "app-rocket-chat", WORKS),
    ("apache", "app-rocket-chat-broken", Fails(clients=("firefox",), status=404)),
    ("nginx", "app-uptime-kuma", WORKS),
    ("nginx", "app-uptime-kuma-broken", Fails(status=404)),
    ("apache", "app-uptime-kuma", WORKS),
    ("apache", "app-uptime-kuma-broken", Fails()),
    ("nginx", "app-immich", WORKS),
    ("nginx", "app-immich-broken", Fails()),
    ("apache", "app-immich", WORKS),
    ("apache", "app-immich-broken", Fails()),
    ("nginx", "app-vaultwarden", WORKS),
    ("nginx", "app-vaultwarden-broken", Fails(endpoints=(1,))),
    ("haproxy", "app-vaultwarden", WORKS),
    ("haproxy", "app-vaultwarden-broken", Fails(status=503)),
    ("nginx", "app-code-server", WORKS),
    ("nginx", "app-code-server-broken", Fails()),
    ("caddy", "app-code-server", WORKS),
    ("caddy", "app-code-server-broken", Fails(clients=("firefox", "lowercase"), status=404)),
    ("nginx", "app-portainer", WORKS),
    ("nginx", "app-portainer-broken", Fails()),
    ("traefik", "app-portainer", WORKS),
    ("traefik", "app-portainer-broken", Fails(status=404)),
]


def _id(case: tuple[str, str, Fails | None]) -> str:
    return f"{case[0]}/{case[1]}"


BINARIES = {
    "nginx": "nginx_bin",
    "haproxy": "haproxy_bin",
    "apache": "apache_bin",
    "caddy": "caddy_bin",
    "traefik": "traefik_bin",
}


def _describe(outcomes: dict[tuple[int, str], Outcome], log: str, seen: list[str]) -> str:
    lines = [f"endpoint {i}: {o}" for (i, _), o in sorted(outcomes.items())]
    return "\n".join([*lines, f"app saw {seen}", log[-1500:]])


@pytest.mark.parametrize("app", GROUP_A)
def test_profile_has_its_fixtures(app: str) -> None:
    """Both variants for nginx and at least one other proxy, and the documented nginx
    configuration opens every endpoint of the profile (a prefix endpoint: some path below it)."""
    profile = yaml.safe_load((APPS / f"{app}.yaml").read_text())
    assert profile["id"] == app
    proxies = {p for p, name, _ in CASES if name == f"app-{app}"}
    broken = {p for p, name, _ in CASES if name == f"app-{app}-broken"}
    assert "nginx" in proxies and len(proxies) >= 2, proxies
    assert broken == proxies, (proxies, broken)
    declared = [(e.path, e.query) for e in fixture_endpoints("nginx", f"app-{app}")]
    for ws in profile["websockets"]:
        path, query, prefix = ws["path"], ws["query"], ws["prefix"]
        matches = [d for d in declared if (d[0].startswith(path) if prefix else d[0] == path) and d[1] == query]
        assert matches, f"{app}: {path}?{query} is not among the nginx fixture's endpoints {declared}"


@pytest.mark.realproxy
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_app_fixture_on_real_proxy(
    case: tuple[str, str, Fails | None], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    proxy, name, expect = case
    binary = str(request.getfixturevalue(BINARIES[proxy]))
    endpoints = fixture_endpoints(proxy, name)
    assert endpoints, f"{proxy}/{name} declares no --ws-url"
    app_id = name.removeprefix("app-").removesuffix("-broken")
    with started(proxy, binary, name, tmp_path, endpoints, app_id in ORIGIN_CHECKING) as run:
        outcomes = {
            (i, client): handshake(run.port, e.target, e.host_header or "", client)
            for i, e in enumerate(endpoints)
            for client in ALL_CLIENTS
        }
        failing: set[tuple[int, str]] = set()
        idle: dict[int, Outcome] = {}
        if expect is not None:
            indexes = range(len(endpoints)) if expect.endpoints is None else expect.endpoints
            if expect.idle:
                for i in indexes:
                    e = endpoints[i]
                    idle[i] = handshake(run.port, e.target, e.host_header or "", "chrome", idle=expect.idle)
            else:
                failing = {(i, c) for i in indexes for c in expect.clients}
        report = _describe({**outcomes, **{(i, "idle"): o for i, o in idle.items()}}, run.log(), run.app.seen.paths)
    for pair, outcome in outcomes.items():
        assert outcome.ok != (pair in failing), f"{proxy}/{name} {pair}: {outcome}\n{report}"
        if pair in failing and expect is not None and expect.status is not None:
            assert outcome.status == expect.status, f"{proxy}/{name} {pair}: {outcome}\n{report}"
    for i, outcome in idle.items():
        assert outcome.status == 101, f"{proxy}/{name} endpoint {i} did not upgrade before the idle wait\n{report}"
        assert not outcome.ok, f"{proxy}/{name} endpoint {i} survived {expect.idle if expect else 0}s idle\n{report}"
