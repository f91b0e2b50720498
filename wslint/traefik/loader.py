"""Reading Traefik configuration in every style users write it into the specs of config.py.

- static configuration (traefik.yml / traefik.toml): entryPoints, the file
  provider (a `filename` or a `directory`, whose files Traefik merges),
  `core.defaultRuleSyntax`;
- dynamic configuration of the file provider, YAML or TOML (`http.routers`,
  `http.middlewares`, `http.services`, `tcp.routers`);
- docker-compose files: `traefik.*` labels of any service (a list of `k=v`
  strings or a mapping), and the Traefik container's `--entrypoints...` flags;
- Kubernetes `IngressRoute` and `Middleware` objects (traefik.io/v1alpha1 and
  traefik.containo.us/v1alpha1), several per file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from wslint.adapters import inside
from wslint.durations import bounded_seconds
from wslint.findings import Diagnostic, Severity
from wslint.inputs import InputFile, display_path
from wslint.limits import Limits
from wslint.model import Source
from wslint.textfiles import TextFileError, read_head, read_text
from wslint.traefik.chain import ENCODED
from wslint.traefik.config import (
    EntryPointSpec,
    ForwardedHeaders,
    HealthSpec,
    MiddlewareSpec,
    Redirection,
    Ref,
    RouterSpec,
    ServiceSpec,
    StaticSpec,
    Style,
    TcpRouterSpec,
    TraefikInput,
    UnreadSource,
    qualify,
)
from wslint.traefik.located import LoadError, Node, load_toml, load_yaml_documents, looks_like_toml
from wslint.traefik.schema import Part, misplaced_sections, refusals
from wslint.traefik.sources import (
    DEFAULT_RULE,
    ROUTER_PROVIDERS,
    STATIC_LOCATIONS,
    PathMap,
    Volume,
    compose_files_beside,
    enabled_providers,
    interpolate,
    is_traefik_image,
    read_env_file,
    template_line,
    volumes_of,
)

STATIC_KEYS = {
    "entrypoints",
    "providers",
    "api",
    "log",
    "accesslog",
    "global",
    "core",
    "certificatesresolvers",
    "serverstransport",
    "metrics",
    "ping",
    "experimental",
}
DYNAMIC_KEYS = {"http", "tcp", "udp", "tls"}
CRD_GROUPS = ("traefik.io/", "traefik.containo.us/")
DYNAMIC_SUFFIXES = (".yml", ".yaml", ".toml")


class _Reader:
    def __init__(
        self,
        diagnostics: list[Diagnostic],
        limits: Limits,
        roots: tuple[tuple[str, str], ...] = (),
        confine: tuple[str, ...] | None = None,
    ) -> None:
        self.diagnostics = diagnostics
        self.limits = limits
        self.roots = roots
        # with --confine, the directories (real paths) no file-provider file may leave
        self.confine = confine
        self.texts: dict[str, str] = {}
        self.files: list[str] = []
        self.failed = False

    def error(self, message: str, source: Source | None, path: str | None = None) -> None:
        self.diagnostics.append(
            Diagnostic(
                "parse",
                Severity.ERROR,
                message,
                source.path if source else path,
                source.line if source else None,
                source.column if source else None,
            )
        )

    def warn(self, message: str, source: Source | None, path: str | None = None) -> None:
        self.diagnostics.append(
            Diagnostic(
                "config",
                Severity.WARNING,
                message,
                source.path if source else path,
                source.line if source else None,
                source.column if source else None,
            )
        )

    def read(self, inp: InputFile) -> str | None:
        if inp.text is not None:
            text = inp.text
        else:
            if inp.path not in self.files and len(self.files) >= self.limits.files:
                self.error(f"more than {self.limits.files} files to read (limits: files); stopping", None, inp.path)
                self.failed = True
                return None
            try:
                text = read_text(inp.disk_path or inp.path, inp.path, self.limits.file_size)
            except TextFileError as exc:
                self.diagnostics.append(Diagnostic("io", Severity.ERROR, str(exc), inp.path, exc.line))
                self.failed = True
                return None
        self.texts[inp.path] = text
        if inp.path not in self.files:
            self.files.append(inp.path)
        return text

    def refused(self, doc: Node, part: Part, style: Style) -> bool:
        """Report what Traefik's decoder refuses in a file; True when it refuses the file."""
        text = self.texts.get(doc.source.path) if style == "yaml" else None
        found = refusals(doc, part, text)
        for refusal in found:
            if part == "dynamic":
                consequence = (
                    "Traefik refuses the whole file: its file provider applies none of it "
                    "(nor any other file of its provider directory)"
                )
            else:
                consequence = "Traefik refuses this static configuration and does not start"
            self.diagnostics.append(
                Diagnostic(
                    "config",
                    Severity.ERROR,
                    f"{refusal.message}: {consequence}; it logs `{refusal.traefik_error}`",
                    refusal.source.path,
                    refusal.source.line,
                    refusal.source.column,
                )
            )
        if part == "dynamic":
            for key, source in misplaced_sections(doc):
                self.warn(
                    f"{key!r} at the top level is ignored by Traefik, which reads only http, tcp, udp and tls "
                    f"there: {key} go under `http:` (or `tcp:`)",
                    source,
                )
        if found:
            self.failed = True
        return bool(found)

    def documents(self, text: str, path: str) -> tuple[list[Node], Style] | None:
        toml = path.endswith(".toml") or (not path.endswith((".yml", ".yaml")) and looks_like_toml(text))
        try:
            if toml:
                return [load_toml(text, path)], "toml"
            return [d for d in load_yaml_documents(text, path, self.limits) if d.value is not None], "yaml"
        except LoadError as exc:
            self.diagnostics.append(Diagnostic("parse", Severity.ERROR, f"{exc}", path, exc.line, exc.column))
            self.failed = True
            return None


