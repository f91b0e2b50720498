"""Dynamic files Traefik's file provider refuses whole, and near misses it accepts.

Each case is a whole file (YAML unless named .toml) with a router named
ROUTER (replaced by the test) and the error Traefik logs for it, or None when
Traefik takes it. tests/test_traefik_refusals.py checks that wslint says the
same; tests/e2e/test_traefik_refusals.py checks every verdict on traefik.
"""

from __future__ import annotations

from dataclasses import dataclass

SERVICE = "  services:\n    svc:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n"


def router(*lines: str) -> str:
    body = "".join(f"      {line}\n" for line in lines)
    return f'http:\n  routers:\n    ROUTER:\n      rule: "Path(`/ws`)"\n      entryPoints: [web]\n      service: svc\n{body}'


def service(*lines: str) -> str:
    body = "".join(f"        {line}\n" for line in lines)
    return router() + "  services:\n    svc:\n      loadBalancer:\n" + body


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    # what Traefik logs when it refuses the file; None: it accepts the file
    error: str | None
    name: str = "site.yml"
    # the line wslint points at
    line: int | None = None


CASES = (
    # keys in the wrong place
    Case(
        "misspelled-section",
        router() + "  servces:\n    svc: {loadBalancer: {}}\n",
        "field not found, node: servces",
        line=7,
    ),
    Case(
        "servers-outside-loadbalancer",
        router() + "  services:\n    svc:\n      servers:\n        - url: http://127.0.0.1:9\n",
        "field not found, node: servers",
        line=9,
    ),
    Case("unknown-router-key", router("middleware: [a]") + SERVICE, "field not found, node: middleware", line=7),
    Case(
        "unknown-middleware-type",
        router() + SERVICE + "  middlewares:\n    m:\n      stripPrefixx:\n        prefixes: [/ws]\n",
        "field not found, node: stripPrefixx",
        line=14,
    ),
    Case(
        "unknown-middleware-option",
        router() + SERVICE + "  middlewares:\n    m:\n      stripPrefix:\n        prefix: [/ws]\n",
        "field not found, node: prefix",
        line=15,
    ),
    Case(
        "unknown-tcp-router-key",
        router() + SERVICE + "tcp:\n  routers:\n    t:\n      rule: HostSNI(`*`)\n      service: x\n      bogus: 1\n",
        "field not found, node: bogus",
        line=17,
    ),
    Case(
        "unknown-tls-section",
        router() + SERVICE + "tls:\n  option:\n    default:\n      minVersion: VersionTLS12\n",
        "field not found, node: option",
        line=13,
    ),
    Case(
        "tcp-key-in-http-router",
        router("tls:", "  passthrough: true") + SERVICE,
        "field not found, node: passthrough",
        line=8,
    ),
    # a section without keys, or with a value instead of keys
    Case(
        "loadbalancer-value",
        router() + "  services:\n    svc:\n      loadBalancer: x\n",
        "loadBalancer cannot be a standalone element",
        line=9,
    ),
    Case(
        "loadbalancer-empty",
        router() + "  services:\n    svc:\n      loadBalancer: {}\n",
        "loadBalancer cannot be a standalone element",
        line=9,
    ),
    Case("routers-empty", "http:\n  routers: {}\n" + SERVICE, "routers cannot be a standalone element", line=2),
    Case(
        "rule-mapping",
        router().replace('rule: "Path(`/ws`)"', "rule: {path: /ws}") + SERVICE,
        "invalid node rule: string",
        line=4,
    ),
    Case(
        "entrypoint-mapping",
        router().replace("entryPoints: [web]", "entryPoints: [{name: web}]") + SERVICE,
        "field not found, node: name",
        line=5,
    ),
    # values the decoder cannot parse
    Case(
        "priority-text", router("priority: high") + SERVICE, 'strconv.ParseInt: parsing "high": invalid syntax', line=7
    ),
    Case(
        "priority-fraction",
        router("priority: 1.5") + SERVICE,
        'strconv.ParseInt: parsing "1.500000": invalid syntax',
        line=7,
    ),
    Case(
        "passhostheader-yes",
        service("passHostHeader: yes", "servers: [{url: 'http://127.0.0.1:9'}]"),
        'strconv.ParseBool: parsing "yes": invalid syntax',
        line=10,
    ),
    Case(
        "duration-text",
        router() + SERVICE + "  serversTransports:\n    st:\n      forwardingTimeouts: {dialTimeout: fast}\n",
        'time: invalid duration "fast"',
        line=14,
    ),
    Case(
        "toml-unknown-key",
        '[http.routers.ROUTER]\n  rule = "Path(`/ws`)"\n  entryPoints = ["web"]\n  service = "svc"\n  servce = "svc"\n'
        '[[http.services.svc.loadBalancer.servers]]\n  url = "http://127.0.0.1:9"\n',
        "field not found, node: servce",
        name="site.toml",
        line=5,
    ),
    # accepted: near misses of the above
    Case("null-unknown-key", router() + SERVICE + "  servces:\n", None),
    Case(
        "keys-in-any-case",
        router("PRIORITY: 10").replace("routers:", "Routers:").replace("service:", "Service:") + SERVICE,
        None,
    ),
    Case("entrypoints-as-text", router().replace("entryPoints: [web]", "entryPoints: web") + SERVICE, None),
    Case(
        "list-given-a-mapping",
        router("middlewares: {a: m}")
        + SERVICE
        + "  middlewares:\n    m:\n      stripPrefix:\n        prefixes: [/ws]\n",
        None,
    ),
    Case("tls-empty", router("tls: {}") + SERVICE, None),
    Case("tls-false", router("tls: false") + SERVICE, None),
    Case("sticky-empty", service("sticky: {}", "servers: [{url: 'http://127.0.0.1:9'}]"), None),
    Case("priority-whole-float", router("priority: 2.0") + SERVICE, None),
    Case("priority-quoted", router("priority: '7'") + SERVICE, None),
    Case("passhostheader-spellings", service("passHostHeader: True", "servers: [{url: 'http://127.0.0.1:9'}]"), None),
    Case(
        "durations",
        service(
            "responseForwarding: {flushInterval: 100ms}",
            "healthCheck: {path: /health, interval: 10, timeout: 1m30s}",
            "servers: [{url: 'http://127.0.0.1:9'}]",
        ),
        None,
    ),
    Case("ignored-by-traefik", service("servers: [{url: 'http://127.0.0.1:9', fenced: true}]"), None),
    Case(
        "plugin-and-headers",
        router()
        + SERVICE
        + "  middlewares:\n    p:\n      plugin:\n        any: {deep: [1, {x: y}]}\n"
        + "    h:\n      headers:\n        customRequestHeaders: {X-Anything: yes}\n",
        None,
    ),
    Case(
        "anchors-at-top-level",
        "x-defaults: &svc\n  loadBalancer:\n    servers: [{url: 'http://127.0.0.1:9'}]\n"
        + router()
        + "  services:\n    svc: *svc\n",
        None,
    ),
    Case(
        "transports-tcp-udp-tls",
        router()
        + SERVICE
        + "  serversTransports:\n    st:\n      insecureSkipVerify: true\n      forwardingTimeouts: {dialTimeout: 5s, idleConnTimeout: 90}\n"
        + "tcp:\n  routers:\n    t:\n      rule: HostSNI(`*`)\n      service: ts\n      tls: {passthrough: true}\n"
        + "  services:\n    ts:\n      loadBalancer:\n        servers: [{address: '127.0.0.1:9'}]\n"
        + "udp:\n  routers:\n    u: {entryPoints: [web], service: us}\n"
        + "  services:\n    us:\n      loadBalancer:\n        servers: [{address: '127.0.0.1:9'}]\n"
        + "tls:\n  options:\n    modern: {minVersion: VersionTLS13, sniStrict: true}\n",
        None,
    ),
    Case(
        "toml-accepted",
        '[http.routers.ROUTER]\n  rule = "Path(`/ws`)"\n  entryPoints = ["web"]\n  service = "svc"\n  priority = 3\n'
        '[[http.services.svc.loadBalancer.servers]]\n  url = "http://127.0.0.1:9"\n',
        None,
        name="site.toml",
    ),
)
