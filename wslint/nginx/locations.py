"""Location selection exactly as nginx's ngx_http_core_find_location does it.

For the URI at one level: an exact `=` match, or a prefix location as long as
the URI itself, ends the search (no regexes). A prefix location that is the
URI plus "/" and passes to an upstream answers 301 (auto redirect), also
without regexes. Otherwise the longest prefix is remembered, its nested
locations are searched, and unless it is `^~`, this level's regex locations
are tried in the order written; the first that matches wins (and its nested
locations are searched in turn).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from wslint.nginx.evaluate import compile_regex
from wslint.nginx.tree import Directive

PASS_DIRECTIVES = (
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "memcached_pass",
    "grpc_pass",
)

Outcome = Literal["found", "redirect", "none"]


@dataclass(frozen=True)
class LocationInfo:
    directive: Directive
    modifier: str
    name: str
    regex: re.Pattern[str] | None

    @property
    def exact(self) -> bool:
        return self.modifier == "="

    @property
    def no_regex(self) -> bool:
        return self.modifier == "^~"

    @property
    def is_regex(self) -> bool:
        return self.modifier in ("~", "~*")

    @property
    def named(self) -> bool:
        return self.name.startswith("@")

    @property
    def auto_redirect(self) -> bool:
        """nginx redirects URI to URI/ for such a location when it passes to an upstream."""
        return (
            not self.is_regex
            and self.name.endswith("/")
            and any(self.directive.first(p) is not None for p in PASS_DIRECTIVES)
        )


@dataclass(frozen=True)
class Selection:
    outcome: Outcome
    location: LocationInfo | None
    trail: tuple[str, ...]


def location_info(d: Directive) -> LocationInfo:
    args = d.args
    if len(args) >= 2 and args[0] in ("=", "^~", "~", "~*"):
        mod, name = args[0], args[1]
    elif args and args[0].startswith("=") and len(args[0]) > 1:
        mod, name = "=", args[0][1:]
    else:
        mod, name = "", args[0] if args else ""
    regex = compile_regex(name, mod == "~*") if mod in ("~", "~*") else None
    return LocationInfo(d, mod, name, regex)


def normalize_uri(raw: str, merge_slashes: bool = True) -> str:
    """The URI nginx matches locations against: decoded, dot segments resolved, slashes merged."""
    path = unquote(raw.split("?", 1)[0]) or "/"
    if merge_slashes:
        path = re.sub(r"/{2,}", "/", path)
    trailing = path.endswith("/")
    norm = posixpath.normpath(path)
    if norm.startswith("//"):
        norm = norm[1:]
    if trailing and not norm.endswith("/"):
        norm += "/"
    return norm


def children_locations(block: Directive) -> list[LocationInfo]:
    return [location_info(d) for d in block.iter("location")]


def select(block: Directive, uri: str) -> Selection:
    """The location of `block` (a server or location) that handles `uri`."""
    trail: list[str] = []
    rc, loc = _find(block, uri, trail)
    outcome: Outcome = {"done": "redirect", "declined": "none"}.get(rc, "found")  # type: ignore[assignment]
    return Selection(outcome, loc, tuple(trail))


def _find(block: Directive, uri: str, trail: list[str]) -> tuple[str, LocationInfo | None]:
    """nginx's return codes: ok (exact or regex), done (auto redirect), again (prefix), declined."""
    locs = [loc for loc in children_locations(block) if not loc.named]
    static = [loc for loc in locs if not loc.is_regex]
    for loc in static:
        if loc.exact and loc.name == uri:
            trail.append(f"exact match = {loc.name}")
            return "ok", loc
    for loc in static:
        if not loc.exact and loc.name == uri:
            trail.append(f"prefix {loc.name} equals the URI, so regex locations are not checked")
            return "ok", loc
    for loc in static:
        if loc.auto_redirect and loc.name == uri + "/":
            trail.append(f"{loc.name} passes to an upstream and the URI lacks its trailing slash: 301")
            return "done", loc
    rc, found = "declined", None
    no_regex = False
    prefixes = [loc for loc in static if not loc.exact and uri.startswith(loc.name)]
    best = max(prefixes, key=lambda loc: len(loc.name), default=None)
    if best is not None:
        trail.append(f"longest prefix {'^~ ' if best.no_regex else ''}{best.name}")
        rc, found, no_regex = "again", best, best.no_regex
        sub_rc, sub = _find(best.directive, uri, trail)
        if sub_rc in ("ok", "done"):
            return sub_rc, sub
        if sub_rc == "again":
            found = sub
    if no_regex:
        trail.append("^~ stops the regex search")
        return rc, found
    for loc in locs:
        if loc.is_regex and loc.regex is not None and loc.regex.search(uri):
            trail.append(f"first matching regex {loc.modifier} {loc.name} (regexes are tried in file order)")
            _, sub = _find(loc.directive, uri, trail)
            return "ok", sub or loc
    return rc, found
