"""reverse_proxy in a Caddyfile: upstream addresses, header_up, health checks, the transport.

Every subdirective Caddy 2.6 has is accepted; those of later releases
(`stream_close_delay`, `stream_timeout`, ...) are refused below their
version, as Caddy refuses them, and reported by a rule.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from wslint.caddy.caddy1 import caddy1_subdirective_hint
from wslint.caddy.config import (
    HeaderOps,
    HealthCheck,
    MatcherSet,
    ReverseProxy,
    Rewrite,
    Transport,
    Upstream,
)
from wslint.caddy.lexer import Token
from wslint.caddy.parser import CaddyfileError, Node, token_source
from wslint.caddy.values import ConfigValue, Ctx, NotYet, arg_err, duration, ns, route_value, split_matcher
from wslint.model import Source

# reverse_proxy subdirectives of Caddy 2.6, and those later versions added
PROXY_SUBDIRECTIVES = frozenset(
    {
        "to",
        "dynamic",
        "lb_policy",
        "lb_retries",
        "lb_try_duration",
        "lb_try_interval",
        "lb_retry_match",
        "health_uri",
        "health_path",
        "health_port",
        "health_headers",
        "health_interval",
        "health_timeout",
        "health_status",
        "health_body",
        "max_fails",
        "fail_duration",
        "unhealthy_request_count",
        "unhealthy_status",
        "unhealthy_latency",
        "flush_interval",
        "buffer_requests",
        "buffer_responses",
        "max_buffer_size",
        "trusted_proxies",
        "header_up",
        "header_down",
        "method",
        "rewrite",
        "transport",
        "handle_response",
        "replace_status",
    }
)
# name -> the first version that has it
LATER_PROXY_SUBDIRECTIVES = {
    "request_buffers": (2, 6, 4),
    "stream_timeout": (2, 7, 0),
    "stream_close_delay": (2, 7, 0),
    "verbose_logs": (2, 7, 5),
    "health_follow_redirects": (2, 8, 0),
    "health_passes": (2, 8, 0),
    "health_fails": (2, 8, 0),
    "health_method": (2, 9, 0),
    "health_request_body": (2, 9, 0),
    "health_upstream": (2, 9, 0),
    "response_buffers": (2, 10, 1),
    "stream_buffer_size": (2, 11, 3),
}


def reverse_proxy_directive(node: Node, defs: dict[str, MatcherSet], ctx: Ctx) -> list[ConfigValue]:
    sets, args = split_matcher(node, defs)
    rp = ReverseProxy("reverse_proxy", node.source, block=node.block(ctx.texts))
    scheme_seen: list[str] = []

    def upstream(tok: Token) -> None:
        dial, scheme = upstream_dial(tok)
        if scheme_seen and scheme != scheme_seen[0]:
            raise CaddyfileError(
                "for now, all proxy upstreams must use the same scheme (transport protocol); expecting "
                f"'{scheme_seen[0]}://' but got '{scheme}://'",
                tok,
            )
        scheme_seen.append(scheme)
        rp.upstreams.append(Upstream(dial, token_source(tok), tok.text))

    for tok in args:
        upstream(tok)
    health: dict[str, Any] = {}
    health_src: Source | None = None
    transport_node: Node | None = None
    for child in node.children or []:
        sub = child.name
        if sub.startswith("@"):
            continue
        if sub not in PROXY_SUBDIRECTIVES:
            since = LATER_PROXY_SUBDIRECTIVES.get(sub)
            if since is not None and ctx.version < since:
                ctx.not_yet.append(NotYet(sub, since, child.source, child))
                if sub == "stream_close_delay":
                    rp.stream_close_delay = child.source
                continue
            if since is None:
                raise CaddyfileError(f"unrecognized subdirective {sub}{caddy1_subdirective_hint(sub)}", child.head)
            if sub == "stream_close_delay":
                rp.stream_close_delay = child.source
            continue
        cargs = child.arg_tokens
        if sub == "handle_response":
            rp.handle_response = child.source
        if sub == "to":
            if not cargs:
                raise arg_err(child)
            for tok in cargs:
                upstream(tok)
        elif sub == "dynamic":
            rp.dynamic = True
        elif sub in ("health_uri", "health_path"):
            if len(cargs) != 1:
                raise arg_err(child)
            health["uri" if sub == "health_uri" else "path"] = cargs[0].text
            health_src = child.source
        elif sub == "health_port":
            if len(cargs) != 1 or not cargs[0].text.isdigit():
                raise CaddyfileError(f"bad port number '{cargs[0].text if cargs else ''}'", child.head)
            health["port"] = int(cargs[0].text)
        elif sub in ("health_interval", "health_timeout"):
            if len(cargs) != 1:
                raise arg_err(child)
            health[sub.split("_")[1]] = ns(duration(cargs[0].text, cargs[0]))
        elif sub == "health_status":
            if len(cargs) != 1:
                raise arg_err(child)
            health["expect_status"] = cargs[0].text
        elif sub == "health_body":
            if len(cargs) != 1:
                raise arg_err(child)
            health["expect_body"] = cargs[0].text
        elif sub == "header_up":
            if rp.headers is None:
                rp.headers = HeaderOps()
            if not 1 <= len(cargs) <= 3:
                raise arg_err(child)
            header_op(rp.headers, cargs, child.source)
        elif sub == "transport":
            if not cargs:
                raise arg_err(child)
            if transport_node is not None:
                raise CaddyfileError("transport already specified", child.head)
            transport_node = child
        elif sub == "rewrite":
            if len(cargs) != 1:
                raise arg_err(child)
            rp.rewrite = Rewrite("rewrite", child.source, uri=cargs[0].text, origin="reverse_proxy")
        elif sub == "method":
            if len(cargs) != 1:
                raise arg_err(child)
            rp.rewrite = rp.rewrite or Rewrite("rewrite", child.source, origin="reverse_proxy")
            rp.rewrite.method = cargs[0].text
    if health:
        active: dict[str, Any] = {}
        for key in ("uri", "path", "port", "interval", "timeout", "expect_status", "expect_body"):
            if key in health:
                active[key] = int(health[key]) if key == "expect_status" and health[key].isdigit() else health[key]
        rp.json_extra["health_checks"] = {"active": active}
        path = health.get("uri") or health.get("path")
        if path:
            rp.health = HealthCheck(
                uri=path, source=health_src, port=health.get("port"), status=health.get("expect_status")
            )
    scheme = scheme_seen[0] if scheme_seen else ""
    rp.transport = _transport(transport_node, scheme)
    if not rp.upstreams and not rp.dynamic:
        raise CaddyfileError("reverse_proxy needs at least one upstream", node.head)
    return [route_value(node, sets, rp)]


def upstream_dial(tok: Token) -> tuple[str, str]:
    """Caddy 2.6's parseUpstreamDialAddress: (dial address, scheme)."""
    addr = tok.text
    if addr.startswith("srv+"):
        addr = addr[4:]
    if "://" in addr:
        if "{" in addr:
            raise CaddyfileError(
                "due to parsing difficulties, placeholders are not allowed when an upstream address contains a scheme",
                tok,
            )
        try:
            u = urlsplit(addr)
            port_num = u.port
        except ValueError as exc:
            raise CaddyfileError(f"parsing upstream URL: {exc}", tok) from None
        if u.path or u.query or u.fragment:
            raise CaddyfileError(
                "for now, URLs for proxy upstreams only support scheme, host, and port components", tok
            )
        port = str(port_num) if port_num is not None else ""
        if u.scheme == "http" and port == "443":
            raise CaddyfileError(
                "upstream address has conflicting scheme (http://) and port (:443, the HTTPS port)", tok
            )
        if u.scheme == "https" and port == "80":
            raise CaddyfileError(
                "upstream address has conflicting scheme (https://) and port (:80, the HTTP port)", tok
            )
        if not port:
            port = "443" if u.scheme == "https" else "80"
        host = u.hostname or ""
        return _join(host, port), u.scheme
    network = ""
    if "/" in addr:
        before, _, after = addr.partition("/")
        network = before.strip().lower()
        addr = after
    host, port = _split_host_port(addr)
    if not port and "{" not in host:
        port = "80"
    if network:
        if network in ("unix", "unix+h2c", "unixgram", "unixpacket"):
            return f"unix/{addr}", "h2c" if network == "unix+h2c" else ""
        return f"{network}/{_join(host, port)}", ""
    if not port and "{" in host:
        return host, ""
    return _join(host, port), ""


