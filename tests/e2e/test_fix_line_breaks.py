"""`--fix` breaks lines at "\\n" only: U+0085, U+2028, VT, FF and FS that stand inside a directive (httpd
accepts them in a ProxyPass or RewriteRule URL) stay inside it, a second `--fix` changes nothing, and the
real httpd accepts the fixed file as it accepted the original."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.apache_proxy import Apache
from tests.e2e.proxies import ConfigRefused, free_port

# characters str.splitlines() takes for line breaks and no proxy does
ODD_BREAKS = ["\x85", "\u2028", "\x0b", "\x0c", "\x1c"]

SITE = """\
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_http_module modules/mod_proxy_http.so
LoadModule rewrite_module modules/mod_rewrite.so
<VirtualHost 127.0.0.1:8080>
    ServerName app.example.test
    RewriteEngine On
    RewriteRule ^/live/(.*) http://127.0.0.1:9002/li{c}ve/$1 [P]
    ProxyPass /ws/ http://127.0.0.1:9001/w{c}s/
</VirtualHost>
"""


def _fix(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslint", path.name, "--fix", "--color", "never"],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _fixed(tmp_path: Path, char: str) -> tuple[str, str]:
    site = tmp_path / "site.conf"
    site.write_text(SITE.format(c=char), encoding="utf-8")
    first = _fix(site)
    assert "internal error" not in first.stderr and "fixed" in first.stderr, first.stderr
    once = site.read_text(encoding="utf-8")
    second = _fix(site)
    assert site.read_text(encoding="utf-8") == once, "a second --fix changed the file"
    assert "fixed" not in second.stderr
    return SITE.format(c=char), once


@pytest.mark.parametrize("char", ODD_BREAKS, ids=[f"U+{ord(c):04X}" for c in ODD_BREAKS])
def test_fix_keeps_a_directive_with_an_odd_break_on_its_line(tmp_path: Path, char: str) -> None:
    before, after = _fixed(tmp_path, char)
    assert after.count("\n") == before.count("\n") + 3  # the <Proxy> section for the RewriteRule's worker
    assert f"    ProxyPass /ws/ http://127.0.0.1:9001/w{char}s/ upgrade=websocket\n" in after
    assert f"    RewriteRule ^/live/(.*) http://127.0.0.1:9002/li{char}ve/$1 [P]\n" in after


@pytest.mark.realproxy
@pytest.mark.parametrize("char", ["\x85", "\u2028", "\x1c"], ids=["U+0085", "U+2028", "U+001C"])
def test_httpd_accepts_the_fixed_file(tmp_path: Path, apache_bin: str, char: str) -> None:
    (tmp_path / "lint").mkdir()
    before, after = _fixed(tmp_path / "lint", char)
    for i, text in enumerate((before, after)):
        proxy = Apache(apache_bin, tmp_path / f"root{i}", text, free_port())
        proxy.root.mkdir()
        try:
            proxy.check()
        except ConfigRefused as exc:
            pytest.fail(f"httpd refused the {'fixed' if i else 'original'} file: {exc}")
