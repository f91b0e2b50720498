"""Dataclass methods compiled once per user instead of once per run.

`dataclasses` writes each class's `__init__`, `__repr__`, `__eq__`, `__hash__`
and, for frozen classes, `__setattr__` and `__delattr__` as source text and
compiles it while the class statement runs. Compiling is about 60 % of making
a class, and wslint makes about a hundred classes before it lints a file:
that was the largest part of a pre-commit hook's run.

`install()` gives the dataclasses module an `exec` of its own that takes the
code of a text compiled before from one per-user file, keyed by the module
that makes the class and the exact text (a changed class is a new text, so
stale code is never run), and saves what it had to compile when the process
ends: a module that needed a new text has its entries replaced by the ones
this process used, so the file holds today's classes, not every version
that ever ran. The methods are exactly
the ones dataclasses makes: only their compilation is skipped. The file lives
in wslint's cache directory (cache_dir: only a directory that is the user's
own and nobody else can write to), and any problem reading or writing it
falls back to compiling.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

from wslint.cache_dir import default_directory, private

# many more texts than wslint's classes make: a file grown past it (many modules) starts afresh
MAX_ENTRIES = 5_000


Texts = dict[str, CodeType]


def _file_name() -> str:
    # code objects are only valid for the interpreter that made them
    version = ".".join(str(part) for part in sys.version_info)
    return f"dataclass-methods-2-{sys.implementation.cache_tag}-{version}.marshal"


def _read(path: Path) -> dict[str, Texts]:
    """The stored code by module and text (empty when the file is missing or not what this module writes)."""
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, Texts] = {}
    for module, texts in data.items():
        if isinstance(module, str) and isinstance(texts, dict):
            out[module] = {k: v for k, v in texts.items() if isinstance(k, str) and isinstance(v, CodeType)}
    return out


class MethodCode:
    """The compiled code of dataclass method texts, read from `directory` on first use."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory
        self._known: dict[str, Texts] | None = None
        self._used: dict[str, Texts] = {}
        self._changed: set[str] = set()

    def _path(self) -> Path | None:
        directory = self._directory
        if directory is None or not private(directory):
            self._directory = None
            return None
        return directory / _file_name()

    def code(self, text: str, module: str) -> CodeType:
        """The code of one method text of a class that `module` makes."""
        if self._known is None:
            path = self._path()
            self._known = _read(path) if path is not None else {}
        code = self._known.get(module, {}).get(text)
        if code is None:
            code = compile(text, "<string>", "exec")
            self._changed.add(module)
        self._used.setdefault(module, {})[text] = code
        return code

    def save(self) -> None:
        """Store the texts of every module that needed a new one (merged with what other processes wrote)."""
        if not self._changed:
            return
        path = self._path()
        if path is None:
            return
        merged = _read(path)
        if sum(len(texts) for texts in merged.values()) > MAX_ENTRIES:
            merged = {}
        for module in self._changed:
            merged[module] = self._used[module]
        self._changed = set()
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        # written aside and renamed, so a concurrent run never reads half a file
        try:
            tmp.write_bytes(marshal.dumps(merged))
            os.replace(tmp, path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                tmp.unlink()


_methods: MethodCode | None = None


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
    if isinstance(source, str) and globals is not None and _methods is not None:
        source = _methods.code(source, str(globals.get("__name__", "")))
    builtins.exec(source, globals, locals)


def install() -> None:
    """Route the dataclasses module's compilation through the cache (once; not when caching is off)."""
    global _methods
    if _methods is not None:
        return
    directory = default_directory()
    if directory is None:
        return
    _methods = MethodCode(directory)
    # a module global shadows the builtin for that module only: every other exec is untouched
    setattr(dataclasses, "exec", _exec)  # noqa: B010
    atexit.register(_methods.save)
