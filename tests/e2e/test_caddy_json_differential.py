"""Caddy's JSON configuration, checked against the real caddy: what wslint says about the JSON that
`caddy adapt` makes of a Caddyfile equals what it says about the Caddyfile itself.

For each annotated fixture (fixtures/caddy/*/Caddyfile) and each generated layout (caddy_layouts.py), the
real `caddy adapt` prints the JSON; wslint lints both files with the same endpoints, and the findings
(rule, the route's listener and upstream) and every browser's endpoint result (outcome, status, redirect,
upstream, the path it receives, certainty) must be equal; only lines differ. For the layouts, the route
tree read from the JSON must also print back as caddy's JSON, and every probe of the routing differential
must get the same answer through both trees. Last, handshakes against `caddy run --config caddy.json`
(a broken and a fixed configuration) show that the verdicts wslint gives the JSON match what caddy does.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.backends import Backend
from tests.e2e.caddy_layouts import BACKENDS, PROBES, ask_wslint, layouts, load
from tests.e2e.caddy_proxy import Caddy, CaddyAdapter
from tests.e2e.generated import draw_examples
from tests.e2e.proxies import free_port
from tests.e2e.test_caddy_adapt_differential import _normalize, concrete
from tests.e2e.wsclient import CONNECTION_HEADERS, handshake
from wslint.adapters import AdapterOptions
from wslint.caddy.adapter import load_json_model
from wslint.caddy.build import CaddyModel
from wslint.core import LintOptions, Report, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import RuleSet, load_rules
from wslint.findings import Diagnostic
from wslint.inputs import InputFile

pytestmark = pytest.mark.realproxy

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "caddy"
OPTIONS = re.compile(r"#\s*wslint-test:\s*(.+)")
PORT = 8080
PORTS = {b: 9100 + i for i, b in enumerate(BACKENDS)}
_RULES: list[RuleSet] = []


def rules() -> RuleSet:
    if not _RULES:
        _RULES.append(load_rules())
    return _RULES[0]


def adapt(binary: str, caddyfile: Path, home: Path) -> str | None:
    """The JSON `caddy adapt` prints for the Caddyfile (imports resolved from its directory); None: refused."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home), "PATH": "/usr/bin:/bin"}
    res = subprocess.run(
        [binary, "adapt", "--config", caddyfile.name, "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=caddyfile.parent,
        env=env,
    )
    if res.returncode != 0:
        return None
    # pretty-printed, as people keep a caddy.json
    return json.dumps(json.loads(res.stdout), indent=2) + "\n"


def summary(report: Report) -> tuple[Any, ...]:
    findings = sorted(
        {
            (f.rule, f.route.listener if f.route else None, f.route.upstream if f.route else None)
            for f in report.findings
        },
        key=repr,
    )
    results = sorted(
        {
            (
                str(r.endpoint),
                r.client,
                r.outcome,
                r.status,
                r.location,
                r.upstream,
                r.backend_path,
                r.certain,
                r.upgrades,
            )
            for c in report.configs
            for r in c.endpoint_results
        },
        key=repr,
    )
    errors = [d.message for d in report.diagnostics if d.severity.label == "error"]
    return tuple(findings), tuple(results), len(errors)


def lint(path: Path, urls: list[str]) -> Report:
    return run(
        LintOptions(paths=(str(path),), proxy="caddy", endpoints=tuple(parse_endpoint(u) for u in urls)), rules()
    )


def fixture_urls(caddyfile: Path) -> list[str]:
    urls: list[str] = []
    for line in caddyfile.read_text().splitlines():
        if m := OPTIONS.search(line):
            args = iter(shlex.split(m.group(1)))
            urls += [next(args) for a in args if a == "--ws-url"]
    return urls


FIXTURE_CASES = sorted(d for d in FIXTURES.iterdir() if (d / "Caddyfile").is_file())


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=lambda p: p.name)
def test_fixture_json_lints_like_its_caddyfile(case: Path, caddy_bin: str, tmp_path: Path) -> None:
    text = adapt(caddy_bin, case / "Caddyfile", tmp_path / "home")
    if text is None:
        # stream-close-delay: caddy 2.6 refuses the keyword, which is that fixture's point
        assert any(f.rule == "keyword-too-new" for f in lint(case / "Caddyfile", []).findings)
        return
    urls = fixture_urls(case / "Caddyfile")
    (tmp_path / "caddy.json").write_text(text)
    mine = lint(case / "Caddyfile", urls)
    theirs = lint(tmp_path / "caddy.json", urls)
    assert theirs.linted and theirs.linted[0].proxy == "caddy"
    assert summary(theirs) == summary(mine), text


