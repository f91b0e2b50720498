"""HAProxy sample expressions (`fetch,converter,...`), pattern matching and log-format strings.

A fetch gives the values an ACL iterates over (`hdr()` splits each header
line at commas, `fhdr()` does not; both visit every occurrence); outside an
ACL a sample is the last of them. Values wslint cannot know (the client's
address, a variable set from one) are None, and everything built from them is
None too: callers turn that into "uncertain", never into a guess.

Matching follows src/pattern.c: `str`, `beg`, `end`, `sub`, `reg` (searched,
not anchored), `dir` and `dom` (a word delimited by `/` and `?`, plus `.` and
`:` for domains), `len`, `int`, `bool`, `found`; `-i` ignores case.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from wslint.haproxy.request import HttpRequest, split_tokens
from wslint.inputs import display_path
from wslint.textfiles import read_text

Values = list[str] | None

MATCH_METHODS = ("found", "bool", "int", "ip", "bin", "len", "str", "sub", "reg", "beg", "end", "dir", "dom")

# fetches whose `<name>_<method>` ACL forms exist
DERIVABLE = frozenset(
    {"hdr", "req.hdr", "path", "url", "base", "urlp", "url_param", "fhdr", "req.fhdr", "cook", "req.cook", "query"}
)
INT_FETCHES = frozenset(
    {"hdr_cnt", "req.hdr_cnt", "fhdr_cnt", "req.fhdr_cnt", "dst_port", "hdr_val", "req.hdr_val", "urlp_val", "url_port"}
)
BOOL_FETCHES = frozenset({"ssl_fc", "always_true", "always_false", "http_first_req", "req.ssl_hello_type"})
HEADER_FETCHES = frozenset({"hdr", "req.hdr", "fhdr", "req.fhdr"})


class ExprError(ValueError):
    """A sample expression wslint cannot read."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.name}({','.join(self.args)})" if self.args else self.name


@dataclass(frozen=True)
class SampleExpr:
    fetch: Call
    converters: tuple[Call, ...]
    text: str

    @property
    def header(self) -> str | None:
        """The header a header fetch reads (lower-case), None for other fetches."""
        if self.fetch.name in HEADER_FETCHES and self.fetch.args:
            return self.fetch.args[0].lower()
        return None


def _split_args(text: str) -> list[str]:
    """A parenthesized argument list's arguments; quotes protect commas (second-level quoting)."""
    out: list[str] = []
    cur: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and i + 1 < len(text) and quote == '"':
                cur.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
            else:
                cur.append(c)
        elif c in "\"'":
            quote = c
        elif c == ",":
            out.append("".join(cur))
            cur = []
        elif c == "\\" and i + 1 < len(text):
            cur.append(text[i + 1])
            i += 2
            continue
        else:
            cur.append(c)
        i += 1
    if quote:
        raise ExprError("unmatched quote in arguments")
    out.append("".join(cur))
    return out


_NAME = re.compile(r"[A-Za-z0-9_.+-]+")


def _calls(text: str) -> list[Call]:
    calls: list[Call] = []
    i = 0
    n = len(text)
    while i < n:
        m = _NAME.match(text, i)
        if m is None:
            raise ExprError(f"expected a fetch or converter name at {text[i:]!r}")
        name = m.group(0)
        i = m.end()
        args: tuple[str, ...] = ()
        if i < n and text[i] == "(":
            depth, j, quote = 1, i + 1, None
            while j < n and depth:
                c = text[j]
                if quote:
                    if c == "\\":
                        j += 1
                    elif c == quote:
                        quote = None
                elif c in "\"'":
                    quote = c
                elif c == "\\":
                    j += 1
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                j += 1
            if depth:
                raise ExprError("missing ')'")
            args = tuple(_split_args(text[i + 1 : j - 1]))
            i = j
        calls.append(Call(name, args))
        if i < n:
            if text[i] != ",":
                raise ExprError(f"unexpected {text[i]!r} after {name}")
            i += 1
    if not calls:
        raise ExprError("empty expression")
    return calls


@lru_cache(maxsize=4096)
def parse_expr(text: str) -> SampleExpr:
    # cached: a configuration writes the same few criteria on many lines, and the expression is immutable
    calls = _calls(text.strip())
    return SampleExpr(calls[0], tuple(calls[1:]), text)


# -- pattern matching ------------------------------------------------------------------------------


