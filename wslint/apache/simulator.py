"""Declared endpoints through httpd (the pipeline is wslint.declare): the virtual host, each client's
request through `Router`, what a miss had, and the fixes wslint checks by running the changed server.

The virtual host is chosen by port, then by the first ServerName/ServerAlias that matches the Host in
file order (else the port's first vhost). Three situations point at the route that was meant: another
matching section or ProxyPass line that upgrades and is more specific than the one that won
(route-shadowed); another vhost on the same port that would upgrade the path (wrong-server-block); a
WebSocket route of the chosen vhost written for nearly this path (route-miss).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from wslint.apache.build import ApacheModel, host_port
from wslint.apache.config import LocationSection, Mapping, Server, Worker, name_matches
from wslint.apache.parser import dedent
from wslint.apache.rewrite import Cond
from wslint.apache.routing import Outcome, Router, alias_match
from wslint.clients import Client
from wslint.declare import ProxySimulator
from wslint.endpoints import Endpoint
from wslint.model import EndpointOutcome, EndpointResult, Miss, MissKind, Rewrite, Route, Source, TraceStep


@dataclass(frozen=True)
class Target:
    """A virtual host an endpoint's handshake is tried in, and how it was chosen."""

    server: Server
    # the vhosts that could answer on the endpoint's port
    servers: tuple[Server, ...]
    lead: tuple[TraceStep, ...]
    cause: Source
    # why this virtual host answers
    reason: str
    uncertain: str | None = None


