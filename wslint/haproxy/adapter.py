"""Entry point of the HAProxy adapter: files in, route model and diagnostics out."""

from __future__ import annotations

from wslint.adapters import AdapterOptions, Loaded
from wslint.findings import Diagnostic
from wslint.haproxy.build import BuildOptions, HaproxyModel
from wslint.haproxy.declare import declare_endpoints
from wslint.haproxy.parser import config_files, parse
from wslint.haproxy.proxies import ProxyBuilder
from wslint.inputs import InputFile


def load_model(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> HaproxyModel | None:
    """The proxies of one configuration (a file, or a directory of `*.cfg` files as `-f dir/`
    reads it), ready to simulate requests.

    A configuration HAProxy would refuse for its syntax, or for a reference to
    something that does not exist, gets no model: wslint never judges a
    configuration the proxy would not run.
    """
    parsed = parse(inp, options.version, diagnostics)
    if parsed is None or parsed.failed:
        return None
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
    )
    return HaproxyModel(parsed, proxies, builder.defaults, build)


def load_haproxy(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    """Load one configuration and build its route model (None when HAProxy would refuse it)."""
    model = load_model(inp, options, diagnostics)
    if model is None:
        return Loaded(None)
    for fe in model.frontends:
        model.listener(fe)
        for switch in model.switches(fe):
            model.route_for(fe, switch)
    routes, results = declare_endpoints(model, options.endpoints) if options.endpoints else (model.route_order, ())
    return Loaded(model.config(list(routes), results), model.parsed.texts)


def included_files(inp: InputFile, options: AdapterOptions) -> set[str]:
    """The files a configuration is made of (HAProxy has no include: the input itself)."""
    import os

    if inp.disk_path is None:
        return set()
    return {os.path.realpath(f) for f in config_files(inp.disk_path)}
