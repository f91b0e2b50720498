"""Caddy's JSON configuration: the parser with positions, the mapping onto the route tree, detection,
bad input, and fixes that never edit JSON."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wslint.caddy.config import (
    HeaderMatcher,
    OpaqueMatcher,
    Passthrough,
    PathMatcher,
    ReverseProxy,
    StaticResponse,
    Subroute,
)
from wslint.caddy.json_config import JsonError, looks_like_caddy_json, parse_json, read_json_app
from wslint.core import LintOptions, run
from wslint.detect import detect
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import RuleSet
from wslint.fixer import plan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "caddy"

CONFIG = """\
{
  "apps": {
    "http": {
      "servers": {
        "srv0": {
          "listen": [":443"],
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
                        {
                          "handler": "reverse_proxy",
                          "headers": {"request": {"set": {"Connection": ["close"]}, "delete": ["Upgrade"]}},
                          "transport": {"protocol": "http", "read_timeout": "30s"},
                          "health_checks": {"active": {"uri": "/ws/health"}},
                          "upstreams": [{"dial": "127.0.0.1:9001"}]
                        }
                      ]
                    },
                    {"handle": [{"handler": "static_response", "status_code": 404}]}
                  ]
                }
              ],
              "terminal": true
            }
          ]
        }
      }
    }
  }
}
"""


def main(args: list[str]) -> int:
    from typer.testing import CliRunner

    from wslint.cli import app

    return CliRunner().invoke(app, args, catch_exceptions=False).exit_code


def _read(text: str, version: tuple[int, ...] = (2, 6, 2)):  # type: ignore[no-untyped-def]
    return read_json_app(text, "caddy.json", version, 200)


def _line(text: str, needle: str) -> int:
    return next(i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln)


# -- the parser ------------------------------------------------------------------------------------


def test_values_and_positions() -> None:
    doc = parse_json('{\n  "a": [1, -2.5e3, "x\\u00e9"],\n  "b": {"c": null, "d": true}\n}', "f.json")
    a = doc.value["a"]
    assert [x.value for x in a.value.value] == [1, -2500.0, "xé"]
    assert (a.source.line, a.source.column, a.source.end_line) == (2, 3, 2)
    assert a.value.value[2].source.column == 20
    assert doc.value["b"].value.value["d"].value.value is True
    assert (doc.source.line, doc.source.end_line, doc.source.end_column) == (1, 4, 2)


def test_repeated_keys_keep_the_last_value_as_go_does() -> None:
    doc = parse_json('{"a": 1, "a": 2}', "f.json")
    assert doc.value["a"].value.value == 2


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"a": 1,}', 1, 9),
        ('{"a": [1, 2,]}', 1, 13),
        ("{\n  // comment\n}", 2, 3),
        ('{"a": tru}', 1, 7),
        # the control character itself
        ('{"a": "x\ny"}', 1, 9),
        ('{"a": 1} x', 1, 10),
        ('{"a": 01}', 1, 8),
        ("", 1, 1),
        ('{"a": ', 1, 7),
        ("{'a': 1}", 1, 2),
        ('{"a": NaN}', 1, 7),
    ],
)
def test_syntax_errors_have_their_line(text: str, line: int, column: int) -> None:
    with pytest.raises(JsonError) as err:
        parse_json(text, "f.json")
    assert err.value.where is not None
    assert (err.value.where.line, err.value.where.column) == (line, column)


def test_nesting_is_bounded() -> None:
    with pytest.raises(JsonError, match="limits: nesting"):
        parse_json("[" * 300 + "]" * 300, "f.json", nesting=200)
    with pytest.raises(JsonError, match="limits: nesting"):
        parse_json('{"a":' * 100_000 + "1" + "}" * 100_000, "f.json", nesting=200)
    assert parse_json("[" * 200 + "]" * 200, "f.json", nesting=200).kind == "array"


def test_a_byte_order_mark_is_refused_like_go() -> None:
    with pytest.raises(JsonError):
        parse_json('\ufeff{"apps": {}}', "f.json")


# -- detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "caddy"),
    [
        (CONFIG, True),
        ('{"admin": {"disabled": true}, "apps": {"http": {}}}', True),
        ('{"logging": {"logs": {"x": {"apps": {}}}}, "apps": {}}', True),
        ('{"logging": {"apps": {}}}', False),
        ('{"apps": ["not", "an", "object"]}', False),
        ('{"http": {"routers": {"r": {"rule": "Host(`a`)"}}}}', False),
        ('[{"apps": {}}]', False),
        ('{"name": "x", "version": "1.0.0", "dependencies": {}}', False),
        # a truncated head still tells
        ('{"apps": {"http": {"servers": {"s": {"listen": [":80"', True),
    ],
)
def test_caddy_json_is_told_by_its_top_level_apps(text: str, caddy: bool) -> None:
    assert looks_like_caddy_json(text) is caddy
    assert (detect("conf/caddy.json", text) == "caddy") is caddy


def test_traefik_json_is_not_caddy() -> None:
    text = '{"http": {"routers": {"r": {"rule": "Host(`a`)", "service": "s"}}}, "entryPoints": {}}'
    assert detect("dyn.json", text) != "caddy"


def test_an_unrelated_json_file_is_skipped_with_skip_unknown(tmp_path: Path, rules: RuleSet) -> None:
    (tmp_path / "package.json").write_text('{"name": "x", "dependencies": {"apps": "1"}}\n')
    report = run(LintOptions(paths=(str(tmp_path / "package.json"),), skip_unknown=True), rules)
    assert not report.findings
    assert not report.has_errors
    assert any("skipped" in d.message for d in report.diagnostics)


# -- the mapping -----------------------------------------------------------------------------------


def test_the_route_tree_with_sources() -> None:
    read = _read(CONFIG)
    (server,) = [s for s in read.app.servers if not s.automatic]
    assert server.listen == [":443"] and server.tls
    site_route = server.routes[0]
    assert site_route.terminal and site_route.source is not None
    assert site_route.source.line == _line(CONFIG, '"match": [{"host"') - 1
    sub = site_route.handlers[0]
    assert isinstance(sub, Subroute)
    inner = sub.routes[0]
    path = inner.match[0].get("path")
    assert isinstance(path, PathMatcher) and path.patterns == ["/ws/*"]
    assert path.pattern_sources[0].line == _line(CONFIG, '"/ws/*"')
    header = inner.match[0].get("header")
    assert isinstance(header, HeaderMatcher) and header.fields == {"Connection": ["Upgrade"]}
    rp = inner.handlers[0]
    assert isinstance(rp, ReverseProxy)
    assert rp.source is not None and rp.source.line == _line(CONFIG, '"handler": "reverse_proxy"') - 1
    assert [u.dial for u in rp.upstreams] == ["127.0.0.1:9001"]
    assert rp.upstreams[0].source is not None and rp.upstreams[0].source.line == _line(CONFIG, '"dial"')
    assert rp.headers is not None
    assert [(k, v) for k, v, _ in rp.headers.set] == [("Connection", "close")]
    assert [k for k, _ in rp.headers.delete] == ["Upgrade"]
    assert rp.transport.read_timeout == 30.0
    assert rp.transport.read_timeout_source is not None
    assert rp.transport.read_timeout_source.line == _line(CONFIG, '"read_timeout"')
    assert rp.health is not None and rp.health.uri == "/ws/health"
    fallback = sub.routes[1].handlers[0]
    assert isinstance(fallback, StaticResponse) and fallback.status == "404"
    # the site and its automatic HTTPS redirect on port 80
    assert [s.hosts for s in server.sites] == [["app.example.test"]]
    redirect = next(s for s in read.app.servers if s.automatic)
    assert redirect.listen == [":80"]


def test_to_json_gives_back_what_was_read() -> None:
    read = _read(CONFIG)
    server = next(s for s in read.app.servers if s.name == "srv0")
    original = json.loads(CONFIG)["apps"]["http"]["servers"]["srv0"]
    assert server.to_json() == {"listen": original["listen"], "routes": original["routes"]}


def test_durations_in_nanoseconds_and_days() -> None:
    text = CONFIG.replace('"read_timeout": "30s"', '"read_timeout": 45000000000')
    rp = _read(text).app.servers[0].routes[0].handlers[0].routes[0].handlers[0]  # type: ignore[attr-defined]
    assert rp.transport.read_timeout == 45.0
    text = CONFIG.replace('"read_timeout": "30s"', '"read_timeout": "1d"')
    rp = _read(text).app.servers[0].routes[0].handlers[0].routes[0].handlers[0]  # type: ignore[attr-defined]
    assert rp.transport.read_timeout == 86400.0


def test_unknown_modules_are_opaque_with_a_warning() -> None:
    text = (
        '{"apps": {"http": {"servers": {"s": {"listen": [":8080"], "routes": [\n'
        '{"match": [{"remote_ip": {"ranges": ["10.0.0.0/8"]}}], "handle": [{"handler": "rate_limit"}]},\n'
        '{"match": [{"geoip": {"allow": ["FR"]}}], "handle": [{"handler": "encode"}]}\n'
        "]}}}}}"
    )
    read = _read(text)
    routes = read.app.servers[0].routes
    assert isinstance(routes[0].match[0].matchers[0], OpaqueMatcher)
    assert isinstance(routes[0].handlers[0], Passthrough)
    assert isinstance(routes[1].match[0].matchers[0], OpaqueMatcher)
    # remote_ip is a Caddy matcher wslint does not evaluate, geoip a plugin's; encode is Caddy's, rate_limit not
    assert [(m, s.line) for m, s in read.warnings] == [
        (
            "unknown handler module rate_limit (a plugin's?): whether it answers a request itself is unknown to "
            "wslint; Caddy without it refuses the configuration",
            2,
        ),
        ("unknown matcher module geoip (a plugin's?): its result is unknown; Caddy without it refuses it", 3),
    ]


def test_http_only_servers_and_skipped_names_are_plain_http() -> None:
    text = (
        '{"apps": {"http": {"servers": {\n'
        '"a": {"listen": [":8080"], "automatic_https": {"skip": ["a.test"]},'
        ' "routes": [{"match": [{"host": ["a.test"]}], "terminal": true}]},\n'
        '"b": {"listen": [":80"], "routes": [{"match": [{"host": ["b.test"]}]}]},\n'
        '"c": {"listen": [":9000"], "routes": [{"match": [{"host": ["c.test"]}]}]},\n'
        '"d": {"listen": [":9443"], "tls_connection_policies": [{}], "routes": []},\n'
        '"e": {"listen": [":9001"], "automatic_https": {"disable": true},'
        ' "routes": [{"match": [{"host": ["e.test"]}]}]}\n'
        "}}}}"
    )
    app = _read(text).app
    tls = {s.name: s.tls for s in app.servers}
    assert tls == {"a": False, "b": False, "c": True, "d": True, "e": False}
    # c.test's redirect joins the server on port 80
    b = next(s for s in app.servers if s.name == "b")
    assert any(isinstance(h, StaticResponse) and h.status == "308" for r in b.routes for h in r.handlers)


def test_stream_close_delay_is_too_new_for_2_6() -> None:
    text = CONFIG.replace('"upstreams": [', '"stream_close_delay": "5m", "upstreams": [')
    assert [n.keyword for n in _read(text).not_yet] == ["stream_close_delay"]
    assert not _read(text, (2, 7, 0)).not_yet


@pytest.mark.parametrize(
    ("change", "message", "needle"),
    [
        (('"listen": [":443"]', '"listen": ":443"'), "listen: expected an array, got string", '"listen"'),
        (('"/ws/*"]', '"/ws/*", 5]'), "matcher path: expected a string, got number", '"/ws/*"'),
        (('"read_timeout": "30s"', '"read_timeout": "soon"'), "invalid duration 'soon'", '"read_timeout"'),
        (('"handler": "static_response", ', ""), "a handler needs its module name", '"status_code"'),
        (('"terminal": true', '"terminal": "yes"'), "terminal: expected a boolean", '"terminal"'),
        (('"match": [{"host"', '"match": {"host"'), "match: expected an array, got object", '"host"'),
        (('{"path": ["/ws/*"]', '{"path_regexp": {"pattern": "(?<x>a"}'), "invalid regular expression", "path_regexp"),
    ],
)
def test_wrong_types_are_errors_with_their_line(change: tuple[str, str], message: str, needle: str) -> None:
    text = CONFIG.replace(*change)
    if change[1].startswith('"match": {"host"'):
        text = text.replace('["app.example.test"]}]', '["app.example.test"]}')
    with pytest.raises(JsonError, match=message.replace("(", r"\(").replace("?", r"\?")) as err:
        _read(text)
    assert err.value.where is not None
    assert err.value.where.line == _line(text, needle)


# -- through the linter ----------------------------------------------------------------------------


def _lint(path: Path, rules: RuleSet, *urls: str, **kw: object):  # type: ignore[no-untyped-def]
    return run(
        LintOptions(paths=(str(path),), endpoints=tuple(parse_endpoint(u) for u in urls), **kw),  # type: ignore[arg-type]
        rules,
    )


def test_findings_name_json_lines(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "caddy.json"
    path.write_text(CONFIG)
    report = _lint(path, rules, "wss://app.example.test/ws/chat")
    found = {(f.rule, f.line) for f in report.findings}
    assert ("idle-timeout-short", _line(CONFIG, '"read_timeout"')) in found
    assert ("connection-exact-match", _line(CONFIG, '"header": {"Connection"')) in found
    assert ("upgrade-header-not-forwarded", _line(CONFIG, '"delete": ["Upgrade"]')) in found
    assert all(f.path == str(path) for f in report.findings)
    assert not report.has_errors


def test_bad_input_is_exit_code_2_never_a_traceback(tmp_path: Path, rules: RuleSet) -> None:
    cases = {
        "syntax.json": '{"apps": {"http": {"servers": {"s": {"listen": [":80"],}}}}}',
        "types.json": '{"apps": {"http": {"servers": {"s": {"routes": {"handle": []}}}}}}',
        "deep.json": '{"apps": {"x": ' + "[" * 5000 + "]" * 5000 + "}}",
        "apps-string.json": '{"apps": "http"}',
        "port.json": '{"apps": {"http": {"http_port": "80", "servers": {}}}}',
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        code = main(["--proxy", "caddy", str(tmp_path / name)])
        assert code == 2, name
    (tmp_path / "binary.json").write_bytes(b'{"apps": {}}\xff\n')
    assert main(["--proxy", "caddy", str(tmp_path / "binary.json")]) == 2


def test_the_file_size_limit(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "caddy.json"
    path.write_text(CONFIG)
    assert not _lint(path, rules).has_errors
    from wslint.config import ProjectConfig
    from wslint.limits import Limits

    small = run(LintOptions(paths=(str(path),), project=ProjectConfig(limits=Limits(file_size=100))), rules)
    assert small.has_errors
    assert any("limits: file-size" in d.message or "over the limit" in d.message for d in small.diagnostics)
    assert main(["--proxy", "caddy", str(path)]) in (0, 1)


def test_fixes_on_json_carry_no_edits_and_fix_leaves_the_file_alone(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "caddy.json"
    path.write_text(CONFIG)
    report = _lint(path, rules, "wss://app.example.test/ws/chat")
    fixed = [f for f in report.findings if f.fix is not None]
    assert fixed, "the rules still describe their fix"
    assert all(not f.fix.edits for f in fixed if f.fix is not None)
    assert not plan(report.findings, report.texts).fixed
    before = path.read_bytes()
    main(["--fix", str(path), "--ws-url", "wss://app.example.test/ws/chat"])
    assert path.read_bytes() == before
    json.loads(path.read_text())


def test_the_caddyfile_still_gets_edits(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "Caddyfile"
    path.write_text(
        "app.example.test {\n\treverse_proxy 127.0.0.1:9001 {\n\t\ttransport http {\n\t\t\tread_timeout 30s\n\t\t}\n\t}\n}\n"
    )
    report = _lint(path, rules, "wss://app.example.test/ws/chat")
    assert any(f.fix is not None and f.fix.edits for f in report.findings)


def test_stdin_with_a_json_name(rules: RuleSet) -> None:
    report = run(
        LintOptions(
            paths=("-",),
            stdin_text=CONFIG,
            stdin_filename="caddy.json",
            endpoints=(parse_endpoint("wss://app.example.test/ws/chat"),),
        ),
        rules,
    )
    assert report.linted and report.linted[0].proxy == "caddy"
    assert any(f.rule == "idle-timeout-short" for f in report.findings)


# -- the JSON fixtures: fixtures/caddy/json-*/caddy.json, expectations in its expect.txt --------------


def json_cases() -> list[Path]:
    return sorted(d / "caddy.json" for d in FIXTURES.glob("json-*") if (d / "caddy.json").is_file())


@pytest.mark.parametrize("case", json_cases(), ids=lambda p: p.parent.name)
def test_json_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """expect.txt: `args: ...` lines (--ws-url), then `LINE RULE` for each finding expected."""
    urls: list[str] = []
    expect: set[tuple[int, str]] = set()
    for line in (case.parent / "expect.txt").read_text().splitlines():
        if line.startswith("args:"):
            args = iter(shlex.split(line[5:]))
            urls += [next(args) for a in args if a == "--ws-url"]
        elif line.strip() and not line.startswith("#"):
            number, rule = line.split()
            assert rules.get(rule) is not None, rule
            expect.add((int(number), rule))
    monkeypatch.chdir(FIXTURES)
    report = _lint(Path(os.path.relpath(case, FIXTURES)), rules, *urls)
    assert not report.has_errors, report.diagnostics
    assert report.linted[0].proxy == "caddy"
    assert {(f.line, f.rule) for f in report.findings} == expect


def test_an_unknown_handler_makes_the_verdict_uncertain(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "caddy.json"
    path.write_text(
        '{"apps": {"http": {"servers": {"s": {"listen": [":8080"], "routes": [\n'
        '{"handle": [{"handler": "rate_limit"}, {"handler": "encode"}]},\n'
        '{"match": [{"path": ["/ws/*"]}], "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "a:1"}]}]}\n'
        "]}}}}}"
    )
    report = _lint(path, rules, "ws://app.example.test:8080/ws/chat")
    (result, *_) = report.configs[0].endpoint_results
    assert result.outcome == "proxied" and not result.certain
    assert any("rate_limit" in u for u in result.uncertain)
    assert not any("encode" in u for u in result.uncertain)


# -- hostile and mangled input: a diagnostic, never a traceback --------------------------------------------

# as JSON text: each draw is a fresh value that later mutations may change
_ODD = st.sampled_from(
    [
        *("null", "0", "-1", "1.5", "1e400", '""', '"x"', '"{path}"', '"{time.now}"', '"/ws/*"', '"10s"', "true"),
        *("[]", "{}", "[1]", '["a"]', '{"a": 1}', '{"handler": "subroute"}', '[{"handler": "reverse_proxy"}]'),
        *('[{"path": ["{path}"]}]', '{"handler": "rewrite"}'),
    ]
)


def _paths(o: object, at: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [at] if at else []
    if isinstance(o, dict):
        for k, v in o.items():
            out += _paths(v, (*at, k))
    elif isinstance(o, list):
        for i, v in enumerate(o):
            out += _paths(v, (*at, i))
    return out


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_mangled_configurations_never_crash(data: st.DataObject) -> None:
    from wslint.adapters import AdapterOptions
    from wslint.caddy.adapter import load_caddy
    from wslint.inputs import InputFile

    sources = [CONFIG, *(p.read_text() for p in json_cases())]
    doc = json.loads(data.draw(st.sampled_from(sources)))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.sampled_from(_paths(doc)))
        node: Any = doc
        for k in at[:-1]:
            node = node[k]
        node[at[-1]] = json.loads(data.draw(_ODD))
    text = json.dumps(doc, indent=data.draw(st.sampled_from([None, 2])))
    endpoints = tuple(
        parse_endpoint(u) for u in ("ws://app.example.test:8080/ws/chat", "wss://chat.example.test/socket.io/", "/ws")
    )
    options = AdapterOptions(version=(2, 6, 2), version_text="2.6.2", version_assumed=False, endpoints=endpoints)
    diagnostics: list[object] = []
    load_caddy(InputFile("caddy.json", None, text), options, diagnostics)  # type: ignore[arg-type]


def test_a_directory_with_caddy_json_is_linted_through_it(tmp_path: Path, rules: RuleSet) -> None:
    (tmp_path / "caddy.json").write_text(CONFIG)
    (tmp_path / "notes.json").write_text('{"apps": "not a configuration"}\n')
    report = run(LintOptions(paths=(str(tmp_path),), endpoints=(parse_endpoint("wss://app.example.test/ws/x"),)), rules)
    assert [c.main_file for c in report.linted] == [str(tmp_path / "caddy.json")]
    assert any(f.rule == "idle-timeout-short" for f in report.findings)


@pytest.mark.parametrize("handler", ["authentication", "metrics"])
def test_a_handler_of_caddys_own_that_may_answer_makes_the_verdict_uncertain(
    tmp_path: Path, rules: RuleSet, handler: str
) -> None:
    path = tmp_path / "caddy.json"
    path.write_text(
        '{"apps": {"http": {"servers": {"s": {"listen": [":8080"], "routes": [\n'
        f'{{"handle": [{{"handler": "{handler}"}}]}},\n'
        '{"match": [{"path": ["/ws/*"]}], "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "a:1"}]}]}\n'
        "]}}}}}"
    )
    report = _lint(path, rules, "ws://app.example.test:8080/ws/chat")
    (result, *_) = report.configs[0].endpoint_results
    assert result.outcome == "proxied" and not result.certain
    assert any(handler in u for u in result.uncertain)
    assert not report.diagnostics, "a handler of Caddy's own is no unknown module"
