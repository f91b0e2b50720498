"""The Apache httpd adapter: parser, loader (includes, modules, conditionals), routing and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LintFn
from wslint.adapters import AdapterOptions
from wslint.apache.adapter import load_model
from wslint.apache.build import ApacheModel
from wslint.apache.parser import ParseError, parse
from wslint.apache.routing import Router, alias_match
from wslint.apache.simulator import ApacheSimulator
from wslint.clients import CLIENTS
from wslint.declare import declare_endpoints
from wslint.findings import Diagnostic, Severity
from wslint.inputs import InputFile

MODS = (
    "LoadModule proxy_module modules/mod_proxy.so\n"
    "LoadModule proxy_http_module modules/mod_proxy_http.so\n"
    "LoadModule rewrite_module modules/mod_rewrite.so\n"
)


def model(
    tmp_path: Path, text: str, files: dict[str, str] | None = None
) -> tuple[ApacheModel | None, list[Diagnostic]]:
    for rel, content in (files or {}).items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    tmp_path.mkdir(parents=True, exist_ok=True)
    main = tmp_path / "httpd.conf"
    main.write_text(text)
    diags: list[Diagnostic] = []
    opts = AdapterOptions(version=(2, 4, 71), version_text="2.4.71", version_assumed=False)
    return load_model(InputFile("httpd.conf", str(main)), opts, diags), diags


def route(m: ApacheModel, path: str, host: str = "app.example.test", client: int = 0) -> tuple[str, str | None, bool]:
    sim = ApacheSimulator(m)
    s, _, _ = sim.select(sim.candidates_for_port(80), host)
    out = Router(s, m.context).run(path, "", CLIENTS[client], host, 80)
    up = out.upgrade is not None and out.upgrade.enabled and out.kind == "proxied"
    return (out.url or f"{out.kind} {out.status}"), (out.decider.text if out.decider else None), up


# -- parser -----------------------------------------------------------------------------------


def test_words_quotes_continuations_and_positions() -> None:
    nodes = parse(
        '# comment \\\nstill comment\nProxyPass "/a b" \\\n    http://x/ key="v \\" w"\n<Location /x>\n  Require all granted\n</Location>\n',
        "f.conf",
    )
    assert [n.name for n in nodes] == ["ProxyPass", "Location"]
    pp = nodes[0]
    assert pp.args == ("/a b", "http://x/", 'key="v \\" w"') or pp.args[:2] == ("/a b", "http://x/")
    assert (pp.source.line, pp.source.column, pp.source.end_line) == (3, 1, 4)
    loc = nodes[1]
    assert loc.children is not None and loc.children[0].key == "require"
    assert (loc.source.line, loc.source.end_line) == (5, 7)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("<VirtualHost *:80>\nServerName a\n", "<VirtualHost> was not closed", 1),
        ("</Location>\n", "without matching", 1),
        ("<Location /a>\n</Directory>\n", "Expected </Location> but saw </Directory>", 2),
        ("<Location /a\n</Location>\n", "missing closing '>'", 1),
    ],
)
def test_unbalanced_sections_are_parse_errors(text: str, message: str, line: int) -> None:
    with pytest.raises(ParseError) as exc:
        parse(text, "f.conf")
    assert message in exc.value.message and exc.value.line == line


def test_alias_match_is_segment_aware() -> None:
    assert alias_match("/ws", "/ws") == 3
    assert alias_match("/ws/x", "/ws") == 3
    assert alias_match("/wsx", "/ws") == 0
    assert alias_match("/ws", "/ws/") == 0
    assert alias_match("//ws//x", "/ws/") == 6


# -- loader -------------------------------------------------------------------------------------


def test_includes_resolve_against_server_root_and_ifmodule_follows_load_order(tmp_path: Path) -> None:
    m, diags = model(
        tmp_path,
        'ServerRoot "."\n<IfModule proxy_module>\nDefine EARLY\n</IfModule>\n'
        + MODS
        + "<IfModule proxy_module>\nDefine LATE\n</IfModule>\nIncludeOptional conf/*.conf\nIncludeOptional none/*.conf\n",
        {
            "conf/b.conf": "<VirtualHost *:80>\nServerName b.example.test\n</VirtualHost>\n",
            "conf/a.conf": "<VirtualHost *:80>\nServerName a.example.test\n</VirtualHost>\n",
        },
    )
    assert m is not None and not diags
    assert "LATE" in m.loaded.defines and "EARLY" not in m.loaded.defines
    assert [v.names[0][0] for v in m.servers.vhosts] == ["a.example.test", "b.example.test"]


def test_conditional_sections_follow_defines_versions_files_and_directives(tmp_path: Path) -> None:
    m, diags = model(
        tmp_path,
        MODS + "Define PORT 8080\nDefine ON\nUnDefine ON\n"
        "<IfDefine !ON>\n<IfVersion >= 2.4.47>\n<IfFile present.txt>\n<IfDirective RewriteRule>\n"
        "<VirtualHost *:${PORT}>\nServerName kept.test\n</VirtualHost>\n"
        "</IfDirective>\n</IfFile>\n</IfVersion>\n</IfDefine>\n"
        "<IfVersion < 2.4.47>\n<VirtualHost *:80>\nServerName old.test\n</VirtualHost>\n</IfVersion>\n"
        "<IfFile absent.txt>\n<VirtualHost *:80>\nServerName nofile.test\n</VirtualHost>\n</IfFile>\n"
        "<IfSection Macro>\n<VirtualHost *:80>\nServerName macro.test\n</VirtualHost>\n</IfSection>\n",
        {"present.txt": ""},
    )
    assert m is not None and not diags
    # 2.4.71, present.txt exists, ON was undefined again, mod_macro is not loaded
    assert [(v.names[0][0], v.addresses) for v in m.servers.vhosts] == [("kept.test", [("*", 8080)])]


def test_include_cycle_and_missing_include_are_diagnostics(tmp_path: Path) -> None:
    m, diags = model(tmp_path, "Include loop.conf\nInclude missing.conf\n", {"loop.conf": "Include loop.conf\n"})
    assert m is None
    messages = [d.message for d in diags]
    assert any("include cycle" in x for x in messages)
    assert any("missing.conf not found" in x for x in messages)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "contains no configuration"),
        (b"\x00\x01binary", "is not a text file"),
        (b"<VirtualHost *:80>\n", "was not closed"),
    ],
)
def test_bad_input_is_a_diagnostic(tmp_path: Path, content: bytes, message: str) -> None:
    main = tmp_path / "httpd.conf"
    main.write_bytes(content)
    diags: list[Diagnostic] = []
    opts = AdapterOptions(version=(2, 4, 71), version_text="2.4.71", version_assumed=False)
    assert load_model(InputFile("httpd.conf", str(main)), opts, diags) is None
    assert any(message in d.message and d.path == "httpd.conf" for d in diags), diags


def test_non_utf8_is_an_error_but_the_rest_is_read(tmp_path: Path) -> None:
    main = tmp_path / "httpd.conf"
    main.write_bytes(b"# caf\xe9\nListen 80\n")
    diags: list[Diagnostic] = []
    opts = AdapterOptions(version=(2, 4, 71), version_text="2.4.71", version_assumed=False)
    assert load_model(InputFile("httpd.conf", str(main)), opts, diags) is not None
    assert any("not valid UTF-8" in d.message and d.line == 1 and d.severity is Severity.ERROR for d in diags)


# -- routing ------------------------------------------------------------------------------------

VHOSTS = (
    MODS
    + """<VirtualHost *:80>
    ServerName www.example.test
    ServerAlias *.example.test
    ProxyPass / http://127.0.0.1:9002/
