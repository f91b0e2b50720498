"""Property-based fuzzing of the Caddy path: mutated fixtures and rule examples, and generated Caddyfiles.

The same properties as for the other proxies (tests/fuzzing.py): whatever the
input, no exception escapes, the exit code is 0, 1 or 2, and the output is
the same twice.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.caddy_layouts import layouts
from tests.fuzzing import RULES, SETTINGS, check_property, mutate
from wslint.endpoints import parse_endpoint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "caddy"
TEXTS = sorted(p.read_text() for p in FIXTURES.rglob("Caddyfile")) + sorted(
    ex.bad for r in RULES for proxy, ex in r.spec.examples.items() if proxy == "caddy"
)
ENDPOINTS = (
    parse_endpoint("ws://app.example.test:8080/ws/chat"),
    parse_endpoint("wss://app.example.test/socket.io/?EIO=4&transport=websocket"),
    parse_endpoint("/api/websocket"),
)
ALPHABET = [
    *'{}"`#\\ \n\t/*@()!,:.0123456789abcxyz',
    "import ",
    "(snip) {\n",
    "{args.0}",
    "{$HOME}",
    "handle ",
    "route {\n",
    "reverse_proxy ",
    "header_up ",
    "@m ",
    "path ",
    "not ",
    "header Connection *Upgrade*",
    "try_files {path} /index.html",
    "file_server",
    "http://",
    ":8080",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    return mutate(draw, draw(st.sampled_from(TEXTS)), ALPHABET)


@SETTINGS
@given(mutated())
def test_mutated_caddyfiles_never_crash(text: str) -> None:
    check_property("Caddyfile", text, "caddy", endpoints=ENDPOINTS)


@SETTINGS
@given(layouts(), st.sampled_from([None, "2.7.0"]))
def test_generated_caddyfiles_never_crash(layout: str, version: str | None) -> None:
    text = layout.replace("__PORT__", "8080")
    for i in range(4):
        text = text.replace(f"__b{i}__", str(9001 + i))
    check_property("Caddyfile", text, "caddy", endpoints=ENDPOINTS, versions={"caddy": version})
