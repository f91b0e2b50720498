"""Every file wslint reads is a regular file read within the size limit, and with --confine inside the
confined directories: a device, a FIFO or a link to one is refused with a diagnostic, never read until
memory runs out or waited on forever. Each test runs wslint in a process with a memory cap and a timeout,
so a regression fails instead of hanging the suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_bad_input import lint_capped


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


NOT_REGULAR = "is not a regular file"


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


# one include of /dev/zero per proxy: each must refuse it, naming the include
DEV_ZERO = [
    ("nginx", "site.conf", "server { listen 80; include /dev/zero; }\n"),
    ("apache", "httpd.conf", "Listen 80\nInclude /dev/zero\n"),
    ("caddy", "Caddyfile", "example.test {\n\timport /dev/zero\n}\n"),
]


@pytest.mark.parametrize(("proxy", "name", "text"), DEV_ZERO, ids=[c[0] for c in DEV_ZERO])
def test_an_include_of_a_device_is_refused(here: Path, proxy: str, name: str, text: str) -> None:
    (here / name).write_text(text)
    res = lint_capped(name, "--proxy", proxy)
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"/dev/zero {NOT_REGULAR} (a device)" in res.stderr
    assert "internal error" not in res.stderr


def test_a_fifo_given_or_included_is_refused_without_waiting(here: Path) -> None:
    _fifo(here / "pipe.conf")
    (here / "site.conf").write_text("server { listen 80; include pipe.conf; }\n")
    res = lint_capped("site.conf", timeout=30)
    assert res.returncode == 2 and f"pipe.conf {NOT_REGULAR} (a FIFO)" in res.stderr
    res = lint_capped("pipe.conf", "--proxy", "nginx", timeout=30)
    assert res.returncode == 2 and f"pipe.conf {NOT_REGULAR} (a FIFO)" in res.stderr
    # named without --proxy, the file is not guessed at: it cannot be read, and that is what is said
    res = lint_capped("pipe.conf", timeout=30)
    assert res.returncode == 2 and f"pipe.conf {NOT_REGULAR} (a FIFO)" in res.stderr


def test_a_committed_link_to_a_device_matched_by_a_glob(here: Path) -> None:
    (here / "conf.d").mkdir()
    (here / "conf.d" / "a.conf").write_text("location / { return 200; }\n")
    os.symlink("/dev/zero", here / "conf.d" / "b.conf")
    (here / "site.conf").write_text("server { listen 80; include conf.d/*.conf; }\n")
    res = lint_capped("site.conf")
    assert res.returncode == 2 and f"conf.d/b.conf {NOT_REGULAR} (a device)" in res.stderr
    res = lint_capped("site.conf", "--confine")
    assert res.returncode == 2 and "leaves the confined directories (--confine)" in res.stderr
    # the directory walk never hands a device to a parser either
    res = lint_capped(".")
    assert "internal error" not in res.stderr and res.returncode in (0, 1, 2)


def test_apache_and_caddy_globs_refuse_a_fifo(here: Path) -> None:
    (here / "conf.d").mkdir()
    _fifo(here / "conf.d" / "x.conf")
    (here / "httpd.conf").write_text("Listen 80\nIncludeOptional conf.d/*.conf\n")
    res = lint_capped("httpd.conf", "--proxy", "apache", timeout=30)
    assert res.returncode == 2 and f"x.conf {NOT_REGULAR} (a FIFO)" in res.stderr
    (here / "Caddyfile").write_text("example.test {\n\timport conf.d/*.conf\n}\n")
    res = lint_capped("Caddyfile", "--proxy", "caddy", timeout=30)
    assert res.returncode == 2 and f"x.conf {NOT_REGULAR} (a FIFO)" in res.stderr


HAPROXY = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend www
    bind :80
    use_backend %[req.hdr(host),lower,map({map},app)]

backend app
    server a 127.0.0.1:9000
"""