def _word_match(value: str, pattern: str, icase: bool, delims: str) -> bool:
    """pattern.c match_word: `pattern` (delimiters around it stripped) found in `value` with a
    delimiter or the value's edge on both sides."""
    p = pattern.strip(delims) if pattern else pattern
    while p and p[0] in delims:
        p = p[1:]
    if not p or len(p) > len(value):
        return False
    v = value.lower() if icase else value
    p = p.lower() if icase else p
    may = True
    for i in range(0, len(v) - len(p) + 1):
        if v[i] in delims:
            may = True
            continue
        if not may:
            continue
        end = i + len(p)
        if v[i:end] == p and (end == len(v) or v[end] in delims):
            return True
        may = False
    return False


def _int_match(value: int, patterns: list[str], op: str | None) -> bool:
    for p in patterns:
        if op is None and ":" in p:
            lo, _, hi = p.partition(":")
            if (not lo or value >= int(lo)) and (not hi or value <= int(hi)):
                return True
            continue
        n = int(p)
        if {"eq": value == n, "ge": value >= n, "gt": value > n, "le": value <= n, "lt": value < n}[op or "eq"]:
            return True
    return False


def compile_regex(pattern: str, icase: bool) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE if icase else 0)
    except re.error:
        return None


def match_one(method: str, value: str, pattern: str, icase: bool) -> bool | None:
    """Whether one string value matches one pattern (None: the pattern cannot be evaluated)."""
    if method == "reg":
        rx = compile_regex(pattern, icase)
        return None if rx is None else rx.search(value) is not None
    if method == "dir":
        return _word_match(value, pattern, icase, "/?")
    if method == "dom":
        return _word_match(value, pattern, icase, "/?.:")
    v, p = (value.lower(), pattern.lower()) if icase else (value, pattern)
    if method == "str":
        return v == p
    if method == "beg":
        return v.startswith(p)
    if method == "end":
        return v.endswith(p)
    if method == "sub":
        return p in v
    return None


def match_values(values: Values, method: str, patterns: list[tuple[str, bool]], op: str | None) -> bool | None:
    """Whether any value matches any pattern (each pattern with its own -i)."""
    if values is None:
        return None
    if method == "found":
        return bool(values)
    if method == "bool":
        return any(v not in ("", "0", "false") for v in values)
    if method in ("int", "len"):
        try:
            nums = [len(v) if method == "len" else int(v) for v in values]
            return any(_int_match(n, [p for p, _ in patterns], op) for n in nums)
        except ValueError:
            return None
    unknown = False
    for v in values:
        for p, icase in patterns:
            r = match_one(method, v, p, icase)
            if r:
                return True
            if r is None:
                unknown = True
    return None if unknown else False


# -- map files --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapFile:
    path: str
    entries: tuple[tuple[str, str], ...]


def read_map(path: str, max_bytes: int) -> MapFile:
    """A map (or pattern) file: one key and its value per line, `#` comments; TextFileError when it is no
    regular text file within the size limit."""
    lines = read_text(path, display_path(path), max_bytes).split("\n")
    entries = []
    for line in lines:
        text = line.rstrip("\r").lstrip(" \t")
        if not text or text.startswith("#"):
            continue
        key, _, rest = text.replace("\t", " ").partition(" ")
        entries.append((key, rest.strip(" \t")))
    return MapFile(path, tuple(entries))


# -- evaluation -------------------------------------------------------------------------------------


Resolver = Callable[[str], MapFile | None]


# fetches that read the request itself (the buffered data, its HTTP form): empty until it arrives
REQUEST_FETCHES = frozenset(
    {
        "hdr",
        "req.hdr",
        "fhdr",
        "req.fhdr",
        "hdr_cnt",
        "req.hdr_cnt",
        "fhdr_cnt",
        "req.fhdr_cnt",
        "hdr_val",
        "req.hdr_val",
        "path",
        "pathq",
        "query",
        "url",
        "base",
        "baseq",
        "urlp",
        "url_param",
        "urlp_val",
        "method",
        "req.ver",
        "req_ver",
        "http_first_req",
        "req.cook",
        "cook",
        "req.body",
        "req.len",
        "req_len",
        "req.payload",
        "req.payload_lv",
        "req.proto_http",
        "req_proto_http",
        "req.ssl_sni",
        "req_ssl_sni",
        "req.ssl_hello_type",
        "req_ssl_hello_type",
        "req.ssl_ver",
        "req_ssl_ver",
        "ssl_fc_sni",
    }
)


def needs_request(fetch: str) -> bool:
    """Whether the fetch reads the request (rather than the connection: src, dst_port, ssl_fc)."""
    return fetch in REQUEST_FETCHES or fetch.startswith(("req.hdr", "hdr_", "path_", "url_", "base_", "cook_"))