class ApacheSimulator(ProxySimulator[Target]):
    def __init__(self, model: ApacheModel) -> None:
        self.model = model
        self.clients = model.clients

    def targets(self, endpoint: Endpoint) -> list[Target]:
        servers, note, unsure = self.candidates(endpoint)
        if endpoint.host is None:
            chosen = [(s, s.node.head if s.node else Source(self.model.main_file, 1, 1), "considered") for s in servers]
        else:
            chosen = [self.select(servers, endpoint.host)]
        out = []
        for s, cause, why in chosen:
            lead = [TraceStep(note, None)] if note else []
            label = f"<VirtualHost {s.label}>" if s.node is not None else "the main server"
            lead.append(TraceStep(f"{label}: {why}", cause))
            out.append(Target(s, tuple(servers), tuple(lead), cause, why, unsure))
        return out

    def run(self, endpoint: Endpoint, client: Client, target: Target) -> EndpointResult:
        result = self.result(target.server, endpoint, client, list(target.lead), target.cause, target.uncertain)
        return replace(result, server_reason=target.reason)

    def alternatives(self, result: EndpointResult, target: Target) -> EndpointResult:
        return self._diagnose(target.server, list(target.servers), result.endpoint, result)

    def may_declare(self, result: EndpointResult) -> bool:
        return result.outcome in ("proxied", "error")

    # -- endpoints ----------------------------------------------------------------------

    def candidates(self, ep: Endpoint) -> tuple[list[Server], str | None, str | None]:
        """The servers that may answer on the endpoint's port, a note on how they were found, and what
        makes the choice uncertain."""
        port = ep.effective_port
        if not self.model.servers.vhosts:
            return [self.model.servers.main], None, None
        on_port = [s for s in self.model.servers.vhosts if any(p is None or p == port for _, p in s.addresses)]
        if on_port:
            hosts = {h.lower() for s in on_port for h, p in s.addresses if p is None or p == port}
            if len(hosts) > 1:
                # httpd looks for a name only among the vhosts of the address the connection came to
                # (an IP-specific one before `*`): which ones those are depends on that address
                return (
                    on_port,
                    None,
                    f"which virtual hosts answer on port {port}: they listen on different addresses "
                    f"({', '.join(sorted(hosts))}), and httpd chooses among those of the address the client "
                    "connects to",
                )
            return on_port, None, None
        if port in self.model.servers.listen_ports():
            return [self.model.servers.main], f"no virtual host listens on port {port}: the main server answers", None
        return (
            list(self.model.servers.vhosts),
            f"no virtual host listens on port {port}; every one is considered, as behind a load balancer",
            None,
        )

    def candidates_for_port(self, port: int) -> list[Server]:
        return self.candidates(Endpoint(f"ws://x:{port}/", "ws", "x", port, "/", ""))[0]

    def select(self, servers: list[Server], host: str) -> tuple[Server, Source, str]:
        for s in servers:
            for name, node in s.names:
                if name_matches(name, host):
                    how = "is the Host" if name == host else f"matches {host}"
                    return s, node.source, f"{node.name} {name} {how} (the first virtual host whose name matches)"
        first = servers[0]
        src = first.node.head if first.node is not None else Source(self.model.main_file, 1, 1)
        return first, src, f"no ServerName or ServerAlias matches {host}: the port's first virtual host answers"

    def result(
        self,
        s: Server,
        ep: Endpoint,
        client: Client,
        lead: list[TraceStep],
        server_cause: Source,
        uncertain: str | None = None,
    ) -> EndpointResult:
        router = Router(s, self.model.context)
        out = router.run(ep.path, ep.query, client, ep.host_header, ep.effective_port, ep.tls)
        if uncertain is not None:
            out.uncertain.insert(0, uncertain)
        route = self.model.route_of(s, out.decider)
        steps = (*lead, *out.steps)
        kind: EndpointOutcome = out.kind
        if out.kind == "local" and out.reason == "static" and out.cause is None:
            # nothing maps the path: the virtual host serves it from files
            out.cause = server_cause
        repair = self._repair(s, ep, out) if not out.uncertain else None
        handshake = (
            self.model.handshake(client, out, s, out.url or "", ep.host_header or "") if out.kind == "proxied" else None
        )
        return EndpointResult(
            endpoint=ep,
            client=client.name,
            listener=self.model.listeners.get(id(s)),
            route=route,
            outcome=kind,
            status=out.status,
            location=out.location,
            upstream=host_port(out.url) if out.url and out.kind == "proxied" else None,
            backend_path=out.backend_path if out.kind == "proxied" else None,
            handshake=handshake,
            steps=steps,
            cause=out.cause,
            reason=out.reason,
            certain=not out.uncertain and not (ep.host is None and any(n for n, _ in s.names) and False),
            uncertain=tuple(dict.fromkeys(out.uncertain)),
            path_cause=out.path_cause,
            path_cause_kind=out.path_cause_kind,
            path_cause_text={"rewrite": "RewriteRule", "proxy-pass": "ProxyPass"}.get(out.path_cause_kind or ""),
            cause_text=out.cause_text,
            server_cause=server_cause,
            rewrite=repair,
        )

    def _upgrading(self, s: Server, path: str, ep: Endpoint) -> Route | None:
        """The route of `s` that would upgrade the path, unless it upgrades any path (a catch-all of another
        site is no sign that the handshake was meant for it)."""
        router = Router(s, self.model.context)
        out = router.run(path, ep.query, self.clients[0], ep.host_header, ep.effective_port, ep.tls)
        if out.kind == "proxied" and out.upgrade is not None and out.upgrade.enabled and not out.uncertain:
            anything = router.run("/wslint-any/path", "", self.clients[0], ep.host_header, ep.effective_port, ep.tls)
            if anything.kind == "proxied" and anything.decider is out.decider:
                return None
            return self.model.route_of(s, out.decider)
        return None

    def _diagnose(self, s: Server, servers: list[Server], ep: Endpoint, r: EndpointResult) -> EndpointResult:
        if not r.certain or r.upgrades or r.outcome in ("redirect",):
            return r
        better = self._better(s, ep, r)
        if better:
            return replace(r, better_routes=better)
        if r.rewrite is not None:
            # wslint has a checked fix in this vhost
            return r
        # a route of this vhost written for nearly this path says more than another vhost that would take it
        near, fixed = self._near(s, ep, r)
        if near:
            return replace(r, misses=near, rewrite=r.rewrite or fixed)
        if ep.host is not None:
            for other in servers:
                if other is s:
                    continue
                found = self._upgrading(other, ep.path, ep)
                if found is not None:
                    return replace(r, elsewhere=(found,))
        return r

    def _better(self, s: Server, ep: Endpoint, r: EndpointResult) -> tuple[Route, ...]:
        """WebSocket routes that match the path too, lose to the chosen one, and are more specific."""
        chosen = r.route
        found: list[Route] = []
        for d in self.model.deciders(s):
            route = self.model.route(d)
            if route is chosen or not route.upgrades:
                continue
            m = d.mapping
            if m is None or m.kind != "prefix":
                continue
            hit = alias_match(ep.path, m.path) > 0
            if m.location is not None:
                hit = hit and bool(m.location.matches(ep.path))
            if not hit:
                continue
            mine = chosen.match.pattern if chosen is not None and chosen.match.kind == "prefix" else ""
            if chosen is None or len(m.path) > len(mine) or chosen.noun == "RewriteRule":
                found.append(route)
        return tuple(found)

    def _near(self, s: Server, ep: Endpoint, r: EndpointResult) -> tuple[tuple[Miss, ...], Rewrite | None]:
        """WebSocket routes of the vhost written for this path that do not match it: a path with a trailing
        slash the endpoint lacks, a path in another case, a `<LocationMatch>` whose ProxyPass httpd reads as a
        plain prefix. The first one's line rewritten, when wslint checked that httpd would then upgrade."""
        path = re.sub("/+", "/", ep.path) if s.merge_slashes else ep.path
        misses: list[Miss] = []
        fixed: Rewrite | None = None
        for d in self.model.deciders(s):
            route = self.model.route(d)
            m = d.mapping
            if route is r.route or m is None or route.websocket.level not in ("explicit", "declared", "heuristic"):
                continue
            sec = m.location
            found: tuple[MissKind, str] | None = None
            rewrite: Rewrite | None = None
            if sec is not None and m.kind == "prefix" and sec.kind == "regex" and sec.matches(path):
                if not alias_match(path, m.path):
                    found = (
                        "regex-as-prefix",
                        f"httpd compares the ProxyPass in `<{sec.node.name} {sec.pattern}>` with the path as the plain "
                        f"prefix `{sec.pattern}` (a regex only when it holds `*`, `?` or `[`), so it matches no "
                        "request",
                    )
            elif sec is not None and sec.kind == "prefix":
                if not sec.matches(path) and sec.pattern.endswith("/") and sec.pattern.rstrip("/") == path.rstrip("/"):
                    found = ("trailing-slash", f"`<Location {sec.pattern}>` ends with a slash, so {path} is outside it")
                    rewrite = self._unslash(s, ep, m, sec)
                elif not sec.matches(path) and sec.matches(path.lower()) is True and path != path.lower():
                    found = ("case", f"httpd compares `<Location {sec.pattern}>` with the path case-sensitively")
            elif sec is None and m.kind == "prefix" and not alias_match(path, m.path):
                if m.path.endswith("/") and m.path.rstrip("/") == path.rstrip("/"):
                    found = (
                        "trailing-slash",
                        f"its path ends with a slash and httpd matches it whole, so {path} does not match {m.path}",
                    )
                    rewrite = self._unslash(s, ep, m, None)
                elif alias_match(path.lower(), m.path.lower()):
                    found = (
                        "case",
                        f"httpd compares ProxyPass paths case-sensitively, so {path} does not match {m.path}",
                    )
            if found is None:
                continue
            # the finding stands where the handshake went: a miss names no line of its own
            miss = Miss(route, found[0], found[1])
            if rewrite is not None and fixed is None:
                # the near miss wslint can fix comes first: the finding names it and its fix
                fixed = rewrite
                misses.insert(0, miss)
            else:
                misses.append(miss)
        return tuple(misses), fixed

    # -- fixes the adapter computes, each checked by running the changed configuration ------------

    def _works(self, s: Server, ep: Endpoint) -> bool:
        """Whether every client's handshake to `ep` is upgraded in `s` (at the expected backend path)."""
        for c in self.clients:
            out = Router(s, self.model.context).run(ep.path, ep.query, c, ep.host_header, ep.effective_port, ep.tls)
            if out.uncertain or out.kind != "proxied" or out.upgrade is None or not out.upgrade.enabled:
                return False
            expected = ep.expected_backend_path
            if expected is not None and (out.backend_path or "").split("?", 1)[0] != expected:
                return False
        return True

    @staticmethod
    def _with_mapping(s: Server, old: Mapping, new: Mapping, pattern: str | None = None) -> Server:
        """`s` with one ProxyPass changed (and its section's path, for a section's)."""
        if old.location is not None:
            section = replace(old.location, pattern=pattern or old.location.pattern)
            new = replace(new, location=section)
            section.mapping = new
            locations: list[LocationSection] = [section if x is old.location else x for x in s.locations]
        else:
            locations = s.locations
        workers = s.workers
        if new.url != old.url and not new.excluded:
            workers = [*workers, Worker(new.url, dict(new.params), new.node, new.kind == "regex")]
        mappings = [new if x is old else x for x in s.mappings]
        return replace(s, mappings=mappings, locations=locations, workers=workers)

    def _unslash(self, s: Server, ep: Endpoint, m: Mapping, sec: LocationSection | None) -> Rewrite | None:
        """The ProxyPass (or Location section) without the trailing slash of its path and its URL."""
        if not m.url.endswith("/") or "://" not in m.url or m.url.split("://", 1)[1].count("/") < 1:
            return None
        url = m.url[:-1]
        if sec is None:
            new = replace(m, path=m.path.rstrip("/"), url=url)
            if not self._works(self._with_mapping(s, m, new), ep):
                return None
            return Rewrite(m.node.source, _replace_words(m.node.text, {m.path: new.path, m.url: url}))
        pattern = sec.pattern.rstrip("/")
        new = replace(m, path=pattern, url=url)
        if not self._works(self._with_mapping(s, m, new, pattern), ep):
            return None
        text = dedent(sec.node.text, sec.node.indent)
        head, _, body = text.partition("\n")
        body = "\n".join(
            _replace_words(line, {m.url: url}) if line.strip() == m.node.text.strip() else line
            for line in body.split("\n")
        )
        return Rewrite(sec.node.source, _replace_words(head, {sec.pattern: pattern}) + "\n" + body)

    def _repair(self, s: Server, ep: Endpoint, out: Outcome) -> Rewrite | None:
        """A change of the deciding line after which httpd upgrades the handshake (checked), if wslint knows one."""
        rule = out.rule
        if out.kind == "redirect" and out.reason == "rewrite-redirect" and rule is not None:
            # exempt WebSocket handshakes from the redirect: a condition first (ANDed with the rule's)
            exempt = Cond("%{HTTP:Upgrade}", "!=websocket", frozenset({"nc"}), rule.node)
            if self._works(
                replace(s, rules=[replace(x, conds=(exempt, *x.conds)) if x is rule else x for x in s.rules]), ep
            ):
                first = rule.conds[0].node if rule.conds else rule.node
                return Rewrite(first.source, "RewriteCond %{HTTP:Upgrade} !=websocket [NC]\n" + first.text)
        if out.kind == "local" and out.reason == "static" and rule is not None and rule.node.key == "rewriterule":
            # a path rewritten without [PT] is looked for as a file: with [PT] mod_proxy maps it
            flags = {**rule.flags, "pt": ""}
            if self._works(replace(s, rules=[replace(x, flags=flags) if x is rule else x for x in s.rules]), ep):
                args = rule.node.args
                if len(args) > 2:
                    text = _replace_words(
                        rule.node.text, {args[2]: "[" + ",".join(["PT", *args[2].strip("[]").split(",")]) + "]"}
                    )
                else:
                    text = rule.node.text + " [PT]"
                return Rewrite(rule.node.source, text)
        m = out.mapping
        expected = ep.expected_backend_path
        if (
            out.kind == "proxied"
            and expected is not None
            and m is not None
            and m.kind == "prefix"
            and not m.excluded
            and out.path_cause_kind == "proxy-pass"
            and out.backend_path is not None
        ):
            # the URL's path that makes the backend receive the expected one
            path = re.sub("/+", "/", ep.path) if s.merge_slashes else ep.path
            rest = path[alias_match(path, m.path) :]
            authority = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*", m.url)
            if (
                authority is not None
                and expected.endswith(rest)
                and (rest.startswith("/") or expected[: len(expected) - len(rest)])
            ):
                url = authority.group(0) + expected[: len(expected) - len(rest)]
                new = replace(m, url=url)
                if self._works(self._with_mapping(s, m, new), ep):
                    return Rewrite(m.node.source, _replace_words(m.node.text, {m.url: url}))
        return None


def _replace_words(text: str, words: dict[str, str]) -> str:
    """`text` with whole words replaced (each the first time it stands alone, quoted or not)."""
    for old, new in words.items():
        found = re.search(r'(?<![^\s"])' + re.escape(old) + r'(?![^\s">])', text)
        if found is not None:
            text = text[: found.start()] + new + text[found.end() :]
    return text
