"""What goes where: the report on stdout, the diff alone with --diff, input problems on stderr in text mode,
paths relative to the repository root, rule names in any case, and a start-up that loads no linter for
--version and --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wslint.cli import app

from .test_cli import BROKEN

PARSE_ERROR = "server {\n    listen 81;\n    location / {\n        proxy_pass http://127.0.0.1:4000;\n}\n"
BARE = "server {\n    listen 80;\n    location /ws/ {\n        proxy_pass http://127.0.0.1:3000;\n    }\n}\n"


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- --diff ---------------------------------------------------------------------------------------


def test_diff_alone_on_stdout_and_the_report_on_stderr(here: Path) -> None:
    (here / "site.conf").write_text(BROKEN)
    code, out, err = invoke("site.conf", "--diff", "--color", "never")
    assert code == 1
    assert out.startswith("--- a/site.conf\n+++ b/site.conf\n")
    assert all(line[:1] in "-+ @\\" for line in out.splitlines())
    assert "error WS103" in err and err.endswith("1 error, 1 warning, 0 info in 1 file\n")
    assert (here / "site.conf").read_text() == BROKEN


def test_diff_with_a_machine_format_writes_the_report_to_output(here: Path) -> None:
    (here / "site.conf").write_text(BROKEN)
    code, out, err = invoke("site.conf", "--diff", "--format", "json")
    assert code == 2 and out == ""
    assert "--diff prints only the diff on stdout: write the json report with --output FILE" in err
    code, out, err = invoke("site.conf", "--diff", "--format", "json", "--output", "report.json")
    assert code == 1
    assert out.startswith("--- a/site.conf\n") and err == ""
    assert [f["code"] for f in json.loads((here / "report.json").read_text())["findings"]] == ["WS103", "WS301"]


def test_diff_of_stdin_is_labelled_with_the_stdin_filename(here: Path) -> None:
    code, out, _ = invoke("-", "--diff", "--ws-path", "/ws/", "--stdin-filename", "deploy/site.conf", input=BARE)
    assert code == 1
    assert out.startswith("--- a/deploy/site.conf\n+++ b/deploy/site.conf\n")
    assert "+        proxy_http_version 1.1;\n" in out
    code, out, _ = invoke("-", "--diff", "--ws-path", "/ws/", input=BARE)
    assert out.startswith("--- a/<stdin>\n+++ b/<stdin>\n")


def test_piped_configuration_gets_its_diff(here: Path) -> None:
    """`cat bare.conf | wslint - --diff` as a user types it (a real pipe, the installed entry point)."""
    res = subprocess.run(
        [sys.executable, "-m", "wslint", "-", "--diff", "--ws-path", "/ws/"],
        input=BARE,
        capture_output=True,
        text=True,
        cwd=here,
        timeout=120,
    )
    assert res.returncode == 1, res.stderr
    assert res.stdout.startswith("--- a/<stdin>\n")
    assert "proxy_set_header Upgrade $http_upgrade;" in res.stdout
    assert "error WS102" in res.stderr


# -- diagnostics ------------------------------------------------------------------------------------


def test_text_mode_reports_input_problems_on_stderr(here: Path) -> None:
    (here / "bad.conf").write_text(PARSE_ERROR)
    code, out, err = invoke("bad.conf", "--color", "never")
    assert code == 2
    assert err.startswith("bad.conf:") and ": error: " in err and "(parse)" in err
    assert out == "nothing was linted; 1 input error (reported on stderr)\n"


def test_machine_formats_keep_diagnostics_in_the_document(here: Path) -> None:
    (here / "bad.conf").write_text(PARSE_ERROR)
    code, out, err = invoke("bad.conf", "--format", "json")
    assert code == 2 and err == ""
    (d,) = json.loads(out)["diagnostics"]
    assert (d["kind"], d["path"]) == ("parse", "bad.conf")
    code, out, err = invoke("bad.conf", "--format", "sarif")
    assert err == ""
    (note,) = json.loads(out)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "parse"


# -- paths relative to the repository root --------------------------------------------------------


def test_gitlab_and_sarif_paths_are_relative_to_the_repository_root(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (here / ".git").mkdir()
    (here / "deploy" / "nginx").mkdir(parents=True)
    (here / "deploy" / "nginx" / "site.conf").write_text(BROKEN)
    monkeypatch.chdir(here / "deploy")
    code, out, _ = invoke("nginx/site.conf", "--format", "gitlab")
    assert code == 1
    assert {i["location"]["path"] for i in json.loads(out)} == {"deploy/nginx/site.conf"}
    code, out, _ = invoke("nginx/site.conf", "--format", "sarif")
    run_ = json.loads(out)["runs"][0]
    assert run_["originalUriBaseIds"] == {"%SRCROOT%": {"uri": here.resolve().as_uri() + "/"}}
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run_["results"]]
    assert locations and all(loc == {"uri": "deploy/nginx/site.conf", "uriBaseId": "%SRCROOT%"} for loc in locations)
    # the text report keeps the path as typed
    _, out, _ = invoke("nginx/site.conf", "--color", "never")
    assert out.startswith("nginx/site.conf:8:9: ")


def test_without_git_the_working_directory_is_the_root(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "work").mkdir()
    (here / "elsewhere").mkdir()
    (here / "elsewhere" / "site.conf").write_text(BROKEN)
    monkeypatch.chdir(here / "work")
    outside = str(here / "elsewhere" / "site.conf")
    (here / "work" / "site.conf").write_text(BROKEN)
    code, out, _ = invoke("site.conf", outside, "--format", "sarif")
    assert code == 1
    run_ = json.loads(out)["runs"][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (here / "work").resolve().as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]}
    assert uris == {"site.conf", Path(outside).resolve().as_uri()}


# -- rule names in any case -------------------------------------------------------------------------


def test_rule_codes_and_ids_in_any_case(here: Path) -> None:
    (here / "site.conf").write_text(BROKEN)
    code, out, _ = invoke("explain", "ws102")
    assert code == 0 and out.startswith("WS102 upgrade-header-not-forwarded: ")
    assert invoke("explain", "Upgrade-Header-Not-Forwarded")[1] == out
    code, out, _ = invoke("site.conf", "--select", "ws103", "--format", "json")
    assert [f["code"] for f in json.loads(out)["findings"]] == ["WS103"]
    code, out, _ = invoke(
        "site.conf", "--select", "ws1", "--ignore", "Connection-Header-Not-Upgrade", "--format", "json"
    )
    assert code == 0 and json.loads(out)["findings"] == []
    code, out, _ = invoke("site.conf", "--select", "ws0", "--format", "json")
    assert code == 2


def test_suppressions_and_config_keys_in_any_case(here: Path) -> None:
    text = BROKEN.replace(
        "proxy_set_header Connection keep-alive;",
        "proxy_set_header Connection keep-alive; # wslint: ignore[ws103] legacy",
    )
    (here / "site.conf").write_text(text)
    (here / ".wslint.yaml").write_text("select: [ws1, Ws3]\nseverity:\n  Idle-Timeout-Short: error\n  ws103: info\n")
    code, out, _ = invoke("site.conf", "--format", "json")
    doc = json.loads(out)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("WS301", "error")]
    assert doc["diagnostics"] == []
    (here / ".wslint.yaml").write_text("ignore: [ws301]\nper-path-ignores:\n  '*.conf': [WS1]\n")
    code, out, _ = invoke("site.conf", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []
    # a suppression whose rule no longer fires is still reported, whatever its case
    assert any("unused suppression of ws103" in d["message"] for d in json.loads(out)["diagnostics"])


# -- start-up -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"], ["probe", "--help"]])
def test_version_and_help_load_no_linter(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from wslint.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('wslint.core', 'wslint.engine', 'wslint.adapters', 'wslint.formatters', 'jinja2', 'yaml')\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "LOADED []"
    assert ("wslint " in res.stdout) if args == ["--version"] else ("Usage:" in res.stdout)


def _entry(args: list[str], cwd: Path, module: str = "wslint.entry") -> subprocess.CompletedProcess[str]:
    """`wslint ARGS` through the executable's entry point (or through wslint.cli), in a process of its own."""
    code = f"import sys\nfrom {module} import main\nsys.exit(main({args!r}))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize(
    "args", [["site.conf"], ["check", "site.conf", "--format", "json", "-j", "1", "--select", "WS1", "-q"]]
)
def test_a_lint_loads_no_command_line_framework_and_no_jinja(here: Path, args: list[str]) -> None:
    """Neither typer nor Jinja (the shipped rules run translated) nor PyYAML for the common ways to lint, once
    the per-user cache holds the rules (the first run of a new version fills it: that one may need them)."""
    (here / "site.conf").write_text(BROKEN)
    code = (
        "import sys\n"
        "from wslint.entry import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exc:\n"
        "    print('EXIT', exc.code)\n"
        "loaded = ('typer', 'click', 'multiprocessing', 'jinja2', 'yaml', 'tomllib', 'difflib')\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in loaded))\n"
    )
    env = {**os.environ, "WSLINT_CACHE_DIR": str(here / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=here, env=env)
        for _ in range(2)
    ]
    assert runs[0].stdout.splitlines()[-2] == "EXIT 1", runs[0].stderr
    assert runs[1].stdout.splitlines()[-2:] == ["EXIT 1", "LOADED []"], runs[1].stderr


