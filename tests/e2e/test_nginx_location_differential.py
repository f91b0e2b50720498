"""wslint's nginx location selection, checked against the real nginx binary.

Every location of a generated server block tags its responses with
`add_header X-Loc <tag> always`, so the answer to a raw HTTP/1.1 request names
the location nginx chose:

* a 301 carrying a tag is nginx's automatic redirect (the URI lacks the
  trailing slash of a location that passes to an upstream);
* any other tagged answer is "found" (200 from `return`, 502 from a
  `proxy_pass` to a closed 127.0.0.1 port);
* an untagged answer means no location matched: the server itself serves the
  request from an empty root (404, or 403 for a directory), and the server has
  no `add_header` of its own.

The same request target goes through `select(server, normalize_uri(target))`
on the tree that the product's loader builds from the very file nginx loaded,
and the two answers must be equal.

The hand-written cases also record nginx's answer as an expectation, so
`test_nginx_behaves_as_documented` fails if nginx itself does something other
than what a case documents, and `test_wslint_agrees_with_nginx` fails where
wslint's model differs from nginx. The randomized part generates small server
blocks from fixed seeds and compares every request.
"""

from __future__ import annotations

import random
import socket
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.nginx_proxy import Nginx
from tests.e2e.proxies import ConfigRefused, free_port
from wslint.findings import Diagnostic
from wslint.inputs import InputFile
from wslint.nginx.loader import Loader, LoadOptions
from wslint.nginx.locations import BadRequest, normalize_uri, select
from wslint.nginx.tree import Directive

pytestmark = pytest.mark.realproxy

# Placeholders filled in when nginx is started.
PORT = "__PORT__"
ALT_PORT = "__ALT_PORT__"  # for a server that must be the default one of its port
CLOSED = "__CLOSED__"  # a 127.0.0.1 port nothing listens on: upstreams answer 502
ROOT = "__ROOT__"  # an empty directory

REQUEST_TIMEOUT = 5.0


# --- answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """Which location handled a request, and how."""

    outcome: str  # "found", "redirect", "none", or "rejected" (nginx answered 400)
    tag: str | None = None
    target: str | None = None  # the path of a redirect's Location header

    def __str__(self) -> str:
        if self.outcome == "redirect":
            return f"redirect by {self.tag} to {self.target}"
        if self.outcome == "found":
            return f"found {self.tag}"
        return self.outcome


def found(tag: str) -> Answer:
    return Answer("found", tag)


def redirect(tag: str, target: str) -> Answer:
    return Answer("redirect", tag, target)


NONE = Answer("none")


# --- configuration text ----------------------------------------------------------------------


def loc(head: str, tag: str, *nested: str, handler: str | None = None) -> str:
    """`location <head>` answering with its tag (or running `handler`), with nested blocks."""
    body = [f"add_header X-Loc {tag} always;", handler or f'return 200 "{tag}\\n";', *nested]
    return f"location {head} {{\n" + textwrap.indent("\n".join(body), "    ") + "\n}"


def proxy(head: str, tag: str, *nested: str) -> str:
    return loc(head, tag, *nested, handler=f"proxy_pass http://127.0.0.1:{CLOSED};")


def server(name: str, locations: tuple[str, ...] | list[str], extra: str = "", port: str = PORT) -> str:
    lines = [
        f"listen 127.0.0.1:{port};",
        f"server_name {name};",
        f"root {ROOT};",
        "proxy_connect_timeout 2s;",
        *([extra] if extra else []),
        *locations,
    ]
    return "server {\n" + textwrap.indent("\n".join(lines), "    ") + "\n}\n"


# --- running nginx and asking both sides -----------------------------------------------------


@dataclass(repr=False)
class Site:
    ports: dict[str, int]  # placeholder -> port
    text: str
    servers: dict[str, Directive]  # server_name -> the server block as wslint loaded it

    def __repr__(self) -> str:
        # a Directive's generated repr walks the whole tree; keep failure reports fast
        return f"Site(ports={self.ports}, servers={sorted(self.servers)})"


