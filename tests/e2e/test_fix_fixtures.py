"""`--fix` on every fixture: fixable findings disappear, a second run changes nothing, and nginx accepts the result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_fixtures import FIXTURES, annotations, cases
from tests.wslint_cli import Completed, wslint_in

pytestmark = pytest.mark.realproxy

REFUSING = {"config-invalid", "undefined-variable"}


def _wslint(cwd: Path, *args: str) -> Completed:
    return wslint_in(cwd, *args)


def _nginx_accepts(binary: str, work: Path, target: str) -> tuple[bool, str]:
    if target.endswith("nginx.conf"):
        main = work / target
        text = main.read_text()
        main.write_text(f"pid {work}/nginx.pid;\n" + text.replace("worker_processes auto;", ""))
    else:
        main = work / "main.conf"
        main.write_text(f"pid {work}/nginx.pid;\nevents {{}}\nhttp {{\n    include {work / target};\n}}\n")
    for stock in ("fastcgi_params", "proxy_params"):
        if Path("/etc/nginx", stock).is_file():
            shutil.copy(Path("/etc/nginx", stock), main.parent / stock)
    res = subprocess.run(
        [binary, "-t", "-p", str(main.parent), "-e", str(work / "error.log"), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return res.returncode == 0, res.stderr


@pytest.mark.parametrize("case", cases(), ids=lambda p: os.path.relpath(p, FIXTURES))
def test_fix_every_fixture(case: Path, tmp_path: Path, nginx_bin: str) -> None:
    _, _, options = annotations(case)
    work = tmp_path / "case"
    if case.name == "nginx.conf":
        shutil.copytree(case.parent, work)
        target = "nginx.conf"
    else:
        work.mkdir()
        shutil.copy(case, work / case.name)
        target = case.name
    (work / ".git").mkdir()
    before = json.loads(_wslint(work, target, *options, "--format", "json").stdout)["findings"]
    ok_before, _ = _nginx_accepts(nginx_bin, _copy(work, tmp_path / "before"), target)

    first = _wslint(work, target, *options, "--fix", "--format", "json")
    assert first.returncode in (0, 1), first.stdout + first.stderr
    remaining = json.loads(first.stdout)["findings"]
    assert not [f for f in remaining if f["fix"] and f["fix"]["edits"]], remaining
    snapshot = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
    second = _wslint(work, target, *options, "--fix", "--format", "json")
    assert {p: p.read_bytes() for p in work.rglob("*") if p.is_file()} == snapshot
    assert json.loads(second.stdout)["findings"] == remaining

    ok_after, err = _nginx_accepts(nginx_bin, _copy(work, tmp_path / "after"), target)
    refused_before = {f["category"] for f in before} & REFUSING
    refused_after = {f["category"] for f in remaining} & REFUSING
    if ok_before or (refused_before and not refused_after):
        assert ok_after, f"nginx refuses the fixed configuration: {err}"
    else:
        assert ok_after == ok_before


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
