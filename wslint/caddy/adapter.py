"""Entry point of the Caddy adapter: a Caddyfile (or Caddy's JSON config) in, the route model out."""

from __future__ import annotations

import os
from dataclasses import replace

from wslint.adapters import AdapterOptions, Loaded
from wslint.caddy.build import BuildOptions, CaddyModel, build_route, collect_spots, sample_path
from wslint.caddy.directives import Ctx
from wslint.caddy.parser import Caddyfile, CaddyfileError, parse_caddyfile
from wslint.caddy.simulator import CaddySimulator
from wslint.caddy.sites import build_app
from wslint.caddy.values import GroupCounter
from wslint.declare import declare_endpoints
from wslint.endpoints import EndpointError, parse_endpoint
from wslint.findings import Diagnostic, Severity
from wslint.inputs import InputFile
from wslint.model import (
    Intent,
    MisplacedDirective,
    ProxyConfig,
    Route,
    Snippet,
)


def _error(exc: CaddyfileError, main: str) -> Diagnostic:
    t = exc.token
    if t is not None and t.path:
        return Diagnostic("parse", Severity.ERROR, exc.shown(main), t.path, t.line, t.column)
    w = exc.where
    if w is not None:
        return Diagnostic("parse", Severity.ERROR, str(exc), w.path, w.line, w.column)
    return Diagnostic("parse", Severity.ERROR, str(exc), main)


def load_model(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> tuple[CaddyModel, Ctx] | None:
    cf = parse_caddyfile(inp, options.limits, options.confine, diagnostics)
    if cf is None:
        return None
    return model_of(cf, inp, options, diagnostics)


def model_of(
    cf: Caddyfile, inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]
) -> tuple[CaddyModel, Ctx] | None:
    try:
        app, opts, ctx = build_app(cf, options.version)
    except CaddyfileError as exc:
        diagnostics.append(_error(exc, inp.path))
        return None
    except RecursionError:
        diagnostics.append(Diagnostic("parse", Severity.ERROR, f"{inp.path}: nested too deeply", inp.path))
        return None
    for name, src in opts.unknown:
        diagnostics.append(
            Diagnostic(
                "config",
                Severity.WARNING,
                f"unknown global option {name} (a plugin's?): Caddy without that plugin refuses it",
                src.path,
                src.line,
                src.column,
            )
        )
    build = BuildOptions(
        version=options.version,
        version_text=options.version_text,
        version_assumed=options.version_assumed,
        endpoints=options.endpoints,
        clients=options.clients,
    )
    return CaddyModel(app, cf, build, cf.texts), ctx


def is_json(inp: InputFile) -> bool:
    """Caddy's JSON configuration, not a Caddyfile: as `caddy run --config` tells them, by the name."""
    return inp.path.lower().endswith(".json")


def load_json_model(
    inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]
) -> tuple[CaddyModel, Ctx] | None:
    from wslint.caddy.json_config import JsonError, read_json_app
    from wslint.textfiles import TextFileError, read_text

    text = inp.text
    try:
        if text is None:
            assert inp.disk_path is not None
            text = read_text(inp.disk_path, inp.path, options.limits.file_size)
        elif len(text.encode("utf-8", errors="replace")) > options.limits.file_size:
            raise TextFileError(f"{inp.path} is over the limit of {options.limits.file_size} bytes (limits: file-size)")
        read = read_json_app(text, inp.path, options.version, options.limits.nesting)
    except TextFileError as exc:
        diagnostics.append(Diagnostic("parse", Severity.ERROR, str(exc), inp.path, exc.line))
        return None
    except JsonError as exc:
        w = exc.where
        diagnostics.append(
            Diagnostic(
                "parse",
                Severity.ERROR,
                str(exc),
                w.path if w else inp.path,
                w.line if w else None,
                w.column if w else None,
            )
        )
        return None
    for message, src in read.warnings:
        diagnostics.append(Diagnostic("config", Severity.WARNING, message, src.path, src.line, src.column))
    texts = {inp.path: text}
    ctx = Ctx(options.version, [], GroupCounter(), texts, not_yet=read.not_yet)
    build = BuildOptions(
        version=options.version,
        version_text=options.version_text,
        version_assumed=options.version_assumed,
        endpoints=options.endpoints,
        clients=options.clients,
    )
    return CaddyModel(read.app, None, build, texts), ctx