class SampleContext:
    """Evaluates fetches and converters for one request."""

    def __init__(self, request: HttpRequest, maps: Resolver, vars_known: bool = True) -> None:
        self.request = request
        self.maps = maps
        self.vars_known = vars_known

    # fetches ----------------------------------------------------------------------

    def fetch(self, call: Call) -> Values:
        r = self.request
        name = call.name
        args = call.args
        if r.before_request and needs_request(name):
            # nothing to read yet: the fetch finds no sample, and its test fails
            return []
        if name in ("hdr", "req.hdr", "fhdr", "req.fhdr", "hdr_cnt", "req.hdr_cnt", "fhdr_cnt", "req.fhdr_cnt"):
            full = "fhdr" in name
            occurrences = r.values(args[0]) if args and args[0] else [v for _, v in r.headers if v is not None]
            if occurrences is None:
                return None
            values = [v.strip() for v in occurrences] if full else [t for v in occurrences for t in _comma_values(v)]
            if name.endswith("_cnt"):
                return [str(len(values))]
            if len(args) > 1 and args[1].lstrip("-").isdigit() and int(args[1]) != 0:
                k = int(args[1])
                idx = k - 1 if k > 0 else len(values) + k
                return [values[idx]] if 0 <= idx < len(values) else []
            return values
        if name in ("hdr_val", "req.hdr_val"):
            vals = self.fetch(Call("req.hdr", args))
            return None if vals is None else [v for v in vals if v.lstrip("-").isdigit()]
        if name in ("path", "pathq", "query", "url", "base", "baseq", "urlp", "url_param", "urlp_val"):
            return self._uri_fetch(name, args)
        if name == "method":
            return [r.method]
        if name in ("req.ver", "req_ver"):
            return [r.version]
        if name == "ssl_fc":
            return ["1" if r.tls else "0"]
        if name in ("ssl_fc_sni", "req.ssl_sni"):
            hosts = r.values("host")
            if hosts is None:
                return None
            return [_host_only(hosts[0])] if r.tls and hosts else []
        if name == "dst_port":
            return None if r.dst_port is None else [str(r.dst_port)]
        if name == "always_true":
            return ["1"]
        if name == "always_false":
            return ["0"]
        if name == "http_first_req":
            return ["1"]
        if name == "str":
            return [args[0] if args else ""]
        if name == "int":
            return [args[0] if args else "0"]
        if name == "var" and args:
            if args[0] in r.variables:
                value = r.variables[args[0]]
                return None if value is None else [value]
            return [] if self.vars_known else None
        return None

    def _uri_fetch(self, name: str, args: tuple[str, ...]) -> Values:
        r = self.request
        if r.path is None or r.url is None:
            return None
        if name == "path":
            return [r.path]
        if name in ("pathq", "url"):
            return [r.url]
        if name == "query":
            return [] if r.query is None else [r.query]
        if name in ("base", "baseq"):
            hosts = r.values("host")
            if hosts is None:
                return None
            return [(hosts[0] if hosts else "") + (r.url if name == "baseq" else r.path)]
        return self._url_param(args)

    def _url_param(self, args: tuple[str, ...]) -> Values:
        q = self.request.query
        if q is None:
            return []
        delim = args[1] if len(args) > 1 and args[1] else "&"
        out = []
        for part in re.split("[" + re.escape(delim) + "]", q):
            key, eq, value = part.partition("=")
            if not args or not args[0] or key == args[0]:
                out.append(value if eq else "")
        return out

    # converters -------------------------------------------------------------------

    def convert(self, call: Call, value: str) -> str | None:
        name, args = call.name, call.args
        if name == "lower":
            return value.lower()
        if name == "upper":
            return value.upper()
        if name == "host_only":
            return _host_only(value).lower()
        if name == "port_only":
            return _split_host(value)[1] or ""
        if name in ("field", "word"):
            return _field(value, args, name == "word")
        if name == "regsub" and args:
            icase = len(args) > 2 and "i" in args[2]
            rx = compile_regex(args[0], icase)
            if rx is None:
                return None
            count = 0 if len(args) > 2 and "g" in args[2] else 1
            repl = re.sub(r"\\(\d)", r"\\g<\1>", args[1] if len(args) > 1 else "")
            try:
                return rx.sub(repl, value, count=count)
            except re.error:
                return None
        if name.startswith("map"):
            return self._map(name, args, value)
        if name in ("ltrim", "rtrim") and args:
            return value.lstrip(args[0]) if name == "ltrim" else value.rstrip(args[0])
        if name == "length":
            return str(len(value))
        if name == "url_dec":
            from urllib.parse import unquote

            return unquote(value)
        return None

    def _map(self, name: str, args: tuple[str, ...], value: str) -> str | None:
        parts = name.split("_")
        method = parts[1] if len(parts) > 1 else "str"
        if method not in ("str", "beg", "sub", "dir", "dom", "end", "reg", "regm") or not args:
            return None
        mp = self.maps(args[0])
        default = args[1] if len(args) > 1 else None
        if mp is None:
            return None
        for key, out in mp.entries:
            if method in ("reg", "regm"):
                rx = compile_regex(key, False)
                if rx is None:
                    return None
                m = rx.search(value)
                if m is not None:
                    return m.expand(re.sub(r"\\(\d)", r"\\g<\1>", out)) if method == "regm" else out
                continue
            if match_one(method, value, key, False):
                return out
        return default if default is not None else ""

    # expressions ------------------------------------------------------------------

    def values(self, expr: SampleExpr) -> Values:
        """Every value an ACL iterates over: each fetched value through the converters."""
        fetched = self.fetch(expr.fetch)
        if fetched is None or not expr.converters:
            return fetched
        out: list[str] = []
        for v in fetched:
            cur: str | None = v
            for conv in expr.converters:
                if cur is None:
                    break
                cur = self.convert(conv, cur)
            if cur is None:
                return None
            out.append(cur)
        return out

    def sample(self, expr: SampleExpr) -> str | None:
        """The value of a sample outside an ACL ('' when nothing was found)."""
        fetched = self.fetch(expr.fetch)
        if fetched is None:
            return None
        if not fetched:
            return ""
        cur: str | None = fetched[-1]
        for conv in expr.converters:
            if cur is None:
                return None
            cur = self.convert(conv, cur)
        return cur

    def log_format(self, text: str) -> str | None:
        """A log-format string: text with `%[sample]`; other `%` variables are unknown."""
        out: list[str] = []
        i = 0
        while i < len(text):
            c = text[i]
            if c != "%":
                out.append(c)
                i += 1
                continue
            if text.startswith("%%", i):
                out.append("%")
                i += 2
                continue
            if text.startswith("%[", i):
                end = _closing_bracket(text, i + 2)
                if end < 0:
                    return None
                try:
                    value = self.sample(parse_expr(text[i + 2 : end]))
                except ExprError:
                    return None
                if value is None:
                    return None
                out.append(value)
                i = end + 1
                continue
            return None
        return "".join(out)


