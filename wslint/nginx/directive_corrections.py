"""Where crossplane's directive table differs from the nginx wslint models, and how nginx changed since 1.18.

Facts, not code: read from the ngx_command_t tables of the Debian nginx 1.22.1
build (/usr/sbin/nginx and the dynamic modules Debian ships in
/usr/lib/nginx/modules: geoip, image_filter, perl, xslt, mail, stream,
stream_geoip) and of nginx's sources at every release tag from 1.18.0 to
1.31.4, for the modules that build compiles (plus, from 1.25, the HTTP/3 and
the other modules nginx added since and builds by default). The e2e test
tests/e2e/test_nginx_syntax_differential.py checks the result against the
real nginx.

- NOT_IN_BUILD: crossplane knows these, the Debian build does not: NGINX Plus
  directives (api, auth_jwt, health_check, zone_sync, ...), the njs module's
  (js_*, a separate package), google_perftools, and spdy leftovers.
- CORRECTED: the 1.22.1 forms of directives crossplane lacks or gets wrong
  (for instance `include`, which nginx accepts in `if` and `limit_except` too,
  `limit_req_zone` with exactly three arguments, the Debian patch's
  `max_headers`).
- HISTORY: the directives that appeared, disappeared or changed between 1.18.0
  and 1.31.4: from each version on, the forms nginx has (None: no such
  directive). `ssl_ocsp` takes `on`, `off` or `leaf` (one argument) throughout.
"""

from __future__ import annotations

from wslint.nginx.directive_form import Form, Version, form

EVERY_CONTEXT = (
    "main|events|http|server|location|upstream|if in server|if in location|limit_except"
    "|mail|mail server|stream|stream server|stream upstream"
)

