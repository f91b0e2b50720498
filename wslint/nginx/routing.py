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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from wslint.clients import Client
from wslint.endpoints import Endpoint
from wslint.model import (
    EndpointOutcome,
    EndpointResult,
    Listener,
    PathCause,
    Reason,
    Route,
    ServerName,
    Source,
    TraceStep,
    UpstreamRequest,
)
from wslint.nginx.access import access_unknowns, method_unknown
from wslint.nginx.evaluate import Evaluator, SimRequest, compile_regex
from wslint.nginx.locations import (
    PASS_DIRECTIVES,
    BadRequest,
    LocationInfo,
    location_info,
    normalize_uri,
    select,
)
from wslint.nginx.tree import Directive
from wslint.nginx.upstreams import is_address, split_pass

if TYPE_CHECKING:
    from wslint.nginx.build import NginxModel

MAX_CYCLES = 10
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
FILE_TESTS = {"-f": False, "-d": False, "-e": False, "-x": False}
# the bytes ngx_escape_uri (nginx 1.21.1 and later) escapes: NGX_ESCAPE_URI for the path
# nginx passes upstream, NGX_ESCAPE_ARGS for regex captures copied into a rewrite's arguments
# or redirect. Text holds bytes as UTF-8, other bytes as surrogates (see normalize_uri).
_ESCAPE_URI = frozenset(range(0x21)) | frozenset(b'"#%<>?\\^`{|}') | frozenset(range(0x7F, 0x100))
_ESCAPE_ARGS = _ESCAPE_URI | frozenset(b"&+;")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def escape_uri(text: str, escaped: frozenset[int] = _ESCAPE_URI) -> str:
    """What ngx_escape_uri makes of a decoded URI: the listed bytes become %XX (upper case)."""
    return _text(b"".join(b"%%%02X" % b if b in escaped else bytes([b]) for b in _bytes(text)))


def unescape_redirect(text: str) -> str:
    """ngx_unescape_uri(NGX_UNESCAPE_REDIRECT), which nginx applies to the Location a rewrite
    builds: up to the first "?" (written or decoded from %3F, after which all is kept as is),
    %XX of a printable character above "%" is decoded, any other %XX is kept, and a malformed
    escape loses its "%"."""
    raw = _bytes(text)
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == 0x3F:
            out += raw[i:]
            break
        if ch != 0x25:
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            break
        if raw[i + 1] not in _HEX:
            out.append(raw[i + 1])
            i += 2
            continue
        if i + 2 >= n:
            break
        if raw[i + 2] not in _HEX:
            i += 3
            continue
        value = int(raw[i + 1 : i + 3], 16)
        if value == 0x3F:
            out += b"?" + raw[i + 3 :]
            break
        out += bytes([value]) if 0x25 < value < 0x7F else raw[i : i + 3]
        i += 3
    return _text(bytes(out))


def _setting(block: Directive | None, name: str) -> str | None:
    """The first argument of the nearest `name` from `block` outwards (location, server, http)."""
    while block is not None:
        d = block.first(name) if block.children is not None else None
        if d is not None and d.args:
            return d.args[0]
        block = block.parent
    return None


@dataclass
class _State:
    uri: str
    args: str
    target: str
    # the request target had %XX in its path (nginx's quoted_uri)
    quoted: bool = False
    # the URI was changed inside nginx (a rewrite, an internal redirect)
    internal: bool = False
    unparsed_valid: bool = True
    location_valid: bool = True
    uri_changed: bool = False
    path_cause: Source | None = None
    uncertain: list[str] = field(default_factory=list)
    steps: list[TraceStep] = field(default_factory=list)
    matched_ifs: list[Directive] = field(default_factory=list)
    # the try_files line whose fallback URI is being served (that file exists)
    fallback_from: Source | None = None
    path_cause_kind: PathCause | None = None
    server_cause: Source | None = None
    server_reason: str | None = None
    # what nginx needs to make a redirect's Location absolute
    scheme: str = "http"
    port: int = 80
    redirect_host: str = ""
    server_name: str = ""
    # error_page: used once per request; the status it forces on what the page answers
    error_page_used: bool = False
    forced_status: int | None = None
    forced_cause: Source | None = None

    def step(self, text: str, source: Source | None = None) -> None:
        self.steps.append(TraceStep(text, source))


