"""Hostile and broken input: a clear diagnostic with file and line, exit code 2, bounded time and memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import invoke
from wslint.findings import Diagnostic
from wslint.haproxy.parser import parse as haproxy_parse
from wslint.inputs import InputFile
from wslint.limits import Limits


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str) -> tuple[int, str]:
    return invoke(*args, "--color", "never")


def lint_capped(*args: str, memory: int = 1 << 30, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """wslint in a process whose address space is capped: using more memory than `memory` fails it."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "wslint", *args, "--color", "never"],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap,
        check=False,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "site.conf:1: error: site.conf contains no configuration (it is empty or only comments) (parse)"),
        (b"# just a comment\n", "site.conf:1: error: site.conf contains no configuration"),
        (b"server {\n    listen 80;\n    location / {\n", 'site.conf:4: error: unexpected end of file, expecting "}"'),
        (b"server { listen 80; }\n}\n", 'site.conf:2: error: unexpected "}"'),
        (
            b'server {\n listen 80;\n proxy_set_header X "abc;\n}\n',
            'site.conf:5: error: unexpected end of file, expecting ";" or "}" (the " quote opened on line 3 is never closed)',
        ),
        (
            b"server {\n listen 80; # caf\xe9\n location / { return 200; } }\n",
            "site.conf:2: error: site.conf is not valid UTF-8 (byte 0xe9 on line 2)",
        ),
        (b"server { listen 80; }\x00\x01", "site.conf: error: site.conf is not a text file"),
        (b"location /a { " * 10_000 + b"}" * 10_000, "site.conf:1: error: blocks nested deeper than 200 levels"),
    ],
)
def test_broken_files(here: Path, content: bytes, message: str) -> None:
    (here / "site.conf").write_bytes(content)
    code, out = lint("site.conf", "--proxy", "nginx")
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


def test_a_huge_single_line_stays_fast_and_small(here: Path) -> None:
    (here / "site.conf").write_bytes(b"server { listen 80; set $x " + b"a" * (9 * 1024 * 1024) + b"; }\n")
    res = lint_capped("site.conf", timeout=30)
    assert res.returncode == 2, res.stdout + res.stderr
    assert 'site.conf:1: error: too long parameter "aaaaaaaaaaaaaaaaaaaa..." (9437184 bytes)' in res.stderr


def test_file_size_limit_is_configurable(here: Path) -> None:
    (here / "site.conf").write_text("server {\n    listen 80;\n}\n" * 100)
    (here / ".wslint.yaml").write_text("limits:\n  file-size: 1KB\n")
    code, out = lint("site.conf")
    assert code == 2 and "site.conf is 2600 bytes, over the limit of 1024 bytes" in out
    (here / ".wslint.yaml").write_text("limits:\n  size: 1KB\n")
    code, out = lint("site.conf")
    assert code == 2 and "limits.size: unknown limit" in out


def test_include_cycles_and_self_includes(here: Path) -> None:
    (here / "a.conf").write_text("include b.conf;\n")
    (here / "b.conf").write_text("server { include a.conf; }\n")
    code, out = lint("a.conf", "--proxy", "nginx")
    assert code == 2 and "b.conf:1: error: include cycle: a.conf includes itself (via b.conf:1:10)" in out


def test_globs_matching_too_many_files(here: Path) -> None:
    (here / "many").mkdir()
    for i in range(150):
        (here / "many" / f"{i}.conf").write_text(f"proxy_set_header X-{i} 1;\n")
    (here / "site.conf").write_text("server { listen 80; location / { include many/*.conf; proxy_pass http://a; } }\n")
    assert lint("site.conf")[0] == 0
    (here / ".wslint.yaml").write_text("limits: {files: 100}\n")
    code, out = lint("site.conf")
    assert code == 2 and "site.conf:1: error: more than 100 files included; stopping" in out


def test_symlink_loops(here: Path) -> None:
    os.symlink("loop2.conf", here / "loop1.conf")
    os.symlink("loop1.conf", here / "loop2.conf")
    (here / "site.conf").write_text("server { listen 80; include loop1.conf; }\n")
    code, out = lint("site.conf")
    assert code == 2 and "included file loop1.conf is a symbolic link that leads nowhere (or to itself)" in out
    (here / "tree").mkdir()
    os.symlink("..", here / "tree" / "up")
    code, out = lint("tree")
    # the walk does not follow the link back up, and a directory with nothing to lint is an error
    assert code == 2 and "tree: no proxy configuration in this directory (no file is named like one)" in out