# -- classification --------------------------------------------------------------


def _keys(doc: Node) -> set[str]:
    return {k.lower() for k, _ in doc.items()}


def is_crd(doc: Node) -> bool:
    api = doc.get("apiVersion")
    text = api.text() if api is not None else None
    return text is not None and (text.startswith(CRD_GROUPS) or is_ingress(doc))


def is_ingress(doc: Node) -> bool:
    """A Kubernetes Ingress, which Traefik's kubernetesingress provider turns into routers."""
    api, kind = _text(doc.get("apiVersion")) or "", _text(doc.get("kind")) or ""
    return kind == "Ingress" and api.startswith(("networking.k8s.io/", "extensions/"))


def is_compose(doc: Node) -> bool:
    services = doc.get("services")
    return services is not None and services.is_map and any(svc.is_map for _, svc in services.items())


def is_static(doc: Node) -> bool:
    keys = _keys(doc)
    return bool(keys & STATIC_KEYS) and not (keys & {"http", "tcp"})


# -- small field readers --------------------------------------------------------------


def _text(node: Node | None) -> str | None:
    return node.text() if node is not None else None


def _refs(node: Node | None) -> tuple[Ref, ...]:
    if node is None:
        return ()
    return tuple(Ref(e.text() or "", e.source, e.entry) for e in node.elements() if e.text())


def _int(node: Node | None) -> int | None:
    text = _text(node)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _duration(node: Node | None) -> float | None:
    """Traefik durations: a number of seconds, or Go's `1m30s` form."""
    text = _text(node)
    if text is None:
        return None
    if len(text) > 64:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return bounded_seconds(float(text))
    total = 0.0
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        return None
    for amount, unit in parts:
        total += float(amount) * units[unit]
    return bounded_seconds(total)


# -- dynamic configuration -----------------------------------------------------------


def read_dynamic(doc: Node, provider: str, style: Style, out: TraefikInput, reader: _Reader) -> None:
    http = doc.get("http")
    if http is not None:
        known = {(r.name, r.provider) for r in out.routers}
        for name, node in (http.get("routers") or Node({}, doc.source)).items():
            if not node.is_map:
                continue
            if (name, provider) in known:
                reader.warn(f"router {name!r} is defined twice; Traefik keeps one of them", node.entry)
                continue
            out.routers.append(router_spec(name, node, provider, style))
            known.add((name, provider))
        for name, node in (http.get("middlewares") or Node({}, doc.source)).items():
            spec = middleware_spec(name, node, provider, style)
            if spec is not None:
                out.middlewares.setdefault(spec.qualified, spec)
        for name, node in (http.get("services") or Node({}, doc.source)).items():
            out.services.setdefault(f"{name}@{provider}", service_spec(name, node, provider))
        for name, _ in (http.get("serversTransports") or Node({}, doc.source)).items():
            out.transports.add(f"{name}@{provider}")
    tcp = doc.get("tcp")
    if tcp is not None:
        for name, node in (tcp.get("routers") or Node({}, doc.source)).items():
            if node.is_map:
                out.tcp_routers.append(tcp_router_spec(name, node, provider))


def router_spec(name: str, node: Node, provider: str, style: Style) -> RouterSpec:
    rule = node.get("rule")
    eps = node.get("entryPoints")
    tls = node.get("tls")
    return RouterSpec(
        name=name,
        provider=provider,
        rule=_text(rule),
        rule_node=rule,
        syntax=_text(node.get("ruleSyntax")),
        priority=_int(node.get("priority")),
        entry_points=_refs(eps) if eps is not None else None,
        middlewares=_refs(node.get("middlewares")),
        service=next(iter(_refs(node.get("service"))), None),
        # `tls: {}` and `tls: true` (labels) both make a TLS router; `tls: false` in labels does not
        tls=tls is not None and (tls.is_map or tls.truthy()),
        tls_source=tls.entry if tls is not None else None,
        source=node.entry or node.source,
        style=style,
        node=node,
    )


def middleware_spec(name: str, node: Node, provider: str, style: Style) -> MiddlewareSpec | None:
    if not node.is_map:
        return None
    kinds = [(k, v) for k, v in node.items()]
    if not kinds:
        return None
    kind, params = kinds[0]
    return MiddlewareSpec(name, provider, kind.lower(), params, node.entry or node.source, style, kind, len(kinds))


def service_spec(name: str, node: Node, provider: str) -> ServiceSpec:
    spec = _service_spec(name, node, provider)
    spec.middlewares = tuple(r.name for r in _refs(node.get("middlewares")))
    return spec


