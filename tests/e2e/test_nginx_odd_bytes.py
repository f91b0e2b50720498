"""Bytes where wslint once read nginx's files differently from nginx: a lone CR (a blank for nginx, which
ends a comment only at LF; crossplane's universal newlines ended it there), a byte order mark (part of the
first directive's name for nginx) and a directive cut off by the end of the file. wslint's verdict and line
are nginx's; the realproxy test asks `nginx -t` itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.test_bad_input import lint_capped

LISTEN = "127.0.0.1:8097"
CASES = {
    # (text, line of nginx's error or None when nginx accepts it, what wslint's message says)
    "cr-inside-comment": (
        f"events {{}}\nhttp {{ server {{ listen {LISTEN}; # comment\r return 200; }} }}\n}}\n}}\n",
        None,
        "",
    ),
    "cr-comment-swallows-the-rest": (
        f"events {{}}\nhttp {{ server {{ listen {LISTEN}; # comment\r return 200; }} }}\n",
        3,
        'unexpected end of file, expecting "}"',
    ),
    "cr-as-blank": (f"events {{}}\nhttp {{\rserver {{\rlisten {LISTEN};\r}}\r}}\n", None, ""),
    "crlf": (f"events {{}}\r\nhttp {{ server {{ listen {LISTEN};\r\n }} }}\r\n", None, ""),
    "bom": (
        f"\ufeffhttp {{ server {{ listen {LISTEN}; }} }}\nevents {{}}\n",
        1,
        'unknown directive "\ufeffhttp"',
    ),
    "truncated-last-directive": (
        f"events {{}}\nhttp {{ server {{ listen {LISTEN}; }} }}\nworker_processes",
        3,
        'unexpected end of file, expecting ";" or "}"',
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_wslint_reads_the_bytes_as_nginx_does(tmp_path: Path, name: str) -> None:
    text, line, message = CASES[name]
    (tmp_path / "nginx.conf").write_bytes(text.encode("utf-8"))
    res = lint_capped(str(tmp_path / "nginx.conf"))
    errors = [ln for ln in res.stderr.splitlines() if ": error: " in ln]
    if line is None:
        assert res.returncode in (0, 1) and not errors, res.stderr
    else:
        assert res.returncode == 2 and len(errors) == 1, res.stderr
        assert f"nginx.conf:{line}: error: {message}" in errors[0], errors[0]
        assert "(parse)" in errors[0] and ":  (parse)" not in errors[0]


@pytest.mark.realproxy
@pytest.mark.parametrize("name", list(CASES))
def test_nginx_agrees(tmp_path: Path, nginx_bin: str, name: str) -> None:
    text, line, _ = CASES[name]
    conf = tmp_path / "nginx.conf"
    conf.write_bytes(text.encode("utf-8"))
    res = subprocess.run(
        [nginx_bin, "-t", "-q", "-c", str(conf), "-p", f"{tmp_path}/", "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if line is None:
        assert res.returncode == 0, res.stderr
    else:
        found = re.search(r" in \S+nginx\.conf:(\d+)", res.stderr)
        assert res.returncode != 0 and found is not None and int(found.group(1)) == line, res.stderr
