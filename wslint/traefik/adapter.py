"""Entry point of the Traefik adapter: files in, route model and diagnostics out."""

from __future__ import annotations

from wslint.adapters import AdapterOptions, Loaded
from wslint.findings import Diagnostic
from wslint.inputs import InputFile
from wslint.traefik.build import BuildOptions, TraefikModel
from wslint.traefik.loader import load_inputs


def load_traefik(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    """Read a static configuration (and its file provider), a dynamic file, compose labels or CRDs.

    A file that is not valid YAML or TOML gets no model; a router whose rule
    Traefik refuses is reported and left out, as Traefik leaves it out.
    """
    loaded = load_inputs(inp, diagnostics, options.limits, options.roots, options.confinement(inp.disk_path))
    if loaded is None:
        return Loaded(None)
    build = BuildOptions(
        version=options.version,
        version_text=options.version_text,
        version_assumed=options.version_assumed,
        endpoints=options.endpoints,
        clients=options.clients,
    )
    return Loaded(TraefikModel(loaded, build, diagnostics).build(), loaded.texts)


def included_files(inp: InputFile, options: AdapterOptions) -> set[str]:
    """Real paths of the static file and the dynamic files its file provider reads."""
    from pathlib import Path

    loaded = load_inputs(inp, [], options.limits, options.roots, options.confinement(inp.disk_path))
    if loaded is None:
        return set()
    return {str(Path(f).resolve()) for f in loaded.files}
