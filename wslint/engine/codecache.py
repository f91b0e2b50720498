"""A per-user cache of compiled rule templates and parsed rule files.

Compiling a Jinja template to Python code costs about 2 ms, and reading the
shipped rule files' YAML about 1 ms each; together they were most of a small
lint run, which is what a pre-commit hook does. Code objects and the rule
files' plain data are kept in `$WSLINT_CACHE_DIR`, else
`$XDG_CACHE_HOME/wslint`, else `~/.cache/wslint`, keyed by a hash of the
source text, the Jinja version and the Python bytecode version, so a
changed rule or an upgrade never reuses stale code. `WSLINT_NO_CACHE=1`
turns it off.

Loading a code object runs it, so the cache is only used from a directory
that belongs to the current user and that nobody else can write to. Any
failure to read or write the cache falls back to compiling: the cache can
make a run faster, never make it fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
from pathlib import Path
from types import CodeType

from wslint.cache_dir import private

_BYTECODE = importlib.util.MAGIC_NUMBER.hex()


def _version_key(kind: str) -> str:
    """What besides the source decides the code: the Python bytecode, and for Jinja's own code its version and
    the environment's compile settings (RuleEnvironment intercepts `*` and `**`: bump the word when the sandbox
    compiles differently). Translated code (`native`) carries its translator's version in its source key."""
    if kind in ("jinja", "expr"):
        import jinja2  # already imported by whoever compiled the code

        return f"{jinja2.__version__}:{_BYTECODE}:intercepted-binops"
    return _BYTECODE


class CodeCache:
    def __init__(self, directory: Path | None) -> None:
        self._directory = directory if directory is not None and private(directory) else None

    @property
    def directory(self) -> Path | None:
        return self._directory

    def _file(self, kind: str, source: str) -> Path | None:
        if self._directory is None:
            return None
        digest = hashlib.sha256(f"{_version_key(kind)}\0{kind}\0{source}".encode()).hexdigest()
        return self._directory / f"{digest[:40]}.{kind}"

    def _get(self, kind: str, source: str) -> object:
        path = self._file(kind, source)
        if path is None:
            return None
        try:
            return marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None

    def load(self, source: str, kind: str = "jinja") -> CodeType | None:
        """The compiled code of a template source (kind `jinja`) or of an expression (`expr`: `when:`, `at:`,
        an edit's target), if cached."""
        code = self._get(kind, source)
        return code if isinstance(code, CodeType) else None

    def store(self, source: str, code: CodeType, kind: str = "jinja") -> None:
        self._put(kind, source, code)

    def load_data(self, text: str) -> dict[str, object] | None:
        """The plain data (dicts, lists, strings, numbers) a YAML text was read as, if cached."""
        data = self._get("yaml", text)
        return data if isinstance(data, dict) else None

    def store_data(self, text: str, data: dict[str, object]) -> None:
        try:
            marshal.dumps(data)
        except ValueError:  # not plain data: never cached
            return
        self._put("yaml", text, data)

    def _put(self, kind: str, source: str, value: object) -> None:
        path = self._file(kind, source)
        if path is None:
            return
        # written aside and renamed, so a concurrent run never reads half a file
        import tempfile  # only when something new is stored: a warm run never needs it

        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as out:
                marshal.dump(value, out)  # type: ignore[arg-type]
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
