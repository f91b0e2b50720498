"""Dataclass methods compiled once per user: the same classes, read back instead of compiled, never a failure."""

from __future__ import annotations

import builtins
import dataclasses
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wslint import dataclass_methods
from wslint.dataclass_methods import MethodCode

TEXT = "def __create_fn__():\n def f(x):\n  return x + 1\n return f"


def _function(code: MethodCode, text: str = TEXT, module: str = "app.models") -> object:
    namespace: dict[str, object] = {}
    exec(code.code(text, module), {}, namespace)
    return namespace["__create_fn__"]()  # type: ignore[operator]


def test_a_text_compiled_once_is_read_back_by_the_next_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = MethodCode(tmp_path)
    assert _function(first)(1) == 2  # type: ignore[operator]
    first.save()
    (stored,) = tmp_path.iterdir()
    assert stored.name.startswith("dataclass-methods-")

    def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled although the code was stored")

    second = MethodCode(tmp_path)
    monkeypatch.setattr("builtins.compile", no_compile)
    assert _function(second)(41) == 42  # type: ignore[operator]


def test_texts_of_several_processes_are_merged(tmp_path: Path) -> None:
    other = TEXT.replace("x + 1", "x + 2")
    one, two = MethodCode(tmp_path), MethodCode(tmp_path)
    _function(one)
    _function(two, other)
    one.save()
    two.save()
    both = MethodCode(tmp_path)
    assert _function(both)(0) == 1  # type: ignore[operator]
    assert _function(both, other)(0) == 2  # type: ignore[operator]
    both.save()  # nothing new: the file is left as it is
    assert len(list(tmp_path.iterdir())) == 1


def test_a_module_whose_classes_changed_keeps_only_its_new_texts(tmp_path: Path) -> None:
    """The file holds today's classes: an old text of a module that was compiled again is dropped."""
    old, new, other = TEXT, TEXT.replace("x + 1", "x + 3"), TEXT.replace("x + 1", "x * 2")
    before = MethodCode(tmp_path)
    _function(before, old)
    _function(before, other, "app.views")
    before.save()
    after = MethodCode(tmp_path)
    _function(after, new)  # app.models changed; app.views was not imported this time
    after.save()
    stored = marshal.loads(next(tmp_path.iterdir()).read_bytes())
    assert set(stored["app.models"]) == {new}
    assert set(stored["app.views"]) == {other}


def test_a_corrupt_file_is_compiled_afresh(tmp_path: Path) -> None:
    code = MethodCode(tmp_path)
    _function(code)
    code.save()
    (stored,) = tmp_path.iterdir()
    stored.write_bytes(b"\x00garbage")
    assert _function(MethodCode(tmp_path))(1) == 2  # type: ignore[operator]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_can_write_to_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    code = MethodCode(shared)
    assert _function(code)(1) == 2  # type: ignore[operator]
    code.save()
    assert list(shared.iterdir()) == []


CLASSES = """
import dataclasses, sys
from wslint import dataclass_methods
dataclass_methods.install()

@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple, compare=False)

p = Point(1, tags=("a",))
try:
    p.x = 3
except dataclasses.FrozenInstanceError:
    frozen = True
else:
    frozen = False
print(repr(p), p == Point(1, 0, ("b",)), p < Point(2), hash(p) == hash(Point(1)), frozen,
      dataclasses.replace(p, y=5), [f.name for f in dataclasses.fields(Point)])
"""


def test_classes_made_through_the_cache_are_the_classes_dataclasses_makes(tmp_path: Path) -> None:
    """Run twice (compiling, then reading the stored code), and once with the cache off: the same behaviour."""
    env = {**os.environ, "WSLINT_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", CLASSES], env=env, capture_output=True, text=True) for _ in range(2)]
    off = subprocess.run(
        [sys.executable, "-c", CLASSES], env={**env, "WSLINT_NO_CACHE": "1"}, capture_output=True, text=True
    )
    assert [r.returncode for r in (*runs, off)] == [0, 0, 0], [r.stderr for r in (*runs, off)]
    expected = "Point(x=1, y=0, tags=('a',)) True True True True Point(x=1, y=5, tags=('a',)) ['x', 'y', 'tags']\n"
    assert runs[0].stdout == runs[1].stdout == off.stdout == expected
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("dataclass-methods-")]


def test_install_gives_only_the_dataclasses_module_its_exec() -> None:
    dataclass_methods.install()
    assert vars(dataclasses)["exec"] is dataclass_methods._exec
    assert builtins.exec is not dataclass_methods._exec
    namespace: dict[str, object] = {}
    exec("value = 6 * 7", namespace)
    assert namespace["value"] == 42
