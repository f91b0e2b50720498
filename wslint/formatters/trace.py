"""`wslint route` output: each endpoint's decision trace, as text or JSON."""

from __future__ import annotations

import json
from typing import Any

from wslint.model import EndpointResult, Miss, MissKind

# why a route written for the endpoint misses it, when the adapter gave no reason of its own
MISSES: dict[MissKind, str] = {
    "pattern": "its pattern does not match this path",
    "trailing-slash": "its path ends in a slash this path lacks",
    "case": "its path differs from this one in letter case",
    "regex-as-prefix": "its regular expression is read as a plain prefix",
    "exact-path": "it matches the exact path only",
    "rewritten": "a rewrite before it changes the path",
    "host-has-port": "its Host matcher includes a port",
    "tls-mismatch": "its TLS setting differs from the connection's",
    "v2-path-template": "it uses a v2 path template",
    "other-entrypoint": "it is attached to another entryPoint",
}


def miss_text(m: Miss) -> str:
    """Why the route misses, in the adapter's words when it has them (the lint message says the same)."""
    if m.kind == "pattern" or not m.reason:
        return MISSES[m.kind]
    return m.reason


def verdict(r: EndpointResult) -> str:
    """One line: what the client will see."""
    if not r.certain and r.status is None and r.outcome in ("local", "error"):
        # nothing was decided: say so rather than name a status
        return "wslint cannot tell what the proxy does with it (see uncertain above)"
    if r.outcome == "proxied":
        hs = r.handshake
        if r.upgrades:
            path = (
                ""
                if r.path_matches
                else f", but at {r.backend_path_only} instead of {r.endpoint.expected_backend_path}"
            )
            return f"upgraded: the upstream {r.upstream} gets a WebSocket handshake for {r.backend_path}{path}"
        problems = []
        if hs is None or r.route is None or not r.route.tunnels:
            problems.append("the upstream protocol cannot carry a WebSocket")
        else:
            if hs.http_version.value != "1.1":
                problems.append(f"HTTP/{hs.http_version.value} upstream")
            if hs.upgrade_status != "ok":
                problems.append("no Upgrade: websocket")
            if hs.connection_status != "ok":
                problems.append("no upgrade token in Connection")
        return f"proxied to {r.upstream} as a plain request ({', '.join(problems)}): the backend answers it"
    if r.outcome == "redirect":
        return f"redirect {r.status} to {r.location}: WebSocket clients fail on it"
    if r.outcome == "local":
        return f"answered by the proxy itself with {r.status} ({r.reason.replace('server-', '')})"
    if r.outcome == "no-route":
        return f"no route: the server answers {r.status or 404}"
    return f"error {r.status}: {r.reason}"


def _where(step_source: Any) -> str:
    return f"  [{step_source}]" if step_source is not None else ""


def _same(a: EndpointResult, b: EndpointResult) -> bool:
    return (a.outcome, a.status, a.upstream, a.backend_path, a.upgrades) == (
        b.outcome,
        b.status,
        b.upstream,
        b.backend_path,
        b.upgrades,
    )


def format_trace_text(groups: list[list[EndpointResult]]) -> str:
    out: list[str] = []
    for results in groups:
        first = results[0]
        others = [r for r in results[1:] if not _same(first, r)]
        alike = [r.client for r in results[1:] if _same(first, r)]
        where = f" in {first.listener.label}" if first.endpoint.host is None and first.listener else ""
        head = f"{first.endpoint}{where}  (client {first.client}"
        head += f"; {', '.join(alike)} alike)" if alike else ")"
        out.append(head)
        for i, step in enumerate(first.steps, 1):
            out.append(f"  {i}. {step.text}{_where(step.source)}")
        hs = first.handshake
        if hs is not None:
            version = hs.http_version.value
            out.append(f"  upstream request: GET {first.backend_path} HTTP/{version} to {first.upstream}")
            for h in hs.headers:
                if h.origin == "client" or h.sent is False:
                    continue
                value = h.value if h.value is not None else f"(depends on {h.expression})"
                out.append(f"      {h.name}: {value}")
        for note in first.uncertain:
            out.append(f"  uncertain: {note}")
        for b in first.better_routes:
            winner = f"`{first.route.name}`" if first.route else "the route above"
            out.append(f"  note: `{b.name}` [{b.source}] would upgrade this path, but loses to {winner}")
        for e in first.elsewhere:
            out.append(f"  note: server {e.listener.label} has `{e.name}` [{e.source}], which would upgrade it")
        for m in first.misses if not (first.better_routes or first.elsewhere) else ():
            out.append(f"  note: `{m.route.name}` [{m.route.source}] upgrades, but {miss_text(m)}")
        out.append(f"  => {verdict(first)}")
        for r in others:
            out.append(f"  => client {r.client}: {verdict(r)}")
        out.append("")
    return "\n".join(out)


def result_dict(r: EndpointResult) -> dict[str, Any]:
    hs = r.handshake
    return {
        "endpoint": str(r.endpoint),
        "client": r.client,
        "outcome": r.outcome,
        "upgrades": r.upgrades,
        "status": r.status,
        "location": r.location,
        "server": r.listener.label if r.listener else None,
        "route": r.route.name if r.route else None,
        "upstream": r.upstream,
        "backend_path": r.backend_path,
        "expected_backend_path": r.endpoint.expected_backend_path,
        "http_version": hs.http_version.value if hs else None,
        "headers": {h.name: h.value for h in hs.headers if h.sent is not False} if hs else None,
        "steps": [
            {
                "text": s.text,
                "path": s.source.path if s.source else None,
                "line": s.source.line if s.source else None,
            }
            for s in r.steps
        ],
        "certain": r.certain,
        "uncertain": list(r.uncertain),
        "verdict": verdict(r),
    }


def format_trace_json(groups: list[list[EndpointResult]]) -> str:
    return json.dumps({"version": 1, "routes": [result_dict(r) for g in groups for r in g]}, indent=2) + "\n"
