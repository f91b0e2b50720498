"""Property-based fuzzing of the nginx path: mutated fixtures and generated configurations.

Whatever the input, wslint must not raise, must give an exit code of 0, 1 or 2
and must print the same thing twice. Bounded for CI; `fuzz/fuzz_nginx.py` runs
the same property under atheris for as long as you like.
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
FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "nginx").rglob("*.conf"))
TEXTS = [p.read_text() for p in FIXTURES]
EXAMPLES = int(os.environ.get("WSLINT_FUZZ_EXAMPLES", "500"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENDPOINTS = (parse_endpoint("ws://app.example.test/ws/chat"), parse_endpoint("/socket.io/?EIO=4#backend=/io/"))
ALPHABET = [*"{};\"'#$\\ \n\tabcxyz/~^=*.0123456789", "location", "server", "include x.conf", "proxy_pass"]


def lint_text(text: str) -> tuple[int, str]:
    """(exit code class, JSON output) of linting `text` as site.conf, in a fresh directory."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site.conf"
        site.write_text(text, encoding="utf-8", errors="surrogatepass")
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            report = run(LintOptions(paths=("site.conf",), proxy="nginx", endpoints=ENDPOINTS), RULES)
        finally:
            os.chdir(cwd)
    ctx = FormatContext(tuple(report.findings), tuple(report.diagnostics), "fuzz", rules=tuple(r.spec for r in RULES))
    out = FORMATTERS["json"](ctx) + FORMATTERS["sarif"](ctx) + FORMATTERS["text"](ctx)
    code = 2 if report.has_errors else (1 if report.findings else 0)
    return code, out


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate-line", "swap"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(ALPHABET)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        elif kind == "duplicate-line":
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


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
    first = lint_text(text)
    assert first[0] in (0, 1, 2)
    assert lint_text(text) == first


@SETTINGS
@given(generated())
def test_generated_configs_never_crash(text: str) -> None:
    first = lint_text(text)
    assert first[0] in (0, 1, 2)
    assert lint_text(text) == first
