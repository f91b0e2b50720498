"""What httpd does with one WebSocket handshake in one server, decision by decision.

The order is httpd's (ap_process_request_internal, measured on 2.4.71): the
`<Location>`/`<LocationMatch>` sections that match the path are merged in the
order written, so the last one's `ProxyPass` is the section's mapping; then
the translate-name phase runs server-context mod_rewrite first (a `[P]` rule
proxies, `[R]` redirects, a rewritten path without `[PT]` is served from the
file system), then mod_proxy: the location's mapping, else the server's
`ProxyPass`/`ProxyPassMatch` lines, the first match winning (`!` excludes);
then mod_alias redirects; what nobody maps is a file (a WebSocket path: 404).
A proxied request needs a handler for its URL's scheme (else 500), a live
balancer member (else 503), and forwards the upgrade only for `ws://`/`wss://`
URLs or a worker with `upgrade=websocket`; the tunnel is then closed after
the larger of `Timeout` and the backend timeout (2.4.53 and later).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from wslint.apache.config import DEFAULT_TIMEOUT, Balancer, LocationSection, Mapping, Server, Worker, access_unknown
from wslint.apache.parser import Node
from wslint.apache.rewrite import Applied, Request, Rule, Unknown, compile_pattern, run_rules
from wslint.clients import Client
from wslint.intent import path_signal
from wslint.model import PathCause, Reason, Source, TraceStep

UPGRADE_PARAM_SINCE = (2, 4, 47)
MAX_TIMEOUTS_SINCE = (2, 4, 53)
HANDLERS = {
    "http": ("proxy_http_module",),
    "https": ("proxy_http_module",),
    "ws": ("proxy_http_module", "proxy_wstunnel_module"),
    "wss": ("proxy_http_module", "proxy_wstunnel_module"),
    "fcgi": ("proxy_fcgi_module",),
    "ajp": ("proxy_ajp_module",),
    "scgi": ("proxy_scgi_module",),
    "uwsgi": ("proxy_uwsgi_module",),
    "h2": ("proxy_http2_module",),
    "h2c": ("proxy_http2_module",),
}
CHECK_METHODS = ("GET", "HEAD", "OPTIONS", "GET11", "HEAD11", "OPTIONS11")
# compiled once: every route's own upgrade goes through them (a module-level re.* call looks its pattern up)
VARIABLE = re.compile(r"[$%]")
_AUTHORITY = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)")
_NAMED_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)[/?#]")
_BARE_HOST = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)")
_EMPTY_PATH = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)(?=\?|$)")

OutcomeKind = Literal["proxied", "redirect", "local", "error"]


@dataclass
class Upgrade:
    """Whether httpd tunnels the handshake through the chosen worker, and why."""

    enabled: bool
    reason: str
    worker: Worker | None = None
    handler: bool = True
    missing: tuple[str, ...] = ()
    # mod_proxy_wstunnel answers 426 itself
    refused: bool = False
    # whether the backend upgrades depends on the backend
    unsure: bool = False


@dataclass
class Outcome:
    kind: OutcomeKind
    reason: Reason
    cause: Source | None
    cause_text: str | None = None
    status: int | None = None
    location: str | None = None
    url: str | None = None
    mapping: Mapping | None = None
    rule: Rule | None = None
    section: LocationSection | None = None
    upgrade: Upgrade | None = None
    headers: list[tuple[str, str, Source | None]] = field(default_factory=list)
    # the RequestHeader line that last decided the Upgrade header mod_proxy sees (text, line), unless a
    # conditional edit makes that unknown
    upgrade_edit: tuple[str, Source] | None = None
    steps: list[TraceStep] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    path_cause: Source | None = None
    path_cause_kind: PathCause | None = None
    balancer: Balancer | None = None
    rewrite: Applied | None = None

    @property
    def decider(self) -> Node | None:
        if self.rule is not None:
            return self.rule.node
        if self.mapping is not None:
            return self.mapping.node
        return None

    @property
    def backend_path(self) -> str | None:
        if self.url is None:
            return None
        rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?]*", "", self.url)
        return rest if rest.startswith("/") else "/" + rest


def alias_match(uri: str, fake: str) -> int:
    """How many characters of `uri` a ProxyPass path matches (0: none), as mod_proxy's alias_match:
    runs of slashes match runs of slashes, and the last segment must match whole."""
    i = j = 0
    while j < len(fake) and i < len(uri):
        if fake[j] == "/":
            if uri[i] != "/":
                return 0
            while j < len(fake) and fake[j] == "/":
                j += 1
            while i < len(uri) and uri[i] == "/":
                i += 1
        else:
            if uri[i] != fake[j]:
                return 0
            i += 1
            j += 1
    if i == len(uri) and j != len(fake):
        return 0
    if j > 0 and fake[j - 1] != "/" and i < len(uri) and uri[i] != "/":
        return 0
    return i if i > 0 else (1 if fake == "" else 0)


def regsub(template: str, m: re.Match[str]) -> str:
    """ap_pregsub: `$N` and `&` from the match, backslash escapes."""
    out: list[str] = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "\\" and i + 1 < len(template):
            out.append(template[i + 1])
            i += 2
            continue
        if ch == "&":
            out.append(m.group(0))
        elif ch == "$" and i + 1 < len(template) and template[i + 1].isdigit():
            n = int(template[i + 1])
            out.append((m.group(n) or "") if n <= (m.re.groups or 0) else "")
            i += 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def map_url(mapping: Mapping, uri: str) -> str | None:
    """The backend URL a mapping makes of the path (None: it does not match)."""
    if mapping.kind == "regex":
        rx = compile_pattern(mapping.path, False)
        if rx is None:
            raise Unknown(f"the regex of `{mapping.node.text}`")
        m = rx.search(uri)
        if m is None:
            return None
        found = regsub(mapping.url, m)
        # without a back-reference the whole request path is appended
        return found if found != mapping.url else mapping.url + uri
    n = alias_match(uri, mapping.path)
    if n == 0:
        return None
    return mapping.url + uri[n:]


def header_tokens(value: str) -> list[str]:
    """The comma-separated tokens of a header value, lower case."""
    return list(_header_tokens(value))


@functools.lru_cache(maxsize=256)
def _header_tokens(value: str) -> tuple[str, ...]:
    # the same few values (the browsers' Upgrade, the workers' upgrade=) are split for every route
    return tuple(t.strip().lower() for t in value.split(",") if t.strip())


def _redirect_status(word: str) -> bool:
    """Whether the first argument of Redirect / RedirectMatch is its status (else it is the path)."""
    return word.lower() in ("permanent", "temp", "seeother", "gone") or (word.isdigit() and len(word) == 3)


@dataclass
class Context:
    version: tuple[int, ...]
    modules: dict[str, Source] | None
    # what makes every request's answer unknown (mod_macro's `Use`: vhosts wslint does not expand)
    unjudged: tuple[str, ...] = ()
    # where the environment variable force-proxy-request-1.0 is set: mod_proxy_http then forwards no upgrade
    force10: tuple[Source, ...] = ()

    def loaded(self, module: str) -> bool:
        return self.modules is None or module in self.modules


@functools.lru_cache(maxsize=64)
def _request_headers(client: Client, host: str | None) -> dict[str, str]:
    """A browser's handshake headers as httpd gets them (made once: every route asks for the same few)."""
    headers = {k: v for k, v in client.handshake_headers(host or "", "").items() if k not in ("origin",)}
    if host is None:
        headers.pop("host", None)
    return headers


