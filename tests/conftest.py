from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.installed_wheel import Installed, build_and_install
from tests.run_once import build_once
from wslint.core import LintOptions, Report, run
from wslint.engine.rules import RuleSet, load_rules

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# runs in tests (and the wslint processes they start) keep their compiled-template cache to themselves
os.environ["WSLINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="wslint-test-cache-")


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules(check_builtin=True)


@pytest.fixture(scope="session")
def installed_wslint(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """wslint built as a wheel and installed in a fresh venv outside the checkout, once per test run
    (the packaging and GitHub Action tests share it, on whichever pytest-xdist workers they run)."""
    return build_once(tmp_path_factory, "installed", build_and_install)


LintFn = Callable[..., Report]


@pytest.fixture
def lint(tmp_path: Path, rules: RuleSet) -> LintFn:
    """Lint configuration text written to a temporary file (site.conf by default)."""

    def _lint(text: str, name: str = "site.conf", files: dict[str, str] | None = None, **opts: Any) -> Report:
        for rel, content in (files or {}).items():
            p = tmp_path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content)
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            return run(LintOptions(paths=(name,), **opts), rules)
        finally:
            os.chdir(cwd)

    return _lint


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.has_plugin("xdist"):
        # pyproject's addopts say `--numprocesses=4`: without pytest-xdist (not installed, or
        # `-p no:xdist`) the option still parses, and the tests run in this one process
        parser.addoption("--numprocesses", dest="numprocesses", help="ignored: pytest-xdist is not active")


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


@pytest.fixture(autouse=True)
def _no_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--format auto` follows GITHUB_ACTIONS; the tests choose formats explicitly."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


_COUNTERS = ("TRIED", "FIXED", "PROXY_CHECKED")


def _counts_here() -> dict[str, dict[str, int]]:
    """The fuzz module's counters in this process, by counter and proxy."""
    import sys

    fuzzing = sys.modules.get("tests.fuzzing")
    return {name: dict(getattr(fuzzing, name, None) or {}) for name in _COUNTERS}


# what the pytest-xdist workers' fuzz tests counted, summed in the controller
_BY_WORKERS: dict[str, dict[str, int]] = {name: {} for name in _COUNTERS}


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["fuzz_counts"] = _counts_here()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for name, by_proxy in getattr(node, "workeroutput", {}).get("fuzz_counts", {}).items():
        for proxy, n in by_proxy.items():
            _BY_WORKERS[name][proxy] = _BY_WORKERS[name].get(proxy, 0) + n


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many inputs the fuzz tests tried (CI's record that they ran, and how much)."""
    counts = _counts_here()
    for name, by_proxy in _BY_WORKERS.items():
        for proxy, n in by_proxy.items():
            counts[name][proxy] = counts[name].get(proxy, 0) + n
    tried, fixed, checked = counts["TRIED"], counts["FIXED"], counts["PROXY_CHECKED"]
    if tried:
        listed = ", ".join(f"{proxy} {n}" for proxy, n in sorted(tried.items()))
        terminalreporter.write_line(f"fuzzing: {sum(tried.values())} inputs linted twice each ({listed})")
        per = ", ".join(f"{p} {fixed.get(p, 0)}/{checked.get(p, 0)}" for p in sorted(tried))
        failed = [r for r in terminalreporter.stats.get("failed", []) if "fuzz" in r.nodeid]
        # a failed target stopped at its first failing input: the counts are of what ran, not all passing
        verdict = f"{len(failed)} fuzz test(s) failed" if failed else "--fix reached a fixed point on every input"
        terminalreporter.write_line(f"fuzzing: {verdict}; changed / checked by the real proxy: {per}")
