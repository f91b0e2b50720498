"""App profiles: the WebSocket endpoints of the apps people proxy, and how a configuration shows it proxies one.

Most proxied WebSocket traffic belongs to a few dozen applications whose WebSocket paths are documented
(Mattermost's `/api/v4/websocket`, Home Assistant's `/api/websocket`, ...). A profile (one YAML file per
app in `apps/`, shipped like the rules) says what the app's clients open and what identifies the app in a
configuration. When a configuration proxies such an app, wslint checks the app's documented endpoints as
declared endpoints, so `wslint nginx.conf` without `--ws-url` finds what only an endpoint shows.

Recognition is deliberately narrow (a false alarm costs more than a miss): an app is *recognized* when
one of its names is a whole word of an upstream, backend, service or server name (`mattermost_backend`,
`http://homeassistant:8123`, `mattermost.example.com`), or when a route has one of its distinctive paths
and an upstream listens on its port. A distinctive path alone only *suggests* the app: findings from
such endpoints are info at most. `--app NAME` and `apps:` in .wslint.yaml select profiles outright.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wslint import safe_yaml
from wslint.cache_dir import default_directory
from wslint.durations import parse_duration
from wslint.endpoints import Endpoint, EndpointError, EndpointOrigin, parse_endpoint
from wslint.engine.codecache import CodeCache
from wslint.model import Listener, ProxyConfig, Route

ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_WORD = re.compile(r"[a-z0-9]+")


class ProfileError(Exception):
    """A profile file that does not follow the format; the message names the file and field."""


@dataclass(frozen=True)
class AppSocket:
    """One WebSocket endpoint the app's clients open."""

    path: str
    query: str
    # clients open paths below it too
    prefix: bool
    source: str
    # only some installations use it (Phoenix channels beside LiveView): checked only when the app is named
    # outright (--app, apps:), never on recognition alone
    optional: bool = False


@dataclass(frozen=True)
class AppProfile:
    id: str
    name: str
    docs: str
    names: tuple[str, ...]
    ports: tuple[int, ...]
    paths: tuple[str, ...]
    websockets: tuple[AppSocket, ...]
    # the idle time the app's socket must survive (its heartbeat), in seconds
    idle_timeout: float | None
    idle_source: str | None
    notes: str
    path: str

    @property
    def word_names(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(_WORD.findall(n.lower())) for n in self.names)


def _fail(path: str, field: str, message: str) -> ProfileError:
    return ProfileError(f"{path}: {field}: {message}" if field else f"{path}: {message}")


