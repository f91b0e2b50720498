"""What Caddy does with one request: the routes of its server, run the way Caddy runs them.

Routes are tried in order. A route runs when any of its matcher sets matches
and its group (handle blocks, rewrites) has not already run one; its
handlers run in order, each passing the request on (a rewrite changes it, a
subroute runs its own routes and then passes on) until one answers:
reverse_proxy, respond/redir, error, abort, file_server. After a terminal
route (a site) nothing else runs. A request nothing answers gets Caddy's
empty 200.

try_files needs to know which files exist: a path that comes from the
request (`{path}`, `{path}/`) is assumed not to be a file, because a
WebSocket endpoint is not one; a fixed fallback such as `/index.html` is
assumed to exist, since the configuration names it for that purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wslint.caddy.config import (
    FileMatcher,
    FileServer,
    Handler,
    HeaderOps,
    Headers,
    HostMatcher,
    Passthrough,
    ReverseProxy,
    Rewrite,
    Route,
    Server,
    Site,
    StaticError,
    StaticResponse,
    Subroute,
    Vars,
    canonical_header,
)
from wslint.caddy.matchers import MatcherError, match_any
from wslint.caddy.request import Request, Unknown, go_regex, go_replacement
from wslint.model import PathCause, Source, TraceStep

# the directive a rewrite comes from, as a path cause
PATH_CAUSES: dict[str, PathCause] = {
    "rewrite": "rewrite",
    "uri": "uri",
    "try_files": "try-files",
    "handle_path": "handle-path",
    "php_fastcgi": "php-fastcgi",
    "reverse_proxy": "proxy-rewrite",
}


@dataclass
class Outcome:
    kind: str  # proxy, respond, error, abort, file, empty
    status: int | None = None
    location: str | None = None
    handler: Handler | None = None
    # the routes that led to the answering handler, outermost first
    chain: list[Route] = field(default_factory=list)
    request: Request | None = None
    steps: list[TraceStep] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    path_cause: Source | None = None
    path_cause_kind: PathCause | None = None
    path_cause_text: str | None = None
    site: Site | None = None
    # rewrites that changed the path, in order: (source, what, from path, to path)
    rewrites: list[tuple[Source | None, str, str, str]] = field(default_factory=list)
    # the path when the site's routes started, before any rewrite
    original_path: str = ""
    # site-level `handle_errors` may change the status of an error
    error_routes: bool = False

    @property
    def source(self) -> Source | None:
        return self.handler.source if self.handler is not None else None


@dataclass
class _Frame:
    kind: str  # "routes" or "handlers"
    items: list[Route] | list[Handler]
    i: int = 0
    route: Route | None = None
    depth: int = 0


def _exact_hosts(route: Route) -> frozenset[str] | None:
    """The only host names a route can match: each of its matcher sets tests the host against exact names
    (and maybe more: a request of another host fails the set whatever the rest says); None otherwise."""
    hosts: set[str] = set()
    if not route.match:
        return None
    for ms in route.match:
        host = next((m for m in ms.matchers if isinstance(m, HostMatcher)), None)
        if host is None:
            return None
        for h in host.hosts:
            if "*" in h or "{" in h:
                return None
            hosts.add(h.lower())
    return frozenset(hosts)


def _edits_headers(route: Route) -> bool:
    """Whether a route, or any route under it, has a handler that changes request headers."""
    todo = [route]
    while todo:
        r = todo.pop()
        for h in r.handlers:
            if isinstance(h, Headers):
                return True
            if isinstance(h, Subroute):
                todo.extend(h.routes)
    return False


def describe_set(route: Route) -> str:
    labels = [m.label for m in route.match if m.label]
    return " or ".join(labels) if labels else "every request"


class Router:
    """Runs requests through one server's routes."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.index = {id(r): i for i, r in enumerate(server.routes)}
        # the exact host names of site routes that test nothing else: a request skips the sites
        # that are not its own without running their matchers (one by one, a server of many sites
        # made every request, and so the whole lint, quadratic)
        self.host_gates: dict[int, frozenset[str]] = {}
        self._by_host: dict[str, list[int]] = {}
        self._ungated: list[int] = []
        for i, r in enumerate(server.routes):
            hosts = _exact_hosts(r)
            if hosts is None:
                self._ungated.append(i)
                continue
            self.host_gates[id(r)] = hosts
            for h in hosts:
                self._by_host.setdefault(h, []).append(i)
        # the index holds while no other top-level route can change the Host header
        self._host_stable = not any(_edits_headers(server.routes[i]) for i in self._ungated)
        # no request header changes before reverse_proxy anywhere on the server (no request_header, headers)
        self.edits_headers = any(_edits_headers(r) for r in server.routes)

    def _top_routes(self, req: Request) -> list[Route]:
        """The top-level routes a request can match, in order: its own sites' and the ungated ones."""
        if not self.host_gates or not self._host_stable:
            return self.server.routes
        picked = sorted([*self._ungated, *self._by_host.get(req.hostname.lower(), ())])
        return [self.server.routes[i] for i in picked]

    def files(self, notes: list[str]) -> object:
        def check(m: FileMatcher, req: Request) -> bool | None:
            for item in m.try_files:
                if item.startswith("=") and item[1:].isdigit():
                    raise MatcherError(int(item[1:]), m.source)
                if "{" in item:
                    # a name made from the request: a WebSocket path is no file
                    continue
                try:
                    rel = req.replace_all(item)
                except Unknown:
                    return None
                notes.append(f"try_files assumes {rel} exists")
                req.values["http.matchers.file.relative"] = rel if rel.startswith("/") else "/" + rel
                req.values["http.matchers.file.type"] = "file"
                return True
            return False

        return check

    def run(self, req: Request) -> Outcome:
        out = Outcome("empty", 200, request=req, original_path=req.path)
        notes: list[str] = []
        files = self.files(notes)
        stack: list[_Frame] = [_Frame("routes", self._top_routes(req), depth=0)]
        chain: list[Route] = []
        while stack:
            f = stack[-1]
            if f.i >= len(f.items):
                stack.pop()
                if f.kind == "handlers" and f.route is not None and chain and chain[-1] is f.route:
                    chain.pop()
                continue
            item = f.items[f.i]
            f.i += 1
            if f.kind == "routes":
                assert isinstance(item, Route)
                route = item
                gate = self.host_gates.get(id(route)) if f.depth == 0 else None
                if gate is not None and req.hostname.lower() not in gate:
                    continue
                try:
                    verdict = match_any(route.match, req, files)  # type: ignore[arg-type]
                except MatcherError as exc:
                    out.kind, out.status = "error", exc.status
                    out.steps.append(TraceStep(f"try_files answers {exc.status}", route.source))
                    return self._done(out, req, [*chain, route])
                if verdict is None:
                    out.uncertain.append(
                        f"whether `{describe_set(route)}` matches depends on something only the live request has"
                    )
                    verdict = False
                if f.depth == 0 and verdict and route.terminal:
                    out.site = self.server.site_of.get(self.index.get(id(route), -1))
                if not verdict:
                    continue
                if route.group:
                    if route.group in req.groups:
                        continue
                    req.groups.add(route.group)
                if route.match and not (f.depth == 0 and route.terminal) and route.keyword:
                    out.steps.append(TraceStep(f"{route.keyword} {describe_set(route)} matches", route.source))
                if route.terminal:
                    stack.clear()
                    chain = [route]
                else:
                    chain.append(route)
                stack.append(_Frame("handlers", route.handlers, route=route, depth=f.depth))
                continue
            assert isinstance(item, Handler)
            h = item
            if isinstance(h, Subroute):
                stack.append(_Frame("routes", h.routes, depth=f.depth + 1))
                continue
            if isinstance(h, Rewrite):
                before = req.path
                before_q = req.query
                try:
                    req.rewrite(h)
                except Unknown as exc:
                    out.uncertain.append(f"the rewrite depends on {exc}")
                if req.path != before:
                    out.rewrites.append((h.source, h.origin, before, req.path))
                    out.path_cause, out.path_cause_kind = h.source, PATH_CAUSES.get(h.origin, "rewrite")
                    out.path_cause_text = h.origin
                    out.steps.append(TraceStep(f"{_rewrite_text(h)} changes the path {before} to {req.path}", h.source))
                elif req.query != before_q:
                    out.steps.append(TraceStep(f"{_rewrite_text(h)} changes the query", h.source))
                continue
            if isinstance(h, Vars):
                req.vars.update(h.values)
                continue
            if isinstance(h, Headers):
                if h.request is not None:
                    apply_ops(h.request, req)
                    out.steps.append(TraceStep("request_header changes the request's headers", h.source))
                continue
            if isinstance(h, Passthrough):
                if h.unjudged:
                    out.uncertain.append(h.unjudged)
                if h.unknown:
                    out.uncertain.append(
                        f"whether the {h.name} handler (not Caddy's own) answers the request is unknown"
                    )
                continue
            route_chain = list(chain)
            if isinstance(h, ReverseProxy):
                out.kind = "proxy"
                out.handler = h
                return self._done(out, req, route_chain)
            if isinstance(h, StaticResponse):
                out.handler = h
                if h.abort:
                    out.kind, out.status = "abort", None
                    return self._done(out, req, route_chain)
                status = 200
                if h.status:
                    try:
                        text = req.replace_all(h.status)
                        status = int(text)
                    except (Unknown, ValueError):
                        out.uncertain.append("the response status is a placeholder")
                out.kind, out.status = "respond", status
                loc = h.headers.get("Location")
                if loc:
                    try:
                        out.location = req.replace_all(loc[0])
                    except Unknown:
                        out.location = loc[0]
                return self._done(out, req, route_chain)
            if isinstance(h, StaticError):
                out.handler = h
                status = 500
                if h.status:
                    try:
                        status = int(req.replace_all(h.status))
                    except (Unknown, ValueError):
                        out.uncertain.append("the error status is a placeholder")
                out.kind, out.status = "error", status
                return self._done(out, req, route_chain)
            if isinstance(h, FileServer):
                out.handler = h
                served = req.values.get("http.matchers.file.relative")
                if served is not None and served == req.path:
                    out.kind, out.status = "file", 200
                else:
                    out.kind, out.status = "file", 404
                    if req.path == "/" or req.path.rsplit("/", 1)[-1] in ("index.html", "index.txt"):
                        # the site's root directory (its index file) or an index file: what exists decides
                        out.uncertain.append(f"whether file_server finds {req.path} depends on the files")
                return self._done(out, req, route_chain)
            continue
        out.kind, out.status = "empty", 200
        return self._done(out, req, chain)

    def _done(self, out: Outcome, req: Request, chain: list[Route]) -> Outcome:
        out.chain = chain
        out.request = req
        out.uncertain = list(dict.fromkeys(out.uncertain))
        if out.site is None and chain:
            out.site = self.server.site_of.get(self.index.get(id(chain[0]), -1))
        return out


