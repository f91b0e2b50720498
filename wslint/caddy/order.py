"""Caddy's directive order: which routes of a block run first, which exclude each other, which merge.

Directives run in the order of a fixed table, not as written; directives of
the same kind sort a single path matcher longest first (a matcher before
none; `vars` the other way round). `handle`/`handle_path`, `rewrite` and
`root` routes of one block form groups in which only the first match runs.
Adjacent routes with the same matchers become one route. The sort is Go's
stable sort step for step, because Caddy's comparison is not a strict order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from wslint.caddy.config import (
    PathMatcher,
    Route,
    Subroute,
)
from wslint.caddy.parser import CaddyfileError
from wslint.caddy.values import ConfigValue, Ctx

# Caddy 2.6's directive order (caddyconfig/httpcaddyfile/directives.go)
DIRECTIVE_ORDER = (
    "tracing",
    "map",
    "vars",
    "root",
    "skip_log",
    "header",
    "copy_response_headers",
    "request_body",
    "redir",
    "method",
    "rewrite",
    "uri",
    "try_files",
    "basicauth",
    "forward_auth",
    "request_header",
    "encode",
    "push",
    "templates",
    "handle",
    "handle_path",
    "route",
    "abort",
    "error",
    "copy_response",
    "respond",
    "metrics",
    "reverse_proxy",
    "php_fastcgi",
    "file_server",
    "acme_server",
)

# directives that configure the site, not a handler


def _path_len(route: Route) -> int:
    if len(route.match) == 1:
        pm = route.match[0].get("path")
        if isinstance(pm, PathMatcher) and len(pm.patterns) == 1:
            return len(pm.patterns[0])
    return 0


def sort_routes(values: list[ConfigValue], order: list[str]) -> list[ConfigValue]:
    """Caddy's sortRoutes: by directive, then by the length of a single path matcher."""
    if len(values) < 2:
        # nothing to compare (most blocks hold one handler)
        return list(values)
    pos = {d: i for i, d in enumerate(order)}

    def before(a: ConfigValue, b: ConfigValue) -> bool:
        if a.directive != b.directive:
            return pos.get(a.directive, 0) < pos.get(b.directive, 0)
        ra, rb = a.value, b.value
        la, lb = _path_len(ra), _path_len(rb)
        if a.directive == "vars":
            if la > 0 and lb > 0:
                return la < lb
            return not ra.match and bool(rb.match)
        if la > 0 and lb > 0:
            return la > lb
        return bool(ra.match) and not rb.match

    out = list(values)
    go_stable_sort(out, before)
    return out


def go_stable_sort(items: list[Any], less: Callable[[Any, Any], bool]) -> None:
    """Go's sort.SliceStable, step for step: insertion sort on blocks of 20, then SymMerge.

    Caddy's comparison is not a strict weak order (a route with a named matcher is "equal" to
    both a long and a short path), so only Go's exact algorithm gives Caddy's order.
    """
    n = len(items)

    def lt(i: int, j: int) -> bool:
        return less(items[i], items[j])

    def swap(i: int, j: int) -> None:
        items[i], items[j] = items[j], items[i]

    def insertion(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and lt(j, j - 1):
                swap(j, j - 1)
                j -= 1

    def swap_range(a: int, b: int, k: int) -> None:
        for i in range(k):
            swap(a + i, b + i)

    def rotate(a: int, m: int, b: int) -> None:
        i, j = m - a, b - m
        while i != j:
            if i > j:
                swap_range(m - i, m, j)
                i -= j
            else:
                swap_range(m - i, m + j - i, i)
                j -= i
        swap_range(m - i, m, i)

    def sym_merge(a: int, m: int, b: int) -> None:
        if m - a == 1:
            i, j = m, b
            while i < j:
                h = (i + j) // 2
                if lt(h, a):
                    i = h + 1
                else:
                    j = h
            for k in range(a, i - 1):
                swap(k, k + 1)
            return
        if b - m == 1:
            i, j = a, m
            while i < j:
                h = (i + j) // 2
                if not lt(m, h):
                    i = h + 1
                else:
                    j = h
            for k in range(m, i, -1):
                swap(k, k - 1)
            return
        mid = (a + b) // 2
        nn = mid + m
        if m > mid:
            start, r = nn - b, mid
        else:
            start, r = a, m
        p = nn - 1
        while start < r:
            c = (start + r) // 2
            if not lt(p - c, c):
                start = c + 1
            else:
                r = c
        end = nn - start
        if start < m < end:
            rotate(start, m, end)
        if a < start < mid:
            sym_merge(a, start, mid)
        if mid < end < b:
            sym_merge(mid, end, b)

    block = 20
    a, b = 0, block
    while b <= n:
        insertion(a, b)
        a, b = b, b + block
    insertion(a, n)
    while block < n:
        a, b = 0, 2 * block
        while b <= n:
            sym_merge(a, a + block, b)
            a, b = b, b + 2 * block
        m = a + block
        if m < n:
            sym_merge(a, m, n)
        block *= 2


def build_subroute(values: list[ConfigValue], ctx: Ctx) -> Subroute:
    for v in values:
        if v.directive not in ctx.order or v.cls != "route":
            where = v.value.source if isinstance(v.value, Route) else getattr(v.value, "source", None)
            raise CaddyfileError(
                f"directive '{v.directive}' is not an ordered HTTP handler, so it cannot be used here",
                None,
                where,
            )
    ordered = sort_routes(values, ctx.order)
    groups: dict[str, str] = {}
    counts: dict[str, int] = {}
    for v in ordered:
        counts[v.directive] = counts.get(v.directive, 0) + 1
    for d in ("handle", "rewrite", "root"):
        if counts.get(d, 0) > 1 or (d == "rewrite"):
            groups[d] = ctx.groups.next()
    routes: list[Route] = []
    for v in ordered:
        route: Route = v.value
        if v.directive in groups:
            route.group = groups[v.directive]
        routes.append(route)
    return Subroute("subroute", None, consolidate(routes))


def _match_key(route: Route) -> str:
    return json.dumps([m.to_json() for m in route.match], sort_keys=True)


def consolidate(routes: list[Route]) -> list[Route]:
    """Adjacent routes with the same matchers, terminal flag and group become one route."""
    out: list[Route] = []
    # each route's key is worked out once, and only for a neighbour it may merge with (merging handlers
    # leaves the matchers as they are; lists of different lengths never serialize alike)
    keys: dict[int, str] = {}

    def key_of(route: Route) -> str:
        found = keys.get(id(route))
        if found is None:
            found = keys[id(route)] = _match_key(route)
        return found

    for r in routes:
        if out:
            prev = out[-1]
            if (
                len(prev.match) == len(r.match)
                and prev.terminal == r.terminal
                and prev.group == r.group
                and key_of(prev) == key_of(r)
            ):
                prev.handlers.extend(r.handlers)
                continue
        out.append(r)
    return out