def json_model(text: str, path: Path) -> CaddyModel | None:
    diagnostics: list[Diagnostic] = []
    options = AdapterOptions(version=(2, 6, 2), version_text="2.6.2", version_assumed=False)
    loaded = load_json_model(InputFile(str(path), None, text), options, diagnostics)
    return loaded[0] if loaded is not None else None


LAYOUT_URLS = (
    "ws://app.example.test:8080/ws/chat",
    "ws://app.example.test:8080/api/websocket",
    "ws://app.example.test:8080/socket.io/?EIO=4&transport=websocket",
    "ws://other.example.test:8080/ws/",
)


LAYOUTS = 200


def test_generated_layouts_json_lints_like_the_caddyfile(caddy_adapter: CaddyAdapter, tmp_path: Path) -> None:
    stats = {"layouts": 0, "refused": 0, "probes": 0}
    for i, layout in enumerate(draw_examples(layouts(), LAYOUTS, "caddy json")):
        for https in (False, True):
            tmp = tmp_path / f"layout{i}-{'https' if https else 'http'}"
            tmp.mkdir()
            compare_layout(layout, https, caddy_adapter, tmp, stats)
    # every layout, twice, was compared, most of them as JSON
    assert stats["layouts"] >= 300
    assert stats["refused"] < stats["layouts"] / 4
    assert stats["probes"] > 10000


def compare_layout(layout: str, https: bool, adapter: CaddyAdapter, tmp: Path, stats: dict[str, int]) -> None:
    """The layout as written (plain HTTP, automatic HTTPS off), or with its sites on HTTPS: automatic HTTPS
    on, which Caddy applies to the JSON at run time (TLS on 8080, redirects on port 80)."""
    text = concrete(layout)
    urls = list(LAYOUT_URLS)
    if https:
        text = text.replace("\tauto_https off\n", "").replace("http://", "")
        urls = [u.replace("ws://", "wss://") for u in urls] + ["ws://app.example.test/ws/chat"]
    (tmp / "Caddyfile").write_text(text)
    # a layout has no imports: caddy's admin API adapts it as `caddy adapt` does
    result, _ = adapter.adapt(text)
    stats["layouts"] += 1
    if result is None:
        stats["refused"] += 1
        return
    adapted = json.dumps(result, indent=2) + "\n"
    (tmp / "caddy.json").write_text(adapted)
    # the tree read from the JSON prints back as caddy's JSON
    from_json = json_model(adapted, tmp / "caddy.json")
    assert from_json is not None, adapted
    servers = json.loads(adapted)["apps"]["http"]["servers"]
    theirs = _normalize({n: {"listen": s.get("listen"), "routes": s.get("routes", [])} for n, s in servers.items()}, {})
    # (the redirects automatic HTTPS adds at run time are no part of the file)
    assert _normalize({s.name: s.to_json() for s in from_json.app.servers if not s.automatic}, {}) == theirs
    # the same answer to every probe through both trees
    from_caddyfile = load(text, tmp / "Caddyfile")
    assert from_caddyfile is not None
    names = {f"127.0.0.1:{p}": b for b, p in PORTS.items()}
    for probe in PROBES:
        assert ask_wslint(from_json, probe, PORT, names) == ask_wslint(from_caddyfile, probe, PORT, names), (
            probe,
            text,
        )
        stats["probes"] += 1
    # and the same findings and endpoint results
    assert summary(lint(tmp / "caddy.json", urls)) == summary(lint(tmp / "Caddyfile", urls)), text


