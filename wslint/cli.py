"""The command line: `wslint PATH...`, `wslint rules`, `wslint explain RULE`.

Thin by design: parse options, call `core.run`, format, pick the exit code.
Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage,
configuration or parse errors (with file and line, never a traceback).
Streams: stdout carries the report (or, with --diff, only the diff); stderr
carries what concerns the run itself: input problems in text mode, what --fix
wrote, errors.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from wslint import __version__
from wslint.check_command import (
    DEFAULT_NGINX_VERSION,
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_USAGE,
    ColorMode,
    FailOn,
    OutputFormat,
    ProxyKind,
    TraceFormat,
    _fail,
    _load,
    _where,
    internal_error,
    lint_command,
    write_atomically,
)

# `--version` and `--help` need none of the linter: each command imports what it runs (and plain
# `wslint PATH...` does not come here at all: see wslint.entry)


class DefaultToCheck(TyperGroup):
    """`wslint nginx.conf` means `wslint check nginx.conf`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=DefaultToCheck,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help=(
        "Find what breaks WebSocket upgrades in reverse-proxy configurations.\n\n"
        "Usage: wslint [OPTIONS] PATH... (same as `wslint check`). Exit codes: 0 clean, "
        "1 findings at or above --fail-on, 2 usage, configuration or parse errors, or an internal error."
    ),
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wslint {__version__}")
        raise typer.Exit(EXIT_CLEAN)


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Find what breaks WebSocket upgrades in reverse-proxy configurations."""


@app.command()
def check(
    paths: Annotated[
        list[str],
        typer.Argument(help="Configuration files or directories to lint; '-' reads stdin.", show_default=False),
    ],
    proxy: Annotated[ProxyKind | None, typer.Option(help="Which proxy the files configure (default: detect).")] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="Output format; auto is github under GitHub Actions (GITHUB_ACTIONS=true), text otherwise.",
        ),
    ] = OutputFormat.auto,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write the report to this file (the exit code still reflects it)."),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(help="Lowest finding severity that makes the exit code 1 (default: warning)."),
    ] = None,
    select: Annotated[
        list[str] | None, typer.Option(help="Only run these rules (id, code or code prefix such as WS1).")
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Do not run these rules (id, code or prefix).")] = None,
    rules_dir: Annotated[
        list[str] | None, typer.Option("--rules", help="Directory of extra rule files (YAML).")
    ] = None,
    ws_url: Annotated[
        list[str] | None,
        typer.Option(
            help="A WebSocket URL clients open, e.g. wss://app.example.com/ws (repeatable); "
            "add #backend=/path for the path the app expects to receive."
        ),
    ] = None,
    ws_path: Annotated[
        list[str] | None,
        typer.Option(help="A path that carries WebSockets, e.g. /ws/, checked in every server (repeatable)."),
    ] = None,
    app_names: Annotated[
        list[str] | None,
        typer.Option(
            "--app",
            help="Check this app's documented WebSocket endpoints (see `wslint apps`) wherever it is proxied "
            "(repeatable).",
        ),
    ] = None,
    no_apps: Annotated[
        bool,
        typer.Option("--no-apps", help="Do not recognize the apps a configuration proxies (--app still applies)."),
    ] = False,
    endpoints_file: Annotated[
        str | None,
        typer.Option("--endpoints", help="YAML file listing WebSocket URLs (strings or {url, backend})."),
    ] = None,
    nginx_version: Annotated[
        str | None,
        typer.Option(
            help=f"nginx version the configuration runs on (default: {DEFAULT_NGINX_VERSION}, the last "
            "stable series before 1.29.7 changed the upstream defaults)."
        ),
    ] = None,
    haproxy_version: Annotated[
        str | None, typer.Option(help="HAProxy version the configuration runs on (default: see README).")
    ] = None,
    traefik_version: Annotated[
        str | None, typer.Option(help="Traefik version the configuration runs on (default: see README).")
    ] = None,
    apache_version: Annotated[
        str | None, typer.Option(help="Apache httpd version the configuration runs on (default: see README).")
    ] = None,
    caddy_version: Annotated[
        str | None, typer.Option(help="Caddy version the configuration runs on (default: see README).")
    ] = None,
    root: Annotated[
        list[str] | None,
        typer.Option(help="Map an absolute include directory to a local one: /etc/nginx=deploy/nginx."),
    ] = None,
    stdin_filename: Annotated[
        str | None, typer.Option(help="Name to report for a configuration read from stdin ('-').")
    ] = None,
    idle_threshold: Annotated[
        str | None,
        typer.Option(help="Idle time a WebSocket must survive, e.g. 60s, 5m, 1h (default 60s)."),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(help="Config file to use instead of the nearest .wslint.yaml or pyproject.toml [tool.wslint]."),
    ] = None,
    baseline_file: Annotated[
        str | None,
        typer.Option("--baseline", help="Report only findings that are not in this baseline file."),
    ] = None,
    write_baseline: Annotated[
        bool,
        typer.Option("--write-baseline", help="Record today's findings in the --baseline file and exit 0."),
    ] = False,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Apply the fixes (all or none; stderr names each file changed and counts the fixes), "
            "then report what remains.",
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Print only the fixes, as a unified diff, on stdout (the text report goes to stderr, another "
            "format needs --output); change nothing.",
        ),
    ] = False,
    statistics: Annotated[bool, typer.Option("--statistics", help="Add a count of findings per rule.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Text output: findings only, no details.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Text output: also list the files skipped and why.")
    ] = False,
    confine: Annotated[
        bool,
        typer.Option(help="Never read includes outside the linted file's directory and the --root directories."),
    ] = False,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            help="Raise or lower a limit: file-size=20MB, files, include-depth, nesting, yaml-nodes "
            "(a config file may only lower them)."
        ),
    ] = None,
    skip_unknown: Annotated[
        bool,
        typer.Option("--skip-unknown", help="Skip files that are not a configuration wslint reads (for hooks)."),
    ] = False,
    color: Annotated[ColorMode, typer.Option(help="Color in text output (NO_COLOR is honored).")] = ColorMode.auto,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help=(
                "Processes for many configurations (Linux): 0 uses all cores when there is enough work "
                "(about 100 KiB of configuration, each file counting 4 KiB more), 1 never forks."
            ),
        ),
    ] = 0,
) -> None:
    """Lint configuration files (the default command)."""
    lint_command(
        paths=paths,
        proxy=proxy,
        output_format=output_format,
        output=output,
        fail_on=fail_on,
        select=select,
        ignore=ignore,
        rules_dir=rules_dir,
        ws_url=ws_url,
        ws_path=ws_path,
        app_names=app_names,
        no_apps=no_apps,
        endpoints_file=endpoints_file,
        nginx_version=nginx_version,
        haproxy_version=haproxy_version,
        traefik_version=traefik_version,
        apache_version=apache_version,
        caddy_version=caddy_version,
        root=root,
        stdin_filename=stdin_filename,
        idle_threshold=idle_threshold,
        config=config,
        baseline_file=baseline_file,
        write_baseline=write_baseline,
        fix=fix,
        diff=diff,
        statistics=statistics,
        quiet=quiet,
        verbose=verbose,
        confine=confine,
        limit=limit,
        skip_unknown=skip_unknown,
        color=color,
        jobs=jobs,
    )


@app.command()
def init(
    path: Annotated[str, typer.Argument(help="Where to write the starter config.")] = ".wslint.yaml",
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    scan: Annotated[
        str | None,
        typer.Option(
            help="Directory whose configurations are read for the apps they proxy (default: the current one)."
        ),
    ] = ".",
    no_scan: Annotated[
        bool, typer.Option("--no-scan", help="Write the starter without reading any configuration.")
    ] = False,
) -> None:
    """Write a commented starter .wslint.yaml, with the apps and endpoints the configurations here show."""
    from wslint.config import starter

    target = Path(path)
    if target.exists() and not force:
        raise _fail(f"{path} already exists (use --force to overwrite it)")
    apps: dict[str, list[str]] = {}
    if not no_scan and scan is not None and Path(scan).is_dir():
        apps = _recognized_apps(scan)
    write_atomically(target, starter(apps))
    found = f" with {len(apps)} recognized app{'s' if len(apps) != 1 else ''} ({', '.join(apps)})" if apps else ""
    typer.echo(f"wrote {path}{found}")


def _recognized_apps(directory: str) -> dict[str, list[str]]:
    """The app profiles the configurations under `directory` show, and their endpoints (URLs)."""
    from wslint.core import LintOptions, UsageError, run
    from wslint.profiles import ProfileError, load_profiles

    try:
        options = LintOptions(paths=(directory,), profiles=load_profiles(), skip_unknown=True, jobs=1)
        report = run(options, _load([]))
    except (UsageError, ProfileError):
        return {}
    found: dict[str, list[str]] = {}
    for cfg in report.configs:
        for r in cfg.endpoints:
            origin = r.endpoint.origin
            if origin is not None and origin.certain and r.endpoint.raw not in found.get(origin.app, []):
                found.setdefault(origin.app, []).append(r.endpoint.raw)
    return found


@app.command("route")
def route_command(
    config: Annotated[str, typer.Argument(help="The configuration file (main file or fragment).")],
    urls: Annotated[
        list[str],
        typer.Argument(
            help="WebSocket URLs (ws://host/path, wss://..., or a /path for every server).",
            show_default=False,
        ),
    ],
    proxy: Annotated[ProxyKind | None, typer.Option(help="Which proxy the file configures (default: detect).")] = None,
    output_format: Annotated[TraceFormat, typer.Option("--format", help="Output format.")] = TraceFormat.text,
    nginx_version: Annotated[
        str | None, typer.Option(help=f"nginx version (default: {DEFAULT_NGINX_VERSION}).")
    ] = None,
    root: Annotated[
        list[str] | None,
        typer.Option(help="Map an absolute include directory to a local one: /etc/nginx=deploy/nginx."),
    ] = None,
) -> None:
    """Show what the proxy does with each WebSocket URL: server, location, upstream path, outcome.

    Exit code 0 when every URL is upgraded at the expected path, 1 otherwise, 2 on errors.
    """
    from wslint.core import LintOptions, UsageError, parse_root, run
    from wslint.endpoints import EndpointError, parse_endpoint
    from wslint.findings import Severity
    from wslint.formatters.trace import format_trace_json, format_trace_text
    from wslint.model import EndpointResult

    try:
        endpoints = tuple(parse_endpoint(u) for u in urls)
        options = LintOptions(
            paths=(config,),
            proxy=proxy.value if proxy else None,
            roots=tuple(parse_root(r) for r in root or ()),
            nginx_version=nginx_version,
            endpoints=endpoints,
        )
        report = run(options, _load([]))
    except (UsageError, EndpointError) as exc:
        raise _fail(str(exc)) from None
    errors = [d for d in report.diagnostics if d.severity >= Severity.ERROR]
    if errors or not report.configs:
        for d in errors:
            typer.echo(f"{_where(d)}error: {d.message}", err=True)
        raise typer.Exit(EXIT_USAGE)
    groups: list[list[EndpointResult]] = []
    for cfg in report.configs:
        for first in cfg.endpoints:
            groups.append(list(cfg.results_for(first)))
    render = format_trace_json if output_format is TraceFormat.json else format_trace_text
    sys.stdout.write(render(groups))
    ok = all(r.upgrades and r.path_matches for g in groups for r in g)
    raise typer.Exit(EXIT_CLEAN if ok else EXIT_FINDINGS)


@app.command("probe")
def probe_command(
    url: Annotated[str, typer.Argument(help="The WebSocket URL, e.g. wss://app.example.com/ws.")],
    config: Annotated[
        str | None,
        typer.Option("--config", help="Proxy configuration to tie the answer to (wslint route + lint)."),
    ] = None,
    proxy: Annotated[ProxyKind | None, typer.Option(help="Which proxy the --config file configures.")] = None,
    browser: Annotated[
        list[str] | None, typer.Option(help="Browsers to imitate: chrome, firefox, safari (default: all).")
    ] = None,
    connect: Annotated[
        str | None,
        typer.Option(help="Connect to this address[:port] instead of the URL's host (keeps Host)."),
    ] = None,
    origin: Annotated[str | None, typer.Option(help="Origin header (default: the URL's own origin).")] = None,
    header: Annotated[list[str] | None, typer.Option(help="Extra request header, 'Name: value' (repeatable).")] = None,
    subprotocol: Annotated[list[str] | None, typer.Option(help="Sec-WebSocket-Protocol to offer (repeatable).")] = None,
    insecure: Annotated[bool, typer.Option(help="Accept any TLS certificate (test servers).")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 5.0,
    idle: Annotated[float, typer.Option(help="Stay silent this many seconds after the upgrade, then ping.")] = 0.0,
    message: Annotated[
        str | None, typer.Option(help="Send this text after the upgrade and expect it echoed within --timeout.")
    ] = None,
    output_format: Annotated[TraceFormat, typer.Option("--format", help="Output format.")] = TraceFormat.text,
) -> None:
    """Open real WebSocket handshakes the way browsers do, diagnose the answer, and point at the config line.

    Exit code 0 when every browser upgraded (survived --idle, echoed --message) and the answers agree with
    --config, 1 otherwise, 2 for usage, configuration or network errors.
    """
    from wslint.endpoints import EndpointError
    from wslint.probe import BROWSERS, ProbeError, probe
    from wslint.probe.predict import ConfigProblem, predict
    from wslint.probe.report import format_probe_json, format_probe_text

    names = [b.strip().lower() for v in browser or ["chrome,firefox,safari"] for b in v.split(",") if b.strip()]
    unknown = [b for b in names if b not in BROWSERS]
    if unknown:
        raise _fail(f"--browser: unknown browser {unknown[0]!r} (use chrome, firefox, safari)")
    from wslint.probe import inputs

    try:
        extra = [inputs.header(h) for h in header or ()]
        url, origin = inputs.url(url), inputs.origin(origin)
    except inputs.RequestTextError as exc:
        raise _fail(str(exc)) from None
    if timeout <= 0 or idle < 0:
        raise _fail("--timeout must be positive and --idle not negative")
    prediction = None
    if config is not None:
        # before any handshake: a file that cannot be used stops the probe at once
        try:
            prediction = predict(url, config, proxy.value if proxy else None)
        except ConfigProblem as exc:
            for line in exc.lines:
                typer.echo(f"wslint: error: {line}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
    try:
        report = probe(url, names, connect, origin, extra, list(subprotocol or ()), insecure, timeout, idle, message)
    except (EndpointError, ProbeError) as exc:
        raise _fail(str(exc)) from None
    if prediction is not None:
        report.tie(prediction)
    render = format_probe_json if output_format is TraceFormat.json else format_probe_text
    sys.stdout.write(render(report))
    raise typer.Exit(EXIT_CLEAN if report.ok else EXIT_FINDINGS)


@app.command("rules")
def list_rules(
    output_format: Annotated[TraceFormat, typer.Option("--format", help="Output format.")] = TraceFormat.text,
    rules_dir: Annotated[list[str] | None, typer.Option("--rules", help="Directory of extra rule files.")] = None,
) -> None:
    """List every rule with its code, category and severity."""
    from wslint.docs import rules_table

    rules = _load(list(rules_dir or ()))
    sys.stdout.write(rules_table(rules, output_format.value))


@app.command("apps")
def list_apps(
    output_format: Annotated[TraceFormat, typer.Option("--format", help="Output format.")] = TraceFormat.text,
) -> None:
    """List the app profiles: the apps whose WebSocket endpoints wslint knows and how it recognizes them."""
    from wslint.app_docs import apps_table
    from wslint.profiles import ProfileError, load_profiles

    try:
        profiles = load_profiles()
    except ProfileError as exc:
        raise _fail(str(exc)) from None
    sys.stdout.write(apps_table(profiles, output_format.value))


@app.command()
def explain(
    rule: Annotated[str, typer.Argument(help="Rule id or code, e.g. WS102 or upgrade-header-not-forwarded.")],
    rules_dir: Annotated[list[str] | None, typer.Option("--rules", help="Directory of extra rule files.")] = None,
) -> None:
    """Show a rule's documentation: why it matters, what the client sees, examples and fix."""
    from wslint.docs import explain_rule

    rules = _load(list(rules_dir or ()))
    found = rules.get(rule)
    if found is None:
        from wslint.app_docs import explain_app
        from wslint.profiles import ProfileError, load_profiles

        try:
            profile = next((p for p in load_profiles() if p.id == rule.lower()), None)
        except ProfileError as exc:
            raise _fail(str(exc)) from None
        if profile is None:
            raise _fail(f"no rule or app {rule!r} (see `wslint rules` and `wslint apps`)")
        sys.stdout.write(explain_app(profile))
        return
    sys.stdout.write(explain_rule(found))


def main(argv: list[str] | None = None) -> Any:
    # wslint builds a large, long-lived object graph and exits: the cyclic
    # collector would rescan it again and again for nothing (half the run
    # time on large configurations)
    gc.disable()
    try:
        return app(args=argv, prog_name="wslint")
    except Exception as exc:  # a bug in wslint: the user gets one clear line, not a traceback
        if os.environ.get("WSLINT_DEBUG"):
            raise
        internal_error(exc)
