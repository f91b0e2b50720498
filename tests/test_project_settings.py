"""Config files, suppressions, baselines and --fix/--diff, through the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import BROKEN, CLEAN, invoke


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(*args: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    code, out = invoke(*args, "--format", "json")
    return code, json.loads(out)["findings"]


# -- configuration ---------------------------------------------------------------


def test_config_is_discovered_upward_and_applies(repo: Path) -> None:
    (repo / "deploy").mkdir()
    (repo / "deploy" / "site.conf").write_text(BROKEN)
    (repo / ".wslint.yaml").write_text(
        "ignore: [WS301]\nseverity:\n  connection-header-not-upgrade: warning\nfail-on: error\n"
    )
    code, found = findings("deploy/site.conf")
    assert code == 0
    assert [(f["code"], f["severity"]) for f in found] == [("WS103", "warning")]


def test_pyproject_tool_section(repo: Path) -> None:
    (repo / "site.conf").write_text(CLEAN)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.wslint]\nendpoints = ["ws://app.example.test/ws"]\n'
    )
    code, found = findings("site.conf")
    assert code == 1 and [f["rule"] for f in found] == ["trailing-slash-redirect"]


def test_discovery_stops_at_the_repository_root(repo: Path) -> None:
    (repo.parent / ".wslint.yaml").write_text("ignore: [WS103]\n")
    try:
        (repo / "site.conf").write_text(BROKEN)
        _, found = findings("site.conf")
        assert {f["code"] for f in found} == {"WS103", "WS301"}
    finally:
        (repo.parent / ".wslint.yaml").unlink()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ignroe: [WS301]\n", ".wslint.yaml: ignroe: unknown key"),
        ("fail_on: error\n", "fail_on: unknown key (did you mean 'fail-on'?)"),
        ("fail-on: sometimes\n", "fail-on: must be one of error, warning, info, never"),
        ("severity:\n  WS103: fatal\n", "severity.WS103: unknown severity 'fatal'"),
        ("endpoints: [ftp://x/]\n", "endpoints[0]: 'ftp://x/': use a ws://"),
        ("versions:\n  iis: '10'\n", "versions.iis: unknown proxy"),
        ("roots:\n  etc/nginx: deploy\n", "roots.etc/nginx: the server directory must be absolute"),
        ("idle-threshold: soon\n", "idle-threshold: not a duration"),
        ("select: [WS999]\n", "no rule matches 'WS999'"),
        ("[not yaml\n", "not valid YAML"),
    ],
)
def test_config_errors_name_the_key(repo: Path, text: str, message: str) -> None:
    (repo / "site.conf").write_text(CLEAN)
    (repo / ".wslint.yaml").write_text(text)
    code, out = invoke("site.conf")
    assert code == 2
    assert message in out


def test_explicit_config_and_per_path_ignores(repo: Path) -> None:
    (repo / "legacy").mkdir()
    (repo / "legacy" / "old.conf").write_text(BROKEN)
    (repo / "site.conf").write_text(BROKEN)
    (repo / "ci.yaml").write_text('per-path-ignores:\n  "legacy/*.conf": [WS1, idle-timeout-short]\n')
    _, found = findings("site.conf", "legacy/old.conf", "--config", "ci.yaml")
    assert {(f["path"], f["code"]) for f in found} == {("site.conf", "WS103"), ("site.conf", "WS301")}


def test_init_writes_a_starter_that_loads(repo: Path) -> None:
    assert invoke("init") == (0, "wrote .wslint.yaml\n")
    assert "endpoints:" in (repo / ".wslint.yaml").read_text()
    (repo / "site.conf").write_text(CLEAN)
    assert invoke("site.conf")[0] == 0
    assert invoke("init")[0] == 2


def test_the_starter_versions_are_valid_for_every_proxy(repo: Path) -> None:
    """Uncommenting the starter's proxy versions gives a configuration wslint accepts."""
    assert invoke("init")[0] == 0
    starter = (repo / ".wslint.yaml").read_text()
    proxies = ("nginx", "haproxy", "traefik", "apache", "caddy")
    examples = re.sub(rf"^  # ({'|'.join(proxies)}): ", r"  \1: ", starter, flags=re.M)
    assert all(f"\n  {p}: " in examples for p in proxies)
    (repo / ".wslint.yaml").write_text(examples)
    (repo / "site.conf").write_text(CLEAN)
    code, out = invoke("site.conf")
    assert code == 0, out


# -- suppressions --------------------------------------------------------------------


