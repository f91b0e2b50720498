"""A simulated request inside Caddy: its URL, headers, placeholders, and how rewrites change it.

Caddy keeps the decoded path (`r.URL.Path`) and, when it differs, the path as
the client escaped it; matchers compare the decoded one, the upstream gets
the escaped one. Placeholders (`{http.request.uri.path}`, `{path}` after the
Caddyfile's shorthand expansion) are filled from the request; one wslint
cannot know (the client's address, an environment variable) makes the
value unknown, and whatever depends on it uncertain.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from re import error
from urllib.parse import quote, unquote

from wslint.caddy.config import Rewrite, canonical_header
from wslint.model import Source

_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


def go_clean(p: str) -> str:
    """Go's path.Clean: lexical, "" is ".", repeated slashes merged, dot segments resolved."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(seg)
    cleaned = ("/" if rooted else "") + "/".join(out)
    return cleaned or ("/" if rooted else ".")


def clean_path(p: str, merge_slashes: bool = True) -> str:
    """Caddy's CleanPath: Go's Clean keeping a trailing slash; without merging, empty segments stay."""
    if not merge_slashes:
        marked = "".join(("\x00" + c) if c == "/" and i > 0 and p[i - 1] == "/" else c for i, c in enumerate(p))
        return clean_path(marked).replace("\x00", "")
    cleaned = go_clean(p)
    if cleaned != "/" and p.endswith("/"):
        cleaned += "/"
    return cleaned