def test_unreadable_file_and_directory_as_include(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "snippets").mkdir()
    (here / "site.conf").write_text("server { listen 80; include snippets; }\n")
    code, out = lint("site.conf")
    assert code == 2 and "site.conf:1: error: snippets is a directory, not a file" in out
    (here / "site.conf").write_text("server { listen 80; }\n")
    real = os.open

    def denied(path: str, flags: int, *args: int, **kwargs: int) -> int:
        if str(path).endswith("site.conf"):
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args, **kwargs)

    # root reads a file of mode 000: the refusal is simulated where every read opens its file
    monkeypatch.setattr("wslint.textfiles.os.open", denied)
    code, out = lint("site.conf")
    assert code == 2 and "site.conf: error: cannot read site.conf: Permission denied" in out


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            ".wslint.yaml",
            "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
            ".wslint.yaml: the document expands to more than 2000000 nodes",
        ),
        (".wslint.yaml", "ignore: [WS301]\nignore: [WS103]\n", "key 'ignore' appears twice (lines 1 and 2)"),
        (".wslint.yaml", "ignore: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("pyproject.toml", "[tool.wslint]\nignore = [\n", "pyproject.toml: not valid TOML"),
    ],
)
def test_hostile_config_files(here: Path, name: str, text: str, message: str) -> None:
    (here / "site.conf").write_text("server { listen 80; }\n")
    (here / name).write_text(text)
    code, out = lint("site.conf")
    assert code == 2 and message in out


def test_config_values_are_never_templates(here: Path) -> None:
    (here / "site.conf").write_text(
        "server {\n listen 80;\n location /ws/ {\n  proxy_pass http://a;\n  proxy_http_version 1.1;\n"
        '  proxy_set_header Upgrade $http_upgrade;\n  proxy_set_header Connection "{{ 7*7 }}{% raw %}";\n }\n}\n'
    )
    code, out = lint("site.conf")
    assert code == 1
    assert '`proxy_set_header Connection "{{ 7*7 }}{% raw %}"` sends `Connection: {{ 7*7 }}{% raw %}`' in out
    assert "49" not in out


def test_confine_keeps_includes_inside(here: Path) -> None:
    outside = here.parent / "outside.conf"
    outside.write_text("proxy_set_header X 1;\n")
    (here / "site.conf").write_text(f"server {{ listen 80; include {outside}; }}\n")
    assert lint("site.conf")[0] == 0
    code, out = lint("site.conf", "--confine")
    assert code == 2 and "leaves the confined directories (--confine); it was not read" in out


# -- Traefik ------------------------------------------------------------------------------------------

BOMB = (
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
)
SERVICE = "  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n"


def _router(rule: str) -> bytes:
    return f'http:\n  routers:\n    a:\n      rule: "{rule}"\n      service: s\n{SERVICE}'.encode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "dynamic.yml",
            b"",
            "dynamic.yml:1: error: dynamic.yml contains no configuration (it is empty or only comments)",
        ),
        ("dynamic.yml", b"# nothing\n", "dynamic.yml contains no configuration"),
        (
            "dynamic.yml",
            b"http:\n  routers: {}\n\xff\n",
            "dynamic.yml:3: error: dynamic.yml is not valid UTF-8 (byte 0xff on line 3)",
        ),
        (
            "dynamic.yml",
            b"http: {}\n\x00\x01",
            "dynamic.yml:2: error: dynamic.yml is not a text file (it contains NUL bytes)",
        ),
        ("dynamic.yml", BOMB.encode(), "dynamic.yml:7: error: the document expands to more than 2000000 nodes"),
        (
            "dynamic.yml",
            b"http:\n  routers:\n    a: {}\n    a: {}\n",
            "dynamic.yml:4: error: key 'a' appears twice (lines 3 and 4)",
        ),
        ("dynamic.yml", b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "dynamic.yml:1: error: not valid YAML"),
        ("dynamic.yml", b'http:\n  routers:\n    a:\n      rule: "Host(`x`)\n', "dynamic.yml:5: error: not valid YAML"),
        ("dynamic.toml", b'[http.routers.a]\nrule = "Host(`x`)\n', "dynamic.toml:2:18: error: not valid TOML"),
        (
            "dynamic.yml",
            _router("(" * 5000 + "Host(`x`)" + ")" * 5000),
            "dynamic.yml:4:114: error: router a@file: the rule nests deeper than 100 levels",
        ),
        (
            "dynamic.yml",
            _router("Host(`x`)" + " && Path(`/a`)" * 300),
            "dynamic.yml:4:14: error: router a@file: the rule nests deeper than 100 levels",
        ),
    ],
)
def test_broken_traefik_files(here: Path, name: str, content: bytes, message: str) -> None:
    (here / name).write_bytes(content)
    code, out = lint(name, "--proxy", "traefik")
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


