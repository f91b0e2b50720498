"""A router's middleware chain, applied to one request in order, as Traefik runs it.

Path middlewares (stripPrefix, stripPrefixRegex, replacePath,
replacePathRegex, addPrefix) change what the service receives; redirect
middlewares (redirectScheme, redirectRegex) answer the request when the URL
they compute differs from the request's; `headers` sets or (with an empty
value) removes request headers; `chain` expands to its middlewares. The rest
(errors, circuitBreaker, ipAllowList, buffering, rateLimit, compress, ...) let
an upgrade through, as tests/e2e/test_traefik_fixtures_live.py shows for each on
fixtures/traefik/middlewares-pass-through. A plugin, or a middleware wslint
does not know, makes the result uncertain: it is not judged.
After the chain, Traefik's reverse proxy forwards the upgrade only when the
request's `Connection` still carries the `upgrade` token: it then sends
`Connection: Upgrade` and the request's `Upgrade` value, otherwise neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wslint.model import PathCause, Source, TraceStep
from wslint.traefik.config import MiddlewareSpec
from wslint.traefik.located import Node
from wslint.traefik.matchers import canonical_header, go_regex

# middlewares that change nothing wslint models about a WebSocket handshake
PASS_THROUGH = {
    "errors": "custom error pages only replace error responses",
    "circuitbreaker": "it only trips on error ratios",
    "ipallowlist": "it admits the clients in its sourceRange",
    "ipwhitelist": "it admits the clients in its sourceRange",
    "buffering": "it buffers request bodies; a handshake has none",
    "ratelimit": "it only limits request rates",
    "inflightreq": "it only limits concurrent requests",
    "compress": "it compresses responses, never a 101",
    "retry": "it retries failed connections",
    "contenttype": "it only affects Content-Type detection",
    "passtlsclientcert": "it only adds certificate headers",
    "grpcweb": "it only translates gRPC-Web",
    "basicauth": "clients must present credentials, as for any request",
    "digestauth": "clients must present credentials, as for any request",
    "forwardauth": "the authentication server must accept the handshake",
}
# encoded characters (lower case) each allow... option lets through: the encodedCharacters middleware refuses
# those whose option is not true, an entryPoint's http.encodedCharacters those whose option is set false (it
# defaults every one to true); Traefik answers 400
ENCODED = {
    "allowencodedslash": ("%2f",),
    "allowencodedbackslash": ("%5c",),
    "allowencodednullcharacter": ("%00",),
    "allowencodedsemicolon": ("%3b",),
    "allowencodedpercent": ("%25",),
    "allowencodedquestionmark": ("%3f",),
    "allowencodedhash": ("%23",),
}
PATH_KINDS = ("stripprefix", "stripprefixregex", "replacepath", "replacepathregex", "addprefix")


def go_expand(template: str, match: re.Match[str]) -> str:
    """Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to nothing."""
    out: list[str] = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch != "$" or i + 1 >= len(template):
            out.append(ch)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            end = template.find("}", i + 2)
            if end < 0:
                out.append(ch)
                i += 1
                continue
            name = template[i + 2 : end]
            i = end + 1
        else:
            m = re.match(r"[A-Za-z0-9_]+", template[i + 1 :])
            if m is None:
                out.append(ch)
                i += 1
                continue
            name = m.group(0)
            i += 1 + len(name)
        try:
            value = match.group(int(name)) if name.isdigit() else match.group(name)
        except IndexError:
            value = ""
        out.append(value or "")
    return "".join(out)


def go_replace_all(rx: re.Pattern[str], text: str, template: str) -> str:
    return rx.sub(lambda m: go_expand(template, m), text)


@dataclass
class Request:
    """The request moving through the chain."""

    scheme: str  # http or https (the connection to Traefik)
    host_header: str  # as the client sent it (with a port if any)
    path: str
    query: str
    headers: dict[str, list[str]]
    steps: list[TraceStep] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    path_cause: Source | None = None
    path_cause_kind: PathCause | None = None
    path_cause_text: str | None = None
    # the middleware entry that last set (or removed) each header
    header_causes: dict[str, Source] = field(default_factory=dict)
    header_expressions: dict[str, str] = field(default_factory=dict)
    upstream_host: str | None = None
    host_cause: Source | None = None

    @property
    def request_uri(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    def step(self, text: str, source: Source | None) -> None:
        self.steps.append(TraceStep(text, source))


@dataclass(frozen=True)
class Redirect:
    status: int
    location: str
    middleware: MiddlewareSpec


def _text(node: Node | None) -> str | None:
    return node.text() if node is not None else None


def _strings(node: Node | None) -> list[str]:
    return [e.text() or "" for e in node.elements()] if node is not None else []


def _leading_slash(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _redirect_status(permanent: bool, code: str | None) -> int:
    if code is not None and code.isdigit():
        return int(code)
    return 301 if permanent else 302


_URI = re.compile(r"^(https?)://(\[[\w:.]+\]|[\w._-]+)?(:\d+)?(.*)$")


def _split_host(host_header: str) -> tuple[str, str]:
    m = re.match(r"^(\[[^\]]*\]|[^:]*)(:\d+)?$", host_header)
    if m is None:
        return host_header, ""
    return m.group(1), m.group(2) or ""


def _redirect_scheme(mw: MiddlewareSpec, req: Request) -> Redirect | None:
    target = (_text(mw.params.get("scheme")) or "").lower()
    port = _text(mw.params.get("port")) or ""
    permanent = (mw.params.get("permanent") or Node(False, mw.source)).truthy()
    force = (mw.params.get("forcePermanentRedirect") or Node(False, mw.source)).truthy()
    host, client_port = _split_host(req.host_header)
    # Traefik's redirectScheme takes the scheme from X-Forwarded-Proto (which the entryPoint sets from the
    # connection, or keeps from a hop it trusts), ws and wss read as http and https
    proto = next(iter(req.headers.get("X-Forwarded-Proto", [])), "").lower()
    scheme = {"http": "http", "ws": "http", "https": "https", "wss": "https"}.get(proto, req.scheme)
    if (scheme == "http" and client_port == ":80") or (scheme == "https" and client_port == ":443"):
        client_port = ""
    old = f"{scheme}://{host}{client_port}{req.request_uri}"
    new_port = "" if not port or (target, port) in (("http", "80"), ("https", "443")) else ":" + port
    new = f"{target}://{host}{new_port}{req.request_uri}"
    if new == old:
        return None
    return Redirect(308 if force else (301 if permanent else 302), new, mw)


def _redirect_regex(mw: MiddlewareSpec, req: Request) -> Redirect | None:
    pattern = _text(mw.params.get("regex")) or ""
    replacement = _text(mw.params.get("replacement")) or ""
    permanent = (mw.params.get("permanent") or Node(False, mw.source)).truthy()
    rx = go_regex(pattern)
    old = f"{req.scheme}://{req.host_header}{req.request_uri}"
    if rx is None:
        req.uncertain.append(f"the regex of {mw.qualified} cannot be evaluated by wslint")
        return None
    if rx.search(old) is None:
        req.step(f"middleware {mw.qualified} (redirectRegex) does not match {old}", mw.source)
        return None
    new = go_replace_all(rx, old, replacement)
    if new == old:
        return None
    return Redirect(_redirect_status(permanent, _text(mw.params.get("statusCode"))), new, mw)


# the middlewares that change the path, by their (lower-case) type
PATH_MIDDLEWARES: dict[str, PathCause] = {
    "stripprefix": "strip-prefix",
    "stripprefixregex": "strip-prefix-regex",
    "replacepath": "replace-path",
    "replacepathregex": "replace-path-regex",
    "addprefix": "add-prefix",
}


def _set_path(req: Request, mw: MiddlewareSpec, path: str, what: str) -> None:
    # an empty path goes out as `/` (Go's request line)
    path = path or "/"
    if path != req.path:
        req.step(f"middleware {mw.qualified} ({mw.kind_label}) {what}: the path becomes {path}", mw.source)
        req.path = path
        req.path_cause = mw.source
        req.path_cause_kind = PATH_MIDDLEWARES[mw.kind]
        req.path_cause_text = mw.kind_label or mw.kind


def _path_middleware(mw: MiddlewareSpec, req: Request) -> None:
    p = mw.params
    if mw.kind == "stripprefix":
        for prefix in (s.strip() for s in _strings(p.get("prefixes"))):
            if prefix and req.path.startswith(prefix):
                _set_path(req, mw, _leading_slash(req.path[len(prefix) :]), f"removes {prefix}")
                return
        req.step(f"middleware {mw.qualified} (stripPrefix): no prefix matches {req.path}", mw.source)
    elif mw.kind == "stripprefixregex":
        for pattern in _strings(p.get("regex")):
            rx = go_regex(pattern)
            if rx is None:
                req.uncertain.append(f"the regex {pattern!r} of {mw.qualified} cannot be evaluated by wslint")
                return
            m = rx.search(req.path)
            if m and m.group(0) and req.path.startswith(m.group(0)):
                _set_path(req, mw, _leading_slash(req.path[len(m.group(0)) :]), f"removes {m.group(0)}")
                return
    elif mw.kind == "replacepath":
        _set_path(req, mw, _text(p.get("path")) or "", "replaces the path")
    elif mw.kind == "replacepathregex":
        rx = go_regex(_text(p.get("regex")) or "")
        if rx is None:
            req.uncertain.append(f"the regex of {mw.qualified} cannot be evaluated by wslint")
            return
        if rx.search(req.path):
            _set_path(req, mw, go_replace_all(rx, req.path, _text(p.get("replacement")) or ""), "rewrites the path")
    elif mw.kind == "addprefix":
        prefix = _text(p.get("prefix")) or ""
        if not prefix:
            # Traefik refuses to build it ("prefix cannot be empty") and does not load the router
            req.uncertain.append(f"middleware {mw.qualified} (addPrefix) has no prefix, which Traefik refuses")
            return
        _set_path(req, mw, prefix + req.path, f"adds {prefix}")


def _encoded(mw: MiddlewareSpec, req: Request) -> None:
    path = req.path.lower()
    refused = [
        code
        for option, codes in ENCODED.items()
        for code in codes
        if code in path and not (mw.params.get(option) or Node(False, mw.source)).truthy()
    ]
    if refused:
        req.uncertain.append(f"middleware {mw.qualified} refuses {', '.join(refused)} in the path: not modelled")
    else:
        req.step(f"middleware {mw.qualified} (encodedCharacters): the path has no refused encoded character", mw.source)


def _headers(mw: MiddlewareSpec, req: Request) -> None:
    # allowedHosts compares the Host header as sent, port included (a host not listed gets 500)
    allowed = [h.lower() for h in _strings(mw.params.get("allowedHosts"))]
    if allowed and req.host_header.lower() not in allowed:
        req.uncertain.append(
            f"middleware {mw.qualified} (headers.allowedHosts) may refuse Host {req.host_header}: not modelled"
        )
    custom = mw.params.get("customRequestHeaders")
    if custom is None:
        return
    for name, node in custom.items():
        value = node.text() or ""
        key = canonical_header(name)
        where = node.entry or node.source
        if key == "Host":
            if value:
                req.upstream_host = value
                req.host_cause = where
            continue
        if value == "":
            req.headers.pop(key, None)
            req.step(f"middleware {mw.qualified} (headers) removes the request header {key}", where)
        else:
            req.headers[key] = [value]
            req.step(f"middleware {mw.qualified} (headers) sets {key}: {value}", where)
        req.header_causes[key] = where
        req.header_expressions[key] = value


def run_chain(chain: list[MiddlewareSpec], req: Request) -> Redirect | None:
    """Apply the middlewares in order; a redirect answers the request and ends the chain."""
    for mw in chain:
        if mw.types > 1:
            # Traefik builds no middleware with two types and does not load the router
            req.step(f"middleware {mw.qualified} has {mw.types} types: Traefik does not build it", mw.source)
            req.uncertain.append(f"middleware {mw.qualified} has {mw.types} types, which Traefik refuses")
            return None
        if mw.kind == "redirectscheme":
            red = _redirect_scheme(mw, req)
        elif mw.kind == "redirectregex":
            red = _redirect_regex(mw, req)
        else:
            red = None
            if mw.kind in PATH_KINDS:
                _path_middleware(mw, req)
            elif mw.kind == "headers":
                _headers(mw, req)
            elif mw.kind == "encodedcharacters":
                _encoded(mw, req)
            elif mw.kind in PASS_THROUGH:
                req.step(f"middleware {mw.qualified} ({mw.kind_label}) lets the handshake through", mw.source)
            else:
                # a plugin, or a middleware wslint does not know: what it does to the handshake is not known
                req.step(f"middleware {mw.qualified} ({mw.kind_label}): not modelled by wslint", mw.source)
                req.uncertain.append(f"middleware {mw.qualified} ({mw.kind_label}) is not modelled by wslint")
        if red is not None:
            req.step(f"middleware {mw.qualified} ({mw.kind_label}) answers {red.status} to {red.location}", mw.source)
            return red
    return None


def upgrade_forwarded(headers: dict[str, list[str]]) -> tuple[bool, str]:
    """Whether Traefik's proxy forwards the upgrade, and the Upgrade value it sends."""
    connection = ",".join(headers.get("Connection", []))
    tokens = {t.strip().lower() for t in connection.split(",")}
    upgrade = next(iter(headers.get("Upgrade", [])), "")
    return "upgrade" in tokens and upgrade != "", upgrade
