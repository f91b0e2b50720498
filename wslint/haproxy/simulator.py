"""Declared endpoints through HAProxy: the frontend, each browser's result, what went wrong.

HAProxy forwards every handshake it passes to a backend as an upgrade, so a
broken route is a handshake that reaches the wrong backend (or none). Three
situations point at the route that was meant, without guessing:

* a later `use_backend` rule also matches the request and tests its path more
  precisely than the rule that won (rules are tried in the order written);
* a rule's Host test names the endpoint's host but misses it because `hdr(host)`
  includes the port the client connected to;
* a rule's path test nearly matches: `path /live` for `/live/websocket`, a
  missing or extra trailing slash, a case difference.

A route an endpoint reaches without any of these is a WebSocket route by
declaration (wslint.declare), with the timeouts of the endpoint's own request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from wslint.clients import Client
from wslint.declare import ProxySimulator
from wslint.endpoints import Endpoint
from wslint.haproxy.acl import AclTest, Condition, Term
from wslint.haproxy.build import (
    HaproxyModel,
    _websocket_test,
    effective_timeout,
    expects_success,
    positive_tests,
)
from wslint.haproxy.early import WAIT_RULES
from wslint.haproxy.proxies import Proxy
from wslint.haproxy.routing import Flow, Outcome, Switch
from wslint.haproxy.samples import SampleContext, match_one, match_values
from wslint.model import (
    EndpointOutcome,
    EndpointResult,
    HealthCheck,
    Miss,
    Rewrite,
    Route,
    Source,
    TraceStep,
)

_RANK = {"str": 3, "beg": 2, "dir": 2, "end": 1, "sub": 1, "reg": 0}
PATH_FETCHES = ("path", "url", "pathq")
ACCEPTED_BY_SOCKET = ("400", "426")


def _frontends(model: HaproxyModel, ep: Endpoint) -> tuple[list[Proxy], str | None]:
    port = ep.effective_port
    fronts = [f for f in model.frontends if f.mode in ("http", "tcp")]
    on_port = [f for f in fronts if any(b.port == port for b in f.binds)]
    if on_port:
        return on_port, None
    return fronts, (
        f"no frontend binds port {port}; every frontend is considered, as behind a load balancer or a port mapping"
        if port is not None
        else None
    )


def _path_score(tests: list[AclTest], ctx: SampleContext) -> tuple[int, int]:
    """How precisely a rule's matching path tests describe the request's path."""
    best = (-1, 0)
    for t in tests:
        if t.expr is None or t.expr.converters or t.expr.fetch.name not in PATH_FETCHES:
            continue
        values = ctx.values(t.expr)
        for pattern, icase in t.patterns:
            if match_values(values, t.method, [(pattern, icase)], t.op):
                best = max(best, (_RANK.get(t.method, 0), len(pattern)))
    return best


def _near_miss(test: AclTest, path: str) -> bool:
    """A path test written for this path that misses it by its match method, a slash or case."""
    if test.expr is None or test.expr.converters or test.expr.fetch.name != "path":
        return False
    for pattern, icase in test.patterns:
        if match_one(test.method, path, pattern, icase) is not False:
            continue
        p, x = pattern.lower(), path.lower()
        if not p.startswith("/") or p == "/":
            continue
        if test.method == "str" and (x.startswith(p.rstrip("/") + "/") or p.rstrip("/") == x.rstrip("/") or p == x):
            return True
        if test.method in ("beg", "dir") and (p.rstrip("/") == x.rstrip("/") or x.startswith(p)):
            return True
    return False


@dataclass(frozen=True)
class Target:
    """A frontend an endpoint's handshake is tried in."""

    frontend: Proxy
    # why every frontend is considered (no frontend binds the endpoint's port)
    note: str | None = None
    # other frontends binding the same port: which one gets a connection is the kernel's choice
    sharing: str | None = None


