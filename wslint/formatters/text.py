"""Compiler-style text: `path:line:col: severity CODE [rule] message`, then route and fix.

Columns count characters. Problems with the input (diagnostics) are not part of
the report: `format_text_diagnostics` renders them for stderr.
"""

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


def _finding(f: Finding, color: bool, quiet: bool) -> list[str]:
    sev = _paint(f.severity.label, _COLORS[f.severity], color)
    head = f"{_where(f.path, f.line, f.column)}: {sev} {_paint(f.code, '1', color)} [{f.rule}] {f.message}"
    out = [head]
    if quiet:
        return out
    if f.route is not None:
        upstream = f" -> {f.route.upstream}" if f.route.upstream else ""
        where = f.route.name or (f"location {f.route.match}" if f.route.match is not None else "(no route matches)")
        out.append(f"    route: {f.route.listener} {where}{upstream}")
        if f.related:
            out.append(f"    also affects: {', '.join(f.related)}")
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


def format_text_diagnostics(ctx: FormatContext, color: bool = False) -> str:
    """The input's problems, one line each (for stderr): warnings and errors, and skipped files with --verbose."""
    lines = [f"configuration: {ctx.config or 'none found (defaults and the command line)'}"] if ctx.verbose else []
    lines += [
        _diagnostic(d, color)
        for d in ctx.diagnostics
        if d.severity >= Severity.WARNING or (ctx.verbose and d.kind == "skipped")
    ]
    return "".join(line + "\n" for line in lines)


def format_text(ctx: FormatContext) -> str:
    lines: list[str] = []
    for f in ctx.findings:
        lines.extend(_finding(f, ctx.color, ctx.quiet))
    if ctx.quiet:
        return "".join(line + "\n" for line in lines)
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
    skipped = ctx.skipped
    if skipped:
        reasons = {d.message.partition(": ")[2] for d in skipped}
        summary += f", {len(skipped)} skipped" + (f": {reasons.pop()}" if len(reasons) == 1 else "")
        if not ctx.verbose:
            summary += " (--verbose lists them)"
    if problems:
        summary += f"; {_count(problems, 'input error')} (reported on stderr)"
    hidden = [
        f"{_count(ctx.suppressed, 'finding')} suppressed inline" if ctx.suppressed else "",
        f"{ctx.baselined} in the baseline" if ctx.baselined else "",
    ]
    if any(hidden):
        summary += " (" + ", ".join(h for h in hidden if h) + ")"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def format_statistics(ctx: FormatContext) -> str:
    """Findings per rule, most frequent first (`--statistics`)."""
    counts: dict[tuple[str, str], int] = {}
    for f in ctx.findings:
        counts[(f.code, f.rule)] = counts.get((f.code, f.rule), 0) + 1
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "".join(f"{n:5d}  {code}  {rule}\n" for (code, rule), n in rows)
