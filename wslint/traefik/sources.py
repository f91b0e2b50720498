"""Where a Traefik configuration's routers come from, and whether wslint can read each source.

The static configuration enables providers; each one supplies routers. wslint
reads the file provider (its `filename` or `directory`, mapped to this machine
by `--root` or by the volumes of the compose service that runs Traefik) and
the Docker and Swarm providers (the labels of compose files beside the static
file, or of the compose file that runs Traefik). Every other provider
(Kubernetes, Consul, Nomad, ECS, the KV stores, HTTP, REST, plugins) is a
source wslint cannot see, and so is a file provider path that does not exist
here, lies outside `--confine`, or is a Go template (Traefik renders every
file-provider file as one before reading it). A router in a source wslint did
not read could take any handshake, so the simulator then claims no 404, no
route-miss and no wrong router (see TraefikInput.unread).

Compose files interpolate `${VAR}` from the project's `.env` and the shell:
a variable the `.env` beside the compose file does not set is unknown, and a
matcher that uses it is neither true nor false (OPAQUE marks it in the value).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wslint.adapters import inside
from wslint.model import Source
from wslint.textfiles import TextFileError, read_text
from wslint.traefik.config import ProviderSpec
from wslint.traefik.located import Node
from wslint.traefik.matchers import OPAQUE

# the providers that supply routers, by the lower-case key under `providers:`, and what they read
ROUTER_PROVIDERS: dict[str, str] = {
    "file": "the file provider",
    "docker": "the Docker provider (container labels)",
    "swarm": "the Swarm provider (service labels)",
    "kubernetescrd": "the Kubernetes CRD provider (IngressRoute objects in the cluster)",
    "kubernetesingress": "the Kubernetes Ingress provider (Ingress objects in the cluster)",
    "kubernetesingressnginx": "the Kubernetes ingress-nginx provider (Ingress objects in the cluster)",
    "kubernetesgateway": "the Kubernetes Gateway API provider (HTTPRoute objects in the cluster)",
    "knative": "the Knative provider",
    "consulcatalog": "the Consul Catalog provider (service tags)",
    "nomad": "the Nomad provider (service tags)",
    "ecs": "the ECS provider (task labels)",
    "consul": "the Consul KV provider",
    "etcd": "the etcd KV provider",
    "redis": "the Redis KV provider",
    "zookeeper": "the ZooKeeper KV provider",
    "http": "the HTTP provider (configuration fetched from an endpoint)",
    "rest": "the REST provider (configuration pushed through its API)",
    "plugin": "a provider plugin",
}

# Go template actions: Traefik renders every file-provider file with text/template before decoding it
TEMPLATE_ACTION = re.compile(r"\{\{.*?\}\}", re.S)
# the Docker provider's defaultRule: a Host made of the container's name, which has no dots
DEFAULT_RULE = "Host(`{{ normalize .Name }}`)"
COMPOSE_NAMES = re.compile(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$")
STATIC_NAMES = ("traefik.yml", "traefik.yaml", "traefik.toml")
# where Traefik looks for its static file when no --configFile says (the image's working directory is /)
STATIC_LOCATIONS = tuple(f"{d}/{n}" for d in ("/etc/traefik", "") for n in STATIC_NAMES)


def enabled_providers(doc: Node) -> list[ProviderSpec]:
    """The providers a static configuration enables, in the order written (`providers.docker: {}`;
    a null or false value enables nothing)."""
    providers = doc.get("providers")
    out: list[ProviderSpec] = []
    if providers is None or not providers.is_map:
        return out
    for key, node in providers.items():
        name = key.lower()
        if name not in ROUTER_PROVIDERS or node.value is None:
            continue
        if not node.is_map and not node.truthy():
            continue
        out.append(ProviderSpec(name, node, node.entry or node.source))
    return out


def template_line(text: str) -> int | None:
    """The line of the first Go template action in a file, if any."""
    m = TEMPLATE_ACTION.search(text)
    return None if m is None else text.count("\n", 0, m.start()) + 1


@dataclass(frozen=True)
class Volume:
    """A compose bind mount: the path on the host (as resolved here) and where the container sees it."""

    host: str
    container: str


@dataclass
class PathMap:
    """How a path in Traefik's configuration becomes a path on this machine.

    `base` resolves relative paths (the static file's directory); `volumes` are
    the bind mounts of the compose service running Traefik, `roots` the
    `--root SERVER=LOCAL` mappings; with `confine` (--confine), nothing outside
    the linted file's directory and the roots' local directories is read.
    """

    base: str
    roots: Sequence[tuple[str, str]] = ()
    volumes: Sequence[Volume] = ()
    # with --confine, the directories (real paths) no read may leave; None without it
    confine: tuple[str, ...] | None = None
    # relative paths inside a container are relative to its working directory, /
    in_container: bool = False
    allowed: list[str] = field(default_factory=list)

    def mapped(self, path: str) -> str:
        """Where `path`, as Traefik reads it, lies on this machine (whether or not it exists)."""
        server = path
        if self.in_container and not os.path.isabs(path):
            server = "/" + path.lstrip("./")
        mapped = _map(server, [(v.container, v.host) for v in self.volumes]) if os.path.isabs(server) else None
        if mapped is None and os.path.isabs(server):
            mapped = _map(server, list(self.roots))
        if mapped is None:
            mapped = server if os.path.isabs(server) else os.path.join(self.base, server)
        return mapped

    def local(self, path: str) -> tuple[str | None, str]:
        """The local path, or None and why it cannot be read."""
        mapped = self.mapped(path)
        if not inside(mapped, self.confine):
            return None, f"{path} is outside the linted directory and the --root directories (--confine)"
        if not os.path.exists(mapped):
            hint = "" if os.path.isabs(path) is False or self.roots else f" (map it with --root {_parent(path)}=DIR)"
            return None, f"{path} does not exist here{hint}"
        return mapped, ""


def _parent(path: str) -> str:
    return os.path.dirname(path.rstrip("/")) or "/"


def _map(path: str, pairs: Sequence[tuple[str, str]]) -> str | None:
    for server, local in sorted(pairs, key=lambda p: -len(p[0])):
        prefix = server.rstrip("/")
        if path == prefix:
            return local
        if path.startswith(prefix + "/"):
            return os.path.join(local, path[len(prefix) :].lstrip("/"))
    return None


# -- compose ---------------------------------------------------------------------------------------


def is_traefik_image(svc: Node) -> bool:
    image = (svc.get("image").text() if svc.get("image") is not None else None) or ""  # type: ignore[union-attr]
    name = image.split("@", 1)[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image.split("@", 1)[0]
    return name.rsplit("/", 1)[-1] == "traefik"


def volumes_of(svc: Node, compose_dir: str) -> list[Volume]:
    """A service's bind mounts (short `./a:/b:ro` and long `{type: bind, source, target}` forms)."""
    out: list[Volume] = []
    vols = svc.get("volumes")
    for v in vols.elements() if vols is not None and vols.is_list else []:
        if v.is_map:
            kind = (v.get("type").text() if v.get("type") is not None else "") or ""  # type: ignore[union-attr]
            src = v.get("source")
            dst = v.get("target")
            if kind == "bind" and src is not None and dst is not None and src.text() and dst.text():
                out.append(Volume(_host(src.text() or "", compose_dir), dst.text() or ""))
            continue
        text = v.text() or ""
        parts = text.split(":")
        if len(parts) >= 2 and parts[0].startswith((".", "/", "~")):
            out.append(Volume(_host(parts[0], compose_dir), parts[1]))
    return out


def _host(path: str, compose_dir: str) -> str:
    path = os.path.expanduser(path)
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(compose_dir, path))