def _rewrite_text(h: Rewrite) -> str:
    return {
        "handle_path": "handle_path",
        "try_files": "try_files",
        "uri": "uri",
        "rewrite": "rewrite",
        "php_fastcgi": "php_fastcgi",
    }.get(h.origin, h.origin)


def apply_ops(ops: HeaderOps, req: Request) -> None:
    """Caddy's HeaderOps.ApplyToRequest: add, set, delete, replace; Host edits change the Host."""
    headers = req.headers
    headers.setdefault("Host", []).append(req.host)
    for name, value, src in ops.add:
        key = canonical_header(req.replace_lenient(name))
        headers.setdefault(key, []).append(req.replace_lenient(value))
        req.touched[key] = src
    for name, value, src in ops.set:
        key = canonical_header(req.replace_lenient(name))
        headers[key] = [req.replace_lenient(value)]
        req.touched[key] = src
    for name, src in ops.delete:
        pattern = req.replace_lenient(name).lower()
        for key in list(headers):
            low = key.lower()
            if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 1:
                hit = pattern[1:-1] in low
            elif pattern.startswith("*"):
                hit = low.endswith(pattern[1:])
            elif pattern.endswith("*"):
                hit = low.startswith(pattern[:-1])
            else:
                hit = low == pattern
            if hit:
                del headers[key]
                req.touched[key] = src
    for name, find, to, src in ops.replace:
        key = canonical_header(req.replace_lenient(name))
        rx = go_regex(find)
        for k in list(headers):
            if key != "*" and canonical_header(k) != key:
                continue
            headers[k] = [
                rx.sub(go_replacement(req.replace_lenient(to)), v) if rx is not None else v for v in headers[k]
            ]
            req.touched[k] = src
    hosts = headers.pop("Host", [])
    req.host = hosts[-1] if hosts else ""
