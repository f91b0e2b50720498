"""The Caddyfile lexer and parser: tokens and positions, server blocks, snippets, imports, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from wslint.caddy.lexer import tokenize
from wslint.caddy.parser import Caddyfile, is_new_line, parse_caddyfile
from wslint.findings import Diagnostic
from wslint.inputs import InputFile
from wslint.limits import Limits


def parse(tmp_path: Path, text: str, files: dict[str, str] | None = None, limits: Limits | None = None) -> Caddyfile:
    for rel, content in (files or {}).items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    main = tmp_path / "Caddyfile"
    main.write_text(text)
    diagnostics: list[Diagnostic] = []
    cf = parse_caddyfile(InputFile(str(main), str(main)), limits or Limits(), False, diagnostics)
    assert cf is not None, diagnostics
    return cf


def error(tmp_path: Path, text: str, files: dict[str, str] | None = None, limits: Limits | None = None) -> Diagnostic:
    for rel, content in (files or {}).items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    main = tmp_path / "Caddyfile"
    main.write_text(text)
    diagnostics: list[Diagnostic] = []
    cf = parse_caddyfile(InputFile(str(main), str(main)), limits or Limits(), False, diagnostics)
    assert cf is None
    (d,) = diagnostics
    return d


def test_tokens_carry_exact_positions() -> None:
    toks = tokenize('site {\n\treverse_proxy "a b" `c\nd` e # comment\n}\n', "f")
    assert [(t.text, t.line, t.column, t.end_line, t.end_column) for t in toks] == [
        ("site", 1, 1, 1, 5),
        ("{", 1, 6, 1, 7),
        ("reverse_proxy", 2, 2, 2, 15),
        ("a b", 2, 16, 2, 21),
        ("c\nd", 2, 22, 3, 3),
        ("e", 3, 4, 3, 5),
        ("}", 4, 1, 4, 2),
    ]
    assert [t.quoted for t in toks[3:5]] == ['"', "`"]


def test_only_an_escaped_quote_is_an_escape_inside_double_quotes() -> None:
    (t,) = tokenize(r'"a\"b\c"', "f")
    assert t.text == 'a"b\\c'


def test_a_continued_line_stays_on_caddys_line() -> None:
    toks = tokenize("reverse_proxy a \\\n    b\nnext\n", "f")
    assert [t.text for t in toks] == ["reverse_proxy", "a", "b", "next"]
    assert toks[2].line == 2 and toks[2].lline == 1
    assert not is_new_line(toks, 2)
    assert is_new_line(toks, 3)


def test_a_comment_starts_only_at_a_token() -> None:
    assert [t.text for t in tokenize("respond a#b #c\n", "f")] == ["respond", "a#b"]


def test_bom_and_crlf() -> None:
    assert [t.text for t in tokenize("\ufeffa {\r\n\tb\r\n}\r\n", "f")] == ["a", "{", "b", "}"]


def test_sites_directives_and_blocks(tmp_path: Path) -> None:
    cf = parse(
        tmp_path,
        "{\n\tadmin off\n}\n\na.test, b.test:8080 {\n\treverse_proxy /ws/* app:3000 {\n"
        "\t\theader_up X-A b\n\t}\n\trespond 404\n}\n",
    )
    glob_opts, site = cf.blocks
    assert glob_opts.keys == []
    assert [k.text for k in site.keys] == ["a.test", "b.test:8080"]
    rp, respond = site.nodes
    assert rp.name == "reverse_proxy" and rp.args == ["/ws/*", "app:3000"]
    assert rp.children is not None and rp.children[0].args == ["X-A", "b"]
    assert (rp.source.line, rp.source.column, rp.source.end_line) == (6, 2, 8)
    assert respond.args == ["404"]


def test_a_single_site_may_omit_braces(tmp_path: Path) -> None:
    cf = parse(tmp_path, "localhost:8080\nreverse_proxy app:3000\nencode gzip\n")
    (site,) = cf.blocks
    assert [n.name for n in site.nodes] == ["reverse_proxy", "encode"]


def test_snippets_with_arguments_and_import_globs(tmp_path: Path) -> None:
    cf = parse(
        tmp_path,
        "(proxy) {\n\treverse_proxy {args.0} {\n\t\theader_up X {args.1}\n\t}\n}\nimport sites/*.caddy\n",
        {
            "sites/a.caddy": "a.test {\n\timport proxy app:1 one\n}\n",
            "sites/b.caddy": "b.test {\n\timport proxy app:2\n}\n",
        },
    )
    a, b = cf.blocks
    assert a.nodes[0].args == ["app:1"]
    assert a.nodes[0].children is not None and a.nodes[0].children[0].args == ["X", "one"]
    # a missing argument stays a placeholder, as Caddy leaves unknown ones
    assert b.nodes[0].children is not None and b.nodes[0].children[0].args == ["X", "{args.1}"]
    # tokens from a snippet point into the snippet
    assert a.nodes[0].head.line == 2 and a.nodes[0].head.path.endswith("Caddyfile")
    assert sorted(Path(f).name for f in cf.files) == ["Caddyfile", "a.caddy", "b.caddy"]


def test_a_glob_may_match_nothing_but_a_file_must_exist(tmp_path: Path) -> None:
    parse(tmp_path, "import nothing/*.caddy\na.test {\n\trespond 200\n}\n")
    d = error(tmp_path, "import missing.caddy\n")
    assert "file to import not found: 'missing.caddy'" in d.message and d.line == 1


@pytest.mark.parametrize(
    ("text", "files", "message", "line"),
    [
        ("a.test {\n\trespond 200\n", {}, "expected '}' at end of file", 2),
        ("a.test {\n\trespond 200\n}\n}\n", {}, "", 0),
        ("a.test {\n\treverse_proxy app { to b\n\t}\n}\n", {}, "unexpected next token after '{' on same line", 2),
        ("(s) {\n\trespond 1\n}\n(s) {\n\trespond 2\n}\n", {}, "redeclaration of previously declared snippet s", 4),
        ("a.test{\n}\n", {}, "site addresses cannot end with a curly brace", 1),
        ("import a.caddy\n", {"a.caddy": "import b.caddy\n", "b.caddy": "import a.caddy\n"}, "a cycle of imports", 1),
        ("(s) {\n\timport s\n}\na.test {\n\timport s\n}\n", {}, "a cycle of imports", 2),
        ("import sites/*/*.caddy\n", {}, "glob pattern may only contain one wildcard", 1),
    ],
)
def test_structural_errors_name_file_and_line(
    tmp_path: Path, text: str, files: dict[str, str], message: str, line: int
) -> None:
    if not message:
        # an extra closing brace after the last site: Caddy reads it as a site address "}"
        parse(tmp_path, text, files)
        return
    d = error(tmp_path, text, files)
    assert message in d.message
    assert d.line == line


def test_import_depth_and_nesting_limits(tmp_path: Path) -> None:
    files = {f"f{i}.caddy": f"import f{i + 1}.caddy\n" for i in range(10)}
    files["f10.caddy"] = "a.test {\n\trespond 200\n}\n"
    d = error(tmp_path, "import f0.caddy\n", files, Limits(include_depth=5))
    assert "imports are nested more than 5 deep" in d.message
    d = error(tmp_path, "a.test {\n" + "\troute {\n" * 50 + "}\n" * 51, limits=Limits(nesting=20))
    assert "nested more than 20 deep" in d.message


def test_exponential_snippets_are_bounded(tmp_path: Path) -> None:
    text = "(s0) {\n\trespond 200\n}\n"
    for i in range(1, 40):
        text += f"(s{i}) {{\n\timport s{i - 1}\n\timport s{i - 1}\n}}\n"
    text += "a.test {\n\timport s39\n}\n"
    d = error(tmp_path, text)
    assert "more than" in d.message and ("imports are expanded" in d.message or "tokens" in d.message)


def test_environment_defaults(tmp_path: Path) -> None:
    cf = parse(tmp_path, "{$SITE:a.test} {\n\treverse_proxy {$UPSTREAM}\n}\n")
    (site,) = cf.blocks
    assert site.keys[0].text == "a.test"
    assert site.nodes[0].args == ["{$UPSTREAM}"]
