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
    # a handful of one-server files: less work than a second process costs
    assert parallel.worker_count(0, [600] * 5) == 1
    # fifty of them are worth one
    assert parallel.worker_count(0, [600] * 50) == min(cores, 50)
    # two large files: each worth a process
    assert parallel.worker_count(0, [2 << 20, 2 << 20]) == min(cores, 2)
    just_under = parallel.MIN_WORK_BYTES - 1 - parallel.FILE_BYTES * 2
    assert parallel.worker_count(0, [just_under // 2, just_under // 2]) == 1


def test_shares_are_even_by_weight_and_keep_input_order() -> None:
    split = parallel.shares([100, 1, 1, 1, 90, 1, 1, 1], 2)
    assert sorted(i for share in split for i in share) == list(range(8))
    assert all(share == sorted(share) for share in split)
    loads = sorted(sum([100, 1, 1, 1, 90, 1, 1, 1][i] for i in share) for share in split)
    assert loads == [96, 100]
    # never an empty share, whatever the count asked for
    assert parallel.shares([5, 5], 4) == [[0], [1]]


def test_results_come_back_in_input_order() -> None:
    items = list(range(40))
    assert parallel.map_ordered(lambda x: x * x, items, 3) == [x * x for x in items]


_PARENT = os.getpid()


def _fails_in_a_child(x: int) -> int:
    if x == 7:
        raise ValueError(f"item {x} in {'the parent' if os.getpid() == _PARENT else 'a child'}")
    return x


def _unpicklable_in_a_child(x: int) -> object:
    return x if os.getpid() == _PARENT else (lambda: x)


def _dies_in_a_child(x: int) -> int:
    if os.getpid() != _PARENT and x == 3:
        os._exit(9)
    return x + 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_an_error_in_a_child_is_raised_as_one_process_raises_it() -> None:
    # item 7 lands in a child's share: the parent does it again, so the error is the parent's own
    assert 7 in parallel.shares([1] * 10, 2)[1]
    with pytest.raises(ValueError, match="item 7 in the parent"):
        parallel.map_ordered(_fails_in_a_child, list(range(10)), 2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_what_a_child_cannot_send_back_is_done_again_here() -> None:
    assert parallel.map_ordered(_unpicklable_in_a_child, list(range(10)), 3) == list(range(10))
    assert parallel.map_ordered(_dies_in_a_child, list(range(10)), 2) == [x + 1 for x in range(10)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_output_written_before_the_fork_is_written_once(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from wslint import parallel\n"
        "sys.stdout.write('before ')\n"
        "print(parallel.map_ordered(abs, [-1, -2, -3, -4], 2))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False, cwd=REPO
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == "before [1, 2, 3, 4]\n"


def test_a_negative_job_count_is_a_usage_error(tmp_path: Path) -> None:
    res = _wslint(str(FIXTURES / "map-idiom.conf"), "-j", "-1", cwd=tmp_path)
    assert res.returncode == 2
    assert "--jobs must be 0" in res.stderr