def _wslint_servers(path: Path) -> dict[str, Directive]:
    diags: list[Diagnostic] = []
    loaded = Loader(LoadOptions(), diags).load(InputFile("site.conf", str(path)))
    assert not loaded.failed, f"wslint could not load {path}: {diags}"
    servers = {}
    for srv in loaded.root.iter("server"):
        name = srv.first("server_name")
        assert name is not None
        servers[name.args[0]] = srv
    return servers


@contextmanager
def running(binary: str, prefix: Path, text: str) -> Iterator[Site]:
    """nginx serving `text` (server blocks with placeholders) until the block ends."""
    ports = {PORT: free_port(), ALT_PORT: free_port()}
    root = prefix / "empty"
    root.mkdir(parents=True)
    site = text.replace(CLOSED, str(free_port())).replace(ROOT, str(root))
    for placeholder, port in ports.items():
        site = site.replace(placeholder, str(port))
    nginx = Nginx(binary, prefix, site)
    try:
        nginx.start(ports[PORT])
    except ConfigRefused as exc:
        pytest.fail(f"nginx refused the generated configuration: {exc}\n{site}")
    try:
        yield Site(ports, site, _wslint_servers(prefix / "site.conf"))
    finally:
        nginx.stop()


def http_get(port: int, host: str, target: str) -> tuple[int, dict[str, str]]:
    """One raw HTTP/1.1 GET with exactly these target bytes; status and headers of the answer."""
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1")
    deadline = time.monotonic() + REQUEST_TIMEOUT
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        while b"\r\n\r\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete answer to GET {target}")
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers


def ask_nginx(site: Site, host: str, target: str, port: str = PORT) -> Answer:
    status, headers = http_get(site.ports[port], host, target)
    if status == 400:
        return Answer("rejected")
    tag = headers.get("x-loc")
    if tag is None:
        return NONE
    if status == 301:
        return redirect(tag, urlsplit(headers.get("location", "")).path)
    return found(tag)


def _tag(d: Directive) -> str:
    header = d.first("add_header")
    assert header is not None and header.args[0] == "X-Loc", d.fallback_text()
    return header.args[1]


def _merge_slashes(srv: Directive) -> bool:
    d = srv.first("merge_slashes")
    return d is None or d.args[0] != "off"


def ask_wslint(srv: Directive, target: str) -> tuple[Answer, tuple[str, ...]]:
    try:
        uri = normalize_uri(target, _merge_slashes(srv))
    except BadRequest:
        return Answer("rejected"), ()
    sel = select(srv, uri)
    if sel.outcome == "none" or sel.location is None:
        return NONE, sel.trail
    if sel.outcome == "redirect":
        return redirect(_tag(sel.location.directive), sel.location.name), sel.trail
    return found(_tag(sel.location.directive)), sel.trail


def _shown_uri(target: str, srv: Directive) -> str:
    try:
        return normalize_uri(target, _merge_slashes(srv))
    except BadRequest:
        return "(400)"


def _describe_tags(srv: Directive) -> dict[str, str]:
    out = {}
    for d in srv.walk():
        if d.name == "location":
            out[_tag(d)] = f"location {' '.join(d.args)} (line {d.source.line})"
    return out


def disagreements(site: Site, host: str, nginx: dict[str, Answer]) -> list[str]:
    """One line per request target whose wslint answer is not nginx's."""
    srv = site.servers[host]
    where = _describe_tags(srv)
    lines = []
    for target, want in nginx.items():
        got, trail = ask_wslint(srv, target)
        if got != want:
            lines.append(
                f"GET {target} (wslint matches {_shown_uri(target, srv)!r}): "
                f"nginx {want} [{where.get(want.tag or '', '-')}], "
                f"wslint {got} [{where.get(got.tag or '', '-')}]; wslint's trail: {' / '.join(trail)}"
            )
    return lines


