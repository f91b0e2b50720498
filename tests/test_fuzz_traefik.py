"""Property-based fuzzing of the Traefik path: mutated fixtures and generated dynamic configurations.

The same properties as for nginx (tests/test_fuzz_nginx.py): whatever the
input, no exception escapes, the exit code is 0, 1 or 2, and the output is
the same twice. Rules are generated from Traefik's own matcher vocabulary,
in both the v3 and the v2 syntax, nested and negated.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wslint.core import LintOptions, run
from wslint.endpoints import parse_endpoint
from wslint.engine.rules import load_rules
from wslint.formatters import FORMATTERS, FormatContext

RULES = load_rules()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traefik"
# (name, text) of every single-file fixture: the file is linted alone, as a dynamic file or compose file
TEXTS = sorted(
    (p.name, p.read_text()) for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".toml")
)
EXAMPLES = int(os.environ.get("WSLINT_FUZZ_EXAMPLES", "500"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENDPOINTS = (parse_endpoint("ws://app.example.test/ws/chat"), parse_endpoint("/socket.io/?EIO=4"))
ALPHABET = [*"{}[]:,-\"'`#&|!() \n\t/~^=*.0123456789abcxyz", "rule: ", "Host(`a`)", "PathPrefix(`/ws`)", "service: s"]


def lint_text(name: str, text: str, version: str | None = None) -> tuple[int, str]:
    """(exit code class, every format's output) of linting `text` saved as `name`, in a fresh directory."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            options = LintOptions(paths=(name,), proxy="traefik", endpoints=ENDPOINTS, versions={"traefik": version})
            report = run(options, RULES)
        finally:
            os.chdir(cwd)
    ctx = FormatContext(tuple(report.findings), tuple(report.diagnostics), "fuzz", rules=tuple(r.spec for r in RULES))
    out = FORMATTERS["json"](ctx) + FORMATTERS["sarif"](ctx) + FORMATTERS["text"](ctx)
    code = 2 if report.has_errors else (1 if report.findings else 0)
    return code, out


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name, text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate-line", "swap", "indent"]))
        lines = text.split("\n")
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(ALPHABET)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        elif kind == "duplicate-line":
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            lines[i] = "  " + lines[i] if draw(st.booleans()) else lines[i][2:]
            text = "\n".join(lines)
    return name, text


V3_MATCHER = st.one_of(
    st.sampled_from(["Host", "HostRegexp", "Path", "PathPrefix", "PathRegexp", "Method", "ClientIP"]).flatmap(
        lambda m: st.sampled_from(
            ["app.example.test", "/ws", "/ws/", "/socket.io/", "^/api/.*", "GET", "10.0.0.0/8", ""]
        ).map(lambda a: f"{m}(`{a}`)")
    ),
    st.sampled_from(
        [
            "Header(`Upgrade`, `websocket`)",
            "HeaderRegexp(`Connection`, `(?i)upgrade`)",
            "Query(`EIO`, `4`)",
            "PathPrefix(`/{id}`)",
            "Headers(`Upgrade`, `websocket`)",
            "Path(`/ws`, `/live`)",
            "Host(`a`",
            "Nope(`x`)",
        ]
    ),
)


def _rules(leaf: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"{a} && {b}", inner, inner),
            st.builds(lambda a, b: f"{a} || {b}", inner, inner),
            inner.map(lambda a: f"!{a}"),
            inner.map(lambda a: f"({a})"),
        ),
        max_leaves=6,
    )


MIDDLEWARE = st.sampled_from(
    [
        "stripPrefix:\n        prefixes:\n          - /ws",
        "redirectScheme:\n        scheme: https",
        "replacePathRegex:\n        regex: ^/ws/(.*)\n        replacement: /$1",
        "headers:\n        customRequestHeaders:\n          Connection: keep-alive",
        "headers:\n        customRequestHeaders:\n          Upgrade: ''",
        "addPrefix:\n        prefix: /api",
        "chain:\n        middlewares:\n          - m0",
    ]
)


@st.composite
def generated(draw: st.DrawFn) -> str:
    routers = []
    middlewares = draw(st.lists(MIDDLEWARE, max_size=3))
    for i in range(draw(st.integers(1, 4))):
        rule = draw(_rules(V3_MATCHER))
        lines = [f"    r{i}:", f'      rule: "{rule}"', f"      service: {draw(st.sampled_from(['s', 'missing']))}"]
        if draw(st.booleans()):
            lines.append(f"      priority: {draw(st.integers(-1, 100))}")
        if middlewares and draw(st.booleans()):
            lines.append(f"      middlewares: [m{draw(st.integers(0, len(middlewares) - 1))}]")
        if draw(st.booleans()):
            lines.append(f"      ruleSyntax: {draw(st.sampled_from(['v2', 'v3']))}")
        routers.append("\n".join(lines))
    out = ["http:", "  routers:", *routers]
    if middlewares:
        out += ["  middlewares:", *(f"    m{i}:\n      {m}" for i, m in enumerate(middlewares))]
    out += [
        "  services:",
        "    s:",
        "      loadBalancer:",
        "        servers:",
        "          - url: http://127.0.0.1:9001",
    ]
    return "\n".join(out) + "\n"


@SETTINGS
@given(mutated())
def test_mutated_fixtures_never_crash(case: tuple[str, str]) -> None:
    first = lint_text(*case)
    assert first[0] in (0, 1, 2)
    assert lint_text(*case) == first


@SETTINGS
@given(generated(), st.sampled_from([None, "2.11"]))
def test_generated_configs_never_crash(text: str, version: str | None) -> None:
    first = lint_text("dynamic.yml", text, version)
    assert first[0] in (0, 1, 2)
    assert lint_text("dynamic.yml", text, version) == first