NOT_IN_BUILD = frozenset(
    {
        "api",
        "auth_jwt",
        "auth_jwt_claim_set",
        "auth_jwt_header_set",
        "auth_jwt_key_file",
        "auth_jwt_key_request",
        "auth_jwt_leeway",
        "f4f",
        "f4f_buffer_size",
        "fastcgi_cache_purge",
        "google_perftools_profiles",
        "health_check",
        "health_check_timeout",
        "hls",
        "hls_buffers",
        "hls_forward_args",
        "hls_fragment",
        "hls_mp4_buffer_size",
        "hls_mp4_max_buffer_size",
        "js_access",
        "js_content",
        "js_filter",
        "js_include",
        "js_path",
        "js_preread",
        "js_set",
        "keyval",
        "keyval_zone",
        "least_time",
        "limit_zone",
        "match",
        "memcached_force_ranges",
        "mp4_limit_rate",
        "mp4_limit_rate_after",
        "ntlm",
        "proxy_cache_purge",
        "queue",
        "scgi_cache_purge",
        "session_log",
        "session_log_format",
        "session_log_zone",
        "spdy_chunk_size",
        "spdy_headers_comp",
        "state",
        "status",
        "status_format",
        "status_zone",
        "sticky",
        "sticky_cookie_insert",
        "upstream_conf",
        "uwsgi_cache_purge",
        "zone_sync",
        "zone_sync_buffers",
        "zone_sync_connect_retry_interval",
        "zone_sync_connect_timeout",
        "zone_sync_interval",
        "zone_sync_recv_buffer_size",
        "zone_sync_server",
        "zone_sync_ssl",
        "zone_sync_ssl_certificate",
        "zone_sync_ssl_certificate_key",
        "zone_sync_ssl_ciphers",
        "zone_sync_ssl_crl",
        "zone_sync_ssl_name",
        "zone_sync_ssl_password_file",
        "zone_sync_ssl_protocols",
        "zone_sync_ssl_server_name",
        "zone_sync_ssl_trusted_certificate",
        "zone_sync_ssl_verify",
        "zone_sync_ssl_verify_depth",
        "zone_sync_timeout",
    }
)
CORRECTED: dict[str, tuple[Form, ...]] = {
    "auth_delay": (form("http|server|location", "1"),),
    "epoll_events": (form("events", "1"),),
    "grpc_ssl_conf_command": (form("http|server|location", "2"),),
    "gzip_hash": (form("http|server|location", "1"),),
    "gzip_no_buffer": (form("http|server|location", "flag"),),
    "gzip_window": (form("http|server|location", "1"),),
    "http2_pool_size": (form("http|server", "1"),),
    "http2_streams_index_size": (form("http|server", "1"),),
    # ngx_conf_module's include is NGX_ANY_CONF: every context, `if` and `limit_except` included
    "include": (form(EVERY_CONTEXT, "1"),),
    "keepalive_time": (
        form("http|server|location", "1"),
        form("upstream", "1"),
    ),
    "limit_conn_dry_run": (
        form("http|server|location", "flag"),
        form("stream|stream server", "flag"),
    ),
    "limit_req_dry_run": (form("http|server|location", "flag"),),
    "limit_req_zone": (form("http", "3"),),
    "max_errors": (form("mail|mail server", "1"),),
    "max_headers": (form("http|server", "1"),),
    "mp4_start_key_frame": (form("http|server|location", "flag"),),
    "open_file_cache_events": (form("http|server|location", "flag"),),
    "post_action": (form("http|server|location|if in location", "1"),),
    "postpone_gzipping": (form("http|server|location", "1"),),
    "proxy": (form("mail|mail server", "flag"),),
    "proxy_cookie_flags": (form("http|server|location", "1234"),),
    "proxy_downstream_buffer": (form("stream|stream server", "1"),),
    "proxy_half_close": (form("stream|stream server", "flag"),),
    "proxy_protocol": (
        form("mail|mail server", "flag"),
        form("stream|stream server", "flag"),
    ),
    "proxy_smtp_auth": (form("mail|mail server", "flag"),),
    "proxy_ssl_conf_command": (
        form("http|server|location", "2"),
        form("stream|stream server", "2"),
    ),
    "proxy_upstream_buffer": (form("stream|stream server", "1"),),
    "resolver": (
        form("http|server|location", "1+"),
        form("mail|mail server", "1+"),
        form("stream|stream server", "1+"),
    ),
    "set": (
        form("server|location|if in server|if in location", "2"),
        form("stream server", "2"),
    ),
    "set_real_ip_from": (
        form("http|server|location", "1"),
        form("mail|mail server", "1"),
        form("stream|stream server", "1"),
    ),
    "ssi_ignore_recycled_buffers": (form("http|server|location", "flag"),),
    "ssl_alpn": (form("stream|stream server", "1+"),),
    "ssl_conf_command": (
        form("http|server", "2"),
        form("mail|mail server", "2"),
        form("stream|stream server", "2"),
    ),
    "ssl_ocsp": (form("http|server", "1"),),
    "ssl_ocsp_cache": (form("http|server", "1"),),
    "ssl_ocsp_responder": (form("http|server", "1"),),
    "ssl_reject_handshake": (form("http|server", "flag"),),
    "userid_flags": (form("http|server|location", "123"),),
    "uwsgi_ssl_conf_command": (form("http|server|location", "2"),),
    "uwsgi_string": (form("http|server|location", "1"),),
}
HISTORY: dict[str, tuple[tuple[Version, tuple[Form, ...] | None], ...]] = {
    "add_header_inherit": (
        ((1, 18, 0), None),
        ((1, 29, 3), (form("http|server|location|if in location", "1"),)),
    ),
    "add_trailer_inherit": (
        ((1, 18, 0), None),
        ((1, 29, 3), (form("http|server|location|if in location", "1"),)),
    ),
    "early_hints": (
        ((1, 18, 0), None),
        ((1, 29, 0), (form("http|server|location", "1+"),)),
    ),
    "fastcgi_socket_rcvbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "fastcgi_socket_sndbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "grpc_socket_rcvbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "grpc_socket_sndbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "grpc_ssl_certificate_cache": (
        ((1, 18, 0), None),
        ((1, 27, 4), (form("http|server|location", "123"),)),
    ),
    "grpc_ssl_conf_command": (
        ((1, 18, 0), None),
        ((1, 19, 4), (form("http|server|location", "2"),)),
    ),
    "http2": (
        ((1, 18, 0), None),
        ((1, 25, 1), (form("http|server", "flag"),)),
    ),
    "http3": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "flag"),)),
    ),
    "http3_hq": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "flag"),)),
    ),
    "http3_max_concurrent_streams": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "1"),)),
    ),
    "http3_stream_buffer_size": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "1"),)),
    ),
    "keepalive": (
        ((1, 18, 0), (form("upstream", "1"),)),
        ((1, 29, 7), (form("upstream", "12"),)),
    ),
    "keepalive_min_timeout": (
        ((1, 18, 0), None),
        ((1, 27, 4), (form("http|server|location", "1"),)),
    ),
    "keepalive_time": (
        ((1, 18, 0), None),
        (
            (1, 19, 10),
            (
                form("http|server|location", "1"),
                form("upstream", "1"),
            ),
        ),
    ),
    "least_time": (
        ((1, 18, 0), None),
        (
            (1, 31, 0),
            (
                form("stream upstream", "12"),
                form("upstream", "12"),
            ),
        ),
    ),
    "max_errors": (
        ((1, 18, 0), None),
        ((1, 21, 0), (form("mail|mail server", "1"),)),
    ),
    "mp4_start_key_frame": (
        ((1, 18, 0), None),
        ((1, 21, 4), (form("http|server|location", "flag"),)),
    ),
    "pass": (
        ((1, 18, 0), None),
        ((1, 25, 5), (form("stream server", "1"),)),
    ),
    "proxy_cookie_flags": (
        ((1, 18, 0), None),
        ((1, 19, 3), (form("http|server|location", "1234"),)),
    ),
    "proxy_half_close": (
        ((1, 18, 0), None),
        ((1, 21, 4), (form("stream|stream server", "flag"),)),
    ),
    "proxy_pass_trailers": (
        ((1, 18, 0), None),
        ((1, 27, 2), (form("http|server|location", "flag"),)),
    ),
    "proxy_protocol": (
        ((1, 18, 0), (form("stream|stream server", "flag"),)),
        (
            (1, 19, 8),
            (
                form("mail|mail server", "flag"),
                form("stream|stream server", "flag"),
            ),
        ),
        (
            (1, 31, 4),
            (
                form("mail|mail server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "proxy_smtp_auth": (
        ((1, 18, 0), None),
        ((1, 19, 4), (form("mail|mail server", "flag"),)),
    ),
    "proxy_socket_rcvbuf": (
        ((1, 18, 0), None),
        (
            (1, 31, 3),
            (
                form("http|server|location", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "proxy_socket_sndbuf": (
        ((1, 18, 0), None),
        (
            (1, 31, 3),
            (
                form("http|server|location", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "proxy_ssl_alpn": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("stream|stream server", "1+"),)),
    ),
    "proxy_ssl_certificate_cache": (
        ((1, 18, 0), None),
        (
            (1, 27, 4),
            (
                form("http|server|location", "123"),
                form("stream|stream server", "123"),
            ),
        ),
    ),
    "proxy_ssl_conf_command": (
        ((1, 18, 0), None),
        (
            (1, 19, 4),
            (
                form("http|server|location", "2"),
                form("stream|stream server", "2"),
            ),
        ),
    ),
    "quic_active_connection_id_limit": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "1"),)),
    ),
    "quic_bpf": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("main", "flag"),)),
    ),
    "quic_gso": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "flag"),)),
    ),
    "quic_host_key": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "1"),)),
    ),
    "quic_retry": (
        ((1, 18, 0), None),
        ((1, 25, 0), (form("http|server", "flag"),)),
    ),
    "resolver": (
        (
            (1, 18, 0),
            (
                form("http|server|location", "1+"),
                form("mail|mail server", "1+"),
                form("stream|stream server", "1+"),
            ),
        ),
        (
            (1, 27, 3),
            (
                form("http|server|location", "1+"),
                form("mail|mail server", "1+"),
                form("stream upstream", "1+"),
                form("stream|stream server", "1+"),
                form("upstream", "1+"),
            ),
        ),
    ),
    "resolver_timeout": (
        (
            (1, 18, 0),
            (
                form("http|server|location", "1"),
                form("mail|mail server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
        (
            (1, 27, 3),
            (
                form("http|server|location", "1"),
                form("mail|mail server", "1"),
                form("stream upstream", "1"),
                form("stream|stream server", "1"),
                form("upstream", "1"),
            ),
        ),
    ),
    "scgi_socket_rcvbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "scgi_socket_sndbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "server_name": (
        (
            (1, 18, 0),
            (
                form("mail|mail server", "1"),
                form("server", "1+"),
            ),
        ),
        (
            (1, 25, 5),
            (
                form("mail|mail server", "1"),
                form("server", "1+"),
                form("stream server", "1+"),
            ),
        ),
    ),
    "server_names_hash_bucket_size": (
        ((1, 18, 0), (form("http", "1"),)),
        (
            (1, 25, 5),
            (
                form("http", "1"),
                form("stream", "1"),
            ),
        ),
    ),
    "server_names_hash_max_size": (
        ((1, 18, 0), (form("http", "1"),)),
        (
            (1, 25, 5),
            (
                form("http", "1"),
                form("stream", "1"),
            ),
        ),
    ),
    "set": (
        ((1, 18, 0), (form("server|location|if in server|if in location", "2"),)),
        (
            (1, 19, 3),
            (
                form("server|location|if in server|if in location", "2"),
                form("stream server", "2"),
            ),
        ),
    ),
    "set_real_ip_from": (
        (
            (1, 18, 0),
            (
                form("http|server|location", "1"),
                form("stream|stream server", "1"),
            ),
        ),
        (
            (1, 19, 8),
            (
                form("http|server|location", "1"),
                form("mail|mail server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "spdy_chunk_size": (
        ((1, 18, 0), (form("http|server|location", "1"),)),
        ((1, 19, 7), None),
    ),
    "spdy_headers_comp": (
        ((1, 18, 0), (form("http|server", "1"),)),
        ((1, 19, 7), None),
    ),
    "spdy_keepalive_timeout": (
        ((1, 18, 0), (form("http|server", "1"),)),
        ((1, 19, 7), None),
    ),
    "spdy_max_concurrent_streams": (
        ((1, 18, 0), (form("http|server", "1"),)),
        ((1, 19, 7), None),
    ),
    "spdy_pool_size": (
        ((1, 18, 0), (form("http|server", "1"),)),
        ((1, 19, 7), None),
    ),
    "spdy_recv_buffer_size": (
        ((1, 18, 0), (form("http", "1"),)),
        ((1, 19, 7), None),
    ),
    "spdy_recv_timeout": (
        ((1, 18, 0), (form("http|server", "1"),)),
        ((1, 19, 7), None),
    ),
    "spdy_streams_index_size": (
        ((1, 18, 0), (form("http|server", "1"),)),
        ((1, 19, 7), None),
    ),
    "ssl": (
        (
            (1, 18, 0),
            (
                form("http|server", "flag"),
                form("mail|mail server", "flag"),
            ),
        ),
        ((1, 25, 1), None),
    ),
    "ssl_alpn": (
        ((1, 18, 0), None),
        ((1, 21, 4), (form("stream|stream server", "1+"),)),
    ),
    "ssl_certificate_cache": (
        ((1, 18, 0), None),
        (
            (1, 27, 4),
            (
                form("http|server", "123"),
                form("stream|stream server", "123"),
            ),
        ),
    ),
    "ssl_certificate_compression": (
        ((1, 18, 0), None),
        (
            (1, 29, 1),
            (
                form("http|server", "flag"),
                form("mail|mail server", "flag"),
                form("stream|stream server", "flag"),
            ),
        ),
    ),
    "ssl_conf_command": (
        ((1, 18, 0), None),
        (
            (1, 19, 4),
            (
                form("http|server", "2"),
                form("mail|mail server", "2"),
                form("stream|stream server", "2"),
            ),
        ),
    ),
    "ssl_ech_file": (
        ((1, 18, 0), None),
        (
            (1, 29, 4),
            (
                form("http|server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "ssl_object_cache_inheritable": (
        ((1, 18, 0), None),
        ((1, 27, 4), (form("main", "flag"),)),
    ),
    "ssl_ocsp": (
        ((1, 18, 0), None),
        ((1, 19, 0), (form("http|server", "1"),)),
        (
            (1, 27, 2),
            (
                form("http|server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "ssl_ocsp_cache": (
        ((1, 18, 0), None),
        ((1, 19, 0), (form("http|server", "1"),)),
        (
            (1, 27, 2),
            (
                form("http|server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "ssl_ocsp_responder": (
        ((1, 18, 0), None),
        ((1, 19, 0), (form("http|server", "1"),)),
        (
            (1, 27, 2),
            (
                form("http|server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "ssl_reject_handshake": (
        ((1, 18, 0), None),
        ((1, 19, 4), (form("http|server", "flag"),)),
        (
            (1, 25, 5),
            (
                form("http|server", "flag"),
                form("stream|stream server", "flag"),
            ),
        ),
    ),
    "ssl_stapling": (
        ((1, 18, 0), (form("http|server", "flag"),)),
        (
            (1, 27, 2),
            (
                form("http|server", "flag"),
                form("stream|stream server", "flag"),
            ),
        ),
    ),
    "ssl_stapling_file": (
        ((1, 18, 0), (form("http|server", "1"),)),
        (
            (1, 27, 2),
            (
                form("http|server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "ssl_stapling_responder": (
        ((1, 18, 0), (form("http|server", "1"),)),
        (
            (1, 27, 2),
            (
                form("http|server", "1"),
                form("stream|stream server", "1"),
            ),
        ),
    ),
    "ssl_stapling_verify": (
        ((1, 18, 0), (form("http|server", "flag"),)),
        (
            (1, 27, 2),
            (
                form("http|server", "flag"),
                form("stream|stream server", "flag"),
            ),
        ),
    ),
    "sticky": (
        ((1, 18, 0), None),
        ((1, 29, 6), (form("upstream", "2+"),)),
    ),
    "tunnel_bind": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "12"),)),
    ),
    "tunnel_buffer_size": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1"),)),
    ),
    "tunnel_connect_timeout": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1"),)),
    ),
    "tunnel_next_upstream": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1+"),)),
    ),
    "tunnel_next_upstream_timeout": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1"),)),
    ),
    "tunnel_next_upstream_tries": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1"),)),
    ),
    "tunnel_pass": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("server|location|if in location", "01"),)),
    ),
    "tunnel_read_timeout": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1"),)),
    ),
    "tunnel_send_lowat": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1"),)),
    ),
    "tunnel_send_timeout": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "1"),)),
    ),
    "tunnel_socket_keepalive": (
        ((1, 18, 0), None),
        ((1, 31, 0), (form("http|server|location", "flag"),)),
    ),
    "tunnel_socket_rcvbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "tunnel_socket_sndbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "userid_flags": (
        ((1, 18, 0), None),
        ((1, 19, 3), (form("http|server|location", "123"),)),
    ),
    "uwsgi_socket_rcvbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "uwsgi_socket_sndbuf": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "1"),)),
    ),
    "uwsgi_ssl_certificate_cache": (
        ((1, 18, 0), None),
        ((1, 27, 4), (form("http|server|location", "123"),)),
    ),
    "uwsgi_ssl_conf_command": (
        ((1, 18, 0), None),
        ((1, 19, 4), (form("http|server|location", "2"),)),
    ),
    "xml_external_entities": (
        ((1, 18, 0), None),
        ((1, 31, 3), (form("http|server|location", "flag"),)),
    ),
}
