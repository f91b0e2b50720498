"""Entry point of the nginx adapter: files in, route model and diagnostics out."""

from __future__ import annotations

import glob
import os

from wslint.adapters import AdapterOptions, Loaded
from wslint.findings import Diagnostic
from wslint.inputs import InputFile, display_path
from wslint.nginx.build import BuildOptions, NginxModel
from wslint.nginx.loader import Loader, LoadOptions
from wslint.nginx.tree import Directive, release
from wslint.nginx.variables import collect_definitions, is_builtin, references


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
        version=options.version,
        version_text=options.version_text,
        version_assumed=options.version_assumed,
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
    if loaded.context == "http" and not options.confine:
        # the build needs the definitions too: computed once
        loaded.definitions = collect_definitions(loaded.root)
        if _undefined(loaded.root, loaded.definitions):
            loaded.neighbours = _neighbours(inp, options)
    build = BuildOptions(
        version=options.version,
        version_text=options.version_text,
        endpoints=options.endpoints,
        clients=options.clients,
        version_assumed=options.version_assumed,
    )
    texts = loader.texts()
    # the loader holds crossplane's statements and the scan's extents of every file: release them before the
    # route model is built (on a large configuration they are a good part of the peak memory)
    del loader
    config = NginxModel(loaded, build).build()
    # the route model holds no directive: the tree, whose parent links make it one big reference cycle, is
    # released now rather than at the garbage collector's next full pass, while the rules run
    release(loaded.root)
    return Loaded(config, texts)


# the directories Debian's and the nginx.org packages' nginx.conf include in its http block
FRAGMENT_DIRS = ("conf.d", "sites-available", "sites-enabled")


def _undefined(root: Directive, defined: set[str]) -> bool:
    """Whether the file uses a variable that it does not define itself (`defined`: what it defines)."""
    return any(not is_builtin(n) and n not in defined for d in root.walk() for n in references(d))


# (real path, mtime, size) -> the file's root when it is an http-level file: a directory of sites
# linted file by file reads each neighbour once
_NEIGHBOURS: dict[tuple[str, int, int], Directive | None] = {}


def _neighbours(inp: InputFile, options: AdapterOptions) -> list[Directive]:
    """The http-level files included beside a fragment by the stock nginx.conf (`conf.d/*.conf` and
    `sites-enabled/*`), for the variables they define: a `map` in conf.d/websocket.conf serves
    sites-available/app. Nothing is read when the fragment does not live in such a directory."""
    if inp.disk_path is None:
        return []
    here = os.path.dirname(os.path.abspath(inp.disk_path))
    if os.path.basename(here) not in FRAGMENT_DIRS:
        return []
    top = os.path.dirname(here)
    me = os.path.realpath(inp.disk_path)
    paths = sorted(glob.glob(os.path.join(glob.escape(top), "conf.d", "*.conf")))
    paths += sorted(glob.glob(os.path.join(glob.escape(top), "sites-enabled", "*")))
    out: list[Directive] = []
    for path in paths[: options.limits.files]:
        real = os.path.realpath(path)
        if not os.path.isfile(path) or real == me:
            continue
        st = os.stat(real)
        key = (real, st.st_mtime_ns, st.st_size)
        if key not in _NEIGHBOURS:
            other = Loader(load_options(options, inp), []).load(InputFile(display_path(path), path))
            ok = other is not None and not other.failed and other.context == "http"
            _NEIGHBOURS[key] = other.root if ok and other is not None else None
        root = _NEIGHBOURS[key]
        if root is not None:
            out.append(root)
    return out


def included_files(inp: InputFile, options: AdapterOptions) -> set[str]:
    """Real paths of the files `inp` includes (itself too); problems are not reported here."""
    loader = Loader(load_options(options, inp), [])
    loader.load(inp)
    return loader.real_paths()
