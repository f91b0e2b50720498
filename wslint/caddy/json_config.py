"""Caddy's native JSON configuration (`caddy run --config caddy.json`, what `caddy adapt` prints), read into
the same route tree (config.py) the Caddyfile adapter builds, every node with its file, line and column.

The JSON is validated and decoded by the stdlib's C scanner, strict as Go's encoding/json (no comments, no
trailing commas, no NaN or Infinity, no control characters in strings; a repeated key keeps its last value).
Positions come from walking the text: an object's members and an array's items are located (each value's end
found by the same scanner) only when the reader asks for them, so a large value nobody reads costs no Python
step per element. A YAML loader was not used: it accepts more than JSON (comments, unquoted words) and reads
some JSON differently (duplicate keys refused, `1e3` a string in YAML 1.1). Nesting is bounded by the
`nesting` limit, size by `file-size`; a syntax error, a value of the wrong type (a string where a list is
expected) or an invalid regular expression is a diagnostic with its line.

What Caddy adds at run time is added here too: automatic HTTPS decides which servers speak TLS (a server
with `tls_connection_policies`, or one listening on a port other than the HTTP port that has host names in
its routes' `host` matchers or listens on the HTTPS port, unless `automatic_https` disables it or skips the
names), and answers plain HTTP for those host names with a 308 on the HTTP port. Top-level routes with a
`host` matcher are the server's sites (routes with the same hosts are one site); the top-level routes
without one form the catch-all site. Handler and matcher modules wslint does not know (plugins) are
reported with a warning; such a handler makes a handshake's verdict uncertain, such a matcher's result is
unknown.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from wslint.caddy.config import (
    FileMatcher,
    FileServer,
    Handler,
    HeaderMatcher,
    HeaderOps,
    HeaderRegexpMatcher,
    Headers,
    HealthCheck,
    HostMatcher,
    HttpApp,
    Matcher,
    MatcherSet,
    MethodMatcher,
    NotMatcher,
    OpaqueMatcher,
    Passthrough,
    PathMatcher,
    PathRegexpMatcher,
    ProtocolMatcher,
    QueryMatcher,
    ReverseProxy,
    Rewrite,
    Route,
    Server,
    Site,
    StaticError,
    StaticResponse,
    Subroute,
    Transport,
    Upstream,
    Vars,
    canonical_header,
)
from wslint.caddy.lexer import Token
from wslint.caddy.parser import Node
from wslint.caddy.proxy import LATER_PROXY_SUBDIRECTIVES
from wslint.caddy.request import go_regex, refused_by_go
from wslint.caddy.values import NotYet
from wslint.durations import parse_duration
from wslint.model import Source

# -- JSON with positions ------------------------------------------------------------------------------


class JsonError(Exception):
    """Caddy would refuse the file: the message and where."""

    def __init__(self, message: str, where: Source | None) -> None:
        super().__init__(message)
        self.where = where


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


class _OutOfRange(ValueError):
    pass


def _number(text: str) -> int | float:
    """A JSON number Caddy can hold: no Go number type takes more than 64 bits (and Python's int()
    refuses a 4,300-digit literal with an error of its own)."""
    is_float = any(c in text for c in ".eE")
    if not is_float and len(text.lstrip("-")) > 20:
        raise _OutOfRange(text)
    value = float(text) if is_float else int(text)
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        raise _OutOfRange(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise _OutOfRange(text)
    return value


# the stdlib's scanner (C), strict as Go's decoder: no NaN or Infinity, no control characters in strings
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_int=_number, parse_float=_number)
_SCAN = json.scanner.make_scanner(_DECODER)  # type: ignore[attr-defined]
_SCAN_STRING = json.decoder.scanstring  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
_CONSTANT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(NaN|-?Infinity)')


class _Doc:
    """The text, its line starts, and the scanner that finds where each value ends."""

    def __init__(self, text: str, path: str, nesting: int) -> None:
        self.text = text
        self.path = path
        self.nesting = nesting
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def source(self, start: int, end: int) -> Source:
        line, col = self.pos(start)
        eline, ecol = self.pos(end)
        return Source(self.path, line, col, eline, ecol)

    def skip(self, i: int) -> int:
        m = _WS.match(self.text, i)
        assert m is not None
        return m.end()

    def scan(self, i: int) -> tuple[Any, int]:
        """The value starting at i (the whole text was validated already) and where it ends."""
        value, end = _SCAN(self.text, i)
        return value, end


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "boolean"
    if v is None:
        return "null"
    return "number"


@dataclass
class JValue:
    """A JSON value and where it is written (end exclusive). An object's members and an array's items are
    read when first asked for, so only what the reader looks at costs positions; a container keeps no
    plain value (the C scanner makes it again when asked), so a big unread value costs nothing."""

    kind: str
    # a scalar's value (None for containers)
    scalar: Any
    start: int
    end: int
    doc: _Doc
    depth: int = 0
    _children: Any = None

    @property
    def source(self) -> Source:
        return self.doc.source(self.start, self.end)

    @property
    def value(self) -> Any:
        """Scalars as they are; an object as {key: Member}, an array as [JValue]."""
        if self.kind not in ("object", "array"):
            return self.scalar
        if self._children is None:
            if self.depth >= self.doc.nesting:
                raise JsonError(
                    f"nested more than {self.doc.nesting} levels deep (limits: nesting)",
                    Source(self.doc.path, *self.doc.pos(self.start)),
                )
            self._children = self._members() if self.kind == "object" else self._items()
        return self._children

    def _child(self, i: int) -> tuple[JValue, int]:
        plain, end = self.doc.scan(i)
        kind = _kind(plain)
        return JValue(kind, None if kind in ("object", "array") else plain, i, end, self.doc, self.depth + 1), end

    def _members(self) -> dict[str, Member]:
        doc, text = self.doc, self.doc.text
        members: dict[str, Member] = {}
        i = doc.skip(self.start + 1)
        while text[i] != "}":
            key, j = _SCAN_STRING(text, i + 1)
            j = doc.skip(doc.skip(j) + 1)
            child, end = self._child(j)
            # Go's decoder keeps the last of repeated keys
            members.pop(key, None)
            members[key] = Member(key, child, i, end)
            i = doc.skip(end)
            if text[i] == ",":
                i = doc.skip(i + 1)
        return members

    def _items(self) -> list[JValue]:
        doc, text = self.doc, self.doc.text
        items: list[JValue] = []
        i = doc.skip(self.start + 1)
        while text[i] != "]":
            child, end = self._child(i)
            items.append(child)
            i = doc.skip(end)
            if text[i] == ",":
                i = doc.skip(i + 1)
        return items


@dataclass
class Member:
    """A key and its value: `source` spans both (`"read_timeout": "30s"`)."""

    key: str
    value: JValue
    start: int
    end: int

    @property
    def source(self) -> Source:
        return self.value.doc.source(self.start, self.end)


def parse_json(text: str, path: str, nesting: int = 200) -> JValue:
    """The document with positions; JsonError where Go's encoding/json would refuse it."""
    if text.startswith("\ufeff"):
        raise JsonError("invalid character 'ï' looking for beginning of value (a byte order mark)", Source(path, 1, 1))
    doc = _Doc(text, path, nesting)
    start = doc.skip(0)
    if start >= len(text):
        raise JsonError(f"{path} is empty: no JSON value", Source(path, *doc.pos(start)))
    try:
        plain, end = _SCAN(text, start)
    except StopIteration as exc:
        at = exc.value if isinstance(exc.value, int) else start
        raise JsonError("expecting a value", Source(path, *doc.pos(at))) from None
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, Source(path, exc.lineno, exc.colno)) from None
    except _NotJson as exc:
        where = next((m for m in _CONSTANT.finditer(text) if m.group(1)), None)
        line, col = doc.pos(where.start() if where is not None else start)
        raise JsonError(f"invalid character: {exc} is no JSON value", Source(path, line, col)) from None
    except RecursionError:
        raise JsonError(f"nested more than {nesting} levels deep (limits: nesting)", Source(path, 1, 1)) from None
    except _OutOfRange as exc:
        shown = str(exc) if len(str(exc)) <= 24 else f"{str(exc)[:20]}... ({len(str(exc))} characters)"
        at = text.find(str(exc)[:64])
        raise JsonError(
            f"number {shown} is out of range (no Caddy value holds it)", Source(path, *doc.pos(max(at, 0)))
        ) from None
    kind = _kind(plain)
    # only validated: the reader asks the scanner again for what it reads
    scalar = None if kind in ("object", "array") else plain
    del plain
    rest = doc.skip(end)
    if rest < len(text):
        raise JsonError(f"invalid character {text[rest]!r} after the top-level value", Source(path, *doc.pos(rest)))
    deep = _too_deep(text, nesting)
    if deep is not None:
        raise JsonError(f"nested more than {nesting} levels deep (limits: nesting)", Source(path, *doc.pos(deep)))
    return JValue(kind, scalar, start, end, doc)


