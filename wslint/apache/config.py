"""httpd's servers as the request sees them: virtual hosts, their mappings, workers and sections.

The main server's settings are the defaults of every virtual host: a vhost
inherits `Timeout`, `ProxyTimeout`, `ProxyPreserveHost`, the main server's
`ProxyPass` lines (tried before its own, even with `ProxyPassInherit Off`),
its `<Location>` sections (before its own), its `Redirect`s (after its own)
and its workers, and its rewrite rules only with `RewriteOptions Inherit`.
Workers are shared by URL: the first definition (a `ProxyPass` URL, a
`<Proxy URL>` section with `ProxySet`, a `BalancerMember`) keeps its
parameters, and a later URL it is a prefix of reuses it.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from wslint.apache.parser import Node
from wslint.apache.rewrite import Rule, collect, compile_pattern
from wslint.durations import bounded_seconds, parse_duration
from wslint.model import Source

PER_DIR = ("location", "locationmatch", "directory", "directorymatch", "files", "filesmatch", "if", "elseif", "else")
DEFAULT_TIMEOUT = 60.0


def params_of(words: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for w in words:
        key, eq, value = w.partition("=")
        if eq:
            out[key.lower()] = value
    return out


def seconds(value: str) -> float | None:
    if len(value) > 20:
        return None
    if value.isdigit():
        return bounded_seconds(float(value))
    if value.lower().endswith("ms") and value[:-2].isdigit():
        return int(value[:-2]) / 1000
    return parse_duration(value)


@dataclass
class Worker:
    name: str
    params: dict[str, str]
    node: Node
    # defined by a regex mapping (ProxyPassMatch): its name is a pattern, `$N` standing for any text
    matchable: bool = False

    def covers(self, url: str) -> bool:
        """Whether httpd picks this worker for `url` (ap_proxy_get_worker): the name is no longer than
        the URL (query included) and is a prefix of it, `$N` matching any text. So
        `http://b/ws/$1` serves `http://b/ws/ab` but not `http://b/ws/a` (measured on 2.4.71)."""
        if len(self.name) > len(url):
            return False
        if not self.matchable:
            return _fold(url).startswith(_fold(self.name))
        return _ematch(_fold(url), _fold(self.name))

    @property
    def upgrade(self) -> str | None:
        return self.params.get("upgrade")

    @property
    def timeout(self) -> float | None:
        value = self.params.get("timeout")
        return seconds(value) if value is not None else None


@dataclass
class Balancer:
    name: str
    members: list[Worker]
    node: Node


MappingKind = Literal["prefix", "regex"]


@dataclass
class Mapping:
    """One ProxyPass / ProxyPassMatch (server level, or the one a location section uses)."""

    kind: MappingKind
    path: str
    url: str
    params: dict[str, str]
    node: Node
    location: LocationSection | None = None

    @property
    def excluded(self) -> bool:
        return self.url == "!"

    @property
    def source(self) -> Source:
        return self.node.source


LocationKind = Literal["prefix", "regex", "fnmatch"]


@dataclass
class LocationSection:
    kind: LocationKind
    pattern: str
    node: Node
    mapping: Mapping | None = None
    # Require all denied / Deny from all: 403 for everything it matches
    denied: Node | None = None
    granted: bool = False
    # what wslint does not model inside it (per-directory rewrites, other access rules)
    unknown: list[str] = field(default_factory=list)
    headers: list[Node] = field(default_factory=list)

    def matches(self, uri: str) -> bool | None:
        uri = re.sub("/+", "/", uri)
        if self.kind == "regex":
            rx = compile_pattern(self.pattern, False)
            return None if rx is None else rx.search(uri) is not None
        if self.kind == "fnmatch":
            # fnmatch with FNM_PATHNAME: `*` does not cross a slash
            parts = self.pattern.count("/")
            prefix = "/".join(uri.split("/")[: parts + 1])
            return fnmatch.fnmatchcase(prefix, self.pattern)
        p = re.sub("/+", "/", self.pattern)
        if not uri.startswith(p):
            return False
        # segment-aware: /ws matches /ws and /ws/x, not /wsx (measured on httpd 2.4.71)
        return len(uri) == len(p) or p.endswith("/") or uri[len(p)] == "/"


@dataclass
class Server:
    node: Node | None
    label: str
    addresses: list[tuple[str, int | None]]
    names: list[tuple[str, Node]]
    directives: list[Node]
    mappings: list[Mapping]
    locations: list[LocationSection]
    rules: list[Rule]
    rewrite_on: bool
    timeout: tuple[float, Node | None]
    proxy_timeout: tuple[float, Node] | None
    preserve_host: bool
    workers: list[Worker]
    balancers: dict[str, Balancer]
    redirects: list[Node]
    headers: list[Node]
    proxy_sections: list[tuple[str, Node]]
    # MergeSlashes (On by default since 2.4.39): `//ws//chat` is matched as `/ws/chat`
    merge_slashes: bool = True
    # ProxyWebsocketFallbackToProxyHttp (On by default): mod_proxy_http, not mod_proxy_wstunnel, tunnels ws://
    ws_fallback: bool = True
    # what wslint does not follow and that may change the answer to any request of this server
    unjudged: list[str] = field(default_factory=list)
    # SSLProxyEngine On: mod_proxy may talk TLS to https:// and wss:// backends
    ssl_proxy: bool = False
    # what may answer a path nothing proxies other than a file: per-directory rules, .htaccess files
    file_rules: list[str] = field(default_factory=list)

    def worker_for(self, url: str) -> Worker | None:
        """The worker httpd uses for `url`: of those that cover it, the one with the longest name (the
        main server's first on a tie); None: the default worker, which has no parameters."""
        best: Worker | None = None
        for w in self.workers:
            if w.covers(url) and (best is None or len(w.name) > len(best.name)):
                best = w
        return best


def _own(nodes: list[Node]) -> list[Node]:
    """Directives that belong to the server itself (not inside per-directory sections or vhosts)."""
    return [n for n in nodes if n.key != "virtualhost" and n.key not in PER_DIR]


def fnmatch_test(pattern: str) -> bool:
    """Whether a path holds a wildcard (`*`, `?`, or `[` with its `]`), as apr_fnmatch_test says."""
    nesting = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in "*?":
            return True
        if ch == "\\":
            i += 1
            if i >= len(pattern):
                return False
        elif ch == "[":
            nesting += 1
        elif ch == "]" and nesting:
            return True
        i += 1
    return False


def _location(node: Node) -> LocationSection | None:
    args = node.args
    if node.key == "locationmatch" and args:
        section = LocationSection("regex", args[0], node)
    elif node.key == "location" and len(args) >= 2 and args[0] == "~":
        section = LocationSection("regex", args[1], node)
    elif node.key == "location" and args:
        kind: LocationKind = "fnmatch" if any(c in args[0] for c in "*?[") else "prefix"
        section = LocationSection(kind, args[0], node)
    else:
        return None
    allows: list[Node] = []
    for child in node.children or []:
        key = child.key
        if key in ("proxypass", "proxypassmatch") and child.args:
            # mod_proxy reads the section's path as a regex only for ProxyPassMatch or when it holds a
            # wildcard: in <LocationMatch "^/ws$"> a ProxyPass compares "^/ws$" as a plain prefix (and never
            # matches), in <LocationMatch "^/ws/(.*)"> or <Location /ws*> it is a regex (measured on 2.4.71)
            regex = key == "proxypassmatch" or fnmatch_test(section.pattern)
            mapping_kind: MappingKind = "regex" if regex else "prefix"
            section.mapping = Mapping(
                mapping_kind, section.pattern, child.args[0], params_of(child.args[1:]), child, section
            )
        elif key == "require":
            words = [a.lower() for a in child.args]
            if words == ["all", "denied"]:
                section.denied, section.granted = child, False
            elif words == ["all", "granted"]:
                section.denied, section.granted = None, True
            else:
                section.unknown.append(f"`{child.text}` at {child.source}")
        elif key == "deny" and [a.lower() for a in child.args] == ["from", "all"]:
            section.denied = child
        elif key == "allow":
            allows.append(child)
            if [a.lower() for a in child.args] != ["from", "all"]:
                section.unknown.append(f"the client-address rule `{child.text}` at {child.source}")
        elif (unknown := access_unknown(child)) is not None:
            section.unknown.append(unknown)
        elif key == "sethandler" and child.args and child.args[0].lower() != "none":
            # a handler of the section's own (`proxy:ws://...`, server-status) may answer the request
            section.unknown.append(f"`{child.text}` at {child.source}")
        elif key in CONDITIONAL_SECTIONS and not neutral_conditional(child):
            section.unknown.append(f"`{child.text.splitlines()[0]}` at {child.source}")
        elif key in ("rewriterule", "redirect", "redirectmatch", "redirectpermanent", "redirecttemp"):
            section.unknown.append(f"`{child.text}` at {child.source}")
        elif key in ("requestheader",):
            section.headers.append(child)
        elif key in ("authtype",):
            section.unknown.append(f"authentication (`{child.text}` at {child.source})")
    if allows and section.denied is not None and section.denied.key == "deny":
        # Deny from all with Allow lines: `Order` decides which wins
        section.unknown.append(f"`{section.denied.text}` beside `{allows[0].text}` (their Order decides)")
    return section


# per-directory sections evaluated per request (`<If "expr">`), which wslint does not evaluate
CONDITIONAL_SECTIONS = ("if", "elseif", "else")
# directives that cannot change a handshake's route, path or request headers wherever they stand
NEUTRAL_IN_CONDITIONAL = frozenset({"header", "errordocument", "loglevel", "customlog", "adddefaultcharset"})
# the access checks of mod_authz_core, mod_access_compat, mod_auth_* and mod_ssl: each may answer 401/403
ACCESS = frozenset(
    {
        "require",
        "deny",
        "allow",
        "satisfy",
        "authtype",
        "requireall",
        "requireany",
        "requirenone",
        "limit",
        "limitexcept",
        "sslrequire",
        "sslrequiressl",
        "sslverifyclient",
        "allowmethods",
    }
)


FILE_SECTIONS = ("directory", "directorymatch", "files", "filesmatch")
# per-directory directives that may answer a path nothing proxies otherwise than with a file
FILE_ANSWERS = frozenset(
    {
        "rewriterule",
        "sethandler",
        "proxypass",
        "proxypassmatch",
        "redirect",
        "redirectmatch",
        "redirectpermanent",
        "redirecttemp",
        "fallbackresource",
        "action",
        "addhandler",
    }
)


def _file_rules(section: Node) -> list[Node]:
    """The lines of a `<Directory>`/`<Files>` section that may answer a request otherwise than with a file:
    per-directory rewrites (a `[P]` rule proxies), handlers, redirects, and `AllowOverride` letting
    `.htaccess` files (which wslint does not read) do the same."""
    out: list[Node] = []
    for c in section.children or []:
        if c.key in FILE_ANSWERS or (c.key == "allowoverride" and [a.lower() for a in c.args] != ["none"]):
            out.append(c)
        elif c.key in FILE_SECTIONS or c.key in CONDITIONAL_SECTIONS:
            out += _file_rules(c)
    return out


def neutral_conditional(node: Node) -> bool:
    """Whether an `<If>`/`<ElseIf>`/`<Else>` section holds only directives that cannot change a handshake."""
    return all(c.key in NEUTRAL_IN_CONDITIONAL for c in node.children or [])


def access_unknown(node: Node) -> str | None:
    """What an access directive wslint does not evaluate does (None: none, or one that lets every
    GET through: `Require all granted`, `Allow from all`, `Order`, `SSLVerifyClient none|optional*`)."""
    key, words = node.key, [a.lower() for a in node.args]
    if key not in ACCESS and key != "order":
        return None
    if (
        key == "order"
        or (key == "require" and words == ["all", "granted"])
        or (key == "allow" and words == ["from", "all"])
    ):
        return None
    if key == "sslverifyclient" and words[:1] != ["require"]:
        return None
    if key == "allowmethods" and ("get" in words or words == ["reset"]):
        return None
    if key == "limitexcept" and "get" in words:
        return None
    if key == "limit" and "get" not in words:
        return None
    return f"the access check `{node.text.splitlines()[0]}` at {node.source}"


class Servers:
    """The main server and every virtual host of a loaded configuration."""

    def __init__(self, nodes: list[Node], version: tuple[int, ...]) -> None:
        self.version = version
        self.nodes = nodes
        self.main = self._server(None, nodes, None)
        self.vhosts = [self._server(n, n.children or [], self.main) for n in nodes if n.key == "virtualhost"]
        self.listens = [n for n in nodes if n.key == "listen"]

    def _server(self, node: Node | None, nodes: list[Node], parent: Server | None) -> Server:
        own = _own(nodes)
        mappings: list[Mapping] = []
        workers: list[Worker] = list(parent.workers) if parent else []
        balancers: dict[str, Balancer] = dict(parent.balancers) if parent else {}
        proxy_sections: list[tuple[str, Node]] = list(parent.proxy_sections) if parent else []

        own_workers: list[Worker] = []

        def define(name: str, params: dict[str, str], at: Node, matchable: bool = False) -> Worker:
            # a URL that an earlier worker of this server and of the same kind (prefix or regex) already
            # covers shares it, with the earlier worker's parameters ("AH01145: Sharing worker")
            shared: Worker | None = None
            for w in own_workers:
                if w.matchable == matchable and w.covers(name) and (shared is None or len(w.name) > len(shared.name)):
                    shared = w
            if shared is not None:
                return shared
            w = Worker(name, params, at, matchable)
            own_workers.append(w)
            workers.append(w)
            return w

        locations: list[LocationSection] = list(parent.locations) if parent else []
        # in the order httpd reads them: a worker's parameters are those of the line that created it,
        # and ProxySet in a <Proxy> section sets them whenever it comes
        for n in nodes:
            if n.key in ("proxy", "proxymatch") and n.args:
                target = n.args[0]
                proxy_sections.append((target, n))
                sets = [c for c in n.children or [] if c.key == "proxyset"]
                members = [c for c in n.children or [] if c.key == "balancermember" and c.args]
                if target.lower().startswith("balancer://"):
                    bal = balancers.setdefault(target.rstrip("/").lower(), Balancer(target.rstrip("/"), [], n))
                    for m in members:
                        bal.members.append(define(m.args[0], params_of(m.args[1:]), m))
                elif n.key == "proxy" and "*" not in target:
                    params: dict[str, str] = {}
                    for c in sets:
                        params.update(params_of(c.args))
                    w = define(target, params, sets[0] if sets else n)
                    w.params.update(params)
            elif n.key == "balancermember" and len(n.args) >= 2 and n.args[0].lower().startswith("balancer://"):
                bal = balancers.setdefault(n.args[0].rstrip("/").lower(), Balancer(n.args[0].rstrip("/"), [], n))
                bal.members.append(define(n.args[1], params_of(n.args[2:]), n))
            elif n.key in ("proxypass", "proxypassmatch") and len(n.args) >= 2:
                kind: MappingKind = "regex" if n.key == "proxypassmatch" else "prefix"
                args = n.args
                if n.key == "proxypass" and args[0] == "~" and len(args) >= 3:
                    kind, args = "regex", args[1:]
                mp = Mapping(kind, args[0], args[1], params_of(args[2:]), n)
                mappings.append(mp)
                if not mp.excluded and not mp.url.lower().startswith("balancer://"):
                    define(mp.url, mp.params, n, kind == "regex")
            elif n.key in ("location", "locationmatch"):
                section = _location(n)
                if section is not None:
                    locations.append(section)
                    mp2 = section.mapping
                    if mp2 is not None and not mp2.excluded and not mp2.url.lower().startswith("balancer://"):
                        define(mp2.url, mp2.params, mp2.node, mp2.kind == "regex")
        if parent is not None:
            # mod_proxy merges the main server's ProxyPass lines in before the vhost's own, whatever
            # ProxyPassInherit says (it only gates ProxyRemote; measured on 2.4.71)
            mappings = parent.mappings + mappings
        rewrite_on = parent.rewrite_on if parent is not None else False
        options: list[str] = []
        for n in own:
            if n.key == "rewriteengine" and n.args:
                rewrite_on = n.args[0].lower() == "on"
            elif n.key == "rewriteoptions":
                options += [a.lower() for a in n.args]
        rules = collect(own)
        if parent is not None and "inherit" in options:
            rules = rules + parent.rules
        elif parent is not None and "inheritbefore" in options:
            rules = parent.rules + rules
        timeout = parent.timeout if parent is not None else (DEFAULT_TIMEOUT, None)
        proxy_timeout = parent.proxy_timeout if parent is not None else None
        preserve = parent.preserve_host if parent is not None else False
        for n in own:
            if n.key == "timeout" and n.args and (value := seconds(n.args[0])) is not None:
                timeout = (value, n)
            elif n.key == "proxytimeout" and n.args and (value := seconds(n.args[0])) is not None:
                proxy_timeout = (value, n)
            elif n.key == "proxypreservehost" and n.args:
                preserve = n.args[0].lower() == "on"
        names: list[tuple[str, Node]] = []
        for n in own:
            if n.key == "servername" and n.args:
                names.insert(0, (_host_of(n.args[0]), n))
            elif n.key == "serveralias":
                names += [(a.lower(), n) for a in n.args]
        if node is not None and not any(n.key == "servername" for n in own) and parent is not None:
            names = [*parent.names[:1], *names]
        addresses = [_address(a) for a in node.args] if node is not None else []
        redirects = [n for n in own if n.key in ("redirect", "redirectmatch", "redirectpermanent", "redirecttemp")]
        if parent is not None:
            # mod_alias: a virtual host's own redirects, then the main server's
            redirects = redirects + parent.redirects
        merge_slashes = parent.merge_slashes if parent is not None else True
        ws_fallback = parent.ws_fallback if parent is not None else True
        for n in own:
            if n.key == "mergeslashes" and n.args:
                merge_slashes = n.args[0].lower() == "on"
            elif n.key == "proxywebsocketfallbacktoproxyhttp" and n.args:
                ws_fallback = n.args[0].lower() == "on"
        headers = [n for n in own if n.key == "requestheader"]
        if parent is not None:
            headers = parent.headers + headers
        unjudged = list(parent.unjudged) if parent is not None else []
        ssl_proxy = parent.ssl_proxy if parent is not None else False
        for n in nodes:
            if n.key in CONDITIONAL_SECTIONS and not neutral_conditional(n):
                unjudged.append(f"what `{n.text.splitlines()[0]}` at {n.source} does (its expression is not evaluated)")
            elif n.key in ("proxyremote", "proxyremotematch"):
                unjudged.append(f"where `{n.text}` at {n.source} sends the request (another proxy)")
            elif n.key in ("sslverifyclient", "sslrequiressl", "sslrequire") and (why := access_unknown(n)):
                unjudged.append(why)
            elif n.key == "sslproxyengine" and n.args:
                ssl_proxy = n.args[0].lower() == "on"
        file_rules = list(parent.file_rules) if parent is not None else []
        for n in nodes:
            if n.key in FILE_SECTIONS:
                file_rules += [f"what `{c.text.splitlines()[0]}` at {c.source} does" for c in _file_rules(n)]
        label = " ".join(node.args) if node is not None else "main server"
        return Server(
            node=node,
            label=label,
            addresses=addresses,
            names=names,
            directives=own,
            mappings=mappings,
            locations=locations,
            rules=rules,
            rewrite_on=rewrite_on,
            timeout=timeout,
            proxy_timeout=proxy_timeout,
            preserve_host=preserve,
            workers=workers,
            balancers=balancers,
            redirects=redirects,
            headers=headers,
            proxy_sections=proxy_sections,
            merge_slashes=merge_slashes,
            ws_fallback=ws_fallback,
            unjudged=unjudged,
            ssl_proxy=ssl_proxy,
            file_rules=file_rules,
        )

    def listen_ports(self) -> set[int]:
        out: set[int] = set()
        for n in self.listens:
            if n.args:
                _, port = _address(n.args[0])
                if port is not None:
                    out.add(port)
        return out


_SCHEME_HOST = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?]*)(.*)$", re.S)


