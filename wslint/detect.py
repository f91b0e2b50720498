"""Which proxy a file configures, from its name and a look at its first 64 KiB.

Every proxy's syntax leaves marks that no other proxy's has: nginx ends its
statements with `;`, Caddy opens site blocks on an address (`example.com {`,
`:8080 {`), HAProxy starts sections at the left margin (`frontend web`),
Apache writes `<VirtualHost>` and CamelCase directives, Traefik is YAML or
TOML with its own keys. Each mark found scores for its proxy, a telling file
name adds to that, and the best score wins only when it is clearly ahead:
otherwise the answer is "cannot tell", with what was seen and the proxies it
could be, never a guess (reading Caddy as nginx passes it clean).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from wslint.apache.known import BUILTIN_DIRECTIVES, MODULE_DIRECTIVES

KINDS = ("nginx", "haproxy", "traefik", "apache", "caddy")

# a score from which a proxy is named, and how far the winner must be ahead of the next
_ENOUGH = 3
_AHEAD = 2
_DATA_SUFFIXES = (".yml", ".yaml", ".toml", ".json")


@dataclass(frozen=True)
class Detection:
    """The proxy a file configures, or None with why not and which proxies it may be."""

    kind: str | None
    reason: str
    plausible: tuple[str, ...] = ()
    # what scored, for the record: (kind, what was seen)
    seen: tuple[tuple[str, str], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class _Mark:
    kind: str
    weight: int
    what: str
    # compiled on first use (re keeps it): a file's shape or a missing character rules most marks out unrun
    source: str
    # when set, a match counts only if its first group is one of these words
    words: frozenset[str] | None = None
    # a character every match has: without it in the text the pattern is not run (most files lack most)
    needs: str = ""

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source, re.M)

    def matches(self, head: str) -> list[re.Match[str]]:
        """The first two matches: one tells, two tell more."""
        found: list[re.Match[str]] = []
        if self.needs and self.needs not in head:
            return found
        for m in self.pattern.finditer(head):
            if self.words is None or m.group(1) in self.words:
                found.append(m)
                if len(found) == 2:
                    break
        return found


def _m(kind: str, weight: int, what: str, pattern: str, words: frozenset[str] | None = None, needs: str = "") -> _Mark:
    return _Mark(kind, weight, what, pattern, words, needs)


_NGINX_DIRECTIVES = (
    "listen|server_name|proxy_pass|proxy_set_header|proxy_http_version|proxy_read_timeout|proxy_send_timeout"
    "|proxy_buffering|proxy_redirect|root|index|include|worker_processes|worker_connections|error_log|access_log"
    "|add_header|return|rewrite|try_files|fastcgi_pass|uwsgi_pass|grpc_pass|ssl_certificate|ssl_certificate_key"
    "|keepalive_timeout|client_max_body_size|sendfile|gzip|user|pid|resolver|default_type|charset|alias|expires"
    "|auth_basic|allow|deny|set|more_set_headers|proxy_cache|upstream|server"
)
_CADDY_DIRECTIVES = (
    "reverse_proxy|handle_path|file_server|php_fastcgi|encode|respond|redir|handle_errors|basicauth|basic_auth"
    "|forward_auth|request_header|header_up|header_down|lb_policy|try_files|import|tls|handle|route|uri|templates"
)
# the proxy directives only Apache writes in CamelCase, and the rest of its directive names
_APACHE_STRONG = (
    "ProxyPass|ProxyPassReverse|ProxyPassMatch|ProxyPreserveHost|ProxyRequests|ProxyTimeout|RewriteEngine"
    "|RewriteRule|RewriteCond|ServerName|ServerAlias|ServerRoot|ServerAdmin|DocumentRoot|LoadModule|ErrorLog"
    "|CustomLog|RequestHeader|SSLEngine|SSLCertificateFile|SSLProxyEngine|DirectoryIndex|AllowOverride"
)
_APACHE_NAMES = frozenset(d for d in (*BUILTIN_DIRECTIVES, *MODULE_DIRECTIVES) if d[:1].isupper())
# a Caddy site address: a scheme, a port, a host with a dot, localhost, a wildcard, an IP
_ADDRESS = (
    r"(?:https?://\S+|:\d+|\[[0-9a-fA-F:]+\](?::\d+)?|localhost(?::\d+)?"
    r"|\*?[A-Za-z0-9_\-*]+(?:\.[A-Za-z0-9_\-*]+)+(?::\d+)?(?:/\S*)?)"
)

# nginx (a statement may follow another, or a '{', on the same line)
_NGINX_DIRECTIVE = _m(
    "nginx",
    3,
    "an nginx directive ending with ';' ({})",
    rf"(?:^|[{{;]|\}})[ \t]*(?:{_NGINX_DIRECTIVES})[ \t][^;{{}}#\n]*;",
    needs=";",
)
_NGINX_STATEMENT = _m(
    "nginx", 1, "a statement ending with ';' ({})", r"(?:^|[{;}])[ \t]*[a-z_][a-z0-9_]*[ \t][^;{}#\n]*;", needs=";"
)
_NGINX_BLOCK = _m(
    "nginx",
    3,
    "an nginx block ({})",
    r"(?:^|[{;}])[ \t]*(?:http|events|stream|mail|types|server|upstream[ \t]+\S+|location[ \t]+[^{\n]+"
    r"|map[ \t]+\$\S+[ \t]+\$\S+|geo[ \t]+[^{\n]+|if[ \t]*\([^\n]*\))[ \t]*\{",
    needs="{",
)

_MARKS: tuple[_Mark, ...] = (
    _NGINX_DIRECTIVE,
    _NGINX_STATEMENT,
    _NGINX_BLOCK,
    # Caddy
    _m(
        "caddy",
        4,
        "a Caddy site block ({})",
        rf"^(?:{_ADDRESS})(?:[ \t]*,?[ \t]*{_ADDRESS})*[ \t]*\{{[ \t]*$",
        needs="{",
    ),
    _m("caddy", 3, "a Caddy snippet or named matcher ({})", r"^\s*(?:\([\w\-]+\)|@[\w\-]+)(?:\s+[^;{\n]*)?\s*\{?\s*$"),
    _m("caddy", 3, "a Caddy directive ({})", rf"^\s*(?:{_CADDY_DIRECTIVES})(?:\s+[^;\n]*?)?\s*\{{?\s*$"),
    _m(
        "caddy",
        2,
        "a Caddy placeholder ({})",
        r"\{\$[A-Z_][A-Z0-9_]*(?::[^}]*)?\}|\{http\.request\.[a-z_.]+\}",
        needs="{",
    ),
    # HAProxy: sections at the left margin, keywords indented under them
    _m(
        "haproxy",
        3,
        "an HAProxy section ({})",
        r"^(?:(?:frontend|backend|listen|resolvers|peers|userlist|http-errors|mailers)[ \t]+[\w.\-:]+"
        r"|(?:global|defaults)(?:[ \t]+[\w.\-]+)?)[ \t]*$",
    ),
    _m(
        "haproxy",
        2,
        "an HAProxy keyword ({})",
        r"^\s+(?:bind\s+\S*:\d+|mode\s+(?:http|tcp)|default_backend\s+\S+|use_backend\s+\S+|balance\s+\w+"
        r"|option\s+(?:httplog|forwardfor|http-server-close|tcplog)|http-request\s+\w+|acl\s+\S+\s+\S+"
        r"|server\s+\S+\s+\S+:\d+)",
    ),
    # Apache
    _m(
        "apache",
        4,
        "an Apache section ({})",
        r"^\s*<(?:VirtualHost|Location|LocationMatch|Directory|DirectoryMatch|IfModule|IfDefine|Proxy|ProxyMatch"
        r"|Files|FilesMatch|If|Macro)\b[^>\n]*>",
        needs="<",
    ),
    _m("apache", 3, "an Apache directive ({})", rf"^\s*(?:{_APACHE_STRONG})\s+[^;\n]*$"),
    # a word list too long for one fast pattern: CamelCase words first, then the list
    _m("apache", 1, "an Apache directive name ({})", r"^[ \t]*([A-Z][A-Za-z0-9]*)[ \t]+[^;{\n]*$", _APACHE_NAMES),
)

# Traefik's keys in YAML, TOML and labels (see traefik/loader.py for what each style holds)
_TRAEFIK_MARKS: tuple[_Mark, ...] = (
    _m(
        "traefik",
        4,
        "Traefik's dynamic configuration ({})",
        r"^(?:http|tcp|udp):[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*"
        r"[ \t]+(?:routers|services|middlewares|serversTransports):",
    ),
    _m(
        "traefik",
        4,
        "Traefik's static configuration ({})",
        r"^(?:entryPoints|providers|certificatesResolvers):[ \t]*(?:#.*)?$",
    ),
    _m("traefik", 4, "a Traefik TOML table ({})", r"^\s*\[\[?(?:http|tcp|udp|entryPoints|providers|tls)[.\]]"),
    _m(
        "traefik",
        4,
        "traefik.* labels ({})",
        r"traefik\.(?:http|tcp|udp)\.(?:routers|services|middlewares)\.|traefik\.enable",
    ),
    _m("traefik", 4, "Traefik command-line flags ({})", r"--(?:entrypoints|providers)\.[a-z]"),
    _m("traefik", 4, "a Traefik custom resource ({})", r"^apiVersion:\s*['\"]?traefik\.(?:io|containo\.us)/"),
    _m(
        "traefik",
        4,
        "a Kubernetes Ingress for Traefik ({})",
        r"traefik\.ingress\.kubernetes\.io/|^\s*ingressClassName:\s*['\"]?traefik\b|kubernetes\.io/ingress\.class:\s*['\"]?traefik\b",
    ),
    _m(
        "traefik",
        4,
        "a Traefik router rule ({})",
        r"^\s*(?:-\s+)?(?:rule|match):\s*['\"]?(?:!\s*)?\(?\s*(?:Host|HostRegexp|HostSNI|Path|PathPrefix|PathRegexp|Headers|HeaderRegexp|Method|ClientIP|Query)\(",
    ),
    _m("traefik", 2, "a Traefik key ({})", r"^\s*(?:routers|entryPoints|loadBalancer|passHostHeader|stripPrefix):"),
)

_COMMENT = re.compile(r"^\s*(?:#|//|;|$)")
_YAML_LINE = re.compile(r"^\s*(?:-\s+)?(?:[\w.\-/\"']+|\"[^\"]*\"|'[^']*')\s*:(?:\s|$)|^\s*-\s|^---|^\.\.\.")
_INI_SECTION = re.compile(r"^\s*\[[^\]\n]+\]\s*(?:[#;].*)?$")
_INI_PAIR = re.compile(r"^\s*[\w.\-]+\s*=")
_JSON_START = re.compile(r"^\s*(?:\{\s*(?:\"|\})|\[\s*(?:\{|\"|\]|\d|$))")


def _shape(head: str) -> str:
    """yaml, json, toml, ini, or text (the syntax of a proxy of its own) from the meaningful lines."""
    if _JSON_START.match(head.lstrip("\ufeff")):
        return "json"
    lines = [line for line in head.splitlines()[:400] if not _COMMENT.match(line)]
    if not lines:
        return "empty"
    if any(line.rstrip().endswith(("{", ";", "}")) for line in lines):
        return "text"
    sections = sum(1 for line in lines if _INI_SECTION.match(line))
    pairs = sum(1 for line in lines if _INI_PAIR.match(line))
    if sections + pairs >= len(lines) * 0.8:
        return "toml" if _toml_values(lines) else "ini"
    if sum(1 for line in lines if _YAML_LINE.match(line)) >= len(lines) * 0.7:
        return "yaml"
    return "text"


_TOML_VALUE = re.compile(r"""^\s*[\w.\-"']+\s*=\s*(?:"|'|\[|\{|true\b|false\b|[+-]?\d)""")


def _toml_values(lines: list[str]) -> bool:
    """TOML quotes its strings; INI files (supervisord, php-fpm, my.cnf) write bare values."""
    pairs = [line for line in lines if _INI_PAIR.match(line)]
    return bool(pairs) and all(_TOML_VALUE.match(line) for line in pairs)


def _first(mark: _Mark, head: str) -> tuple[int, str] | None:
    m = mark.pattern.search(head)
    if m is None:
        return None
    line = head.count("\n", 0, m.start()) + 1
    text = m.group(0).strip().splitlines()[0] if m.group(0).strip() else m.group(0)
    return line, text[:60]


def _name_hint(path: str) -> tuple[str, str] | None:
    """The proxy a file's name (or its directory's) points at, and how it was told."""
    name = os.path.basename(path)
    low = name.lower()
    parts = {p.lower() for p in re.split(r"[\\/]", path)[:-1]}
    if low == "caddyfile" or low.startswith("caddyfile.") or low.endswith((".caddyfile", ".caddy")):
        return "caddy", f"the name {name}"
    if low.startswith("haproxy") and low.endswith((".cfg", ".conf")):
        return "haproxy", f"the name {name}"
    if low in ("httpd.conf", "apache2.conf", "apache.conf"):
        return "apache", f"the name {name}"
    if low == "nginx.conf" or low.endswith(".nginx"):
        return "nginx", f"the name {name}"
    if low.startswith("traefik") and low.endswith(_DATA_SUFFIXES):
        return "traefik", f"the name {name}"
    for directory, kind in (("nginx", "nginx"), ("haproxy", "haproxy"), ("apache2", "apache"), ("httpd", "apache")):
        if directory in parts:
            return kind, f"the directory {directory}/"
    if "caddy" in parts:
        return "caddy", "the directory caddy/"
    if "traefik" in parts and low.endswith(_DATA_SUFFIXES):
        return "traefik", "the directory traefik/"
    return None


def _what_yaml_is(head: str, name: str) -> str:
    """What a YAML file without Traefik's keys looks like, to say so."""
    low = name.lower()
    if re.search(r"^on:", head, re.M) and re.search(r"^jobs:", head, re.M):
        return "a GitHub Actions workflow"
    if re.search(r"^services:", head, re.M) and (low.startswith(("docker-compose", "compose")) or "image:" in head):
        return "a Docker Compose file without traefik.* labels"
    kind = re.search(r"^kind:\s*['\"]?(\w+)", head, re.M)
    if kind and re.search(r"^apiVersion:", head, re.M):
        if kind.group(1) == "Ingress":
            return "a Kubernetes Ingress that names no Traefik ingress class"
        return f"a Kubernetes {kind.group(1)}, not an IngressRoute or an Ingress for Traefik"
    return "YAML without Traefik's keys (http.routers, entryPoints, traefik.* labels)"


def detect_why(path: str, head: str) -> Detection:
    name = os.path.basename(path)
    low = name.lower()
    hint = _name_hint(path)
    shape = _shape(head)
    if low.endswith(".json") or shape == "json":
        from wslint.caddy.json_config import looks_like_caddy_json

        if looks_like_caddy_json(head):
            return Detection("caddy", "Caddy's JSON configuration (an `apps` object at the top level)")
        return _data(head, name, hint, "JSON", ("caddy", "traefik"))
    if low.endswith((".yml", ".yaml")) or (shape == "yaml" and not low.endswith(".toml")):
        return _data(head, name, hint, "YAML", ("traefik",))
    if low.endswith(".toml") or shape == "toml":
        return _data(head, name, hint, "TOML", ("traefik",))
    if shape == "empty":
        return Detection(None, "it is empty or only comments", hint[:1] if hint else ())
    if shape == "ini":
        return Detection(
            None,
            "it looks like an INI file ([sections] of key = value, as supervisord, php-fpm or MySQL write), "
            "a syntax no proxy wslint reads uses",
            hint[:1] if hint else (),
        )
    return _text(head, hint)


def _data(head: str, name: str, hint: tuple[str, str] | None, shape: str, plausible: tuple[str, ...]) -> Detection:
    seen = [(mark, found) for mark in _TRAEFIK_MARKS if (found := _first(mark, head)) is not None]
    score = sum(mark.weight for mark, _ in seen)
    if hint is not None and hint[0] == "traefik":
        score += 2
    if score >= _ENOUGH + 1:
        mark, (line, text) = max(seen, key=lambda s: s[0].weight)
        return Detection("traefik", mark.what.format(f"line {line}: {text}"))
    if shape == "YAML":
        what = _what_yaml_is(head, name)
    else:
        what = f"{shape} without Traefik's keys" + (" or Caddy's `apps`" if shape == "JSON" else "")
    return Detection(None, f"it is {what}", plausible)


def _text(head: str, hint: tuple[str, str] | None) -> Detection:
    scores = dict.fromkeys(KINDS, 0)
    evidence: dict[str, list[str]] = {k: [] for k in KINDS}
    hit: set[str] = set()
    for mark in _MARKS:
        found = mark.matches(head)
        if not found:
            continue
        hit.add(mark.what)
        first = found[0]
        scores[mark.kind] += mark.weight * len(found)
        line = head.count("\n", 0, first.start()) + 1
        text = first.group(0).strip().splitlines()[0][:60]
        evidence[mark.kind].append(mark.what.format(f"line {line}: {text}"))
    # nginx always has statements ending with ';' or its own blocks (`server {`, `location /x {`: a file with a
    # `;` missing is still nginx, and refused as nginx refuses it); other braces (logrotate, prose) are not nginx
    if not hit & {_NGINX_DIRECTIVE.what, _NGINX_STATEMENT.what, _NGINX_BLOCK.what}:
        scores["nginx"] = 0
    # another proxy's own marks rule nginx out: ';'-ended lines alone (a Caddy `respond "a;"`) do not outweigh them
    strong_other = {k for k in ("caddy", "haproxy", "apache") if scores[k] >= _ENOUGH}
    if strong_other and not hit & {_NGINX_DIRECTIVE.what, _NGINX_BLOCK.what}:
        scores["nginx"] = 0
    if hint is not None:
        # a file's own name tells alone (a Caddyfile); its directory only adds to what the content shows
        scores[hint[0]] += _ENOUGH - 1 if hint[1].startswith("the directory") else _ENOUGH
        evidence[hint[0]].append(hint[1])
    ranked = sorted(KINDS, key=lambda k: -scores[k])
    best, second = ranked[0], ranked[1]
    seen = tuple((k, e) for k in KINDS for e in evidence[k])
    if scores[best] < _ENOUGH:
        plausible = tuple(k for k in ranked if scores[k] > 0)
        if not plausible:
            return Detection(None, "it has no mark of any proxy's syntax", (), seen)
        return Detection(None, "it has only weak marks: " + _listed(evidence, plausible), plausible, seen)
    if scores[second] >= _ENOUGH and scores[best] < _AHEAD * scores[second]:
        tied = tuple(k for k in ranked if scores[k] >= _ENOUGH)
        return Detection(None, "it has marks of several proxies: " + _listed(evidence, tied), tied, seen)
    return Detection(best, _listed(evidence, (best,)), (), seen)


def _listed(evidence: dict[str, list[str]], kinds: tuple[str, ...]) -> str:
    return "; ".join(f"{k}: " + ", ".join(evidence[k][:2]) for k in kinds if evidence[k])


def detect(path: str, head: str) -> str | None:
    return detect_why(path, head).kind


def cannot_tell(path: str, head: str, shown: str | None = None) -> str:
    """The message for a file whose proxy is not told: what was seen, and which --proxy to try."""
    found = detect_why(path, head)
    if found.plausible:
        advice = "pass " + " or ".join(f"--proxy {k}" for k in found.plausible) + " if it is one"
    else:
        advice = f"if it is a proxy configuration, pass --proxy with its proxy ({', '.join(KINDS)})"
    return f"cannot tell which proxy {shown or path} configures: {found.reason}; {advice}"