class HaproxySimulator(ProxySimulator[Target]):
    """Declared endpoints through HAProxy: the frontend by port, its rules in order, the backend."""

    def __init__(self, model: HaproxyModel) -> None:
        self.model = model
        self.sim = model.router
        self.clients = model.options.clients
        # each result's simulation, for the alternatives and the timeouts its route really gets
        self.outcomes: dict[tuple[Endpoint, str, str | None], Outcome] = {}

    def targets(self, endpoint: Endpoint) -> list[Target]:
        fronts, note = _frontends(self.model, endpoint)
        if endpoint.host is None or (len(fronts) > 1 and note):
            return [Target(fe, note) for fe in fronts]
        if len(fronts) > 1:
            others = ", ".join(f.label for f in fronts[1:])
            return [Target(fronts[0], None, f"{others} bind the same port: the kernel spreads connections")]
        return [Target(fe, note) for fe in fronts[:1]]

    def run(self, endpoint: Endpoint, client: Client, target: Target) -> EndpointResult:
        r, out = self.result(target.frontend, endpoint, client, target.note)
        if target.sharing is not None:
            r = replace(r, certain=False, uncertain=(*r.uncertain, target.sharing))
        self.outcomes[_key(r)] = out
        return r

    def alternatives(self, result: EndpointResult, target: Target) -> EndpointResult:
        out = self.outcomes[_key(result)]
        client = next(c for c in self.clients if c.name == result.client)
        return _diagnose(self, target.frontend, result.endpoint, client, result, out)

    def check_fails_on_socket(self, check: HealthCheck) -> bool:
        return expects_success(check)

    def refine(self, route: Route, results: Sequence[EndpointResult]) -> Route:
        primary = self.clients[0].name
        ordered = sorted(results, key=lambda x: x.client != primary)
        out = next((self.outcomes[_key(x)] for x in ordered if _key(x) in self.outcomes), None)
        if out is None or out.switch is None:
            return route
        # set-timeout rules evaluated for the endpoint's own request
        idle = self.model.idle(out.frontend, out.switch.backend, out.flow)
        return replace(route, idle=idle, idle_timeout=effective_timeout(idle))

    def _request_for(self, fe: Proxy, ep: Endpoint, client: Client, host: str | None) -> Outcome:
        req = self.model.request(fe, client, host, ep.path, ep.query if ep.query else None, ep.tls)
        if ep.effective_port is not None:
            req.dst_port = ep.effective_port
        return self.sim.run(fe, req)

    def result(self, fe: Proxy, ep: Endpoint, client: Client, note: str | None) -> tuple[EndpointResult, Outcome]:
        out = self._request_for(fe, ep, client, ep.host_header)
        listener = self.model.listener(fe)
        bind = next((b for b in fe.binds if b.port == ep.effective_port), fe.binds[0] if fe.binds else None)
        lead = [TraceStep(note, None)] if note else []
        why = (
            f"it binds port {bind.port}" if bind is not None and bind.port == ep.effective_port else "it is considered"
        )
        lead.append(TraceStep(f"{fe.label}: {why}", bind.statement.source if bind else fe.section.source))
        flow = out.flow
        uncertain = list(dict.fromkeys(flow.uncertain))
        if ep.host is None:
            uncertain = [u for u in uncertain if "host" not in u.lower()] + (
                ["the endpoint has no host, and a rule tests the Host header"]
                if any(r.test.header == "host" and r.value is None for r in flow.tests)
                else []
            )
        route = self.model.route_for(fe, out.switch) if out.switch is not None else None
        steps = (*lead, *flow.steps)
        base = dict(
            endpoint=ep,
            client=client.name,
            listener=listener,
            steps=steps,
            certain=not uncertain,
            uncertain=tuple(uncertain),
            path_cause=flow.path_cause,
            path_cause_kind=flow.path_cause_kind,
            path_cause_text=flow.path_rule.action if flow.path_rule is not None else None,
            server_cause=bind.statement.source if bind else fe.section.source,
        )
        if out.answer is None and out.sent is not None and route is not None:
            hs = self.model.handshake(out)
            return (
                EndpointResult(
                    route=route,
                    outcome="proxied",
                    status=None,
                    location=None,
                    upstream=route.upstream.url if route.upstream else None,
                    backend_path=out.sent.url,
                    handshake=hs,
                    cause=route.source,
                    reason="proxied",
                    **base,  # type: ignore[arg-type]
                ),
                out,
            )
        answer = out.answer
        assert answer is not None
        kind: EndpointOutcome = "local"
        if answer.reason == "redirect" and answer.status in (301, 302, 303, 307, 308):
            kind = "redirect"
        elif answer.reason == "no-backend":
            kind = "no-route"
        elif answer.reason == "no-server":
            kind = "error"
        rewrite = None
        if answer.rule is not None and answer.reason in ("redirect", "return", "deny", "auth"):
            # the exemption tests the Upgrade header: no use once an earlier rule removed it, or when it is
            # there already (adding it again would never end: each --fix added another copy)
            upgrade = out.flow.request.values("upgrade")
            still_sent = upgrade is None or any("websocket" in v.lower() for v in upgrade)
            exempted = answer.rule.cond is not None and WS_EXEMPTION in answer.rule.cond.text
            if still_sent and not exempted:
                rewrite = exempt_websockets(answer.rule.statement.text, answer.rule.cond, answer.rule.source)
        return (
            EndpointResult(
                route=route,
                outcome=kind,
                status=answer.status,
                location=answer.location,
                upstream=None,
                backend_path=None,
                handshake=None,
                cause=answer.cause,
                reason=answer.reason,
                cause_text=answer.text,
                rewrite=rewrite,
                **base,  # type: ignore[arg-type]
            ),
            out,
        )

    # -- what went wrong ---------------------------------------------------------------

    def better(self, fe: Proxy, out: Outcome) -> tuple[Route, ...]:
        """Later rules that also match and test the path more precisely than the winner."""
        sw = out.switch
        if sw is None or sw.rule is None or out.switch_request is None:
            return ()
        ctx = SampleContext(out.switch_request, lambda n: self.model.map_file(n, fe.section))
        tests = positive_tests(sw.rule.cond, fe)
        if any(_websocket_test(t) for t in tests):
            # the winner is chosen because the request is an upgrade: it is the backend meant for WebSockets
            return ()
        mine = _path_score(tests, ctx)
        found: list[Route] = []
        for ub in fe.use_backends[sw.rule.index + 1 :]:
            if ub.dynamic or ub.target == sw.backend.name:
                continue
            flow = Flow(out.switch_request.copy())
            ev = self.sim.evaluator(fe, flow, fe.section)
            if ev.condition(ub.cond) is not True:
                continue
            theirs = _path_score(positive_tests(ub.cond, fe), ctx)
            if theirs > mine and theirs[0] >= 0:
                found.append(
                    self.model.route_for(
                        fe, Switch("use_backend", self.model.backends[ub.target], ub.statement.source, ub)
                    )
                )
        return tuple(found)

    def before_request(self, fe: Proxy, out: Outcome) -> Miss | None:
        """The route a mode tcp frontend would choose had it waited for the request."""
        reader = out.flow.early
        if reader is None or out.switch_request is None:
            return None
        full = Flow(out.switch_request.copy())
        meant, uncertain = self.sim.switch(fe, full, early=False)
        if meant is None or uncertain or (out.switch is not None and meant.backend is out.switch.backend):
            return None
        reason = (
            f"{fe.label} is in mode tcp and chooses the backend as the connection opens, before the request "
            f"`{reader.statement.text}` tests has arrived (no `tcp-request inspect-delay` with a `tcp-request "
            "content` rule that waits for it): the test finds nothing, except now and then when the request is "
            "already in"
        )
        route = self.model.route_for(fe, meant)
        return Miss(route, "before-request", reason, reader.statement.source, "\n".join(WAIT_RULES))

    def near_misses(self, fe: Proxy, out: Outcome) -> tuple[Route, ...]:
        req = out.switch_request
        if req is None or req.path is None or fe.mode != "http":
            return ()
        chosen = out.switch
        if chosen is not None:
            route = self.model.route_for(fe, chosen)
            if route.websocket.level in ("explicit", "declared"):
                return ()
        found: list[Route] = []
        for ub in fe.use_backends:
            if ub.dynamic or ub.cond is None or (chosen is not None and ub.target == chosen.backend.name):
                continue
            if chosen is not None and chosen.rule is ub:
                continue
            flow = Flow(req.copy())
            if self.sim.evaluator(fe, flow, fe.section).condition(ub.cond) is not False:
                continue
            if self._nearly(fe, ub.cond, req):
                found.append(
                    self.model.route_for(
                        fe, Switch("use_backend", self.model.backends[ub.target], ub.statement.source, ub)
                    )
                )
        return tuple(found)

    def _nearly(self, fe: Proxy, cond: Condition, req: object) -> bool:
        from wslint.haproxy.request import HttpRequest

        assert isinstance(req, HttpRequest) and req.path is not None
        for disjunct in cond.disjuncts:
            misses = False
            blocked = False
            for term in disjunct:
                positive = term.negated == cond.unless
                tests = self._term_tests(fe, term)
                if positive and any(_near_miss(t, req.path) for t in tests):
                    misses = True
                    continue
                flow = Flow(req.copy())
                value = self.sim.evaluator(fe, flow, fe.section).term(term)
                if (value is False and not cond.unless) or (value is True and cond.unless):
                    blocked = True
            if misses and not blocked:
                return True
        return False

    @staticmethod
    def _term_tests(fe: Proxy, term: Term) -> list[AclTest]:
        if isinstance(term.ref, str):
            return list(fe.acls.acls.get(term.ref, []))
        return [term.ref]

    def elsewhere(
        self, fe: Proxy, ep: Endpoint, client: Client, out: Outcome
    ) -> tuple[Route, Source, Rewrite | None] | None:
        """A route whose Host test names the endpoint's host but sees the port too."""
        header = ep.host_header
        if ep.host is None or header is None or header == ep.host:
            return None
        alt = self._request_for(fe, ep, client, ep.host)
        if alt.switch is None or (alt.answer is not None and alt.answer.reason != "no-server"):
            return None
        if out.switch is not None and alt.switch.backend is out.switch.backend:
            return None
        changed = [
            r.test
            for r in alt.flow.switch_tests
            if r.value
            and r.test.header == "host"
            and any(o.test is r.test and o.value is False for o in out.flow.switch_tests)
        ]
        if not changed:
            return None
        test = changed[0]
        cause = test.statement.source if test.statement is not None and test.name else test.source
        return self.model.route_for(fe, alt.switch), cause, host_only_rewrite(test)


