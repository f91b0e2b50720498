"""A repository's configuration file is untrusted input in CI on a stranger's pull request: it may narrow what
wslint reads and spends, never widen it (roots and rules stay inside the repository, limits only go down),
it cannot turn every rule off without the output saying so, and the output names the file used. Without a
repository, discovery stops at the user's home directory and never takes a file from a world-writable
directory, from the filesystem root or owned by another user."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.test_cli import BROKEN, CLEAN, invoke


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "site.conf").write_text(BROKEN)
    monkeypatch.chdir(root)
    return root


def _config(repo: Path, text: str) -> None:
    (repo / ".wslint.yaml").write_text(text)


def test_roots_outside_the_repository_are_refused(repo: Path) -> None:
    _config(repo, "roots:\n  /etc/nginx: /\n")
    code, out = invoke("site.conf")
    assert code == 2 and "roots./etc/nginx: / is outside the repository" in out and "pass --root" in out
    _config(repo, "roots:\n  /etc/nginx: ../..\n")
    code, out = invoke("site.conf")
    assert code == 2 and "is outside the repository" in out
    (repo.parent / "elsewhere").mkdir()
    (repo / "link").symlink_to(repo.parent / "elsewhere")
    _config(repo, "roots:\n  /etc/nginx: link\n")
    code, out = invoke("site.conf")
    assert code == 2 and "is outside the repository" in out
    (repo / "deploy").mkdir()
    _config(repo, "roots:\n  /etc/nginx: deploy\n")
    code, _ = invoke("site.conf")
    assert code == 1
    # the command line may map anywhere
    code, _ = invoke("site.conf", "--root", f"/etc/nginx={repo.parent / 'elsewhere'}")
    assert code == 1


def test_rule_directories_outside_the_repository_are_refused(repo: Path) -> None:
    (repo.parent / "rules").mkdir()
    _config(repo, "rules: [../rules]\n")
    code, out = invoke("site.conf")
    assert code == 2 and "rules: " in out and "is outside the repository" in out and "pass --rules" in out


def test_limits_only_go_down_in_the_file_and_up_on_the_command_line(repo: Path) -> None:
    _config(repo, "limits:\n  file-size: 100000000000000000000000000\n")
    code, out = invoke("site.conf")
    assert code == 2
    assert "limits.file-size: 100000000000000000000000000 is above the default of 10485760" in out
    assert "pass --limit file-size=100000000000000000000000000 on the command line" in out
    _config(repo, "limits:\n  file-size: 100\n")
    code, out = invoke("site.conf", "--color", "never")
    assert code == 2 and "over the limit of 100 bytes" in out
    code, _ = invoke("site.conf", "--limit", "file-size=20MB")
    assert code == 1
    code, out = invoke("site.conf", "--limit", "speed=3")
    assert code == 2 and "--limit takes NAME=VALUE" in out


def test_turning_every_rule_off_is_said(repo: Path) -> None:
    _config(repo, "ignore: [WS]\n")
    code, out = invoke("site.conf", "--color", "never")
    assert code == 0
    assert "warning: every rule for nginx is turned off (by select/ignore; configuration: " in out
    assert ".wslint.yaml): its configurations were read, nothing was checked" in out
    code, out = invoke("site.conf", "--color", "never", "--ignore", "WS")
    assert "every rule for nginx is turned off" in out


def test_the_configuration_used_is_named(repo: Path) -> None:
    _config(repo, "fail-on: error\n")
    _, out = invoke("site.conf", "--color", "never", "--verbose")
    assert f"configuration: {repo / '.wslint.yaml'}" in out.splitlines()
    _, out = invoke("site.conf", "--format", "sarif")
    (invocation,) = json.loads(out)["runs"][0]["invocations"]
    assert invocation["properties"] == {"configurationFile": str(repo / ".wslint.yaml")}
    (repo / ".wslint.yaml").unlink()
    _, out = invoke("site.conf", "--color", "never", "--verbose")
    assert "configuration: none found (defaults and the command line)" in out.splitlines()
    _, out = invoke("site.conf", "--format", "sarif")
    assert "properties" not in json.loads(out)["runs"][0]["invocations"][0]


SILENCE = "ignore: [WS]\n"


def _lint_outside_a_repository(start: Path) -> str:
    (start / "site.conf").write_text(CLEAN)
    code, out = invoke(str(start / "site.conf"), "--color", "never")
    assert code == 0
    return out


def test_without_a_repository_discovery_walks_up_to_home_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "srv" / "nginx" / "sites"
    project.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "srv" / ".wslint.yaml").write_text(SILENCE)
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    assert "turned off" in _lint_outside_a_repository(project)
    # the home directory is the last one looked in
    monkeypatch.setenv("HOME", str(tmp_path / "srv" / "nginx"))
    assert "turned off" not in _lint_outside_a_repository(project)
    (tmp_path / "srv" / "nginx" / ".wslint.yaml").write_text(SILENCE)
    assert "turned off" in _lint_outside_a_repository(project)


def test_without_a_repository_world_writable_and_foreign_files_are_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    project = shared / "project"
    project.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "elsewhere"))
    (shared / ".wslint.yaml").write_text(SILENCE)
    os.chmod(shared, 0o1777)
    assert "turned off" not in _lint_outside_a_repository(project)
    (project / ".wslint.yaml").write_text(SILENCE)
    assert "turned off" in _lint_outside_a_repository(project)
    if os.geteuid() == 0:
        os.chown(project / ".wslint.yaml", 54321, 54321)
        assert "turned off" not in _lint_outside_a_repository(project)