def _directive_of(kind: PathCause | None) -> str | None:
    """The directive that makes a path cause, as nginx spells it."""
    return kind.replace("-", "_") if kind is not None else None


@dataclass(frozen=True)
class _Respond:
    status: int
    location: str | None
    cause: Source
    reason: Reason
    text: str | None = None


Flow = _Respond | Literal["last", "break"] | None


@dataclass(frozen=True)
class ServerChoice:
    server: Directive
    listener: Listener
    reason: str
    source: Source | None
    # why the choice may be another server for some clients
    uncertain: str | None = None
    # the server_name regex that chose the server (its captures are variables)
    regex: str | None = None


WILDCARD_ADDRESSES = (None, "[::]")
REGEX_OPERATORS = ("~", "~*", "!~", "!~*")


_ARG_VARIABLE = re.compile(r"\$\{?arg_([A-Za-z0-9_]+)")


def _arg_names(servers: list[tuple[Directive, Listener]]) -> set[str]:
    """The NAMEs of the $arg_NAME variables the configuration uses."""
    top = servers[0][0] if servers else None
    while top is not None and top.parent is not None:
        top = top.parent
    if top is None:
        return set()
    return {m.group(1) for d in top.walk() for a in d.args for m in _ARG_VARIABLE.finditer(a)}


def _arg(args: str, name: str) -> str:
    """$arg_NAME: the value of the first NAME=value in the arguments (the name in any case)."""
    for part in args.split("&"):
        key, eq, value = part.partition("=")
        if eq and key.lower() == name.lower():
            return value
    return ""


def _capture_names(servers: list[tuple[Directive, Listener]]) -> set[str]:
    """$1..$9 and the named captures of the servers' regexes (server_name, location, rewrite,
    if), which nginx defines as variables for the whole configuration."""
    found: list[tuple[str, bool]] = []
    for server, _ in servers:
        for d in server.walk():
            if d.name == "server_name":
                found += [(a[1:], True) for a in d.args if a.startswith("~")]
            elif d.name == "location":
                info = location_info(d)
                if info.is_regex:
                    found.append((info.name, info.modifier == "~*"))
            elif d.name == "rewrite" and d.args:
                found.append((d.args[0], False))
            elif d.name == "if" and len(d.args) == 3 and d.args[1] in REGEX_OPERATORS:
                found.append((d.args[2], "*" in d.args[1]))
    names = {str(i) for i in range(1, 10)}
    for rx, caseless in found:
        compiled = compile_regex(rx, caseless)
        if compiled is not None:
            names |= set(compiled.groupindex)
    return names


def hashed_names(cands: list[tuple[Directive, Listener]]) -> dict[str, list[ServerName]]:
    """The server_names nginx keeps for each server of one address:port, by listener id.

    A name an earlier server already has is ignored ("conflicting server name"), and
    `.example.com` takes both the exact `example.com` and the wildcard `*.example.com`: it is
    ignored whole when either was taken, and blocks both for the servers after it.
    """
    exact: set[str] = set()
    head: set[str] = set()
    tail: set[str] = set()
    kept: dict[str, list[ServerName]] = {}
    for _, li in cands:
        mine = kept.setdefault(li.id, [])
        for n in li.server_names:
            name = n.name.lower()
            if n.kind == "regex":
                mine.append(n)
                continue
            if name.startswith("."):
                if name[1:] in exact:
                    continue
                exact.add(name[1:])
                if name[1:] in head:
                    continue
                head.add(name[1:])
            elif name.startswith("*."):
                if name[2:] in head:
                    continue
                head.add(name[2:])
            elif name.endswith(".*"):
                if name[:-2] in tail:
                    continue
                tail.add(name[:-2])
            else:
                if name in exact:
                    continue
                exact.add(name)
            mine.append(n)
    return kept


def wildcard_matches(mask: str, host: str) -> bool:
    """Whether a server_name wildcard covers `host` (nginx lets `*` stand for an empty label)."""
    mask = mask.lower()
    if mask.startswith("."):
        return host == mask[1:] or host.endswith(mask)
    if mask.startswith("*."):
        return host.endswith(mask[1:])
    if mask.endswith(".*"):
        return host.startswith(mask[:-1])
    return False