def compose_files_beside(static_path: str) -> list[str]:
    """Compose files in the static file's directory and the one above it (a repository's traefik/ folder
    beside its docker-compose.yml)."""
    here = Path(static_path).resolve().parent
    out: list[str] = []
    for directory in (here, here.parent):
        try:
            names = sorted(p.name for p in directory.iterdir() if p.is_file())
        except OSError:
            continue
        out.extend(str(directory / n) for n in names if COMPOSE_NAMES.match(n))
    return out


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def read_env_file(compose_dir: str, max_bytes: int) -> dict[str, str]:
    """The variables of the compose project's `.env` (KEY=value lines, quotes removed). A `.env` that is
    no regular UTF-8 file within `max_bytes` sets nothing: its variables stay unknown."""
    path = os.path.join(compose_dir, ".env")
    try:
        text = read_text(path, path, max_bytes)
    except TextFileError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if m is None:
            continue
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[m.group(1)] = value
    return out


_VARIABLE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?+])[^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: str, env: dict[str, str]) -> str:
    """A compose value with `${VAR}` replaced as compose does; `$$` is a `$`. A variable the `.env` does not
    set (the shell may) keeps its text with OPAQUE in place of its `$`."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(3)
        modifier = m.group(2) or ""
        if name in env:
            got = env[name]
            if modifier.startswith(":-") and got == "":
                return modifier[2:]
            if modifier.startswith(":+"):
                return modifier[2:] if got else ""
            if modifier.startswith("+"):
                return modifier[1:]
            return got
        return OPAQUE + m.group(0)[1:]

    return _VARIABLE.sub(one, value)


def opaque_names(text: str) -> list[str]:
    """The compose variables a value depends on that wslint could not resolve."""
    return re.findall(OPAQUE + r"\{?([A-Za-z_][A-Za-z0-9_]*)", text)


def shown(text: str) -> str:
    """A value as written (an unresolved `${VAR}` shows as such)."""
    return text.replace(OPAQUE, "$")


def where(node: Node | None) -> Source | None:
    return None if node is None else (node.entry or node.source)