# --- hand-written cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    locations: tuple[str, ...]
    expect: tuple[tuple[str, Answer], ...]  # request target -> what nginx does
    extra: str = ""  # server-level directives
    # URI parsing follows the default server of the port (merge_slashes of another server
    # on the same port has no effect), so such a case gets a port of its own
    port: str = PORT

    @property
    def host(self) -> str:
        # short: long names would need a bigger server_names_hash_bucket_size
        return f"case{CASES.index(self)}.test"


CASES = [
    Case(
        "exact_beats_prefix",
        (loc("= /ws", "E"), loc("/ws", "P"), loc("/", "R")),
        (
            ("/ws", found("E")),
            ("/ws/", found("P")),
            ("/wsx", found("P")),
            ("/w", found("R")),
            ("/", found("R")),
        ),
    ),
    Case(
        "exact_beats_regex",
        (loc("= /ws", "E"), loc("~ ws", "X")),
        (("/ws", found("E")), ("/ws/", found("X")), ("/x", NONE)),
    ),
    Case(
        "exact_without_space",
        (loc("=/ws", "E"), loc("/", "R")),
        (("/ws", found("E")), ("/ws/", found("R"))),
    ),
    Case(
        "longest_prefix",
        (loc("/", "R"), loc("/a", "A"), loc("/a/b", "AB"), loc("/a/bc", "ABC")),
        (
            ("/a/b/c", found("AB")),
            ("/a/bcd", found("ABC")),
            ("/a/", found("A")),
            ("/ab", found("A")),
            ("/b", found("R")),
        ),
    ),
    Case(
        "regex_beats_longer_prefix",
        (loc("/ws/", "P"), loc("~ /x$", "X")),
        (("/ws/a/x", found("X")), ("/ws/a", found("P")), ("/b/x", found("X")), ("/b", NONE)),
    ),
    Case(
        "noregex_prefix_stops_regexes",
        (loc("^~ /static/", "S"), loc("~ js$", "J"), loc("^~ /st", "N"), loc("/stat", "T")),
        (
            ("/static/app.js", found("S")),
            ("/other/app.js", found("J")),
            # ^~ counts only when it is the longest prefix: /stat is, so regexes run
            ("/stat/app.js", found("J")),
            ("/stat/app", found("T")),
            ("/stx.js", found("N")),
        ),
    ),
    Case(
        "noregex_prefix_equal_to_uri",
        (loc("^~ /ws", "N"), loc("~ ^/ws", "X")),
        (("/ws", found("N")), ("/wsx", found("N")), ("/w", NONE)),
    ),
    Case(
        "first_regex_in_file_order_wins",
        (loc("~ ^/a", "A1"), loc("~ ^/a/b", "A2"), loc("~ b$", "B"), loc("/a/b/", "P")),
        (("/a/b", found("A1")), ("/a/b/c", found("A1")), ("/x/b", found("B")), ("/x", NONE)),
    ),
    Case(
        "caseless_regex",
        (loc("~ ^/Ws", "C"), loc("~* ^/ws", "I"), loc("~ ^/ab", "S"), loc("/Up", "U")),
        (
            ("/Ws", found("C")),
            ("/ws", found("I")),
            ("/WS/x", found("I")),
            ("/wS", found("I")),
            ("/ab", found("S")),
            ("/AB", NONE),
            ("/Up", found("U")),
            ("/up", NONE),
        ),
    ),
    Case(
        "nested_prefix_in_prefix",
        (loc("/a/", "A", loc("/a/b/", "AB", loc("/a/b/c", "ABC"))), loc("/", "R")),
        (
            ("/a/b/c/d", found("ABC")),
            ("/a/b/x", found("AB")),
            ("/a/x", found("A")),
            ("/x", found("R")),
        ),
    ),
    Case(
        "nested_regex_before_outer_regex",
        (loc("/a/", "A", loc("~ x$", "AX")), loc("~ x$", "TX")),
        (("/a/x", found("AX")), ("/b/x", found("TX")), ("/a/y", found("A"))),
    ),
    Case(
        "outer_regex_overrides_nested_prefix",
        (loc("/a/", "A", loc("/a/b/", "AB")), loc("~ ^/a/b/c", "RX")),
        (("/a/b/c", found("RX")), ("/a/b/d", found("AB")), ("/a/d", found("A"))),
    ),
    Case(
        "nested_noregex_does_not_stop_outer_regexes",
        (loc("/a/", "A", loc("^~ /a/b/", "AB"), loc("~ c$", "AC")), loc("~ c$", "RX")),
        (("/a/b/c", found("RX")), ("/a/b/d", found("AB")), ("/a/c", found("AC"))),
    ),
    Case(
        "outer_noregex_still_runs_nested_regexes",
        (loc("^~ /a/", "A", loc("~ c$", "AC")), loc("~ c$", "RX")),
        (("/a/c", found("AC")), ("/a/d", found("A")), ("/b/c", found("RX"))),
    ),
    Case(
        "nested_in_regex_location",
        (loc("~ ^/r", "R", loc("~ x$", "RX")), loc("/", "ROOT")),
        (("/r/x", found("RX")), ("/r/y", found("R")), ("/x", found("ROOT"))),
    ),
    Case(
        "pcre_syntax",
        (
            loc(r"~ ^/(?<app>[a-z]+)/ws$", "NAMED"),
            loc(r"~ ^/v\d+/", "DIGITS"),
            loc('~ "^/q{2}$"', "BRACES"),
            loc("~ (?i)^/ci", "INLINE"),
            loc("/", "R"),
        ),
        (
            ("/chat/ws", found("NAMED")),
            ("/chat/ws%0A", found("NAMED")),  # $ also matches before a final newline
            ("/Chat/ws", found("R")),
            ("/v12/x", found("DIGITS")),
            ("/vx/x", found("R")),
            ("/qq", found("BRACES")),
            ("/q", found("R")),
            ("/CI", found("INLINE")),
        ),
    ),
    Case(
        "quoted_location_name",
        (loc('"/a b/"', "SPACE"), loc("/", "R")),
        (("/a%20b/x", found("SPACE")), ("/a+b/x", found("R"))),
    ),
    Case(
        "auto_redirect",
        (proxy("/ws/", "P"),),
        (
            ("/ws", redirect("P", "/ws/")),
            ("/ws?x=1", redirect("P", "/ws/")),
            ("/ws/", found("P")),
            ("/ws/chat", found("P")),
            ("/wsx", NONE),
        ),
    ),
    Case(
        "auto_redirect_over_shorter_prefixes",
        (loc("/", "R"), loc("/w", "W"), proxy("/ws/", "P")),
        (("/ws", redirect("P", "/ws/")), ("/w", found("W")), ("/wsx", found("W"))),
    ),
    Case(
        "auto_redirect_skips_regexes",
        (proxy("/ws/", "P"), loc("~ ws", "X")),
        (("/ws", redirect("P", "/ws/")), ("/ws/x", found("X")), ("/a/ws", found("X"))),
    ),
    Case(
        "prefix_equal_to_uri_beats_auto_redirect",
        (loc("/ws", "W"), proxy("/ws/", "P")),
        (("/ws", found("W")), ("/ws/", found("P")), ("/wsx", found("W"))),
    ),
    Case(
        "exact_beats_auto_redirect",
        (loc("= /ws", "E"), proxy("/ws/", "P")),
        (("/ws", found("E")), ("/ws/", found("P"))),
    ),
    Case(
        "auto_redirect_variants",
        (
            proxy("= /e/", "E"),
            proxy("^~ /n/", "N"),
            loc("/r/", "R"),
            loc("/f/", "F", handler=f"fastcgi_pass 127.0.0.1:{CLOSED};"),
            loc("/g/", "G", handler=f"grpc_pass grpc://127.0.0.1:{CLOSED};"),
            loc("/u/", "U", handler=f"uwsgi_pass 127.0.0.1:{CLOSED};"),
            loc("/s/", "S", handler=f"scgi_pass 127.0.0.1:{CLOSED};"),
            loc("/m/", "M", handler=f"set $memcached_key k; memcached_pass 127.0.0.1:{CLOSED};"),
            loc("/i/", "I", f"if ($arg_never) {{ proxy_pass http://127.0.0.1:{CLOSED}; }}"),
            loc("/a/", "A", proxy("/a/ws/", "AW")),
        ),
        (
            ("/e", redirect("E", "/e/")),
            ("/e/", found("E")),
            ("/n", redirect("N", "/n/")),
            ("/r", NONE),  # no upstream: no redirect
            ("/f", redirect("F", "/f/")),
            ("/g", redirect("G", "/g/")),
            ("/u", redirect("U", "/u/")),
            ("/s", redirect("S", "/s/")),
            ("/m", redirect("M", "/m/")),
            ("/i", NONE),  # proxy_pass inside `if` belongs to the if, not the location
            ("/a/ws", redirect("AW", "/a/ws/")),  # nested
            ("/a/ws/", found("AW")),
        ),
    ),
    Case(
        "named_locations_never_selected",
        (loc("@ws", "NAMED"), loc("/", "R"), loc("@fallback", "F")),
        (("/@ws", found("R")), ("/ws", found("R")), ("/@fallback", found("R"))),
    ),
    Case(
        "named_location_without_catch_all",
        (loc("@ws", "NAMED"), loc("/a", "A")),
        (("/@ws", NONE), ("/a", found("A"))),
    ),
    Case(
        "uri_normalization",
        (loc("= /ws/", "E"), proxy("/ws/", "P"), loc("/ws/x", "X"), loc("/", "R")),
        (
            ("//ws//x", found("X")),
            ("/a/../ws/", found("E")),
            ("/a/b/../../ws/x", found("X")),
            ("/ws/./x", found("X")),
            ("/ws/%2e%2e/ws/x", found("X")),
            # a percent-encoded slash is decoded and then treated as a slash, merged too
            ("/%2Fws/", found("E")),
            ("/%2fws%2f", found("E")),
            ("/ws%2Fx", found("X")),
            ("/%77s/", found("E")),
            ("/ws/?q=1", found("E")),
            # %3F is part of the path, not the start of the query
            ("/ws%3Fx", found("R")),
            ("/ws/...", found("P")),
        ),
    ),
    # ===== Cases where wslint's model disagreed with nginx when this file was written. =====
    #
    # A prefix location exactly as long as the URI does not end the search in nginx (only `=`
    # does): ngx_http_core_find_static_location answers NGX_AGAIN for it, like for any other
    # prefix, so its nested locations and then the regex locations are still searched.
    Case(
        "prefix_equal_to_uri_still_runs_regexes",
        (loc("/ws", "P"), loc("~ ^/ws", "X")),
        (("/ws", found("X")), ("/ws/x", found("X")), ("/w", NONE)),
    ),
    Case(
        "upstream_prefix_equal_to_uri_still_runs_regexes",
        (proxy("/ws/", "P"), loc("~ ws", "X")),
        (("/ws/", found("X")), ("/ws", redirect("P", "/ws/"))),
    ),
    Case(
        "prefix_equal_to_uri_still_runs_nested_locations",
        (loc("/n", "N", loc("~ n$", "NN"), loc("= /n", "NE")),),
        (("/n", found("NE")), ("/nn", found("NN")), ("/n/x", found("N"))),
    ),
    Case(
        # nginx keeps an exact and a prefix location of the same name in one tree node; the
        # redirect runs with the exact location's configuration (its add_header here)
        "auto_redirect_by_exact_and_prefix_of_same_name",
        (loc("= /ws/", "E"), proxy("/ws/", "P")),
        (("/ws", redirect("E", "/ws/")), ("/ws?q=1", redirect("E", "/ws/")), ("/ws/", found("E"))),
    ),
    # nginx accepts the modifiers written without a space (`~^/c`, `~*^/i`, `^~/ws`), as it
    # accepts `=/ws`
    Case(
        "noregex_modifier_without_space",
        (loc("^~/ws", "N"), loc("~ ws", "X")),
        (("/ws/x", found("N")), ("/a/ws", found("X"))),
    ),
    Case(
        "regex_modifier_without_space",
        (loc("~^/c", "C"), loc("~*^/i", "I"), loc("/", "R")),
        (("/cx", found("C")), ("/I", found("I")), ("/x", found("R"))),
    ),
    # URI normalization: nginx keeps the slash after a trailing "." or ".." segment, drops a
    # "#fragment", rejects ".." above the root, and with `merge_slashes off` keeps "//"
    Case(
        "trailing_dot_segment_keeps_slash",
        (loc("= /ws/", "E"), loc("/", "R")),
        (
            ("/ws/.", found("E")),
            ("/ws/x/..", found("E")),
            ("/ws/%2e", found("E")),
            ("/ws/x/%2E%2E", found("E")),
        ),
    ),
    Case(
        "fragment_is_not_part_of_the_uri",
        (loc("= /ws/", "E"), loc("/", "R")),
        (("/ws/#frag", found("E")),),
    ),
    Case(
        "dot_dot_above_root_is_rejected",
        (loc("/", "R"),),
        (("/..", Answer("rejected")), ("/a/../..", Answer("rejected"))),
    ),
    Case(
        "merge_slashes_off",
        (loc("= /ws/x", "E"), loc("//ws", "D"), loc("/", "R")),
        (("//ws//x", found("D")), ("/ws//x", found("R")), ("/ws/x", found("E"))),
        extra="merge_slashes off;",
        port=ALT_PORT,
    ),
]