def _service_spec(name: str, node: Node, provider: str) -> ServiceSpec:
    source = node.entry or node.source
    lb = node.get("loadBalancer")
    if lb is not None:
        urls: list[str] = []
        preserve: list[bool] = []
        servers = lb.get("servers")
        for server in servers.elements() if servers is not None else []:
            url = _text(server.get("url")) if server.is_map else None
            if url:
                urls.append(url)
                keep = server.get("preservePath")
                preserve.append(keep is not None and keep.truthy())
        one = lb.get("server")  # labels: loadbalancer.server.port / .url
        if one is not None and one.is_map:
            url = _text(one.get("url"))
            port = _text(one.get("port"))
            if url:
                urls.append(url)
                keep = one.get("preservePath")
                preserve.append(keep is not None and keep.truthy())
            elif port:
                # loadbalancer.server.scheme (http by default; https, or h2c which wslint does not follow)
                urls.append(f"{(_text(one.get('scheme')) or 'http').lower()}://{name}:{port}")
                preserve.append(False)
        phh = lb.get("passHostHeader")
        first = servers.elements()[0] if servers is not None and servers.elements() else one
        keep_node = first.get("preservePath") if first is not None and first.is_map else None
        listed_none = servers is not None and not servers.elements() and one is None
        return ServiceSpec(
            name,
            provider,
            "loadbalancer",
            tuple(urls),
            phh is None or phh.truthy(),
            source,
            health=health_spec(lb.get("healthCheck")),
            preserve_path=tuple(preserve),
            preserve_source=(keep_node.entry or keep_node.source) if keep_node is not None else None,
            unknown=f"service {qualify(name, provider)} lists no servers (Traefik answers 503)"
            if listed_none
            else None,
            transport=_text(lb.get("serversTransport")),
        )
    for kind in ("weighted", "mirroring", "failover", "highestRandomWeight"):
        sub = node.get(kind)
        if sub is not None:
            names: list[str] = []
            for key in ("services", "service", "mirrors", "fallback"):
                child = sub.get(key)
                for e in child.elements() if child is not None else []:
                    n = _text(e.get("name")) if e.is_map else e.text()
                    if n:
                        names.append(n)
            return ServiceSpec(name, provider, kind, (), True, source, tuple(names))
    return ServiceSpec(
        name,
        provider,
        "unknown",
        (),
        True,
        source,
        unknown=f"service {qualify(name, provider)} is of a type wslint does not model",
    )


def health_spec(node: Node | None) -> HealthSpec | None:
    """A load balancer's `healthCheck` (its `path` is required: without one Traefik runs no check)."""
    if node is None or not node.is_map:
        return None
    path = _text(node.get("path"))
    if not path:
        return None
    return HealthSpec(
        path=path,
        source=node.entry or node.source,
        method=(_text(node.get("method")) or "GET").upper(),
        status=_int(node.get("status")),
        mode=(_text(node.get("mode")) or "http").lower(),
        port=_int(node.get("port")),
        scheme=_text(node.get("scheme")),
    )


def tcp_router_spec(name: str, node: Node, provider: str) -> TcpRouterSpec:
    rule = node.get("rule")
    eps = node.get("entryPoints")
    tls = node.get("tls")
    passthrough = tls.get("passthrough") if tls is not None else None
    return TcpRouterSpec(
        name=name,
        provider=provider,
        rule=_text(rule),
        rule_node=rule,
        syntax=_text(node.get("ruleSyntax")),
        entry_points=_refs(eps) if eps is not None else None,
        tls=tls is not None and (tls.is_map or tls.truthy()),
        passthrough=passthrough is not None and passthrough.truthy(),
        service=next(iter(_refs(node.get("service"))), None),
        source=node.entry or node.source,
    )


# -- static configuration -----------------------------------------------------------------


def _address(text: str) -> tuple[str | None, int | None, bool]:
    addr, _, proto = text.partition("/")
    name, sep, port = addr.rpartition(":")
    if not sep:
        return None, None, proto.lower() == "udp"
    host = name.strip("[]") or None
    return host, int(port) if port.isdigit() else None, proto.lower() == "udp"


def read_static(doc: Node, path: str, reader: _Reader, paths: PathMap) -> StaticSpec:
    eps: list[EntryPointSpec] = []
    for name, node in (doc.get("entryPoints") or Node({}, doc.source)).items():
        address = _text(node.get("address")) or ""
        host, port, udp = _address(address)
        http = node.get("http") or Node({}, node.source)
        redirection = None
        red = http.path("redirections", "entryPoint")
        if red is not None and red.is_map:
            permanent = red.get("permanent")
            redirection = Redirection(
                to=_text(red.get("to")) or "",
                scheme=_text(red.get("scheme")) or "https",
                permanent=permanent is None or permanent.truthy(),
                priority=_int(red.get("priority")) or (2**63 - 2),
                port=None,
                source=red.entry or red.source,
            )
        timeouts: dict[str, float] = {}
        rt = node.path("transport", "respondingTimeouts")
        for key in ("readTimeout", "writeTimeout", "idleTimeout"):
            value = _duration(rt.get(key)) if rt is not None else None
            if value is not None:
                timeouts[key] = value
        as_default = node.get("asDefault")
        tls = http.get("tls")
        sanitize = http.get("sanitizePath")
        encoded = http.get("encodedCharacters")
        refused_encoded: list[str] = []
        if encoded is not None and encoded.is_map:
            for option, codes in ENCODED.items():
                allows = encoded.get(option)
                if allows is not None and not allows.truthy():
                    refused_encoded.extend(codes)
        fh = node.get("forwardedHeaders")
        forwarded = None
        if fh is not None and fh.is_map:
            insecure = fh.get("insecure")
            forwarded = ForwardedHeaders(
                insecure=insecure is not None and insecure.truthy(),
                trusted_ips=tuple(r.name for r in _refs(fh.get("trustedIPs"))),
                source=fh.entry or fh.source,
            )
        eps.append(
            EntryPointSpec(
                name=name,
                address=address,
                host=host,
                port=port,
                udp=udp,
                as_default=as_default is not None and as_default.truthy(),
                middlewares=_refs(http.get("middlewares")),
                tls=tls is not None and (tls.is_map or tls.truthy()),
                redirection=redirection,
                source=node.entry or node.source,
                timeouts=timeouts,
                forwarded=forwarded,
                sanitize_path=sanitize is None or sanitize.truthy(),
                proxy_protocol=node.get("proxyProtocol") is not None,
                refused_encoded=tuple(refused_encoded),
            )
        )
    syntax_node = doc.path("core", "defaultRuleSyntax")
    spec = StaticSpec(
        path=path,
        entry_points=eps,
        default_syntax=_text(syntax_node),
        default_syntax_source=syntax_node.entry if syntax_node is not None else None,
        provider_files=[],
        provider_source=None,
    )
    spec.providers = enabled_providers(doc)
    for provider in spec.providers:
        if provider.name == "file":
            _file_provider(provider.node, spec, paths, reader)
        elif provider.name in ("docker", "swarm"):
            exposed = provider.node.get("exposedByDefault")
            if exposed is not None and not exposed.truthy():
                spec.exposed_by_default = False
            spec.default_rule = _text(provider.node.get("defaultRule")) or spec.default_rule
            if provider.node.get("constraints") is not None:
                spec.unmodelled.append(f"providers.{provider.name}.constraints decide which containers get routers")
    fast = doc.path("experimental", "fastProxy")
    if fast is not None and (fast.is_map or fast.truthy()):
        spec.unmodelled.append("experimental.fastProxy replaces Traefik's proxy with one wslint does not model")
    return spec


