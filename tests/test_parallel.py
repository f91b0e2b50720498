"""Many configurations on several processes: the same report as one process, in the same order."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wslint import parallel
from wslint.core import LintOptions, run
from wslint.engine.rules import RuleSet

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "nginx"


def _tree(root: Path) -> Path:
    """A deploy tree of a dozen sites: broken ones, clean ones, and one that does not parse."""
    for i, name in enumerate(sorted(p.name for p in FIXTURES.glob("*.conf"))[:12]):
        site = root / f"site{i:02d}"
        site.mkdir(parents=True)
        shutil.copy(FIXTURES / name, site / "nginx.conf")
    broken = root / "site99"
    broken.mkdir()
    (broken / "nginx.conf").write_text("server {\n    listen 80;\n    location / {\n")
    return root


def _wslint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslint", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_several_processes_give_the_same_report_as_one(tmp_path: Path, fmt: str) -> None:
    _tree(tmp_path / "deploy")
    one = _wslint("deploy", "-j", "1", "--format", fmt, "--color", "never", cwd=tmp_path)
    many = _wslint("deploy", "-j", "3", "--format", fmt, "--color", "never", cwd=tmp_path)
    assert many.returncode == one.returncode == 2  # site99 does not parse
    assert many.stdout == one.stdout
    assert many.stderr == one.stderr
    assert "site99/nginx.conf" in one.stdout + one.stderr
    assert "site00/nginx.conf" in one.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_the_pool_keeps_findings_and_texts_but_not_models(tmp_path: Path, rules: RuleSet) -> None:
    deploy = _tree(tmp_path / "deploy")
    serial = run(LintOptions(paths=(str(deploy),), jobs=1), rules)
    pooled = run(LintOptions(paths=(str(deploy),), jobs=2, keep_models=False), rules)
    assert pooled.findings == serial.findings
    assert pooled.diagnostics == serial.diagnostics
    assert pooled.texts == serial.texts
    assert pooled.linted == serial.linted
    assert len(serial.configs) == len(serial.linted) == 12
    assert pooled.configs == []
    # a caller that asks for the models gets them from the workers
    assert len(run(LintOptions(paths=(str(deploy),), jobs=2), rules).configs) == 12


def test_how_many_workers() -> None:
    big = 4 << 20
    assert parallel.worker_count(1, [big] * 500) == 1
    assert parallel.worker_count(4, [10, 10]) == (2 if sys.platform.startswith("linux") else 1)
    assert parallel.worker_count(0, [big]) == 1
    assert parallel.worker_count(3, [10]) == 1


def test_jobs_0_decides_by_the_amount_of_work_not_the_number_of_files() -> None:
    cores = len(os.sched_getaffinity(0)) if sys.platform.startswith("linux") else 1
    # fifty one-server files: less work than a pool costs
    assert parallel.worker_count(0, [600] * 50) == 1
    # two large files: each worth a process
    assert parallel.worker_count(0, [2 << 20, 2 << 20]) == min(cores, 2)
    # many mid-sized files add up
    assert parallel.worker_count(0, [10_000] * 200) == min(cores, 200)
    just_under = parallel.MIN_WORK_BYTES - 1 - parallel.FILE_BYTES * 2
    assert parallel.worker_count(0, [just_under // 2, just_under // 2]) == 1


def test_results_come_back_in_input_order() -> None:
    items = list(range(40))
    assert parallel.map_ordered(lambda x: x * x, items, 3) == [x * x for x in items]


def test_a_negative_job_count_is_a_usage_error(tmp_path: Path) -> None:
    res = _wslint(str(FIXTURES / "map-idiom.conf"), "-j", "-1", cwd=tmp_path)
    assert res.returncode == 2
    assert "--jobs must be 0" in res.stderr