@pytest.fixture(scope="module")
def nginx_answers(nginx_bin: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, dict[str, dict]]:
    """All hand-written cases served by one nginx (one server block each), asked once."""
    text = "".join(server(c.host, c.locations, c.extra, c.port) for c in CASES)
    answers: dict[str, dict[str, Answer]] = {}
    with running(nginx_bin, tmp_path_factory.mktemp("cases"), text) as site:
        for case in CASES:
            answers[case.id] = {target: ask_nginx(site, case.host, target, case.port) for target, _ in case.expect}
    return site, answers


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_nginx_behaves_as_documented(case: Case, nginx_answers: tuple[Site, dict[str, dict]]) -> None:
    _, answers = nginx_answers
    wrong = [
        f"GET {target}: documented {want}, nginx {answers[case.id][target]}"
        for target, want in case.expect
        if answers[case.id][target] != want
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wslint_agrees_with_nginx(case: Case, nginx_answers: tuple[Site, dict[str, dict]]) -> None:
    site, answers = nginx_answers
    lines = disagreements(site, case.host, answers[case.id])
    config = server(case.host, case.locations, case.extra)
    assert not lines, "wslint's location selection differs from nginx:\n" + "\n".join(lines) + "\n" + config


# --- randomized configurations ---------------------------------------------------------------

SEGMENTS = ("a", "b", "ab", "w", "ws")
KINDS = ("prefix", "exact", "noregex", "regex", "caseless", "proxy")
WEIGHTS = (4, 2, 1, 3, 1, 3)


class Generator:
    """A small random server block and the request targets to try on it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.count = 0
        self.names: list[str] = []

    def _tag(self) -> str:
        self.count += 1
        return f"L{self.count}"

    def _path(self, max_segments: int) -> str:
        segs = [self.rng.choice(SEGMENTS) for _ in range(self.rng.randint(1, max_segments))]
        path = "/" + "/".join(segs)
        return path + "/" if self.rng.random() < 0.35 else path

    def _static_name(self, parent: str | None) -> str:
        if parent is None:
            return self._path(2)
        suffix = self.rng.choice(("", "/")) + self.rng.choice(SEGMENTS) + self.rng.choice(("", "/"))
        if parent.endswith("/"):
            suffix = suffix.lstrip("/")
        return parent + suffix

    def _regex(self, caseless: bool) -> str:
        seg = self.rng.choice(SEGMENTS)
        body = self.rng.choice((f"/{seg}", seg, f"/{seg}/", f"{seg}/", self._path(2)))
        forms = ("^{}", "{}$", "^{}$", "{}", "{}") if body.startswith("/") else ("{}$", "{}")
        rx = self.rng.choice(forms).format(body)
        if self.rng.random() < (0.5 if caseless else 0.15):
            rx = "".join(c.upper() if self.rng.random() < 0.5 else c for c in rx)
        return rx

    def _level(self, parent: str | None, count: int, depth: int) -> list[str]:
        out: list[str] = []
        taken: set[tuple[bool, str]] = set()  # (exact, name) of static locations
        regexes: set[str] = set()
        for _ in range(count):
            kind = self.rng.choices(KINDS, WEIGHTS)[0]
            if kind in ("regex", "caseless"):
                rx = self._regex(kind == "caseless")
                if rx not in regexes:
                    regexes.add(rx)
                    out.append(loc(f"{'~*' if kind == 'caseless' else '~'} {rx}", self._tag()))
                continue
            name = self._static_name(parent)
            mod = {"exact": "=", "noregex": "^~", "prefix": ""}.get(kind, "")
            if kind == "proxy":
                name = name if name.endswith("/") else name + "/"
                mod = self.rng.choice(("", "", "", "^~", "="))
            key = (mod == "=", name)
            if key in taken:
                continue
            taken.add(key)
            self.names.append(name)
            nested: list[str] = []
            if mod != "=" and depth < 2 and self.rng.random() < 0.4:
                nested = self._level(name, self.rng.randint(1, 2), depth + 1)
            head = f"{mod} {name}" if mod else name
            make = proxy if kind == "proxy" else loc
            out.append(make(head, self._tag(), *nested))
        return out

    def _decorate(self, uri: str) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            uri = "".join(c.upper() if rng.random() < 0.5 else c for c in uri)
        if rng.random() < 0.1:
            uri = "/" + uri
        if rng.random() < 0.1:
            uri = "/zz/.." + uri
        if rng.random() < 0.1:
            uri += "?q=1"
        return uri

    def build(self, host: str) -> tuple[str, list[str]]:
        locations = self._level(None, 6, 0)
        if self.rng.random() < 0.3:
            locations.append(loc("/", self._tag()))
        self.rng.shuffle(locations)
        candidates = set()
        for name in self.names:
            candidates |= {name, name.rstrip("/") or "/", name + "b", name + "/ws"}
        while len(candidates) < 14:
            candidates.add(self._path(3))
        uris = self.rng.sample(sorted(candidates), 10)
        return server(host, locations), [self._decorate(u) for u in uris]


SEEDS = list(range(30))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_config_agrees_with_nginx(seed: int, nginx_bin: str, tmp_path: Path) -> None:
    host = f"seed{seed}.test"
    text, uris = Generator(seed).build(host)
    with running(nginx_bin, tmp_path, text) as site:
        answers = {u: ask_nginx(site, host, u) for u in uris}
    assert "rejected" not in {a.outcome for a in answers.values()}, answers
    lines = disagreements(site, host, answers)
    assert not lines, (
        f"seed {seed}: wslint's location selection differs from nginx:\n" + "\n".join(lines) + "\n" + site.text
    )