def test_most_fixtures_are_compared_as_json(caddy_bin: str, tmp_path: Path) -> None:
    """test_fixture_json_lints_like_its_caddyfile compares a fixture only when caddy adapts it."""
    adapted = [case for case in FIXTURE_CASES if adapt(caddy_bin, case / "Caddyfile", tmp_path / case.name) is not None]
    assert len(adapted) >= 5, adapted


# -- handshakes through `caddy run --config caddy.json` ---------------------------------------------------

BROKEN = {
    "apps": {
        "http": {
            "servers": {
                "app": {
                    "listen": ["127.0.0.1:__PORT__"],
                    "automatic_https": {"disable": True},
                    "routes": [
                        {
                            "match": [{"host": ["app.example.test"]}],
                            "handle": [
                                {
                                    "handler": "subroute",
                                    "routes": [
                                        {
                                            "match": [{"path": ["/ws/*"], "header": {"Connection": ["Upgrade"]}}],
                                            "handle": [
                                                {"handler": "reverse_proxy", "upstreams": [{"dial": "__APP__"}]}
                                            ],
                                        },
                                        {"handle": [{"handler": "static_response", "status_code": 404}]},
                                    ],
                                }
                            ],
                            "terminal": True,
                        }
                    ],
                }
            }
        }
    }
}


def _fixed() -> dict[str, Any]:
    fixed = json.loads(json.dumps(BROKEN))
    route = fixed["apps"]["http"]["servers"]["app"]["routes"][0]["handle"][0]["routes"][0]
    route["match"] = [{"path": ["/ws/*"], "header_regexp": {"Connection": {"pattern": "(?i)\\bupgrade\\b"}}}]
    return fixed


def _flat(path: str) -> dict[str, Any]:
    """Hand-written style: top-level routes with host and path in one matcher set, no subroute."""
    return {
        "apps": {
            "http": {
                "servers": {
                    "app": {
                        "listen": ["127.0.0.1:__PORT__"],
                        "automatic_https": {"disable": True},
                        "routes": [
                            {
                                "match": [{"host": ["app.example.test"], "path": [path]}],
                                "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "__APP__"}]}],
                            },
                            {
                                "match": [{"host": ["app.example.test"]}],
                                "handle": [{"handler": "static_response", "status_code": 404}],
                            },
                        ],
                    }
                }
            }
        }
    }


def _dropped_upgrade() -> dict[str, Any]:
    cfg = _fixed()
    rp = cfg["apps"]["http"]["servers"]["app"]["routes"][0]["handle"][0]["routes"][0]["handle"][0]
    rp["headers"] = {"request": {"delete": ["Upgrade"]}}
    return cfg


def caddy_json_run(binary: str, prefix: Path, config: str) -> Caddy:
    """The harness's caddy, run on a JSON file (no adapter): `caddy run --config caddy.json`."""
    return Caddy(binary, prefix, config, adapter=None)


