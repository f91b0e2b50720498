"""Files Traefik refuses whole are errors with file and line; files it accepts are not (no false alarm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.traefik_refusal_cases import CASES, Case, router
from wslint.core import LintOptions, Report, run
from wslint.engine.rules import RuleSet
from wslint.findings import Severity

REFUSED = "Traefik refuses the whole file"


def lint(tmp_path: Path, rules: RuleSet, files: dict[str, str], target: str | None = None) -> Report:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    path = tmp_path / (target or next(iter(files)))
    return run(LintOptions(paths=(str(path),), proxy="traefik"), rules)


def refusals(report: Report) -> list[str]:
    return [d.message for d in report.diagnostics if d.severity == Severity.ERROR and REFUSED in d.message]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wslint_says_what_traefik_does(tmp_path: Path, rules: RuleSet, case: Case) -> None:
    report = lint(tmp_path, rules, {case.name: case.text.replace("ROUTER", "chat")})
    found = refusals(report)
    if case.error is None:
        assert found == [], found
        assert not report.has_errors, report.diagnostics
        assert [r.name for c in report.configs for r in c.routes if "chat@file" in r.name], "router not read"
        return
    assert len(found) == 1, report.diagnostics
    assert f"`{case.error}`" in found[0]
    where = next(d for d in report.diagnostics if REFUSED in d.message)
    assert (where.path, where.line) == (str(tmp_path / case.name), case.line)
    # Traefik applies nothing of the file: wslint has no routes to judge
    assert report.configs == []


def test_every_problem_of_a_file_is_reported(tmp_path: Path, rules: RuleSet) -> None:
    text = router("priority: high", "middleware: [a]").replace("ROUTER", "chat") + "  servces: {svc: {}}\n"
    found = refusals(lint(tmp_path, rules, {"dynamic.yml": text}))
    assert [m.split(":")[0] for m in found] == [
        "http.routers.chat.priority takes a whole number, not 'high'",
        "'middleware' is not a key of http.routers.chat (did you mean 'middlewares'?)",
        "'servces' is not a key of http (did you mean 'services'?)",
    ]


def test_a_refused_file_of_the_provider_directory_is_reported_from_the_static_file(
    tmp_path: Path, rules: RuleSet
) -> None:
    static = "entryPoints:\n  web:\n    address: ':80'\nproviders:\n  file:\n    directory: dynamic\n"
    good = (
        router().replace("ROUTER", "good")
        + "  services:\n    svc:\n      loadBalancer:\n        servers: [{url: 'http://127.0.0.1:9'}]\n"
    )
    files = {
        "traefik.yml": static,
        "dynamic/good.yml": good,
        "dynamic/bad.yml": router().replace("ROUTER", "bad") + "  servces: {svc: {}}\n",
    }
    report = lint(tmp_path, rules, files, "traefik.yml")
    found = [d for d in report.diagnostics if REFUSED in d.message]
    assert [(Path(d.path or "").name, d.line) for d in found] == [("bad.yml", 7)]
    assert report.configs == []


def test_top_level_routers_are_ignored_by_traefik_and_wslint_says_so(tmp_path: Path, rules: RuleSet) -> None:
    text = 'routers:\n  chat:\n    rule: "Path(`/ws`)"\n    service: svc\n'
    report = lint(tmp_path, rules, {"dynamic.yml": text})
    warnings = [d for d in report.diagnostics if d.severity == Severity.WARNING]
    assert [(d.line, d.message.split(" at the top level")[0]) for d in warnings] == [(1, "'routers'")]
    assert "go under `http:`" in warnings[0].message
    assert not report.has_errors


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("entryPoints:\n  web:\n    adress: ':80'\n", "field not found, node: adress"),
        (
            "entryPoints:\n  web:\n    address: ':80'\nproviders:\n  file:\n    filname: d.yml\n",
            "field not found, node: filname",
        ),
        # a top-level key Traefik does not know is dropped, not refused
        ("entryPoints:\n  web:\n    address: ':80'\nlogg:\n  level: DEBUG\n", None),
        ("entryPoints:\n  web:\n    address: ':80'\n    asDefault: true\napi:\n  insecure: true\n", None),
    ],
)
def test_static_configuration_traefik_refuses(tmp_path: Path, rules: RuleSet, text: str, refused: str | None) -> None:
    report = lint(tmp_path, rules, {"traefik.yml": text})
    found = [d.message for d in report.diagnostics if "does not start" in d.message]
    if refused is None:
        assert found == []
    else:
        assert len(found) == 1 and f"`{refused}`" in found[0]
