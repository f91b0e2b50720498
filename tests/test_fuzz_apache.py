"""Property-based fuzzing of the Apache httpd path: mutated fixtures and generated virtual hosts.

The property is tests/fuzzing.py's. Generated configurations load a random
set of proxy modules and mix ProxyPass (with `!` and `upgrade=`),
ProxyPassMatch, Location sections, rewrites with [P], [R] and [L], and
redirects, inside one or more virtual hosts.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import SETTINGS, check_property, mutate
from wslint.endpoints import parse_endpoint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apache"
# each fixture's main file with its included sites inlined: a mutation can touch either
TEXTS = sorted(
    (d / "httpd.conf").read_text().replace("IncludeOptional sites/*.conf", "")
    + "".join(p.read_text() for p in sorted((d / "sites").glob("*.conf")))
    for d in FIXTURES.iterdir()
    if (d / "httpd.conf").is_file()
)
ENDPOINTS = (parse_endpoint("ws://app.example.test/ws/chat"), parse_endpoint("/socket.io/?EIO=4"))
ALPHABET = [*"<>/\"'\\ \n\t#$^()[].*!=", "ProxyPass", "</VirtualHost>", "<Location /ws>", "upgrade=websocket", "[P,L]"]

MODULES = ["proxy", "proxy_http", "proxy_wstunnel", "rewrite", "headers", "proxy_hcheck"]
PATH = st.sampled_from(["/", "/ws", "/ws/", "/socket.io/", "/api/", "/live"])
BACKEND = st.sampled_from(["http://127.0.0.1:9001", "ws://127.0.0.1:9001", "http://127.0.0.1:9002/", "wss://b:1"])
DIRECTIVE = st.one_of(
    st.builds(lambda p, b: f"ProxyPass {p} {b}{p}", PATH, BACKEND),
    st.builds(lambda p, b: f"ProxyPass {p} {b} upgrade=websocket", PATH, BACKEND),
    st.builds(lambda p: f"ProxyPass {p} !", PATH),
    st.builds(lambda p, b: f"ProxyPassMatch ^{p}(.*)$ {b}$1", PATH, BACKEND),
    st.sampled_from(
        [
            "RewriteEngine On",
            "RewriteCond %{HTTP:Upgrade} websocket [NC]",
            "RewriteCond %{HTTP:Connection} upgrade",
            "RewriteRule ^/ws/(.*)$ ws://127.0.0.1:9001/$1 [P,L]",
            "RewriteRule ^/(.*)$ http://127.0.0.1:9002/$1 [P]",
            "RewriteRule ^/old$ /ws/ [R=301,L]",
            "Redirect /ws https://app.example.test/ws",
            "RequestHeader set Upgrade websocket",
            "ProxyTimeout 30",
            "Timeout 10",
            "ProxyPreserveHost On",
        ]
    ),
)


@st.composite
def generated(draw: st.DrawFn) -> str:
    out = ["Listen 80", "ServerName localhost"]
    out += [f"LoadModule {m}_module modules/mod_{m}.so" for m in draw(st.lists(st.sampled_from(MODULES), unique=True))]
    for i in range(draw(st.integers(1, 3))):
        body = [f"ServerName {draw(st.sampled_from(['app.example.test', f'h{i}.example.test', '*.example.test']))}"]
        body += draw(st.lists(DIRECTIVE, max_size=5))
        for _ in range(draw(st.integers(0, 2))):
            tag = draw(st.sampled_from(["Location", "LocationMatch"]))
            inner = "\n        ".join(
                draw(
                    st.lists(
                        st.sampled_from(
                            [
                                "ProxyPass ws://127.0.0.1:9001/",
                                "Require all denied",
                                "ProxyPass http://127.0.0.1:9002/ upgrade=websocket",
                            ]
                        ),
                        max_size=2,
                    )
                )
            )
            body.append(f"<{tag} {draw(PATH)}>\n        {inner}\n    </{tag}>")
        out.append("<VirtualHost *:80>\n    " + "\n    ".join(body) + "\n</VirtualHost>")
    return "\n".join(out) + "\n"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    return mutate(draw, draw(st.sampled_from(TEXTS)), ALPHABET)


@SETTINGS
@given(mutated())
def test_mutated_fixtures_never_crash(text: str) -> None:
    check_property("httpd.conf", text, "apache", endpoints=ENDPOINTS)


@SETTINGS
@given(generated())
def test_generated_configs_never_crash(text: str) -> None:
    check_property("httpd.conf", text, "apache", endpoints=ENDPOINTS)
