"""The command line: exit codes, formats, options, and the JSON contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from wslint.cli import app

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "fixtures" / "nginx" / "example-chat" / "nginx.conf"
SCHEMA = json.loads((REPO / "wslint" / "data" / "report-schema.json").read_text())

CLEAN = """\
map $http_upgrade $connection_upgrade { default upgrade; '' close; }
server {
    listen 80;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
    }
}
"""

BROKEN = """\
server {
    listen 80;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection keep-alive;
        proxy_read_timeout 10s;
    }
}
"""


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)

    def write(text: str, name: str = "site.conf") -> str:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return name

    return write


def test_clean_config_exits_zero_and_says_so(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke(conf(CLEAN))
    assert code == 0
    assert out == "no problems found in 1 file\n"


def test_findings_are_compiler_style_with_route_and_fix(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke(conf(BROKEN), "--color", "never")
    assert code == 1
    assert re.search(
        r"^site\.conf:8:9: error WS103 \[connection-header-not-upgrade\] `proxy_set_header Connection "
        r"keep-alive` sends `Connection: keep-alive`",
        out,
        re.M,
    )
    assert "    route: *:80 app.example.test location /ws/ -> http://127.0.0.1:3000" in out
    assert '        proxy_set_header Connection "upgrade";' in out
    assert re.search(r"^site\.conf:9:9: warning WS301 \[idle-timeout-short\]", out, re.M)
    assert out.endswith("1 error, 1 warning, 0 info in 1 file\n")


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_threshold(conf, fail_on: str, expected: int) -> None:  # type: ignore[no-untyped-def]
    code, _ = invoke(conf(BROKEN), "--fail-on", fail_on)
    assert code == expected


def test_fail_on_error_ignores_warnings(conf) -> None:  # type: ignore[no-untyped-def]
    code, _ = invoke(conf(BROKEN), "--select", "WS301", "--fail-on", "error")
    assert code == 0
    code, _ = invoke(conf(BROKEN), "--select", "WS301")
    assert code == 1


def test_json_matches_the_documented_schema(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke(conf(BROKEN), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    first = doc["findings"][0]
    assert (first["rule"], first["code"], first["category"], first["severity"]) == (
        "connection-header-not-upgrade",
        "WS103",
        "missing-connection-header",
        "error",
    )
    assert (first["path"], first["line"], first["column"], first["proxy"]) == ("site.conf", 8, 9, "nginx")
    assert first["route"]["match"] == "/ws/"
    assert first["route"]["upstream"] == "http://127.0.0.1:3000"
    edit = first["fix"]["edits"][0]
    assert (edit["start_line"], edit["start_column"], edit["end_line"]) == (8, 9, 8)
    assert edit["new_text"] == 'proxy_set_header Connection "upgrade";'
    assert doc["tool"]["proxy_versions"] == {"nginx": "1.28.0"}


def test_json_is_deterministic(conf) -> None:  # type: ignore[no-untyped-def]
    name = conf(BROKEN)
    outs = {invoke(name, "--format", "json")[1] for _ in range(3)}
    assert len(outs) == 1


def test_parse_error_is_a_diagnostic_with_file_and_line_and_exit_2(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke(conf("server {\n    listen 80;\n    location / {\n}\n"), "--format", "json")
    assert code == 2
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["findings"] == []
    (diag,) = doc["diagnostics"]
    # the line nginx -t names: the end of the file, one past its last newline
    assert diag["kind"] == "parse" and diag["path"] == "site.conf" and diag["line"] == 5
    code, out = invoke("site.conf", "--color", "never")
    assert code == 2
    assert "Traceback" not in out
    assert re.search(r"^site\.conf:5: error: unexpected end of file", out, re.M)


def test_missing_file_is_exit_2(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke("nope.conf")
    assert code == 2
    assert "nope.conf: no such file or directory" in out


def test_unknown_rule_in_select_is_a_usage_error(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke(conf(CLEAN), "--select", "WS999")
    assert code == 2
    assert "no rule matches 'WS999'" in out


def test_select_and_ignore_by_id_code_and_prefix(conf) -> None:  # type: ignore[no-untyped-def]
    name = conf(BROKEN)

    def rules_of(*args: str) -> set[str]:
        return {f["code"] for f in json.loads(invoke(name, "--format", "json", *args)[1])["findings"]}

    assert rules_of() == {"WS103", "WS301"}
    assert rules_of("--select", "WS3") == {"WS301"}
    assert rules_of("--ignore", "connection-header-not-upgrade") == {"WS301"}
    assert rules_of("--select", "WS103,WS301", "--ignore", "WS301") == {"WS103"}


def test_stdin_with_a_filename(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke("-", "--stdin-filename", "conf.d/app.conf", "--format", "json", input=BROKEN)
    assert code == 1
    assert {f["path"] for f in json.loads(out)["findings"]} == {"conf.d/app.conf"}


def test_cannot_tell_says_what_it_saw_and_suggests_only_plausible_proxies(conf) -> None:  # type: ignore[no-untyped-def]
    name = conf("name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n", ".github/workflows/ci.yml")
    code, out = invoke(name)
    assert code == 2
    assert (
        "cannot tell which proxy .github/workflows/ci.yml configures: it is a GitHub Actions workflow; "
        "pass --proxy traefik if it is one"
    ) in out
    assert "--proxy nginx" not in out
    code, out = invoke(conf("[program:app]\ncommand=/usr/bin/app\n", "supervisord.conf"))
    assert code == 2
    assert "supervisord.conf configures: it looks like an INI file" in out
    assert "--proxy nginx" not in out


def test_cannot_tell_on_stdin(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke("-", input="apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n")
    assert code == 2
    assert "cannot tell which proxy stdin configures: it is a Kubernetes Deployment" in out
    # stdin with a Caddyfile's content is read as Caddy, not nginx
    code, out = invoke("-", "--ws-path", "/ws", "--format", "json", input="http://example.com {\n\trespond 404\n}\n")
    assert code == 1
    assert [f["code"] for f in json.loads(out)["findings"]] == ["WS503"]


def test_a_traefik_file_traefik_refuses_is_an_error_with_file_and_line(conf) -> None:  # type: ignore[no-untyped-def]
    text = 'http:\n  routers:\n    chat:\n      rule: "Path(`/ws`)"\n      service: chat\n  servces:\n    chat: {}\n'
    code, out = invoke(conf(text, "dynamic.yml"))
    assert code == 2
    assert (
        "dynamic.yml:6:3: error: 'servces' is not a key of http (did you mean 'services'?): "
        "Traefik refuses the whole file"
    ) in out
    assert "`field not found, node: servces`" in out


def test_unsupported_proxy_is_reported_not_guessed(conf, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from wslint import adapters

    monkeypatch.delitem(adapters.ADAPTERS, "nginx")
    name = conf(CLEAN)
    code, out = invoke(name)
    assert code == 2
    assert "wslint cannot read nginx configurations yet" in out
    code, out = invoke(name, "--skip-unknown", "--format", "json")
    assert code == 0 and "skipped site.conf: nginx is not supported yet" in out


def test_rules_and_explain(conf) -> None:  # type: ignore[no-untyped-def]
    code, out = invoke("rules")
    assert code == 0
    assert re.search(r"^WS102\s+upgrade-header-not-forwarded\s+missing-upgrade-header\s+error\s+nginx\S*$", out, re.M)
    code, out = invoke("explain", "WS102")
    assert code == 0
    for section in ("What the client sees", "Why", "Broken (nginx)", "Fixed (nginx)", "References"):
        assert f"\n{section}\n" in out
    assert out.startswith("WS102 upgrade-header-not-forwarded: ")
    code, out = invoke("explain", "no-such-rule")
    assert code == 2


def test_version() -> None:
    from wslint import __version__

    code, out = invoke("--version")
    assert (code, out) == (0, f"wslint {__version__}\n")


def test_color_only_when_asked_and_no_color_wins(conf, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    name = conf(BROKEN)
    assert "\033[" not in invoke(name)[1]
    assert "\033[31merror\033[0m" in invoke(name, "--color", "always")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in invoke(name, "--color", "auto")[1]


def test_directory_argument_lints_its_nginx_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE.parent.parent)
    code, out = invoke("example-chat", "--format", "json")
    assert code == 1
    assert {f["path"] for f in json.loads(out)["findings"]} == {"example-chat/conf.d/chat.conf"}


def test_idle_threshold_option(conf) -> None:  # type: ignore[no-untyped-def]
    name = conf(CLEAN)
    assert invoke(name)[0] == 0
    code, out = invoke(name, "--idle-threshold", "5m", "--format", "json")
    assert code == 1
    (f,) = json.loads(out)["findings"]
    assert f["rule"] == "idle-timeout-short" and "default proxy_read_timeout of 60s" in f["message"]
    assert invoke(name, "--idle-threshold", "soon")[0] == 2


def test_user_rules_directory(conf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "myrules"
    rules.mkdir()
    (rules / "no-ws-on-root.yaml").write_text((REPO / "tests" / "data" / "user-rule.yaml").read_text())
    code, out = invoke(conf(CLEAN), "--rules", str(rules), "--format", "json")
    assert code == 1
    (f,) = json.loads(out)["findings"]
    assert (f["rule"], f["code"], f["line"]) == ("ws-location-without-timeout", "XX001", 5)


def test_bad_user_rule_names_file_and_field(conf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "bad"
    rules.mkdir()
    text = (REPO / "tests" / "data" / "user-rule.yaml").read_text().replace("severity: warning", "severity: fatal")
    (rules / "r.yaml").write_text(text)
    code, out = invoke(conf(CLEAN), "--rules", str(rules))
    assert code == 2
    assert f"{rules / 'r.yaml'}: severity: must be one of error, warning, info, got 'fatal'" in out


def test_a_rule_that_raises_is_an_internal_diagnostic_and_others_still_run(conf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "raising"
    rules.mkdir()
    text = (REPO / "tests" / "data" / "user-rule.yaml").read_text()
    # a model attribute that does not exist fails at load (tests/test_rule_contract.py); one on a plain
    # string only when the rule runs
    text = text.replace("when: route.idle_timeout.default", "when: route.name.no_such_attribute.value")
    (rules / "r.yaml").write_text(text)
    code, out = invoke(conf(BROKEN), "--rules", str(rules), "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert {f["code"] for f in doc["findings"]} == {"WS103", "WS301"}
    (diag,) = doc["diagnostics"]
    assert diag["kind"] == "internal" and "ws-location-without-timeout" in diag["message"]


def test_installed_entry_point_runs() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "wslint", str(EXAMPLE), "--color", "never"], capture_output=True, text=True
    )
    assert res.returncode == 1
    assert "WS103 [connection-header-not-upgrade]" in res.stdout


def test_readme_example_output_is_what_wslint_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```text\n\$ wslint (\S+)\n(.*?)```", readme, re.S)
    assert block is not None
    monkeypatch.chdir(REPO)
    code, out = invoke(block.group(1), "--color", "never")
    assert code == 1
    assert out == block.group(2)


def test_readme_rules_table_lists_every_rule() -> None:
    readme = (REPO / "README.md").read_text()
    rows = set(re.findall(r"^\| (WS\d{3}) \| `([a-z0-9-]+)` \| ([a-z0-9-]+) \| (\w+) \|$", readme, re.M))
    _, out = invoke("rules", "--format", "json")
    listed = {(r["code"], r["id"], r["category"], r["severity"]) for r in json.loads(out)}
    assert rows == listed


def test_readme_route_example_is_what_wslint_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```text\n\$ wslint route (.+?)\n(.*?)```", readme, re.S)
    assert block is not None
    monkeypatch.chdir(REPO)
    code, out = invoke("route", *block.group(1).split())
    assert code == 1
    assert out == block.group(2)
    assert "=> upgraded" in out and "redirect 301" in out and "with 404" in out


def test_route_json_and_exit_codes(conf) -> None:  # type: ignore[no-untyped-def]
    name = conf(CLEAN)
    code, out = invoke("route", name, "ws://app.example.test/ws/chat", "--format", "json")
    assert code == 0
    (r,) = [x for x in json.loads(out)["routes"] if x["client"] == "chrome"]
    assert (r["outcome"], r["upgrades"], r["route"], r["backend_path"]) == (
        "proxied",
        True,
        "location /ws/",
        "/ws/chat",
    )
    assert r["headers"]["Upgrade"] == "websocket" and r["http_version"] == "1.1"
    code, _ = invoke("route", name, "ws://app.example.test/other")
    assert code == 1
    code, out = invoke("route", name, "ftp://x/")
    assert code == 2 and "use a ws://" in out


def test_ws_url_declares_the_route_and_endpoint_rules_fire(conf) -> None:  # type: ignore[no-untyped-def]
    name = conf(CLEAN)
    code, out = invoke(name, "--ws-url", "ws://app.example.test/ws", "--format", "json")
    assert code == 1
    (f,) = json.loads(out)["findings"]
    assert (f["rule"], f["line"]) == ("trailing-slash-redirect", 5)
    assert f["fix"]["edits"][0]["new_text"].startswith("    location = /ws {\n")


def test_endpoints_file(conf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = conf(CLEAN)
    (tmp_path / "eps.yaml").write_text("- ws://app.example.test/ws\n- url: ws://app.example.test/ws/x\n  backend: /x\n")
    code, out = invoke(name, "--endpoints", "eps.yaml", "--format", "json")
    assert code == 1
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"trailing-slash-redirect", "path-rewritten"}
    (tmp_path / "bad.yaml").write_text("- url: ws://a/\n  colour: red\n")
    code, out = invoke(name, "--endpoints", "bad.yaml")
    assert code == 2 and "unknown key 'colour'" in out


def test_output_file_keeps_the_exit_code(conf, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = conf(BROKEN)
    code, out = invoke(name, "--format", "sarif", "--output", "report.sarif")
    assert (code, out) == (1, "")
    doc = json.loads((tmp_path / "report.sarif").read_text())
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"WS103", "WS301"}
    assert not list(tmp_path.glob(".*wslint-tmp"))


def test_auto_format_is_github_under_actions(conf, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    name = conf(BROKEN)
    assert invoke(name)[1].startswith("site.conf:8:9: error")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert invoke(name)[1].startswith("::error file=site.conf,line=8,col=9,title=WS103")
