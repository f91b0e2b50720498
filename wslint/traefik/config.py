"""Traefik's configuration as wslint reads it, whatever style it was written in.

File provider YAML and TOML, Docker labels and Kubernetes CRDs all become
these specs; the builder turns them into the proxy-neutral route model. Names
are kept as written plus the provider they came from (`chat@file`), the way
Traefik qualifies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wslint.model import Source
from wslint.traefik.located import Node

# how the user wrote a piece of configuration: fixes are shown in the same style
Style = Literal["yaml", "toml", "label", "crd"]


@dataclass(frozen=True)
class Ref:
    """A name as written (a middleware in a router's list, a service), and where."""

    name: str
    source: Source
    entry: Source | None = None


def qualify(name: str, provider: str) -> str:
    return name if "@" in name else f"{name}@{provider}"


@dataclass(frozen=True)
class Redirection:
    """An entryPoint's `http.redirections.entryPoint`: a router Traefik adds in front of all others."""

    to: str
    scheme: str
    permanent: bool
    priority: int
    port: str | None
    source: Source


@dataclass(frozen=True)
class ForwardedHeaders:
    """An entryPoint's `forwardedHeaders`: whose X-Forwarded-* headers Traefik keeps (the rest it replaces)."""

    insecure: bool
    trusted_ips: tuple[str, ...]
    source: Source

    @property
    def trusts(self) -> bool:
        return self.insecure or bool(self.trusted_ips)


@dataclass(frozen=True)
class EntryPointSpec:
    name: str
    address: str
    host: str | None
    port: int | None
    udp: bool
    as_default: bool
    middlewares: tuple[Ref, ...]
    tls: bool
    redirection: Redirection | None
    source: Source
    # transport.respondingTimeouts (seconds), for the record: none of them cuts an upgraded connection
    timeouts: dict[str, float] = field(default_factory=dict)
    forwarded: ForwardedHeaders | None = None
    # http.sanitizePath (on by default); PROXY protocol expected from clients; the encoded characters its
    # http.encodedCharacters refuses (lower case, `%2f`)
    sanitize_path: bool = True
    proxy_protocol: bool = False
    refused_encoded: tuple[str, ...] = ()


@dataclass
class RouterSpec:
    name: str
    provider: str
    rule: str | None
    rule_node: Node | None
    syntax: str | None
    priority: int | None
    entry_points: tuple[Ref, ...] | None
    middlewares: tuple[Ref, ...]
    service: Ref | None
    tls: bool
    source: Source
    style: Style
    tls_source: Source | None = None
    # where the router's fields go (for fixes that add one)
    node: Node | None = None
    # a Docker-provider router without a rule: the provider's defaultRule (a Go template) gives it one
    default_rule: str | None = None

    @property
    def qualified(self) -> str:
        return qualify(self.name, self.provider)


@dataclass
class MiddlewareSpec:
    name: str
    provider: str
    kind: str  # lower-case type key: stripprefix, headers, redirectscheme, chain, ...
    params: Node
    source: Source
    style: Style
    # the type key as written (stripPrefix)
    kind_label: str = ""
    # how many type keys the middleware has: Traefik builds none of a middleware with more than one
    # ("multi-types middleware not supported") and does not load the routers using it
    types: int = 1

    @property
    def qualified(self) -> str:
        return qualify(self.name, self.provider)


@dataclass(frozen=True)
class HealthSpec:
    """A load balancer's `healthCheck`, as written (None: not set)."""

    path: str
    source: Source
    method: str = "GET"
    status: int | None = None
    mode: str = "http"
    port: int | None = None
    scheme: str | None = None


@dataclass
class ServiceSpec:
    name: str
    provider: str
    kind: str  # loadbalancer, weighted, mirroring, failover, kubernetes
    urls: tuple[str, ...]
    pass_host_header: bool
    source: Source
    children: tuple[str, ...] = ()
    health: HealthSpec | None = None
    # servers whose URL path Traefik joins with the request's (`preservePath: true`, Traefik 3.2), and where
    # the first server's preservePath is written
    preserve_path: tuple[bool, ...] = ()
    preserve_source: Source | None = None
    # why wslint cannot say which server gets a request (a weighted split, a failover), if it cannot
    unknown: str | None = None
    # the serversTransport its loadBalancer names, as written
    transport: str | None = None
    # the service's own middlewares (Traefik 3.7 runs them after the router's), as written
    middlewares: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return qualify(self.name, self.provider)


@dataclass
class TcpRouterSpec:
    name: str
    provider: str
    rule: str | None
    rule_node: Node | None
    syntax: str | None
    entry_points: tuple[Ref, ...] | None
    tls: bool
    passthrough: bool
    service: Ref | None
    source: Source

    @property
    def qualified(self) -> str:
        return qualify(self.name, self.provider)


@dataclass(frozen=True)
class UnreadSource:
    """A source of routers the static configuration enables that wslint did not read, and why."""

    # what it is, in words ("the file provider's directory /etc/traefik/dynamic")
    what: str
    # why it was not read
    reason: str
    source: Source | None


@dataclass(frozen=True)
class ProviderSpec:
    """A provider the static configuration enables (`providers.docker`, ...), as written."""

    name: str
    node: Node
    source: Source


@dataclass
class StaticSpec:
    path: str
    entry_points: list[EntryPointSpec]
    default_syntax: str | None
    default_syntax_source: Source | None
    # files the file provider reads (resolved), and where it is configured
    provider_files: list[str]
    provider_source: Source | None
    # every provider the configuration enables, the file provider included
    providers: list[ProviderSpec] = field(default_factory=list)
    # file-provider paths that could not be read, and the Docker provider's `exposedByDefault`
    unread: list[UnreadSource] = field(default_factory=list)
    exposed_by_default: bool = True
    # the Docker provider's `defaultRule` when set (a router without a rule gets it)
    default_rule: str | None = None
    # settings that change what Traefik does in ways wslint does not model (experimental.fastProxy, provider
    # constraints): no handshake is judged while one is set
    unmodelled: list[str] = field(default_factory=list)


@dataclass
class TraefikInput:
    """One configuration: the static part (if any) and every router, middleware and service."""

    main: str
    files: list[str]
    texts: dict[str, str]
    static: StaticSpec | None
    routers: list[RouterSpec] = field(default_factory=list)
    middlewares: dict[str, MiddlewareSpec] = field(default_factory=dict)
    services: dict[str, ServiceSpec] = field(default_factory=dict)
    tcp_routers: list[TcpRouterSpec] = field(default_factory=list)
    # the serversTransports defined (qualified names)
    transports: set[str] = field(default_factory=set)
    # False when references may point at configuration wslint has not seen
    complete: bool = True
    # router sources the static configuration enables that wslint did not read: then no handshake is
    # said to find no router, or the wrong one
    unread: list[UnreadSource] = field(default_factory=list)
    styles: set[str] = field(default_factory=set)
