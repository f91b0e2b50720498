"""The pre-commit hook, for real: a repository, `pre-commit try-repo` against this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
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


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pre_commit() -> str:
    exe = shutil.which("pre-commit") or str(Path(os.sys.executable).parent / "pre-commit")  # type: ignore[attr-defined]
    if not Path(exe).exists():
        pytest.fail("pre-commit is a test dependency (pip install -e '.[test]')")
    return exe


def test_hook_fails_on_a_broken_config_and_passes_when_fixed(
    tmp_path: Path, pre_commit: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path / "project"
    (work / "deploy" / "snippets").mkdir(parents=True)
    _git(work, "init", "-q")
    _git(work, "config", "user.email", "test@example.invalid")
    _git(work, "config", "user.name", "test")
    (work / "deploy" / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    (work / "deploy" / "conf.d").mkdir()
    (work / "deploy" / "conf.d" / "app.conf").write_text(BROKEN)
    (work / "supervisord.conf").write_text("[program:app]\ncommand=/usr/bin/app\n")
    _git(work, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path_factory.getbasetemp() / "pre-commit-home")}

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "try-repo", str(REPO), "wslint", "--color", "never"],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    failed = hook()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "deploy/conf.d/app.conf:8:9: error WS103 [connection-header-not-upgrade]" in failed.stdout
    assert "supervisord.conf" not in failed.stdout.split("wslint (WebSocket proxy configuration lint)")[-1]
    _git(work, "commit", "-q", "--no-verify", "-m", "broken")
    (work / "deploy" / "conf.d" / "app.conf").write_text(
        BROKEN.replace("Connection keep-alive", 'Connection "upgrade"')
    )
    _git(work, "add", ".")
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
