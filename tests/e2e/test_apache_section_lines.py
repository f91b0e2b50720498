"""Section lines as httpd reads them, against `apache2 -t`.

httpd takes a section's arguments up to the last '>' of its line and ignores what follows
(`<Location /x/> # comment` loads); an end tag is its first word, which must end with '>'
(`</Location> # end` loads, `</Location >` does not); a section of one argument refuses two.
wslint must accept and refuse exactly the same lines.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.apache_proxy import MODULES
from wslint.core import LintOptions, run
from wslint.engine.rules import RuleSet

pytestmark = pytest.mark.realproxy

OPENERS = [
    "<Location /x/>",
    "<Location /x/> # a comment",
    "<Location /x/> trailing words",
    "<Location /x/>glued",
    "<Location /x/ > # spaced",
    '<Location "/x/"> # quoted',
    "<Location /x/>>",
    "<Location /x/> # a > inside",
    "<Location /x/ /y/>",
    "<Location /x/",
    "<LocationMatch ^/x/> # regex",
    "<Directory /srv/> # dir",
    "<Files x.php> more",
    "<VirtualHost 127.0.0.1:18099> # vhost",
]
CLOSERS = ["</Location>", "</Location> # end", "</Location> words", "</Location>glued", "</Location >", "</Location"]


def _main(opener: str, closer: str) -> str:
    name = opener[1:].split()[0].rstrip(">")
    end = closer.replace("Location", name, 1)
    return (
        "ServerName localhost\nListen 127.0.0.1:18099\nPidFile httpd.pid\nErrorLog error.log\n"
        "LoadModule mpm_event_module modules/mod_mpm_event.so\n"
        "LoadModule authz_core_module modules/mod_authz_core.so\n"
        f"{opener}\n    LogLevel warn\n{end}\n"
    )


def _httpd_accepts(binary: str, root: Path) -> bool:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}
    res = subprocess.run(
        [binary, "-t", "-d", str(root), "-f", str(root / "httpd.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=root,
    )
    return res.returncode == 0


@pytest.mark.parametrize("closer", CLOSERS)
@pytest.mark.parametrize("opener", OPENERS)
def test_section_lines_are_read_as_httpd_reads_them(
    opener: str, closer: str, apache_bin: str, tmp_path: Path, rules: RuleSet
) -> None:
    (tmp_path / "modules").symlink_to(MODULES)
    main = tmp_path / "httpd.conf"
    main.write_text(_main(opener, closer))
    report = run(LintOptions(paths=(str(main),), proxy="apache"), rules)
    refused = any(d.severity.label == "error" for d in report.diagnostics)
    assert refused == (not _httpd_accepts(apache_bin, tmp_path)), report.diagnostics