</VirtualHost>
<VirtualHost *:80>
    ServerName app.example.test
    <Location /g/>
        ProxyPass http://127.0.0.1:9002/g/
    </Location>
    <Location /g/tunnel>
        ProxyPass ws://127.0.0.1:9001/g/tunnel
    </Location>
    ProxyPass / http://127.0.0.1:9001/ upgrade=websocket
</VirtualHost>
"""
)


def test_first_matching_vhost_wins_and_last_location_wins(tmp_path: Path) -> None:
    m, _ = model(tmp_path, VHOSTS)
    assert m is not None
    # the wildcard alias of the first vhost captures app.example.test
    assert route(m, "/g/tunnel")[0] == "http://127.0.0.1:9002/g/tunnel"
    only_app = model(tmp_path / "b", VHOSTS.replace("ServerAlias *.example.test\n", ""))[0]
    assert only_app is not None
    assert route(only_app, "/g/tunnel") == (
        "ws://127.0.0.1:9001/g/tunnel",
        "ProxyPass ws://127.0.0.1:9001/g/tunnel",
        True,
    )
    assert route(only_app, "/g/x")[0] == "http://127.0.0.1:9002/g/x"
    assert route(only_app, "/other")[2] is True


def test_rewritecond_is_evaluated_per_client(tmp_path: Path) -> None:
    m, _ = model(
        tmp_path,
        MODS + "<VirtualHost *:80>\nServerName app.example.test\nRewriteEngine On\n"
        "RewriteCond %{HTTP:Connection} ^Upgrade$ [NC]\nRewriteRule ^/(.*)$ ws://127.0.0.1:9001/$1 [P]\n"
        "ProxyPass / http://127.0.0.1:9002/\n</VirtualHost>\n",
    )
    assert m is not None
    assert route(m, "/ws", client=0)[2] is True  # chrome: Upgrade
    assert route(m, "/ws", client=1)[0] == "http://127.0.0.1:9002/ws"  # firefox: keep-alive, Upgrade
    rule_route = next(r for r in m.order if r.noun == "RewriteRule")
    assert [(d.client, d.matcher) for d in rule_route.divergences] == [("firefox", "whole-value")]


def test_rewrite_without_pt_is_served_from_files(tmp_path: Path) -> None:
    m, _ = model(
        tmp_path,
        MODS + "<VirtualHost *:80>\nServerName app.example.test\nRewriteEngine On\n"
        "RewriteRule ^/old/(.*)$ /ws/$1\nProxyPass /ws/ ws://127.0.0.1:9001/ws/\n</VirtualHost>\n",
    )
    assert m is not None
    assert route(m, "/old/x")[0] == "local 404"
    assert route(m, "/ws/x")[2] is True


def test_lint_reports_the_apache_rules(lint: LintFn) -> None:
    report = lint(
        "LoadModule proxy_module modules/mod_proxy.so\n<VirtualHost *:80>\n    ProxyPass /ws/ ws://127.0.0.1:9001/ws/\n"
        "    ProxyWebsocketIdleTimeout 60\n</VirtualHost>\n",
        name="httpd.conf",
    )
    assert {(f.rule, f.line) for f in report.findings} == {("proxy-module-missing", 3), ("invalid-command", 4)}


# -- what the routing differential found (tests/e2e/test_apache_routing_differential.py) ----------


def test_location_proxypass_is_a_regex_only_with_a_wildcard() -> None:
    from wslint.apache.config import fnmatch_test

    assert not fnmatch_test("^/ws$") and not fnmatch_test("^/(api|live)/websocket") and not fnmatch_test("^/r+")
    assert fnmatch_test("^/ws/(.*)$") and fnmatch_test("^/p?x$") and fnmatch_test("^/q[0-9]$")
    assert not fnmatch_test("^/q[0-9$") and not fnmatch_test("^/a\\*")


def test_worker_names_cover_urls_no_shorter_than_themselves(tmp_path: Path) -> None:
    m, _ = model(
        tmp_path,
        MODS + "<VirtualHost *:80>\nServerName app.example.test\n"
        'ProxyPassMatch "^/ws/(.*)$" http://127.0.0.1:9001/backend/$1 upgrade=websocket\n'
        "ProxyPass /w http://127.0.0.1:9002/w/ upgrade=websocket\nProxyPass /w2 http://127.0.0.1:9002/w/x\n"
        "</VirtualHost>\n",
    )
    assert m is not None
    # `http://.../backend/$1` is longer than the URL made of /ws/x: the default worker serves it
    assert route(m, "/ws/x")[2] is False
    assert route(m, "/ws/xy")[2] is True
    # the second ProxyPass shares the first's worker (its URL starts with the worker's name)
    assert route(m, "/w2") == ("http://127.0.0.1:9002/w/x", "ProxyPass /w2 http://127.0.0.1:9002/w/x", True)


def test_main_server_proxypass_comes_first_whatever_proxypassinherit_says(tmp_path: Path) -> None:
    m, _ = model(
        tmp_path,
        MODS + "ProxyPass /both ws://127.0.0.1:9002/main\n<VirtualHost *:80>\nServerName app.example.test\n"
        "ProxyPassInherit Off\nProxyPass /both ws://127.0.0.1:9001/vhost\n</VirtualHost>\n",
    )
    assert m is not None
    assert route(m, "/both")[0] == "ws://127.0.0.1:9002/main"


def test_redirects_and_denial(tmp_path: Path) -> None:
    m, _ = model(
        tmp_path,
        MODS + "LoadModule alias_module modules/mod_alias.so\nRedirect /old/ /moved/\n"
        "<VirtualHost *:80>\nServerName app.example.test\nProxyPass /ws/ !\nRedirect 301 /ws http://e.test/ws2\n"
        'RedirectMatch "^/app/(.*)$" http://e.test/app2/$1\n<Location /deny>\nRequire all denied\n</Location>\n'
        "</VirtualHost>\n",
    )
    assert m is not None
    sim = ApacheSimulator(m)
    s, _, _ = sim.select(sim.candidates_for_port(80), "app.example.test")
    router = Router(s, m.context)

    def answer(path: str) -> tuple[int | None, str | None]:
        out = router.run(path, "", CLIENTS[0], "app.example.test", 80)
        return out.status, out.location

    assert answer("/ws/x") == (301, "http://e.test/ws2/x")
    assert answer("/old/y") == (302, "http://app.example.test/moved/y")
    assert answer("/app/ws") == (302, "http://e.test/app2/ws")
    assert answer("/deny/x") == (403, None)


def test_vhosts_on_different_addresses_make_the_choice_uncertain(tmp_path: Path) -> None:
    from wslint.endpoints import parse_endpoint

    m, _ = model(
        tmp_path,
        MODS + "<VirtualHost *:80>\nServerName a.test\nProxyPass / ws://127.0.0.1:9001/\n</VirtualHost>\n"
        "<VirtualHost 10.0.0.1:80>\nServerName b.test\nProxyPass / ws://127.0.0.1:9002/\n</VirtualHost>\n",
    )
    assert m is not None
    _, results = declare_endpoints(ApacheSimulator(m), m.order, (parse_endpoint("ws://a.test/x"),))
    assert results and not any(r.certain for r in results)
    assert "different addresses" in results[0].uncertain[0]


UNKNOWN = "RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} !-f"


@pytest.mark.parametrize(
    ("conds", "expected"),
    [
        # ANDed: one condition that fails decides, whatever the unknown one says (and in any order)
        ([UNKNOWN, "RewriteCond %{REQUEST_URI} ^/api/"], False),
        (["RewriteCond %{REQUEST_URI} ^/api/", UNKNOWN], False),
        # nothing fails: the unknown one leaves it undecided
        ([UNKNOWN, "RewriteCond %{REQUEST_URI} ^/ws/"], None),
        # an [OR] chain with a member that holds holds
        ([UNKNOWN + " [OR]", "RewriteCond %{REQUEST_URI} ^/ws/"], True),
        ([UNKNOWN + " [OR]", "RewriteCond %{REQUEST_URI} ^/api/"], None),
        # a %N back-reference to an undecided condition is undecided too
        ([UNKNOWN, "RewriteCond %1 ^x"], None),
    ],
)
def test_rewrite_conditions_are_decided_when_one_fails(conds: list[str], expected: bool | None) -> None:
    from wslint.apache.parser import parse
    from wslint.apache.rewrite import Request, Unknown, collect, conds_hold

    (rule,) = collect(parse("\n".join([*conds, "RewriteRule ^ - [L]"]) + "\n", "site.conf"))
    req = Request("/ws/", "", "app.test", {}, False, 80, "app.test")
    if expected is None:
        with pytest.raises(Unknown):
            conds_hold(rule, req, ("",), [])
    else:
        assert conds_hold(rule, req, ("",), []) is expected


def test_a_ws_url_without_mod_proxy_wstunnel_fails_before_2_4_47(tmp_path: Path) -> None:
    """Uptime Kuma's recipe without mod_proxy_wstunnel (uptime-kuma issue #2633): 500 on httpd 2.4.29,
    working since mod_proxy_http handles ws:// URLs (2.4.47; the fixture is proven on 2.4.71)."""
    from wslint.core import LintOptions, run
    from wslint.endpoints import parse_endpoint
    from wslint.engine.rules import load_rules

    fixture = Path(__file__).parents[1] / "fixtures/apache/realworld-uptime-kuma-no-wstunnel/httpd.conf"
    endpoint = parse_endpoint("ws://status.example.test:8080/socket.io/?EIO=4&transport=websocket")

    def rules_at(version: str) -> list[str]:
        options = LintOptions(
            paths=(str(fixture),), proxy="apache", endpoints=(endpoint,), versions={"apache": version}
        )
        return [f.rule for f in run(options, load_rules()).findings]

    assert rules_at("2.4.29") == ["proxy-module-missing"]
    assert rules_at("2.4.71") == []


