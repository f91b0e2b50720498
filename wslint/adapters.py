"""The proxy adapters wslint has: each turns one configuration into the route model.

Every adapter owns its proxy's parser and semantics; the rest of wslint only
sees `ProxyConfig`s. Registering a proxy here is all the core needs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from wslint.clients import CLIENTS, Client
from wslint.endpoints import Endpoint
from wslint.findings import Diagnostic
from wslint.inputs import InputFile
from wslint.limits import Limits
from wslint.model import ProxyConfig
from wslint.versions import DEFAULT_VERSIONS


@dataclass(frozen=True)
class AdapterOptions:
    version: tuple[int, ...]
    version_text: str
    version_assumed: bool
    roots: tuple[tuple[str, str], ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    clients: tuple[Client, ...] = CLIENTS
    limits: Limits = field(default_factory=Limits)
    # never read includes outside the linted file's directory and the --root directories
    confine: bool = False

    def confinement(self, disk_path: str | None) -> tuple[str, ...] | None:
        """With --confine, the directories (real paths) no read may leave: the linted file's own and
        the local side of each --root; None without --confine."""
        if not self.confine:
            return None
        base = os.path.dirname(os.path.realpath(disk_path)) if disk_path else os.getcwd()
        return (base, *(os.path.realpath(local) for _, local in self.roots))


def inside(path: str, directories: tuple[str, ...] | None) -> bool:
    """Whether `path`, links resolved, lies in one of `directories` (always, when they are None)."""
    if directories is None:
        return True
    real = os.path.realpath(path)
    return any(real == d or real.startswith(d.rstrip(os.sep) + os.sep) for d in directories)


@dataclass(frozen=True)
class Loaded:
    """A configuration's model (None when its input has errors) and the text of its files."""

    config: ProxyConfig | None
    texts: Mapping[str, str] = field(default_factory=dict)


LoadFn = Callable[[InputFile, AdapterOptions, list[Diagnostic]], Loaded]
# the real paths of every file a main file pulls in (itself included)
IncludesFn = Callable[[InputFile, AdapterOptions], set[str]]
ReadTogetherFn = Callable[[InputFile], set[str]]


@dataclass(frozen=True)
class Adapter:
    kind: str
    # the version assumed when the user does not say, and why (shown in --help)
    default_version: str
    load: LoadFn
    # names of the main file in a directory, for include-aware linting of snippets
    main_names: tuple[str, ...] = ()
    includes: IncludesFn | None = None
    # text without a match includes nothing: its includes need not be resolved to know that
    include_marker: re.Pattern[str] | None = None
    # the real paths of files read together with this one though it includes none of them (a Traefik
    # file-provider directory linted without its static file): one of them is linted for all
    read_together: ReadTogetherFn | None = None


def _nginx(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    from wslint.nginx.adapter import load_nginx

    return load_nginx(inp, options, diagnostics)


def _nginx_includes(inp: InputFile, options: AdapterOptions) -> set[str]:
    from wslint.nginx.adapter import included_files

    return included_files(inp, options)


def _haproxy(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    from wslint.haproxy.adapter import load_haproxy

    return load_haproxy(inp, options, diagnostics)


def _haproxy_includes(inp: InputFile, options: AdapterOptions) -> set[str]:
    from wslint.haproxy.adapter import included_files

    return included_files(inp, options)


def _haproxy_read_together(inp: InputFile) -> set[str]:
    from wslint.haproxy.adapter import read_together

    return read_together(inp)


def _apache(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    from wslint.apache.adapter import load_apache

    return load_apache(inp, options, diagnostics)


def _apache_includes(inp: InputFile, options: AdapterOptions) -> set[str]:
    from wslint.apache.adapter import included_files

    return included_files(inp, options)


def _caddy(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    from wslint.caddy.adapter import load_caddy

    return load_caddy(inp, options, diagnostics)


def _caddy_includes(inp: InputFile, options: AdapterOptions) -> set[str]:
    from wslint.caddy.adapter import included_files

    return included_files(inp, options)


def _traefik(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    from wslint.traefik.adapter import load_traefik

    return load_traefik(inp, options, diagnostics)


def _traefik_includes(inp: InputFile, options: AdapterOptions) -> set[str]:
    from wslint.traefik.adapter import included_files

    return included_files(inp, options)


def _traefik_read_together(inp: InputFile) -> set[str]:
    from wslint.traefik.loader import read_together

    return read_together(inp)


ADAPTERS: dict[str, Adapter] = {
    "nginx": Adapter(
        "nginx",
        DEFAULT_VERSIONS["nginx"],
        _nginx,
        ("nginx.conf",),
        _nginx_includes,
        re.compile(r"(?:^|[\s;{}])include\s", re.M),
    ),
    "haproxy": Adapter(
        "haproxy",
        DEFAULT_VERSIONS["haproxy"],
        _haproxy,
        ("haproxy.cfg",),
        _haproxy_includes,
        read_together=_haproxy_read_together,
    ),
    "traefik": Adapter(
        "traefik",
        DEFAULT_VERSIONS["traefik"],
        _traefik,
        ("traefik.yml", "traefik.yaml", "traefik.toml"),
        _traefik_includes,
        # a static configuration's file provider (in a compose file, a --providers.file flag)
        re.compile(r"providers", re.I),
        _traefik_read_together,
    ),
    "apache": Adapter(
        "apache",
        DEFAULT_VERSIONS["apache"],
        _apache,
        ("httpd.conf", "apache2.conf"),
        _apache_includes,
        re.compile(r"^\s*Include(?:Optional)?\s", re.M | re.I),
    ),
    "caddy": Adapter(
        "caddy",
        DEFAULT_VERSIONS["caddy"],
        _caddy,
        ("Caddyfile",),
        _caddy_includes,
        re.compile(r"(?:^|\s)import\s", re.M),
    ),
}
