"""A diagnostic about a file pulled in by an include or import quotes its words only when they are (nearly)
names the proxy knows: an import of a secrets file must not put the secret into SARIF or a PR annotation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_bad_input import lint_capped

SECRET = "DB_PASSWORD=hunter2secret"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "secrets.env").write_text(f"{SECRET}\nAPI_KEY=abc\n")
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Caddyfile", "example.test {{\n\timport {secrets}\n\treverse_proxy 127.0.0.1:9\n}}\n"),
        ("Caddyfile", "import {secrets}\nexample.test {{\n\treverse_proxy 127.0.0.1:9\n}}\n"),
        ("site.conf", "server {{ listen 80; include {secrets}; }}\n"),
    ],
    ids=["caddy-site", "caddy-top", "nginx"],
)
def test_an_imported_secrets_file_is_not_quoted(here: Path, name: str, text: str) -> None:
    (here / name).write_text(text.format(secrets=here.parent / "secrets.env"))
    for fmt in ("text", "sarif", "json", "github"):
        res = lint_capped(name, "--format", fmt)
        assert res.returncode == 2, res.stdout + res.stderr
        assert "hunter2" not in res.stdout + res.stderr and "API_KEY" not in res.stdout + res.stderr
        assert "characters not shown" in res.stdout + res.stderr


def test_a_misspelt_directive_in_an_included_file_is_still_named(here: Path) -> None:
    (here / "snippet").write_text("reverse_prox 127.0.0.1:9\n")
    (here / "Caddyfile").write_text("example.test {\n\timport snippet\n}\n")
    res = lint_capped("Caddyfile")
    assert res.returncode == 2 and "snippet:1:1: error: unrecognized directive: reverse_prox" in res.stderr
    (here / "typo.conf").write_text("proxy_pas http://127.0.0.1:9;\n")
    (here / "site.conf").write_text("server { listen 80; location / { include typo.conf; } }\n")
    res = lint_capped("site.conf")
    assert 'unknown directive "proxy_pas"' in res.stderr


def test_the_file_the_user_named_is_quoted_as_it_is(here: Path) -> None:
    (here / "Caddyfile").write_text("example.test {\n\tDB_PASS=x\n}\n")
    res = lint_capped("Caddyfile")
    assert res.returncode == 2 and "unrecognized directive: DB_PASS=x" in res.stderr