def _strings(data: dict[str, Any], key: str, path: str, field: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(path, f"{field}.{key}" if field else key, "expected a list of strings")
    return tuple(value)


def parse_profile(data: Any, path: str) -> AppProfile:
    """A profile from its YAML data, every field checked (an unknown key is an error, never ignored)."""
    if not isinstance(data, dict):
        raise _fail(path, "", "expected a mapping")
    known = {"id", "name", "docs", "recognize", "websockets", "idle_timeout", "idle_source", "notes"}
    for key in data:
        if key not in known:
            raise _fail(path, str(key), "unknown key")
    app_id = data.get("id")
    if not isinstance(app_id, str) or not ID_RE.match(app_id):
        raise _fail(path, "id", "must be kebab-case")
    for key in ("name", "docs"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _fail(path, key, "missing")
    if not data["docs"].startswith("https://"):
        raise _fail(path, "docs", "must be an https:// URL")
    recognize = data.get("recognize") or {}
    if not isinstance(recognize, dict):
        raise _fail(path, "recognize", "expected a mapping")
    for key in recognize:
        if key not in ("names", "ports", "paths"):
            raise _fail(path, f"recognize.{key}", "unknown key")
    names = _strings(recognize, "names", path, "recognize")
    paths = _strings(recognize, "paths", path, "recognize")
    ports = recognize.get("ports", [])
    if not isinstance(ports, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in ports):
        raise _fail(path, "recognize.ports", "expected a list of port numbers")
    sockets_raw = data.get("websockets")
    if not isinstance(sockets_raw, list) or not sockets_raw:
        raise _fail(path, "websockets", "expected a list of the app's WebSocket endpoints")
    sockets = []
    for i, item in enumerate(sockets_raw):
        field = f"websockets[{i}]"
        if not isinstance(item, dict):
            raise _fail(path, field, "expected a mapping")
        for key in item:
            if key not in ("path", "query", "prefix", "source", "optional"):
                raise _fail(path, f"{field}.{key}", "unknown key")
        ws_path, query, source = item.get("path"), item.get("query", ""), item.get("source")
        if not isinstance(ws_path, str) or not ws_path.startswith("/"):
            raise _fail(path, f"{field}.path", "must be a path starting with /")
        if not isinstance(query, str):
            raise _fail(path, f"{field}.query", "expected a string")
        if not isinstance(source, str) or not source.startswith("https://"):
            raise _fail(path, f"{field}.source", "must be the https:// URL the path is documented at")
        prefix, optional = item.get("prefix", False), item.get("optional", False)
        for key, value in (("prefix", prefix), ("optional", optional)):
            if not isinstance(value, bool):
                raise _fail(path, f"{field}.{key}", "expected true or false")
        sockets.append(AppSocket(ws_path, query, prefix, source, optional))
    idle: float | None = None
    if "idle_timeout" in data:
        idle = parse_duration(str(data["idle_timeout"]))
        if idle is None:
            raise _fail(path, "idle_timeout", "not a duration (write e.g. 60s)")
    idle_source = data.get("idle_source")
    if idle is not None and (not isinstance(idle_source, str) or not idle_source.startswith("https://")):
        raise _fail(path, "idle_source", "an idle_timeout needs the https:// URL it comes from")
    notes = data.get("notes", "")
    if not isinstance(notes, str):
        raise _fail(path, "notes", "expected a string")
    return AppProfile(
        id=app_id,
        name=data["name"],
        docs=data["docs"],
        names=names,
        ports=tuple(ports),
        paths=paths,
        websockets=tuple(sockets),
        idle_timeout=idle,
        idle_source=idle_source if isinstance(idle_source, str) else None,
        notes=" ".join(notes.split()),
        path=path,
    )


def builtin_dir() -> Path:
    """Where the shipped profiles are: inside the installed package, or the checkout's apps/."""
    package = Path(__file__).resolve().parent
    installed = package / "apps"
    return installed if installed.is_dir() else package.parent / "apps"


def load_profiles(directories: Iterable[Path] = ()) -> tuple[AppProfile, ...]:
    """The shipped profiles, then those of `directories`, in id order; an id may be used once."""
    out: dict[str, AppProfile] = {}
    # the shipped files' parsed YAML is cached like the rules' (a pre-commit run reads them all)
    cache = CodeCache(default_directory())
    for directory in (builtin_dir(), *directories):
        shipped = directory == builtin_dir()
        for file in sorted(directory.glob("*.yaml")) if directory.is_dir() else ():
            shown = f"apps/{file.name}" if shipped else str(file)
            try:
                text = file.read_text(encoding="utf-8")
                data: Any = cache.load_data(text) if shipped else None
                if data is None:
                    data = safe_yaml.load(text, shown)
                    if shipped and isinstance(data, dict):
                        cache.store_data(text, data)
            except (OSError, UnicodeDecodeError) as exc:
                raise ProfileError(f"{shown}: cannot read: {exc}") from None
            except safe_yaml.YamlError as exc:
                raise ProfileError(str(exc)) from None
            profile = parse_profile(data, shown)
            if profile.id != file.stem:
                raise _fail(shown, "id", f"must match the file name ({file.stem!r})")
            if profile.id in out:
                raise _fail(shown, "id", f"{profile.id!r} is already used by {out[profile.id].path}")
            out[profile.id] = profile
    return tuple(out[k] for k in sorted(out))


# -- recognition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recognition:
    """A profile found in a configuration, on one server, and why."""

    profile: AppProfile
    listener: Listener
    # the host the server answers for, when it names one
    host: str | None
    evidence: str
    # strong evidence (a name, or a distinctive path with the app's port); otherwise only a hint
    certain: bool
    # selected outright (--app, apps:), not recognized
    named: bool = False
    # the path prefix the app is served under (`location /grafana/`): its endpoints are below it
    mount: str = ""
    # the route serves only TLS connections (a Traefik router with `tls`), whatever its listener's addresses say
    tls_only: bool = False


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _word_runs(text: str, longest: int) -> frozenset[tuple[str, ...]]:
    """Every run of up to `longest` consecutive words of `text`: a name is one of them or not there."""
    words = _words(text)
    return frozenset(tuple(words[i : i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1))


def _upstream_names(route: Route) -> list[tuple[str, str]]:
    """(what, text) of every name a route gives its upstream: the URL's host, the group, its servers."""
    out: list[tuple[str, str]] = []
    up = route.upstream
    if up is not None:
        if up.group is not None:
            out.append(("upstream", up.group.name))
        # the URL's host and port: a path segment (`http://10.0.0.5:3000/grafana/`) names no upstream
        out.append(("upstream", up.url.split("://", 1)[-1].split("/", 1)[0]))
        if up.group is not None:
            out.extend(("upstream server", s) for s in up.group.servers)
    if route.traefik is not None:
        out.append(("router", route.match.pattern))
    return out


_PORT = re.compile(r":(\d{2,5})(?:/|$)")


def _ports(route: Route) -> set[int]:
    found: set[int] = set()
    for _, text in _upstream_names(route):
        found.update(int(m) for m in _PORT.findall(text))
    return found


def _path_of(route: Route) -> str | None:
    kind = route.match.kind
    return route.match.pattern if kind in ("exact", "prefix", "prefix_no_regex") else None


_TRAEFIK_HOST = re.compile(r"Host\(\s*`([^`]+)`")
_TRAEFIK_PREFIX = re.compile(r"PathPrefix\(\s*`([^`]+)`")
# a host name a client can use (not a label such as HAProxy's "frontend web", a wildcard or a variable)
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


def _host(route: Route, listener: Listener) -> str | None:
    """The host a client uses for the route: a Traefik rule's Host, else the server's first plain name."""
    if route.traefik is not None:
        m = _TRAEFIK_HOST.search(route.traefik.rule)
        names = [m.group(1)] if m else []
    else:
        names = [n.name for n in listener.server_names if n.kind == "exact"]
    return next((n.lower() for n in names if _HOSTNAME.match(n.lower())), None)


def _mount(route: Route, profile: AppProfile) -> str:
    """Where the route serves the app: the root, unless the route is a prefix that none of the app's own paths
    starts with (an app under a sub-path, `location /grafana/`)."""
    if route.traefik is not None:
        m = _TRAEFIK_PREFIX.search(route.traefik.rule)
        prefix = m.group(1) if m else None
    elif route.match.kind == "named" and route.match.pattern.startswith("/") and " " not in route.match.pattern:
        # a Caddy path matcher (`handle /admin/*`)
        prefix = route.match.pattern
    else:
        prefix = _path_of(route)
    prefix = (prefix or "").rstrip("*").rstrip("/")
    if not prefix or any(w.path.startswith(prefix) for w in profile.websockets) or prefix in profile.paths:
        return ""
    return prefix


def recognize(config: ProxyConfig, profiles: Sequence[AppProfile]) -> list[Recognition]:
    """Every profile a configuration shows it proxies, once per server and host."""
    found: dict[tuple[str, str, str | None], Recognition] = {}
    # indexes from a name (a run of words) and from a path to the profiles that have it: a route is looked up
    # once, not compared with every profile (thousands of routes, dozens of profiles)
    by_name: dict[tuple[str, ...], list[AppProfile]] = {}
    by_path: dict[str, list[AppProfile]] = {}
    for profile in profiles:
        for name in profile.word_names:
            if name and profile not in by_name.setdefault(name, []):
                by_name[name].append(profile)
        for p in profile.paths:
            if profile not in by_path.setdefault(p.rstrip("/"), []):
                by_path[p.rstrip("/")].append(profile)
    longest = max((len(n) for n in by_name), default=0)
    # a configuration of thousands of routes names the same few upstreams: split each text into words once
    names_in: dict[str, set[str]] = {}

    def named(text: str) -> set[str]:
        ids = names_in.get(text)
        if ids is None:
            ids = names_in[text] = {p.id for name in _word_runs(text, longest) for p in by_name.get(name, ())}
        return ids

    # a server's host is the same for each of its routes (only a Traefik router names its own)
    server_hosts: dict[int, str | None] = {}
    for route in config.routes:
        listener = route.listener
        if route.traefik is not None:
            host = _host(route, listener)
        else:
            if id(listener) not in server_hosts:
                server_hosts[id(listener)] = _host(route, listener)
            host = server_hosts[id(listener)]
        if host is None:
            # a path checked in every server would judge servers that have nothing to do with the app
            continue
        if route.traefik is not None and route.traefik.to_https:
            # it sends browsers to the TLS site, where the app is recognized on the router that serves it
            continue
        evidence: dict[str, tuple[str, bool]] = {}
        for what, text in _upstream_names(route):
            for pid in named(text):
                evidence.setdefault(pid, (f"{what} `{text}`", True))
        for pid in named(host.split(".")[0]):
            evidence.setdefault(pid, (f"server name `{host}`", True))
        mine = _path_of(route)
        if mine is not None and mine.rstrip("/") in by_path:
            ports = _ports(route)
            for profile in by_path[mine.rstrip("/")]:
                shared = ports & set(profile.ports)
                text = f"`{route.name}`" + (f" proxied to port {min(shared)}" if shared else "")
                evidence.setdefault(profile.id, (text, bool(shared)))
        if not evidence:
            continue
        tls_only = route.traefik is not None and route.traefik.tls
        for profile in profiles:
            if profile.id not in evidence:
                continue
            key = (profile.id, listener.id, host)
            if key in found and found[key].certain:
                continue
            why, certain = evidence[profile.id]
            found[key] = Recognition(
                profile, listener, host, why, certain, mount=_mount(route, profile), tls_only=tls_only
            )
    return sorted(found.values(), key=lambda r: (r.profile.id, r.listener.id, r.host or ""))


def forced(config: ProxyConfig, profiles: Sequence[AppProfile], why: str) -> list[Recognition]:
    """The profiles `--app` or `apps:` select, on every server of the configuration."""
    out: dict[tuple[str, str, str | None], Recognition] = {}
    for route in config.routes:
        host = _host(route, route.listener)
        for profile in profiles:
            key = (profile.id, route.listener.id, host)
            out.setdefault(key, Recognition(profile, route.listener, host, why, True, named=True))
    return list(out.values())


def endpoints_of(recognitions: Iterable[Recognition], declared: Sequence[Endpoint]) -> tuple[Endpoint, ...]:
    """The app endpoints to check: each recognized app's WebSocket paths on the host and port of its server,
    unless an endpoint for the same host and path is declared already."""
    taken = {(e.host, e.path) for e in declared}
    out: list[Endpoint] = []
    for rec in recognitions:
        address = rec.listener.addresses[0] if rec.listener.addresses else None
        tls = rec.tls_only or bool(address and address.ssl)
        port = address.port if address is not None else None
        for socket in rec.profile.websockets:
            path = rec.mount + socket.path
            if (rec.host, path) in taken or (socket.optional and not rec.named):
                continue
            taken.add((rec.host, path))
            target = path + (f"?{socket.query}" if socket.query else "")
            if rec.host is None:
                raw = target
            else:
                scheme = "wss" if tls else "ws"
                default = 443 if tls else 80
                shown_port = f":{port}" if port is not None and port != default else ""
                raw = f"{scheme}://{rec.host}{shown_port}{target}"
            try:
                endpoint = parse_endpoint(raw)
            except EndpointError:
                continue
            origin = EndpointOrigin(
                app=rec.profile.id,
                name=rec.profile.name,
                evidence=rec.evidence,
                certain=rec.certain,
                docs=socket.source,
                idle_timeout=rec.profile.idle_timeout,
            )
            out.append(Endpoint(**{**endpoint.__dict__, "origin": origin}))
    return tuple(out)
