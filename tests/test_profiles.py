"""App profiles: recognizing the app a configuration proxies and checking its documented WebSocket endpoints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wslint.core import LintOptions, Report, run
from wslint.engine.rules import RuleSet
from wslint.findings import Severity
from wslint.profiles import ProfileError, load_profiles, parse_profile

REPO = Path(__file__).resolve().parents[1]
TEST_APPS = REPO / "tests" / "data" / "apps"

# TestChat's documented endpoint is /api/v2/bus; the site proxies every path to the app but the
# location for the socket forgets the upgrade headers
BROKEN = """\
upstream {upstream} {{ server 127.0.0.1:7777; }}
server {{
    listen 80;
    server_name {host};
    location / {{
        proxy_pass http://{upstream};
    }}
    location /api/v2/ {{
        proxy_pass http://{upstream};
        proxy_http_version 1.1;
    }}
}}
"""
WORKING = """\
upstream testchat_backend { server 127.0.0.1:7777; }
server {
    listen 80;
    server_name chat.example.test;
    location / {
        proxy_pass http://testchat_backend;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_read_timeout 1h;
    }
}
"""


def lint(tmp_path: Path, text: str, rules: RuleSet, **opts: object) -> Report:
    (tmp_path / "site.conf").write_text(text)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        settings: dict[str, object] = {"profiles": load_profiles([TEST_APPS]), **opts}
        return run(LintOptions(paths=("site.conf",), **settings), rules)  # type: ignore[arg-type]
    finally:
        os.chdir(here)


def test_an_app_named_by_its_upstream_gets_its_endpoints_checked(tmp_path: Path, rules: RuleSet) -> None:
    report = lint(tmp_path, BROKEN.format(upstream="testchat_backend", host="chat.example.test"), rules)
    assert report.findings, "the app's endpoint lands in a location without upgrade headers"
    f = next(f for f in report.findings if f.code == "WS102")
    assert f.line == 8 and f.severity == Severity.ERROR
    assert "TestChat's WebSocket endpoint, recognized by upstream `testchat_backend`" in f.message
    assert "https://testchat.example.test/docs/websocket" in f.message
    # and nothing without the profile: no route shows a WebSocket by itself
    plain = lint(tmp_path, BROKEN.format(upstream="testchat_backend", host="chat.example.test"), rules, profiles=())
    assert plain.findings == []


def test_a_correct_configuration_of_the_app_gets_no_finding(tmp_path: Path, rules: RuleSet) -> None:
    report = lint(tmp_path, WORKING, rules)
    assert report.findings == []
    (cfg,) = report.configs
    assert {r.endpoint.raw for r in cfg.endpoint_results} == {"ws://chat.example.test/api/v2/bus"}
    assert all(r.upgrades for r in cfg.endpoint_results)


@pytest.mark.parametrize(
    ("upstream", "host"),
    [
        # a word that contains the name is another word
        ("nottestchat", "www.example.test"),
        ("testchatter", "www.example.test"),
        ("chat", "www.example.test"),
    ],
)
def test_names_that_only_look_like_the_app_recognize_nothing(
    tmp_path: Path, rules: RuleSet, upstream: str, host: str
) -> None:
    report = lint(tmp_path, BROKEN.format(upstream=upstream, host=host), rules)
    (cfg,) = report.configs
    assert cfg.endpoint_results == () and report.findings == []


def test_the_server_name_recognizes_the_app(tmp_path: Path, rules: RuleSet) -> None:
    report = lint(tmp_path, BROKEN.format(upstream="backend", host="testchat.example.test"), rules)
    f = next(f for f in report.findings if f.code == "WS102")
    assert "recognized by server name `testchat.example.test`" in f.message


def test_a_distinctive_path_alone_only_suggests_the_app(tmp_path: Path, rules: RuleSet) -> None:
    text = """\
