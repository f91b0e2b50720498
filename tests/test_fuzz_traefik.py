"""Property-based fuzzing of the Traefik path: mutated fixtures and generated dynamic configurations.

The same properties as for nginx (tests/test_fuzz_nginx.py): whatever the
input, no exception escapes, the exit code is 0, 1 or 2, and the output is
the same twice. Rules are generated from Traefik's own matcher vocabulary,
in both the v3 and the v2 syntax, nested and negated.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import SETTINGS, check_property, lint_file, mutate
from wslint.endpoints import parse_endpoint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traefik"
# (name, text) of every single-file fixture: the file is linted alone, as a dynamic file or compose file
TEXTS = sorted(
    (p.name, p.read_text()) for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".toml")
)
ENDPOINTS = (parse_endpoint("ws://app.example.test/ws/chat"), parse_endpoint("/socket.io/?EIO=4"))
ALPHABET = [*"{}[]:,-\"'`#&|!() \n\t/~^=*.0123456789abcxyz", "rule: ", "Host(`a`)", "PathPrefix(`/ws`)", "service: s"]


def lint_text(name: str, text: str, version: str | None = None) -> tuple[int, str]:
    return lint_file(name, text, "traefik", ENDPOINTS, {"traefik": version})


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name, text = draw(st.sampled_from(TEXTS))
    return name, mutate(draw, text, ALPHABET)


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
        if draw(st.booleans()) and middlewares:
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
    check_property(*case, "traefik", endpoints=ENDPOINTS)


@SETTINGS
@given(generated(), st.sampled_from([None, "2.11"]))
def test_generated_configs_never_crash(text: str, version: str | None) -> None:
    check_property("dynamic.yml", text, "traefik", endpoints=ENDPOINTS, versions={"traefik": version})