def test_traefik_file_size_limit(here: Path) -> None:
    (here / "dynamic.yml").write_bytes(_router("Host(`x`)") + b"#" * 2048 + b"\n")
    (here / ".wslint.yaml").write_text("limits:\n  file-size: 1k\n")
    code, out = lint("dynamic.yml", "--proxy", "traefik")
    assert code == 2
    assert "dynamic.yml is 2" in out and "over the limit of 1024 bytes (limits: file-size)" in out


def test_a_rule_just_inside_the_depth_limit_is_linted(here: Path) -> None:
    (here / "dynamic.yml").write_bytes(_router("(" * 90 + "Host(`x`)" + ")" * 90))
    code, out = lint("dynamic.yml", "--proxy", "traefik")
    assert code == 0, out


# -- a bug in wslint ----------------------------------------------------------------------------------


def test_an_internal_error_is_one_clear_line_and_exit_2(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wslint.cli
    import wslint.core

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    (here / "site.conf").write_text("server { listen 80; }\n")
    # the command imports the linter when it runs (see wslint.cli), from wslint.core
    monkeypatch.setattr(wslint.core, "run", broken)
    monkeypatch.delenv("WSLINT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        wslint.cli.main(["site.conf"])
    assert exit_info.value.code == 2
    monkeypatch.setenv("WSLINT_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        wslint.cli.main(["site.conf"])


def test_the_internal_error_message(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import wslint.cli
    import wslint.core

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    (here / "site.conf").write_text("server { listen 80; }\n")
    # the command imports the linter when it runs (see wslint.cli), from wslint.core
    monkeypatch.setattr(wslint.core, "run", broken)
    monkeypatch.delenv("WSLINT_DEBUG", raising=False)
    with pytest.raises(SystemExit):
        wslint.cli.main(["site.conf"])
    err = capsys.readouterr().err
    assert err.startswith("wslint: internal error (RuntimeError: boom); this is a bug in wslint")
    assert "Traceback" not in err


# -- Apache httpd -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "httpd.conf:1: error: httpd.conf contains no configuration (it is empty or only comments)"),
        (b"Listen 80\x00\n", "httpd.conf: error: httpd.conf is not a text file"),
        (b"# caf\xe9\nListen 80\n", "httpd.conf:1: error: httpd.conf is not valid UTF-8 (byte 0xe9 on line 1)"),
        (b"<VirtualHost *:80>\n  ServerName a\n", "httpd.conf:1: error: <VirtualHost> was not closed"),
        (
            b"<IfModule a>\n" * 10_000 + b"</IfModule>\n" * 10_000,
            "httpd.conf:201: error: sections nested deeper than 200",
        ),
        (b"Include httpd.conf\n", "httpd.conf:1: error: include cycle: httpd.conf includes itself"),
    ],
)
def test_broken_apache_files(here: Path, content: bytes, message: str) -> None:
    (here / "httpd.conf").write_bytes(content)
    code, out = lint("httpd.conf", "--proxy", "apache")
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


def test_a_huge_apache_line_stays_small(here: Path) -> None:
    """A 9 MB directive line: no per-character bookkeeping (it once took 1.2 GB)."""
    (here / "httpd.conf").write_bytes(b'ServerName "' + b'a\\"' * (3 * 1024 * 1024) + b'"\nListen 80\n')
    res = lint_capped("httpd.conf", "--proxy", "apache")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no problems found in 1 file" in res.stdout


# -- HAProxy ------------------------------------------------------------------------------------------

HAPROXY_OK = b"defaults\n    mode http\n    timeout client 30s\n    timeout server 30s\n    timeout connect 5s\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "haproxy.cfg:1: error: haproxy.cfg contains no configuration (it is empty or only comments)"),
        (b"# nothing yet\n", "haproxy.cfg:1: error: haproxy.cfg contains no configuration"),
        (HAPROXY_OK + b"\x00\x01", "haproxy.cfg:6: error: haproxy.cfg is not a text file"),
        (b"# caf\xe9\n" + HAPROXY_OK, "haproxy.cfg:1: error: haproxy.cfg is not valid UTF-8 (byte 0xe9 on line 1)"),
        # haproxy 2.6: "Missing LF on last line, file might have been truncated", a fatal error since 2.3
        (HAPROXY_OK + b"    timeout tunnel 1h", "haproxy.cfg:6: error: the last line has no line feed"),
        # haproxy 2.6: "too many nested '.if', max is 100" on the 100th
        (HAPROXY_OK + b".if 1\n" * 10_000 + b".endif\n" * 10_000, "haproxy.cfg:105: error: too many nested '.if'"),
        (HAPROXY_OK + b".if 1\n", "haproxy.cfg:6: error: missing .endif"),
        (HAPROXY_OK + b'    http-request set-header X "abc\n', "haproxy.cfg:6: error:"),
    ],
)
def test_broken_haproxy_files(here: Path, content: bytes, message: str) -> None:
    (here / "haproxy.cfg").write_bytes(content)
    code, out = lint("haproxy.cfg", "--proxy", "haproxy")
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