server {
    listen 80;
    server_name www.example.test;
    location /api/v2/bus {
        proxy_pass http://127.0.0.1:3000;
    }
}
"""
    report = lint(tmp_path, text, rules)
    assert report.findings
    assert all(f.severity == Severity.INFO for f in report.findings)
    assert all("suggested by" in f.message for f in report.findings if f.route is not None)
    # the same path proxied to the app's port is the app
    strong = lint(tmp_path, text.replace("3000", "7777"), rules)
    assert any(f.severity == Severity.ERROR and "recognized by" in f.message for f in strong.findings)


def test_an_app_named_outright_is_checked_and_recognition_can_be_off(tmp_path: Path, rules: RuleSet) -> None:
    text = BROKEN.format(upstream="backend", host="www.example.test")
    assert lint(tmp_path, text, rules).findings == []
    named = lint(tmp_path, text, rules, apps=("testchat",))
    assert any(f.code == "WS102" and "--app or apps:" in f.message for f in named.findings)
    off = lint(tmp_path, BROKEN.format(upstream="testchat", host="www.example.test"), rules, recognize_apps=False)
    assert off.findings == []


def test_an_endpoint_the_user_declared_is_not_checked_twice(tmp_path: Path, rules: RuleSet) -> None:
    from wslint.endpoints import parse_endpoint

    text = BROKEN.format(upstream="testchat", host="chat.example.test")
    report = lint(tmp_path, text, rules, endpoints=(parse_endpoint("ws://chat.example.test/api/v2/bus"),))
    (cfg,) = report.configs
    assert {r.endpoint.origin for r in cfg.endpoint_results} == {None}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"colour": "blue"}, "colour: unknown key"),
        ({"websockets": [{"path": "/x"}]}, "websockets[0].source: must be the https:// URL"),
        ({"websockets": [{"path": "x", "source": "https://a"}]}, "websockets[0].path: must be a path"),
        ({"idle_timeout": "soon"}, "idle_timeout: not a duration"),
        ({"recognize": {"hosts": ["x"]}}, "recognize.hosts: unknown key"),
    ],
)
def test_a_profile_file_is_checked_strictly(change: dict[str, object], error: str) -> None:
    data: dict[str, object] = {
        "id": "x",
        "name": "X",
        "docs": "https://x.example.test",
        "websockets": [{"path": "/ws", "source": "https://x.example.test/ws"}],
        **change,
    }
    with pytest.raises(ProfileError, match=rf"apps/x\.yaml: {error}".replace("[", r"\[").replace("]", r"\]")):
        parse_profile(data, "apps/x.yaml")


def test_shipped_profiles_load_and_every_fact_has_a_source() -> None:
    profiles = load_profiles()
    for p in profiles:
        assert p.docs.startswith("https://")
        assert all(w.source.startswith("https://") for w in p.websockets)
        assert p.idle_timeout is None or (p.idle_source or "").startswith("https://")


def test_init_writes_the_apps_and_endpoints_it_recognizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from wslint import cli, profiles

    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "site.conf").write_text(WORKING)
    monkeypatch.chdir(tmp_path)
    shipped = profiles.load_profiles
    monkeypatch.setattr(profiles, "load_profiles", lambda dirs=(): shipped([TEST_APPS]))
    res = CliRunner().invoke(cli.app, ["init"], catch_exceptions=False)
    assert res.exit_code == 0 and "with 1 recognized app (testchat)" in res.output
    import yaml

    written = yaml.safe_load((tmp_path / ".wslint.yaml").read_text())
    assert written["apps"] == ["testchat"]
    assert written["endpoints"] == ["ws://chat.example.test/api/v2/bus"]
    # the starter lints like any config
    (tmp_path / ".wslint.yaml").unlink()
    res = CliRunner().invoke(cli.app, ["init", "--no-scan"], catch_exceptions=False)
    assert "recognized" not in res.output
    assert "apps" not in (yaml.safe_load((tmp_path / ".wslint.yaml").read_text()) or {})


def test_the_apps_heartbeat_sets_the_idle_time_its_socket_must_survive(tmp_path: Path, rules: RuleSet) -> None:
    # 75 s is above the 60 s wslint asks of any WebSocket, below the 90 s TestChat's heartbeat needs
    report = lint(tmp_path, WORKING.replace("proxy_read_timeout 1h", "proxy_read_timeout 75s"), rules)
    (f,) = report.findings
    assert f.code == "WS301" and "below the 90s it must survive (TestChat's heartbeat)" in f.message
    assert lint(tmp_path, WORKING.replace("proxy_read_timeout 1h", "proxy_read_timeout 95s"), rules).findings == []


def _lint_traefik_tree(tmp_path: Path, static: str, dynamic: str, rules: RuleSet) -> Report:
    """traefik.yml and dynamic/chat.yml written to tmp_path and linted from there with the test app profiles."""
    (tmp_path / "dynamic").mkdir()
    (tmp_path / "dynamic" / "chat.yml").write_text(dynamic)
    (tmp_path / "traefik.yml").write_text(static)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        return run(LintOptions(paths=("traefik.yml",), profiles=load_profiles([TEST_APPS])), rules)
    finally:
        os.chdir(here)


@pytest.mark.parametrize(("tls", "scheme"), [("      tls: {}\n", "wss"), ("", "ws")])
def test_a_traefik_router_that_serves_only_tls_gets_its_app_checked_over_wss(
    tmp_path: Path, rules: RuleSet, tls: str, scheme: str
) -> None:
    # the entryPoint's address says nothing of TLS in Traefik: the router's `tls` does, and a browser that
    # loads the app from it opens wss:// (a ws:// handshake there would be a route miss no client makes)
    static = "entryPoints:\n  websecure:\n    address: :8443\nproviders:\n  file:\n    directory: dynamic\n"
    dynamic = (
        'http:\n  routers:\n    testchat:\n      rule: "Host(`chat.example.test`)"\n      service: testchat\n'
        + tls
        + '  services:\n    testchat:\n      loadBalancer:\n        servers:\n          - url: "http://127.0.0.1:7777"\n'
    )
    report = _lint_traefik_tree(tmp_path, static, dynamic, rules)
    assert report.findings == []
    checked = {str(r.endpoint) for cfg in report.configs for r in cfg.endpoint_results}
    assert checked == {f"{scheme}://chat.example.test:8443/api/v2/bus"}


@pytest.mark.parametrize(
    ("web", "router_mw", "checked"),
    [
        # the entryPoint redirects every plain request to https: the app is checked on the TLS site only
        (
            "    http:\n      redirections:\n        entryPoint:\n          to: websecure\n          scheme: https\n",
            "",
            {"wss://chat.example.test/api/v2/bus"},
        ),
        # a router on the plain entryPoint whose redirectScheme sends browsers to https: likewise
        ("", "      middlewares: [to-https]\n", {"wss://chat.example.test/api/v2/bus"}),
        # no redirect: the app is served over plain http too, and checked there (one endpoint per host and path)
        ("", "", {"ws://chat.example.test/api/v2/bus"}),
    ],
)
def test_a_traefik_app_redirected_to_https_is_checked_where_browsers_open_it(
    tmp_path: Path, rules: RuleSet, web: str, router_mw: str, checked: set[str]
) -> None:
    static = (
        "entryPoints:\n  web:\n    address: :80\n" + web + "  websecure:\n    address: :443\n    http:\n      tls: {}\n"
        "providers:\n  file:\n    directory: dynamic\n"
    )
    dynamic = (
        "http:\n  middlewares:\n    to-https:\n      redirectScheme:\n        scheme: https\n  routers:\n"
        '    testchat-web:\n      rule: "Host(`chat.example.test`)"\n      entryPoints: [web]\n'
        + router_mw
        + "      service: testchat\n"
        '    testchat:\n      rule: "Host(`chat.example.test`)"\n      entryPoints: [websecure]\n'
        "      service: testchat\n"
        '  services:\n    testchat:\n      loadBalancer:\n        servers:\n          - url: "http://127.0.0.1:7777"\n'
    )
    report = _lint_traefik_tree(tmp_path, static, dynamic, rules)
    assert report.findings == []
    assert {str(r.endpoint) for cfg in report.configs for r in cfg.endpoint_results} == checked