def escape_path(path: str) -> str:
    """Go's URL.EscapedPath for a path without a RawPath."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


class Unknown(Exception):
    """A value wslint cannot know without the live request (its name says which)."""


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: str
    headers: dict[str, list[str]]
    tls: bool
    port: int
    raw_path: str = ""
    vars: dict[str, str] = field(default_factory=dict)
    # placeholders set while the request runs (regexp captures, the file matcher's result)
    values: dict[str, str] = field(default_factory=dict)
    # the route groups already satisfied
    groups: set[str] = field(default_factory=set)
    # header name -> the directive that last changed it (request_header)
    touched: dict[str, Source | None] = field(default_factory=dict)

    def copy(self) -> Request:
        return Request(
            self.method,
            self.host,
            self.path,
            self.query,
            {k: list(v) for k, v in self.headers.items()},
            self.tls,
            self.port,
            self.raw_path,
            dict(self.vars),
            dict(self.values),
            set(self.groups),
            dict(self.touched),
        )

    @property
    def escaped_path(self) -> str:
        return self.raw_path or escape_path(self.path)

    @property
    def request_uri(self) -> str:
        """What Go's URL.RequestURI() gives: the escaped path (or "/") and the raw query."""
        p = self.escaped_path or "/"
        return p + (f"?{self.query}" if self.query else "")

    def header(self, name: str) -> list[str] | None:
        return self.headers.get(canonical_header(name))

    @property
    def hostname(self) -> str:
        host = self.host
        if host.startswith("["):
            return host[1 : host.find("]")] if "]" in host else host
        if host.count(":") == 1:
            return host.split(":", 1)[0]
        return host

    # -- placeholders --------------------------------------------------------------------------

    def value(self, name: str) -> str | None:
        """A placeholder's value; None when Caddy has no such placeholder (it becomes "")."""
        if name in self.values:
            return self.values[name]
        if name.startswith("args."):
            return None
        if name.startswith(">"):
            # Caddy 1's {>Header}: Caddy 2 has no such placeholder, so the text is sent as written
            return None
        if name.startswith("$") or name.startswith("env."):
            raise Unknown(f"the environment variable in {{{name}}}")
        if name.startswith("http.vars."):
            return self.vars.get(name[len("http.vars.") :])
        if name.startswith("http.request.header."):
            vals = self.header(name[len("http.request.header.") :])
            return ",".join(vals) if vals else ""
        if name.startswith("http.request.uri.path.") and name[len("http.request.uri.path.") :].isdigit():
            segs = [s for s in self.path.split("/") if s]
            idx = int(name[len("http.request.uri.path.") :])
            return segs[idx] if idx < len(segs) else ""
        simple = {
            "http.request.uri.path": self.path,
            "http.request.uri": self.request_uri,
            "http.request.uri.query": self.query,
            "http.request.host": self.hostname,
            "http.request.hostport": self.host,
            "http.request.port": str(self.port),
            "http.request.scheme": "https" if self.tls else "http",
            "http.request.method": self.method,
            "http.request.proto": "HTTP/1.1",
            "http.request.uri.path.dir": self.path[: self.path.rfind("/") + 1] if "/" in self.path else "",
            "http.request.uri.path.file": self.path[self.path.rfind("/") + 1 :],
            "http.request.orig_uri": self.request_uri,
            "http.request.orig_uri.path": self.path,
        }
        if name in simple:
            return simple[name]
        if name.startswith(("http.request.remote", "http.request.tls", "time.", "system.", "http.request.cookie")):
            raise Unknown(f"{{{name}}}")
        if name.startswith(("http.regexp.", "http.matchers.")):
            return None
        raise Unknown(f"{{{name}}}")

    def replace_all(self, text: str) -> str:
        """Caddy's ReplaceAll: every placeholder, unknown names becoming empty."""
        if "{" not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: self.value(m.group(1)) or "", text)

    def replace_known(self, text: str) -> str:
        """Caddy's ReplaceKnown: names Caddy does not have stay as written."""
        if "{" not in text:
            return text

        def one(m: re.Match[str]) -> str:
            v = self.value(m.group(1))
            return m.group(0) if v is None else v

        return _PLACEHOLDER.sub(one, text)

    def unfilled(self, text: str) -> bool:
        """Whether `text` still holds a placeholder wslint cannot fill (one Caddy does not have is text)."""
        for m in _PLACEHOLDER.finditer(text):
            try:
                self.value(m.group(1))
            except Unknown:
                return True
        return False

    def replace_lenient(self, text: str) -> str:
        """Like replace_known, but values wslint cannot know stay as written (header values)."""
        if "{" not in text:
            return text

        def one(m: re.Match[str]) -> str:
            try:
                v = self.value(m.group(1))
            except Unknown:
                return m.group(0)
            return m.group(0) if v is None else v

        return _PLACEHOLDER.sub(one, text)

    # -- rewriting -------------------------------------------------------------------------------

    def set_path(self, fn: object) -> None:
        """Caddy's changePath: the function edits the escaped path; the decoded one follows it."""
        assert callable(fn)
        new_raw = fn(self.escaped_path)
        decoded = _unescape(new_raw)
        if decoded is not None and decoded != "":
            self.path = decoded
        else:
            self.path = fn(self.path)
        self.raw_path = "" if new_raw == self.path else new_raw
        if self.raw_path and escape_path(self.path) == self.raw_path:
            self.raw_path = ""

    def rewrite(self, rw: Rewrite) -> None:
        if rw.method:
            self.method = self.replace_all(rw.method).upper()
        if rw.uri:
            self._rewrite_uri(rw.uri)
        if rw.strip_prefix:
            prefix = self.replace_all(rw.strip_prefix)
            merge = "//" not in prefix
            self.set_path(lambda p: trim_path_prefix(clean_path(p, merge), prefix))
        if rw.strip_suffix:
            suffix = self.replace_all(rw.strip_suffix)
            merge = "//" not in suffix
            self.set_path(lambda p: trim_path_prefix(clean_path(p, merge)[::-1], suffix[::-1])[::-1])
        for find, rep, limit in rw.uri_substring:
            if not find:
                continue
            f, r = self.replace_all(find), self.replace_all(rep)
            merge = "//" not in find
            count = limit if limit > 0 else -1
            self.set_path(lambda p, f=f, r=r, merge=merge, count=count: clean_path(p, merge).replace(f, r, count))
            self.query = self.query.replace(f, r, count)
        for find, rep in rw.path_regexp:
            rx = go_regex(find)
            if rx is None:
                raise Unknown(f"the regular expression {find!r}")
            expand = go_replacement(self.replace_all(rep))
            self.set_path(lambda p, rx=rx, expand=expand: rx.sub(expand, p))

    def _rewrite_uri(self, uri: str) -> None:
        path_start = qs_start = frag_start = -1
        path_end = qs_end = -1
        for i, ch in enumerate(uri):
            if ch == "?" and qs_start < 0:
                path_end, qs_start = i, i + 1
            elif ch == "#" and frag_start < 0:
                if qs_start < 0:
                    path_end = i
                else:
                    qs_end = i
                frag_start = i + 1
                break
            elif path_start < 0 and qs_start < 0:
                path_start = i
        if path_start >= 0 and path_end < 0:
            path_end = len(uri)
        if qs_start >= 0 and qs_end < 0:
            qs_end = len(uri)
        path = uri[path_start:path_end] if path_start > -1 else ""
        query = uri[qs_start:qs_end] if qs_start > -1 else ""
        new_path = ""
        if path:
            if "{http.request.uri}" in path:
                tmp = self.path + (f"?{self.query}" if self.query else "")
                path = path.replace("{http.request.uri}", tmp)
            new_path = self.replace_all(path)
        if "?" in new_path:
            new_path, injected = new_path.split("?", 1)
            if not query:
                query = injected
        new_query = build_query(query, self) if query else ""
        if path_start >= 0:
            self.path = new_path
            self.raw_path = ""
        if qs_start >= 0:
            self.query = new_query


