"""Which category a Traefik failure is: a redirect that only adds the slash, a Connection that loses the upgrade."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_traefik_adapter import lint
from wslint.engine.rules import RuleSet

REDIRECT = """\
http:
  routers:
    app:
      rule: "Host(`app.example.test`)"
      middlewares: [slash]
      service: app
  middlewares:
    slash:
      redirectRegex:
        regex: "{regex}"
        replacement: "{replacement}"
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""


@pytest.mark.parametrize(
    ("regex", "replacement", "url", "rule"),
    [
        ("^(https?://[^/]+/[a-z]+)$", "${1}/", "ws://app.example.test/ws", "trailing-slash-redirect"),
        # the query is kept: still only the slash
        ("^(https?://[^/]+/[a-z]+)(\\\\?.*)$", "${1}/${2}", "ws://app.example.test/ws?v=1", "trailing-slash-redirect"),
        # the slash and https: a redirect of another kind
        ("^http://([^/]+/[a-z]+)$", "https://${1}/", "ws://app.example.test/ws", "endpoint-redirected"),
        # another host
        (
            "^https?://[^/]+(/[a-z]+)$",
            "http://www.example.test${1}/",
            "ws://app.example.test/ws",
            "endpoint-redirected",
        ),
    ],
)
def test_slash_redirect(regex: str, replacement: str, url: str, rule: str, tmp_path: Path, rules: RuleSet) -> None:
    text = REDIRECT.format(regex=regex, replacement=replacement)
    report = lint(tmp_path, rules, {"d.yml": text}, "d.yml", url)
    assert [(f.rule, f.line) for f in report.findings] == [(rule, 8)], report.findings


HEADERS = """\
http:
  routers:
    hub:
      rule: "PathPrefix(`/hub/`)"
      middlewares: [hdrs]
      service: hub
  middlewares:
    hdrs:
      headers:
        customRequestHeaders:
{headers}
  services:
    hub:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""


@pytest.mark.parametrize(
    ("headers", "rule", "line", "edited"),
    [
        # the header alone under customRequestHeaders: deleting its line would leave the key null, so the
        # finding carries no edit
        ('          Connection: "keep-alive"', "connection-header-not-upgrade", 11, False),
        ('          Connection: ""', "connection-header-not-upgrade", 11, False),
        ('          Upgrade: ""', "upgrade-header-not-forwarded", 11, False),
        ('          Upgrade: "websocket"\n          Connection: "close"', "connection-header-not-upgrade", 12, True),
    ],
)
def test_header_category(headers: str, rule: str, line: int, edited: bool, tmp_path: Path, rules: RuleSet) -> None:
    report = lint(tmp_path, rules, {"d.yml": HEADERS.format(headers=headers)}, "d.yml", "ws://a.test/hub/x")
    assert [(f.rule, f.line) for f in report.findings] == [(rule, line)], report.findings
    (finding,) = report.findings
    if edited:
        assert finding.fix is not None and [e.start_line for e in finding.fix.edits] == [line]
    else:
        assert finding.fix is None or not finding.fix.edits
