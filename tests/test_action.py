"""The GitHub Action (action.yml): valid metadata, and its steps run locally against a repository
with a broken nginx configuration and a supervisord.conf (tests/action_runner.py plays the runner)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.action_runner import ActionRun, run_action
from tests.installed_wheel import REPO, Installed

ACTION = REPO / "action.yml"
SCHEMA = REPO / "tests" / "data" / "github-action.json"

BROKEN = """\
server {
    listen 80;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection keep-alive;
    }
}
"""
FIXED = BROKEN.replace("Connection keep-alive", 'Connection "upgrade"')


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return data


def test_action_metadata_matches_the_github_action_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(_action())]
    assert not errors


def test_scripts_get_inputs_only_through_env() -> None:
    steps = _action()["runs"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]
    assert len(scripts) >= 3
    assert not [s for s in scripts if "${{" in s]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "repo"
    (work / "deploy").mkdir(parents=True)
    (work / "deploy" / "nginx.conf").write_text(BROKEN)
    # not a proxy configuration: the action must skip it, not stop on it
    (work / "supervisord.conf").write_text("[program:app]\ncommand=/usr/bin/app\n")
    (work / "victim").write_text("still here\n")
    return work


def _job_env() -> dict[str, str]:
    """The runner's environment: no virtual environment of the tests, nothing pointing at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    test_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != test_bin)
    return env


