"""The one place that talks to crossplane.

crossplane gives statements, arguments, line numbers and syntax errors. This
module turns its dict payload into typed `RawStatement`s and its exceptions
into `SyntaxProblem`s, so nothing else in wslint depends on its shapes. It
also hands out crossplane's directive table (where each directive is allowed,
how many arguments it takes, whether it opens a block) in plain terms; wslint
corrects that table for the nginx it models (wslint/nginx/directive_table.py)
and runs the checks itself on the tree with includes spliced in, because
crossplane checks each file on its own, as if it were the main file.

Where the positions scan reads a file exactly as crossplane would
(wslint/nginx/positions.py), the scan's own statements are used and
crossplane's parser is not run on it; `lexed_apart` tells the scan which
blocks crossplane's plugins lex their own way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import crossplane
from crossplane import analyzer
from crossplane.lexer import EXTERNAL_LEXERS


@dataclass(frozen=True, slots=True)
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


def lexed_apart() -> tuple[str, ...]:
    """The directives whose blocks crossplane's plugins lex their own way (its Lua plugin's `*_by_lua_block`)."""
    return tuple(EXTERNAL_LEXERS)


def parse_text(text: str) -> tuple[tuple[RawStatement, ...], tuple[SyntaxProblem, ...]]:
    """Parse text that has no file of its own (stdin): crossplane only reads paths."""
    import tempfile  # only for stdin: a file on disk is read as it is

    fd, tmp = tempfile.mkstemp(prefix="wslint-", suffix=".conf")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return parse_path(tmp)
    finally:
        os.unlink(tmp)


# crossplane's context bits, by the names wslint (and nginx's documentation) use
_CONTEXT_BITS = (
    (analyzer.NGX_MAIN_CONF, "main"),
    (analyzer.NGX_EVENT_CONF, "events"),
    (analyzer.NGX_HTTP_MAIN_CONF, "http"),
    (analyzer.NGX_HTTP_SRV_CONF, "server"),
    (analyzer.NGX_HTTP_LOC_CONF, "location"),
    (analyzer.NGX_HTTP_UPS_CONF, "upstream"),
    (analyzer.NGX_HTTP_SIF_CONF, "if in server"),
    (analyzer.NGX_HTTP_LIF_CONF, "if in location"),
    (analyzer.NGX_HTTP_LMT_CONF, "limit_except"),
    (analyzer.NGX_MAIL_MAIN_CONF, "mail"),
    (analyzer.NGX_MAIL_SRV_CONF, "mail server"),
    (analyzer.NGX_STREAM_MAIN_CONF, "stream"),
    (analyzer.NGX_STREAM_SRV_CONF, "stream server"),
    (analyzer.NGX_STREAM_UPS_CONF, "stream upstream"),
)


def _arguments(mask: int) -> str:
    """nginx's argument check, in its order: any, a flag, one or more, two or more, else exact counts."""
    if mask & analyzer.NGX_CONF_ANY:
        return "*"
    if mask & analyzer.NGX_CONF_FLAG:
        return "flag"
    if mask & analyzer.NGX_CONF_1MORE:
        return "1+"
    if mask & analyzer.NGX_CONF_2MORE:
        return "2+"
    return "".join(str(n) for n in range(8) if mask & (analyzer.NGX_CONF_NOARGS << n))


def _form(mask: int) -> tuple[str, str, bool]:
    contexts = "|".join(ctx for bit, ctx in _CONTEXT_BITS if mask & bit)
    return contexts, _arguments(mask), bool(mask & analyzer.NGX_CONF_BLOCK)


def directive_forms(name: str) -> tuple[tuple[str, str, bool], ...] | None:
    """crossplane's forms of one directive as (contexts joined by "|", arguments, block); None if it has none."""
    masks: list[int] | None = analyzer.DIRECTIVES.get(name)
    return None if masks is None else tuple(_form(mask) for mask in masks)


def directive_names() -> tuple[str, ...]:
    """Every directive name in crossplane's table."""
    return tuple(analyzer.DIRECTIVES)
