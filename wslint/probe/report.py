"""`wslint probe` output, text and JSON."""

from __future__ import annotations

import json
from typing import Any

from wslint.formatters.trace import verdict
from wslint.model import EndpointResult
from wslint.probe import ProbeReport
from wslint.probe.client import Attempt
from wslint.probe.diagnose import answered_by

SHOWN_HEADERS = ("location", "upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol")


def _attempt_line(a: Attempt) -> str:
    if a.error is not None and a.status is None:
        return f"  {a.browser:8} {a.error}"
    status = f"{a.status} {a.reason}".strip()
    parts = [status]
    if a.upgraded:
        parts.append("accept ok" if a.accept_valid else "Sec-WebSocket-Accept WRONG")
        if a.compression is not None:
            parts.append("permessage-deflate")
        if a.error is not None:
            parts.append(a.error)
        parts.append("pong" if a.pong else "no pong")
        if a.echo is not None:
            parts.append("echoed" if a.echo else f"no echo ({a.echo_detail})")
        if a.idle_seconds:
            parts.append(
                f"cut after {a.cut_after:g}s idle"
                if a.cut_after is not None
                else f"alive after {a.idle_seconds:g}s idle"
            )
    hint = answered_by(a)
    if hint:
        parts.append(hint)
    return f"  {a.browser:8} " + ", ".join(parts)


def _prediction(report: ProbeReport) -> list[str]:
    if not report.predicted:
        return []
    r = report.predicted[0]
    out = ["config says:"]
    where = f"`{r.route.name}` at {r.route.source}" if r.route else (str(r.cause) if r.cause else "the server")
    observed = next((a.status for a in report.attempts if not a.ok and a.status), None)
    if observed and r.outcome in ("redirect", "local", "no-route") and r.cause is not None:
        origin = f"`{r.route.name}` ({r.cause})" if r.route else str(r.cause)
        out.append(f"  the {observed} comes from {origin}: {verdict(r)}")
    elif observed and r.outcome == "proxied" and r.route is not None:
        out.append(f"  the handshake reaches {where}; {verdict(r)}")
    else:
        out.append(f"  {where}: {verdict(r)}")
    for b in r.better_routes:
        out.append(f"  `{b.name}` at {b.source} would upgrade it, but loses to {where}")
    for e in r.elsewhere:
        out.append(f"  server {e.listener.label} has `{e.name}` at {e.source}, which would upgrade it")
    for f in report.findings:
        out.append(f"  {f.path}:{f.line}: {f.severity.label} {f.code} [{f.rule}] {f.message}")
    if report.disagreements:
        out.append("live server and configuration disagree:")
        out.extend(f"  {d.message}" for d in report.disagreements)
    return out


def format_probe_text(report: ProbeReport) -> str:
    t = report.target
    lines = [f"probe {report.url} (connecting to {t.connect_host}:{t.connect_port}, Host: {t.host_header})"]
    lines.extend(_attempt_line(a) for a in report.attempts)
    shown = {k: v for a in report.attempts for k, v in a.headers.items() if k in SHOWN_HEADERS and not a.ok}
    for k, v in shown.items():
        lines.append(f"  {k}: {v}")
    lines.append("diagnosis:")
    lines.extend(f"  {d}" for d in report.diagnosis)
    lines.extend(_prediction(report))
    return "\n".join(lines) + "\n"


def _attempt_dict(a: Attempt) -> dict[str, Any]:
    return {
        "browser": a.browser,
        "status": a.status,
        "reason": a.reason,
        "upgraded": a.upgraded,
        "accept_valid": a.accept_valid,
        "pong": a.pong,
        "echo": a.echo,
        "echo_detail": a.echo_detail,
        "compression": a.compression,
        "idle_seconds": a.idle_seconds,
        "cut_after": a.cut_after,
        "headers": {k: v for k, v in a.headers.items() if k in (*SHOWN_HEADERS, "server", "via")},
        "error": a.error,
        "ok": a.ok,
    }


def _predicted_dict(r: EndpointResult) -> dict[str, Any]:
    return {
        "client": r.client,
        "outcome": r.outcome,
        "status": r.status,
        "route": r.route.name if r.route else None,
        "source": str(r.route.source if r.route else r.cause) if (r.route or r.cause) else None,
        "verdict": verdict(r),
    }


def format_probe_json(report: ProbeReport) -> str:
    doc = {
        "version": 1,
        "url": report.url,
        "ok": report.ok,
        "attempts": [_attempt_dict(a) for a in report.attempts],
        "diagnosis": report.diagnosis,
        "predicted": [_predicted_dict(r) for r in report.predicted],
        "findings": [
            {"rule": f.rule, "code": f.code, "path": f.path, "line": f.line, "message": f.message}
            for f in report.findings
        ],
        "disagreements": [
            {"browsers": list(d.browsers), "live_status": d.live, "predicted": d.predicted, "message": d.message}
            for d in report.disagreements
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