def _file_provider(node: Node, spec: StaticSpec, paths: PathMap, reader: _Reader) -> None:
    spec.provider_source = node.entry or node.source
    if not node.is_map:
        return
    for key, kind in (("filename", "file"), ("directory", "directory")):
        value = node.get(key)
        written = _text(value)
        if not written:
            continue
        if not inside(paths.mapped(written), reader.confine):
            reader.error(
                f"the file provider's {written!r} leaves the confined directories (--confine); it was not read",
                value.entry if value is not None else spec.provider_source,
            )
            reader.failed = True
            return
        local, why = paths.local(written)
        what = f"the file provider's {kind} {written}"
        if local is None:
            spec.unread.append(UnreadSource(what, why, value.entry if value is not None else spec.provider_source))
        elif kind == "file":
            spec.provider_files.append(display_path(local))
        else:
            spec.provider_files.extend(provider_directory(Path(local), reader.limits.files + 1))


def provider_directory(directory: Path, at_most: int) -> list[str]:
    """The files the file provider reads from a directory: .yml, .yaml, .toml, subdirectories too; the walk
    stops at `at_most` files (the reader refuses more than the file limit, it need not list a whole disk)."""
    out: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(DYNAMIC_SUFFIXES):
                out.append(display_path(os.path.join(root, name)))
                if len(out) >= at_most:
                    return out
    return out


# -- docker compose ---------------------------------------------------------------------


def _label_items(labels: Node) -> list[tuple[str, str, Node]]:
    out: list[tuple[str, str, Node]] = []
    if labels.is_map:
        for key, node in labels.items():
            out.append((key, node.text() or "", node))
    else:
        for item in labels.elements():
            text = item.text() or ""
            name, sep, value = text.partition("=")
            if sep:
                out.append((name.strip(), value.strip(), item))
    return out


def _tree_insert(root: Node, parts: list[str], value: Node) -> None:
    node = root
    for part in parts[:-1]:
        child = node.get(part)
        if child is None or not child.is_map:
            child = Node({}, value.entry or value.source, value.entry)
            node.value[part] = child
        node = child
    node.value[parts[-1]] = value


def labels_tree(labels: list[tuple[str, str, Node]], prefix: str, path: str) -> Node:
    """`traefik.http.routers.app.rule=...` labels as the tree Traefik decodes them into."""
    root = Node({}, Source(path, 1, 1))
    for key, value, node in labels:
        if not key.lower().startswith(prefix + "."):
            continue
        parts = key[len(prefix) + 1 :].split(".")
        _tree_insert(root, parts, Node(value, node.source, node.entry or node.source))
    return root


def _flags(svc: Node) -> list[tuple[str, Node]]:
    command = svc.get("command")
    flags = [e for e in command.elements()] if command is not None and command.is_list else []
    if command is not None and isinstance(command.value, str):
        flags = [Node(part, command.source, command.entry) for part in command.value.split()]
    return [(f.text() or "", f) for f in flags if (f.text() or "").startswith("--")]


def _label_providers(services: Node) -> tuple[bool, bool]:
    """Whether Traefik reads the containers' `labels` (Docker provider) and the swarm services'
    `deploy.labels` (`--providers.swarm` in v3, `--providers.docker.swarmMode` in v2), as the
    Traefik container's flags say; both when no flag says."""
    docker = v2_swarm = v3_swarm = False
    for _, svc in services.items():
        if not svc.is_map:
            continue
        for text, _ in _flags(svc):
            key, _, value = text[2:].lower().partition("=")
            if value == "false":
                continue
            if key == "providers.docker.swarmmode":
                v2_swarm = True
            elif key == "providers.swarm" or key.startswith("providers.swarm."):
                v3_swarm = True
            elif key == "providers.docker" or key.startswith("providers.docker."):
                docker = True
    if v2_swarm:
        # the Docker provider in swarm mode reads the services' labels only
        docker = False
    swarm = v2_swarm or v3_swarm
    if not docker and not swarm:
        return True, True
    return docker, swarm


def read_compose(doc: Node, path: str, out: TraefikInput, reader: _Reader) -> StaticSpec | None:
    """A compose file: the labels of its services, and the static configuration of the service that runs
    Traefik (its mounted static file, else its command-line flags), with the providers that enables."""
    services = doc.get("services") or Node({}, doc.source)
    compose_dir = os.path.dirname(os.path.abspath(path))
    env = read_env_file(compose_dir, reader.limits.file_size)
    runner = next(
        ((n, svc) for n, svc in services.items() if svc.is_map and (is_traefik_image(svc) or _static_flags(svc))),
        None,
    )
    static: StaticSpec | None = None
    if runner is not None:
        static = _runner_static(runner[0], runner[1], compose_dir, path, out, reader)
    if static is not None and static.providers:
        containers, swarm = label_kinds(static)
        exposed = static.exposed_by_default
    else:
        # no provider is known: the labels of both kinds are read (and no handshake is said to miss)
        containers, swarm = _label_providers(services)
        exposed = True
    read_compose_labels(services, path, env, out, reader, containers, swarm, exposed, static)
    return static


