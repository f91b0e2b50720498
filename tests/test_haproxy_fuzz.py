"""Property-based fuzzing of the HAProxy path: mutated fixtures and generated configurations.

The property is tests/fuzzing.py's: whatever the input, no exception escapes,
the exit code is 0, 1 or 2, and the output is the same twice. Generated
configurations mix defaults (named, `from`), frontends, backends and listen
sections with ACLs, conditions, http-request rules, timeouts, health checks and
removed keywords.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import SETTINGS, check_fix, check_property, mutate
from wslint.endpoints import parse_endpoint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "haproxy"
TEXTS = sorted((d / "haproxy.cfg").read_text() for d in FIXTURES.iterdir() if (d / "haproxy.cfg").is_file())
ENDPOINTS = (
    parse_endpoint("ws://app.example.test/ws/chat"),
    parse_endpoint("ws://app.example.test:8080/socket.io/?EIO=4"),
    parse_endpoint("/live"),
)
ALPHABET = [*"{}!|#'\"\\ \n\t%[](),-", "if", "unless", "||", "or", "-i", "-m beg", "%[path]", "backend b", "frontend f"]

ACL = st.sampled_from(
    [
        "path_beg /ws",
        "path /api/websocket",
        "path_reg ^/(ws|live)",
        "hdr(host) -i app.example.test",
        "req.hdr(host),host_only app.example.test",
        "hdr(connection) upgrade",
        "hdr(upgrade) -i websocket",
        "req.fhdr(connection) -m sub grade",
        "src 10.0.0.0/8",
        "ssl_fc",
        "var(txn.x) -m found",
        "url_param(EIO) 4",
    ]
)
RULE = st.sampled_from(
    [
        "http-request set-path /x",
        "http-request replace-path /ws(.*) \\1",
        "http-request set-header Connection keep-alive",
        "http-request del-header Upgrade",
        "http-request redirect scheme https",
        "http-request deny",
        "http-request return status 200",
        "http-request set-var(txn.x) path",
        "http-request set-timeout tunnel 10s",
        "http-request allow",
        "redirect location /moved",
    ]
)
SETTING = st.sampled_from(
    [
        "mode http",
        "mode tcp",
        "timeout client 2s",
        "timeout server 30",
        "timeout tunnel 1h",
        "timeout tunnel 0",
        "option httpchk GET /ws",
        "http-check expect status 200",
        "option forceclose",
        "reqadd X-A:\\ b",
        "option httpclose",
    ]
)


@st.composite
def conditions(draw: st.DrawFn) -> str:
    terms = [draw(st.sampled_from(["a0", "!a1", "{ path_beg /api }", "TRUE", "!{ ssl_fc }"])) for _ in range(2)]
    return f" {draw(st.sampled_from(['if', 'unless']))} {draw(st.sampled_from([' ', ' || ', ' or '])).join(terms)}"


@st.composite
def generated(draw: st.DrawFn) -> str:
    out = ["defaults base", "    mode http", "    timeout client 30s", "    timeout server 30s"]
    backends = ["b0", "b1", "b2"]
    fe = ["frontend fe" + draw(st.sampled_from(["", " from base"])), "    bind :80", "    bind :8080"]
    fe += ["    acl a0 " + draw(ACL), "    acl a1 " + draw(ACL)]
    fe += [
        "    " + draw(st.one_of(RULE, SETTING)) + (draw(conditions()) if draw(st.booleans()) else "") for _ in range(3)
    ]
    for _ in range(draw(st.integers(0, 3))):
        fe.append(f"    use_backend {draw(st.sampled_from(backends))}{draw(conditions())}")
    if draw(st.booleans()):
        fe.append(f"    default_backend {draw(st.sampled_from(backends))}")
    out += fe
    if draw(st.booleans()):
        out += ["defaults", "    mode http", "    timeout server 5s"]
    for b in backends:
        out.append(f"backend {b}")
        out += ["    " + draw(st.one_of(RULE, SETTING)) for _ in range(draw(st.integers(0, 3)))]
        out.append("    server s 127.0.0.1:9001" + draw(st.sampled_from(["", " check"])))
    if draw(st.booleans()):
        out += ["listen li", "    bind :8443", "    mode http", "    server s 127.0.0.1:9002"]
    return "\n".join(out) + "\n"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    return mutate(draw, draw(st.sampled_from(TEXTS)), ALPHABET)


@SETTINGS
@given(mutated())
def test_mutated_fixtures_never_crash(text: str) -> None:
    check_property("haproxy.cfg", text, "haproxy", endpoints=ENDPOINTS)


@SETTINGS
@given(generated())
def test_generated_configs_never_crash(text: str) -> None:
    check_property("haproxy.cfg", text, "haproxy", endpoints=ENDPOINTS)


def test_redirect_exemption_is_not_offered_when_it_cannot_work() -> None:
    """Found by the fix property: the WebSocket exemption of a redirect tests the Upgrade header, which an
    earlier rule deletes; each --fix appended another copy of it. No fix is offered there now."""
    text = (
        "defaults base\n    mode http\n    timeout client 30s\n    timeout server 30s\n"
        "frontend fe\n    bind :80\n    http-request del-header Upgrade\n    http-request redirect scheme https\n"
        "    default_backend b0\nbackend b0\n    server s 127.0.0.1:9001\n"
    )
    check_fix("haproxy.cfg", text, "haproxy", ENDPOINTS)
    exempted = text.replace(
        "redirect scheme https\n", "redirect scheme https unless { req.hdr(upgrade) -i websocket }\n"
    )
    check_fix("haproxy.cfg", exempted.replace("    http-request del-header Upgrade\n", ""), "haproxy", ENDPOINTS)