_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH = {"[": 1, "{": 1, "]": -1, "}": -1}


def _too_deep(text: str, nesting: int) -> int | None:
    """Where the text (valid JSON) first opens a bracket deeper than `nesting`; the common case costs two
    regular-expression passes and no Python loop per character."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if len(brackets) <= 2 * nesting or max(itertools.accumulate(map(_DEPTH.__getitem__, brackets))) <= nesting:
        return None
    depth = 0
    for m in re.finditer(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            if depth > nesting:
                return m.start()
        elif c in "]}":
            depth -= 1
    return None


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]')


def looks_like_caddy_json(text: str) -> bool:
    """A JSON object with an `apps` object at its top level (Caddy's configuration), judged from the
    text's start: a scan of strings and brackets, so a truncated head still tells."""
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return False
    depth = 0
    key: str | None = None
    after_colon = False
    for m in _TOKEN.finditer(head):
        tok = m.group(0)
        if tok in "{[":
            if depth == 1 and after_colon and key == "apps" and tok == "{":
                return True
            depth += 1
            after_colon = False
        elif tok in "}]":
            depth -= 1
            if depth <= 0:
                return False
        elif tok == ":":
            after_colon = True
        elif tok == ",":
            key, after_colon = None, False
        elif depth == 1 and not after_colon:
            key = tok[1:-1]
        else:
            after_colon = False
    return False


# -- typed access ---------------------------------------------------------------------------------


def _want(v: JValue, kind: str, what: str) -> Any:
    if v.kind != kind:
        raise JsonError(f"{what}: expected {'an' if kind[0] in 'aeiou' else 'a'} {kind}, got {v.kind}", v.source)
    return v.value


def _obj(v: JValue, what: str) -> dict[str, Member]:
    out: dict[str, Member] = _want(v, "object", what)
    return out


def _arr(v: JValue, what: str) -> list[JValue]:
    out: list[JValue] = _want(v, "array", what)
    return out


def _str(v: JValue, what: str) -> str:
    out: str = _want(v, "string", what)
    return out


def _strs(v: JValue, what: str) -> list[str]:
    return [_str(x, what) for x in _arr(v, what)]


def _get(members: dict[str, Member], key: str) -> JValue | None:
    m = members.get(key)
    return None if m is None or m.value.kind == "null" else m.value


def _duration(v: JValue, what: str) -> float:
    """caddy.Duration: integer nanoseconds, or a Go duration string (with `d` for days)."""
    if v.kind == "number":
        if not isinstance(v.value, int):
            raise JsonError(f"{what}: a duration in nanoseconds must be an integer", v.source)
        return v.value / 1e9
    text = _str(v, what)
    seconds = parse_duration(text)
    if seconds is None:
        raise JsonError(f"{what}: invalid duration {text!r}", v.source)
    return seconds


def _status(v: JValue, what: str) -> str:
    if v.kind == "number" and isinstance(v.value, int):
        return str(v.value)
    return _str(v, what)


# -- the http app ---------------------------------------------------------------------------------


@dataclass
class JsonApp:
    app: HttpApp
    warnings: list[tuple[str, Source]] = field(default_factory=list)
    not_yet: list[NotYet] = field(default_factory=list)


MATCHERS = frozenset(
    {"path", "path_regexp", "host", "header", "header_regexp", "method", "query", "protocol", "not", "file"}
)
# matchers Caddy 2.6 has whose result depends on what wslint does not know
OPAQUE_MATCHERS = frozenset({"remote_ip", "client_ip", "expression", "vars", "vars_regexp"})
# handlers that leave a WebSocket handshake as it is
PASSTHROUGH = frozenset(
    {
        "encode",
        "templates",
        "push",
        "request_body",
        "map",
        "tracing",
        "metrics",
        "copy_response_headers",
        "intercept",
        "log_append",
        "invoke",
        "copy_response",
    }
)
# handlers of Caddy's own that may answer a request themselves, and why
MAY_ANSWER = {
    "authentication": "a client without the site's credentials gets 401",
    "metrics": "it answers the requests it matches with the metrics",
    "acme_server": "it answers the requests it matches as an ACME server",
}


class Reader:
    def __init__(self, path: str, version: tuple[int, ...]) -> None:
        self.path = path
        self.version = version
        self.warnings: list[tuple[str, Source]] = []
        self.not_yet: list[NotYet] = []
        # servers whose automatic HTTPS adds no redirects
        self._off: set[int] = set()

    # -- top level

    def app(self, doc: JValue) -> JsonApp:
        top = _obj(doc, "the configuration")
        apps = _get(top, "apps")
        servers: list[Server] = []
        http_port, https_port = 80, 443
        if apps is not None:
            http = _get(_obj(apps, "apps"), "http")
            if http is not None:
                hm = _obj(http, "apps.http")
                hp = _get(hm, "http_port")
                if hp is not None:
                    http_port = self._port(hp, "http_port")
                sp = _get(hm, "https_port")
                if sp is not None:
                    https_port = self._port(sp, "https_port")
                srvs = _get(hm, "servers")
                if srvs is not None:
                    for name, m in _obj(srvs, "apps.http.servers").items():
                        servers.append(self.server(name, m, http_port, https_port))
        app = HttpApp(servers, http_port, https_port)
        _automatic_https(app, self._redirects_off)
        return JsonApp(app, self.warnings, self.not_yet)

    def _port(self, v: JValue, what: str) -> int:
        if v.kind != "number" or not isinstance(v.value, int):
            raise JsonError(f"{what}: expected a port number, got {v.kind}", v.source)
        return int(v.value)

    # -- servers and sites

    def server(self, name: str, member: Member, http_port: int, https_port: int) -> Server:
        sm = _obj(member.value, f"server {name}")
        listen: list[str] = []
        lv = _get(sm, "listen")
        if lv is not None:
            listen = [_listen(a) for a in _strs(lv, f"server {name}: listen")]
        routes = self.routes(_get(sm, "routes"), f"server {name}: routes", top=True)
        auto = _get(sm, "automatic_https")
        am = _obj(auto, f"server {name}: automatic_https") if auto is not None else {}
        disabled = _flag(am, "disable")
        skip = set(_strs(am["skip"].value, "automatic_https.skip")) if _get(am, "skip") is not None else set()
        server = Server(name, listen, routes)
        server.tls = _get(sm, "tls_connection_policies") is not None
        ports = server.ports()
        hosts = [h for r in routes for s in r.match for h in _hosts(s)]
        qualifying = [h for h in hosts if h not in skip and "{" not in h]
        if not server.tls and not disabled and any(p != http_port for p in ports):
            server.tls = bool(qualifying) or https_port in ports
        if disabled or _flag(am, "disable_redirects"):
            self._off.add(id(server))
        self._sites(server, member.source)
        return server

    def _redirects_off(self, server: Server) -> bool:
        return id(server) in self._off

    def _sites(self, server: Server, where: Source) -> None:
        by_hosts: dict[tuple[str, ...], Site] = {}
        catch_all: Site | None = None
        scheme = "https" if server.tls else "http"
        for i, route in enumerate(server.routes):
            hosts = tuple(dict.fromkeys(h for s in route.match for h in _hosts(s)))
            every = not route.match or any(s.get("host") is None for s in route.match)
            if hosts and not every:
                site = by_hosts.get(hosts)
                if site is None:
                    srcs = [m.source or where for s in route.match for m in s.matchers if isinstance(m, HostMatcher)]
                    site = Site(
                        keys=list(hosts),
                        key_sources=[srcs[0]] * len(hosts),
                        hosts=list(hosts),
                        catch_all=False,
                        source=route.source or where,
                        label=", ".join(hosts),
                        scheme=scheme,
                        tls=server.tls,
                    )
                    by_hosts[hosts] = site
                    server.sites.append(site)
            else:
                if catch_all is None:
                    # a server without listeners still is one site (Caddy accepts it and serves nothing)
                    keys = list(server.listen) or [""]
                    label = ", ".join(server.listen)
                    catch_all = Site(
                        keys=keys,
                        key_sources=[where] * len(keys),
                        hosts=list(hosts),
                        catch_all=True,
                        source=route.source or where,
                        label=label,
                        scheme=scheme,
                        tls=server.tls,
                    )
                    server.sites.append(catch_all)
                site = catch_all
            server.site_of[i] = site

    # -- routes

    def routes(self, v: JValue | None, what: str, top: bool = False) -> list[Route]:
        if v is None:
            return []
        return [self.route(r, what, top) for r in _arr(v, what)]

    def route(self, v: JValue, what: str, top: bool) -> Route:
        rm = _obj(v, what)
        route = Route(source=v.source)
        g = _get(rm, "group")
        if g is not None:
            route.group = _str(g, "group")
        mv = _get(rm, "match")
        if mv is not None:
            route.match = [self.matcher_set(s) for s in _arr(mv, "match")]
        hv = _get(rm, "handle")
        if hv is not None:
            route.handlers = [self.handler(h) for h in _arr(hv, "handle")]
        t = _get(rm, "terminal")
        if t is not None:
            route.terminal = bool(_want(t, "boolean", "terminal"))
        # a route is a `route` block: its matchers show in traces, its routes run in the written order
        if route.match and not (top and route.terminal):
            route.keyword = "route"
        return route

    # -- matchers

    def matcher_set(self, v: JValue) -> MatcherSet:
        ms = _obj(v, "matcher set")
        matchers = [self.matcher(m) for m in ms.values()]
        labels = []
        for m in matchers:
            if isinstance(m, PathMatcher):
                labels.append(" ".join(m.patterns))
            else:
                labels.append(f"{m.kind} {json.dumps(m.to_json(), separators=(',', ':'))}")
        return MatcherSet(matchers, v.source, " ".join(labels))

    def matcher(self, m: Member) -> Matcher:
        kind, v, src = m.key, m.value, m.source
        what = f"matcher {kind}"
        if kind == "path":
            vals = _arr(v, what)
            return PathMatcher(kind, src, [_str(x, what) for x in vals], [x.source for x in vals])
        if kind == "host":
            return HostMatcher(kind, src, _strs(v, what))
        if kind == "path_regexp":
            o = _obj(v, what)
            pattern = _str(o["pattern"].value, what) if "pattern" in o else ""
            self._regex(pattern, o["pattern"].value.source if "pattern" in o else src)
            name = _str(o["name"].value, what) if _get(o, "name") is not None else ""
            return PathRegexpMatcher(kind, src, pattern, name)
        if kind == "header":
            fields: dict[str, list[str] | None] = {}
            sources: dict[str, Source] = {}
            for k, fm in _obj(v, what).items():
                key = canonical_header(k)
                fields[key] = None if fm.value.kind == "null" else _strs(fm.value, f"{what} {k}")
                sources[key] = fm.source
            return HeaderMatcher(kind, src, fields, sources)
        if kind == "header_regexp":
            rx: dict[str, tuple[str, str]] = {}
            rx_src: dict[str, Source] = {}
            for k, fm in _obj(v, what).items():
                o = _obj(fm.value, f"{what} {k}")
                pattern = _str(o["pattern"].value, what) if "pattern" in o else ""
                self._regex(pattern, fm.source)
                name = _str(o["name"].value, what) if _get(o, "name") is not None else ""
                rx[k] = (name, pattern)
                rx_src[k] = fm.source
            return HeaderRegexpMatcher(kind, src, rx, rx_src)
        if kind == "method":
            return MethodMatcher(kind, src, [x.upper() for x in _strs(v, what)])
        if kind == "query":
            return QueryMatcher(kind, src, {k: _strs(q.value, f"{what} {k}") for k, q in _obj(v, what).items()})
        if kind == "protocol":
            return ProtocolMatcher(kind, src, _str(v, what).lower())
        if kind == "not":
            return NotMatcher(kind, src, [self.matcher_set(s) for s in _arr(v, what)])
        if kind == "file":
            o = _obj(v, what)
            tf = _get(o, "try_files")
            pol = _get(o, "try_policy")
            root = _get(o, "root")
            return FileMatcher(
                kind,
                src,
                _strs(tf, what) if tf is not None else ["{http.request.uri.path}"],
                _str(pol, what) if pol is not None else "",
                _str(root, what) if root is not None else None,
            )
        if kind not in OPAQUE_MATCHERS:
            self.warnings.append(
                (
                    f"unknown matcher module {kind} (a plugin's?): its result is unknown; Caddy without it refuses it",
                    src,
                )
            )
        return OpaqueMatcher(kind, src, _plain(v))

    def _regex(self, pattern: str, where: Source) -> None:
        if refused_by_go(pattern) or go_regex(pattern) is None:
            raise JsonError(f"invalid regular expression {pattern!r} (Go's RE2 syntax)", where)

    # -- handlers

    def handler(self, v: JValue) -> Handler:
        hm = _obj(v, "handler")
        nv = _get(hm, "handler")
        if nv is None:
            raise JsonError("a handler needs its module name in 'handler'", v.source)
        name = _str(nv, "handler")
        src = v.source
        if name == "subroute":
            sub = Subroute(name, src, self.routes(_get(hm, "routes"), "subroute routes"))
            return sub
        if name == "reverse_proxy":
            return self.reverse_proxy(hm, src)
        if name == "static_response":
            sr = StaticResponse(name, src)
            if (s := _get(hm, "status_code")) is not None:
                sr.status = _status(s, "status_code")
            if (h := _get(hm, "headers")) is not None:
                sr.headers = {canonical_header(k): _strs(x.value, k) for k, x in _obj(h, "headers").items()}
            if (b := _get(hm, "body")) is not None:
                sr.body = _str(b, "body")
            sr.close = _flag(hm, "close")
            sr.abort = _flag(hm, "abort")
            return sr
        if name == "error":
            se = StaticError(name, src)
            if (s := _get(hm, "status_code")) is not None:
                se.status = _status(s, "status_code")
            if (e := _get(hm, "error")) is not None:
                se.message = _str(e, "error")
            return se
        if name == "rewrite":
            return self.rewrite(hm, src)
        if name == "headers":
            hd = Headers(name, src)
            if (r := _get(hm, "request")) is not None:
                hd.request = self.header_ops(r)
            if (r := _get(hm, "response")) is not None:
                hd.response = _plain(r)
            return hd
        if name == "vars":
            return Vars(name, src, {k: str(_plain(m.value)) for k, m in hm.items() if k != "handler"})
        if name == "file_server":
            fs = FileServer(name, src)
            if (r := _get(hm, "root")) is not None:
                fs.root = _str(r, "root")
            fs.json_extra = {k: _plain(m.value) for k, m in hm.items() if k not in ("handler", "root")}
            return fs
        if name in MAY_ANSWER:
            why = f"whether the {name} handler at {src} lets the handshake through ({MAY_ANSWER[name]})"
            return Passthrough(name, src, note=f"handler {name}", json=_plain(v), unjudged=why)
        if name not in PASSTHROUGH:
            self.warnings.append(
                (
                    f"unknown handler module {name} (a plugin's?): whether it answers a request itself is unknown to "
                    "wslint; Caddy without it refuses the configuration",
                    src,
                )
            )
        return Passthrough(name, src, note=f"handler {name}", json=_plain(v), unknown=name not in PASSTHROUGH)

    def rewrite(self, hm: dict[str, Member], src: Source) -> Rewrite:
        rw = Rewrite("rewrite", src, origin="rewrite")
        if (x := _get(hm, "method")) is not None:
            rw.method = _str(x, "method")
        if (x := _get(hm, "uri")) is not None:
            rw.uri = _str(x, "uri")
        if (x := _get(hm, "strip_path_prefix")) is not None:
            rw.strip_prefix = _str(x, "strip_path_prefix")
        if (x := _get(hm, "strip_path_suffix")) is not None:
            rw.strip_suffix = _str(x, "strip_path_suffix")
        if (x := _get(hm, "uri_substring")) is not None:
            for item in _arr(x, "uri_substring"):
                o = _obj(item, "uri_substring")
                lim = _get(o, "limit")
                rw.uri_substring.append(
                    (
                        _str(o["find"].value, "find") if _get(o, "find") is not None else "",
                        _str(o["replace"].value, "replace") if _get(o, "replace") is not None else "",
                        int(_want(lim, "number", "limit")) if lim is not None else 0,
                    )
                )
        if (x := _get(hm, "path_regexp")) is not None:
            for item in _arr(x, "path_regexp"):
                o = _obj(item, "path_regexp")
                find = _str(o["find"].value, "find") if _get(o, "find") is not None else ""
                self._regex(find, item.source)
                rw.path_regexp.append((find, _str(o["replace"].value, "replace") if _get(o, "replace") else ""))
        if rw.strip_prefix and not rw.uri and not rw.method and not rw.path_regexp and not rw.uri_substring:
            # what handle_path makes
            rw.origin = "handle_path"
        return rw

    def header_ops(self, v: JValue) -> HeaderOps:
        o = _obj(v, "headers")
        ops = HeaderOps()
        if (x := _get(o, "add")) is not None:
            for k, m in _obj(x, "add").items():
                for val in _strs(m.value, f"add {k}"):
                    ops.add.append((k, val, m.source))
        if (x := _get(o, "set")) is not None:
            for k, m in _obj(x, "set").items():
                vals = _strs(m.value, f"set {k}")
                ops.set.append((k, ",".join(vals) if len(vals) > 1 else (vals[0] if vals else ""), m.source))
        if (x := _get(o, "delete")) is not None:
            for item in _arr(x, "delete"):
                ops.delete.append((_str(item, "delete"), item.source))
        if (x := _get(o, "replace")) is not None:
            for k, m in _obj(x, "replace").items():
                for item in _arr(m.value, f"replace {k}"):
                    r = _obj(item, f"replace {k}")
                    to = _str(r["replace"].value, "replace") if _get(r, "replace") is not None else ""
                    if _get(r, "search_regexp") is not None:
                        find = _str(r["search_regexp"].value, "search_regexp")
                        self._regex(find, item.source)
                    else:
                        find = re.escape(_str(r["search"].value, "search")) if _get(r, "search") is not None else ""
                    ops.replace.append((k, find, to, item.source))
        return ops

    def reverse_proxy(self, hm: dict[str, Member], src: Source) -> ReverseProxy:
        rp = ReverseProxy("reverse_proxy", src)
        if (x := _get(hm, "upstreams")) is not None:
            for item in _arr(x, "upstreams"):
                o = _obj(item, "upstream")
                dial = _str(o["dial"].value, "dial") if _get(o, "dial") is not None else ""
                rp.upstreams.append(Upstream(dial, o["dial"].source if "dial" in o else item.source, dial))
        rp.dynamic = _get(hm, "dynamic_upstreams") is not None
        if "handle_response" in hm:
            rp.handle_response = hm["handle_response"].source
        if (x := _get(hm, "headers")) is not None:
            h = _obj(x, "headers")
            if (r := _get(h, "request")) is not None:
                rp.headers = self.header_ops(r)
        rp.transport = self.transport(hm.get("transport"))
        if (x := _get(hm, "health_checks")) is not None:
            hc = _obj(x, "health_checks")
            if (a := _get(hc, "active")) is not None:
                act = _obj(a, "health_checks.active")
                uri = _get(act, "uri") or _get(act, "path")
                if uri is not None:
                    key = "uri" if _get(act, "uri") is not None else "path"
                    port = _get(act, "port")
                    status = _get(act, "expect_status")
                    interval = _get(act, "interval")
                    rp.health = HealthCheck(
                        uri=_str(uri, key),
                        source=act[key].source,
                        interval=str(_plain(interval)) if interval is not None else None,
                        port=int(_want(port, "number", "port")) if port is not None else None,
                        status=_status(status, "expect_status") if status is not None else None,
                    )
        if (x := _get(hm, "rewrite")) is not None:
            rp.rewrite = self.rewrite(_obj(x, "rewrite"), x.source)
            rp.rewrite.origin = "reverse_proxy"
        for key, m in hm.items():
            since = LATER_PROXY_SUBDIRECTIVES.get(key)
            if since is not None and key in ("stream_timeout", "stream_close_delay", "request_buffers", "verbose_logs"):
                if key == "stream_close_delay":
                    rp.stream_close_delay = m.source
                if self.version < since:
                    self.not_yet.append(NotYet(key, since, m.source, _node(key, m)))
        rp.json_extra = {
            k: _plain(m.value) for k, m in hm.items() if k not in ("handler", "headers", "transport", "upstreams")
        }
        return rp

    def transport(self, m: Member | None) -> Transport:
        t = Transport()
        if m is None or m.value.kind == "null":
            return t
        o = _obj(m.value, "transport")
        t.source = m.source
        t.json = _plain(m.value)
        if (p := _get(o, "protocol")) is not None:
            t.protocol = _str(p, "transport protocol")
        t.tls = _get(o, "tls") is not None
        if (v := _get(o, "versions")) is not None:
            t.versions = _strs(v, "versions")
        if (r := _get(o, "read_timeout")) is not None:
            t.read_timeout = _duration(r, "read_timeout")
            t.read_timeout_source = o["read_timeout"].source
            t.read_timeout_text = _raw(r)
        if (w := _get(o, "write_timeout")) is not None:
            t.write_timeout = _duration(w, "write_timeout")
            t.write_timeout_source = o["write_timeout"].source
        return t


def _raw(v: JValue) -> str:
    return v.value if isinstance(v.value, str) else str(v.value)


def _node(key: str, m: Member) -> Node:
    s = m.source
    return Node(
        [
            Token(key, s.path, s.line, s.column or 1, s.line, s.column or 1, s.line),
            Token(json.dumps(_plain(m.value)), s.path, s.line, s.column or 1, s.line, s.column or 1, s.line),
        ]
    )


def _flag(o: dict[str, Member], key: str) -> bool:
    v = _get(o, key)
    return bool(_want(v, "boolean", key)) if v is not None else False


def _plain(v: JValue) -> Any:
    if v.kind not in ("object", "array"):
        return v.scalar
    if v._children is None:
        return v.doc.scan(v.start)[0]
    if isinstance(v._children, dict):
        return {k: _plain(m.value) for k, m in v._children.items()}
    return [_plain(x) for x in v._children]


def _hosts(s: MatcherSet) -> list[str]:
    m = s.get("host")
    return list(m.hosts) if isinstance(m, HostMatcher) else []


def _listen(addr: str) -> str:
    """Caddy's listen address, as the Caddyfile adapter writes it (`:8080`, `127.0.0.1:8080`)."""
    return addr.removeprefix("tcp/")


def _automatic_https(app: HttpApp, off: Any) -> None:
    from wslint.caddy.sites import Options, _auto_https

    saved = [s for s in app.servers if s.tls and off(s)]
    for s in saved:
        s.tls = False
    try:
        _auto_https(app, Options(http_port=app.http_port, https_port=app.https_port))
    finally:
        for s in saved:
            s.tls = True


def read_json_app(text: str, path: str, version: tuple[int, ...], nesting: int) -> JsonApp:
    """The HTTP app of a Caddy JSON configuration; JsonError (with where) when Caddy would refuse it."""
    doc = parse_json(text, path, nesting)
    reader = Reader(path, version)
    try:
        return reader.app(doc)
    except RecursionError:
        raise JsonError(f"{path}: nested too deeply", None) from None
