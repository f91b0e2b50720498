"""The HAProxy tokenizer and parser: words as HAProxy cuts them, sections, `.if` blocks, errors with lines."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wslint.findings import Diagnostic
from wslint.haproxy.parser import parse
from wslint.haproxy.proxies import ProxyBuilder, parse_time
from wslint.haproxy.tokenizer import PseudoVariables, TokenizeError, tokenize
from wslint.inputs import InputFile


def words(line: str) -> list[str]:
    return [w.text for w in tokenize(line).words]


# each measured on haproxy 2.6 with `http-request return ... string WORD` (tests/e2e/test_haproxy_syntax.py)
@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("\"a\"'b'c", "abc"),
        (r"\x41\x42", "AB"),
        (r"a\zb", r"a\zb"),
        (r'"a\zb"', r"a\zb"),
        (r'"q\"q"', 'q"q'),
        (r"a\ b", "a b"),
        (r"'a\ b'", r"a\ b"),
        (r'"a\#b"', "a#b"),
        (r"a\#b", "a#b"),
        ('"a#b"', "a#b"),
        (r'"a\\b"', "a\\b"),
        (r"a\\b", "a\\b"),
        (r"a\'b", "a'b"),
        ('a"b c"d', "ab cd"),
        (r'"\x41"', "A"),
        (r"'\x41'", r"\x41"),
        (r"\$x", r"\$x"),
        (r'"\$x"', "$x"),
        ("'$HOME'", "$HOME"),
    ],
)
def test_words_are_cut_like_haproxy(word: str, value: str) -> None:
    assert words(f"http-request return string {word}")[-1] == value


def test_comments_start_anywhere_even_inside_a_word() -> None:
    line = tokenize("    acl is_ws path_beg /ws#not a pattern")
    assert [w.text for w in line.words] == ["acl", "is_ws", "path_beg", "/ws"]
    assert line.comment == "not a pattern"


def test_no_line_continuation() -> None:
    # a backslash at the end of a line is a word of its own: HAProxy then refuses the rule
    assert words("http-request set-header X-A b \\") == ["http-request", "set-header", "X-A", "b", "\\"]


def test_columns_cover_the_quotes() -> None:
    line = tokenize('  use_backend "b e" if x')
    w = line.words[1]
    assert (w.text, w.column, w.end_column, w.quoted) == ("b e", 15, 20, True)


def test_environment_variables_stay_unknown_and_pseudo_variables_resolve() -> None:
    line = tokenize(
        'bind "${ADDR-1.2.3.4}:80" "$HOME" "x.LINE" ".FILE=${.FILE}:${.LINE}"', PseudoVariables("h.cfg", 7, "fe")
    )
    env = [(w.text, w.env) for w in line.words[1:]]
    assert env == [("${ADDR-1.2.3.4}:80", True), ("$HOME", True), ("x.LINE", False), (".FILE=h.cfg:7", False)]


@pytest.mark.parametrize("line", ['bind "127.0.0.1:80', "acl x path 'abc"])
def test_unmatched_quotes_are_errors(line: str) -> None:
    with pytest.raises(TokenizeError):
        tokenize(line)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\\\"'#$x{}-a:1\n")), max_size=40))
def test_the_tokenizer_never_crashes(line: str) -> None:
    with contextlib.suppress(TokenizeError):
        tokenize(line)


def _parse(tmp_path: Path, text: str, version: tuple[int, ...] = (2, 6, 0)) -> tuple[object, list[Diagnostic]]:
    f = tmp_path / "haproxy.cfg"
    f.write_text(text)
    diags: list[Diagnostic] = []
    return parse(InputFile("haproxy.cfg", str(f)), version, diags), diags


def test_sections_statements_and_positions(tmp_path: Path) -> None:
    parsed, diags = _parse(
        tmp_path,
        "global\n    maxconn 10\n\ndefaults web from base\n  mode http\nfrontend fe # comment\n    bind :80\n",
    )
    assert not diags
    sections = parsed.sections  # type: ignore[attr-defined]
    assert [(s.kind, s.name, s.from_name) for s in sections] == [
        ("global", None, None),
        ("defaults", "web", "base"),
        ("frontend", "fe", None),
    ]
    bind = sections[2].statements[0]
    assert (bind.source.line, bind.source.column, bind.source.end_column, bind.text) == (7, 5, 13, "bind :80")
    block = sections[2].block
    assert block is not None and (block.body_end.line, block.child_indent) == (8, "    ")


def test_statements_outside_a_section_are_errors_with_their_line(tmp_path: Path) -> None:
    parsed, diags = _parse(tmp_path, "    mode http\nfrontend fe\n    bind :80\n")
    assert parsed is not None and parsed.failed  # type: ignore[attr-defined]
    assert [(d.path, d.line) for d in diags] == [("haproxy.cfg", 1)]
    assert "out of section" in diags[0].message


def test_conditional_blocks_follow_the_version(tmp_path: Path) -> None:
    text = (
        "frontend fe\n"
        ".if version_atleast(2.5)\n"
        "    bind :81\n"
        ".elif version_atleast(2.0)\n"
        "    bind :82\n"
        ".else\n"
        "    bind :83\n"
        ".endif\n"
        ".if streq(a,b) || !defined(X) && 0\n"
        "    bind :84\n"
        ".endif\n"
    )
    for version, port in (((2, 6, 0), ":81"), ((2, 4, 0), ":82"), ((1, 8, 0), ":83")):
        parsed, diags = _parse(tmp_path, text, version)
        assert not diags
        assert [st.args[0] for st in parsed.sections[0].statements] == [port]  # type: ignore[attr-defined]


def test_unbalanced_conditional_blocks_are_errors(tmp_path: Path) -> None:
    _, diags = _parse(tmp_path, "frontend fe\n.if 1\n    bind :80\n")
    assert [d.line for d in diags] == [2]
    _, diags = _parse(tmp_path, "frontend fe\n.endif\n")
    assert [d.line for d in diags] == [2]


def test_a_directory_is_read_in_lexical_order(tmp_path: Path) -> None:
    d = tmp_path / "conf.d"
    d.mkdir()
    (d / "20-fe.cfg").write_text("frontend fe\n    bind :80\n")
    (d / "10-defaults.cfg").write_text("defaults\n    mode http\n")
    (d / "notes.txt").write_text("not loaded\n")
    diags: list[Diagnostic] = []
    parsed = parse(InputFile("conf.d", str(d)), (2, 6, 0), diags)
    assert parsed is not None
    assert [Path(f).name for f in parsed.files] == ["10-defaults.cfg", "20-fe.cfg"]
    assert [s.kind for s in parsed.sections] == ["defaults", "frontend"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 0.03), ("30s", 30.0), ("1m", 60.0), ("2h", 7200.0), ("500ms", 0.5), ("1d", 86400.0), ("10us", 1e-05)],
)
def test_times_are_milliseconds_unless_a_unit_says_otherwise(text: str, seconds: float) -> None:
    assert parse_time(text) == pytest.approx(seconds)


def test_defaults_are_inherited_by_position_or_by_name(tmp_path: Path) -> None:
    parsed, _ = _parse(
        tmp_path,
        "defaults base\n"
        "    mode http\n"
        "    timeout tunnel 1h\n"
        "    timeout client 5s\n"
        "frontend a\n"
        "    bind :80\n"
        "defaults\n"
        "    timeout server 7s\n"
        "backend b\n"
        "    server s 127.0.0.1:1\n"
        "backend c from base\n"
        "    server s 127.0.0.1:1\n"
        "defaults child from base\n"
        "    timeout client 9s\n"
        "backend d\n"
        "    server s 127.0.0.1:1\n",
    )
    diags: list[Diagnostic] = []
    builder = ProxyBuilder(parsed, (2, 6, 0), diags)  # type: ignore[arg-type]
    proxies = {p.name: p for p in builder.build()}
    assert not diags
    # a second defaults section resets everything: b has no tunnel and no mode http
    assert proxies["b"].timeout("tunnel") is None and proxies["b"].mode == "tcp"
    assert proxies["b"].timeout("server").seconds == 7  # type: ignore[union-attr]
    assert proxies["c"].timeout("tunnel").seconds == 3600  # type: ignore[union-attr]
    assert proxies["a"].mode == "http"
    # `defaults child from base` inherits, then overrides
    assert proxies["d"].timeout("tunnel").seconds == 3600  # type: ignore[union-attr]
    assert proxies["d"].timeout("client") is not None


def test_frontend_timeout_tunnel_is_ignored_and_unknown_names_are_errors(tmp_path: Path) -> None:
    parsed, _ = _parse(
        tmp_path,
        "frontend fe\n    bind :80\n    timeout tunnel 1h\n    use_backend nope if { path / }\n    use_backend b if no_acl\n"
        "backend b from missing\n    server s 127.0.0.1:1\n",
    )
    diags: list[Diagnostic] = []
    proxies = {p.name: p for p in ProxyBuilder(parsed, (2, 6, 0), diags).build()}  # type: ignore[arg-type]
    assert [st.source.line for st in proxies["fe"].ignored_tunnel] == [3]
    assert proxies["fe"].timeout("tunnel") is None
    messages = sorted((d.line, d.message) for d in diags)
    assert [m[0] for m in messages] == [4, 5, 6]
    assert (
        "no backend" in messages[0][1] and "no ACL named 'no_acl'" in messages[1][1] and "'missing'" in messages[2][1]
    )
