"""`--fix` on a real deployment: symlinks, hard links, owner and mode, refusals, all or nothing, what it reports."""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import wslint.fixer
from tests.test_cli import BROKEN
from wslint import safe_writes
from wslint.cli import app

REPO = Path(__file__).resolve().parents[1]
# what wslint makes of BROKEN: two findings, two one-line fixes
FIXED = BROKEN.replace("Connection keep-alive;", 'Connection "upgrade";').replace(
    "proxy_read_timeout 10s;", "proxy_read_timeout 1h;"
)
UNFIXABLE_PARSE_ERROR = "server {\n    listen 81;\n    location / {\n        proxy_pass http://127.0.0.1:4000;\n}\n"


def site(name: str) -> str:
    return BROKEN.replace("app.example.test", name)


def fixed_site(name: str) -> str:
    return FIXED.replace("app.example.test", name)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fix(*args: str) -> tuple[int, str, str]:
    """`wslint --fix ARGS` in this process: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, [*args, "--fix", "--color", "never"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def debian(root: Path, link: Callable[[Path], str]) -> Path:
    """nginx.conf including sites-enabled/*, where `app` is a link (made by `link`) to sites-available/app."""
    (root / "sites-available").mkdir()
    (root / "sites-enabled").mkdir()
    (root / "nginx.conf").write_text("events {}\nhttp {\n    include sites-enabled/*;\n}\n")
    real = root / "sites-available" / "app"
    real.write_text(BROKEN)
    (root / "sites-enabled" / "app").symlink_to(link(real))
    return real


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if ".wslint-" in p.name)


# -- symbolic links ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [lambda real: "../sites-available/app", lambda real: str(real)],
    ids=["relative", "absolute"],
)
def test_debian_sites_enabled_link_is_kept_and_its_target_fixed(repo: Path, link: Callable[[Path], str]) -> None:
    real = debian(repo, link)
    target_before = os.readlink(repo / "sites-enabled" / "app")
    code, out, err = fix("nginx.conf")
    assert code == 0, out + err
    assert (repo / "sites-enabled" / "app").is_symlink()
    assert os.readlink(repo / "sites-enabled" / "app") == target_before
    assert real.read_text() == FIXED
    assert err.splitlines() == [
        "wslint: fixed 2 findings in sites-available/app (through sites-enabled/app)",
        "wslint: fixed 2 findings in 1 file",
    ]
    assert "no problems found in 2 files" in out
    assert leftovers(repo) == []


def test_a_chain_of_links_is_followed_to_the_end(repo: Path) -> None:
    (repo / "real.conf").write_text(BROKEN)
    (repo / "middle.conf").symlink_to("real.conf")
    (repo / "first.conf").symlink_to("middle.conf")
    code, out, err = fix("first.conf")
    assert code == 0, out + err
    assert os.readlink(repo / "first.conf") == "middle.conf"
    assert os.readlink(repo / "middle.conf") == "real.conf"
    assert (repo / "real.conf").read_text() == FIXED
    assert err == "wslint: fixed 2 findings in real.conf (through first.conf)\nwslint: fixed 2 findings in 1 file\n"


def test_two_links_to_one_file_write_it_once(repo: Path) -> None:
    (repo / "real.conf").write_text(BROKEN)
    (repo / "one.conf").symlink_to("real.conf")
    (repo / "two.conf").symlink_to(repo / "real.conf")
    code, out, err = fix("one.conf", "two.conf")
    assert code == 0, out + err
    assert (repo / "one.conf").is_symlink() and (repo / "two.conf").is_symlink()
    assert (repo / "real.conf").read_text() == FIXED
    assert err.count("wslint: fixed 2 findings in real.conf") == 1 and err.endswith("fixed 2 findings in 1 file\n")


def test_one_file_reached_by_two_configurations_gets_one_set_of_fixes(repo: Path) -> None:
    """a/nginx.conf includes shared/app.conf, b/nginx.conf the same file through a linked directory."""
    (repo / "shared").mkdir()
    (repo / "shared" / "app.conf").write_text(BROKEN)
    (repo / "shared-link").symlink_to("shared")
    for name, via in (("a", "shared"), ("b", "shared-link")):
        (repo / name).mkdir()
        (repo / name / "nginx.conf").write_text(f"events {{}}\nhttp {{\n    include ../{via}/app.conf;\n}}\n")
    code, out, err = fix("a/nginx.conf", "b/nginx.conf")
    assert code == 0, out + err
    assert (repo / "shared-link").is_symlink()
    assert (repo / "shared" / "app.conf").read_text() == FIXED
    assert err.splitlines() == [
        "wslint: fixed 2 findings in shared/app.conf (through shared-link/app.conf)",
        "wslint: fixed 2 findings in 1 file",
    ]


# -- hard links, owner, mode, extended attributes ----------------------------------------------


def test_hard_links_share_the_fix_and_keep_the_inode(repo: Path) -> None:
    (repo / "site.conf").write_text(BROKEN)
    os.link(repo / "site.conf", repo / "other-name.conf")
    inode = (repo / "site.conf").stat().st_ino
    code, out, err = fix("site.conf")
    assert code == 0, out + err
    for name in ("site.conf", "other-name.conf"):
        assert (repo / name).read_text() == FIXED
        assert (repo / name).stat().st_ino == inode
    assert (repo / "site.conf").stat().st_nlink == 2
    assert leftovers(repo) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file another owner needs root")
@pytest.mark.parametrize("hard_linked", [False, True], ids=["replaced", "in-place"])
def test_owner_and_group_are_kept(repo: Path, hard_linked: bool) -> None:
    (repo / "site.conf").write_text(BROKEN)
    if hard_linked:
        os.link(repo / "site.conf", repo / "twin.conf")
    os.chown(repo / "site.conf", 1234, 1234)
    code, out, err = fix("site.conf")
    assert code == 0, out + err
    meta = (repo / "site.conf").stat()
    assert (meta.st_uid, meta.st_gid) == (1234, 1234)
    assert (repo / "site.conf").read_text() == FIXED


def test_mode_is_kept(repo: Path) -> None:
    (repo / "site.conf").write_text(BROKEN)
    os.chmod(repo / "site.conf", 0o640)
    code, out, err = fix("site.conf")
    assert code == 0, out + err
    assert stat.S_IMODE((repo / "site.conf").stat().st_mode) == 0o640
    assert (repo / "site.conf").read_text() == FIXED


def test_extended_attributes_are_kept(repo: Path) -> None:
    (repo / "site.conf").write_text(BROKEN)
    try:
        os.setxattr(repo / "site.conf", "user.deployed-by", b"ansible")
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip("this file system has no user extended attributes")
        raise
    inode = (repo / "site.conf").stat().st_ino
    code, out, err = fix("site.conf")
    assert code == 0, out + err
    assert (repo / "site.conf").stat().st_ino != inode, "a single-link file is replaced atomically"
    assert os.getxattr(repo / "site.conf", "user.deployed-by") == b"ansible"


def test_a_file_someone_else_owns_is_rewritten_in_place_when_not_root(repo: Path) -> None:
    """Without root a new file cannot get another user's uid: the old inode is written instead."""
    if os.geteuid() != 0:
        pytest.skip("needs a file this process may write although another uid owns it (root)")
    path = repo / "site.conf"
    path.write_text("old\n")
    meta = path.stat()
    someone = safe_writes.Identity(meta.st_uid + 1, frozenset({meta.st_gid + 1}))
    written = safe_writes.write_files({"site.conf": "new\n"}, {"site.conf": "old\n"}, who=someone)
    assert [w.in_place for w in written] == [True]
    assert path.stat().st_ino == meta.st_ino and path.read_text() == "new\n"
    owner = safe_writes.Identity(meta.st_uid, frozenset({meta.st_gid}))
    written = safe_writes.write_files({"site.conf": "newer\n"}, {"site.conf": "new\n"}, who=owner)
    assert [w.in_place for w in written] == [False]
    assert path.stat().st_ino != meta.st_ino and path.read_text() == "newer\n"


# -- refusals: nothing is written ----------------------------------------------------------------


def test_a_read_only_file_refuses_the_whole_run(repo: Path) -> None:
    (repo / "writable.conf").write_text(site("a.example.test"))
    (repo / "locked.conf").write_text(site("b.example.test"))
    os.chmod(repo / "locked.conf", 0o444)
    code, out, err = fix("writable.conf", "locked.conf")
    assert code == 2
    assert (repo / "writable.conf").read_text() == site("a.example.test")
    assert (repo / "locked.conf").read_text() == site("b.example.test")
    assert "wslint: error: cannot fix locked.conf: it is read-only (mode 0444)" in err
    assert "writable.conf" not in err and "wslint: fixed" not in err
    assert "--fix changed no file" in err
    assert "locked.conf:8:9: error WS103" in out, "the report still shows what is wrong"
    assert leftovers(repo) == []


def test_a_read_only_link_target_is_named_with_the_link(repo: Path) -> None:
    real = debian(repo, lambda real: "../sites-available/app")
    os.chmod(real, 0o444)
    code, _, err = fix("nginx.conf")
    assert code == 2
    assert real.read_text() == BROKEN
    assert "cannot fix sites-enabled/app (-> sites-available/app): it is read-only (mode 0444)" in err


def test_no_temporary_file_in_the_directory_refuses_the_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "a.conf").write_text(site("a.example.test"))
    (repo / "sub").mkdir()
    (repo / "sub" / "b.conf").write_text(site("b.example.test"))
    real_mkstemp = safe_writes.tempfile.mkstemp

    def mkstemp(*args: str, **kwargs: str) -> tuple[int, str]:
        if str(kwargs.get("dir", "")).endswith("sub"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(safe_writes.tempfile, "mkstemp", mkstemp)
    code, _, err = fix("a.conf", "sub/b.conf")
    assert code == 2
    assert "cannot fix sub/b.conf: cannot create a temporary file in sub: Permission denied" in err
    assert (repo / "a.conf").read_text() == site("a.example.test")
    assert (repo / "sub" / "b.conf").read_text() == site("b.example.test")
    assert leftovers(repo) == []


def test_a_file_changed_since_it_was_linted_refuses_the_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "a.conf").write_text(site("a.example.test"))
    (repo / "b.conf").write_text(site("b.example.test"))
    edited = site("b.example.test").replace("listen 80;", "listen 8080;")
    real_plan = wslint.fixer.plan

    def plan_after_an_edit(*args: object) -> wslint.fixer.Plan:
        (repo / "b.conf").write_text(edited)  # someone saves the file while wslint runs
        return real_plan(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(wslint.fixer, "plan", plan_after_an_edit)
    code, _, err = fix("a.conf", "b.conf")
    assert code == 2
    assert "cannot fix b.conf: it changed since wslint read it" in err
    assert (repo / "a.conf").read_text() == site("a.example.test")
    assert (repo / "b.conf").read_text() == edited


def test_a_parse_error_anywhere_in_the_configuration_blocks_every_fix(repo: Path) -> None:
    (repo / "nginx.conf").write_text("events {}\nhttp {\n    include conf.d/*.conf;\n}\n")
    (repo / "conf.d").mkdir()
    (repo / "conf.d" / "a.conf").write_text(BROKEN)
    (repo / "conf.d" / "b.conf").write_text(UNFIXABLE_PARSE_ERROR)
    code, out, err = fix("nginx.conf")
    assert code == 2
    assert (repo / "conf.d" / "a.conf").read_text() == BROKEN
    assert (repo / "conf.d" / "b.conf").read_text() == UNFIXABLE_PARSE_ERROR
    assert "--fix changed no file: the configuration has errors (conf.d/b.conf, see the report)" in err
    # the parse error itself is a diagnostic: stderr in text mode
    assert re.search(r"^conf\.d/b\.conf:\d+: error: ", err, re.M)
    assert "conf.d/b.conf" not in out


def test_a_missing_include_does_not_block_the_other_fixes(repo: Path) -> None:
    (repo / "nginx.conf").write_text(
        "events {}\nhttp {\n    include conf.d/*.conf;\n    include extra/not-in-the-repository.conf;\n}\n"
    )
    (repo / "conf.d").mkdir()
    (repo / "conf.d" / "a.conf").write_text(BROKEN)
    code, out, err = fix("nginx.conf")
    assert code == 0, out + err
    assert (repo / "conf.d" / "a.conf").read_text() == FIXED
    assert "not-in-the-repository.conf not found" in err


# -- failures half-way: undone ------------------------------------------------------------------


def test_a_failed_write_restores_the_files_already_written(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "a.conf").write_text(site("a.example.test"))
    (repo / "b.conf").write_text(site("b.example.test"))
    real_replace = os.replace
    calls: list[str] = []

    def replace(src: str, dst: str) -> None:
        if str(dst).endswith("b.conf") and not calls:
            calls.append(dst)
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(safe_writes.os, "replace", replace)
    code, _, err = fix("a.conf", "b.conf")
    assert code == 2
    assert calls, "the second file's write did fail"
    assert (repo / "a.conf").read_text() == site("a.example.test")
    assert (repo / "b.conf").read_text() == site("b.example.test")
    assert "writing b.conf failed (Input/output error); it was left as it was" in err
    assert "--fix restored a.conf" in err
    assert leftovers(repo) == []


@pytest.mark.parametrize("failures", [1, 2], ids=["old-text-put-back", "old-text-only-in-backup"])
def test_a_failed_write_in_place_puts_the_old_text_back_or_keeps_the_backup(
    repo: Path, monkeypatch: pytest.MonkeyPatch, failures: int
) -> None:
    (repo / "site.conf").write_text(BROKEN)
    os.link(repo / "site.conf", repo / "twin.conf")
    real_truncate = os.ftruncate
    left = [failures]

    def ftruncate(fd: int, length: int) -> None:
        if left[0]:
            left[0] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real_truncate(fd, length)

    monkeypatch.setattr(safe_writes.os, "ftruncate", ftruncate)
    code, _, err = fix("site.conf")
    assert code == 2 and "writing site.conf failed (No space left on device)" in err
    backups = leftovers(repo)
    if failures == 1:
        assert (repo / "twin.conf").read_text() == BROKEN
        assert "it was left as it was" in err and backups == []
    else:
        assert len(backups) == 1 and backups[0].startswith(".site.conf.") and backups[0].endswith(".wslint-backup")
        assert (repo / backups[0]).read_text() == BROKEN
        assert f"--fix could not restore site.conf (its old text is in {backups[0]})" in err


def test_fixes_that_break_the_configuration_are_undone(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "site.conf").write_text(BROKEN)
    real_plan = wslint.fixer.plan

    def broken_plan(*args: object) -> wslint.fixer.Plan:
        planned = real_plan(*args)  # type: ignore[arg-type]
        planned.new_texts = {p: t + "}\n" for p, t in planned.new_texts.items()}
        return planned

    monkeypatch.setattr(wslint.fixer, "plan", broken_plan)
    code, out, err = fix("site.conf")
    assert code == 2
    assert (repo / "site.conf").read_text() == BROKEN
    assert "the fixed configuration has errors (site.conf)" in err
    assert "--fix restored what it had written to site.conf" in err
    assert "site.conf:8:9: error WS103" in out, "the report describes the restored file"


# -- line endings, idempotence, what it says ----------------------------------------------------


def test_crlf_and_a_missing_final_newline_are_kept(repo: Path) -> None:
    crlf = BROKEN.replace("\n", "\r\n").encode()
    (repo / "dos.conf").write_bytes(crlf)
    (repo / "bare.conf").write_text(site("b.example.test").rstrip("\n"))
    code, out, err = fix("dos.conf", "bare.conf")
    assert code == 0, out + err
    assert (repo / "dos.conf").read_bytes() == FIXED.replace("\n", "\r\n").encode()
    assert (repo / "bare.conf").read_text() == fixed_site("b.example.test").rstrip("\n")


def test_a_removed_last_line_leaves_no_final_newline_when_there_was_none(repo: Path) -> None:
    """map-snippet-in-server moves a map out of the snippet's last lines."""
    shutil.copytree(REPO / "fixtures" / "nginx" / "map-snippet-in-server", repo / "cfg")
    for p in (repo / "cfg").rglob("*"):
        if p.is_file():
            p.write_bytes(p.read_bytes().rstrip(b"\n"))
    code, out, err = fix("cfg/nginx.conf")
    assert code == 0, out + err
    snippet = (repo / "cfg" / "snippets" / "ws-map.conf").read_text()
    assert "map $http_upgrade" not in snippet and not snippet.endswith("\n")
    assert "map $http_upgrade" in (repo / "cfg" / "nginx.conf").read_text()


def test_second_run_changes_nothing_and_says_nothing(repo: Path) -> None:
    (repo / "a.conf").write_text(site("a.example.test"))
    (repo / "b.conf").write_text(site("b.example.test").replace("proxy_read_timeout 10s;", "proxy_read_timeout 1h;"))
    code, out, err = fix("a.conf", "b.conf")
    assert code == 0, out + err
    assert err.splitlines() == [
        "wslint: fixed 2 findings in a.conf",
        "wslint: fixed 1 finding in b.conf",
        "wslint: fixed 3 findings in 2 files",
    ]
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in repo.glob("*.conf")}
    code, out, err = fix("a.conf", "b.conf")
    assert code == 0 and err == ""
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in repo.glob("*.conf")} == before
    assert out == "no problems found in 2 files\n"


def test_the_installed_command_reports_on_stderr_and_keeps_stdout_for_the_report(repo: Path) -> None:
    debian(repo, lambda real: "../sites-available/app")
    res = subprocess.run(
        [sys.executable, "-m", "wslint", "nginx.conf", "--fix", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stderr == (
        "wslint: fixed 2 findings in sites-available/app (through sites-enabled/app)\n"
        "wslint: fixed 2 findings in 1 file\n"
    )
    assert res.stdout.lstrip().startswith("{")
