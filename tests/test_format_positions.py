"""Columns in each format's own unit, on lines where non-ASCII text comes before the finding.

wslint counts characters; reviewdog counts UTF-8 bytes and SARIF (columnKind
utf16CodeUnits) UTF-16 code units. For every proxy whose fixes edit text, a
line holds `café 😀` (é is two UTF-8 bytes, 😀 four bytes and two UTF-16 units)
before the finding, and every format must point at the same text and replace
the same span. The spans are cut here by encoding the line, independently of
wslint's conversion.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from wslint.core import LintOptions, run
from wslint.edits import apply_edits
from wslint.engine.rules import RuleSet
from wslint.findings import Finding
from wslint.formatters import FORMATTERS, FormatContext

from .conftest import SHARED

SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


@dataclass(frozen=True)
class Case:
    proxy: str
    files: dict[str, str]
    target: str
    rule: str
    # the text the fix replaces, and what the finding's column points at
    replaced: str
    at: str
    options: dict[str, Any]


NGINX = """\
server {
    listen 80;
    server_name app.example.test;
    location /ws/ {
        proxy_pass http://127.0.0.1:3000;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        add_header X-Note "café 😀"; proxy_set_header Connection keep-alive;
    }
}
"""

HAPROXY = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h

frontend www
    bind 127.0.0.1:8080
    use_backend grafana if { hdr(x-note) -m str café😀 } || { hdr(host) -i grafana.example.test }
    default_backend landing

backend grafana
    server g1 127.0.0.1:9001

backend landing
    server web1 127.0.0.1:9002
"""

TRAEFIK_STATIC = """\
entryPoints:
  web:
    address: ":8080"
providers:
  file:
    directory: dynamic
"""

TRAEFIK_DYNAMIC = """\
http:
  routers:
    rails:
      rule: "Host(`shop.example.test`)"
      service: rails-web
    cable:
      rule: "Host(`shop.example.test`) && !Header(`X-Note`, `café 😀`) && Header(`Upgrade`, `WebSocket`)"
      service: cable
  services:
    rails-web:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9002"
    cable:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:9001"
"""

CADDY = """\
app.example.test {
\t@ws_café😀 header Connection *Upgrade*
\treverse_proxy @ws_café😀 localhost:6001
\treverse_proxy localhost:8000
}
"""

# httpd has one directive per line: the non-ASCII text is inside the span the fix replaces
APACHE = """\
LoadModule proxy_module modules/mod_proxy.so
LoadModule proxy_http_module modules/mod_proxy_http.so
LoadModule rewrite_module modules/mod_rewrite.so
<VirtualHost *:80>
    ServerName app.example.test
    RewriteEngine On
    RewriteCond %{HTTP:Upgrade} websocket [NC]
    RewriteCond %{HTTP:Connection} upgrade|café😀
    RewriteRule ^/ws/(.*) ws://127.0.0.1:9001/ws/$1 [P,L]
</VirtualHost>
"""

CASES = [
    Case(
        "nginx",
        {"site.conf": NGINX},
        "site.conf",
        "connection-header-not-upgrade",
        "proxy_set_header Connection keep-alive;",
        "proxy_set_header Connection",
        {"ws_paths": ("/ws/",)},
    ),
    Case(
        "haproxy",
        {"haproxy.cfg": HAPROXY},
        "haproxy.cfg",
        "wrong-server-block",
        "hdr(host)",
        "{ hdr(host)",
        {"ws_urls": ("ws://grafana.example.test:8080/api/live/ws",)},
    ),
    Case(
        "traefik",
        {"traefik.yml": TRAEFIK_STATIC, "dynamic/dynamic.yml": TRAEFIK_DYNAMIC},
        "traefik.yml",
        "case-sensitive-match",
        "Header(`Upgrade`, `WebSocket`)",
        "Header(`Upgrade`",
        {"ws_urls": ("ws://shop.example.test:8080/cable",)},
    ),
    Case(
        "caddy",
        {"Caddyfile": CADDY},
        "Caddyfile",
        "case-sensitive-match",
        "header Connection *Upgrade*",
        "header Connection",
        {},
    ),
    Case(
        "apache",
        {"site.conf": APACHE},
        "site.conf",
        "case-sensitive-match",
        "RewriteCond %{HTTP:Connection} upgrade|café😀",
        "RewriteCond %{HTTP:Connection}",
        {"proxy": "apache"},
    ),
]