class Upload:
    """Stands in for github/codeql-action/upload-sarif; fails like it does on a fork's pull request."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.calls: list[dict[str, str]] = []

    def __call__(self, with_: dict[str, str]) -> tuple[bool, dict[str, str]]:
        self.calls.append(with_)
        return self.ok, {}


def _python(with_: dict[str, str]) -> tuple[bool, dict[str, str]]:
    assert with_["update-environment"] == "false"
    return True, {"python-path": sys.executable}


def _run(repo: Path, installed: Installed, upload: Upload | None = None, **inputs: str) -> tuple[ActionRun, Path]:
    """Run the action with the venv built once for the session in place of its install step."""
    runner_temp = repo.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    run = run_action(
        ACTION,
        inputs=inputs,
        workspace=repo,
        runner_temp=runner_temp,
        uses={"actions/setup-python": _python, "github/codeql-action/upload-sarif": upload or Upload()},
        replace={"install": lambda env: (True, {"wslint": str(installed.wslint)})},
        base_env=_job_env(),
    )
    return run, runner_temp


def _sarif(run: ActionRun, runner_temp: Path) -> dict[str, Any]:
    path = Path(run.outputs["sarif-file"])
    assert path.is_relative_to(runner_temp)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_findings_give_exit_code_1_and_an_uploaded_sarif(repo: Path, installed_wslint: Installed) -> None:
    # the control: without --skip-unknown these paths stop wslint with exit code 2
    plain = installed_wslint.run("check", "deploy/nginx.conf", "supervisord.conf", cwd=repo)
    assert plain.returncode == 2, plain.stdout
    upload = Upload()
    run, runner_temp = _run(repo, installed_wslint, upload, paths="deploy/nginx.conf supervisord.conf")
    assert run.outputs["exit-code"] == "1"
    sarif = _sarif(run, runner_temp)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["WS103"]
    assert upload.calls == [{"sarif_file": run.outputs["sarif-file"], "category": "wslint"}]
    assert run.step("Warn that the SARIF upload failed").outcome == "skipped"
    assert run.failed is run.step("Fail on findings or errors")
    assert run.failed.returncode == 1
    assert not (repo / "wslint.sarif").exists()


def test_a_clean_repository_passes(repo: Path, installed_wslint: Installed) -> None:
    (repo / "deploy" / "nginx.conf").write_text(FIXED)
    run, runner_temp = _run(repo, installed_wslint)
    assert run.outputs["exit-code"] == "0"
    assert _sarif(run, runner_temp)["runs"][0]["results"] == []
    assert run.failed is None
    assert run.step("Fail on findings or errors").returncode == 0


def test_a_failed_upload_warns_and_keeps_wslints_verdict(repo: Path, installed_wslint: Installed) -> None:
    upload = Upload(ok=False)
    run, _ = _run(repo, installed_wslint, upload)
    assert len(upload.calls) == 1
    assert run.step("Upload SARIF to code scanning").outcome == "failure"
    (warning,) = run.commands("warning")
    assert warning.startswith("::warning title=wslint SARIF upload failed::")
    assert "fork" in warning
    assert run.failed is run.step("Fail on findings or errors")
    assert run.failed.returncode == 1


def test_github_format_annotates_and_uploads_nothing(repo: Path, installed_wslint: Installed) -> None:
    upload = Upload()
    run, _ = _run(repo, installed_wslint, upload, format="github")
    assert run.outputs == {"exit-code": "1", "sarif-file": ""}
    (error,) = run.commands("error")
    assert error.startswith("::error file=deploy/nginx.conf,line=8,")
    assert upload.calls == []
    assert run.failed is not None
    assert run.failed.returncode == 1


def test_paths_are_never_evaluated_by_a_shell(repo: Path, installed_wslint: Installed) -> None:
    run, runner_temp = _run(repo, installed_wslint, paths="deploy $(touch pwned) ; rm -rf victim *.conf `touch pwned2`")
    assert [p.name for p in repo.parent.rglob("pwned*")] == []
    assert (repo / "victim").read_text() == "still here\n"
    # each word reached wslint as it was written, the glob and the dash included
    words = ["$(touch", "pwned)", ";", "rm", "-rf", "victim", "*.conf", "`touch", "pwned2`"]
    sarif = _sarif(run, runner_temp)["runs"][0]
    notes = {n["message"]["text"]: n["level"] for n in sarif["invocations"][0]["toolExecutionNotifications"]}
    unread = [text for text, level in notes.items() if level == "error"]
    assert sorted(unread) == sorted(f"{w}: no such file or directory" for w in words if w != "victim")
    # victim exists: a file, but not a proxy configuration
    assert "skipped victim: not a proxy configuration" in notes
    # and deploy/ was still linted
    assert [r["ruleId"] for r in sarif["results"]] == ["WS103"]
    # the errors are in the log too, as annotations
    errors = run.commands("error")
    assert "::error file=rm,title=wslint io::rm: no such file or directory" in errors
    assert len(errors) == len(unread)
    assert run.outputs["exit-code"] == "2"
    assert run.failed is not None
    assert run.failed.returncode == 2


def test_args_are_never_evaluated_by_a_shell(repo: Path, installed_wslint: Installed) -> None:
    run, _ = _run(
        repo, installed_wslint, args="--ws-url wss://app.example.test/ws;touch${IFS}pwned --fail-on $(touch pwned2)"
    )
    assert [p.name for p in repo.parent.rglob("pwned*")] == []
    assert "Invalid value for '--fail-on': '$(touch' is not one of" in run.step("Lint").stderr
    assert run.outputs["exit-code"] == "2"


def test_a_usage_error_writes_no_sarif_and_fails_with_its_message(repo: Path, installed_wslint: Installed) -> None:
    upload = Upload()
    run, runner_temp = _run(repo, installed_wslint, upload, args="--no-such-option")
    assert run.outputs == {"exit-code": "2", "sarif-file": ""}
    assert list(runner_temp.rglob("*.sarif")) == []
    assert upload.calls == []
    assert run.step("Upload SARIF to code scanning").outcome == "skipped"
    (error,) = run.commands("error")
    assert error.startswith("::error title=wslint exited with 2::")
    assert "Error: No such option '--no-such-option'" in error
    assert "\n" not in error
    assert run.failed is run.step("Fail on findings or errors")
    assert run.failed.returncode == 2


def test_the_install_step_builds_an_isolated_venv(repo: Path, installed_wslint: Installed) -> None:
    """The whole action once for real: wslint installed from the action's directory into a venv in
    RUNNER_TEMP (the copy of the checkout the wheel was built from, so the checkout stays clean)."""
    runner_temp = repo.parent / "runner-temp"
    runner_temp.mkdir()
    run = run_action(
        installed_wslint.source / "action.yml",
        inputs={},
        workspace=repo,
        runner_temp=runner_temp,
        uses={"actions/setup-python": _python, "github/codeql-action/upload-sarif": Upload()},
        base_env=_job_env(),
    )
    install = run.step("Install wslint")
    assert install.outcome == "success", install.stdout + install.stderr
    assert install.env["WSLINT_SOURCE"] == str(installed_wslint.source)
    wslint = Path(install.outputs["wslint"])
    assert wslint.is_relative_to(runner_temp)
    where = subprocess.run(
        [str(wslint.parent / "python"), "-c", "import wslint; print(wslint.__file__)"],
        cwd=repo,
        env=_job_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert Path(where.stdout.strip()).is_relative_to(runner_temp), where.stderr
    assert run.outputs["exit-code"] == "1"
    assert [r["ruleId"] for r in _sarif(run, runner_temp)["runs"][0]["results"]] == ["WS103"]
    assert run.failed is run.step("Fail on findings or errors")
