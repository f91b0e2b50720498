"""Location selection exactly as nginx's ngx_http_core_find_location does it.

For the URI at one level: an exact `=` match ends the search. A location
named URI + "/" that passes to an upstream answers 301 (auto redirect) without
looking at regexes. Otherwise the longest matching prefix (one exactly as long
as the URI included) is remembered, its nested locations are searched, and
unless it is `^~`, this level's regex locations are tried in the order written;
the first that matches wins (and its nested locations are searched in turn).
Verified against nginx 1.22 by tests/e2e/test_nginx_location_differential.py.
"""

from __future__ import annotations

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
    elif args and len(args[0]) > 1 and args[0][0] in "=~^":
        # nginx also reads the modifier glued to the name: =/x, ~^/x, ~*x, ^~/x
        first = args[0]
        mod = next((m for m in ("~*", "^~", "~", "=") if first.startswith(m)), "")
        name = first[len(mod) :] if mod else first
    else:
        mod, name = "", args[0] if args else ""
    regex = compile_regex(name, mod == "~*") if mod in ("~", "~*") else None
    return LocationInfo(d, mod, name, regex)


class BadRequest(ValueError):
    """A request target nginx answers with 400 (a `..` above the root)."""


def normalize_uri(raw: str, merge_slashes: bool = True) -> str:
    """The URI nginx matches locations against.

    The query and fragment are cut off, %XX is decoded (so %2F is a slash),
    `.` and `..` segments are resolved (a trailing one leaves the slash), and
    runs of slashes are merged unless merge_slashes is off. A `..` that would
    climb above the root raises BadRequest, as nginx answers 400.
    """
    # bytes that are not UTF-8 stay recoverable (surrogates), as nginx matches bytes
    path = unquote(raw.split("#", 1)[0].split("?", 1)[0], errors="surrogateescape") or "/"
    if not path.startswith("/"):
        path = "/" + path
    segments = path.split("/")[1:]
    trailing = segments[-1] in ("", ".", "..")
    stack: list[str] = []
    for seg in segments:
        if seg == "." or (seg == "" and merge_slashes):
            continue
        if seg == "..":
            if not stack:
                raise BadRequest(raw)
            stack.pop()
            continue
        stack.append(seg)
    uri = "/" + "/".join(stack)
    return uri + "/" if trailing and not uri.endswith("/") else uri


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
            # nginx stops its prefix search here, before any URI + "/" location
            # could redirect, but still searches nested and regex locations
            trail.append(f"prefix {loc.name} is the whole URI")
            return _after_prefix(loc, uri, trail)
    same = [loc for loc in static if loc.name == uri + "/"]
    if any(loc.auto_redirect for loc in same):
        # the tree node of that name redirects; nginx takes the exact location's settings
        loc = next((x for x in same if x.exact), same[0])
        trail.append(f"{loc.name} passes to an upstream and the URI lacks its trailing slash: 301")
        return "done", loc
    prefixes = [loc for loc in static if not loc.exact and uri.startswith(loc.name)]
    best = max(prefixes, key=lambda loc: len(loc.name), default=None)
    if best is not None:
        trail.append(f"longest prefix {'^~ ' if best.no_regex else ''}{best.name}")
        return _after_prefix(best, uri, trail)
    return _regexes(block, uri, trail, "declined", None)


def _after_prefix(best: LocationInfo, uri: str, trail: list[str]) -> tuple[str, LocationInfo | None]:
    """nginx's NGX_AGAIN: search the prefix's nested locations, then (unless ^~) the regexes."""
    found: LocationInfo | None = best
    sub_rc, sub = _find(best.directive, uri, trail)
    if sub_rc in ("ok", "done"):
        return sub_rc, sub
    if sub_rc == "again":
        found = sub
    if best.no_regex:
        trail.append("^~ stops the regex search")
        return "again", found
    parent = best.directive.parent
    assert parent is not None
    return _regexes(parent, uri, trail, "again", found)


def _regexes(
    block: Directive, uri: str, trail: list[str], rc: str, found: LocationInfo | None
) -> tuple[str, LocationInfo | None]:
    for loc in children_locations(block):
        if loc.is_regex and loc.regex is not None and loc.regex.search(uri):
            trail.append(f"first matching regex {loc.modifier} {loc.name} (regexes are tried in file order)")
            _, sub = _find(loc.directive, uri, trail)
            return "ok", sub or loc
    return rc, found
