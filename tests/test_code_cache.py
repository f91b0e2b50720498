"""The compiled-template cache: used only from a private directory, never a reason to fail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wslint import cache_dir
from wslint.engine.codecache import CodeCache
from wslint.engine.sandbox import make_environment

SOURCE = "{{ route.name }} has {{ n | plural('finding') }}"


def test_a_template_compiled_once_is_loaded_from_the_cache(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / "c")
    env = make_environment(cache)
    first = env.template(SOURCE).render(route={"name": "/ws/"}, n=2)
    files = list((tmp_path / "c").iterdir())
    assert [f.suffix for f in files] == [".jinja"]
    assert cache.load(SOURCE) is not None
    # a fresh environment renders the same text from the stored code
    assert make_environment(CodeCache(tmp_path / "c")).template(SOURCE).render(route={"name": "/ws/"}, n=2) == first
    assert first == "/ws/ has 2 findings"


def test_a_changed_source_is_a_different_entry(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path)
    env = make_environment(cache)
    env.template(SOURCE)
    assert cache.load(SOURCE + "!") is None


def test_a_corrupt_entry_is_recompiled(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path)
    make_environment(cache).template(SOURCE)
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"\x00garbage")
    assert cache.load(SOURCE) is None
    assert make_environment(cache).template(SOURCE).render(route={"name": "x"}, n=1) == "x has 1 finding"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_can_write_to_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    cache = CodeCache(shared)
    assert cache.directory is None
    make_environment(cache).template(SOURCE)
    assert list(shared.iterdir()) == []


def test_an_unwritable_cache_still_renders(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = CodeCache(blocker / "cache")
    assert cache.directory is None
    assert make_environment(cache).template(SOURCE).render(route={"name": "y"}, n=0) == "y has 0 findings"


def test_the_environment_decides_the_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WSLINT_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir.default_directory() == tmp_path / "explicit"
    monkeypatch.delenv("WSLINT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir.default_directory() == tmp_path / "xdg" / "wslint"
    monkeypatch.setenv("WSLINT_NO_CACHE", "1")
    assert cache_dir.default_directory() is None


def test_rule_data_round_trips_and_only_plain_data_is_kept(tmp_path: Path) -> None:
    import datetime

    cache = CodeCache(tmp_path)
    cache.store_data("a: 1", {"a": 1, "b": ["x", None, True]})
    assert cache.load_data("a: 1") == {"a": 1, "b": ["x", None, True]}
    cache.store_data("d: 2001-01-01", {"d": datetime.date(2001, 1, 1)})
    assert cache.load_data("d: 2001-01-01") is None


EXPRESSION = "route.timeout > 60 and 'ws' in route.path and missing is undefined"


@pytest.mark.parametrize(
    "context",
    [
        {"route": {"timeout": 90, "path": "/ws/"}},
        {"route": {"timeout": 30, "path": "/ws/"}},
        {"route": {"timeout": 90, "path": "/api/"}, "missing": 1},
    ],
)
def test_an_expression_evaluates_as_jinja_compiles_it_and_is_cached(tmp_path: Path, context: dict[str, object]) -> None:
    cache = CodeCache(tmp_path / "c")
    expected = make_environment(None).compile_expression(EXPRESSION, undefined_to_none=False)(**context)
    assert make_environment(cache).expression(EXPRESSION)(**context) == expected
    assert [f.suffix for f in (tmp_path / "c").iterdir()] == [".expr"]
    assert cache.load(EXPRESSION, "expr") is not None
    # a fresh environment evaluates the stored code without compiling it again
    fresh = make_environment(CodeCache(tmp_path / "c"))
    fresh.compile = None  # type: ignore[assignment,method-assign]
    assert fresh.expression(EXPRESSION)(**context) == expected


def test_an_expression_with_a_chunk_after_it_is_refused_like_jinja_refuses_it(tmp_path: Path) -> None:
    from jinja2 import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="chunk after expression"):
        make_environment(CodeCache(tmp_path)).expression("a b")
    with pytest.raises(TemplateSyntaxError, match="chunk after expression"):
        make_environment(None).compile_expression("a b")
