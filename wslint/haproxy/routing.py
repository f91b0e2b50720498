"""What HAProxy does with one WebSocket handshake, decision by decision.

The order is HAProxy's (http_process_req_common, measured on 2.6): in the
frontend, the `http-request` rules (a named defaults section's first), then
the legacy `redirect` statements, then the `use_backend` rules in the order
written (the first whose condition holds wins; a dynamic name that is no
backend falls back to `default_backend`), else `default_backend`, else the
listen section's own servers, else 503. In the backend, its own `http-request`
rules and `redirect` statements run. A path rewrite in the frontend is what
`use_backend` conditions see. The request then goes to a server with the
headers the rules left (Connection cleaned by the H1 multiplexer), and once
upgraded the tunnel is closed after `timeout tunnel` (the backend's) of
silence or, without one, the client or server timeout.

A condition wslint cannot evaluate makes the result uncertain; rules never
judge uncertain results.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from wslint.haproxy.acl import AclTest, Condition, Evaluator, TestResult
from wslint.haproxy.early import reads_request, switches_mode, waits_for_request
from wslint.haproxy.parser import Section
from wslint.haproxy.proxies import HttpRule, Proxy, Timeout, UseBackend, parse_time
from wslint.haproxy.request import HTX_SINCE, HttpRequest, clean_connection, outgoing_connection
from wslint.haproxy.samples import MapFile, SampleContext, compile_regex, match_one
from wslint.model import PathCause, Reason, Source, TraceStep

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
FINAL_ACTIONS = frozenset({"redirect", "return", "deny", "tarpit", "auth", "reject", "silent-drop", "use-service"})
# actions that neither answer nor change what the simulation follows
NEUTRAL_ACTIONS = frozenset(
    {
        "capture",
        "set-log-level",
        "set-mark",
        "set-tos",
        "set-nice",
        "set-priority-class",
        "set-priority-offset",
        "cache-use",
        "early-hint",
        "strict-mode",
        "disable-l7-retry",
        "send-spoe-group",
        "wait-for-handshake",
        "wait-for-body",
        "set-dst",
        "set-dst-port",
        "set-src",
        "set-src-port",
        "do-resolve",
        "set-bandwidth-limit",
        "add-acl",
        "del-acl",
        "set-map",
        "del-map",
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "sc-set-gpt0",
        "track-sc0",
        "track-sc1",
        "track-sc2",
    }
)
PATH_CAUSES: dict[str, PathCause] = {
    "set-path": "set-path",
    "set-pathq": "set-pathq",
    "set-uri": "set-uri",
    "set-query": "set-query",
    "replace-path": "replace-path",
    "replace-pathq": "replace-pathq",
    "replace-uri": "replace-uri",
}
PATH_ACTIONS = tuple(PATH_CAUSES)

SwitchKind = Literal["use_backend", "default_backend", "listen"]


@dataclass(frozen=True)
class Answer:
    """HAProxy answers the handshake itself (or closes the connection: status None)."""

    status: int | None
    reason: Reason
    cause: Source
    text: str
    location: str | None = None
    rule: HttpRule | None = None


@dataclass(frozen=True)
class Switch:
    """The backend a frontend chose and the line that chose it."""

    kind: SwitchKind
    backend: Proxy
    statement_source: Source
    rule: UseBackend | None = None


@dataclass
class Touched:
    """The last rule that set or removed a header."""

    rule: HttpRule


@dataclass
class Flow:
    request: HttpRequest
    steps: list[TraceStep] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    path_cause: Source | None = None
    path_cause_kind: PathCause | None = None
    path_rule: HttpRule | None = None
    touched: dict[str, Touched] = field(default_factory=dict)
    tunnel: Timeout | None = None
    server: Timeout | None = None
    # every ACL test evaluated, with its result, in order
    tests: list[TestResult] = field(default_factory=list)
    switch_tests: list[TestResult] = field(default_factory=list)
    # a mode tcp frontend chose the backend before the request arrived (the rule that reads it)
    early: UseBackend | None = None

    def step(self, text: str, source: Source | None = None) -> None:
        self.steps.append(TraceStep(text, source))


@dataclass
class Outcome:
    frontend: Proxy
    flow: Flow
    switch: Switch | None = None
    answer: Answer | None = None
    # the request as the server receives it
    sent: HttpRequest | None = None
    # the switching decision's condition could not be evaluated
    switch_uncertain: bool = False
    # the request as the use_backend rules saw it
    switch_request: HttpRequest | None = None

    @property
    def backend(self) -> Proxy | None:
        return self.switch.backend if self.switch is not None else None


MapResolver = Callable[[str, Section], MapFile | None]


class Router:
    def __init__(
        self,
        backends: dict[str, Proxy],
        maps: MapResolver,
        version: tuple[int, ...],
    ) -> None:
        self.backends = backends
        self.maps = maps
        self.version = version

    # -- helpers ---------------------------------------------------------------------

    def _context(self, flow: Flow, section: Section) -> SampleContext:
        return SampleContext(flow.request, lambda name: self.maps(name, section))

    def evaluator(self, proxy: Proxy, flow: Flow, section: Section) -> Evaluator:
        ctx = self._context(flow, section)

        def pattern_file(name: str) -> list[str] | None:
            mp = self.maps(name, section)
            return None if mp is None else [k for k, _ in mp.entries]

        return Evaluator(proxy.acls, ctx, pattern_file)

    def _holds(
        self, proxy: Proxy, cond: Condition | None, flow: Flow, section: Section, what: str, src: Source
    ) -> bool | None:
        ev = self.evaluator(proxy, flow, section)
        value = ev.condition(cond)
        flow.tests.extend(ev.results)
        if value is None:
            flow.uncertain.append(f"whether the condition of {what} at {src} holds")
        return value

    # -- http-request rules ----------------------------------------------------------

    def _rules(self, proxy: Proxy, flow: Flow, skip_final: bool) -> Answer | None:
        if not proxy.http_request and not proxy.redirects:
            return None
        for rule in [*proxy.http_request, *proxy.redirects]:
            what = f"`{rule.statement.text}`"
            holds = self._holds(proxy, rule.cond, flow, rule.section, what, rule.source)
            if not holds:
                if holds is False and rule.action in FINAL_ACTIONS | set(PATH_ACTIONS):
                    flow.step(f"{rule.statement.text}: the condition does not hold", rule.source)
                continue
            if rule.action in FINAL_ACTIONS and skip_final:
                continue
            result = self._apply(proxy, rule, flow)
            if result == "allow":
                flow.step(f"{rule.statement.text}: no further http-request rule of {proxy.label} runs", rule.source)
                if not rule.legacy:
                    # `allow` ends the http-request rules; the legacy redirects still run
                    for r in proxy.redirects:
                        holds = self._holds(proxy, r.cond, flow, r.section, f"`{r.statement.text}`", r.source)
                        if holds and not skip_final:
                            answer = self._apply(proxy, r, flow)
                            if isinstance(answer, Answer):
                                return answer
                return None
            if isinstance(result, Answer):
                return result
        return None

    def _apply(self, proxy: Proxy, rule: HttpRule, flow: Flow) -> Answer | Literal["allow"] | None:
        action, args, req = rule.action, rule.args, flow.request
        ctx = self._context(flow, rule.section)
        text = rule.statement.text
        if action in ("set-header", "add-header") and len(args) >= 2:
            value = ctx.log_format(args[1])
            if action == "set-header":
                req.remove(args[0])
            req.headers.append((args[0], value))
            flow.touched[args[0].lower()] = Touched(rule)
            flow.step(f"{text}", rule.source)
        elif action == "del-header" and args:
            self._del_header(req, args)
            flow.touched[args[0].lower()] = Touched(rule)
            flow.step(text, rule.source)
        elif action in ("replace-header", "replace-value") and len(args) >= 3:
            self._replace_header(rule, flow, ctx)
        elif action in PATH_ACTIONS:
            self._path_action(rule, flow, ctx)
        elif action == "redirect":
            return self._redirect(rule, flow, ctx)
        elif action == "return":
            status = _status_arg(args, ("status",), 200)
            flow.step(f"{text}: HAProxy answers {status} itself", rule.source)
            return Answer(status, "return", rule.source, text, rule=rule)
        elif action in ("deny", "tarpit"):
            status = _status_arg(args, ("status", "deny_status"), 403 if action == "deny" else 500)
            flow.step(f"{text}: HAProxy answers {status}", rule.source)
            return Answer(status, "deny", rule.source, text, rule=rule)
        elif action == "auth":
            flow.step(f"{text}: HAProxy asks for credentials (401)", rule.source)
            return Answer(401, "auth", rule.source, text, rule=rule)
        elif action in ("reject", "silent-drop"):
            flow.step(f"{text}: HAProxy closes the connection", rule.source)
            return Answer(None, "reject", rule.source, text, rule=rule)
        elif action == "use-service":
            flow.step(f"{text}: a built-in service answers", rule.source)
            return Answer(200, "return", rule.source, text, rule=rule)
        elif action == "allow":
            return "allow"
        elif action.startswith("set-var") and args:
            self._set_var(rule, flow, ctx)
        elif action.startswith("unset-var("):
            req.variables.pop(action[len("unset-var(") :].rstrip(")").split(",")[0], None)
        elif action == "set-method" and args:
            req.method = ctx.log_format(args[0]) or req.method
            if req.method.upper() != "GET":
                # a WebSocket server answers a handshake only as a GET (RFC 6455): whether this one does is its own
                flow.uncertain.append(
                    f"whether the server upgrades a {req.method} handshake (`{text}` at {rule.source})"
                )
        elif action == "set-timeout" and len(args) >= 2:
            self._set_timeout(rule, flow)
        elif action == "normalize-uri" and args:
            self._normalize(rule, flow)
        elif action not in NEUTRAL_ACTIONS and not action.startswith(("sc-", "track-sc", "set-map(", "del-map(")):
            flow.uncertain.append(f"wslint does not know what `{text}` at {rule.source} does to the request")
        return None

    @staticmethod
    def _del_header(req: HttpRequest, args: tuple[str, ...]) -> None:
        name = args[0]
        method = args[2] if len(args) >= 3 and args[1] == "-m" else "str"
        if method == "str":
            req.remove(name)
            return
        keep = []
        for n, v in req.headers:
            hit = match_one(method, n, name, True)
            if not hit:
                keep.append((n, v))
        req.headers = keep

    def _replace_header(self, rule: HttpRule, flow: Flow, ctx: SampleContext) -> None:
        name, regex, fmt = rule.args[0], rule.args[1], rule.args[2]
        rx = compile_regex(regex, False)
        replacement = ctx.log_format(fmt)
        out: list[tuple[str, str | None]] = []
        changed = False
        for n, v in flow.request.headers:
            if n.lower() != name.lower():
                out.append((n, v))
                continue
            if v is None or rx is None or replacement is None:
                out.append((n, None))
                changed = True
                continue
            parts = [v] if rule.action == "replace-header" else [p.strip() for p in v.split(",")]
            new_parts = []
            for part in parts:
                m = rx.search(part)
                new_parts.append(_expand(replacement, m) if m is not None else part)
            new = ",".join(new_parts)
            changed = changed or new != v
            out.append((n, new))
        flow.request.headers = out
        if changed:
            flow.touched[name.lower()] = Touched(rule)
            flow.step(rule.statement.text, rule.source)

    def _path_action(self, rule: HttpRule, flow: Flow, ctx: SampleContext) -> None:
        req, args, action = flow.request, rule.args, rule.action
        before = req.url
        if not args:
            return
        if action.startswith("replace-"):
            if len(args) < 2:
                return
            rx = compile_regex(args[0], False)
            subject = req.path if action == "replace-path" else req.url
            replacement = ctx.log_format(args[1])
            if subject is None or rx is None or replacement is None:
                self._unknown_path(rule, flow)
                return
            m = rx.search(subject)
            if m is None:
                flow.step(f"{rule.statement.text}: the regex does not match {subject}", rule.source)
                return
            value = _expand(replacement, m)
            kind = "set-path" if action == "replace-path" else "set-pathq"
        else:
            value_or_none = ctx.log_format(args[0])
            if value_or_none is None:
                self._unknown_path(rule, flow)
                return
            value, kind = value_or_none, action
        if kind == "set-path":
            if req.path is None:
                self._unknown_path(rule, flow)
                return
            req.path = value
        elif kind == "set-query":
            req.query = value
        else:
            # set-uri: an absolute URI keeps only its path and query
            if kind == "set-uri" and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
                value = "/" + value.split("://", 1)[1].partition("/")[2]
            path, sep, query = value.partition("?")
            req.path, req.query = path, (query if sep else None)
        if req.url != before:
            flow.path_cause, flow.path_cause_kind, flow.path_rule = rule.source, PATH_CAUSES[action], rule
            flow.step(f"{rule.statement.text}: the path becomes {req.url}", rule.source)

    @staticmethod
    def _unknown_path(rule: HttpRule, flow: Flow) -> None:
        flow.request.path, flow.request.query = None, None
        flow.path_cause, flow.path_cause_kind, flow.path_rule = (
            rule.source,
            PATH_CAUSES.get(rule.action, "set-path"),
            rule,
        )
        flow.uncertain.append(f"the path `{rule.statement.text}` at {rule.source} produces")

    def _normalize(self, rule: HttpRule, flow: Flow) -> None:
        req = flow.request
        normalizer = rule.args[0]
        if req.path is None:
            return
        if normalizer == "path-merge-slashes":
            new = re.sub("/+", "/", req.path)
        elif normalizer == "path-strip-dot":
            new = re.sub(r"(?<=/)\./|/\.$", "", req.path) or "/"
        else:
            if "%" in req.path or "." in req.path or (req.query or ""):
                flow.uncertain.append(f"what `{rule.statement.text}` at {rule.source} makes of the path")
            return
        if new != req.path:
            req.path = new
            flow.path_cause, flow.path_cause_kind, flow.path_rule = rule.source, "normalize-uri", rule
            flow.step(f"{rule.statement.text}: the path becomes {new}", rule.source)

    def _redirect(self, rule: HttpRule, flow: Flow, ctx: SampleContext) -> Answer | None:
        args, req = list(rule.args), flow.request
        if len(args) < 2 or args[0] not in ("location", "prefix", "scheme"):
            flow.uncertain.append(f"wslint cannot read the redirect `{rule.statement.text}` at {rule.source}")
            return None
        kind, raw = args[0], args[1]
        opts = args[2:]
        code = 302
        if "code" in opts and opts.index("code") + 1 < len(opts) and opts[opts.index("code") + 1].isdigit():
            code = int(opts[opts.index("code") + 1])
        value = raw if rule.legacy else ctx.log_format(raw)
        if value is None:
            flow.uncertain.append(f"the target of `{rule.statement.text}` at {rule.source}")
            value = raw
        if "ignore-empty" in opts and value == "":
            return None
        drop = "drop-query" in opts
        path = req.path if req.path is not None else "/"
        uri = path if drop or req.query is None else f"{path}?{req.query}"
        if kind == "location":
            location = value
        elif kind == "prefix":
            if drop and "append-slash" in opts and not path.endswith("/"):
                uri = path + "/"
            location = uri if value == "/" else value + uri
        else:
            host = req.first("host") or ""
            location = f"{value}://{host}{uri if path not in ('', '*') else '/'}"
        flow.step(f"{rule.statement.text}: HAProxy answers {code} to {location}", rule.source)
        return Answer(code, "redirect", rule.source, rule.statement.text, location, rule)

    def _set_var(self, rule: HttpRule, flow: Flow, ctx: SampleContext) -> None:
        m = re.match(r"set-var(-fmt)?\(([^,)]+)", rule.action)
        if m is None:
            return
        from wslint.haproxy.samples import ExprError, parse_expr

        name = m.group(2)
        if m.group(1):
            value = ctx.log_format(rule.args[0])
        else:
            try:
                value = ctx.sample(parse_expr(rule.args[0]))
            except ExprError:
                value = None
        flow.request.variables[name] = value

    @staticmethod
    def _set_timeout(rule: HttpRule, flow: Flow) -> None:
        which, value = rule.args[0], rule.args[1]
        seconds = parse_time(value)
        if seconds is None:
            flow.uncertain.append(f"the timeout `{rule.statement.text}` at {rule.source} sets")
            return
        t = Timeout(seconds, rule.statement, rule.section)
        if which == "tunnel":
            flow.tunnel = t
        elif which == "server":
            flow.server = t
        flow.step(rule.statement.text, rule.source)

    # -- what answers before (or instead of) the backend -------------------------------

    def _tcp_gates(self, fe: Proxy, flow: Flow) -> Answer | None:
        """The `tcp-request` rules that accept or refuse the connection, by ruleset in HAProxy's order."""
        for ruleset in ("connection", "session", "content"):
            for rule in (g for g in fe.tcp_gates if g.statement.args[0] == ruleset):
                what = f"`{rule.statement.text}`"
                if ruleset == "content" and fe.mode == "tcp" and reads_request(fe, rule.cond):
                    # decided on what has arrived by then (see wslint.haproxy.early): not followed here
                    flow.uncertain.append(f"whether the condition of {what} at {rule.source} holds")
                    break
                holds = self._holds(fe, rule.cond, flow, rule.section, what, rule.source)
                if holds is None:
                    break
                if not holds:
                    continue
                if rule.action == "accept":
                    break
                if rule.action in ("reject", "silent-drop"):
                    flow.step(f"{rule.statement.text}: HAProxy closes the connection", rule.source)
                    return Answer(None, "reject", rule.source, rule.statement.text)
                flow.uncertain.append(f"wslint does not know what {what} at {rule.source} does to the connection")
                break
        return None

    def _monitor(self, fe: Proxy, flow: Flow) -> Answer | None:
        """`monitor-uri`: HAProxy answers that exact URI itself (200, or 503 under `monitor fail`)."""
        st = fe.monitor_uri
        if st is None:
            return None
        req = flow.request
        if req.path is None:
            flow.uncertain.append(f"whether the request is the `monitor-uri` at {st.source}")
            return None
        uri = st.args[0]
        # a URI starting with `/` is compared with the path alone (HTTP/2 clients send absolute URIs)
        if (req.path if uri.startswith("/") else req.url) != uri:
            return None
        flow.step(f"{st.text}: HAProxy answers its health status itself", st.source)
        return Answer(200, "return", st.source, st.text)

    def _stats(self, proxy: Proxy, flow: Flow, forced: Switch | None) -> Answer | None:
        """The statistics page: HAProxy answers every GET whose URI starts with the stats prefix."""
        if proxy.stats_uri is None or forced is not None:
            return None
        prefix, st = proxy.stats_uri
        req = flow.request
        if req.path is None:
            flow.uncertain.append(f"whether the request is for the statistics page (`{st.text}` at {st.source})")
            return None
        uri = req.url or ""
        if not uri.startswith(prefix):
            return None
        flow.step(f"{st.text}: HAProxy's statistics page answers {uri}", st.source)
        return Answer(200, "return", st.source, st.text)

    # -- switching ---------------------------------------------------------------------

    def switch(self, fe: Proxy, flow: Flow, early: bool = True) -> tuple[Switch | None, bool]:
        """The backend the frontend's rules choose (and whether a condition was unknown); with `early`, as a
        mode tcp frontend that does not wait for the request chooses it (see wslint.haproxy.early)."""
        if fe.mode == "tcp" and switches_mode(fe):
            flow.uncertain.append(f"what {fe.label} does once `tcp-request content switch-mode` makes it HTTP")
            return self._switch(fe, flow)
        reader = next((ub for ub in fe.use_backends if reads_request(fe, ub.cond)), None)
        if not early or fe.mode != "tcp" or reader is None:
            return self._switch(fe, flow)
        waits = waits_for_request(fe)
        if waits is None:
            flow.uncertain.append(f"whether {fe.label} waits for the request before `{reader.statement.text}`")
            return self._switch(fe, flow)
        if waits:
            return self._switch(fe, flow)
        flow.step(
            f"{fe.label} is in mode tcp and does not wait for the request (no `tcp-request inspect-delay` with a "
            "`tcp-request content` rule that reads it): its rules decide on what has arrived as the connection "
            "opens, usually nothing",
            reader.statement.source,
        )
        flow.early = reader
        before = Flow(flow.request.copy())
        before.request.before_request = True
        chosen = self._switch(fe, before)
        flow.steps.extend(before.steps)
        flow.uncertain.extend(before.uncertain)
        flow.switch_tests.extend(before.switch_tests)
        flow.tests.extend(before.tests)
        return chosen

    def _switch(self, fe: Proxy, flow: Flow) -> tuple[Switch | None, bool]:
        uncertain = False
        for ub in fe.use_backends:
            section = fe.section
            ev = self.evaluator(fe, flow, section)
            holds = ev.condition(ub.cond)
            flow.switch_tests.extend(ev.results)
            flow.tests.extend(ev.results)
            if holds is None:
                uncertain = True
                flow.uncertain.append(f"whether `{ub.statement.text}` at {ub.statement.source} applies")
                continue
            if not holds:
                flow.step(f"{ub.statement.text}: the condition does not hold", ub.statement.source)
                continue
            name = ub.target
            if ub.dynamic:
                value = self._context(flow, section).log_format(ub.target)
                if value is None:
                    uncertain = True
                    flow.uncertain.append(f"the backend name `{ub.target}` at {ub.statement.source} evaluates to")
                    continue
                if value not in self.backends:
                    flow.step(
                        f"{ub.statement.text}: `{value}` is no backend, so no other rule is tried and "
                        "default_backend applies",
                        ub.statement.source,
                    )
                    return self._default(fe, flow), uncertain
                name = value
            why = "the condition holds" if ub.cond is not None else "no condition"
            flow.step(f"{ub.statement.text}: {why}, backend {name}", ub.statement.source)
            return Switch("use_backend", self.backends[name], ub.statement.source, ub), uncertain
        return self._default(fe, flow), uncertain

    def _default(self, fe: Proxy, flow: Flow) -> Switch | None:
        if fe.default_backend is not None and fe.default_backend.args:
            name = fe.default_backend.args[0]
            backend = self.backends.get(name)
            if backend is not None:
                flow.step(f"default_backend {name}", fe.default_backend.source)
                return Switch("default_backend", backend, fe.default_backend.source)
        if fe.kind == "listen":
            flow.step(f"no rule chose a backend: {fe.label} uses its own servers", fe.section.source)
            return Switch("listen", fe, fe.section.source)
        return None

    # -- one request -----------------------------------------------------------------

    def run(self, fe: Proxy, request: HttpRequest, forced: Switch | None = None) -> Outcome:
        """The handshake through frontend `fe`; with `forced`, as it reaches that backend
        (its own answers from the frontend are left out)."""
        flow = Flow(request)
        out = Outcome(fe, flow)
        http = fe.mode == "http"
        if forced is None:
            answer = self._tcp_gates(fe, flow) or (self._monitor(fe, flow) if http else None)
            if answer is not None:
                out.answer = answer
                return out
        if http:
            answer = self._rules(fe, flow, skip_final=forced is not None) or self._stats(fe, flow, forced)
            if answer is not None:
                out.answer = answer
                return out
        elif forced is None:
            flow.step(f"{fe.label} is in mode {fe.mode}: the connection is forwarded as it is", fe.section.source)
        out.switch_request = flow.request.copy()
        if forced is not None:
            out.switch = forced
        else:
            out.switch, out.switch_uncertain = self.switch(fe, flow)
        if out.switch is None:
            flow.step(
                f"no use_backend rule applies and {fe.label} has no default_backend: HAProxy answers 503",
                fe.section.source,
            )
            out.answer = Answer(503, "no-backend", fe.section.source, fe.section.header.text)
            return out
        be = out.switch.backend
        if be is not fe and be.mode == "http" and not http:
            # a TCP frontend handing over to an HTTP backend: the request is parsed (HTX) there
            http = True
            self._parse_as_http(flow.request)
            flow.step(f"{be.label} is in mode http: HAProxy parses the request as HTTP from here", be.section.source)
        if be is not fe and be.mode == "http" and http:
            answer = self._rules(be, flow, skip_final=forced is not None) or self._stats(be, flow, None)
            if answer is not None:
                out.answer = answer
                return out
        if not be.servers:
            flow.step(f"{be.label} has no server: HAProxy answers 503", be.section.source)
            out.answer = Answer(503, "no-server", be.section.source, be.section.header.text)
            return out
        out.sent = self._sent(flow.request) if http else flow.request
        return out

    def _parse_as_http(self, req: HttpRequest) -> None:
        if self.version < HTX_SINCE:
            return
        cleaned: list[tuple[str, str | None]] = []
        for name, value in req.headers:
            if name.lower() == "connection" and value is not None:
                value = clean_connection(value)
                if not value:
                    continue
            cleaned.append((name, value))
        req.headers = cleaned

    def prepare(self, fe: Proxy, request: HttpRequest) -> Flow:
        """The request after the frontend's rules that do not answer, as use_backend sees it."""
        flow = Flow(request)
        if fe.mode == "http":
            self._rules(fe, flow, skip_final=True)
        return flow

    def _sent(self, req: HttpRequest) -> HttpRequest:
        """The request the server receives: Connection as the H1 multiplexer writes it."""
        sent = req.copy()
        values = req.values("connection")
        if values is None:
            return sent
        connection = outgoing_connection(tuple(values), self.version)
        rest = [(n, v) for n, v in sent.headers if n.lower() != "connection"]
        sent.headers = rest + ([("Connection", connection)] if connection else [])
        return sent


def _status_arg(args: tuple[str, ...], keys: tuple[str, ...], default: int) -> int:
    for i, a in enumerate(args[:-1]):
        if a in keys and args[i + 1].isdigit():
            return int(args[i + 1])
    return default


def _expand(replacement: str, m: re.Match[str]) -> str:
    """`\\1`..`\\9` in a replacement, from the regex's groups."""

    def group(g: re.Match[str]) -> str:
        i = int(g.group(1))
        return (m.group(i) or "") if i <= (m.re.groups or 0) else ""

    return re.sub(r"\\(\d)", group, replacement)


def host_tests(results: list[TestResult]) -> list[AclTest]:
    """The tests on the Host header among `results`."""
    return [r.test for r in results if r.test.header == "host"]
