"""`pip install .` (not only editable installs) must ship every module, the rules and the data,
and the installed wslint must work on its own: every subcommand is run from the wheel installed in
a fresh venv, from a directory outside the checkout."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

import wslint
from tests.e2e.backends import Backend
from tests.installed_wheel import REPO, Installed
from wslint.config import STARTER
from wslint.engine.rules import RuleSet

EXAMPLE = REPO / "fixtures" / "nginx" / "example-chat"


def _wheel_names(installed: Installed) -> set[str]:
    with zipfile.ZipFile(installed.wheel) as wheel:
        return set(wheel.namelist())


def _packages() -> list[Path]:
    """Every directory under wslint/ that is a package of the checkout."""
    return sorted(p.parent for p in (REPO / "wslint").rglob("__init__.py") if "__pycache__" not in p.parts)


def test_wheel_contains_every_package_and_module(installed_wslint: Installed) -> None:
    names = _wheel_names(installed_wslint)
    packages = _packages()
    assert REPO / "wslint" / "probe" in packages
    missing = {
        str(module.relative_to(REPO))
        for package in packages
        for module in package.glob("*.py")
        if module.relative_to(REPO).as_posix() not in names
    }
    assert not missing, f"modules missing from the wheel: {sorted(missing)}"


def test_wheel_contains_every_rule_and_the_data(installed_wslint: Installed) -> None:
    names = _wheel_names(installed_wslint)
    rules = {p.name for p in (REPO / "rules").glob("*.yaml")}
    assert rules
    assert {f"wslint/rules/{r}" for r in rules} <= names
    data = {p.name for pattern in ("*.json", "*.yaml") for p in (REPO / "wslint" / "data").glob(pattern)}
    assert "report-schema.json" in data
    assert {f"wslint/data/{d}" for d in data} <= names
    apps = {p.name for p in (REPO / "apps").glob("*.yaml")}
    assert {f"wslint/apps/{a}" for a in apps} <= names
    assert not any(n.startswith(("tests/", "fixtures/", "rules/", "apps/")) for n in names)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working directory outside the checkout holding a copy of the Quick start example."""
    work = tmp_path / "work"
    shutil.copytree(EXAMPLE, work)
    return work


def test_installed_wslint_imports_only_from_its_venv(installed_wslint: Installed, outside: Path) -> None:
    # importing every module also proves each runtime import is a declared dependency
    # (wslint.__main__ would run the command line)
    script = (
        "import importlib, pkgutil, wslint\n"
        "print(wslint.__file__)\n"
        "for m in pkgutil.walk_packages(wslint.__path__, 'wslint.'):\n"
        "    if m.name != 'wslint.__main__':\n"
        "        print(importlib.import_module(m.name).__file__)\n"
    )
    res = subprocess.run(
        [str(installed_wslint.python), "-c", script],
        cwd=outside,
        env=installed_wslint.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    files = [Path(line) for line in res.stdout.splitlines()]
    venv = installed_wslint.venv.resolve()
    assert all(f.resolve().is_relative_to(venv) for f in files), [f for f in files if not f.is_relative_to(venv)]
    assert any(f.parent.name == "probe" for f in files)


def test_version_and_help(installed_wslint: Installed, outside: Path) -> None:
    version = installed_wslint.run("--version", cwd=outside)
    assert (version.returncode, version.stdout.strip()) == (0, f"wslint {wslint.__version__}")
    help_ = installed_wslint.run("--help", cwd=outside)
    assert help_.returncode == 0, help_.stderr
    commands = {line.split()[0] for line in help_.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert commands == {"check", "init", "route", "probe", "rules", "explain", "apps"}


def test_check_finds_the_example_problems(installed_wslint: Installed, outside: Path) -> None:
    res = installed_wslint.run("check", "nginx.conf", "--color", "never", cwd=outside)
    assert res.returncode == 1, res.stderr
    assert "conf.d/chat.conf:22:9: error WS103 [connection-header-not-upgrade]" in res.stdout
    assert "1 error, 2 warnings, 0 info in 3 files" in res.stdout


def test_route_follows_a_url(installed_wslint: Installed, outside: Path) -> None:
    res = installed_wslint.run("route", "nginx.conf", "ws://chat.example.com/socket.io/", cwd=outside)
    # the example's Connection "" turns the handshake into a plain request
    assert res.returncode == 1, res.stderr
    assert "location /socket.io/  [conf.d/chat.conf:17:5]" in res.stdout
    assert "as a plain request (no upgrade token in Connection)" in res.stdout


def test_probe_opens_real_handshakes(installed_wslint: Installed, outside: Path) -> None:
    with Backend() as backend:
        res = installed_wslint.run("probe", f"ws://127.0.0.1:{backend.port}/ws", "--timeout", "5", cwd=outside)
    assert res.returncode == 0, res.stdout + res.stderr
    for browser in ("chrome", "firefox", "safari"):
        assert any(line.split()[:3] == [browser, "101", "Switching"] for line in res.stdout.splitlines()), res.stdout
    assert "every browser's handshake was upgraded" in res.stdout
    assert backend.seen.paths == ["/ws"] * 3


def test_init_writes_a_config_the_installed_wslint_reads(installed_wslint: Installed, outside: Path) -> None:
    res = installed_wslint.run("init", cwd=outside)
    assert (res.returncode, res.stdout.strip()) == (0, "wrote .wslint.yaml")
    assert (outside / ".wslint.yaml").read_text() == STARTER
    again = installed_wslint.run("init", cwd=outside)
    assert again.returncode == 2
    assert ".wslint.yaml already exists" in again.stdout + again.stderr
    # the starter sets nothing: the example's findings are unchanged with it
    check = installed_wslint.run("check", "nginx.conf", "--color", "never", cwd=outside)
    assert check.returncode == 1, check.stderr
    assert "1 error, 2 warnings, 0 info in 3 files" in check.stdout


def test_rules_lists_every_shipped_rule(installed_wslint: Installed, outside: Path, rules: RuleSet) -> None:
    res = installed_wslint.run("rules", cwd=outside)
    assert res.returncode == 0, res.stderr
    listed = {line.split()[0] for line in res.stdout.splitlines()[1:] if line.strip()}
    assert listed == {rule.code for rule in rules}


def test_explain_shows_a_rule(installed_wslint: Installed, outside: Path) -> None:
    res = installed_wslint.run("explain", "WS102", cwd=outside)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("WS102 upgrade-header-not-forwarded: ")
    assert "What the client sees" in res.stdout
