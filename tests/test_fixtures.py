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


@pytest.mark.parametrize("case", traefik_cases(), ids=lambda p: os.path.relpath(p.parent, TRAEFIK_FIXTURES))
def test_traefik_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    expect, ok, args = annotations(case, TRAEFIK_FIXTURES)
    for _, _, rule in expect | ok:
        assert rules.get(rule) is not None, f"unknown rule {rule} in annotation"
    monkeypatch.chdir(TRAEFIK_FIXTURES)
    target = os.path.relpath(case, TRAEFIK_FIXTURES)
    report = run(LintOptions(paths=(target,), proxy="traefik", **_options(args)), rules)  # type: ignore[arg-type]
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    found = {(f.path, f.line, f.rule) for f in report.findings}
    assert found >= expect, f"missing: {sorted(expect - found)}"
    assert found <= expect, f"unexpected: {sorted(found - expect)}"
    assert not (found & ok)


HAPROXY_FIXTURES = FIXTURES.parent / "haproxy"


def haproxy_cases() -> list[Path]:
    """One case per directory, linted through its haproxy.cfg."""
    if not HAPROXY_FIXTURES.is_dir():
        return []
    return sorted(d / "haproxy.cfg" for d in HAPROXY_FIXTURES.iterdir() if (d / "haproxy.cfg").is_file())


@pytest.mark.parametrize("case", haproxy_cases(), ids=lambda p: p.parent.name)
def test_haproxy_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    expect, ok, args = annotations(case, HAPROXY_FIXTURES)
    for _, _, rule in expect | ok:
        assert rules.get(rule) is not None, f"unknown rule {rule} in annotation"
    monkeypatch.chdir(HAPROXY_FIXTURES)
    report = run(LintOptions(paths=(os.path.relpath(case, HAPROXY_FIXTURES),), **_options(args)), rules)  # type: ignore[arg-type]
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    found = {(f.path, f.line, f.rule) for f in report.findings}
    assert found >= expect, f"missing: {sorted(expect - found)}"
    assert found <= expect, f"unexpected: {sorted(found - expect)}"
    assert not (found & ok)


APACHE_FIXTURES = FIXTURES.parent / "apache"


@pytest.mark.parametrize(
    "case",
    sorted(d / "httpd.conf" for d in APACHE_FIXTURES.iterdir() if (d / "httpd.conf").is_file()),
    ids=lambda p: p.parent.name,
)
def test_apache_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    expect, ok, args = annotations(case, APACHE_FIXTURES)
    monkeypatch.chdir(APACHE_FIXTURES)
    target = os.path.relpath(case, APACHE_FIXTURES)
    report = run(LintOptions(paths=(target,), proxy="apache", **_options(args)), rules)  # type: ignore[arg-type]
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    found = {(f.path, f.line, f.rule) for f in report.findings}
    assert found >= expect, f"missing: {sorted(expect - found)}"
    assert found <= expect, f"unexpected: {sorted(found - expect)}"
    assert not (found & ok)


CADDY_FIXTURES = FIXTURES.parent / "caddy"


def caddy_cases() -> list[Path]:
    """One case per directory, linted through its Caddyfile."""
    if not CADDY_FIXTURES.is_dir():
        return []
    return sorted(d / "Caddyfile" for d in CADDY_FIXTURES.iterdir() if (d / "Caddyfile").is_file())


@pytest.mark.parametrize("case", caddy_cases(), ids=lambda p: p.parent.name)
def test_caddy_fixture(case: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    expect, ok, args = annotations(case, CADDY_FIXTURES)
    for _, _, rule in expect | ok:
        assert rules.get(rule) is not None, f"unknown rule {rule} in annotation"
    monkeypatch.chdir(CADDY_FIXTURES)
    target = os.path.relpath(case, CADDY_FIXTURES)
    report = run(LintOptions(paths=(target,), proxy="caddy", **_options(args)), rules)  # type: ignore[arg-type]
    errors = [d for d in report.diagnostics if d.severity.label == "error"]
    assert not errors, errors
    found = {(f.path, f.line, f.rule) for f in report.findings}
    assert found >= expect, f"missing: {sorted(expect - found)}"
    assert found <= expect, f"unexpected: {sorted(found - expect)}"
    assert not (found & ok)