@pytest.mark.parametrize(
    ("name", "config", "rule"),
    [
        ("broken", BROKEN, "connection-exact-match"),
        ("fixed", _fixed(), None),
        ("upgrade-dropped", _dropped_upgrade(), "upgrade-header-not-forwarded"),
        ("flat-exact-path", _flat("/ws"), "ws-path-not-proxied"),
        ("flat-prefix", _flat("/ws*"), None),
    ],
)
def test_json_verdicts_match_caddy_run(
    name: str, config: dict[str, Any], rule: str | None, caddy_bin: str, tmp_path: Path
) -> None:
    with Backend() as app:
        port = free_port()
        text = json.dumps(config, indent=2).replace("__PORT__", str(port)).replace("__APP__", f"127.0.0.1:{app.port}")
        doc = json.loads(text)
        doc["admin"] = {"disabled": True}
        text = json.dumps(doc, indent=2) + "\n"
        # what wslint says, per browser
        path = tmp_path / "lint" / "caddy.json"
        path.parent.mkdir()
        path.write_text(text)
        url = f"ws://app.example.test:{port}/ws/chat"
        report = lint(path, [url])
        assert not report.has_errors, report.diagnostics
        assert {f.rule for f in report.findings} == ({rule} if rule else set())
        verdicts = {r.client: r.upgrades for c in report.configs for r in c.endpoint_results}
        assert set(verdicts) == set(CONNECTION_HEADERS)
        # what caddy does
        proxy = caddy_json_run(caddy_bin, tmp_path / "run", text)
        proxy.start(port)
        try:
            real = {c: handshake(port, "/ws/chat", f"app.example.test:{port}", c).ok for c in CONNECTION_HEADERS}
        finally:
            proxy.stop()
        assert verdicts == real, (verdicts, real, proxy.output())
        if name == "broken":
            # Chrome's `Connection: Upgrade` passes the exact matcher, Firefox's does not
            assert real == {"chrome": True, "firefox": False, "lowercase": False}
        elif rule is None:
            assert all(real.values())
        else:
            assert not any(real.values())


def _https_port_config(port: int, app: int, automatic: dict[str, bool], http_port: int) -> str:
    """A server on the HTTPS port without host names: automatic HTTPS makes it TLS unless disabled, and
    answers every plain-HTTP host on the HTTP port (127.0.0.1, as the server listens) with a redirect."""
    doc = {
        "admin": {"disabled": True},
        "apps": {
            "http": {
                "http_port": http_port,
                "https_port": port,
                "servers": {
                    "s": {
                        "listen": [f"127.0.0.1:{port}"],
                        "automatic_https": automatic,
                        "routes": [
                            {"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{app}"}]}]}
                        ],
                    }
                },
            }
        },
    }
    return json.dumps(doc, indent=2) + "\n"


@pytest.mark.parametrize(
    ("automatic", "status", "redirect"),
    [({}, 400, 308), ({"disable_redirects": True}, 400, None), ({"disable": True}, 101, None)],
    ids=["tls-on-the-https-port", "redirects-disabled", "automatic-https-disabled"],
)
def test_automatic_https_on_json_matches_caddy_run(
    automatic: dict[str, bool], status: int, redirect: int | None, caddy_bin: str, tmp_path: Path
) -> None:
    with Backend() as app:
        port, http_port = free_port(), free_port()
        text = _https_port_config(port, app.port, automatic, http_port)
        path = tmp_path / "lint" / "caddy.json"
        path.parent.mkdir()
        path.write_text(text)
        urls = [f"ws://127.0.0.1:{port}/ws", f"ws://app.example.test:{http_port}/ws"]
        report = lint(path, urls)
        assert not report.has_errors, report.diagnostics
        results = {
            (str(r.endpoint.port), r.client): (r.status if r.outcome != "proxied" else 101)
            for c in report.configs
            for r in c.endpoint_results
        }
        proxy = caddy_json_run(caddy_bin, tmp_path / "run", text)
        proxy.start(port)
        try:
            real = {(str(port), c): handshake(port, "/ws", f"127.0.0.1:{port}", c).status for c in CONNECTION_HEADERS}
            if redirect is not None:
                for c in CONNECTION_HEADERS:
                    real[(str(http_port), c)] = handshake(http_port, "/ws", f"app.example.test:{http_port}", c).status
        finally:
            proxy.stop()
        assert {k: v for k, v in real.items() if k[0] == str(port)} == {
            (str(port), c): status for c in CONNECTION_HEADERS
        }, proxy.output()
        if redirect is not None:
            assert {k: v for k, v in real.items() if k[0] == str(http_port)} == {
                (str(http_port), c): redirect for c in CONNECTION_HEADERS
            }
        assert {k: v for k, v in results.items() if k in real} == real