class Router:
    def __init__(self, builder: NginxModel, servers: list[tuple[Directive, Listener]]) -> None:
        self.b = builder
        self.servers = servers
        self.capture_names = _capture_names(servers)
        self.arg_names = _arg_names(servers)

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

    @staticmethod
    def by_address(
        cands: list[tuple[Directive, Listener]], host: str, port: int
    ) -> tuple[list[tuple[Directive, Listener]], str | None]:
        """The servers nginx chooses among: those listening on the address the client connected
        to (or, without any, those on the wildcard address). wslint knows that address only when
        the endpoint's host is an IP address; otherwise the choice is uncertain when the servers
        on the port listen on different addresses."""

        def addresses(li: Listener) -> set[str | None]:
            return {a.host for a in li.addresses if a.port == port}

        every = set().union(*(addresses(li) for _, li in cands))
        if every <= set(WILDCARD_ADDRESSES):
            return cands, None
        literal = host if is_address(host) else None
        if literal is not None:
            literal = f"[{literal}]" if ":" in literal else literal
            group = [c for c in cands if literal in addresses(c[1])]
            wildcard = "[::]" if literal.startswith("[") else None
            group = group or [c for c in cands if wildcard in addresses(c[1])]
            return group or cands, None
        if len(every) == 1:
            return cands, None
        shown = ", ".join(sorted(a or "*" for a in every))
        return cands, (
            f"the servers on port {port} listen on different addresses ({shown}): nginx chooses among "
            f"those listening on the address {host} resolves to"
        )

    def select_server(self, cands: list[tuple[Directive, Listener]], host: str, port: int | None) -> ServerChoice:
        uncertain: str | None = None
        if port is not None and any(a.port == port for _, li in cands for a in li.addresses):
            cands, uncertain = self.by_address(cands, host, port)
        choice = self._select_server(cands, host, port)
        return replace(choice, uncertain=uncertain) if uncertain else choice

    def _select_server(self, cands: list[tuple[Directive, Listener]], host: str, port: int | None) -> ServerChoice:
        h = host.lower().rstrip(".")
        kept = hashed_names(cands)
        for s, li in cands:
            for n in kept[li.id]:
                if n.kind == "exact" and n.name.lower() == h:
                    return ServerChoice(s, li, f"server_name {n.name} is the exact Host", n.source)
                if n.name.startswith(".") and n.name[1:].lower() == h:
                    return ServerChoice(s, li, f"server_name {n.name} covers {h} exactly", n.source)
        for kind, word in (("wildcard_start", "leading"), ("wildcard_end", "trailing")):
            best: tuple[int, Directive, Listener, str, Source] | None = None
            for s, li in cands:
                for n in kept[li.id]:
                    if n.kind == kind and wildcard_matches(n.name, h) and (best is None or len(n.name) > best[0]):
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
            for n in kept[li.id]:
                if n.kind == "regex":
                    rx = compile_regex(n.name[1:], True)
                    if rx is not None and rx.search(h):
                        reason = f"server_name {n.name} is the first regex matching {h}"
                        return ServerChoice(s, li, reason, n.source, regex=n.name)
        for s, li in cands:
            for a in li.addresses:
                if a.default_server and (port is None or a.port == port):
                    return ServerChoice(s, li, f"no server_name matches {h}: the port's default_server", a.source)
        s, li = cands[0]
        return ServerChoice(
            s, li, f"no server_name matches {h}: the first server on the port is its default", li.source
        )

    # -- evaluation helpers ----------------------------------------------------

    @staticmethod
    def server_name(listener: Listener) -> str:
        """$server_name: the server's first name, lower-case (`.example.com` without the dot)."""
        name = next((n.name for n in listener.server_names), "")
        if name.startswith("~"):
            return name
        return name.lower()[1:] if name.startswith(".") else name.lower()

    def _evaluator(self, request: SimRequest, listener: Listener) -> Evaluator:
        return Evaluator(self.b.maps, request, {}, None, self.server_name(listener))

    def port_default(self, endpoint: Endpoint) -> tuple[Directive, Listener, str | None] | None:
        """The default server of the endpoint's port (and why it may be another one). nginx parses
        the request line and checks the Host header with its settings, before the Host header
        chooses a server."""
        port = endpoint.effective_port
        if endpoint.host is None or port is None:
            return None
        cands, _ = self.candidates(endpoint)
        if not any(a.port == port for _, li in cands for a in li.addresses):
            return None
        cands, uncertain = self.by_address(cands, endpoint.host, port)
        server, listener = next(
            ((s, li) for s, li in cands for a in li.addresses if a.port == port and a.default_server),
            cands[0],
        )
        return server, listener, uncertain

    @staticmethod
    def _captures(ev: Evaluator, m: re.Match[str] | None) -> None:
        """$1..$9 and named captures after a regex ran: a match sets them (a regex without
        groups clears $1..$9), and so does a `rewrite` or `if` regex that does not match (a
        location or server_name regex that fails changes nothing)."""
        for i in range(1, 10):
            ev.overrides[str(i)] = (m.group(i) or "") if m is not None and i <= m.re.groups else ""
        for k, v in m.groupdict().items() if m is not None else ():
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
                self._captures(ev, m)
                return (m is not None) != op.startswith("!")
        return None

    # -- rewrite module --------------------------------------------------------

    def _sync(self, ev: Evaluator, st: _State) -> None:
        """$uri, $args, $arg_NAME and friends follow the URI as rewrites and redirects change it."""
        ev.overrides.update(
            uri=st.uri,
            document_uri=st.uri,
            args=st.args,
            query_string=st.args,
            is_args="?" if st.args else "",
        )
        for name in self.arg_names:
            ev.overrides[f"arg_{name}"] = _arg(st.args, name)

    @staticmethod
    def _absolute(st: _State, block: Directive | None, location: str | None) -> str | None:
        """The Location header nginx sends for `location`: a path becomes an absolute URL
        (absolute_redirect, server_name_in_redirect and port_in_redirect as configured)."""
        if location is None or not location.startswith("/") or _setting(block, "absolute_redirect") == "off":
            return location
        host = st.redirect_host
        if _setting(block, "server_name_in_redirect") == "on":
            host = st.server_name
        default = 443 if st.scheme == "https" else 80
        port = "" if st.port == default or _setting(block, "port_in_redirect") == "off" else f":{st.port}"
        return f"{st.scheme}://{host}{port}{location}"

    def _return(self, d: Directive, ev: Evaluator, st: _State) -> _Respond | None:
        first = d.args[0] if d.args else ""
        if first.isdigit():
            code = int(first)
            text = ev.value(d.args[1]) if len(d.args) > 1 else None
            if code in REDIRECT_CODES:
                location = self._absolute(st, d.parent, text)
                return _Respond(code, location, d.source, "return-redirect", d.text())
            return _Respond(code, None, d.source, "return", d.text())
        target = ev.value(first)
        return _Respond(302, target, d.source, "return-redirect", d.text())

    def _rewrite(self, d: Directive, ev: Evaluator, st: _State) -> Flow | Literal["skip"]:
        if len(d.args) < 2:
            return "skip"
        rx = compile_regex(d.args[0], False)
        if rx is None:
            st.uncertain.append(f"the regex of the rewrite at {d.source} cannot be evaluated")
            return "skip"
        m = rx.search(st.uri)
        if m is None:
            self._captures(ev, None)
            st.step(f"rewrite {d.args[0]} does not match {st.uri}", d.source)
            return "skip"
        self._captures(ev, m)
        replacement = d.args[1]
        flag = d.args[2] if len(d.args) > 2 else ""
        # a final "?" drops the request's arguments; otherwise they follow the new ones.
        # Only a "?" written in the replacement starts arguments, never one from a capture.
        add_args = not replacement.endswith("?")
        template = replacement if add_args else replacement[:-1]
        uri_part, has_q, args_part = template.partition("?")
        redirect = flag in ("redirect", "permanent") or replacement.startswith(("http://", "https://", "$scheme"))
        uri_value = self._with_captures(uri_part, ev, st, m) if redirect else ev.value(uri_part)
        args_value = self._with_captures(args_part, ev, st, m) if has_q else ""
        if uri_value is None or args_value is None:
            st.uncertain.append(f"the replacement of the rewrite at {d.source} depends on unknown values")
            return "skip"
        if redirect:
            code = 301 if flag == "permanent" else 302
            value = unescape_redirect(uri_value + (f"?{args_value}" if has_q else ""))
            if add_args and st.args:
                value += ("&" if has_q else "?") + st.args
            value = self._absolute(st, d.parent, value) or value
            st.step(f"rewrite {d.args[0]} -> {value} answers {code}", d.source)
            return _Respond(code, value, d.source, "rewrite-redirect", d.text())
        new_uri = uri_value
        if has_q:
            st.args = args_value + (f"&{st.args}" if st.args and add_args else "")
        elif not add_args:
            st.args = ""
        st.uri = new_uri
        st.internal = True
        st.unparsed_valid = False
        st.path_cause, st.path_cause_kind = d.source, "rewrite"
        self._sync(ev, st)
        st.step(f"rewrite {d.args[0]} changes the URI to {new_uri}" + (f" ({flag})" if flag else ""), d.source)
        if flag == "last":
            return "last"
        if flag == "break":
            st.location_valid = False
            return "break"
        st.uri_changed = True
        return None

    def _with_captures(self, text: str, ev: Evaluator, st: _State, m: re.Match[str]) -> str | None:
        """A rewrite's redirect or new arguments: nginx escapes the regex captures copied there
        when the request target was percent-encoded or had a `+`."""
        if not (st.quoted or "+" in st.target.split("?", 1)[0]):
            return ev.value(text)
        saved = dict(ev.overrides)
        for key, value in list(ev.overrides.items()):
            if value is not None and (key.isdigit() or key in m.re.groupindex):
                ev.overrides[key] = escape_uri(value, _ESCAPE_ARGS)
        try:
            return ev.value(text)
        finally:
            ev.overrides = saved

    def _rewrite_phase(self, block: Directive, ev: Evaluator, st: _State) -> Flow:
        for d in block.children or ():
            self._sync(ev, st)
            if d.name == "set" and len(d.args) >= 2 and d.args[0].startswith("$"):
                value = ev.value(d.args[1])
                ev.overrides[d.args[0][1:]] = value
                if d.args[0][1:] == "args" and value is not None:
                    # the request target is no longer passed as it came
                    st.args = value
                    st.unparsed_valid = False
            elif d.name == "return":
                r = self._return(d, ev, st)
                if r is not None:
                    st.step(f"return {' '.join(d.args)}", d.source)
                    return r
            elif d.name == "rewrite":
                flow = self._rewrite(d, ev, st)
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
                    inner = self._rewrite_phase(d, ev, st)
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
                choice = ServerChoice(cands[0][0], cands[0][1], "a bare path is checked in every server", None)
            else:
                choice = self.select_server(cands, endpoint.host, endpoint.effective_port)
        server, listener = choice.server, choice.listener
        scheme = endpoint.http_scheme
        port = endpoint.effective_port or (listener.addresses[0].port if listener.addresses else 80)
        if endpoint.host is None and any(a.ssl for a in listener.addresses if a.port == port):
            # a bare path names no scheme: on a TLS listener the client speaks TLS
            scheme = "https"
        host_header = endpoint.host_header or next(
            (n.name for n in listener.server_names if n.kind == "exact" and n.name), "localhost"
        )
        first, first_listener, first_uncertain = self.port_default(endpoint) or (server, listener, None)
        bad: str | None = None
        try:
            uri = normalize_uri(endpoint.path, _setting(first, "merge_slashes") != "off")
        except BadRequest:
            uri = endpoint.path
            bad = f"{endpoint.path} climbs above the root"
        host = endpoint.host or ""
        if ".." in host or (endpoint.host is not None and not host.rstrip(".")):
            bad = f"the Host header {host} is not a valid name"
        if bad is not None:
            st = _State(uri, endpoint.query, endpoint.target)
            st.uncertain = [first_uncertain] if first_uncertain else []
            st.steps = [
                *steps_prefix,
                TraceStep(f"{bad}: nginx answers 400 before choosing a server", first_listener.source),
            ]
            rejected = _Respond(400, None, first_listener.source, "bad-request")
            return self._finish(endpoint, client, first_listener, None, st, rejected)
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
        # $request_uri is the request target as the client sent it, never normalized;
        # $host is the Host header's name, lower-case, without a final dot
        ev.overrides["request_uri"] = endpoint.target
        ev.overrides["host"] = request.host.rstrip(".") or ev.server_name
        st = _State(uri, endpoint.query, endpoint.target, quoted="%" in endpoint.path)
        st.scheme, st.port, st.redirect_host = scheme, port, request.host.rstrip(".")
        st.server_name = ev.server_name
        st.steps.extend(steps_prefix)
        if choice.uncertain:
            st.uncertain.append(choice.uncertain)
        st.step(f"server {listener.label}: {choice.reason}", choice.source or listener.source)
        st.server_cause = choice.source or listener.source
        st.server_reason = choice.reason
        # regex captures are variables nginx knows everywhere: empty until a regex sets them
        ev.overrides.update(dict.fromkeys(self.capture_names, ""))
        if choice.regex is not None:
            rx = compile_regex(choice.regex[1:], True)
            m = rx.search((endpoint.host or "").rstrip(".")) if rx is not None else None
            if m is not None:
                self._captures(ev, m)
        named: Directive | None = None
        route: Route | None = None
        # an internal redirect: the server's rewrite directives run again, and the location
        # is valid again after `rewrite ... break`
        restart = True
        for cycle in range(MAX_CYCLES + 1):
            st.matched_ifs = []
            answer: _Respond | UpstreamRequest | None = None
            block = server
            server_level = False
            if restart:
                restart = False
                st.location_valid = True
                flow = self._rewrite_phase(server, ev, st)
                if isinstance(flow, _Respond):
                    when = "before any location is chosen" if cycle == 0 else "again after the internal redirect"
                    st.step(f"the server's rewrite directives run {when}", flow.cause)
                    answer, server_level, route = flow, True, None
            loc: LocationInfo | None = None
            if answer is None and named is not None:
                loc, named = location_info(named), None
            elif answer is None:
                sel = select(server, st.uri)
                for line in sel.trail:
                    st.step(line, None)
                loc = sel.location
                if sel.outcome == "redirect" and loc is not None and self._external(loc, st):
                    answer = _Respond(404, None, loc.directive.source, "internal")
                    route, block, loc = self.b.route_for(loc.directive), loc.directive, None
                elif sel.outcome == "redirect" and loc is not None:
                    # nginx redirects to the location's name, with the arguments
                    target = self._absolute(st, loc.directive, loc.name + (f"?{st.args}" if st.args else ""))
                    st.step(f"location {loc.name} answers 301 to {loc.name}", loc.directive.source)
                    answer = _Respond(301, target, loc.directive.source, "auto-redirect")
                    route, block, loc = self.b.route_for(loc.directive), loc.directive, None
                elif loc is None:
                    st.step(
                        f"no location matches {st.uri}: the server's own settings answer (static files)",
                        server.source,
                    )
                    answer, route = _Respond(404, None, server.source, "no-location"), None
            if loc is not None:
                route, block = self.b.route_for(loc.directive), loc.directive
                st.step(f"location {loc.modifier + ' ' if loc.modifier else ''}{loc.name}", loc.directive.source)
                answer, goes_on = self._location(loc, ev, st, request, server, route)
                block = st.matched_ifs[-1] if st.matched_ifs else loc.directive
                if goes_on == "again":
                    continue
                if isinstance(goes_on, Directive):
                    # a named location: its own rewrite directives run, then its content
                    named = goes_on
                    continue
                if goes_on == "restart":
                    restart = True
                    continue
            assert answer is not None
            if isinstance(answer, _Respond):
                page = self._error_page(answer, block, ev, st, server)
                if isinstance(page, Directive):
                    named = page
                    continue
                if page == "restart":
                    restart = True
                    continue
                if page is not None:
                    answer = page
            return self._finish(endpoint, client, listener, route, st, answer, server_level=server_level)
        st.step("more than 10 internal redirects: nginx answers 500", server.source)
        st.forced_status = None
        return self._finish(endpoint, client, listener, route, st, _Respond(500, None, server.source, "cycle"))

    def _location(
        self,
        loc: LocationInfo,
        ev: Evaluator,
        st: _State,
        request: SimRequest,
        server: Directive,
        route: Route | None,
    ) -> tuple[_Respond | UpstreamRequest | None, Directive | Literal["again", "restart"] | None]:
        """One location: its answer, or where nginx goes on (search again, a named location,
        an internal redirect)."""
        if self._external(loc, st):
            return _Respond(404, None, loc.directive.source, "internal"), None
        if loc.is_regex and loc.regex is not None:
            m = loc.regex.search(st.uri)
            if m is not None:
                self._captures(ev, m)
        st.uri_changed = False
        st.matched_ifs = []
        flow = self._rewrite_phase(loc.directive, ev, st)
        if isinstance(flow, _Respond):
            return flow, None
        if flow == "last" or (flow is None and st.uri_changed):
            st.unparsed_valid = False
            return None, "again"
        outcome = self._content(loc.directive, route, ev, st, request, server)
        if isinstance(outcome, Directive) or outcome == "restart":
            return None, outcome
        return outcome, None

    @staticmethod
    def _external(loc: LocationInfo, st: _State) -> bool:
        """An `internal` location reached by the client's own request (nginx answers 404)."""
        if loc.directive.first("internal") is None or st.internal:
            return False
        st.step("the location is `internal`: a client's own request gets 404", loc.directive.source)
        return True

    def _error_page(
        self, answer: _Respond, block: Directive, ev: Evaluator, st: _State, server: Directive
    ) -> _Respond | Directive | Literal["restart"] | None:
        """What `error_page` makes of a status nginx answers itself (None: nothing applies).
        The error_page directives of the nearest level that has any apply, once per request
        unless recursive_error_pages is on. `=` keeps the status of what the page answers,
        `=CODE` forces CODE, and without `=` the original status is kept."""
        if answer.status < 300 or answer.reason in ("cycle", "bad-request"):
            return None
        if st.error_page_used and _setting(block, "recursive_error_pages") != "on":
            return None
        level: Directive | None = block
        pages: list[Directive] = []
        while level is not None and not pages:
            pages = [d for d in level.children or () if d.name == "error_page" and len(d.args) >= 2]
            level = level.parent
        for d in pages:
            codes = list(d.args[:-1])
            overwrite = -1
            if codes and codes[-1].startswith("="):
                overwrite = int(codes[-1][1:]) if codes[-1][1:].isdigit() else 0
                codes.pop()
            if str(answer.status) not in codes:
                continue
            st.error_page_used = True
            value = ev.value(d.args[-1])
            if value is None:
                st.uncertain.append(f"the page of the error_page at {d.source} depends on unknown values")
                return None
            st.step(f"error_page: nginx answers {answer.status} with {value}", d.source)
            st.forced_status = None if overwrite == 0 else overwrite if overwrite > 0 else answer.status
            st.forced_cause = d.source
            if value.startswith("/"):
                new_uri, _, new_args = value.partition("?")
                st.uri, st.args = new_uri, new_args
                st.internal = True
                st.unparsed_valid = False
                st.path_cause, st.path_cause_kind = d.source, "error-page"
                self._sync(ev, st)
                st.step(f"internal redirect to {new_uri}", d.source)
                return "restart"
            if value.startswith("@"):
                named = next((x for x in server.iter("location") if x.args and x.args[0] == value), None)
                if named is None:
                    st.forced_status = None
                    return _Respond(500, None, d.source, "error-page", d.text())
                st.internal = True
                st.step(f"named location {value}", named.source)
                return named
            st.forced_status = None
            code = overwrite if overwrite in REDIRECT_CODES else 302
            return _Respond(code, value, d.source, "error-page-redirect", d.text())
        return None

    def _content(
        self,
        loc: Directive,
        route: Route | None,
        ev: Evaluator,
        st: _State,
        request: SimRequest,
        server: Directive,
    ) -> _Respond | UpstreamRequest | Directive | Literal["restart"]:
        self._sync(ev, st)
        st.uncertain.extend(access_unknowns(loc))
        handler = next((i for i in reversed(st.matched_ifs) if any(i.first(p) for p in PASS_DIRECTIVES)), loc)
        try_files = loc.first("try_files")
        if try_files is not None and st.fallback_from is not None:
            st.step(f"{st.uri} is the fallback file of try_files: served from disk", try_files.source)
            return _Respond(200, None, st.fallback_from, "try-files")
        if try_files is not None and len(try_files.args) >= 2:
            last = try_files.args[-1]
            st.step(f"try_files: assuming no file is named {st.uri}, nginx falls back to {last}", try_files.source)
            if last.startswith("="):
                code = int(last[1:]) if last[1:].isdigit() else 404
                return _Respond(code, None, try_files.source, "try-files")
            if last.startswith("@"):
                named = next((d for d in server.iter("location") if d.args and d.args[0] == last), None)
                if named is None:
                    return _Respond(500, None, try_files.source, "try-files")
                st.step(f"named location {last}", named.source)
                st.internal = True
                return named
            value = ev.value(last)
            if value is None:
                st.uncertain.append(f"the try_files fallback at {try_files.source} depends on unknown values")
                return _Respond(200, None, try_files.source, "try-files")
            # the fallback's own arguments replace the request's (none written: none left)
            new_uri, _, new_args = value.partition("?")
            st.uri, st.args = new_uri, new_args
            st.internal = True
            st.unparsed_valid = False
            st.path_cause, st.path_cause_kind = try_files.source, "try-files"
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
        has_vars = "$" in (pass_d.args[0] if pass_d.args else "")
        host: str | None
        if has_vars and pass_d.name == "proxy_pass":
            # nginx evaluates the whole URL first, then splits host and URI
            full = ev.value(pass_d.args[0])
            if full is None:
                host = None
            else:
                rest = full.split("://", 1)[-1]
                cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
                host, tail = rest[:cut], rest[cut:]
                uri_part = None if not tail else tail if tail.startswith("/") else "/" + tail
        else:
            host = ev.value(host_expr)
        if pass_d.name == "proxy_pass" and (method := method_unknown(loc)) is not None:
            st.uncertain.append(method)
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
        # nginx passes a decoded or changed URI escaped again (ngx_escape_uri)
        rest_of = escape_uri if st.quoted or st.internal else str
        args = f"?{st.args}" if st.args else ""
        path: str
        if pass_d.name != "proxy_pass":
            path = st.uri
        elif has_vars and uri_part is not None:
            path = uri_part
            st.step(
                f"{pass_d.name} has variables and a URI: the upstream gets exactly {path} (no query)",
                pass_d.source,
            )
            st.path_cause, st.path_cause_kind = pass_d.source, "proxy-pass"
        elif uri_part is None and st.unparsed_valid:
            path = st.target
        elif uri_part is None:
            path = rest_of(st.uri) + args
        elif not st.location_valid:
            path = rest_of(st.uri) + args
            st.step(
                "the URI was changed with `rewrite ... break`, so the URI in proxy_pass is ignored",
                pass_d.source,
            )
        elif info.is_regex or info.named:
            path = rest_of(st.uri) + args
        else:
            path = uri_part + rest_of(st.uri[len(info.name) :]) + args
            if uri_part != info.name:
                st.step(f"proxy_pass with URI {uri_part}: the matched {info.name} is replaced", pass_d.source)
                st.path_cause, st.path_cause_kind = pass_d.source, "proxy-pass"
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
        forced, cause = st.forced_status, st.forced_cause or (route.source if route else None)
        if forced is not None and cause is not None:
            # an error_page without `=` (or with `=CODE`): the client gets that status, whatever
            # the page's own answer (unless the page is itself an error nginx answers)
            if isinstance(outcome, UpstreamRequest):
                st.step(f"the error_page makes nginx answer {forced} instead of the upstream's status", cause)
                outcome = _Respond(forced, None, cause, "error-page")
            elif outcome.status < 300:
                outcome = _Respond(forced, None, cause, "error-page")
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
                path_cause_text=_directive_of(st.path_cause_kind),
                server_cause=st.server_cause,
                server_reason=st.server_reason,
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
            reason=outcome.reason,
            server_level=server_level,
            certain=not st.uncertain,
            uncertain=tuple(st.uncertain),
            path_cause=st.path_cause,
            path_cause_kind=st.path_cause_kind,
            path_cause_text=_directive_of(st.path_cause_kind),
            server_cause=st.server_cause,
            server_reason=st.server_reason,
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
        reason: Reason,
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