def _split_host_port(addr: str) -> tuple[str, str]:
    if addr.startswith("["):
        end = addr.find("]")
        if end > 0 and addr[end + 1 : end + 2] == ":":
            return addr[1:end], addr[end + 2 :]
        return addr, ""
    if addr.count(":") == 1:
        host, port = addr.split(":")
        return host, port
    return addr, ""


def _join(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _transport(node: Node | None, scheme: str) -> Transport:
    t = Transport()
    if scheme == "https":
        t.tls = True
    if scheme == "h2c":
        t.versions = ["h2c", "2"]
    if node is None:
        if scheme == "https":
            t.json = {"protocol": "http", "tls": {}}
        elif scheme == "h2c":
            t.json = {"protocol": "http", "versions": ["h2c", "2"]}
        return t
    kind = node.arg_tokens[0].text
    t.protocol = kind
    t.source = node.source
    j: dict[str, Any] = {"protocol": kind}
    if kind not in ("http", "fastcgi"):
        raise CaddyfileError(
            f"getting module named 'http.reverse_proxy.transport.{kind}': module not registered", node.arg_tokens[0]
        )
    for child in node.children or []:
        a = child.arg_tokens
        if child.name in ("read_timeout", "write_timeout", "dial_timeout", "response_header_timeout"):
            if len(a) != 1:
                raise arg_err(child)
            seconds = duration(a[0].text, a[0])
            j[child.name] = ns(seconds)
            if child.name == "read_timeout":
                t.read_timeout, t.read_timeout_source, t.read_timeout_text = seconds, child.source, a[0].text
            elif child.name == "write_timeout":
                t.write_timeout, t.write_timeout_source = seconds, child.source
        elif child.name == "versions":
            t.versions = [x.text for x in a]
            j["versions"] = list(t.versions)
        elif child.name == "tls":
            t.tls = True
            j["tls"] = {}
    if scheme == "https" or t.tls:
        t.tls = True
        j.setdefault("tls", {})
    t.json = j
    return t


def header_op(ops: HeaderOps, args: list[Token], where: Source) -> None:
    """One header_up / request_header line: +add, -delete, set, or find/replace."""
    fld = args[0].text.rstrip(":") if len(args) > 0 else ""
    value = args[1].text if len(args) > 1 else ""
    replacement = args[2].text if len(args) > 2 else ""
    if fld.startswith("+"):
        ops.add.append((fld[1:], value, where))
    elif fld.startswith("-"):
        ops.delete.append((fld[1:], where))
    elif fld.startswith("?"):
        raise CaddyfileError(
            f"{fld}: the default header modifier ('?') can only be used on response headers; for conditional "
            "manipulation of request headers, use matchers",
            args[0],
        )
    elif replacement:
        ops.replace.append((fld.lstrip("+-?"), value, replacement, where))
    else:
        ops.set.append((fld, value, where))