def _unescape(p: str) -> str | None:
    """Go's url.PathUnescape (None for an invalid escape)."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", p):
        return None
    return unquote(p, errors="strict") if "%" in p else p


def trim_path_prefix(escaped: str, prefix: str) -> str:
    """Caddy's trimPathPrefix: case-insensitive, escapes in the path compared decoded."""
    i_path = i_prefix = 0
    while i_path < len(escaped) and i_prefix < len(prefix):
        pch = prefix[i_prefix]
        ch = escaped[i_path]
        if ch == "%" and pch != "%" and len(escaped) >= i_path + 3:
            dec = _unescape(escaped[i_path : i_path + 3])
            if dec is None:
                return escaped
            ch = dec
            i_path += 2
        if ch.lower() != pch.lower():
            return escaped
        i_path += 1
        i_prefix += 1
    if i_path >= len(prefix):
        return escaped[i_path:]
    return escaped


def build_query(qs: str, req: Request) -> str:
    """Caddy's buildQueryString: placeholders in keys and values are filled and query-escaped."""
    out: list[str] = []
    wrote_val = True
    while qs:
        eq, amp = qs.find("="), qs.find("&")
        amp_next = amp >= 0 and (amp < eq or eq < 0)
        end = len(qs)
        if amp_next:
            end = amp
        elif eq >= 0 and (eq < amp or amp < 0):
            end = eq
        comp = qs[:end]

        def one(m: re.Match[str], wrote: bool = wrote_val) -> str:
            name = m.group(1)
            val = req.value(name) or ""
            if name == "http.request.uri.query" and wrote:
                return val
            return quote(val, safe="-_.~").replace("%20", "+")

        comp = _PLACEHOLDER.sub(one, comp)
        if end < len(qs):
            end += 1
        qs = qs[end:]
        if wrote_val:
            if out and comp:
                out.append("&")
        else:
            out.append("=")
        out.append(comp)
        wrote_val = amp_next
    return "".join(out)


_GO_ONLY = re.compile(r"\(\?[=!<]|\\[1-9]|\\Q|\\E|\(\?P=")


def go_regex(pattern: str) -> re.Pattern[str] | None:
    """A Go (RE2) regular expression as a Python one; None when Python cannot compile it."""
    translated = pattern.replace(r"\z", r"\Z")
    try:
        return re.compile(translated)
    except (re.error, OverflowError, RecursionError):
        return None


def refused_by_go(pattern: str) -> bool:
    """Constructs RE2 does not have (look-around, back-references): Caddy refuses the config."""
    return _GO_ONLY.search(pattern) is not None


def go_replacement(rep: str) -> Callable[[re.Match[str]], str]:
    """Go's Regexp.Expand for `$1`, `${1}`, `$name`, `${name}` and `$$` (a group that does not
    exist expands to nothing)."""

    def expand(m: re.Match[str]) -> str:
        out: list[str] = []
        i = 0
        while i < len(rep):
            c = rep[i]
            if c == "$" and i + 1 < len(rep):
                if rep[i + 1] == "$":
                    out.append("$")
                    i += 2
                    continue
                ref = re.match(r"\{(\w+)\}|(\w+)", rep[i + 1 :])
                if ref:
                    name = ref.group(1) or ref.group(2)
                    with contextlib.suppress(IndexError, error):
                        out.append(m.group(int(name) if name.isdigit() else name) or "")
                    i += 1 + ref.end()
                    continue
            out.append(c)
            i += 1
        return "".join(out)

    return expand


def canonical_headers(raw: dict[str, str]) -> dict[str, list[str]]:
    return {canonical_header(k): [v] for k, v in raw.items()}