def test_suppressions_need_a_reason_and_unused_ones_are_reported(repo: Path) -> None:
    text = BROKEN.replace(
        "proxy_set_header Connection keep-alive;",
        "proxy_set_header Connection keep-alive;  # wslint: ignore[WS103] the app reads Upgrade only",
    ).replace("location /ws/ {", "location /ws/ {  # wslint: ignore[idle-timeout-short] app pings every 5s")
    (repo / "site.conf").write_text(text)
    code, out = invoke("site.conf", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["findings"] == [] and doc["diagnostics"] == []
    (repo / "site.conf").write_text(text.replace("the app reads Upgrade only", ""))
    code, out = invoke("site.conf", "--format", "json")
    doc = json.loads(out)
    assert code == 2
    assert [f["code"] for f in doc["findings"]] == ["WS103"]
    assert "needs a reason" in doc["diagnostics"][0]["message"] and doc["diagnostics"][0]["line"] == 8
    (repo / "site.conf").write_text(CLEAN + "# wslint: ignore[WS102] kept from an old version\n")
    code, out = invoke("site.conf", "--format", "json")
    (diag,) = json.loads(out)["diagnostics"]
    assert code == 0 and diag["severity"] == "warning" and "unused suppression of WS102" in diag["message"]


def test_suppression_on_the_line_above(repo: Path) -> None:
    text = BROKEN.replace(
        "        proxy_set_header Connection keep-alive;",
        "        # wslint: ignore[connection-header-not-upgrade] backend is a long-poll server\n"
        "        proxy_set_header Connection keep-alive;",
    )
    (repo / "site.conf").write_text(text)
    _, found = findings("site.conf")
    assert [f["code"] for f in found] == ["WS301"]


# -- baseline ---------------------------------------------------------------------------


def test_baseline_hides_known_findings_and_survives_line_shifts(repo: Path) -> None:
    (repo / "site.conf").write_text(BROKEN)
    code, out = invoke("site.conf", "--baseline", "wslint-baseline.json", "--write-baseline")
    assert code == 0
    assert len(json.loads((repo / "wslint-baseline.json").read_text())["findings"]) == 2
    (repo / "site.conf").write_text(
        "# moved\n\n" + BROKEN.replace("proxy_read_timeout 10s;", "proxy_read_timeout 20s;")
    )
    code, found = findings("site.conf", "--baseline", "wslint-baseline.json")
    assert code == 1
    assert [f["code"] for f in found] == ["WS301"]
    code, out = invoke("site.conf", "--baseline", "wslint-baseline.json", "--color", "never")
    assert out.endswith("0 errors, 1 warning, 0 info in 1 file (1 in the baseline)\n")
    assert invoke("site.conf", "--baseline", "missing.json")[0] == 2


# -- fixes ------------------------------------------------------------------------------


def test_diff_shows_and_fix_applies_idempotently(repo: Path) -> None:
    (repo / "site.conf").write_bytes(BROKEN.replace("\n", "\r\n").encode())
    code, out = invoke("site.conf", "--diff", "--quiet")
    assert code == 1
    assert out.startswith("--- a/site.conf\n+++ b/site.conf\n")
    lines = [line.rstrip("\r") for line in out.splitlines()]
    assert "-        proxy_set_header Connection keep-alive;" in lines
    assert '+        proxy_set_header Connection "upgrade";' in lines
    assert (repo / "site.conf").read_bytes() == BROKEN.replace("\n", "\r\n").encode()
    code, out = invoke("site.conf", "--fix", "--color", "never")
    assert code == 0, out
    fixed = (repo / "site.conf").read_bytes()
    assert b'proxy_set_header Connection "upgrade";\r\n' in fixed and b"proxy_read_timeout 1h;\r\n" in fixed
    assert b"\n" not in fixed.replace(b"\r\n", b"")
    assert invoke("site.conf", "--fix")[0] == 0
    assert (repo / "site.conf").read_bytes() == fixed


def test_fix_never_touches_a_file_with_parse_errors(repo: Path) -> None:
    (repo / "site.conf").write_text(BROKEN + "}\n")
    before = (repo / "site.conf").read_text()
    assert invoke("site.conf", "--fix")[0] == 2
    assert (repo / "site.conf").read_text() == before


def test_statistics_and_quiet(repo: Path) -> None:
    (repo / "site.conf").write_text(BROKEN)
    _, out = invoke("site.conf", "--statistics", "--color", "never")
    assert out.endswith("    1  WS103  connection-header-not-upgrade\n    1  WS301  idle-timeout-short\n")
    _, out = invoke("site.conf", "--quiet", "--color", "never")
    assert out.splitlines() == [line for line in out.splitlines() if line.startswith("site.conf:")]
    assert len(out.splitlines()) == 2


def test_fixed_fixtures_pass_nginx_syntax_check(tmp_path: Path) -> None:
    """--fix on the README example yields a config nginx accepts and wslint finds clean."""
    import shutil

    from tests.e2e.proxies import find_binary

    src = Path(__file__).resolve().parents[1] / "fixtures" / "nginx" / "example-chat"
    work = tmp_path / "example"
    shutil.copytree(src, work)
    (work / ".git").mkdir()
    res = subprocess.run(
        [sys.executable, "-m", "wslint", "nginx.conf", "--fix", "--color", "never"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    second = subprocess.run(
        [sys.executable, "-m", "wslint", "nginx.conf", "--fix"], cwd=work, capture_output=True, text=True
    )
    assert second.returncode == 0 and "no problems found" in second.stdout
    nginx = find_binary("nginx")
    if nginx is None:
        return
    (work / "nginx.conf").write_text(
        (work / "nginx.conf").read_text().replace("worker_processes auto;", f"pid {work}/nginx.pid;")
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(work), "-e", str(work / "error.log"), "-c", str(work / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