@pytest.mark.parametrize(
    "args",
    [
        ["site.conf"],
        ["site.conf", "clean.conf"],
        ["clean.conf"],
        ["broken.conf"],
        ["missing.conf"],
        ["--version"],
        ["site.conf", "--format", "json"],
        ["rules"],
        [],
        # the options the entry point reads itself, and spellings it leaves to typer (which words the errors)
        ["check", "site.conf", "clean.conf", "--format=sarif", "--jobs", "1", "--fail-on", "error"],
        ["--format", "github", "site.conf", "-j", "0", "--color", "never", "--statistics"],
        ["site.conf", "--select", "ws1", "--select", "WS3", "--ignore=upstream-http-version", "-v", "--no-apps"],
        ["site.conf", "--proxy", "nginx", "--quiet", "--skip-unknown"],
        ["site.conf", "--proxy", "Nginx"],
        ["site.conf", "--format", "yaml"],
        ["site.conf", "--jobs", "x"],
        ["site.conf", "--jobs", "+2"],
        ["site.conf", "--jobs=-1"],
        ["site.conf", "-j=2"],
        ["site.conf", "--format", "json", "--format", "text"],
        ["site.conf", "-q", "-q"],
        ["site.conf", "--select"],
        ["site.conf", "--select="],
        ["site.conf", "--frmat", "json"],
        ["--format", "json"],
        ["site.conf", "--", "-q"],
        ["check", "rules"],
        ["site.conf", "rules"],
    ],
)
def test_the_entry_point_behaves_as_the_command_line(here: Path, args: list[str]) -> None:
    (here / "site.conf").write_text(BROKEN)
    (here / "clean.conf").write_text("server {\n    listen 80;\n}\n")
    (here / "broken.conf").write_text(PARSE_ERROR)
    fast, full = _entry(args, here), _entry(args, here, "wslint.cli")
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
    assert fast.stdout or fast.stderr
