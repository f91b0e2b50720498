"""The annotated fixtures: every expected finding is reported on its line, and nothing else."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import RuleSet

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nginx"
ANNOTATION = re.compile(r"#\s*(expect|ok):\s*([a-z0-9, -]+)")
OPTIONS = re.compile(r"#\s*wslint-test:\s*(.+)")


def cases() -> list[Path]:
    singles = sorted(p for p in FIXTURES.glob("*.conf"))
    dirs = sorted(p / "nginx.conf" for p in FIXTURES.iterdir() if (p / "nginx.conf").is_file())
    return singles + dirs


def annotations(
    case: Path, base: Path = FIXTURES
) -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]], list[str]]:
    root = case.parent if case.name == "nginx.conf" or base != FIXTURES else case
    files = sorted(root.rglob("*")) if root.is_dir() else [root]
    expect: set[tuple[str, int, str]] = set()
    ok: set[tuple[str, int, str]] = set()
    options: list[str] = []
    for f in files:
        if not f.is_file() or f.suffix == ".md":
            continue
        lines = f.read_text().splitlines()
        rel = os.path.relpath(f, base)
        for i, line in enumerate(lines):
            if m := OPTIONS.search(line):
                options.extend(shlex.split(m.group(1)))
            m = ANNOTATION.search(line)
            if not m:
                continue
            target = next(
                (j + 1 for j in range(i + 1, len(lines)) if lines[j].strip() and not lines[j].strip().startswith("#")),
                None,
            )
            assert target is not None, f"{rel}:{i + 1}: annotation with no line after it"
            for rule in (r.strip() for r in m.group(2).split(",")):
                (expect if m.group(1) == "expect" else ok).add((rel, target, rule))
    return expect, ok, options


def _options(args: list[str]) -> dict[str, object]:
    opts: dict[str, object] = {"ws_paths": ()}
    it = iter(args)
    for arg in it:
        if arg == "--nginx-version":
            opts["nginx_version"] = next(it)
        elif arg == "--ws-path":
            opts["ws_paths"] = (*opts["ws_paths"], next(it))  # type: ignore[misc]
        elif arg == "--ws-url":
            opts["endpoints"] = (*opts.get("endpoints", ()), parse_endpoint(next(it)))  # type: ignore[misc]
        elif arg == "--haproxy-version":
            opts["versions"] = {"haproxy": next(it)}
        else:
            raise AssertionError(f"unsupported fixture option {arg}")
    return opts


@pytest.mark.parametrize("case", cases(), ids=lambda p: os.path.relpath(p, FIXTURES))
def test_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    expect, ok, args = annotations(case)
    for _, _, rule in expect | ok:
        assert rules.get(rule) is not None, f"unknown rule {rule} in annotation"
    monkeypatch.chdir(FIXTURES)
    report = run(LintOptions(paths=(os.path.relpath(case, FIXTURES),), **_options(args)), rules)  # type: ignore[arg-type]
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    found = {(f.path, f.line, f.rule) for f in report.findings}
    assert found >= expect, f"missing: {sorted(expect - found)}"
    assert found <= expect, f"unexpected: {sorted(found - expect)}"
    assert not (found & ok)


TRAEFIK_FIXTURES = FIXTURES.parent / "traefik"


def traefik_cases() -> list[Path]:
    """One case per directory: its traefik.yml, else its one configuration file."""
    out = []
    for d in sorted(p for p in TRAEFIK_FIXTURES.iterdir() if p.is_dir()) if TRAEFIK_FIXTURES.is_dir() else []:
        main = d / "traefik.yml"
        files = sorted(p for ext in ("*.yml", "*.yaml", "*.toml") for p in d.glob(ext))
        out.append(main if main.is_file() else files[0])
    return out


def check_fixture(case: Path, base: Path, proxy: str | None, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lint one fixture from its proxy's fixture directory: exactly its `expect:` lines, none of its `ok:` lines."""
    expect, ok, args = annotations(case, base)
    for _, _, rule in expect | ok:
        assert rules.get(rule) is not None, f"unknown rule {rule} in annotation"
    monkeypatch.chdir(base)
    options = LintOptions(paths=(os.path.relpath(case, base),), proxy=proxy, **_options(args))  # type: ignore[arg-type]
    report = run(options, rules)
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    found = {(f.path, f.line, f.rule) for f in report.findings}
    assert found >= expect, f"missing: {sorted(expect - found)}"
    assert found <= expect, f"unexpected: {sorted(found - expect)}"
    assert not (found & ok)


@pytest.mark.parametrize("case", traefik_cases(), ids=lambda p: os.path.relpath(p.parent, TRAEFIK_FIXTURES))
def test_traefik_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    check_fixture(case, TRAEFIK_FIXTURES, "traefik", rules, monkeypatch)


HAPROXY_FIXTURES = FIXTURES.parent / "haproxy"
APACHE_FIXTURES = FIXTURES.parent / "apache"
CADDY_FIXTURES = FIXTURES.parent / "caddy"


def _one_per_directory(base: Path, main: str) -> list[Path]:
    """One case per directory, linted through its main file."""
    return sorted(d / main for d in base.iterdir() if (d / main).is_file()) if base.is_dir() else []


def haproxy_cases() -> list[Path]:
    return _one_per_directory(HAPROXY_FIXTURES, "haproxy.cfg")


def apache_cases() -> list[Path]:
    return _one_per_directory(APACHE_FIXTURES, "httpd.conf")


def caddy_cases() -> list[Path]:
    return _one_per_directory(CADDY_FIXTURES, "Caddyfile")


@pytest.mark.parametrize("case", haproxy_cases(), ids=lambda p: p.parent.name)
def test_haproxy_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    check_fixture(case, HAPROXY_FIXTURES, None, rules, monkeypatch)


@pytest.mark.parametrize("case", apache_cases(), ids=lambda p: p.parent.name)
def test_apache_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    check_fixture(case, APACHE_FIXTURES, "apache", rules, monkeypatch)


@pytest.mark.parametrize("case", caddy_cases(), ids=lambda p: p.parent.name)
def test_caddy_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    check_fixture(case, CADDY_FIXTURES, "caddy", rules, monkeypatch)
