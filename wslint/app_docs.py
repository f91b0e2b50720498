"""App profile documentation: `wslint apps` and `wslint explain <app>`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from wslint.durations import format_duration
from wslint.profiles import AppProfile


def apps_table(profiles: Sequence[AppProfile], fmt: str) -> str:
    if fmt == "json":
        doc = [
            {
                "id": p.id,
                "name": p.name,
                "docs": p.docs,
                "websockets": [
                    {"path": w.path, "query": w.query, "prefix": w.prefix, "source": w.source} for w in p.websockets
                ],
                "recognized_by": {"names": list(p.names), "ports": list(p.ports), "paths": list(p.paths)},
                "idle_timeout": p.idle_timeout,
            }
            for p in profiles
        ]
        return json.dumps(doc, indent=2) + "\n"
    rows = [("APP", "NAME", "WEBSOCKET PATHS", "RECOGNIZED BY")]
    for p in profiles:
        paths = ", ".join(w.path + ("*" if w.prefix else "") for w in p.websockets)
        rows.append((p.id, p.name, paths, ", ".join(p.names) or "(--app only)"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows) + "\n"


def explain_app(p: AppProfile) -> str:
    out = [f"{p.name} ({p.id}): app profile", "", "WebSocket endpoints its clients open"]
    for w in p.websockets:
        target = w.path + (f"?{w.query}" if w.query else "") + (" (and paths below it)" if w.prefix else "")
        out.append(f"    {target}    [{w.source}]")
    if p.idle_timeout is not None:
        out += ["", "Idle time its sockets must survive", f"    {format_duration(p.idle_timeout)}    [{p.idle_source}]"]
    out += ["", "Recognized by"]
    if p.names:
        out.append(f"    a name: {', '.join(p.names)} as a word of an upstream, backend, service or server name")
    if p.paths:
        ports = f" proxied to port {', '.join(map(str, p.ports))}" if p.ports else ""
        out.append(f"    a route for {', '.join(p.paths)}{ports}")
        out.append("    (a path alone only suggests the app: its findings are info)")
    out.append(f"    or selected outright: --app {p.id}, or apps: [{p.id}] in .wslint.yaml")
    if p.notes:
        out += ["", "Notes", f"    {p.notes}"]
    out += ["", "Documentation", f"    {p.docs}"]
    return "\n".join(out) + "\n"