# -- what wslint does not follow makes the verdict uncertain (docs/coverage/apache.md, Known guesses) ----------

ALL_MODS = MODS + "".join(
    f"LoadModule {m}_module modules/mod_{m}.so\n"
    for m in (
        "proxy_wstunnel",
        "headers",
        "authz_core",
        "access_compat",
        "proxy_balancer",
        "proxy_hcheck",
        "lbmethod_byrequests",
        "macro",
        "ssl",
        "env",
    )
)
WS_PROXY = "ProxyPass /ws/ ws://127.0.0.1:9001/ws/\n"


def verdicts(tmp_path: Path, vhost: str, top: str = "") -> tuple[bool, ...]:
    """Whether each client's verdict for ws://app.example.test/ws/ is certain."""
    from wslint.endpoints import parse_endpoint

    m, _ = model(tmp_path, ALL_MODS + top + f"<VirtualHost *:80>\nServerName app.example.test\n{vhost}</VirtualHost>\n")
    assert m is not None
    _, results = declare_endpoints(ApacheSimulator(m), m.order, (parse_endpoint("ws://app.example.test/ws/"),))
    assert results
    return tuple(r.certain for r in results)


def test_the_plain_websocket_proxy_is_judged(tmp_path: Path) -> None:
    assert all(verdicts(tmp_path, WS_PROXY))
    assert all(verdicts(tmp_path / "granted", "<Proxy *>\nRequire all granted\n</Proxy>\n" + WS_PROXY))
    assert all(verdicts(tmp_path / "tls", "SSLProxyEngine On\nProxyPass /ws/ wss://127.0.0.1:9001/ws/\n"))
    assert all(verdicts(tmp_path / "header", "<If \"%{HTTPS} == 'on'\">\nHeader set X-A b\n</If>\n" + WS_PROXY))