def read_compose_labels(
    services: Node,
    path: str,
    env: dict[str, str],
    out: TraefikInput,
    reader: _Reader,
    containers: bool,
    swarm: bool,
    exposed: bool,
    static: StaticSpec | None,
) -> bool:
    """The routers the Docker provider (`labels`) or the Swarm provider (`deploy.labels`) makes of a compose
    file's services; whether any service has Traefik labels."""
    found = False
    for svc_name, svc in services.items():
        if not svc.is_map:
            continue
        deploy = svc.get("deploy")
        sources = [svc.get("labels") if containers else None]
        sources.append(deploy.get("labels") if swarm and deploy is not None and deploy.is_map else None)
        for labels in sources:
            if labels is not None:
                found = _read_labels(svc_name, svc, labels, path, env, out, reader, exposed, static) or found
    return found


def _static_flags(svc: Node) -> list[tuple[str, Node]]:
    return [(t, n) for t, n in _flags(svc) if t.lower().startswith(("--entrypoints.", "--providers.", "--configfile"))]


def _runner_static(
    name: str, svc: Node, compose_dir: str, path: str, out: TraefikInput, reader: _Reader
) -> StaticSpec | None:
    """The static configuration of the compose service that runs Traefik.

    Traefik takes its static configuration from one source: a file (`--configFile`, or traefik.yml in
    /etc/traefik or the working directory) wins over command-line flags."""
    volumes = volumes_of(svc, compose_dir)
    paths = PathMap(compose_dir, reader.roots, volumes, reader.confine, in_container=True)
    flags = _flags(svc)
    config_flag = next(((t.partition("=")[2], n) for t, n in flags if t.lower().startswith("--configfile=")), None)
    where = svc.entry or svc.source
    if config_flag is not None:
        candidates = [config_flag[0]]
        where = config_flag[1].entry or config_flag[1].source
    else:
        # a file mounted where Traefik looks (whether or not it is here), or found in a mounted directory
        mounted = {v.container.rstrip("/") for v in volumes}
        candidates = [c for c in STATIC_LOCATIONS if c in mounted or paths.local(c)[0] is not None]
    if candidates:
        local, why = paths.local(candidates[0])
        if local is None:
            out.unread.append(
                UnreadSource(f"the static configuration {candidates[0]} of compose service {name}", why, where)
            )
            return None
        static = _static_file(local, reader, paths, out)
        if static is not None:
            return static
        return None
    static_flags = [(t, n) for t, n in flags if t.lower().startswith(("--entrypoints.", "--providers."))]
    if not static_flags:
        out.unread.append(
            UnreadSource(
                f"the static configuration of compose service {name}",
                "it has no --configFile, no static flags and no traefik.yml mounted where Traefik looks for one",
                where,
            )
        )
        return None
    tree = Node({}, svc.source)
    for text, node in static_flags:
        key, _, value = text[2:].partition("=")
        _tree_insert(tree, key.split("."), Node(value or "true", node.source, node.entry or node.source))
    static = read_static(tree, path, reader, paths)
    _provider_sources(static, out, reader, path, compose=True)
    return static


def _static_file(local: str, reader: _Reader, paths: PathMap, out: TraefikInput) -> StaticSpec | None:
    """A static file another file points at (a compose service's mounted traefik.yml)."""
    shown = display_path(local)
    text = reader.read(InputFile(shown, local))
    if text is None:
        return None
    docs = reader.documents(text, shown)
    if docs is None:
        return None
    nodes, style = docs
    maps = [d for d in nodes if d.is_map]
    if not maps:
        return None
    reader.refused(maps[0], "static", style)
    static = read_static(maps[0], shown, reader, paths)
    _provider_sources(static, out, reader, shown, compose=True)
    return static


def _provider_sources(static: StaticSpec, out: TraefikInput, reader: _Reader, path: str, compose: bool) -> None:
    """Read what the static configuration's providers supply: the file provider's files; for a static file
    linted alone, the compose files beside it for the Docker and Swarm providers. Every other provider, and
    whatever of these cannot be read, becomes an unread source."""
    out.unread.extend(static.unread)
    for f in static.provider_files:
        _dynamic_file(f, out, reader)
    if not static.providers:
        out.unread.append(
            UnreadSource(
                "the routers",
                "the static configuration enables no provider, so where its routers come from is not known",
                Source(path, 1, 1),
            )
        )
    for provider in static.providers:
        label = ROUTER_PROVIDERS[provider.name]
        if provider.name == "file":
            continue
        if provider.name in ("docker", "swarm"):
            if compose:
                continue  # the compose file that runs Traefik holds the labels
            containers, swarm = label_kinds(static)
            if not _labels_beside(path, out, reader, containers, swarm, static):
                out.unread.append(
                    UnreadSource(
                        label, "no compose file with Traefik labels was found beside the static file", provider.source
                    )
                )
            continue
        out.unread.append(
            UnreadSource(label, "wslint reads the file, Docker and Swarm providers only", provider.source)
        )


def label_kinds(static: StaticSpec) -> tuple[bool, bool]:
    """Whether Traefik reads containers' `labels` (the Docker provider) and swarm services' `deploy.labels`
    (the Swarm provider, or v2's `docker.swarmMode`)."""
    containers = swarm = False
    for p in static.providers:
        swarm_mode = (p.node.get("swarmMode") or Node(False, p.source)).truthy() if p.node.is_map else False
        if p.name == "swarm" or (p.name == "docker" and swarm_mode):
            swarm = True
        elif p.name == "docker":
            containers = True
    return containers, swarm