def _context(case: Case, tmp_path: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> FormatContext:
    for rel, text in case.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    options = dict(case.options)
    proxy = options.pop("proxy", None)
    endpoints = ()
    if "ws_urls" in options:
        from wslint.endpoints import parse_endpoint

        endpoints = tuple(parse_endpoint(u) for u in options.pop("ws_urls"))
    report = run(LintOptions(paths=(case.target,), proxy=proxy, endpoints=endpoints, **options), rules)
    assert not report.has_errors, report.diagnostics
    return FormatContext(
        findings=tuple(report.findings),
        diagnostics=tuple(report.diagnostics),
        tool_version="0.0-test",
        files=tuple(f for cfg in report.linted for f in cfg.files),
        rules=tuple(r.spec for r in rules),
        texts=report.texts,
        root=str(tmp_path.resolve()),
        cwd=str(tmp_path.resolve()),
    )


def _finding(ctx: FormatContext, case: Case) -> Finding:
    (f,) = [f for f in ctx.findings if f.rule == case.rule]
    assert f.fix is not None and len(f.fix.edits) == 1
    return f


def _line(ctx: FormatContext, path: str, number: int) -> str:
    return ctx.texts[path].split("\n")[number - 1]


def _cut(line: str, start: int, end: int, unit: str) -> str:
    """The text between two 1-based columns counted in `unit`, by encoding the line."""
    if unit == "characters":
        return line[start - 1 : end - 1]
    codec, width = ("utf-8", 1) if unit == "utf8" else ("utf-16-le", 2)
    data = line.encode(codec)
    return data[(start - 1) * width : (end - 1) * width].decode(codec)


def _after(line: str, column: int, unit: str) -> str:
    """The line from a 1-based column counted in `unit` on."""
    codec, width = ("utf-8", 1) if unit == "utf8" else ("utf-16-le", 2)
    return line.encode(codec)[(column - 1) * width :].decode(codec)


def _check_case_is_non_ascii(ctx: FormatContext, f: Finding, case: Case) -> str:
    line = _line(ctx, f.path, f.line)
    assert re.search(r"café ?😀", line), line
    assert f.fix is not None
    e = f.fix.edits[0]
    # characters, bytes and UTF-16 units disagree on this line before the edit's end
    before_end = line[: e.end_column - 1]
    assert len(before_end) < len(before_end.encode("utf-16-le")) // 2 < len(before_end.encode("utf-8"))
    assert line[e.start_column - 1 : e.end_column - 1] == case.replaced
    assert line[f.column - 1 :].startswith(case.at) if f.column else False
    return line


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.proxy)
def test_every_format_points_at_the_same_text(
    case: Case, tmp_path: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(case, tmp_path, rules, monkeypatch)
    f = _finding(ctx, case)
    line = _check_case_is_non_ascii(ctx, f, case)
    assert f.fix is not None
    edit = f.fix.edits[0]
    fixed = apply_edits(ctx.texts[f.path], f.fix.edits)

    # text and GitHub annotations: characters
    text = FORMATTERS["text"](ctx)
    assert f"{f.path}:{f.line}:{f.column}: " in text
    github = next(c for c in FORMATTERS["github"](ctx).splitlines() if f.code in c)
    assert f"line={f.line},col={f.column}," in github
    junit = FORMATTERS["junit"](ctx)
    assert f"{f.path}:{f.line}:{f.column}: " in junit
    report = json.loads(FORMATTERS["json"](ctx))
    (jf,) = [x for x in report["findings"] if x["rule"] == case.rule]
    assert line[jf["column"] - 1 :].startswith(case.at)

    # reviewdog: UTF-8 bytes, for the finding and its suggestion
    for doc in (json.loads(FORMATTERS["rdjson"](ctx))["diagnostics"], *_lines(FORMATTERS["rdjsonl"](ctx))):
        diags = doc if isinstance(doc, list) else [doc]
        (d,) = [x for x in diags if x["code"]["value"] == f.code]
        start = d["location"]["range"]["start"]
        assert start["line"] == f.line
        assert _after(line, start["column"], "utf8").startswith(case.at)
        (s,) = d["suggestions"]
        assert s["range"]["start"]["line"] == s["range"]["end"]["line"] == edit.start_line
        span = _cut(line, s["range"]["start"]["column"], s["range"]["end"]["column"], "utf8")
        assert span == case.replaced
        assert _apply(ctx.texts[f.path], edit.start_line, s["range"], s["text"], "utf8") == fixed

    # SARIF: UTF-16 code units, stated in the run
    sarif = json.loads(FORMATTERS["sarif"](ctx))
    if SARIF_SCHEMA.is_file():
        jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
    run_ = sarif["runs"][0]
    assert run_["columnKind"] == "utf16CodeUnits"
    (result,) = [r for r in run_["results"] if r["ruleId"] == f.code]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == f.line
    assert _after(line, region["startColumn"], "utf16").startswith(case.at)
    (change,) = result["fixes"][0]["artifactChanges"]
    (replacement,) = change["replacements"]
    deleted = replacement["deletedRegion"]
    span = _cut(line, deleted["startColumn"], deleted["endColumn"], "utf16")
    assert span == case.replaced
    rng = {"start": {"column": deleted["startColumn"]}, "end": {"column": deleted["endColumn"]}}
    assert _apply(ctx.texts[f.path], edit.start_line, rng, replacement["insertedContent"]["text"], "utf16") == fixed

    # the edit's end differs in the three units on these lines (else the test would prove nothing)
    assert len({edit.end_column, s["range"]["end"]["column"], deleted["endColumn"]}) == 3


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in text.splitlines()]


def _apply(text: str, line_number: int, rng: dict[str, Any], new: str, unit: str) -> str:
    """`text` with one single-line replacement applied the way a consumer counting `unit` applies it."""
    lines = text.split("\n")
    line = lines[line_number - 1]
    codec, width = ("utf-8", 1) if unit == "utf8" else ("utf-16-le", 2)
    data = line.encode(codec)
    start, end = (rng["start"]["column"] - 1) * width, (rng["end"]["column"] - 1) * width
    lines[line_number - 1] = (data[:start] + new.encode(codec) + data[end:]).decode(codec)
    return "\n".join(lines)


def test_a_position_in_text_wslint_did_not_read_is_kept() -> None:
    from wslint.columns import Columns

    columns = Columns({"a.conf": "é😀x\n"}, "utf8")
    assert columns.column("a.conf", 1, 4) == 1 + 2 + 4 + 1
    assert columns.column("proxy_params", 3, 9) == 9
    # an end position after the line's last character (an edit that ends with the newline)
    assert columns.column("a.conf", 1, 5) == 9
    assert Columns({"a.conf": "é😀x\n"}, "utf16").column("a.conf", 1, 4) == 1 + 1 + 2 + 1
