"""The nginx adapter: include resolution, contexts, inheritance and evaluation semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from wslint.detect import detect
from wslint.endpoints import parse_endpoint
from wslint.findings import Severity
from wslint.inputs import InputFile
from wslint.model import ProxyConfig, Route
from wslint.nginx.build import BuildOptions, NginxModel
from wslint.nginx.loader import Loader, LoadOptions
from wslint.nginx.locations import normalize_uri, select

from .conftest import LintFn

WS = """\
proxy_http_version 1.1;
proxy_set_header Upgrade $http_upgrade;
proxy_set_header Connection "upgrade";
"""


def model(tmp_path: Path, files: dict[str, str], main: str = "site.conf", **build: object) -> ProxyConfig:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    diags: list = []
    loaded = Loader(LoadOptions(), diags).load(InputFile(main, str(tmp_path / main)))
    assert loaded is not None and not loaded.failed, diags
    opts = BuildOptions(version=build.pop("version", (1, 28, 0)), version_text="1.28.0", **build)  # type: ignore[arg-type]
    return NginxModel(loaded, opts).build()


def route(cfg: ProxyConfig, pattern: str) -> Route:
    return next(r for r in cfg.routes if r.match.pattern == pattern)


# -- includes --------------------------------------------------------------------


def test_relative_includes_resolve_against_the_main_files_directory(lint: LintFn) -> None:
    report = lint(
        "events {}\nhttp { include conf.d/*.conf; }\n",
        name="nginx.conf",
        files={
            "conf.d/b.conf": "server { listen 80; location /ws/ { proxy_pass http://a; include snippets/ws.conf; } }\n",
            "conf.d/a.conf": "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n",
            # relative to nginx.conf's directory, not to conf.d/
            "snippets/ws.conf": WS.replace('"upgrade"', "$connection_upgrade"),
        },
    )
    assert report.findings == [] and report.diagnostics == []
    (cfg,) = report.configs
    assert cfg.files == ("nginx.conf", "conf.d/a.conf", "conf.d/b.conf", "snippets/ws.conf")


SITE = """server {
    listen 80;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
    }
}
"""
WS_MAP = "map $http_upgrade $connection_upgrade {\n    default upgrade;\n    '' close;\n}\n"


@pytest.mark.parametrize("site", ["sites-available/app", "sites-enabled/app.conf", "conf.d/app.conf"])
def test_a_fragment_sees_the_maps_of_the_files_the_stock_nginx_conf_includes_beside_it(lint: LintFn, site: str) -> None:
    # Debian's nginx.conf includes conf.d/*.conf and sites-enabled/* in its http block: a map in
    # conf.d/websocket.conf defines $connection_upgrade for a site (proven on nginx 1.22.1)
    report = lint(SITE, name=site, files={"conf.d/websocket.conf": WS_MAP})
    assert report.findings == [] and report.diagnostics == []
    endpoint = parse_endpoint("ws://app.example.test/ws/x")
    report = lint(SITE, name=site, files={"conf.d/websocket.conf": WS_MAP}, endpoints=(endpoint,))
    assert report.findings == []
    (result, *_) = report.configs[0].endpoint_results
    assert result.upgrades


def test_a_fragment_alone_or_away_from_the_stock_layout_still_lacks_the_map(lint: LintFn) -> None:
    assert [f.code for f in lint(SITE, name="sites-available/app").findings] == ["WS401"]
    # a map in some other directory is not included by the stock nginx.conf
    report = lint(SITE, name="sites-available/app", files={"maps/websocket.conf": WS_MAP})
    assert [f.code for f in report.findings] == ["WS401"]
    report = lint(SITE, name="site/app.conf", files={"site/websocket.conf": WS_MAP})
    assert [f.code for f in report.findings] == ["WS401"]


UNREAD = """server {
    listen 80;
    server_name app.example.test;
    INCLUDE_SERVER
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        INCLUDE_LOCATION
    }
}
"""


def test_a_location_including_a_file_that_is_not_there_is_not_judged(lint: LintFn) -> None:
    # the WebSocket headers may well be in the snippet: only the include is reported
    inc = "include /etc/nginx/snippets/websocket.conf;"
    text = UNREAD.replace("INCLUDE_LOCATION", inc).replace("INCLUDE_SERVER", "")
    for endpoints in ((), (parse_endpoint("ws://app.example.test/ws/x"),)):
        report = lint(text, endpoints=endpoints)
        assert report.findings == []
        assert [(d.kind, d.line) for d in report.diagnostics] == [("include", 7)]
    # a missing file at the server level leaves the location's own lines to judge
    text = UNREAD.replace("INCLUDE_LOCATION", "").replace("INCLUDE_SERVER", inc)
    assert sorted(f.code for f in lint(text).findings) == ["WS101", "WS102"]


def test_glob_matching_nothing_is_fine_but_a_missing_file_is_reported(lint: LintFn) -> None:
    report = lint("include none/*.conf;\ninclude missing.conf;\nserver { listen 80; }\n")
    (diag,) = report.diagnostics
    assert (diag.kind, diag.severity, diag.path, diag.line) == ("include", Severity.WARNING, "site.conf", 2)
    assert "missing.conf not found" in diag.message


def test_absolute_include_hint_and_root_mapping(lint: LintFn, tmp_path: Path) -> None:
    text = "server { listen 80; location /ws/ { proxy_pass http://a; include /etc/nginx/snippets/ws.conf; } }\n"
    report = lint(text)
    assert "--root /etc/nginx/snippets=DIR" in report.diagnostics[0].message
    report = lint(text, files={"deploy/snippets/ws.conf": WS}, roots=(("/etc/nginx", "deploy"),))
    assert report.diagnostics == []
    assert report.configs[0].files == ("site.conf", "deploy/snippets/ws.conf")


def test_include_cycles_are_errors_not_hangs(lint: LintFn) -> None:
    report = lint("include a.conf;\n", files={"a.conf": "include b.conf;\n", "b.conf": "include a.conf;\n"})
    assert report.configs == []
    assert any(d.kind == "include" and "include cycle" in d.message for d in report.diagnostics)
    report = lint("include site.conf;\nserver { listen 80; }\n")
    assert any("includes itself" in d.message for d in report.diagnostics)


def test_stock_proxy_params_counts_as_header_directives(tmp_path: Path) -> None:
    cfg = model(
        tmp_path,
        {"site.conf": "server { " + WS + " location /ws/ { include proxy_params; proxy_pass http://a; } }\n"},
    )
    r = route(cfg, "/ws/")
    assert [d.name for d in r.header_scope.dropped] == ["Upgrade", "Connection"]
    assert r.header_scope.discarded_by is not None and r.header_scope.discarded_by.path == "site.conf"


# -- contexts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "context", "routes"),
    [
        ("events {}\nhttp { server { location / { proxy_pass http://a; } } }\n", "main", 1),
        ("server { location / { proxy_pass http://a; } }\n", "http", 1),
        ("location /a/ { proxy_pass http://a; }\nlocation /b/ { return 404; }\n", "server", 2),
        (WS, "http", 0),
    ],
)
def test_context_of_a_fragment_is_detected(tmp_path: Path, text: str, context: str, routes: int) -> None:
    cfg = model(tmp_path, {"site.conf": text})
    assert cfg.fragment_context == context
    assert len(cfg.routes) == routes


def test_map_inside_server_via_include_is_misplaced(tmp_path: Path) -> None:
    cfg = model(
        tmp_path,
        {
            "site.conf": "server { include ws-map.conf; location / { proxy_pass http://a; } }\n",
            "ws-map.conf": "map $http_upgrade $connection_upgrade { default upgrade; }\n",
        },
    )
    (m,) = cfg.misplaced_directives
    assert (m.directive, m.context, m.source.path, m.source.line) == ("map", "server", "ws-map.conf", 1)


# -- inheritance -------------------------------------------------------------------


def test_proxy_set_header_is_all_or_nothing_but_http_version_is_inherited(tmp_path: Path) -> None:
    cfg = model(
        tmp_path,
        {
            "site.conf": WS
            + "server { proxy_set_header X-Real-IP $remote_addr; location /ws/ { proxy_pass http://a; } }\n"
        },
    )
    r = route(cfg, "/ws/")
    hs = r.handshake
    assert hs is not None
    assert hs.http_version.value == "1.1" and hs.http_version.source is not None
    assert hs.upgrade_status == "missing"
    assert hs.header("Connection") is not None and hs.header("Connection").value == "close"  # type: ignore[union-attr]
    assert hs.header("X-Real-IP") is not None
    assert r.header_scope.discarded_by is not None and r.header_scope.discarded_by.line == 4


def test_nested_locations_inherit_headers_and_timeouts_but_not_proxy_pass(tmp_path: Path) -> None:
    cfg = model(
        tmp_path,
        {
            "site.conf": "server { " + WS + " proxy_read_timeout 1h;\n"
            " location /api/ { proxy_pass http://a; location /api/static/ { root /srv; } "
            "location /api/ws { proxy_pass http://a; } } }\n"
        },
    )
    ws = route(cfg, "/api/ws")
    assert ws.handshake is not None and ws.handshake.upgrade_status == "ok"
    assert ws.idle_timeout is not None and ws.idle_timeout.value == 3600 and ws.idle_timeout.level == "outer"
    static = route(cfg, "/api/static/")
    assert static.action.kind == "static" and static.upstream is None


def test_defaults_change_with_nginx_1_29_7(tmp_path: Path) -> None:
    text = "server { location /ws/ { proxy_pass http://a; proxy_set_header Upgrade $http_upgrade; } }\n"
    old = route(model(tmp_path, {"site.conf": text}), "/ws/").handshake
    new = route(model(tmp_path, {"site.conf": text}, version=(1, 29, 7)), "/ws/").handshake
    assert old is not None and new is not None
    assert (old.http_version.value, old.header("Connection").value) == ("1.0", "close")  # type: ignore[union-attr]
    assert new.http_version.value == "1.1" and new.connection_status == "missing"


def test_client_headers_pass_but_hop_by_hop_ones_never_do(tmp_path: Path) -> None:
    hs = route(
        model(tmp_path, {"site.conf": "server { location /ws/ { proxy_pass http://127.0.0.1:9001; } }\n"}),
        "/ws/",
    ).handshake
    assert hs is not None
    assert hs.header("Upgrade").value == ""  # type: ignore[union-attr]
    assert hs.header("Host").value == "127.0.0.1:9001"  # type: ignore[union-attr]
    assert hs.header("sec-websocket-key") is not None and hs.header("origin") is not None


# -- evaluation --------------------------------------------------------------------


def test_map_matching_rules(tmp_path: Path) -> None:
    text = (
        "map $http_connection $exact { upgrade upgrade; default close; }\n"
        "map $http_connection $rx { ~*\\bupgrade\\b yes; default no; }\n"
        "map $http_upgrade $nodefault { websocket yes; }\n"
        "server { location /ws/ { proxy_pass http://a; proxy_set_header Upgrade $http_upgrade;\n"
        " proxy_set_header A $exact; proxy_set_header B $rx; proxy_set_header C $nodefault;\n"
        " proxy_set_header Connection $exact; } }\n"
    )
    r = route(model(tmp_path, {"site.conf": text}), "/ws/")
    values = {hs.client: (hs.header("A").value, hs.header("B").value) for hs in r.handshakes}  # type: ignore[union-attr]
    assert values == {
        "chrome": ("upgrade", "yes"),
        "firefox": ("close", "yes"),
        "lowercase": ("upgrade", "yes"),
    }
    assert {hs.header("C").value for hs in r.handshakes} == {"yes"}  # type: ignore[union-attr]
    (div,) = r.divergences
    assert (div.client, div.aspect, div.variable, div.matcher, div.key) == (
        "firefox",
        "connection",
        "http_connection",
        "whole-value",
        "upgrade",
    )


def test_variables_defined_anywhere_and_builtins_are_not_undefined(tmp_path: Path) -> None:
    text = (
        "server { location /a/ { set $backend 10.0.0.1; }\n"
        ' location ~ ^/u/(?<user>[a-z]+)$ { return 200 "$user $backend $1 $arg_q $cookie_c $http_x_y"; }\n'
        " location /b/ { proxy_pass http://a; proxy_set_header X $nope; } }\n"
    )
    cfg = model(tmp_path, {"site.conf": text})
    assert [(v.name, v.source.line) for v in cfg.variable_references] == [("nope", 3)]


def test_positions_are_exact(tmp_path: Path) -> None:
    text = "server {\n\tlisten 80;\n\tlocation /ws/ { proxy_pass http://a;\n\t\tproxy_read_timeout 5s; }\n}\n"
    r = route(model(tmp_path, {"site.conf": text}), "/ws/")
    assert (r.source.line, r.source.column, r.source.end_line, r.source.end_column) == (3, 2, 4, 27)
    assert r.idle_timeout is not None and r.idle_timeout.source is not None
    assert (r.idle_timeout.source.line, r.idle_timeout.source.column) == (4, 3)
    assert r.block is not None and not r.block.close_on_own_line and r.block.child_indent == "\t\t"


# -- the access phase: what wslint cannot see decides ----------------------------------

GUARDED = """server {
    listen 80;
    server_name app.example.test;
    SERVER
    location /ws/ {
        proxy_pass http://127.0.0.1:3000/;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        LOCATION
    }
}
"""


@pytest.mark.parametrize(
    ("server", "location", "why"),
    [
        ("", "deny 10.0.0.0/8;", "whether the client's address passes `deny` at site.conf:10:"),
        ("allow 10.0.0.0/8;\n    deny all;", "", "whether the client's address passes `allow` at site.conf:4:"),
        (
            "auth_basic Private;",
            "",
            "whether the client's credentials pass the handshake (`auth_basic` at site.conf:4:",
        ),
        ("", "auth_request /auth;", "whether the subrequest allows the handshake (`auth_request` at site.conf:10:"),
        ("", "limit_except POST { deny all; }", "whether a GET passes the access rules of `limit_except`"),
        ("proxy_method POST;", "", "whether the backend upgrades a POST handshake (`proxy_method` at site.conf:4:"),
    ],
)
def test_a_location_guarded_by_what_wslint_cannot_see_is_not_judged(
    lint: LintFn, server: str, location: str, why: str
) -> None:
    # the path is wrong (the URI in proxy_pass strips /ws/), but whether the handshake gets that far
    # depends on the client's address, its credentials or another backend
    endpoint = parse_endpoint("ws://app.example.test/ws/chat#backend=/ws/chat")
    bare = lint(GUARDED.replace("SERVER", "").replace("LOCATION", ""), endpoints=(endpoint,))
    assert [f.rule for f in bare.findings] == ["path-rewritten"]
    report = lint(GUARDED.replace("SERVER", server).replace("LOCATION", location), endpoints=(endpoint,))
    assert report.findings == []
    (result, *_) = report.configs[0].endpoint_results
    assert not result.certain
    assert any(why in reason for reason in result.uncertain), result.uncertain


@pytest.mark.parametrize(
    "guard",
    ["allow all;", "auth_basic off;", "auth_request off;", "limit_except GET { deny all; }", "proxy_method GET;"],
)
def test_guards_that_let_a_get_handshake_through_keep_the_verdict(lint: LintFn, guard: str) -> None:
    endpoint = parse_endpoint("ws://app.example.test/ws/chat#backend=/ws/chat")
    report = lint(GUARDED.replace("SERVER", "").replace("LOCATION", guard), endpoints=(endpoint,))
    assert [f.rule for f in report.findings] == ["path-rewritten"]
    (result, *_) = report.configs[0].endpoint_results
    assert result.certain


# -- location selection ---------------------------------------------------------------


LOCATIONS = """\
server {
    location = /exact { return 200; }
    location / { return 200; }
    location /ws/ { proxy_pass http://a; }
    location ^~ /static/ { return 200; }
    location ~ ^/static/.*\\.js$ { return 200; }
    location ~ ^/api/ { return 200; }
    location ~ ^/api/ws { return 200; }
    location ~* \\.PNG$ { return 200; }
    location /api/ { location ~ /deep$ { return 200; } }
}
"""


@pytest.mark.parametrize(
    ("uri", "outcome", "line"),
    [
        ("/exact", "found", 2),
        ("/exact/x", "found", 3),
        ("/ws", "redirect", 4),
        ("/ws/chat", "found", 4),
        ("/static/app.js", "found", 5),
        ("/api/ws/x", "found", 7),
        ("/api/x/deep", "found", 10),
        ("/img/A.png", "found", 9),
        ("/api/", "found", 7),  # a prefix equal to the URI does not stop the regex search
    ],
)
def test_location_selection(tmp_path: Path, uri: str, outcome: str, line: int) -> None:
    (tmp_path / "site.conf").write_text(LOCATIONS)
    loaded = Loader(LoadOptions(), []).load(InputFile("site.conf", str(tmp_path / "site.conf")))
    assert loaded is not None
    server = next(loaded.root.iter("server"))
    sel = select(server, normalize_uri(uri))
    assert sel.outcome == outcome
    assert sel.location is not None and sel.location.directive.source.line == line


@pytest.mark.parametrize(("raw", "uri"), [("/a//b", "/a/b"), ("/a/../ws/", "/ws/"), ("/w%73/?x=1", "/ws/"), ("", "/")])
def test_uri_normalization(raw: str, uri: str) -> None:
    assert normalize_uri(raw) == uri


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("site.conf", "server {\n listen 80;\n}\n", "nginx"),
        ("sites-available/app", "server {\n    listen 127.0.0.1:8080;\n}\n", "nginx"),
        ("haproxy.cfg", "frontend fe\n  bind :80\n", "haproxy"),
        ("lb.cfg", "defaults\n  mode http\n", "haproxy"),
        ("httpd.conf", "Listen 80\n", "apache"),
        ("site.conf", "<VirtualHost *:80>\n  ProxyPass / http://a/\n</VirtualHost>\n", "apache"),
        ("Caddyfile", "example.com {\n reverse_proxy a:80\n}\n", "caddy"),
        ("traefik.yml", "entryPoints:\n  web:\n    address: ':80'\n", "traefik"),
        ("notes.yaml", "a: 1\n", None),
    ],
)
def test_detection(name: str, head: str, kind: str | None) -> None:
    assert detect(name, head) == kind


# -- nginx's own checks (arity, blocks, contexts, names) ------------------------------

MAIN = "events {}\nhttp {\n    server {\n        listen 80;\n        location / {\n%s\n        }\n    }\n}\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        # the line nginx -t names: the one with the `}` that ends the unfinished directive
        ("proxy_pass http://127.0.0.1:3000", 7, 'unexpected "}" (the "proxy_pass" directive on line 6'),
        # a directive over two lines: the line of its `;`
        (
            "proxy_set_header\n    Host;",
            7,
            'invalid number of arguments in "proxy_set_header" directive (it takes 2, not 1)',
        ),
        ("proxy_http_version 1.1 2;", 6, 'invalid number of arguments in "proxy_http_version" directive'),
        ("proxy_buffering maybe;", 6, 'invalid value "maybe" in "proxy_buffering" directive, it must be "on" or "off"'),
        ("proxy_http_version 1.1 { }", 6, 'directive "proxy_http_version" is not terminated by ";"'),
        ("location /x;", 6, 'directive "location" has no opening "{"'),
        ("listen 8080;", 6, '"listen" directive is not allowed here (in location; nginx accepts it in server)'),
        ("proxy_set_heade Upgrade $http_upgrade;", 6, 'unknown directive "proxy_set_heade": nginx 1.22.1'),
        ("http2 on;", 6, 'unknown directive "http2": nginx 1.22.1 has no such directive, it appeared in nginx 1.25.1'),
        ("include a.conf b.conf;", 6, 'invalid number of arguments in "include" directive'),
    ],
)
def test_what_nginx_refuses_is_a_parse_error_on_its_line(lint: LintFn, body: str, line: int, message: str) -> None:
    report = lint(MAIN % body, name="nginx.conf", nginx_version="1.22.1")
    (diag,) = [d for d in report.diagnostics if d.severity == Severity.ERROR]
    assert (diag.kind, diag.path, diag.line) == ("parse", "nginx.conf", line), diag
    assert diag.message.startswith(message), diag.message
    # no model: nothing is judged (the location lacks every WebSocket header)
    assert report.findings == [] and report.configs == []


def test_a_problem_in_an_included_file_is_on_that_files_line(lint: LintFn) -> None:
    report = lint(
        "events {}\nhttp { include conf.d/*.conf; }\n",
        name="nginx.conf",
        files={"conf.d/app.conf": "server {\n    listen 80;\n    proxy_timeout 10s;\n}\n"},
    )
    (diag,) = report.diagnostics
    assert (diag.path, diag.line, diag.severity) == ("conf.d/app.conf", 3, Severity.ERROR)
    assert diag.message.startswith('"proxy_timeout" directive is not allowed here (in server; nginx accepts it in')


def test_a_map_entry_has_two_words(lint: LintFn) -> None:
    report = lint("map $http_upgrade $c {\n    default upgrade close;\n    hostnames;\n}\n")
    (diag,) = report.diagnostics
    assert (diag.line, diag.message.split(" (")[0]) == (2, "invalid number of the map parameters")


@pytest.mark.parametrize("version", ["1.22.1", "1.28.0", None])
def test_a_directive_removed_in_a_later_version(lint: LintFn, version: str | None) -> None:
    """`ssl on` (removed in 1.25.1) is WS603 at the modelled version, assumed or given, and the rest is linted."""
    text = MAIN.replace("listen 80;", "listen 443;\n        ssl on;") % "return 200;"
    report = lint(text, name="nginx.conf", **({"nginx_version": version} if version else {}))
    assert report.diagnostics == []
    if version == "1.22.1":
        assert report.findings == []
        return
    (finding,) = report.findings
    assert (finding.rule, finding.line) == ("removed-keyword", 5)
    assert "was removed in nginx 1.25.1" in finding.message
    assert ("(wslint assumes it; pass --nginx-version)" in finding.message) == (version is None)
    assert finding.fix is not None
    assert [e.new_text for e in finding.fix.edits if e.new_text] == ["listen 443 ssl;"]


@pytest.mark.parametrize(
    ("server", "action"),
    [
        ("listen 443 ssl;\n        ssl on;", "delete"),
        ("listen 443;\n        listen [::]:443;\n        ssl on;", "explain"),
        ("listen 443;\n        ssl off;", "delete"),
    ],
)
def test_ssl_on_moves_to_the_one_listen(lint: LintFn, server: str, action: str) -> None:
    report = lint(MAIN.replace("listen 80;", server) % "return 200;", name="nginx.conf", nginx_version="1.28.0")
    (subject,) = report.configs[0].misplaced_directives
    assert (subject.directive, subject.replace_action) == ("ssl", action)


def test_a_removed_directive_beside_another_refusal_is_a_diagnostic(lint: LintFn) -> None:
    text = MAIN.replace("listen 80;", "listen 443;\n        ssl on;\n        no_such_thing 1;") % "return 200;"
    report = lint(text, name="nginx.conf", nginx_version="1.28.0")
    assert report.findings == []
    assert [(d.line, d.severity) for d in report.diagnostics] == [(5, Severity.ERROR), (6, Severity.ERROR)]


def test_a_location_snippet_is_read_in_a_location(lint: LintFn) -> None:
    """proxy_pass at the top of a snippet: valid where the snippet is included, so nothing is misplaced."""
    report = lint("proxy_pass http://127.0.0.1:3000;\n" + WS, name="snippets/ws.conf")
    assert report.findings == [] and report.diagnostics == []
    assert report.configs[0].fragment_context == "location"


def test_a_stream_server_fragment_is_not_an_http_server(lint: LintFn) -> None:
    report = lint("server {\n    listen 12345;\n    proxy_pass 127.0.0.1:22;\n    proxy_timeout 1h;\n}\n")
    assert report.findings == [] and report.diagnostics == []
    assert report.configs[0].fragment_context == "stream"


def test_an_unknown_directive_in_a_fragment_is_a_warning_and_the_rest_is_linted(lint: LintFn) -> None:
    report = lint(
        "server {\n    listen 80;\n    location /ws/ {\n        proxy_pass http://a;\n        more_set_headers 'X: y';\n    }\n}\n"
    )
    (diag,) = report.diagnostics
    assert (diag.line, diag.severity) == (5, Severity.WARNING)
    assert (
        "nginx refuses it unless a module defines it that the nginx.conf including this fragment loads" in diag.message
    )
    assert {f.rule for f in report.findings} >= {"upstream-http-version"}


def test_a_third_party_module_makes_unknown_directives_warnings(lint: LintFn) -> None:
    text = "load_module modules/ngx_http_headers_more_filter_module.so;\n" + MAIN % "more_set_headers 'X: y';"
    report = lint(text, name="nginx.conf")
    (diag,) = report.diagnostics
    assert diag.severity == Severity.WARNING
    assert "ngx_http_headers_more_filter_module.so: not a module of the Debian build" in diag.message
    # the Debian build's own modules keep the check strict
    report = lint(text.replace("ngx_http_headers_more_filter_module.so", "ngx_stream_module.so"), name="nginx.conf")
    assert [d.severity for d in report.diagnostics] == [Severity.ERROR]


def test_a_misplacement_the_rules_move_stays_a_finding_unless_nginx_refuses_more(lint: LintFn) -> None:
    text = "server {\n    listen 80;\n    proxy_pass http://127.0.0.1:3000;\n    location / { return 200; }\n}\n"
    report = lint(text)
    assert report.diagnostics == []
    assert [(f.rule, f.line) for f in report.findings] == [("directive-not-allowed-here", 3)]
    # with another refusal there is no model: both are parse errors
    report = lint(text.replace("return 200;", "return 200 a b;"))
    assert report.findings == []
    assert [(d.line, d.message.split(" (")[0]) for d in report.diagnostics] == [
        (3, '"proxy_pass" directive is not allowed here'),
        (4, 'invalid number of arguments in "return" directive'),
    ]


def test_routes_share_the_headers_their_handshakes_repeat(tmp_path: Path) -> None:
    """Each distinct header is one object however many routes and clients send it (memory on large files)."""
    server = """server {{
    listen 80;
    server_name s{i}.test;
    proxy_set_header Host $host;
    location /ws/ {{
        proxy_pass http://127.0.0.1:300{i};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }}
}}
"""
    cfg = model(tmp_path, {"site.conf": "".join(server.format(i=i) for i in range(6))})
    sent = [h for r in cfg.routes if r.websocket.carries_websockets for u in r.handshakes for h in u.headers]
    assert len(sent) > 6 * 3 * 5
    assert len({id(h) for h in sent}) == len(set(sent))  # as many objects as different headers
    assert {h.name.lower() for h in sent} >= {"upgrade", "connection", "sec-websocket-key", "host"}
