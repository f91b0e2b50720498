"""GitHub Actions workflow commands: one annotation per finding on the pull request diff."""

from __future__ import annotations

from wslint.findings import Severity
from wslint.formatters.context import FormatContext

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(severity: Severity, props: list[str], message: str) -> str:
    head = f"::{COMMAND[severity]}" + (" " + ",".join(props) if props else "")
    return f"{head}::{_data(message)}\n"


def format_github(ctx: FormatContext) -> str:
    out: list[str] = []
    for d in ctx.diagnostics:
        if d.severity < Severity.WARNING:
            continue
        props = [f"file={_prop(d.path)}"] if d.path else []
        if d.path and d.line:
            props.append(f"line={d.line}")
        props.append(f"title={_prop('wslint ' + d.kind)}")
        out.append(_command(d.severity, props, d.message))
    for f in ctx.findings:
        props = [f"file={_prop(f.path)}", f"line={f.line}"]
        if f.column is not None:
            props.append(f"col={f.column}")
        props.append(f"title={_prop(f'{f.code} {f.rule}')}")
        message = f.message
        if f.fix is not None and f.fix.snippet:
            message += f"\nFix: {f.fix.description}\n{f.fix.snippet}"
        out.append(_command(f.severity, props, message))
    return "".join(out)
