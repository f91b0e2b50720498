"""The one place that talks to crossplane.

crossplane gives statements, arguments, line numbers and syntax errors. This
module turns its dict payload into typed `RawStatement`s and its exceptions
into `SyntaxProblem`s, so nothing else in wslint depends on its shapes.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

import crossplane


@dataclass(frozen=True)
class RawStatement:
    name: str
    args: tuple[str, ...]
    line: int
    block: tuple[RawStatement, ...] | None
    comment: str | None = None

    @property
    def is_comment(self) -> bool:
        return self.comment is not None


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int | None


def _convert(items: list[dict[str, Any]]) -> tuple[RawStatement, ...]:
    out: list[RawStatement] = []
    for item in items:
        if item["directive"] == "#":
            out.append(RawStatement("#", (), item["line"], None, item.get("comment", "")))
            continue
        block = item.get("block")
        out.append(
            RawStatement(
                name=item["directive"],
                args=tuple(item.get("args", ())),
                line=item["line"],
                block=_convert(block) if block is not None else None,
            )
        )
    return tuple(out)


def _problem(error: dict[str, Any]) -> SyntaxProblem:
    exc = error.get("callback")
    message = getattr(exc, "strerror", None) or str(error.get("error", "syntax error"))
    line = getattr(exc, "lineno", None) if exc is not None else error.get("line")
    return SyntaxProblem(message=str(message), line=line)


def parse_path(path: str) -> tuple[tuple[RawStatement, ...], tuple[SyntaxProblem, ...]]:
    """Parse one file on disk, without following includes (wslint resolves those)."""
    payload = crossplane.parse(
        path,
        onerror=lambda exc: exc,
        catch_errors=True,
        single=True,
        comments=True,
        strict=False,
        check_ctx=False,
        check_args=False,
    )
    configs = payload.get("config") or []
    statements = _convert(configs[0]["parsed"]) if configs else ()
    problems = tuple(_problem(e) for e in payload.get("errors", ()))
    return statements, problems


def parse_text(text: str) -> tuple[tuple[RawStatement, ...], tuple[SyntaxProblem, ...]]:
    """Parse text that has no file of its own (stdin): crossplane only reads paths."""
    fd, tmp = tempfile.mkstemp(prefix="wslint-", suffix=".conf")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return parse_path(tmp)
    finally:
        os.unlink(tmp)
