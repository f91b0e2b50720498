"""Entry point of the nginx adapter: files in, route model and diagnostics out."""

from __future__ import annotations

import os

from wslint.adapters import AdapterOptions, Loaded
from wslint.findings import Diagnostic
from wslint.inputs import InputFile
from wslint.nginx.build import BuildOptions, ConfigBuilder
from wslint.nginx.loader import Loader, LoadOptions


def load_options(options: AdapterOptions, inp: InputFile | None = None) -> LoadOptions:
    limits = options.limits
    confine: tuple[str, ...] | None = None
    if options.confine:
        base = os.path.dirname(os.path.realpath(inp.disk_path)) if inp and inp.disk_path else os.getcwd()
        confine = (base, *(os.path.realpath(local) for _, local in options.roots))
    return LoadOptions(
        confine_to=confine,
        roots=options.roots,
        max_file_bytes=limits.file_size,
        max_include_depth=limits.include_depth,
        max_files=limits.files,
        max_nesting=limits.nesting,
    )


def load_nginx(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    """Load one main file (and what it includes) and build its model.

    A configuration with syntax errors gets no model: rules would judge a tree
    that is not what nginx would load, and wslint never guesses.
    """
    loader = Loader(load_options(options, inp), diagnostics)
    loaded = loader.load(inp)
    if loaded is None or loaded.failed:
        return Loaded(None)
    build = BuildOptions(
        version=options.version,
        version_text=options.version_text,
        endpoints=options.endpoints,
        clients=options.clients,
        version_assumed=options.version_assumed,
    )
    return Loaded(ConfigBuilder(loaded, build).build(), loader.texts())


def included_files(inp: InputFile, options: AdapterOptions) -> set[str]:
    """Real paths of the files `inp` includes (itself too); problems are not reported here."""
    loader = Loader(load_options(options, inp), [])
    loader.load(inp)
    return loader.real_paths()
