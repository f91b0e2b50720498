"""Entry point of the nginx adapter: files in, route models and diagnostics out."""

from __future__ import annotations

from dataclasses import dataclass, field

from wslint.findings import Diagnostic
from wslint.model import ProxyConfig
from wslint.nginx.build import BuildOptions, ConfigBuilder
from wslint.nginx.loader import InputFile, Loader, LoadOptions


@dataclass(frozen=True)
class NginxResult:
    config: ProxyConfig | None
    failed: bool
    texts: dict[str, str] = field(default_factory=dict)


def load_nginx(
    inp: InputFile, load: LoadOptions, build: BuildOptions, diagnostics: list[Diagnostic]
) -> NginxResult:
    """Load one main file (and what it includes) and build its model.

    A configuration with syntax errors gets no model: rules would judge a tree
    that is not what nginx would load, and wslint never guesses.
    """
    loader = Loader(load, diagnostics)
    loaded = loader.load(inp)
    if loaded is None:
        return NginxResult(None, True)
    if loaded.failed:
        return NginxResult(None, True)
    return NginxResult(ConfigBuilder(loaded, build).build(), False, loader.texts())