def _labels_beside(
    path: str, out: TraefikInput, reader: _Reader, containers: bool, swarm: bool, static: StaticSpec
) -> bool:
    found = False
    for compose in compose_files_beside(path):
        shown = display_path(compose)
        head = read_head(compose, 65536)
        if head is None or b"traefik." not in head:
            continue
        text = reader.read(InputFile(shown, compose))
        if text is None:
            continue
        docs = reader.documents(text, shown)
        if docs is None:
            continue
        env = read_env_file(os.path.dirname(os.path.abspath(compose)), reader.limits.file_size)
        for d in docs[0]:
            if d.is_map and is_compose(d):
                services = d.get("services") or Node({}, d.source)
                exposed = static.exposed_by_default
                if read_compose_labels(services, shown, env, out, reader, containers, swarm, exposed, static):
                    found = True
                    out.styles.add("label")
    return found


def _read_labels(
    svc_name: str,
    svc: Node,
    labels: Node,
    path: str,
    env: dict[str, str],
    out: TraefikInput,
    reader: _Reader,
    exposed: bool,
    static: StaticSpec | None,
) -> bool:
    items = [(k, interpolate(v, env), n) for k, v, n in _label_items(labels)]
    enable = next((v for k, v, _ in items if k.lower() == "traefik.enable"), None)
    if enable is not None and enable.lower() == "false":
        return False
    if not exposed and (enable is None or enable.lower() != "true"):
        # exposedByDefault: false: only containers with traefik.enable=true get routers
        return False
    tree = labels_tree(items, "traefik", path)
    if not tree.value:
        return False
    before = {r.name for r in out.routers}
    read_dynamic(tree, "docker", "label", out, reader)
    own_services = [n for n in (tree.path("http", "services") or Node({}, svc.source)).value if isinstance(n, str)]
    mine = [r for r in out.routers if r.name not in before]
    if not mine and tree.path("http", "routers") is None and enable is not None and enable.lower() == "true":
        # an enabled container without router labels gets a router with the provider's defaultRule
        spec = RouterSpec(
            svc_name,
            "docker",
            None,
            None,
            None,
            None,
            None,
            (),
            None,
            False,
            enable_source(items) or svc.source,
            "label",
        )
        out.routers.append(spec)
        mine = [spec]
    for router in mine:
        if router.rule is None:
            router.default_rule = (static.default_rule if static is not None else None) or DEFAULT_RULE
        if router.service is not None:
            continue
        # Traefik's Docker provider: a router without a service uses the container's only
        # service, or one named after the container
        target = own_services[0] if len(own_services) == 1 else svc_name
        router.service = Ref(target, router.source)
        if target not in own_services:
            out.services.setdefault(
                f"{target}@docker",
                ServiceSpec(target, "docker", "loadbalancer", (f"http://{svc_name}",), True, svc.source),
            )
    return True


def enable_source(items: list[tuple[str, str, Node]]) -> Source | None:
    node = next((n for k, _, n in items if k.lower() == "traefik.enable"), None)
    return None if node is None else (node.entry or node.source)


# -- Kubernetes CRDs ------------------------------------------------------------------------


def read_crd(doc: Node, out: TraefikInput, reader: _Reader) -> None:
    kind = _text(doc.get("kind")) or ""
    meta = doc.get("metadata") or Node({}, doc.source)
    name = _text(meta.get("name")) or "unnamed"
    namespace = _text(meta.get("namespace")) or "default"
    spec = doc.get("spec") or Node({}, doc.source)
    provider = "kubernetescrd"
    if kind == "Middleware":
        mw = middleware_spec(f"{namespace}-{name}", spec, provider, "crd")
        if mw is not None:
            named = meta.get("name")
            mw.source = (named.entry or named.source) if named is not None else doc.source
            out.middlewares.setdefault(mw.qualified, mw)
        return
    if kind == "Ingress":
        read_ingress(doc, name, namespace, out)
        return
    if kind not in ("IngressRoute", "IngressRouteTCP"):
        return
    eps = spec.get("entryPoints")
    tls = spec.get("tls")
    routes = spec.get("routes")
    for index, route in enumerate(routes.elements() if routes is not None else []):
        match = route.get("match")
        if kind == "IngressRouteTCP":
            out.tcp_routers.append(
                TcpRouterSpec(
                    name=f"{namespace}-{name}-{index}",
                    provider=provider,
                    rule=_text(match),
                    rule_node=match,
                    syntax=_text(route.get("syntax")),
                    entry_points=_refs(eps) if eps is not None else None,
                    tls=tls is not None,
                    passthrough=tls is not None and (tls.get("passthrough") or Node(False, tls.source)).truthy(),
                    service=None,
                    source=route.entry or route.source,
                )
            )
            continue
        middlewares: list[Ref] = []
        mws = route.get("middlewares")
        for m in mws.elements() if mws is not None else []:
            mname = _text(m.get("name")) if m.is_map else m.text()
            if not mname:
                continue
            mns = _text(m.get("namespace")) if m.is_map else None
            qualified = mname if "@" in mname else f"{mns or namespace}-{mname}"
            middlewares.append(Ref(qualified, m.source, m.entry))
        service: Ref | None = None
        svcs = route.get("services")
        for s in svcs.elements() if svcs is not None else []:
            sname = _text(s.get("name")) if s.is_map else None
            if not sname:
                continue
            sns = _text(s.get("namespace")) or namespace
            port = _text(s.get("port")) or "80"
            skind = _text(s.get("kind")) or "Service"
            key = f"{sns}-{sname}-{port}"
            phh = s.get("passHostHeader")
            url = f"http://{sname}.{sns}:{port}" if skind == "Service" else ""
            out.services.setdefault(
                f"{key}@{provider}",
                ServiceSpec(key, provider, "kubernetes", (url,) if url else (), phh is None or phh.truthy(), s.source),
            )
            service = service or Ref(key, s.source, s.entry)
        out.routers.append(
            RouterSpec(
                name=f"{namespace}-{name}-{index}",
                provider=provider,
                rule=_text(match),
                rule_node=match,
                syntax=_text(route.get("syntax")),
                priority=_int(route.get("priority")),
                entry_points=_refs(eps) if eps is not None else None,
                middlewares=tuple(middlewares),
                service=service,
                tls=tls is not None,
                tls_source=tls.entry if tls is not None else None,
                source=route.entry or route.source,
                style="crd",
                node=route,
            )
        )


