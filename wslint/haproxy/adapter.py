"""Entry point of the HAProxy adapter: files in, route model and diagnostics out."""

from __future__ import annotations

import os
from functools import lru_cache

from wslint.adapters import AdapterOptions, Loaded, inside
from wslint.declare import declare_endpoints
from wslint.findings import Diagnostic
from wslint.haproxy.build import BuildOptions, HaproxyModel
from wslint.haproxy.parser import ParsedConfig, config_files, parse, parse_files
from wslint.haproxy.proxies import ProxyBuilder
from wslint.haproxy.simulator import HaproxySimulator
from wslint.inputs import InputFile
from wslint.limits import Limits


def load_model(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> HaproxyModel | None:
    """The proxies of one configuration (a file, or a directory of `*.cfg` files as `-f dir/`
    reads it), ready to simulate requests.

    A configuration HAProxy would refuse for its syntax, or for a reference to
    something that does not exist, gets no model: wslint never judges a
    configuration the proxy would not run.
    """
    parsed = parse(inp, options.version, diagnostics, options.limits)
    if parsed is None or parsed.failed:
        return None
    split = _split_directory(inp, parsed, options)
    if split is not None:
        parsed = split
    builder = ProxyBuilder(parsed, options.version, diagnostics)
    proxies = builder.build()
    if builder.failed:
        return None
    build = BuildOptions(
        version=options.version,
        version_text=options.version_text,
        endpoints=options.endpoints,
        clients=options.clients,
        version_assumed=options.version_assumed,
        roots=options.roots,
        confine=options.confinement(inp.disk_path),
        file_size=options.limits.file_size,
    )
    return HaproxyModel(parsed, proxies, builder.defaults, build, diagnostics)


def load_haproxy(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    """Load one configuration and build its route model (None when HAProxy would refuse it)."""
    model = load_model(inp, options, diagnostics)
    if model is None:
        return Loaded(None)
    for fe in model.frontends:
        model.listener(fe)
        for switch in model.switches(fe):
            model.route_for(fe, switch)
    routes, results = (
        declare_endpoints(HaproxySimulator(model), model.route_order, options.endpoints)
        if options.endpoints
        else (model.route_order, ())
    )
    return Loaded(model.config(list(routes), results), model.parsed.texts)


def _defined_and_used(parsed: ParsedConfig) -> tuple[set[str], set[str]]:
    """Proxy and defaults names a configuration defines, and those it refers to."""
    defined: set[str] = set()
    used: set[str] = set()
    for s in parsed.sections:
        if s.name:
            defined.add(s.name)
        if s.from_name:
            used.add(s.from_name)
        for st in s.statements:
            if st.keyword in ("use_backend", "default_backend") and st.args and "%[" not in st.args[0]:
                used.add(st.args[0])
    return defined, used


def _split_directory(inp: InputFile, parsed: ParsedConfig, options: AdapterOptions) -> ParsedConfig | None:
    """A file that names backends or defaults only its sibling `*.cfg` files define is one part
    of a configuration loaded with `haproxy -f DIR/`: the directory is read whole, in HAProxy's
    (lexical) order, and reported with this file first."""
    if inp.disk_path is None or os.path.isdir(inp.disk_path) or len(parsed.files) != 1:
        return None
    defined, used = _defined_and_used(parsed)
    missing = used - defined
    directory = os.path.dirname(os.path.abspath(inp.disk_path))
    if not missing:
        return None
    confine = options.confinement(inp.disk_path)
    siblings = [f for f in _listing(directory) if inside(f, confine)]
    if len(siblings) < 2 or len(siblings) > options.limits.files:
        return None
    shown_dir = os.path.dirname(inp.path)
    items: list[tuple[str, str | None]] = [
        (inp.path if os.path.samefile(f, inp.disk_path) else os.path.join(shown_dir, os.path.basename(f)), f)
        for f in siblings
    ]
    whole = parse_files(items, options.version, [], limits=options.limits)
    if whole is None or whole.failed:
        return None
    all_defined, _ = _defined_and_used(whole)
    if not missing <= all_defined:
        return None
    whole.main = inp.path
    whole.files = [inp.path, *(f for f in whole.files if f != inp.path)]
    return whole


def read_together(inp: InputFile) -> set[str]:
    """Real paths of the directory's `*.cfg` files when this one names backends or defaults only they
    define (haproxy -f DIR/): one of them is linted for all. Without that, each of 2,000 such files read
    all the others again, and the directory took minutes."""
    if inp.disk_path is None or os.path.isdir(inp.disk_path):
        return set()
    # which names a file defines and uses does not depend on the version
    parsed = parse(inp, (2, 6, 0), [], Limits())
    if parsed is None or parsed.failed or len(parsed.files) != 1:
        return set()
    defined, used = _defined_and_used(parsed)
    if not used - defined:
        return set()
    siblings = _listing(os.path.dirname(os.path.abspath(inp.disk_path)))
    if len(siblings) < 2 or len(siblings) > Limits().files:
        return set()
    return set(_real_paths(siblings))


def _listing(directory: str) -> tuple[str, ...]:
    """config_files of a directory, listed once per run while the directory is unchanged."""
    try:
        changed = os.stat(directory).st_mtime_ns
    except OSError:
        return ()
    return _listed(directory, changed)


@lru_cache(maxsize=64)
def _listed(directory: str, changed: int) -> tuple[str, ...]:
    return tuple(config_files(directory))


@lru_cache(maxsize=64)
def _real_paths(files: tuple[str, ...]) -> frozenset[str]:
    return frozenset(os.path.realpath(f) for f in files)


def included_files(inp: InputFile, options: AdapterOptions) -> set[str]:
    """The files a configuration is made of (HAProxy has no include: the input itself)."""
    if inp.disk_path is None:
        return set()
    return {os.path.realpath(f) for f in config_files(inp.disk_path)}
