"""nginx variables: which exist, where a configuration defines or uses them.

nginx resolves every variable name when it loads the configuration: a name
that no module provides and no `set`/`map`/`geo`/... defines makes it refuse
to start (`unknown "connection_upgrade" variable`). Definitions are global:
`set $x` in one location makes `$x` exist everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wslint.nginx.tree import Directive

# Variables of the stock http modules (nginx 1.22 to 1.30, Debian's module set
# included), from the alphabetical index of variables in the nginx docs.
BUILTIN = frozenset(
    """
    ancient_browser args binary_remote_addr body_bytes_sent bytes_sent connection
    connection_requests connection_time connections_active connections_reading
    connections_waiting connections_writing content_length content_type date_gmt
    date_local document_root document_uri fastcgi_path_info fastcgi_script_name
    geoip_area_code geoip_city geoip_city_continent_code geoip_city_country_code
    geoip_city_country_code3 geoip_city_country_name geoip_country_code
    geoip_country_code3 geoip_country_name geoip_dma_code geoip_latitude geoip_longitude
    geoip_org geoip_postal_code geoip_region geoip_region_name gzip_ratio host hostname
    http2 http3 https invalid_referer is_args is_request_port limit_conn_status
    limit_rate limit_req_status modern_browser msec msie nginx_version pid pipe
    proxy_add_x_forwarded_for proxy_host proxy_port proxy_protocol_addr
    proxy_protocol_port proxy_protocol_server_addr proxy_protocol_server_port
    query_string quic realip_remote_addr realip_remote_port realpath_root remote_addr
    remote_port remote_user request request_body request_body_file request_completion
    request_filename request_id request_length request_method request_port request_time
    request_uri scheme secure_link secure_link_expires server_addr server_name
    server_port server_protocol slice_range ssl_alpn_protocol ssl_cipher ssl_ciphers
    ssl_client_cert ssl_client_escaped_cert ssl_client_fingerprint ssl_client_i_dn
    ssl_client_i_dn_legacy ssl_client_raw_cert ssl_client_s_dn ssl_client_s_dn_legacy
    ssl_client_serial ssl_client_sigalg ssl_client_v_end ssl_client_v_remain
    ssl_client_v_start ssl_client_verify ssl_curve ssl_curves ssl_early_data
    ssl_protocol ssl_server_name ssl_session_id ssl_session_reused ssl_sigalg status
    tcpinfo_rcv_space tcpinfo_rtt tcpinfo_rttvar tcpinfo_snd_cwnd time_iso8601
    time_local uid_got uid_reset uid_set upstream_addr upstream_bytes_received
    upstream_bytes_sent upstream_cache_key upstream_cache_status upstream_connect_time
    upstream_header_time upstream_last_server_name upstream_queue_time
    upstream_response_length upstream_response_time upstream_status uri
    """.split()  # noqa: SIM905
)

BUILTIN_PREFIXES = (
    "http_",
    "sent_http_",
    "sent_trailer_",
    "cookie_",
    "arg_",
    "upstream_http_",
    "upstream_trailer_",
    "upstream_cookie_",
    "proxy_protocol_tlv_",
)

VARIABLE = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")
NAMED_GROUP = re.compile(r"\(\?(?:P?<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')")

# Directives whose arguments nginx compiles as strings with variables. Others
# are not checked: their arguments may be regexes, Lua code or module syntax.
VALUE_DIRECTIVES = frozenset(
    {
        "proxy_set_header",
        "proxy_pass",
        "grpc_pass",
        "grpc_set_header",
        "uwsgi_pass",
        "scgi_pass",
        "fastcgi_pass",
        "fastcgi_param",
        "uwsgi_param",
        "scgi_param",
        "add_header",
        "return",
        "try_files",
        "root",
        "alias",
        "proxy_cache_key",
        "limit_req_zone",
        "limit_conn_zone",
        "set",
        "rewrite",
        "if",
        "proxy_redirect",
        "auth_request_set",
    }
)

IF_REGEX_OPERATORS = frozenset({"~", "~*", "!~", "!~*"})


def is_builtin(name: str) -> bool:
    if name.isdigit():
        return True
    return name in BUILTIN or name.startswith(BUILTIN_PREFIXES)


def names_in(text: str) -> list[str]:
    if "$" not in text:
        # most arguments have no variable: no regex search for them
        return []
    return [m.group(1) or m.group(2) for m in VARIABLE.finditer(text)]


def _regex_args(d: Directive) -> set[int]:
    """Indexes of arguments that are regular expressions, where `$` is an anchor."""
    args = d.args
    if d.name == "rewrite":
        return {0}
    if d.name == "if":
        return {i + 1 for i, a in enumerate(args) if a in IF_REGEX_OPERATORS}
    if d.name == "proxy_redirect" and args and args[0].startswith("~"):
        return {0}
    return set()


def defined_by(d: Directive) -> Iterator[str]:
    """Variables this directive defines."""
    args = d.args
    if d.name.startswith("$") and d.parent is not None and d.parent.name not in ("map",):
        # block-style module definitions, e.g. geoip2 { $country country iso_code; }
        yield d.name[1:]
        return
    if d.name in ("map", "split_clients") and len(args) >= 2:
        yield args[1].lstrip("$")
    elif d.name == "geo" and args:
        yield args[-1].lstrip("$")
    elif (d.name == "set" or d.name.startswith("set_") or d.name.endswith("_set")) and args and args[0].startswith("$"):
        yield args[0][1:]


def regex_texts(d: Directive) -> Iterator[str]:
    """Regular expressions written in this directive (their named groups define variables)."""
    args = d.args
    if d.name == "location" and len(args) >= 2 and args[0] in ("~", "~*"):
        yield args[1]
    elif d.name == "server_name":
        yield from (a for a in args if a.startswith("~"))
    elif d.parent is not None and d.parent.name == "map" and d.name.startswith("~"):
        yield d.name
    else:
        for i in _regex_args(d):
            if i < len(args):
                yield args[i]


def references(d: Directive) -> Iterator[str]:
    """Variables whose values this directive reads (where nginx compiles variables)."""
    if d.parent is not None and d.parent.name == "map":
        # map entries: the key is a string or regex, the value may use variables
        if d.name not in ("hostnames", "volatile", "include"):
            for a in d.args[:1]:
                yield from names_in(a)
        return
    if d.name == "map" and d.args:
        yield from names_in(d.args[0])
        return
    if d.name not in VALUE_DIRECTIVES:
        return
    skip = _regex_args(d)
    for i, arg in enumerate(d.args):
        if i in skip:
            continue
        if d.name == "set" and i == 0:
            continue
        if d.name == "auth_request_set" and i == 0:
            continue
        yield from names_in(arg)


def collect_definitions(root: Directive) -> set[str]:
    names: set[str] = set()
    for d in root.walk():
        names.update(defined_by(d))
        for rx in regex_texts(d):
            for m in NAMED_GROUP.finditer(rx):
                names.add(m.group(1) or m.group(2))
    return names