@pytest.mark.parametrize(
    ("vhost", "top"),
    [
        pytest.param("<Proxy *>\nRequire all denied\n</Proxy>\n", "", id="proxy-section-access"),
        pytest.param(
            "<Location /ws/>\n<RequireAny>\nRequire ip 10.0.0.0/8\n</RequireAny>\n</Location>\n", "", id="require-any"
        ),
        pytest.param(
            "<Location /ws/>\nOrder deny,allow\nDeny from all\nAllow from 10.0.0.0/8\n</Location>\n",
            "",
            id="allow-from",
        ),
        pytest.param("<Location /ws/>\n<Limit GET>\nRequire valid-user\n</Limit>\n</Location>\n", "", id="limit-get"),
        pytest.param('<Location /ws/>\nSetHandler "proxy:ws://127.0.0.1:9002"\n</Location>\n', "", id="sethandler"),
        pytest.param("RequestHeader unset Upgrade env=no_upgrade\n", "", id="requestheader-env"),
        pytest.param("<If \"%{REMOTE_ADDR} != '127.0.0.1'\">\nRequire all denied\n</If>\n", "", id="if-section"),
        pytest.param(
            "",
            "<Macro Site $host>\n<VirtualHost *:80>\nServerName $host\n</VirtualHost>\n</Macro>\nUse Site other.test\n",
            id="macro-use",
        ),
        pytest.param(
            "RewriteEngine On\nRewriteCond /var/www/maintenance.on -f\nRewriteRule ^ - [R=503,L]\n", "", id="file-test"
        ),
        pytest.param("RewriteEngine On\nRewriteRule ^/ws/(.*)$ /ws/$1 [N]\n", "", id="rewrite-next"),
        pytest.param("ProxyRemote * http://10.0.0.1:3128\n", "", id="proxy-remote"),
        pytest.param("SSLEngine On\nSSLVerifyClient require\n", "", id="client-certificate"),
        pytest.param("SetEnv force-proxy-request-1.0 1\n", "", id="force-http-1.0"),
        pytest.param("<Location /ws/>\nAllowMethods POST\n</Location>\n", "", id="allow-methods"),
    ],
)
def test_what_wslint_does_not_follow_is_not_judged(tmp_path: Path, vhost: str, top: str) -> None:
    assert not any(verdicts(tmp_path, vhost + WS_PROXY, top))