def test_haproxy_map_file_that_is_a_device_or_outside_confine(
    here: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (here / "haproxy.cfg").write_text(HAPROXY.format(map="/dev/zero"))
    res = lint_capped("haproxy.cfg")
    assert res.returncode in (
        0,
        1,
    ) and "/dev/zero is not a regular file (a device); wslint reads only files; what the map decides is unknown" in (
        res.stderr
    )
    outside = tmp_path_factory.mktemp("elsewhere") / "hosts.map"
    outside.write_text("example.test app\n")
    (here / "haproxy.cfg").write_text(HAPROXY.format(map=outside))
    assert "confined" not in lint_capped("haproxy.cfg").stderr
    res = lint_capped("haproxy.cfg", "--confine")
    assert res.returncode == 2 and "hosts.map leaves the confined directories (--confine); it was not read" in (
        res.stderr
    )


def test_haproxy_directory_refuses_a_fifo_cfg_and_keeps_the_file_cap(here: Path) -> None:
    (here / "conf").mkdir()
    (here / "conf" / "a.cfg").write_text(HAPROXY.format(map="hosts.map"))
    _fifo(here / "conf" / "b.cfg")
    res = lint_capped("conf/a.cfg", timeout=30)
    assert res.returncode in (0, 1) and "internal error" not in res.stderr


def test_haproxy_split_directory_respects_the_file_limit(here: Path) -> None:
    (here / ".wslint.yaml").write_text("limits:\n  files: 2\n")
    (here / "a.cfg").write_text("defaults\n    mode http\n\nfrontend www\n    bind :80\n    default_backend app\n")
    (here / "b.cfg").write_text("backend app\n    server a 127.0.0.1:9000\n")
    (here / "c.cfg").write_text("backend other\n    server a 127.0.0.1:9001\n")
    # three siblings over a limit of two: the file is not read with them, so its backend is unknown
    res = lint_capped("a.cfg", "--proxy", "haproxy")
    assert res.returncode == 2 and "app" in res.stderr
    (here / "c.cfg").unlink()
    res = lint_capped("a.cfg", "--proxy", "haproxy")
    assert res.returncode in (0, 1), res.stdout


def test_traefik_file_provider_is_confined_and_bounded(here: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("dynamic")
    (elsewhere / "d.yml").write_text("http:\n  routers:\n    r:\n      rule: Host(`a.test`)\n      service: s\n")
    static = "entryPoints:\n  web:\n    address: ':80'\nproviders:\n  file:\n    directory: {d}\n"
    (here / "traefik.yml").write_text(static.format(d=elsewhere))
    res = lint_capped("traefik.yml", "--confine")
    assert res.returncode == 2 and "leaves the confined directories (--confine); it was not read" in res.stderr
    # a directory with more files than the limit is refused, not walked to its end
    for i in range(5):
        (elsewhere / f"x{i}.yml").write_text("http: {}\n")
    (here / ".wslint.yaml").write_text("limits:\n  files: 3\n")
    res = lint_capped("traefik.yml")
    assert res.returncode == 2 and "more than 3 files to read (limits: files)" in res.stderr
    (here / ".wslint.yaml").unlink()
    _fifo(elsewhere / "pipe.yml")
    res = lint_capped("traefik.yml", timeout=30)
    assert res.returncode == 2 and f"pipe.yml {NOT_REGULAR} (a FIFO)" in res.stderr


def test_haproxy_files_that_name_each_others_backends_are_linted_once(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wslint.core import LintOptions, run
    from wslint.engine.rules import load_rules
    from wslint.haproxy import adapter

    wholes: list[int] = []
    real = adapter.parse_files

    def counted(items, *args, **kwargs):  # type: ignore[no-untyped-def]
        wholes.append(len(items))
        return real(items, *args, **kwargs)

    monkeypatch.setattr(adapter, "parse_files", counted)

    (here / "conf").mkdir()
    (here / "conf" / "00-defaults.cfg").write_text("defaults\n    mode http\n    timeout connect 5s\n")
    for i in range(1, 4):
        other = i % 3 + 1
        (here / "conf" / f"{i:02d}.cfg").write_text(
            f"frontend f{i}\n    bind :{8000 + i}\n    default_backend b{other}\n\nbackend b{i}\n    server a 127.0.0.1:9000\n"
        )
    report = run(LintOptions(paths=("conf",)), load_rules())
    # haproxy -f conf/ reads them as one configuration: one of them stands for all, read once
    assert not report.has_errors, report.diagnostics
    assert len(report.linted) == 1 and len(report.linted[0].files) == 4
    # each file used to read the whole directory again (2,000 files: 4 million reads)
    assert wholes == [4]
