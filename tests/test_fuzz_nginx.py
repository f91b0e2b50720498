"""Property-based fuzzing of the nginx path: mutated fixtures and generated configurations.

Whatever the input, wslint must not raise, must give an exit code of 0, 1 or 2
and must print the same thing twice. Bounded for CI; `fuzz/fuzz_nginx.py` runs
the same property under atheris for as long as you like.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import SETTINGS, check_fix, check_property, lint_file, mutate
from wslint.endpoints import parse_endpoint

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "nginx").rglob("*.conf"))
TEXTS = [p.read_text() for p in FIXTURES]
ENDPOINTS = (parse_endpoint("ws://app.example.test/ws/chat"), parse_endpoint("/socket.io/?EIO=4#backend=/io/"))
ALPHABET = [*"{};\"'#$\\ \n\tabcxyz/~^=*.0123456789", "location", "server", "include x.conf", "proxy_pass"]


def lint_text(text: str) -> tuple[int, str]:
    """(exit code class, every format's output) of linting `text` as site.conf, in a fresh directory."""
    return lint_file("site.conf", text, "nginx", ENDPOINTS)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    return mutate(draw, draw(st.sampled_from(TEXTS)), ALPHABET)


WORD = st.sampled_from(
    ["/", "/ws/", "/ws", "/api/", "/socket.io/", "~ ^/api", "~* \\.php$", "= /ws", "^~ /live/", "@back"]
)
VALUE = st.sampled_from(["$http_upgrade", "upgrade", '""', "keep-alive", "$connection_upgrade", "$host", "close", "$x"])
DIRECTIVE = st.one_of(
    st.builds(lambda v: f"proxy_set_header Upgrade {v};", VALUE),
    st.builds(lambda v: f"proxy_set_header Connection {v};", VALUE),
    st.sampled_from(
        [
            "proxy_pass http://127.0.0.1:9001;",
            "proxy_pass http://127.0.0.1:9001/;",
            "proxy_pass http://$x;",
            "proxy_http_version 1.1;",
            "proxy_http_version 1.0;",
            "proxy_read_timeout 10s;",
            "return 301 https://$host$request_uri;",
            "rewrite ^/ws/(.*) /$1 break;",
            "rewrite ^/a /ws/ last;",
            "try_files $uri /index.html;",
            "try_files $uri @back;",
            "set $x 127.0.0.1:9001;",
            "fastcgi_pass unix:/run/php.sock;",
            "if ($http_upgrade) { return 404; }",
            "map $http_upgrade $connection_upgrade { default upgrade; '' close; }",
        ]
    ),
)


@st.composite
def generated(draw: st.DrawFn) -> str:
    out = []
    if draw(st.booleans()):
        out.append("map $http_upgrade $connection_upgrade { default upgrade; '' close; }")
    for _ in range(draw(st.integers(1, 3))):
        body = [f"listen {draw(st.sampled_from(['80', '127.0.0.1:8080', '443 ssl', '80 default_server']))};"]
        body.append(f"server_name {draw(st.sampled_from(['app.example.test', '*.example.test', '~^r.*', '_']))};")
        body += draw(st.lists(DIRECTIVE, max_size=3))
        for _ in range(draw(st.integers(0, 4))):
            inner = " ".join(draw(st.lists(DIRECTIVE, max_size=5)))
            nested = (
                f" location {draw(WORD)} {{ {' '.join(draw(st.lists(DIRECTIVE, max_size=2)))} }}"
                if draw(st.booleans())
                else ""
            )
            body.append(f"location {draw(WORD)} {{ {inner}{nested} }}")
        out.append("server {\n    " + "\n    ".join(body) + "\n}")
    return "\n".join(out) + "\n"


@SETTINGS
@given(mutated())
def test_mutated_fixtures_never_crash(text: str) -> None:
    check_property("site.conf", text, "nginx", endpoints=ENDPOINTS)


@SETTINGS
@given(generated())
def test_generated_configs_never_crash(text: str) -> None:
    check_property("site.conf", text, "nginx", endpoints=ENDPOINTS)


def test_server_name_fix_is_not_offered_where_the_name_already_is() -> None:
    """Found by the fix property: two servers with one server_name (nginx takes the first and ignores the
    other's); WS505's fix named the host again in the second server on every --fix."""
    text = (
        "server {\n    listen 127.0.0.1:8080;\n    server_name app.example.test;\n}\n"
        "server {\n    listen 127.0.0.1:8080;\n    server_name app.example.test;\n"
        "    location / { proxy_pass http://127.0.0.1:9001; }\n}\n"
    )
    check_fix("site.conf", text, "nginx", ENDPOINTS)