def test_tls_to_the_backend_without_ssl_proxy_engine_is_not_judged(tmp_path: Path) -> None:
    assert not any(verdicts(tmp_path, "ProxyPass /ws/ wss://127.0.0.1:9001/ws/\n"))


def test_a_health_check_template_is_not_judged(tmp_path: Path) -> None:
    top = "ProxyHCTemplate tpl hcmethod=GET hcuri=/ws/\n<Proxy balancer://b>\nBalancerMember ws://127.0.0.1:9001 hctemplate=tpl\n</Proxy>\n"
    assert not any(verdicts(tmp_path, "ProxyPass /ws/ balancer://b/ws/\n", top))


def test_a_denied_location_keeps_its_own_upgrade(lint: LintFn) -> None:
    """Who may reach a route is the endpoints' business: `Deny from all` beside `Allow from 10.0.0.0/8`
    was reported as upgrade-not-enabled ("but not proxied") with an upgrade=websocket fix."""
    report = lint(
        ALL_MODS + "<VirtualHost *:80>\nServerName app.example.test\n<Location /ws/>\nOrder deny,allow\n"
        "Deny from all\nAllow from 10.0.0.0/8\nProxyPass ws://127.0.0.1:9001/ws/\n</Location>\n</VirtualHost>\n",
        name="httpd.conf",
    )
    assert [f.rule for f in report.findings] == []


