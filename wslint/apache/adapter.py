"""Entry point of the Apache httpd adapter: files in, route model and diagnostics out."""

from __future__ import annotations

import os

from wslint.adapters import AdapterOptions, Loaded
from wslint.apache.build import ApacheModel
from wslint.apache.invalid import invalid_commands
from wslint.apache.loader import Loader
from wslint.apache.simulator import ApacheSimulator
from wslint.declare import declare_endpoints
from wslint.findings import Diagnostic
from wslint.inputs import InputFile


def _loader(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loader:
    confine = None
    if options.confine:
        base = os.path.realpath(os.path.dirname(os.path.abspath(inp.disk_path or inp.path)))
        confine = (base, *(os.path.realpath(local) for _, local in options.roots))
    return Loader(options.version, options.limits, diagnostics, options.roots, confine)


def load_model(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> ApacheModel | None:
    """The servers of one configuration, ready to simulate requests (None when it cannot be read)."""
    loaded = _loader(inp, options, diagnostics).load(inp)
    if loaded is None or loaded.failed:
        return None
    return ApacheModel(
        loaded, inp.path, options.version, options.version_text, options.version_assumed, options.clients
    )


def load_apache(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    model = load_model(inp, options, diagnostics)
    if model is None:
        return Loaded(None)
    routes, results = (
        declare_endpoints(ApacheSimulator(model), model.order, options.endpoints)
        if options.endpoints
        else (list(model.order), ())
    )
    misplaced = invalid_commands(model.loaded)
    return Loaded(model.config(routes, results, tuple(misplaced)), model.loaded.texts)


def included_files(inp: InputFile, options: AdapterOptions) -> set[str]:
    """The real paths of every file a main file pulls in (itself included)."""
    loader = _loader(inp, options, [])
    loaded = loader.load(inp)
    if loaded is None or inp.disk_path is None:
        return set()
    out = {os.path.realpath(inp.disk_path)}
    base = os.path.dirname(os.path.abspath(inp.disk_path))
    for shown in loaded.files:
        for candidate in (shown, os.path.join(base, shown)):
            if os.path.exists(candidate):
                out.add(os.path.realpath(candidate))
                break
    return out
