from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.installed_wheel import Installed, build_and_install
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
    """wslint built as a wheel and installed in a fresh venv outside the checkout, once per session
    (the packaging and GitHub Action tests share it)."""
    return build_and_install(tmp_path_factory.mktemp("installed"))


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


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


@pytest.fixture(autouse=True)
def _no_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--format auto` follows GITHUB_ACTIONS; the tests choose formats explicitly."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many inputs the fuzz tests tried (CI's record that they ran, and how much)."""
    import sys

    fuzzing = sys.modules.get("tests.fuzzing")
    tried = getattr(fuzzing, "TRIED", None)
    if tried:
        counts = ", ".join(f"{proxy} {n}" for proxy, n in sorted(tried.items()))
        terminalreporter.write_line(f"fuzzing: {sum(tried.values())} inputs linted twice each ({counts})")
