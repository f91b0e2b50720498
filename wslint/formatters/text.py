"""Compiler-style text: `path:line:col: severity CODE [rule] message`, then route and fix."""

from __future__ import annotations

from wslint.findings import Diagnostic, Finding, Severity
from wslint.formatters.context import FormatContext

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, on: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if on else text


def _where(path: str | None, line: int | None, column: int | None) -> str:
    if path is None:
        return "wslint"
    if line is None:
        return path
    return f"{path}:{line}:{column}" if column is not None else f"{path}:{line}"


def _finding(f: Finding, color: bool) -> list[str]:
    sev = _paint(f.severity.label, _COLORS[f.severity], color)
    head = f"{_where(f.path, f.line, f.column)}: {sev} {_paint(f.code, '1', color)} [{f.rule}] {f.message}"
    out = [head]
    if f.route is not None:
        upstream = f" -> {f.route.upstream}" if f.route.upstream else ""
        where = f"location {f.route.match}" if f.route.match is not None else "(no location matches)"
        out.append(f"    route: {f.route.listener} {where}{upstream}")
        if f.related:
            out.append(f"    also affects: {', '.join('location ' + r for r in f.related)}")
    if f.fix is not None:
        where = ""
        if f.fix.edits:
            e = f.fix.edits[0]
            where = f" ({e.path}:{e.start_line})"
        out.append(f"    fix: {f.fix.description}{where}")
        for line in f.fix.snippet.splitlines():
            out.append(_paint(f"        {line}", "32", color))
    return out


def _diagnostic(d: Diagnostic, color: bool) -> str:
    sev = _paint(d.severity.label, _COLORS[d.severity], color)
    return f"{_where(d.path, d.line, d.column)}: {sev}: {d.message} ({d.kind})"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_text(ctx: FormatContext) -> str:
    lines: list[str] = []
    for d in ctx.diagnostics:
        if d.severity >= Severity.WARNING:
            lines.append(_diagnostic(d, ctx.color))
    for f in ctx.findings:
        lines.extend(_finding(f, ctx.color))
    by = {s: sum(1 for f in ctx.findings if f.severity == s) for s in Severity}
    problems = sum(1 for d in ctx.diagnostics if d.severity >= Severity.ERROR)
    if ctx.findings:
        summary = (
            f"{_count(by[Severity.ERROR], 'error')}, {_count(by[Severity.WARNING], 'warning')}, "
            f"{by[Severity.INFO]} info in {_count(len(ctx.files), 'file')}"
        )
    elif problems and not ctx.files:
        summary = "nothing was linted"
    else:
        summary = f"no problems found in {_count(len(ctx.files), 'file')}"
    if problems:
        summary += f"; {_count(problems, 'input error')} (see above)"
    lines.append(summary)
    return "\n".join(lines) + "\n"
