"""From a site block's directives to the routes Caddy runs, in Caddy's order.

Caddy does not run directives in the order they are written: each one has a
place in a fixed table (`root`, `header`, `redir`, `rewrite`, `uri`,
`try_files`, ..., `handle`, `route`, `respond`, `reverse_proxy`,
`file_server`), and directives of the same kind are sorted among themselves:
a single path matcher sorts the longer (more specific) path first, a matcher
before none. `handle` and `handle_path` blocks sort as one kind and form one
group, of which only the first matching block runs; each `rewrite` is
grouped the same way. Inside `route { }` nothing is reordered or grouped.
Adjacent routes with identical matchers are merged, so their handlers run
together even if an earlier one changed the request.
"""

from __future__ import annotations

from collections.abc import Callable

from wslint.caddy.config import (
    FileMatcher,
    FileServer,
    HeaderOps,
    Headers,
    MatcherSet,
    Passthrough,
    PathMatcher,
    ReverseProxy,
    Rewrite,
    Route,
    StaticError,
    StaticResponse,
    Subroute,
    Transport,
    Upstream,
    Vars,
)
from wslint.caddy.matchers import parse_definition
from wslint.caddy.order import DIRECTIVE_ORDER, build_subroute, consolidate, go_stable_sort, sort_routes
from wslint.caddy.parser import CaddyfileError, Node, token_source
from wslint.caddy.proxy import header_op, reverse_proxy_directive, upstream_dial
from wslint.caddy.values import (
    ConfigValue,
    Ctx,
    GroupCounter,
    NotYet,
    arg_err,
    no_block,
    normalize,
    route_value,
    split_matcher,
)

__all__ = [
    "DIRECTIVE_ORDER",
    "ConfigValue",
    "Ctx",
    "GroupCounter",
    "NotYet",
    "build_subroute",
    "consolidate",
    "go_stable_sort",
    "sort_routes",
]

SITE_DIRECTIVES = ("bind", "tls", "log", "handle_errors")