def host_only_rewrite(test: AclTest) -> Rewrite | None:
    """The Host test rewritten on the host without its port (`req.hdr(host),host_only`)."""
    st = test.statement
    if st is None or test.expr is None:
        return None
    flags = [w.text for w in st.words[test.first_word + 1 :]]
    method = "" if test.method == "str" or "-m" in flags else f" -m {test.method}"
    return Rewrite(st.word_source(test.first_word), f"req.hdr(host),host_only{method}")


WS_EXEMPTION = "{ req.hdr(upgrade) -i websocket }"


def exempt_websockets(text: str, cond: Condition | None, source: Source) -> Rewrite:
    """The rule with a condition that leaves WebSocket handshakes alone."""
    if cond is None:
        return Rewrite(source, f"{text} unless {WS_EXEMPTION}")
    head = text[: len(text) - len(cond.text)].rstrip()
    parts = []
    for d in cond.disjuncts:
        parts.append(" ".join(t.label for t in d))
    if cond.unless:
        new = f"unless {' || '.join(parts)} || {WS_EXEMPTION}"
    else:
        new = "if " + " || ".join(f"{p} !{WS_EXEMPTION}" for p in parts)
    return Rewrite(source, f"{head} {new}")


def _key(r: EndpointResult) -> tuple[Endpoint, str, str | None]:
    return (r.endpoint, r.client, r.listener.id if r.listener is not None else None)


def _diagnose(
    declarer: HaproxySimulator, fe: Proxy, ep: Endpoint, client: Client, r: EndpointResult, out: Outcome
) -> EndpointResult:
    if not r.certain or r.outcome not in ("proxied", "no-route"):
        return r
    found = declarer.elsewhere(fe, ep, client, out)
    if found is not None:
        route, cause, rewrite = found
        note = TraceStep(
            f"hdr(host) is {ep.host_header}, port included: `{route.name}` would take the handshake "
            "if its Host test ignored the port",
            cause,
        )
        return replace(r, elsewhere=(route,), server_cause=cause, rewrite=rewrite, steps=(*r.steps, note))
    early = declarer.before_request(fe, out)
    if early is not None:
        return replace(r, misses=(early,))
    better = declarer.better(fe, out)
    if better:
        return replace(r, better_routes=better)
    near = declarer.near_misses(fe, out)
    if near:
        return replace(r, misses=tuple(Miss(route, "pattern") for route in near))
    return r