INGRESS_ANNOTATION = "traefik.ingress.kubernetes.io/"


def read_ingress(doc: Node, name: str, namespace: str, out: TraefikInput) -> None:
    """A standard Ingress as Traefik's kubernetesingress provider reads it: one router per host and
    path (`Host(...) && PathPrefix(...)`, `Path(...)` for pathType Exact), TLS when the Ingress has a
    `tls` section or the router.tls annotation, entryPoints, middlewares and priority from the
    `traefik.ingress.kubernetes.io/router.*` annotations, and a catch-all router for the default backend."""
    provider = "kubernetes"
    meta = doc.get("metadata") or Node({}, doc.source)
    notes = meta.get("annotations")
    ann: dict[str, Node] = {}
    if notes is not None and notes.is_map:
        ann = {k.lower(): v for k, v in notes.items() if isinstance(k, str)}
    spec = doc.get("spec") or Node({}, doc.source)
    tls_node = spec.get("tls")
    tls_note = ann.get(INGRESS_ANNOTATION + "router.tls")
    tls = tls_node is not None or (tls_note is not None and (_text(tls_note) or "").lower() == "true")
    eps = ann.get(INGRESS_ANNOTATION + "router.entrypoints")
    mws = _refs(ann.get(INGRESS_ANNOTATION + "router.middlewares"))
    priority = _int(ann.get(INGRESS_ANNOTATION + "router.priority"))
    pathmatcher = _text(ann.get(INGRESS_ANNOTATION + "router.pathmatcher"))

    def service(backend: Node | None) -> Ref | None:
        svc = backend.get("service") if backend is not None else None
        if svc is None or not svc.is_map or not _text(svc.get("name")):
            return None
        sname = _text(svc.get("name")) or ""
        port_node = svc.get("port")
        port = (_text(port_node.get("number")) or _text(port_node.get("name"))) if port_node is not None else None
        key = f"{namespace}-{sname}-{port or 80}"
        url = f"http://{sname}.{namespace}:{port or 80}"
        out.services.setdefault(f"{key}@{provider}", ServiceSpec(key, provider, "kubernetes", (url,), True, svc.source))
        return Ref(key, svc.source, svc.entry)

    def router(rule: str, where: Node, target: Ref | None, index: int, prio: int | None) -> None:
        out.routers.append(
            RouterSpec(
                name=f"{namespace}-{name}-{index}",
                provider=provider,
                rule=rule,
                rule_node=Node(rule, where.source, where.entry),
                syntax=_text(ann.get(INGRESS_ANNOTATION + "router.rulesyntax")),
                priority=prio,
                entry_points=_refs(eps) if eps is not None else None,
                middlewares=mws,
                service=target,
                tls=tls,
                tls_source=tls_node.entry if tls_node is not None else None,
                source=where.entry or where.source,
                style="crd",
                node=where,
            )
        )

    index = 0
    rules = spec.get("rules")
    for r in rules.elements() if rules is not None else []:
        host = _text(r.get("host")) if r.is_map else None
        http = r.get("http") if r.is_map else None
        paths = http.get("paths") if http is not None else None
        for p in paths.elements() if paths is not None else []:
            if not p.is_map:
                continue
            path = _text(p.get("path")) or "/"
            kind = _text(p.get("pathType")) or ""
            # Prefix is PathPrefix; ImplementationSpecific follows the router.pathmatcher annotation
            matcher = "Path" if kind == "Exact" else "PathPrefix"
            if kind in ("", "ImplementationSpecific") and pathmatcher:
                matcher = pathmatcher
            parts = ([f"Host(`{host}`)"] if host else []) + [f"{matcher}(`{path}`)"]
            router(" && ".join(parts), p, service(p.get("backend")), index, priority)
            index += 1
    default = spec.get("defaultBackend")
    if default is not None:
        # the default backend answers what no rule matches
        router("PathPrefix(`/`)", default, service(default), index, 1)


# -- entry point ------------------------------------------------------------------------------


def _dynamic_file(path: str, out: TraefikInput, reader: _Reader) -> None:
    text = reader.read(InputFile(path, path))
    if text is None or _templated(path, text, out, reader):
        return
    docs = reader.documents(text, path)
    if docs is None:
        return
    nodes, style = docs
    out.styles.add(style)
    for doc in nodes:
        if doc.is_map and not reader.refused(doc, "dynamic", style):
            read_dynamic(doc, "file", style, out, reader)


# the top of a dynamic configuration: YAML's `http:`/`tcp:`, TOML's `[http.` tables
_DYNAMIC_TOP = re.compile(r"^(http|tcp)\s*:|^\[(http|tcp)\.", re.M)