class Router:
    def __init__(self, server: Server, context: Context) -> None:
        self.server = server
        self.ctx = context

    def request(self, client: Client, host: str | None, port: int | None, https: bool) -> dict[str, str]:
        # a copy: the caller may change it
        return dict(_request_headers(client, host))

    def run(
        self,
        uri: str,
        query: str,
        client: Client,
        host: str | None,
        port: int | None,
        https: bool = False,
    ) -> Outcome:
        headers = self.request(client, host, port, https)
        steps: list[TraceStep] = []
        srv = self.server
        uncertain: list[str] = [*self.ctx.unjudged, *srv.unjudged]
        if srv.merge_slashes and "//" in uri:
            # MergeSlashes On: sections, rewrites and ProxyPass all see the path with single slashes
            uri = re.sub("/+", "/", uri)
            steps.append(TraceStep(f"MergeSlashes: the path is matched as {uri}", None))
        # 1. the location sections that match, merged in file order
        matching = self._matching(uri, uncertain)
        access = matching
        section = next((s for s in reversed(matching) if s.mapping is not None), None)
        if matching:
            names = ", ".join(f"<{s.node.name} {' '.join(s.node.args)}> (line {s.node.source.line})" for s in matching)
            steps.append(TraceStep(f"matching sections, merged in order: {names}", matching[-1].node.head))
        # 2. server-context mod_rewrite
        applied: Applied | None = None
        if srv.rewrite_on and srv.rules:
            req = Request(uri, query, host, headers, https, port, srv.names[0][0] if srv.names else "")
            try:
                applied = run_rules(srv.rules, req, lambda p: f"{'https' if https else 'http'}://{host or ''}{p}")
            except Unknown as exc:
                uncertain.append(str(exc))
                return Outcome("local", "unknown", None, steps=steps, uncertain=uncertain)
            steps += [TraceStep(t, s) for t, s in applied.steps]
            if applied.kind == "proxy":
                assert applied.rule is not None and applied.url is not None
                out = Outcome("proxied", "rewrite-proxy", applied.rule.source, url=applied.url, rule=applied.rule)
                out.rewrite = applied
                return self._proxied(out, access, headers, steps, uncertain)
            if applied.kind == "redirect":
                assert applied.rule is not None
                return Outcome(
                    "redirect",
                    "rewrite-redirect",
                    applied.rule.source,
                    applied.rule.node.text,
                    status=applied.status,
                    location=applied.url,
                    rule=applied.rule,
                    steps=steps,
                    uncertain=uncertain,
                    rewrite=applied,
                )
            if applied.kind in ("forbidden", "gone"):
                assert applied.rule is not None
                return Outcome(
                    "local",
                    "rewrite-forbidden",
                    applied.rule.source,
                    applied.rule.node.text,
                    status=applied.status,
                    rule=applied.rule,
                    steps=steps,
                    uncertain=uncertain,
                    rewrite=applied,
                )
            if applied.kind == "path":
                assert applied.rule is not None
                steps.append(TraceStep("a path rewritten without [PT] is served from the file system", None))
                uncertain += srv.file_rules
                out = Outcome(
                    "local",
                    "static",
                    applied.rule.source,
                    applied.rule.node.text,
                    status=404,
                    rule=applied.rule,
                    steps=steps,
                    uncertain=uncertain,
                    rewrite=applied,
                )
                return self._deny(out, matching)
            if applied.kind == "passthrough" and applied.uri is not None:
                uri = applied.uri
                if srv.merge_slashes:
                    uri = re.sub("/+", "/", uri)
                # the sections are walked again for the new path: they decide access
                access = self._matching(uri, [])
        # 3. mod_proxy: the location's mapping, then the server's ProxyPass lines in order
        try:
            chosen = self._mapping(section, uri)
        except Unknown as exc:
            uncertain.append(str(exc))
            return Outcome("local", "unknown", None, steps=steps, uncertain=uncertain)
        if chosen is not None and chosen[0].excluded:
            steps.append(TraceStep(f"`{chosen[0].node.text}`: this path is not proxied", chosen[0].source))
            chosen = None
        if chosen is not None:
            mapping, url = chosen
            if query:
                url += "?" + query
            where = "the section's ProxyPass" if mapping.location is not None else "the first matching ProxyPass"
            steps.append(TraceStep(f"{where} `{mapping.node.text}`: proxied to {url}", mapping.source))
            out = Outcome("proxied", "proxy-pass", mapping.source, url=url, mapping=mapping, section=mapping.location)
            if applied is not None and applied.kind == "passthrough" and applied.rule is not None:
                out.path_cause, out.path_cause_kind = applied.rule.source, "rewrite"
            elif mapping.kind == "prefix" and not mapping.url.rstrip("/").endswith(mapping.path.rstrip("/")):
                out.path_cause, out.path_cause_kind = mapping.source, "proxy-pass"
            return self._proxied(out, access, headers, steps, uncertain)
        # 4. mod_alias redirects (a `ProxyPass !` does not stop them), else the file system
        redirect = self._redirect(uri, query, https, host, uncertain)
        if redirect is not None:
            redirect.steps = steps + redirect.steps
            redirect.uncertain = uncertain
            # answered in the translation phase, before access control
            return redirect
        steps.append(TraceStep("no ProxyPass or RewriteRule proxies this path: httpd serves it from files", None))
        uncertain += srv.file_rules
        out = Outcome("local", "static", None, status=404, steps=steps, uncertain=uncertain, section=section)
        return self._deny(out, access)

    def _matching(self, uri: str, uncertain: list[str]) -> list[LocationSection]:
        """The location sections that match `uri`, in the order httpd merges them (file order)."""
        matching: list[LocationSection] = []
        for s in self.server.locations:
            hit = s.matches(uri)
            if hit is None:
                uncertain.append(
                    f"whether `{s.node.text.splitlines()[0]}` matches (its regex does not compile in Python)"
                )
            elif hit:
                matching.append(s)
                uncertain += [f"what {u} does" for u in s.unknown]
        return matching

    def _deny(self, out: Outcome, matching: list[LocationSection]) -> Outcome:
        """`Require all denied` of the last matching section that sets access: 403 (after the translation
        phase, so redirects win, before any handler, so it beats proxying and the file system)."""
        denied = None
        for s in matching:
            if s.denied is not None:
                denied = s.denied
            elif s.granted:
                denied = None
        if denied is None:
            return out
        out.kind, out.reason, out.status, out.cause, out.cause_text = "local", "deny", 403, denied.source, denied.text
        out.location = None
        out.steps.append(TraceStep(f"`{denied.text}`: 403", denied.source))
        return out

    def _mapping(self, section: LocationSection | None, uri: str) -> tuple[Mapping, str] | None:
        if section is not None and section.mapping is not None:
            # the section's ProxyPass is tried first, with the section's path (a plain prefix unless it
            # holds a wildcard); when it does not match the path, the server's lines are tried
            m = section.mapping
            if m.kind == "regex":
                rx = compile_pattern(m.path, False)
                if rx is None:
                    raise Unknown(f"the regex of `{section.node.text.splitlines()[0]}`")
                if rx.search(uri) is not None:
                    return (m, "") if m.excluded else (m, map_url(m, uri) or "")
            elif alias_match(uri, m.path):
                return (m, "") if m.excluded else (m, m.url + uri[alias_match(uri, m.path) :])
        for m in self.server.mappings:
            if m.excluded:
                hit = (
                    alias_match(uri, m.path) > 0
                    if m.kind == "prefix"
                    else (rx := compile_pattern(m.path, False)) is not None and rx.search(uri) is not None
                )
                if hit:
                    return m, ""
                continue
            url = map_url(m, uri)
            if url is not None:
                return m, url
        return None

    def _redirect(self, uri: str, query: str, https: bool, host: str | None, uncertain: list[str]) -> Outcome | None:
        for n in self.server.redirects:
            args = list(n.args)
            status = 302
            if n.key == "redirectpermanent":
                status = 301
            elif args and n.key in ("redirect", "redirectmatch") and _redirect_status(args[0]):
                word = args.pop(0).lower()
                status = (
                    int(word)
                    if word.isdigit()
                    else {"permanent": 301, "temp": 302, "seeother": 303, "gone": 410}.get(word, 302)
                )
            if not args:
                continue
            target = args[1] if len(args) > 1 else None
            if n.key == "redirectmatch":
                rx = compile_pattern(args[0], False)
                m = rx.search(uri) if rx is not None else None
                if m is None:
                    continue
                location = regsub(target or "", m) if target else None
            else:
                n_match = alias_match(uri, args[0])
                if not n_match:
                    continue
                location = (target or "") + uri[n_match:] if target else None
            if location is not None and location.startswith("/"):
                # a path target is made absolute with the request's scheme and Host (UseCanonicalName Off)
                if host is None:
                    uncertain.append(f"the Location of `{n.text}` (it names the request's host)")
                else:
                    location = f"{'https' if https else 'http'}://{host}{location}"
            if location is not None and query:
                location += "?" + query
            kind: OutcomeKind = "redirect" if 300 <= status < 400 else "local"
            return Outcome(
                kind,
                "alias-redirect",
                n.source,
                n.text,
                status=status,
                location=location,
                steps=[TraceStep(f"`{n.text}`: {status}" + (f" to {location}" if location else ""), n.source)],
            )
        return None

    def _proxied(
        self,
        out: Outcome,
        matching: list[LocationSection],
        headers: dict[str, str],
        steps: list[TraceStep],
        uncertain: list[str],
        access: bool = True,
    ) -> Outcome:
        """What httpd does with a request mod_proxy took; `access=False` leaves out the sections' access rules
        (a route's own upgrade, whoever may reach it)."""
        out.steps, out.uncertain = steps, uncertain
        if access and self._deny(out, matching).reason == "deny":
            return out
        assert out.url is not None
        url = out.url
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        uncertain += self._unfollowed(url, scheme)
        if scheme == "balancer":
            if not self.ctx.loaded("proxy_balancer_module"):
                return self._no_handler(out, scheme, ("proxy_balancer_module",))
            name = "balancer://" + url.split("://", 1)[1].split("/", 1)[0].lower()
            bal = self.server.balancers.get(name)
            if bal is None or not bal.members:
                out.kind, out.reason, out.status = "error", "no-member", 503
                steps.append(TraceStep(f"{name} has no member: 503", out.cause))
                return out
            out.balancer = bal
            alive = [m for m in bal.members if not self.check_fails(m, out)]
            if not alive:
                hc = bal.members[0]
                out.kind, out.reason, out.status = "error", "balancer-down", 503
                out.cause, out.cause_text = hc.node.source, hc.node.text
                steps.append(
                    TraceStep(
                        f"every member of {bal.name} fails its health check (`{hc.params.get('hcmethod')} "
                        f"{hc.params.get('hcuri', '/')}`): 503",
                        hc.node.source,
                    )
                )
                return out
            member = alive[0]
            rest = url.split("://", 1)[1]
            rest = rest[rest.find("/") :] if "/" in rest else ""
            url = member.name.rstrip("/") + rest
            out.url = url
            scheme = url.split("://", 1)[0].lower()
            steps.append(TraceStep(f"balancer member {member.name}: {url}", member.node.source))
        handlers = HANDLERS.get(scheme)
        if handlers is None:
            uncertain.append(f"what httpd does with a {scheme}:// URL")
            return out
        if self.ctx.version < UPGRADE_PARAM_SINCE and scheme in ("ws", "wss"):
            handlers = ("proxy_wstunnel_module",)
        if not any(self.ctx.loaded(h) for h in handlers):
            return self._no_handler(out, scheme, handlers)
        client_upgrade = self._headers(headers, matching, out)
        tokens = header_tokens(client_upgrade)
        authority = _AUTHORITY.match(url)
        if authority is not None:
            host_port = authority.group(1).rsplit("@", 1)[-1]
            port_text = host_port.rsplit("]", 1)[-1].rpartition(":")[2] if ":" in host_port else ""
            if ":" in host_port.rsplit("]", 1)[-1] and not port_text.isdigit():
                if scheme in ("ws", "wss") and tokens != ["websocket"] and self.tunnel_handler(scheme) == "wstunnel":
                    # mod_proxy_wstunnel refuses a request that is no WebSocket handshake first
                    out.kind, out.reason, out.status = "local", "upgrade-refused", 426
                    out.upgrade = Upgrade(False, "mod_proxy_wstunnel refuses it with 426", None, refused=True)
                    steps.append(TraceStep(f"`Upgrade: {client_upgrade}` is no WebSocket handshake: 426", out.cause))
                    return out
                # `ProxyPass /ws/ http://127.0.0.1:3000` makes /ws/x into http://127.0.0.1:3000x
                out.kind, out.reason, out.status = "error", "bad-url", 500
                steps.append(TraceStep(f"{url} is no valid URL (its port is `{port_text}`): 500", out.cause))
                return out
            # the host the configuration names, where the URL's literal part shows it whole
            literal = VARIABLE.split(out.mapping.url if out.mapping is not None else "", maxsplit=1)[0]
            named = _NAMED_HOST.match(literal)
            bare = _BARE_HOST.fullmatch(literal)
            if named is None and bare is not None and authority.group(1) != bare.group(1):
                uncertain.append(f"which host {url} names (the ProxyPass URL has no path, so the path joins the host)")
        # the worker is looked up by the canonical URL: an empty path is `/`, the query counts
        canonical = _EMPTY_PATH.sub(r"\1/", url)
        worker = out.balancer.members[0] if out.balancer is not None else self.server.worker_for(canonical)
        out.upgrade = self._upgrade(scheme, worker, client_upgrade, uncertain)
        if out.upgrade.unsure:
            uncertain.append(f"whether the backend upgrades: {out.upgrade.reason}")
        steps.append(TraceStep(out.upgrade.reason, worker.node.source if worker is not None else None))
        if out.upgrade.refused:
            out.kind, out.reason, out.status = "local", "upgrade-refused", 426
        return out

    def _unfollowed(self, url: str, scheme: str) -> list[str]:
        """What wslint does not follow about proxying to `url`: access checks of the `<Proxy>` sections that
        may cover it, a balancer member's health-check template, TLS to the backend without
        SSLProxyEngine, the force-proxy-request-1.0 variable."""
        out: list[str] = []
        folded = url.lower()
        for target, node in self.server.proxy_sections:
            covers = node.key == "proxymatch" or any(c in target for c in "*?[") or folded.startswith(target.lower())
            if not covers:
                continue
            for child in node.children or []:
                why = access_unknown(child)
                if why is not None:
                    out.append(f"{why} (in `<{node.name} {target}>`)")
        if scheme == "balancer":
            name = "balancer://" + url.split("://", 1)[1].split("/", 1)[0].lower()
            bal = self.server.balancers.get(name)
            for m in bal.members if bal is not None else []:
                if "hctemplate" in m.params:
                    out.append(f"the health check of `{m.node.text}` (its hctemplate= is not followed)")
        if scheme in ("https", "wss") and not self.server.ssl_proxy:
            out.append(f"whether httpd talks TLS to {url} (no `SSLProxyEngine On` is visible for this server)")
        out += [f"what force-proxy-request-1.0 (set at {src}) does to the upgrade" for src in self.ctx.force10]
        return out

    def _no_handler(self, out: Outcome, scheme: str, handlers: tuple[str, ...]) -> Outcome:
        out.kind, out.reason, out.status = "error", "no-handler", 500
        out.upgrade = Upgrade(False, f"no loaded module handles {scheme}:// URLs", handler=False, missing=handlers)
        out.steps.append(
            TraceStep(f"no protocol handler for {scheme}:// (load {' or '.join(handlers)}): 500 (AH01144)", out.cause)
        )
        return out

    def _headers(self, headers: dict[str, str], matching: list[LocationSection], out: Outcome) -> str:
        """The Upgrade header mod_proxy sees after RequestHeader edits."""
        value = headers.get("upgrade", "")
        edits = [*self.server.headers, *(h for s in matching for h in s.headers)]
        known = True
        for n in edits:
            args = [a for a in n.args if a.lower() not in ("early",)]
            if len(args) >= 2 and args[1].lower() == "upgrade":
                action = args[0].lower()
                if any(a.lower().startswith(("env=", "expr=")) for a in args[2:]):
                    # a condition (or an expression value) wslint does not evaluate
                    out.uncertain.append(f"what `{n.text}` at {n.source} makes of Upgrade")
                    known = False
                elif action == "unset":
                    value = ""
                elif action in ("set", "setifempty") and len(args) >= 3:
                    value = args[2] if action == "set" or not value else value
                elif action in ("append", "merge", "add") and len(args) >= 3:
                    value = f"{value}, {args[2]}" if value else args[2]
                else:
                    out.uncertain.append(f"what `{n.text}` at {n.source} makes of Upgrade")
                    known = False
                out.headers.append(("Upgrade", value, n.source))
                out.upgrade_edit = (n.text, n.source) if known else None
        return value

    def tunnel_handler(self, scheme: str) -> str | None:
        """Which module handles a ws:// or wss:// URL: "http" (mod_proxy_http, 2.4.47 and later, unless
        ProxyWebsocketFallbackToProxyHttp Off hands it to a loaded mod_proxy_wstunnel), "wstunnel", or
        None when it depends on modules wslint cannot see."""
        if scheme not in ("ws", "wss"):
            return "http"
        if self.ctx.version < UPGRADE_PARAM_SINCE:
            return "wstunnel"
        if self.ctx.modules is None:
            return None
        http = "proxy_http_module" in self.ctx.modules
        wstunnel = "proxy_wstunnel_module" in self.ctx.modules
        if http and (self.server.ws_fallback or not wstunnel):
            return "http"
        return "wstunnel"

    def _upgrade(self, scheme: str, worker: Worker | None, client_upgrade: str, uncertain: list[str]) -> Upgrade:
        """Whether the backend gets a WebSocket handshake (measured on 2.4.71 for every combination of the
        client's Upgrade, after RequestHeader edits, and the worker's `upgrade=`)."""
        tokens = header_tokens(client_upgrade)
        if scheme not in ("http", "https", "ws", "wss"):
            return Upgrade(False, f"{scheme}:// cannot carry a WebSocket", worker)
        if scheme in ("http", "https") and self.ctx.version < UPGRADE_PARAM_SINCE:
            return Upgrade(False, "httpd before 2.4.47 tunnels WebSockets only to ws:// URLs", worker)
        if len(tokens) > 1:
            uncertain.append(f"what httpd does with `Upgrade: {client_upgrade}` (more than one protocol)")
            return Upgrade(False, f"the request asks to upgrade to `{client_upgrade}`", worker)
        param = worker.upgrade if worker is not None else None
        handler = self.tunnel_handler(scheme)
        if handler is None:
            verdicts = {
                (u.enabled, u.refused)
                for u in (self._by_http(scheme, worker, param, tokens), self._by_wstunnel(worker, param, tokens))
            }
            if len(verdicts) > 1:
                uncertain.append(
                    f"whether mod_proxy_http or mod_proxy_wstunnel tunnels {scheme}:// (no LoadModule line is visible)"
                )
            return self._by_http(scheme, worker, param, tokens)
        if handler == "http":
            return self._by_http(scheme, worker, param, tokens)
        return self._by_wstunnel(worker, param, tokens)

    @staticmethod
    def _by_http(scheme: str, worker: Worker | None, param: str | None, tokens: list[str]) -> Upgrade:
        """mod_proxy_http forwards the client's Upgrade when the worker's `upgrade=` list (default
        `WebSocket` for ws:// and wss://, none for http://) names it, is `*` or `ANY`; else it drops it."""
        if tokens != ["websocket"]:
            what = f"`Upgrade: {tokens[0]}`" if tokens else "no `Upgrade`"
            return Upgrade(False, f"the request carries {what}, not websocket", worker)
        wanted = param if param else ("WebSocket" if scheme in ("ws", "wss") else "")
        allowed = header_tokens(wanted)
        if "*" in allowed or "any" in allowed or "websocket" in allowed:
            why = f"worker {worker.name} has upgrade={param}" if param and worker else f"{scheme}:// URL"
            return Upgrade(True, f"{why}: httpd tunnels the WebSocket", worker)
        if param:
            why = f"worker {worker.name if worker else ''} has upgrade={param}, which does not name websocket"
        elif worker is None:
            why = f"no worker is defined for this {scheme}:// URL (the default worker has no upgrade=)"
        else:
            why = f"worker {worker.name} has no upgrade=websocket"
        return Upgrade(False, why + ": mod_proxy_http drops Upgrade and the backend gets a plain GET", worker)

    @staticmethod
    def _by_wstunnel(worker: Worker | None, param: str | None, tokens: list[str]) -> Upgrade:
        """mod_proxy_wstunnel answers 426 itself unless the worker's `upgrade=` list (default `WebSocket`)
        names the client's protocol, is `*` or `ANY`, and sends the backend `Upgrade: <that list>`
        (`*` for ANY), so only a list that is exactly `websocket` reaches it as a WebSocket handshake."""
        wanted = param if param else "WebSocket"
        allowed = header_tokens(wanted)
        if not tokens or not ({"*", "any"} & set(allowed) or tokens[0] in allowed):
            what = f"`Upgrade: {tokens[0]}`" if tokens else "a request without Upgrade"
            return Upgrade(
                False,
                f"mod_proxy_wstunnel refuses {what} with 426 (upgrade={wanted} does not allow it)",
                worker,
                refused=True,
            )
        sent = "*" if allowed == ["any"] else wanted
        if header_tokens(sent) == ["websocket"]:
            return Upgrade(True, f"mod_proxy_wstunnel tunnels the WebSocket (it sends `Upgrade: {sent}`)", worker)
        return Upgrade(
            False,
            f"mod_proxy_wstunnel sends the backend `Upgrade: {sent}` (the worker's upgrade=), not websocket",
            worker,
            # a list that names websocket among others: the backend decides
            unsure="websocket" in header_tokens(sent),
        )

    def check_fails(self, member: Worker, out: Outcome | None = None) -> bool:
        """An active health check the member cannot pass: a plain request to a WebSocket path."""
        if not self.ctx.loaded("proxy_hcheck_module") or self.ctx.modules is None:
            return False
        method = member.params.get("hcmethod", "TCP").upper()
        if method not in CHECK_METHODS or "hcexpr" in member.params:
            return False
        path = member.params.get("hcuri", "/").split("?", 1)[0]
        signal = path_signal(path)
        return signal is not None and signal[0] == "strong"

    def idle(self, worker: Worker | None) -> tuple[float, Source | None, str]:
        """The tunnel's idle limit, the line that sets it (None: httpd's default) and how it reads."""
        front, front_node = self.server.timeout
        back: tuple[float, Node | None, str]
        if worker is not None and worker.timeout is not None:
            back = (worker.timeout, worker.node, f"timeout={worker.params['timeout']}")
        elif self.server.proxy_timeout is not None:
            value, node = self.server.proxy_timeout
            back = (value, node, node.text)
        else:
            back = (front, front_node, front_node.text if front_node else f"Timeout {int(DEFAULT_TIMEOUT)}")
        front_t = (front, front_node, front_node.text if front_node else f"Timeout {int(DEFAULT_TIMEOUT)}")
        if self.ctx.version >= MAX_TIMEOUTS_SINCE:
            pick = back if back[0] >= front else front_t
        else:
            pick = back if back[0] <= front else front_t
        return pick[0], pick[1].source if pick[1] is not None else None, pick[2]