def load_caddy(inp: InputFile, options: AdapterOptions, diagnostics: list[Diagnostic]) -> Loaded:
    loaded = load_json_model(inp, options, diagnostics) if is_json(inp) else load_model(inp, options, diagnostics)
    if loaded is None:
        return Loaded(None)
    model, ctx = loaded
    config = build_config(model, ctx, inp.path)
    return Loaded(config, model.texts)


def build_config(model: CaddyModel, ctx: Ctx, main: str) -> ProxyConfig:
    collect_spots(model)
    by_spot = {id(s): build_route(model, s) for s in model.spots}
    for s in model.spots:
        s.route = by_spot[id(s)]
    unclaimed(model, by_spot)
    routes, results = declare_endpoints(CaddySimulator(model, by_spot), list(by_spot.values()), model.options.endpoints)
    misplaced = tuple(
        MisplacedDirective(
            snippet=Snippet(
                directive=n.keyword,
                args=tuple(n.node.args),
                text=model.text_of(n.source),
                source=n.source,
                context=("reverse_proxy",),
            ),
            allowed=(),
            enclosing=None,
            target=None,
            removed_in=".".join(map(str, n.since)),
            reason=f"{n.keyword} exists since Caddy {'.'.join(map(str, n.since))}",
            replace_action="delete",
        )
        for n in ctx.not_yet
    )
    files = model.caddyfile.files if model.caddyfile is not None else [main]
    return ProxyConfig(
        proxy="caddy",
        # the fixes' edits are Caddyfile text
        text_fixes=model.caddyfile is not None,
        version=model.options.version_text,
        main_file=main,
        files=tuple(files),
        listeners=tuple(model.listeners.values()),
        routes=tuple(routes),
        upstreams=tuple(r.upstream.group for r in routes if r.upstream is not None and r.upstream.group is not None),
        variables=frozenset(),
        variable_references=(),
        misplaced_directives=misplaced,
        http_block=None,
        endpoint_results=results,
        version_assumed=model.options.version_assumed,
        defined_names=model.matcher_names,
    )


def unclaimed(model: CaddyModel, by_spot: dict[int, Route]) -> None:
    """A reverse_proxy known only by its path is no WebSocket route when another one, whose matcher tests
    the Upgrade or Connection header, takes every browser's handshake for that path first and upgrades
    it (`reverse_proxy @ws ...` before `reverse_proxy /socket.io/* ... { transport http { read_timeout } }`)."""
    # only a route whose matcher tests Upgrade or Connection (an explicit one) can take the handshake first:
    # a server without one has nothing to simulate (on thousands of sites that was a third of the lint)
    explicit = {id(s.server) for s in model.spots if by_spot[id(s)].websocket.level == "explicit"}
    if not explicit:
        return
    dec = CaddySimulator(model, by_spot)
    for s in model.spots:
        mine = by_spot[id(s)]
        if mine.websocket.level not in ("heuristic", "possible") or id(s.server) not in explicit:
            continue
        try:
            ep = parse_endpoint("ws://app.example.test" + sample_path(s.chain))
        except EndpointError:
            continue
        got = [dec.handshake(ep, c, s.server, None, s.site) for c in model.options.clients]
        first = got[0].route if got else None
        if first is None or not all(
            r.route is first
            and r.upgrades
            and r.certain
            and r.route is not mine
            and r.route.websocket.level == "explicit"
            for r in got
        ):
            continue
        why = f"every WebSocket handshake for its path goes to `{first.name}` first"
        new = replace(mine, websocket=Intent("none", why, first.source))
        by_spot[id(s)] = s.route = new


def included_files(inp: InputFile, options: AdapterOptions) -> set[str]:
    """Real paths of the Caddyfile and every file it imports."""
    if is_json(inp):
        return {os.path.realpath(inp.disk_path)} if inp.disk_path is not None else set()
    cf = parse_caddyfile(inp, options.limits, options.confine, [])
    if cf is None:
        return set()
    return {os.path.realpath(d) for d in cf.disk_paths.values()}
