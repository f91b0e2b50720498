"""Files wslint makes (--output, --write-baseline, init) go through mkstemp and a rename: a symbolic link a
pull request committed at that path is replaced, never written through, and a failed write is a usage error
naming the file, with nothing half-written and no temporary file left."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.test_cli import BROKEN, invoke
from wslint import safe_writes


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / "repo" / "site.conf").write_text(BROKEN)
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


def _victim(repo: Path) -> Path:
    victim = repo.parent / "victim.txt"
    victim.write_text("precious\n")
    return victim


@pytest.mark.parametrize(
    "args",
    [
        ("site.conf", "--output", "wslint.sarif", "--format", "sarif"),
        ("site.conf", "--baseline", "wslint.sarif", "--write-baseline"),
        ("init", "wslint.sarif", "--force"),
    ],
    ids=["output", "write-baseline", "init"],
)
def test_a_committed_link_is_replaced_not_followed(repo: Path, args: tuple[str, ...]) -> None:
    victim = _victim(repo)
    (repo / "wslint.sarif").symlink_to(victim)
    # a link at the name the old code used for its temporary file, too
    (repo / ".wslint.sarif.wslint-tmp").symlink_to(victim)
    code, _ = invoke(*args)
    assert code in (0, 1)
    assert victim.read_text() == "precious\n"
    written = repo / "wslint.sarif"
    assert not written.is_symlink() and written.stat().st_size > 0
    assert not [p for p in repo.iterdir() if p.name.startswith(".wslint.sarif.") and not p.is_symlink()]


def test_a_missing_directory_is_a_usage_error_naming_the_file(repo: Path) -> None:
    code, out = invoke("site.conf", "--output", "no/such/dir/report.json", "--format", "json")
    assert code == 2
    assert "wslint: error: cannot write no/such/dir/report.json: No such file or directory" in out


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM])
def test_a_failing_write_is_a_usage_error_and_leaves_the_old_report(
    repo: Path, monkeypatch: pytest.MonkeyPatch, err: int
) -> None:
    (repo / "report.json").write_text("old report\n")

    def fails(fd: int) -> None:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(safe_writes.os, "fsync", fails)
    code, out = invoke("site.conf", "--output", "report.json", "--format", "json")
    assert code == 2
    assert f"wslint: error: cannot write report.json: {os.strerror(err)}" in out
    assert "internal error" not in out
    assert (repo / "report.json").read_text() == "old report\n"
    assert sorted(p.name for p in repo.iterdir()) == [".git", "report.json", "site.conf"]


def test_two_files_are_written_both_or_neither(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "a.txt").write_text("old a\n")
    real = safe_writes._write_all

    def second_fails(fd: int, data: bytes) -> None:
        if data == b"new b\n":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, data)

    monkeypatch.setattr(safe_writes, "_write_all", second_fails)
    with pytest.raises(safe_writes.ReportNotWritten, match=r"cannot write b\.txt: No space left on device"):
        safe_writes.write_reports({"a.txt": "new a\n", "b.txt": "new b\n"})
    assert (repo / "a.txt").read_text() == "old a\n"
    assert not (repo / "b.txt").exists()
    assert sorted(p.name for p in repo.iterdir()) == [".git", "a.txt", "site.conf"]


def test_the_report_has_the_usual_mode(repo: Path) -> None:
    old = os.umask(0o022)
    try:
        invoke("site.conf", "--output", "report.json", "--format", "json")
    finally:
        os.umask(old)
    assert (repo / "report.json").stat().st_mode & 0o777 == 0o644