def test_a_missing_last_line_feed_is_only_a_warning_before_haproxy_2_3(here: Path) -> None:
    (here / "haproxy.cfg").write_bytes(HAPROXY_OK + b"    timeout tunnel 1h")
    code, out = lint("haproxy.cfg", "--haproxy-version", "2.2")
    assert "haproxy.cfg:6: warning: the last line has no line feed" in out
    assert code == 0, out


def test_a_split_directory_over_the_file_limit(here: Path) -> None:
    conf = here / "conf.d"
    conf.mkdir()
    for i in range(5):
        (conf / f"{i:02}.cfg").write_bytes(HAPROXY_OK)
    diagnostics: list[Diagnostic] = []
    assert haproxy_parse(InputFile("conf.d", str(conf)), (2, 6), diagnostics, Limits(files=4)) is None
    assert [d.message for d in diagnostics] == ["conf.d: 5 *.cfg files, over the limit of 4 (limits: files)"]
    assert haproxy_parse(InputFile("conf.d", str(conf)), (2, 6), [], Limits(files=5)) is not None


def test_stdin_that_is_not_utf8_is_refused_with_its_line(here: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "wslint", "-", "--proxy", "haproxy", "--stdin-filename", "lb.cfg"],
        input=HAPROXY_OK + b"    # caf\xe9\n",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 2
    assert b"lb.cfg is not valid UTF-8 (byte 0xe9 on line 6)" in res.stderr


# -- Caddy --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Caddyfile:1:1: error: Caddyfile contains no configuration (it is empty or only comments)"),
        (b"a.test {\n  reverse_proxy 127.0.0.1:1\x00\n}\n", "Caddyfile: error: Caddyfile is not a text file"),
        (b"# caf\xe9\na.test {\n}\n", "Caddyfile:1:1: error: Caddyfile is not valid UTF-8 (byte 0xe9 on line 1)"),
        (b"a.test {\n  reverse_proxy 127.0.0.1:1\n", "Caddyfile:2:17: error: expected '}' at end of file"),
        (b"import Caddyfile\n", "Caddyfile:1:1: error: a cycle of imports"),
        (b"(s) {\n import s\n}\na.test {\n import s\n}\n", "Caddyfile:2:2: error: a cycle of imports"),
        (
            b"a.test {\n" + b"route {\n" * 10_000 + b"}\n" * 10_001,
            "Caddyfile:202:7: error: blocks are nested more than 200",
        ),
    ],
)
def test_broken_caddy_files(here: Path, content: bytes, message: str) -> None:
    (here / "Caddyfile").write_bytes(content)
    code, out = lint("Caddyfile", "--proxy", "caddy")
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out


def test_aliases_just_under_the_node_limit_stay_small(here: Path) -> None:
    """1.6 million nodes once expanded, 60 written: aliases are converted once (this once took 1 GB)."""
    nested = "".join(f"  {b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcd", "bcde", strict=True))
    # anchors kept under a top-level key of their own, which Traefik skips
    (here / "dynamic.yml").write_text(
        "x:\n  a: &a [x,x,x,x,x,x,x,x,x]\n"
        + nested
        + f"  f: [{','.join(['*e'] * 27)}]\n"
        + 'http:\n  routers:\n    r: {rule: "Path(`/a`)", service: s}\n'
        + SERVICE
    )
    res = lint_capped("dynamic.yml", "--proxy", "traefik", memory=512 << 20)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no problems found in 1 file" in res.stdout


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        # a missing `;` before `}`: nginx says `unexpected "}"`; the location still lacks its WebSocket headers
        ("        proxy_pass http://127.0.0.1:3000\n", 'site.conf:6: error: unexpected "}"'),
        (
            "        proxy_pass http://127.0.0.1:3000 extra;\n",
            'site.conf:5: error: invalid number of arguments in "proxy_pass"',
        ),
        ("        proxy_pas http://127.0.0.1:3000;\n", 'site.conf:5: error: unknown directive "proxy_pas"'),
    ],
)
def test_fix_writes_nothing_into_a_file_nginx_refuses(here: Path, broken: str, message: str) -> None:
    text = "events {}\nhttp {\n    server {\n        location /ws/ {\n" + broken + "        }\n    }\n}\n"
    (here / "site.conf").write_text(text)
    code, out = lint("site.conf", "--fix", "--nginx-version", "1.22.1")
    assert code == 2, out
    assert message in out
    assert "WS101" not in out and "WS102" not in out
    assert (here / "site.conf").read_text() == text