def parse_directive(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    name = node.name
    parser = PARSERS.get(name)
    if parser is None:
        if name in SITE_DIRECTIVES:
            return _site_directive(node, defs, ctx)
        if name in ctx.order:
            # a plugin's directive placed with the `order` option: whether it answers a request is unknown
            sets, _ = split_matcher(node, defs)
            ctx.notes.append((f"the directive {name} (a plugin) is not followed", node.source))
            plugin = Passthrough(name, node.source, note=f"plugin directive {name}", unknown=True)
            value = route_value(node, sets, plugin)
            value.directive = value.value.directive = value.value.keyword = name
            return [value]
        raise CaddyfileError(
            f"unrecognized directive: {name} - are you sure your Caddyfile structure (nesting and braces) is correct?",
            node.head,
        )
    values = parser(node, defs, ctx)
    for v in values:
        v.directive = normalize(name)
        if isinstance(v.value, Route):
            v.value.directive = normalize(name)
            v.value.keyword = name
    return values


def _site_directive(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    if node.name == "bind":
        return [ConfigValue("bind", [t.text for t in node.arg_tokens], "bind")]
    if node.name == "tls":
        return [ConfigValue("tls", node, "tls")]
    if node.name == "handle_errors":
        return [ConfigValue("error_route", node, "handle_errors")]
    return [ConfigValue("custom_log", node, "log")]


def _request_header(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    if not args or len(args) > 3:
        raise arg_err(node)
    ops = HeaderOps()
    header_op(ops, args, node.source)
    return [route_value(node, sets, Headers("headers", node.source, request=ops))]


def _header(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    fields = [t.text for t in args]
    return [
        route_value(node, sets, Passthrough("headers", node.source, note="response headers", json={"fields": fields}))
    ]


def _rewrite(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    no_block(node)
    if len(args) != 1:
        raise arg_err(node)
    return [route_value(node, sets, Rewrite("rewrite", node.source, uri=args[0].text, origin="rewrite"))]


def _method(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    if len(args) != 1:
        raise arg_err(node)
    return [route_value(node, sets, Rewrite("rewrite", node.source, method=args[0].text, origin="method"))]


def _uri(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    texts = [t.text for t in args]
    if len(texts) < 2:
        raise arg_err(node)
    rw = Rewrite("rewrite", node.source, origin="uri")
    op = texts[0]
    if op == "strip_prefix":
        if len(texts) > 2:
            raise arg_err(node)
        rw.strip_prefix = texts[1] if texts[1].startswith("/") else "/" + texts[1]
    elif op == "strip_suffix":
        if len(texts) > 2:
            raise arg_err(node)
        rw.strip_suffix = texts[1]
    elif op == "replace":
        if len(texts) not in (3, 4):
            raise arg_err(node)
        limit = 0
        if len(texts) == 4:
            if not texts[3].lstrip("-").isdigit():
                raise CaddyfileError(f"limit must be an integer; invalid: {texts[3]}", args[3])
            limit = int(texts[3])
        rw.uri_substring.append((texts[1], texts[2], limit))
    elif op == "path_regexp":
        if len(texts) != 3:
            raise arg_err(node)
        from wslint.caddy.request import go_regex, refused_by_go

        if refused_by_go(texts[1]) or go_regex(texts[1]) is None:
            raise CaddyfileError(f"invalid regular expression {texts[1]!r}", args[1])
        rw.path_regexp.append((texts[1], texts[2]))
    else:
        raise CaddyfileError(f"unrecognized URI manipulation '{op}'", args[0])
    return [route_value(node, sets, rw)]


def _try_files(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    files = [t.text for t in node.arg_tokens]
    if not files:
        raise arg_err(node)
    policy = ""
    for child in node.children or []:
        if child.name == "policy":
            if policy:
                raise CaddyfileError("try policy already configured", child.head)
            if len(child.args) != 1:
                raise arg_err(child)
            policy = child.args[0]
            if policy not in ("first_exist", "largest_size", "smallest_size", "most_recently_modified"):
                raise CaddyfileError(f"unrecognized try policy: {policy}", child.head)
    out: list[ConfigValue] = []

    def make(tries: list[str], query: str) -> None:
        fm = FileMatcher("file", node.source, list(tries), policy)
        rw = Rewrite("rewrite", node.source, uri="{http.matchers.file.relative}" + query, origin="try_files")
        out.append(route_value(node, [MatcherSet([fm], node.source, "try_files")], rw))

    pending: list[str] = []
    for item in files:
        if "?" in item:
            if pending:
                make(pending, "")
                pending = []
            idx = item.index("?")
            make([item[:idx]], item[idx:])
            continue
        pending.append(item)
    if pending:
        make(pending, "")
    if len(out) > 1:
        name = ctx.groups.next()
        for v in out:
            v.value.group = name
    return out


def _handle(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    if args:
        raise arg_err(node, args[0])
    sub = subroute_of(node.children or [], defs, ctx, sort=True)
    sub.source = node.source
    return [route_value(node, sets, sub)]


def _handle_path(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    args = node.arg_tokens
    if not args:
        raise arg_err(node)
    path = args[0].text
    if not path.startswith("/"):
        raise CaddyfileError(f"path matcher must begin with '/', got {path}", args[0])
    if path.endswith("/*"):
        strip = path[:-2]
    elif path.endswith("*"):
        strip = path[:-1]
    else:
        strip = path
    sub = subroute_of(node.children or [], defs, ctx, sort=True)
    sub.source = node.source
    strip_route = Route(
        handlers=[Rewrite("rewrite", node.name_source, strip_prefix=strip, origin="handle_path")],
        source=node.source,
    )
    sub.routes.insert(0, strip_route)
    src = token_source(args[0])
    ms = MatcherSet([PathMatcher("path", src, [path], [src])], src, path)
    return [route_value(node, [ms], sub)]


def _route_directive(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    if args:
        raise arg_err(node, args[0])
    sub = subroute_of(node.children or [], defs, ctx, sort=False)
    sub.source = node.source
    return [route_value(node, sets, sub)]


def _respond(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    sr = StaticResponse("static_response", node.source)
    texts = [t.text for t in args]
    if len(texts) == 1:
        if len(texts[0]) == 3 and texts[0].isdigit() and int(texts[0]) > 0:
            sr.status = texts[0]
        else:
            sr.body = texts[0]
    elif len(texts) == 2:
        sr.body, sr.status = texts
    elif len(texts) > 2:
        raise arg_err(node)
    for child in node.children or []:
        if child.name == "body":
            if sr.body:
                raise CaddyfileError("body already specified", child.head)
            if len(child.args) != 1:
                raise arg_err(child)
            sr.body = child.args[0]
        elif child.name == "close":
            sr.close = True
        else:
            raise CaddyfileError(f"unrecognized subdirective '{child.name}'", child.head)
    return [route_value(node, sets, sr)]


def _redir(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    if not args:
        raise arg_err(node)
    to = args[0].text
    code = args[1].text if len(args) > 1 else ""
    body = ""
    if code == "permanent":
        code = "301"
    elif code in ("temporary", ""):
        code = "302"
    elif code == "html":
        code = "200"
        body = "html"
    elif not code.startswith("{"):
        if not code.isdigit():
            raise CaddyfileError(f"Not a supported redir code type or not valid integer: '{code}'", args[1])
        n = int(code)
        if n < 300 or (n > 399 and n != 401):
            raise CaddyfileError(f"Redir code not in the 3xx range or 401: '{n}'", args[1])
    sr = StaticResponse("static_response", node.source, status=code, body=body)
    if code != "200":
        sr.headers = {"Location": [to]}
    return [route_value(node, sets, sr)]


def _error(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    se = StaticError("error", node.source)
    texts = [t.text for t in args]
    if len(texts) == 1:
        if len(texts[0]) == 3 and texts[0].isdigit() and int(texts[0]) > 0:
            se.status = texts[0]
        else:
            se.message = texts[0]
    elif len(texts) == 2:
        se.message, se.status = texts
    elif len(texts) > 2:
        raise arg_err(node)
    for child in node.children or []:
        if child.name == "message" and len(child.args) == 1:
            se.message = child.args[0]
        else:
            raise CaddyfileError(f"unrecognized subdirective '{child.name}'", child.head)
    return [route_value(node, sets, se)]


def _abort(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    if args or node.children:
        raise arg_err(node)
    return [route_value(node, sets, StaticResponse("static_response", node.source, abort=True))]


def _root(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    if len(args) != 1:
        raise arg_err(node)
    return [route_value(node, sets, Vars("vars", node.source, {"root": args[0].text}))]


def _vars(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    values: dict[str, str] = {}
    if len(args) == 2:
        values[args[0].text] = args[1].text
    for child in node.children or []:
        values[child.name] = child.args[0] if child.args else ""
    return [route_value(node, sets, Vars("vars", node.source, values))]


def _file_server(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    fs = FileServer("file_server", node.source)
    if len(args) > 1 or (args and args[0].text != "browse"):
        raise arg_err(node)
    if args:
        fs.json_extra["browse"] = {}
    for child in node.children or []:
        if child.name == "root" and child.args:
            fs.root = child.args[0]
    return [route_value(node, sets, fs)]


def _passthrough(note: str) -> Callable[[Node, dict[str, MatcherSet], Ctx], list[ConfigValue]]:
    def parse(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
        sets, _ = split_matcher(node, defs)
        return [route_value(node, sets, Passthrough(node.name, node.source, note=note))]

    return parse


def _php_fastcgi(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    """php_fastcgi: index files are tried (a non-file path becomes index.php), then `*.php` goes to
    the FastCGI server, which cannot carry a WebSocket."""
    sets, args = split_matcher(node, defs)
    if not args:
        raise arg_err(node)
    rp = ReverseProxy("reverse_proxy", node.source, block=node.block(ctx.texts))
    for tok in args:
        dial, _ = upstream_dial(tok)
        rp.upstreams.append(Upstream(dial, token_source(tok), tok.text))
    rp.transport = Transport(protocol="fastcgi", source=node.source, json={"protocol": "fastcgi"})
    fm = FileMatcher("file", node.source, ["{http.request.uri.path}", "{http.request.uri.path}/index.php", "index.php"])
    rw = Rewrite("rewrite", node.source, uri="{http.matchers.file.relative}", origin="php_fastcgi")
    php = MatcherSet([PathMatcher("path", node.source, ["*.php"])], node.source, "*.php")
    sub = Subroute(
        "subroute",
        node.source,
        [
            Route(match=[MatcherSet([fm], node.source, "try_files")], handlers=[rw], source=node.source),
            Route(match=[php], handlers=[rp], source=node.source),
        ],
    )
    return [ConfigValue("route", Route(match=sets, handlers=[sub], source=node.source))]


def _answers_maybe(note: str, why: str) -> Callable[[Node, dict[str, MatcherSet], Ctx], list[ConfigValue]]:
    """A handler of Caddy's own that may answer the request itself: what it matches is not judged."""

    def parse(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
        sets, _ = split_matcher(node, defs)
        unjudged = f"whether {node.name} at {node.source} lets the handshake through ({why})"
        return [route_value(node, sets, Passthrough(node.name, node.source, note=note, unjudged=unjudged))]

    return parse


PARSERS: dict[str, Callable[[Node, dict[str, MatcherSet], Ctx], list[ConfigValue]]] = {
    "reverse_proxy": reverse_proxy_directive,
    "request_header": _request_header,
    "header": _header,
    "rewrite": _rewrite,
    "method": _method,
    "uri": _uri,
    "try_files": _try_files,
    "handle": _handle,
    "handle_path": _handle_path,
    "route": _route_directive,
    "respond": _respond,
    "redir": _redir,
    "error": _error,
    "abort": _abort,
    "root": _root,
    "vars": _vars,
    "file_server": _file_server,
    "php_fastcgi": _php_fastcgi,
    "forward_auth": _answers_maybe("forward_auth", "the authentication server's answer is unknown"),
    "encode": _passthrough("compression"),
    "templates": _passthrough("templates"),
    "push": _passthrough("server push"),
    "map": _passthrough("map"),
    "skip_log": _passthrough("logging"),
    "tracing": _passthrough("tracing"),
    "request_body": _passthrough("request body limits"),
    "basicauth": _answers_maybe("basicauth", "a client without the site's credentials gets 401"),
    "copy_response": _passthrough("copy_response"),
    "copy_response_headers": _passthrough("copy_response_headers"),
    "metrics": _answers_maybe("metrics", "it answers the requests it matches with the metrics"),
    "acme_server": _answers_maybe("acme_server", "it answers the requests it matches as an ACME server"),
}


# -- blocks --------------------------------------------------------------------------------------------


def scope_defs(nodes: list[Node], outer: dict[str, MatcherSet]) -> dict[str, MatcherSet]:
    """The named matchers visible in a block: the outer ones plus its own `@name` lines."""
    defs = dict(outer)
    for n in nodes:
        if n.name.startswith("@"):
            parse_definition(n, defs)
    return defs


def config_values(nodes: list[Node], outer: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    defs = scope_defs(nodes, outer)
    out: list[ConfigValue] = []
    for n in nodes:
        if n.name.startswith("@"):
            continue
        out.extend(parse_directive(n, defs, ctx))
    return out


def subroute_of(nodes: list[Node], outer: dict[str, MatcherSet], ctx: Ctx, sort: bool) -> Subroute:
    values = config_values(nodes, outer, ctx)
    if not sort:
        # route { }: written order, no groups, nothing merged
        routes: list[Route] = []
        for v in values:
            if v.cls != "route":
                raise CaddyfileError(
                    f"{v.directive} directive returned something other than an HTTP route or subroute (only handler "
                    "directives can be used in routes)",
                    nodes[0].head if nodes else None,
                )
            routes.append(v.value)
        return Subroute("subroute", None, routes)
    return build_subroute(values, ctx)