def sibling_dynamic_files(inp: InputFile) -> list[str]:
    """Other file-provider files next to a dynamic file (a provider directory linted without traefik.yml)."""
    if inp.disk_path is None:
        return []
    here = Path(inp.disk_path)
    out: list[str] = []
    for p in sorted(here.parent.iterdir()):
        if p == here or not p.name.endswith(DYNAMIC_SUFFIXES):
            continue
        head = read_head(str(p), 65536)
        if head is not None and _DYNAMIC_TOP.search(head.decode("utf-8", errors="replace")):
            out.append(display_path(str(p)))
    return out


def read_together(inp: InputFile) -> set[str]:
    """Real paths of the file-provider files a dynamic file is read with (none for other files)."""
    if inp.disk_path is None:
        return set()
    head = read_head(inp.disk_path, 65536)
    if head is None or not _DYNAMIC_TOP.search(head.decode("utf-8", errors="replace")):
        return set()
    here = os.path.realpath(inp.disk_path)
    directory = os.path.dirname(inp.disk_path)
    return {here} | {os.path.realpath(os.path.join(directory, os.path.basename(f))) for f in sibling_dynamic_files(inp)}


def load_inputs(
    inp: InputFile,
    diagnostics: list[Diagnostic],
    limits: Limits | None = None,
    roots: tuple[tuple[str, str], ...] = (),
    confine: tuple[str, ...] | None = None,
) -> TraefikInput | None:
    reader = _Reader(diagnostics, limits or Limits(), roots, confine)
    text = reader.read(inp)
    if text is None:
        return None
    out = TraefikInput(main=inp.path, files=reader.files, texts=reader.texts, static=None)
    scratch = _Reader([], reader.limits)
    docs = scratch.documents(text, inp.path)
    dynamic = docs is not None and not any(
        d.is_map and (is_crd(d) or is_compose(d) or is_static(d)) for d in docs[0][:1] + docs[0]
    )
    if template_line(text) is not None and (docs is None or dynamic):
        # a file-provider file Traefik renders as a template: its siblings are read, it is not
        _templated(inp.path, text, out, reader)
        for f in sibling_dynamic_files(inp):
            _dynamic_file(f, out, reader)
        return _finish(out, reader)
    docs = reader.documents(text, inp.path)
    if docs is None:
        return None
    nodes, style = docs
    if not nodes:
        reader.error(f"{inp.path} contains no configuration (it is empty or only comments)", Source(inp.path, 1))
        return None
    maps = [d for d in nodes if d.is_map]
    if any(is_crd(d) for d in maps):
        out.styles.add("crd")
        for d in maps:
            if is_crd(d):
                read_crd(d, out, reader)
        # objects in other files (Services, Middlewares) may be referenced
        out.complete = False
    elif any(is_compose(d) for d in maps):
        out.styles.add("label")
        for d in maps:
            out.static = read_compose(d, inp.path, out, reader) or out.static
        out.complete = False
    elif maps and is_static(maps[0]):
        reader.refused(maps[0], "static", style)
        base = os.path.dirname(inp.disk_path or inp.path) or "."
        volumes, runner = _mounting_service(inp, reader.limits)
        paths = PathMap(base, roots, volumes, confine, in_container=runner is not None)
        out.static = read_static(maps[0], inp.path, reader, paths)
        _provider_sources(out.static, out, reader, inp.path, compose=False)
    else:
        out.styles.add(style)
        for d in maps:
            if not reader.refused(d, "dynamic", style):
                read_dynamic(d, "file", style, out, reader)
        siblings = sibling_dynamic_files(inp)
        for f in siblings:
            _dynamic_file(f, out, reader)
        # references may point at other providers' configuration
        out.complete = False
    return _finish(out, reader)


def _finish(out: TraefikInput, reader: _Reader) -> TraefikInput | None:
    if reader.failed:
        return None
    if out.unread:
        out.complete = False
    for unread in out.unread:
        reader.warn(
            f"{unread.what} was not read: {unread.reason}. A router there could take any handshake, so wslint "
            "judges no handshake that finds no router or the wrong one",
            unread.source,
        )
    # sibling files of a dynamic file are read with it: of targets that read each other, wslint keeps one
    out.files = list(reader.files)
    out.texts = reader.texts
    return out


def _templated(path: str, text: str, out: TraefikInput, reader: _Reader) -> bool:
    """A file-provider file with Go template actions: Traefik renders it before decoding it; wslint does not,
    so nothing in it is known."""
    line = template_line(text)
    if line is None:
        return False
    out.unread.append(
        UnreadSource(
            path,
            "it is a Go template (Traefik renders `{{ ... }}` before reading the file; wslint does not), so its "
            "routers, middlewares and services are not known",
            Source(path, line),
        )
    )
    return True


def _mounting_service(inp: InputFile, limits: Limits) -> tuple[list[Volume], str | None]:
    """The bind mounts of a compose service beside a static file that runs Traefik with it mounted."""
    if inp.disk_path is None:
        return [], None
    me = os.path.realpath(inp.disk_path)
    for compose in compose_files_beside(inp.disk_path):
        # only a look for the volumes: a compose file that is no regular UTF-8 file within the limits mounts
        # nothing (a provider directory it would have mapped is then not found, so not read, and said so)
        try:
            text = read_text(compose, display_path(compose), limits.file_size)
        except TextFileError:
            continue
        if "traefik" not in text:
            continue
        try:
            docs = load_yaml_documents(text, compose, limits)
        except LoadError:
            continue
        compose_dir = os.path.dirname(compose)
        for d in docs:
            services = d.get("services") if d.is_map else None
            for name, svc in services.items() if services is not None and services.is_map else []:
                if not svc.is_map or not is_traefik_image(svc):
                    continue
                volumes = volumes_of(svc, compose_dir)
                for v in volumes:
                    real = os.path.realpath(v.host)
                    if real == me or me.startswith(real.rstrip(os.sep) + os.sep):
                        return volumes, name
    return [], None
