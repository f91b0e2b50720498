"""What nginx does with one WebSocket handshake: server, rewrites, location, content.

The order is nginx's: the listening port and the Host header pick a server
(exact name, longest leading wildcard, longest trailing wildcard, first
regex, then the port's default server); the server's rewrite-module
directives run before any location is chosen (a server-level `return` answers
every request); the location is selected (see locations.py); its rewrite
directives run (`last` searches again, at most 10 times); then the content
handler: `try_files` (files a WebSocket path names are assumed not to exist),
a `*_pass`, or static files. For a proxied request the path the upstream
receives follows ngx_http_proxy_module's rules. Each decision is recorded as a
step with the line that made it. Anything wslint cannot know (a condition on
the client address, a regex Python cannot compile) marks the result uncertain,
and rules do not judge uncertain results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from wslint.clients import Client
from wslint.endpoints import Endpoint
from wslint.model import EndpointOutcome, EndpointResult, Listener, Route, Source, TraceStep, UpstreamRequest
from wslint.nginx.evaluate import Evaluator, SimRequest, compile_regex
from wslint.nginx.locations import PASS_DIRECTIVES, BadRequest, location_info, normalize_uri, select
from wslint.nginx.tree import Directive
from wslint.nginx.upstreams import is_address, split_pass

if TYPE_CHECKING:
    from wslint.nginx.build import ConfigBuilder

MAX_CYCLES = 10
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
FILE_TESTS = {"-f": False, "-d": False, "-e": False, "-x": False}


@dataclass
class _State:
    uri: str
    args: str
    target: str
    unparsed_valid: bool = True
    location_valid: bool = True
    uri_changed: bool = False
    path_cause: Source | None = None
    uncertain: list[str] = field(default_factory=list)
    steps: list[TraceStep] = field(default_factory=list)
    matched_ifs: list[Directive] = field(default_factory=list)
    # the try_files line whose fallback URI is being served (that file exists)
    fallback_from: Source | None = None
    path_cause_kind: str | None = None
    server_cause: Source | None = None

    def step(self, text: str, source: Source | None = None) -> None:
        self.steps.append(TraceStep(text, source))


@dataclass(frozen=True)
class _Respond:
    status: int
    location: str | None
    cause: Source
    reason: str
    text: str | None = None


Flow = _Respond | Literal["last", "break"] | None


@dataclass(frozen=True)
class ServerChoice:
    server: Directive
    listener: Listener
    reason: str
    source: Source | None


def wildcard_matches(mask: str, host: str) -> bool:
    mask = mask.lower()
    if mask.startswith("."):
        return host == mask[1:] or host.endswith(mask)
    if mask.startswith("*."):
        return host.endswith(mask[1:]) and len(host) > len(mask) - 1
    if mask.endswith(".*"):
        return host.startswith(mask[:-1]) and len(host) > len(mask) - 1
    return False


class NginxRouter:
    def __init__(self, builder: ConfigBuilder, servers: list[tuple[Directive, Listener]]) -> None:
        self.b = builder
        self.servers = servers

    # -- server selection ------------------------------------------------------

    def candidates(self, endpoint: Endpoint) -> tuple[list[tuple[Directive, Listener]], str | None]:
        port = endpoint.effective_port
        if port is None:
            return self.servers, None
        on_port = [(s, li) for s, li in self.servers if any(a.port == port for a in li.addresses)]
        if on_port:
            return on_port, None
        return self.servers, (
            f"no server listens on port {port}; every server is considered, as for a proxy "
            "behind a load balancer or a port mapping"
        )

    def select_server(
        self, cands: list[tuple[Directive, Listener]], host: str, port: int | None
    ) -> ServerChoice:
        h = host.lower().rstrip(".")
        for s, li in cands:
            for n in li.server_names:
                if n.kind == "exact" and n.name.lower() == h:
                    return ServerChoice(s, li, f"server_name {n.name} is the exact Host", n.source)
                if n.name.startswith(".") and n.name[1:].lower() == h:
                    return ServerChoice(s, li, f"server_name {n.name} covers {h} exactly", n.source)
        for kind, word in (("wildcard_start", "leading"), ("wildcard_end", "trailing")):
            best: tuple[int, Directive, Listener, str, Source] | None = None
            for s, li in cands:
                for n in li.server_names:
                    if (
                        n.kind == kind
                        and wildcard_matches(n.name, h)
                        and (best is None or len(n.name) > best[0])
                    ):
                        best = (len(n.name), s, li, n.name, n.source)
            if best is not None:
                return ServerChoice(
                    best[1],
                    best[2],
                    f"server_name {best[3]} is the longest {word} wildcard matching {h} "
                    "(wildcards are checked before regular expressions)",
                    best[4],
                )
        for s, li in cands:
            for n in li.server_names:
                if n.kind == "regex":
                    rx = compile_regex(n.name[1:], True)
                    if rx is not None and rx.search(h):
                        return ServerChoice(
                            s, li, f"server_name {n.name} is the first regex matching {h}", n.source
                        )
        for s, li in cands:
            for a in li.addresses:
                if a.default_server and (port is None or a.port == port):
                    return ServerChoice(
                        s, li, f"no server_name matches {h}: the port's default_server", a.source
                    )
        s, li = cands[0]
        return ServerChoice(
            s, li, f"no server_name matches {h}: the first server on the port is its default", li.source
        )

    # -- evaluation helpers ----------------------------------------------------

    def _evaluator(self, request: SimRequest, listener: Listener) -> Evaluator:
        name = next((n.name for n in listener.server_names), "")
        return Evaluator(self.b.maps, request, {}, None, name)

    @staticmethod
    def _captures(ev: Evaluator, m: re.Match[str]) -> None:
        for i in range(1, 10):
            ev.overrides[str(i)] = (m.group(i) or "") if i <= (m.re.groups or 0) else ""
        for k, v in m.groupdict().items():
            ev.overrides[k] = v or ""

    def _condition(self, d: Directive, ev: Evaluator, st: _State) -> bool | None:
        args = d.args
        if len(args) == 1:
            v = ev.value(args[0])
            return None if v is None else v not in ("", "0")
        if len(args) == 2 and args[0].lstrip("!") in FILE_TESTS:
            result = not args[0].startswith("!")
            st.step(f"assuming {args[1]} names no file or directory on disk", d.source)
            return not result
        if len(args) == 3:
            left, op, right = args
            lv = ev.value(left)
            if lv is None:
                return None
            if op in ("=", "!="):
                rv = ev.value(right)
                return None if rv is None else (lv == rv) == (op == "=")
            if op in ("~", "~*", "!~", "!~*"):
                rx = compile_regex(right, "*" in op)
                if rx is None:
                    return None
                m = rx.search(lv)
                if m is not None and not op.startswith("!"):
                    self._captures(ev, m)
                return (m is not None) != op.startswith("!")
        return None

    # -- rewrite module --------------------------------------------------------

    def _return(self, d: Directive, ev: Evaluator, st: _State, scheme: str, host: str) -> _Respond | None:
        first = d.args[0] if d.args else ""
        if first.isdigit():
            code = int(first)
            text = ev.value(d.args[1]) if len(d.args) > 1 else None
            if code in REDIRECT_CODES:
                return _Respond(code, text, d.source, "return-redirect", d.text())
            return _Respond(code, None, d.source, "return", d.text())
        target = ev.value(first)
        return _Respond(302, target, d.source, "return-redirect", d.text())

    def _rewrite(
        self, d: Directive, ev: Evaluator, st: _State, scheme: str, host: str
    ) -> Flow | Literal["skip"]:
        if len(d.args) < 2:
            return "skip"
        rx = compile_regex(d.args[0], False)
        if rx is None:
            st.uncertain.append(f"the regex of the rewrite at {d.source} cannot be evaluated")
            return "skip"
        m = rx.search(st.uri)
        if m is None:
            st.step(f"rewrite {d.args[0]} does not match {st.uri}", d.source)
            return "skip"
        self._captures(ev, m)
        replacement = d.args[1]
        value = ev.value(replacement)
        if value is None:
            st.uncertain.append(f"the replacement of the rewrite at {d.source} depends on unknown values")
            return "skip"
        flag = d.args[2] if len(d.args) > 2 else ""
        if flag in ("redirect", "permanent") or replacement.startswith(("http://", "https://", "$scheme")):
            code = 301 if flag == "permanent" else 302
            if not value.startswith(("http://", "https://")):
                value = f"{scheme}://{host}{value}"
            if st.args and "?" not in value:
                value += f"?{st.args}"
            st.step(f"rewrite {d.args[0]} -> {value} answers {code}", d.source)
            return _Respond(code, value, d.source, "rewrite-redirect", d.text())
        new_uri, has_q, new_args = value.partition("?")
        if has_q:
            st.args = new_args.rstrip("?") + (f"&{st.args}" if st.args and not value.endswith("?") else "")
        st.uri = new_uri
        st.unparsed_valid = False
        st.path_cause, st.path_cause_kind = d.source, "rewrite"
        st.step(
            f"rewrite {d.args[0]} changes the URI to {new_uri}" + (f" ({flag})" if flag else ""), d.source
        )
        if flag == "last":
            return "last"
        if flag == "break":
            st.location_valid = False
            return "break"
        st.uri_changed = True
        return None

    def _rewrite_phase(self, block: Directive, ev: Evaluator, st: _State, scheme: str, host: str) -> Flow:
        for d in block.children or ():
            if d.name == "set" and len(d.args) >= 2 and d.args[0].startswith("$"):
                ev.overrides[d.args[0][1:]] = ev.value(d.args[1])
            elif d.name == "return":
                r = self._return(d, ev, st, scheme, host)
                if r is not None:
                    st.step(f"return {' '.join(d.args)}", d.source)
                    return r
            elif d.name == "rewrite":
                flow = self._rewrite(d, ev, st, scheme, host)
                if flow != "skip" and flow is not None:
                    return flow
            elif d.name == "break":
                return "break"
            elif d.name == "if":
                cond = self._condition(d, ev, st)
                if cond is None:
                    st.uncertain.append(f"whether `if ({' '.join(d.args)})` at {d.source} is true")
                    continue
                st.step(f"if ({' '.join(d.args)}) is {'true' if cond else 'false'}", d.source)
                if cond:
                    st.matched_ifs.append(d)
                    inner = self._rewrite_phase(d, ev, st, scheme, host)
                    if inner is not None:
                        return inner
        return None

    # -- the request -----------------------------------------------------------

    def run(
        self,
        endpoint: Endpoint,
        client: Client,
        forced: ServerChoice | None = None,
    ) -> EndpointResult:
        steps_prefix: list[TraceStep] = []
        if forced is not None:
            choice = forced
        else:
            cands, note = self.candidates(endpoint)
            if not cands:
                return self._result(
                    endpoint,
                    client,
                    None,
                    None,
                    "no-route",
                    None,
                    None,
                    [TraceStep("the configuration has no server blocks", None)],
                    None,
                    "no-server",
                )
            if note:
                steps_prefix.append(TraceStep(note, None))
            if endpoint.host is None:
                choice = ServerChoice(
                    cands[0][0], cands[0][1], "a bare path is checked in every server", None
                )
            else:
                choice = self.select_server(cands, endpoint.host, endpoint.effective_port)
        server, listener = choice.server, choice.listener
        scheme = endpoint.http_scheme
        port = endpoint.effective_port or (listener.addresses[0].port if listener.addresses else 80)
        host_header = endpoint.host_header or next(
            (n.name for n in listener.server_names if n.kind == "exact" and n.name), "localhost"
        )
        try:
            uri = normalize_uri(endpoint.path)
        except BadRequest:
            st = _State(endpoint.path, endpoint.query, endpoint.target)
            st.steps = [
                *steps_prefix,
                TraceStep(f"{endpoint.path} climbs above the root: nginx answers 400", None),
            ]
            return self._finish(
                endpoint, client, listener, None, st, _Respond(400, None, server.source, "bad-request")
            )
        request = SimRequest(
            client=client.name,
            scheme=scheme,
            host_header=host_header,
            path=uri,
            query=endpoint.query,
            headers=client.handshake_headers(host_header, f"{scheme}://{host_header}"),
            server_port=port,
        )
        ev = self._evaluator(request, listener)
        st = _State(uri, endpoint.query, endpoint.target)
        st.steps.extend(steps_prefix)
        st.step(f"server {listener.label}: {choice.reason}", choice.source or listener.source)
        st.server_cause = choice.source or listener.source
        if choice.source is not None:
            for n in listener.server_names:
                if n.kind == "regex" and choice.source == n.source:
                    rx = compile_regex(n.name[1:], True)
                    m = rx.search(endpoint.host or "") if rx is not None else None
                    if m is not None:
                        self._captures(ev, m)
        flow = self._rewrite_phase(server, ev, st, scheme, host_header)
        if isinstance(flow, _Respond):
            st.step("the server's rewrite directives run before any location is chosen", flow.cause)
            return self._finish(endpoint, client, listener, None, st, flow, server_level=True)
        for _ in range(MAX_CYCLES + 1):
            st.matched_ifs = []
            sel = select(server, st.uri)
            for line in sel.trail:
                st.step(line, None)
            if sel.outcome == "redirect" and sel.location is not None:
                loc = sel.location
                target = f"{scheme}://{host_header}{st.uri}/" + (f"?{st.args}" if st.args else "")
                st.step(f"location {loc.name} answers 301 to {st.uri}/", loc.directive.source)
                route = self.b.route_for(loc.directive)
                return self._finish(
                    endpoint,
                    client,
                    listener,
                    route,
                    st,
                    _Respond(301, target, loc.directive.source, "auto-redirect"),
                )
            if sel.location is None:
                st.step(
                    f"no location matches {st.uri}: the server's own settings answer (static files)",
                    server.source,
                )
                return self._finish(
                    endpoint, client, listener, None, st, _Respond(404, None, server.source, "no-location")
                )
            loc = sel.location
            route = self.b.route_for(loc.directive)
            st.step(f"location {loc.modifier + ' ' if loc.modifier else ''}{loc.name}", loc.directive.source)
            if loc.is_regex and loc.regex is not None:
                m = loc.regex.search(st.uri)
                if m is not None:
                    self._captures(ev, m)
            st.uri_changed = False
            flow = self._rewrite_phase(loc.directive, ev, st, scheme, host_header)
            if isinstance(flow, _Respond):
                return self._finish(endpoint, client, listener, route, st, flow)
            if flow == "last" or (flow is None and st.uri_changed):
                st.unparsed_valid = False
                continue
            outcome = self._content(loc.directive, route, ev, st, request, server)
            if outcome == "restart":
                continue
            return self._finish(endpoint, client, listener, route, st, outcome)
        st.step("more than 10 internal redirects: nginx answers 500", server.source)
        return self._finish(endpoint, client, listener, None, st, _Respond(500, None, server.source, "cycle"))

    def _content(
        self,
        loc: Directive,
        route: Route | None,
        ev: Evaluator,
        st: _State,
        request: SimRequest,
        server: Directive,
    ) -> _Respond | UpstreamRequest | Literal["restart"]:
        handler = next((i for i in reversed(st.matched_ifs) if any(i.first(p) for p in PASS_DIRECTIVES)), loc)
        try_files = loc.first("try_files")
        if try_files is not None and st.fallback_from is not None:
            st.step(f"{st.uri} is the fallback file of try_files: served from disk", try_files.source)
            return _Respond(200, None, st.fallback_from, "try-files")
        if try_files is not None and len(try_files.args) >= 2:
            last = try_files.args[-1]
            st.step(
                f"try_files: assuming no file is named {st.uri}, nginx falls back to {last}", try_files.source
            )
            if last.startswith("="):
                code = int(last[1:]) if last[1:].isdigit() else 404
                return _Respond(code, None, try_files.source, "try-files")
            if last.startswith("@"):
                named = next((d for d in server.iter("location") if d.args and d.args[0] == last), None)
                if named is None:
                    return _Respond(500, None, try_files.source, "try-files")
                st.step(f"named location {last}", named.source)
                return self._content(named, self.b.route_for(named), ev, st, request, server)
            value = ev.value(last)
            if value is None:
                st.uncertain.append(f"the try_files fallback at {try_files.source} depends on unknown values")
                return _Respond(200, None, try_files.source, "try-files")
            new_uri, _, new_args = value.partition("?")
            st.uri, st.args = new_uri, new_args or st.args
            st.unparsed_valid = False
            st.path_cause, st.path_cause_kind = try_files.source, "try_files"
            st.fallback_from = try_files.source
            st.step(f"internal redirect to {new_uri}", try_files.source)
            return "restart"
        pass_d = next((handler.first(p) for p in PASS_DIRECTIVES if handler.first(p) is not None), None)
        if pass_d is None:
            st.step(
                "no proxy_pass here: nginx serves static files (none is named like the WebSocket path)",
                loc.source,
            )
            return _Respond(404, None, loc.source, "static")
        return self._proxy(pass_d, loc, route, ev, st, request)

    def _proxy(
        self,
        pass_d: Directive,
        loc: Directive,
        route: Route | None,
        ev: Evaluator,
        st: _State,
        request: SimRequest,
    ) -> _Respond | UpstreamRequest:
        _, host_expr, uri_part = split_pass(pass_d)
        host = ev.value(host_expr)
        if host is None:
            st.uncertain.append(f"the upstream of {pass_d.source} depends on unknown values")
        elif "$" in host_expr and host not in self.b.upstreams and not is_address(host):
            resolver = self.b.nearest_in(loc, "resolver")
            if resolver is None:
                st.step(
                    f"{pass_d.name} names {host} through a variable: no upstream block has that name and "
                    "no resolver is configured, so nginx answers 502",
                    pass_d.source,
                )
                return _Respond(502, None, pass_d.source, "unresolvable")
        info = location_info(loc)
        has_vars = "$" in (pass_d.args[0] if pass_d.args else "")
        path: str
        if pass_d.name != "proxy_pass":
            path = st.uri
        elif has_vars and uri_part is not None:
            value = ev.value(uri_part)
            path = value if value is not None else uri_part
            st.step(
                f"{pass_d.name} has variables and a URI: the upstream gets exactly {path} (no query)",
                pass_d.source,
            )
            st.path_cause, st.path_cause_kind = pass_d.source, "proxy_pass"
        elif uri_part is None and st.unparsed_valid:
            path = st.target
        elif uri_part is None:
            path = st.uri + (f"?{st.args}" if st.args else "")
        elif not st.location_valid:
            path = st.uri + (f"?{st.args}" if st.args else "")
            st.step(
                "the URI was changed with `rewrite ... break`, so the URI in proxy_pass is ignored",
                pass_d.source,
            )
        elif info.is_regex or info.named:
            path = st.uri + (f"?{st.args}" if st.args else "")
        else:
            path = uri_part + st.uri[len(info.name) :] + (f"?{st.args}" if st.args else "")
            if uri_part != info.name:
                st.step(f"proxy_pass with URI {uri_part}: the matched {info.name} is replaced", pass_d.source)
                st.path_cause, st.path_cause_kind = pass_d.source, "proxy_pass"
        st.step(f"{pass_d.name} to {host if host is not None else host_expr} with path {path}", pass_d.source)
        if route is None or pass_d.name != "proxy_pass":
            return UpstreamRequest(request.client, self.b.default_http_version(), host, path, ())
        chain = self.b.chain_of(loc)
        hs, _ = self.b.handshake_with(request, chain, host_expr, ev)
        return UpstreamRequest(hs.client, hs.http_version, host, path, hs.headers)

    def _finish(
        self,
        endpoint: Endpoint,
        client: Client,
        listener: Listener | None,
        route: Route | None,
        st: _State,
        outcome: _Respond | UpstreamRequest,
        server_level: bool = False,
    ) -> EndpointResult:
        if isinstance(outcome, UpstreamRequest):
            return EndpointResult(
                endpoint=endpoint,
                client=client.name,
                listener=listener,
                route=route,
                outcome="proxied",
                status=None,
                location=None,
                upstream=outcome.upstream,
                backend_path=outcome.path,
                handshake=outcome if outcome.headers else None,
                steps=tuple(st.steps),
                cause=route.source if route else None,
                reason="proxied",
                certain=not st.uncertain,
                uncertain=tuple(st.uncertain),
                path_cause=st.path_cause,
                path_cause_kind=st.path_cause_kind,
                server_cause=st.server_cause,
            )
        kind: EndpointOutcome = "redirect" if outcome.status in REDIRECT_CODES else "local"
        if outcome.reason in ("no-location",):
            kind = "no-route"
        if outcome.reason in ("unresolvable", "cycle", "bad-request"):
            kind = "error"
        return EndpointResult(
            endpoint=endpoint,
            client=client.name,
            listener=listener,
            route=route,
            outcome=kind,
            status=outcome.status,
            location=outcome.location,
            upstream=None,
            backend_path=None,
            handshake=None,
            steps=tuple(st.steps),
            cause=outcome.cause,
            reason=("server-" if server_level else "") + outcome.reason,
            certain=not st.uncertain,
            uncertain=tuple(st.uncertain),
            path_cause=st.path_cause,
            path_cause_kind=st.path_cause_kind,
            server_cause=st.server_cause,
            cause_text=outcome.text,
        )

    def _result(
        self,
        endpoint: Endpoint,
        client: Client,
        listener: Listener | None,
        route: Route | None,
        outcome: EndpointOutcome,
        status: int | None,
        location: str | None,
        steps: list[TraceStep],
        cause: Source | None,
        reason: str,
    ) -> EndpointResult:
        return EndpointResult(
            endpoint,
            client.name,
            listener,
            route,
            outcome,
            status,
            location,
            None,
            None,
            None,
            tuple(steps),
            cause,
            reason,
            True,
            (),
            None,
        )
