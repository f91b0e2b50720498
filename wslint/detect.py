"""Which proxy a file configures, from its name and a look at its first 64 KiB."""

from __future__ import annotations

import os
import re

KINDS = ("nginx", "haproxy", "traefik", "apache", "caddy")

_HAPROXY = re.compile(r"^(global|defaults|frontend|backend|listen)(\s|$)", re.M)
_APACHE_SECTION = re.compile(r"^\s*<(VirtualHost|Location|LocationMatch|Directory|IfModule|Proxy|Files)\b", re.M | re.I)
_APACHE_DIRECTIVE = re.compile(r"^\s*(LoadModule|ProxyPass|ProxyPassMatch|ServerRoot|RewriteRule|DocumentRoot)\s", re.M)
_NGINX_BLOCK = re.compile(r"^\s*(server|http|location|upstream|events|map|stream)\b[^;{\n]*\{", re.M)
_STATEMENT = re.compile(r";\s*(#.*)?$", re.M)
_TRAEFIK = re.compile(
    r"^\s*(entryPoints|routers|providers|traefik\.http\.)|traefik\.(http|tcp)\."
    # TOML tables of the static or dynamic configuration, Kubernetes CRDs
    r"|^\s*\[\[?(http|tcp|entryPoints|providers)[.\]]|^apiVersion:\s*['\"]?traefik\.(io|containo\.us)/"
    # a Kubernetes Ingress for Traefik's kubernetesingress provider
    r"|traefik\.ingress\.kubernetes\.io/|^\s*ingressClassName:\s*['\"]?traefik\b",
    re.M,
)
_CADDY = re.compile(r"^\s*(reverse_proxy|handle|handle_path|route|respond|file_server)\b", re.M)


def detect(path: str, head: str) -> str | None:
    name = os.path.basename(path).lower()
    if name == "caddyfile" or name.endswith(".caddy") or name.startswith("caddyfile."):
        return "caddy"
    if name == "haproxy.cfg" or (name.endswith(".cfg") and _HAPROXY.search(head)):
        return "haproxy"
    if name.endswith(".json"):
        from wslint.caddy.json_config import looks_like_caddy_json

        # Caddy's native configuration: an `apps` object at the top level
        if looks_like_caddy_json(head):
            return "caddy"
    if name.endswith((".yml", ".yaml", ".toml", ".json")):
        return "traefik" if _TRAEFIK.search(head) else None
    if name in ("httpd.conf", "apache2.conf") or _APACHE_SECTION.search(head):
        return "apache"
    # nginx statements end with ';' and blocks open with '{'; Apache's and
    # HAProxy's do neither, Caddy's blocks have no ';'
    if _NGINX_BLOCK.search(head) or _STATEMENT.search(head) or name == "nginx.conf":
        return "nginx"
    if _HAPROXY.search(head):
        return "haproxy"
    if _APACHE_DIRECTIVE.search(head):
        return "apache"
    if _CADDY.search(head):
        return "caddy"
    if "nginx" in path.lower() and _STATEMENT.search(head):
        return "nginx"
    return None