@functools.lru_cache(maxsize=4096)
def _fold(url: str) -> str:
    """A URL with its scheme and host in lower case, as httpd compares worker names (cached: every
    route's URL is held against every worker name of its server)."""
    m = _SCHEME_HOST.match(url)
    return m.group(1).lower() + m.group(2) if m else url


def _ematch(text: str, pattern: str) -> bool:
    """ap_proxy_strcmp_ematch: `pattern` is a prefix of `text`, each run of `$N` matching any text
    (zero characters or more, but not past the end of `text`), a backslash escaping a character."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "$" and i + 1 < len(pattern) and pattern[i + 1].isdigit():
            while i + 1 < len(pattern) and pattern[i] == "$" and pattern[i + 1].isdigit():
                i += 2
            if i >= len(pattern):
                return True if not parts else re.match("".join(parts), text, re.S) is not None
            parts.append(".*?")
            continue
        if pattern[i] == "\\" and i + 1 < len(pattern):
            i += 1
        parts.append(re.escape(pattern[i]))
        i += 1
    return re.match("".join(parts), text, re.S) is not None


def _host_of(name: str) -> str:
    """A ServerName's host: without scheme and port, lower case."""
    value = name.lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.split(":", 1)[0]


def _address(text: str) -> tuple[str, int | None]:
    value = text.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port.isdigit() else None
    host, sep, port = value.rpartition(":")
    if not sep:
        return (value, None) if not value.isdigit() else ("*", int(value))
    return host, int(port) if port.isdigit() else None


def name_matches(pattern: str, host: str) -> bool:
    """ServerName/ServerAlias matching: case-insensitive, `*` and `?` wildcards."""
    return fnmatch.fnmatchcase(host.lower(), pattern.lower())
