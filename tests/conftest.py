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


def _tried_here() -> dict[str, int]:
    import sys

    return dict(getattr(sys.modules.get("tests.fuzzing"), "TRIED", None) or {})


# what the pytest-xdist workers' fuzz tests tried, summed in the controller
_TRIED_BY_WORKERS: dict[str, int] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["fuzz_tried"] = _tried_here()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for proxy, n in getattr(node, "workeroutput", {}).get("fuzz_tried", {}).items():
        _TRIED_BY_WORKERS[proxy] = _TRIED_BY_WORKERS.get(proxy, 0) + n


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many inputs the fuzz tests tried (CI's record that they ran, and how much)."""
    tried = _tried_here()
    for proxy, n in _TRIED_BY_WORKERS.items():
        tried[proxy] = tried.get(proxy, 0) + n
    if tried:
        counts = ", ".join(f"{proxy} {n}" for proxy, n in sorted(tried.items()))
        terminalreporter.write_line(f"fuzzing: {sum(tried.values())} inputs linted twice each ({counts})")