@pytest.mark.parametrize(
    "directory",
    [
        pytest.param("RewriteEngine On\nRewriteRule ^ws/(.*)$ ws://127.0.0.1:9001/ws/$1 [P]\n", id="rewrite"),
        pytest.param("AllowOverride All\n", id="htaccess"),
    ],
)
def test_a_path_nothing_proxies_is_not_judged_when_per_directory_rules_may_answer(
    tmp_path: Path, directory: str
) -> None:
    assert all(verdicts(tmp_path / "none", "DocumentRoot /var/www\n"))
    assert not any(verdicts(tmp_path, f"DocumentRoot /var/www\n<Directory /var/www>\n{directory}</Directory>\n"))


@pytest.mark.parametrize(
    ("rules", "kind", "target"),
    [
        # [C]: a rule that does not match skips the rest of its chain
        (["RewriteRule ^/old - [C]", "RewriteRule ^ ws://127.0.0.1:9002/ [P]"], "none", None),
        # [S=1] skips the next rule
        (["RewriteRule ^/ws - [S=1]", "RewriteRule ^ - [F]", "RewriteRule ^ ws://127.0.0.1:9001/ [P]"], "proxy", None),
        (["RewriteRule ^/ws - [G]"], "gone", None),
        (["RewriteRule ^/ws/(.*)$ /sock/$1 [END]", "RewriteRule ^ - [F]"], "path", "/sock/"),
        (["RewriteRule ^/ws/$ ws://127.0.0.1:9001/s?a=1 [P,QSA]"], "proxy", "ws://127.0.0.1:9001/s?a=1&EIO=4"),
        # [QSD] discards the request's query, not the one the substitution writes (mod_rewrite.c)
        (["RewriteRule ^/ws/$ ws://127.0.0.1:9001/s [P,QSD]"], "proxy", "ws://127.0.0.1:9001/s"),
        (["RewriteRule ^/ws/$ ws://127.0.0.1:9001/s?a=1 [P,QSD]"], "proxy", "ws://127.0.0.1:9001/s?a=1"),
        (["RewriteRule ^/ws/$ ws://127.0.0.1:9001/s? [P,QSA]"], "proxy", "ws://127.0.0.1:9001/s?EIO=4"),
    ],
)
def test_rewrite_flags(rules: list[str], kind: str, target: str | None) -> None:
    from wslint.apache.parser import parse
    from wslint.apache.rewrite import Request, collect, run_rules

    applied = run_rules(
        collect(parse("\n".join(rules) + "\n", "site.conf")),
        Request("/ws/", "EIO=4", "app.test", {}, False, 80, "app.test"),
        lambda p: "http://app.test" + p,
    )
    assert applied.kind == kind
    if target is not None:
        assert (applied.url or applied.uri) == target