def _closing_bracket(text: str, start: int) -> int:
    depth, quote = 0, None
    for j in range(start, len(text)):
        c = text[j]
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "]" and depth == 0:
            return j
    return -1


def _comma_values(value: str) -> list[str]:
    return [t.strip() for t in value.split(",")] if value.strip() else [""]


def _split_host(value: str) -> tuple[str, str | None]:
    if value.startswith("["):
        host, _, rest = value.partition("]")
        return host + "]", rest[1:] if rest.startswith(":") else None
    host, sep, port = value.rpartition(":")
    if sep and port.isdigit():
        return host, port
    return value, None


def _host_only(value: str) -> str:
    return _split_host(value)[0]


def _field(value: str, args: tuple[str, ...], words: bool) -> str | None:
    if len(args) < 2 or not args[0].lstrip("-").isdigit():
        return None
    index, delims = int(args[0]), args[1]
    count = int(args[2]) if len(args) > 2 and args[2].isdigit() else 1
    if not delims or index == 0:
        return None
    parts = re.split("[" + re.escape(delims) + "]", value)
    if words:
        parts = [p for p in parts if p]
    if index > 0:
        chosen = parts[index - 1 : (index - 1 + count) if count else None]
    else:
        end = len(parts) + index + 1
        chosen = parts[max(0, end - count) : end] if count else parts[:end]
    joiner = delims[0]
    return joiner.join(chosen) if chosen else ""


def acl_keyword(name: str) -> tuple[str, str | None]:
    """An ACL criterion's fetch and its implied match method: `hdr_beg(host)` is `hdr` with `beg`."""
    for meth in ("beg", "end", "sub", "reg", "dom", "dir", "len"):
        base = name[: -len(meth) - 1] if name.endswith("_" + meth) else None
        if base and base in DERIVABLE:
            return base, meth
    if name in INT_FETCHES:
        return name, "int"
    if name in BOOL_FETCHES:
        return name, "bool"
    return name, None


def resolve_file(name: str, base: str) -> str:
    return name if os.path.isabs(name) else os.path.normpath(os.path.join(base, name))


def connection_tokens(values: Values) -> list[str] | None:
    if values is None:
        return None
    return [t for v in values for t in split_tokens(v)]
