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
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from wslint import __version__
from wslint.versions import DEFAULT_VERSIONS

# `--version` and `--help` need none of the linter: each command imports what it runs
if TYPE_CHECKING:
    from wslint import safe_writes
    from wslint.core import LintOptions, Report
    from wslint.engine.rules import RuleSet
    from wslint.findings import Diagnostic

DEFAULT_NGINX_VERSION = DEFAULT_VERSIONS["nginx"]
EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class ProxyKind(StrEnum):
    nginx = "nginx"
    haproxy = "haproxy"
    traefik = "traefik"
    apache = "apache"
    caddy = "caddy"


class OutputFormat(StrEnum):
    auto = "auto"
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    rdjson = "rdjson"
    rdjsonl = "rdjsonl"
    gitlab = "gitlab"
    junit = "junit"


class TraceFormat(StrEnum):
    text = "text"
    json = "json"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class ColorMode(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


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


def _fail(message: str) -> typer.Exit:
    typer.echo(f"wslint: error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _read_stdin(name: str | None) -> str:
    """Standard input as text, refused like a file that is binary or not UTF-8."""
    from wslint.textfiles import TextFileError, decode

    try:
        return decode(sys.stdin.buffer.read(), name or "<stdin>")
    except TextFileError as exc:
        raise _fail(str(exc)) from None


def _load(rule_dirs: list[str]) -> RuleSet:
    from wslint.engine.rules import load_rules
    from wslint.engine.schema import RuleFileError

    try:
        return load_rules(rule_dirs)
    except RuleFileError as exc:
        raise _fail(str(exc)) from None


def _split(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(out)


def _use_color(mode: ColorMode, stream: IO[str]) -> bool:
    if mode is ColorMode.always:
        return True
    if mode is ColorMode.never or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def resolve_format(fmt: OutputFormat) -> str:
    if fmt is OutputFormat.auto:
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return fmt.value


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never half a report; a link at `path` is replaced,
    not followed; a failure is a usage error naming the file (see safe_writes.write_reports)."""
    from wslint import safe_writes

    try:
        safe_writes.write_reports({str(path): text})
    except safe_writes.ReportNotWritten as exc:
        raise _fail(str(exc)) from None


def proxy_versions(options: LintOptions, report: Report) -> dict[str, str]:
    """The version assumed or given for each proxy whose configuration was linted."""
    out = {cfg.proxy: cfg.version for cfg in report.linted}
    return out or {"nginx": options.nginx_version or DEFAULT_NGINX_VERSION}


def _where(d: Diagnostic) -> str:
    """`path:line: ` as far as the diagnostic knows it."""
    if d.path and d.line:
        return f"{d.path}:{d.line}: "
    return f"{d.path}: " if d.path else ""


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def exit_code(report: Report, fail_on: str) -> int:
    from wslint.findings import Severity

    if report.has_errors:
        return EXIT_USAGE
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity.parse(fail_on)
    worst = report.worst()
    return EXIT_FINDINGS if worst is not None and worst >= threshold else EXIT_CLEAN


def _check_rule_keys(options: LintOptions, rules: RuleSet) -> None:
    from wslint import rule_keys
    from wslint.core import UsageError

    keys = (*options.select, *options.ignore, *options.severity)
    for key in keys:
        if not any(rule_keys.names(key, r.id, r.code) for r in rules):
            raise UsageError(f"no rule matches {key!r} (see `wslint rules`)")


class _Fixed:
    """What `--fix` did: the report of what remains, the diff, and whether it had to give up."""

    def __init__(self, report: Report, patch: str, failed: bool = False) -> None:
        self.report = report
        self.patch = patch
        self.failed = failed


def _named(w: safe_writes.Written) -> str:
    others = [s for s in w.shown if s != w.name]
    return f"{w.name} (through {', '.join(others)})" if others else w.name


def _undo(journal: list[safe_writes.Written], first: Report, options: LintOptions, rules: RuleSet) -> Report:
    """Put back what earlier passes wrote; the report describes the files as they are now."""
    from wslint import safe_writes
    from wslint.core import run

    if not journal:
        typer.echo("wslint: error: --fix changed no file (every file is checked before any is written)", err=True)
        return first
    restored, unrestored = safe_writes.restore(journal)
    if restored:
        typer.echo(f"wslint: error: --fix restored what it had written to {', '.join(restored)}", err=True)
    for u in unrestored:
        typer.echo(f"wslint: error: --fix could not restore {u}", err=True)
    return first if not unrestored else run(options, rules)


def _fix(report: Report, options: LintOptions, rules: RuleSet, write: bool) -> _Fixed:
    """Apply (or, without `write`, only show) every fix; lint again after each pass.

    All or nothing: a file that cannot be written, a write that fails or fixed
    files that no longer parse undo what the run wrote (see safe_writes).
    Standard input's text is fixed in the diff only (`--fix` refuses it).
    """
    from wslint import fixer, safe_writes
    from wslint.core import run
    from wslint.findings import Severity

    unsaved = {options.stdin_filename or "<stdin>"} if "-" in options.paths else set()
    first = report
    fixed = 0
    shown: list[str] = []
    journal: list[safe_writes.Written] = []
    counts: dict[str, int] = {}
    for _ in range(fixer.PASSES):
        planned = fixer.plan(report.findings, report.texts, unsaved)
        if not planned.new_texts:
            break
        shown.append(fixer.unified_diff(planned.new_texts, report.texts))
        if not write:
            break
        try:
            written = fixer.write(planned.new_texts, report.texts, planned.later)
        except safe_writes.WriteRefused as exc:
            for r in exc.refusals:
                typer.echo(f"wslint: error: cannot fix {r.path}: {r.reason}", err=True)
            return _Fixed(_undo(journal, first, options, rules), "".join(shown), failed=True)
        except safe_writes.WriteFailed as exc:
            torn = any(u.startswith(f"{exc.path} ") for u in exc.unrestored)
            left = "" if torn else "; it was left as it was"
            typer.echo(f"wslint: error: writing {exc.path} failed ({exc.reason}){left}", err=True)
            if exc.restored:
                typer.echo(f"wslint: error: --fix restored {', '.join(exc.restored)}", err=True)
            for u in exc.unrestored:
                typer.echo(f"wslint: error: --fix could not restore {u}", err=True)
            if exc.untouched:
                typer.echo(f"wslint: error: --fix did not write {', '.join(exc.untouched)}", err=True)
            if journal:
                _undo(journal, first, options, rules)
            return _Fixed(run(options, rules), "".join(shown), failed=True)
        for w in written:
            counts[w.real] = counts.get(w.real, 0) + sum(planned.fixed_in(p) for p in w.shown)
        journal.extend(written)
        fixed += len(planned.fixed)
        report = run(options, rules)
        if report.has_errors:
            errors = sorted({d.path or "wslint" for d in report.diagnostics if d.severity >= Severity.ERROR})
            typer.echo(
                f"wslint: error: the fixed configuration has errors ({', '.join(errors)}); this is a bug in "
                "wslint's fixes, please report it",
                err=True,
            )
            return _Fixed(_undo(journal, first, options, rules), "".join(shown), failed=True)
    changed: dict[str, safe_writes.Written] = {}
    for w in journal:
        changed.setdefault(w.real, w)
    if write:
        for w in sorted(changed.values(), key=lambda w: w.name):
            typer.echo(f"wslint: fixed {_count(counts[w.real], 'finding')} in {_named(w)}", err=True)
        if changed:
            typer.echo(f"wslint: fixed {_count(fixed, 'finding')} in {_count(len(changed), 'file')}", err=True)
    return _Fixed(report, "".join(shown))


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
            help="Processes for many configurations (Linux): 0 uses all cores from 8 files on, 1 never forks.",
        ),
    ] = 0,
) -> None:
    """Lint configuration files (the default command)."""
    import dataclasses

    from wslint import baseline as baselines
    from wslint.core import UsageError, run
    from wslint.findings import Severity
    from wslint.formatters import FORMATTERS, FormatContext
    from wslint.formatters.context import source_root
    from wslint.formatters.text import format_statistics, format_text_diagnostics
    from wslint.settings import CliArgs, resolve

    fmt = resolve_format(output_format)
    if diff and fmt not in ("text", "github") and output is None:
        # stdout carries the diff alone, and a JSON or XML document cannot share stderr with messages
        raise _fail(f"--diff prints only the diff on stdout: write the {fmt} report with --output FILE")
    args = CliArgs(
        paths=tuple(paths),
        proxy=proxy.value if proxy else None,
        select=_split(select),
        ignore=_split(ignore),
        rule_dirs=tuple(rules_dir or ()),
        ws_urls=tuple(ws_url or ()),
        ws_paths=tuple(ws_path or ()),
        endpoints_file=endpoints_file,
        versions={
            "nginx": nginx_version,
            "haproxy": haproxy_version,
            "traefik": traefik_version,
            "apache": apache_version,
            "caddy": caddy_version,
        },
        roots=tuple(root or ()),
        stdin_text=_read_stdin(stdin_filename) if "-" in paths else None,
        stdin_filename=stdin_filename,
        idle_threshold=idle_threshold,
        fail_on=fail_on.value if fail_on else None,
        config=config,
        baseline=baseline_file,
        write_baseline=write_baseline,
        skip_unknown=skip_unknown,
        confine=confine,
        jobs=jobs,
        apps=_split(app_names),
        no_apps=no_apps,
        limits=tuple(limit or ()),
    )
    if fix and "-" in paths:
        raise _fail("--fix cannot write to stdin; use --diff")
    try:
        resolved = resolve(args)
        # the report's text is made from findings alone: no route models need to come back
        options = dataclasses.replace(resolved.options, keep_models=False)
        rules = _load(list(resolved.rule_dirs))
        _check_rule_keys(options, rules)
        report = run(options, rules)
    except UsageError as exc:
        raise _fail(str(exc)) from None
    if write_baseline and baseline_file is not None:
        if report.has_errors:
            raise _fail("not writing a baseline: the configuration has errors (run without --write-baseline)")
        write_atomically(Path(baseline_file), baselines.write(Path(baseline_file), report.findings))
        typer.echo(f"wslint: recorded {len(report.findings)} findings in {baseline_file}", err=True)
        raise typer.Exit(EXIT_CLEAN)
    patch = ""
    failed = False
    if (fix or diff) and not report.has_errors:
        done = _fix(report, options, rules, write=fix)
        report, patch, failed = done.report, done.patch, done.failed
    elif fix or diff:
        broken = sorted({d.path or "wslint" for d in report.diagnostics if d.severity >= Severity.ERROR})
        what = "--fix changed no file" if fix else "--diff shows no fix"
        typer.echo(
            f"wslint: error: {what}: the configuration has errors ({', '.join(broken)}, see the report)", err=True
        )
    # with --diff stdout is the diff's: the report goes to --output, else to stderr
    stream = sys.stderr if diff else sys.stdout
    ctx = FormatContext(
        findings=tuple(report.findings),
        diagnostics=tuple(report.diagnostics),
        tool_version=__version__,
        proxy_versions=proxy_versions(options, report),
        files=tuple(f for cfg in report.linted for f in cfg.files),
        color=_use_color(color, stream) and output is None and fmt == "text",
        rules=tuple(r.spec for r in rules),
        quiet=quiet,
        verbose=verbose,
        suppressed=report.suppressed,
        baselined=report.baselined,
        texts=report.texts,
        root=source_root(),
        cwd=os.getcwd(),
        fail_on=resolved.fail_on,
        config=resolved.project.path,
    )
    if fmt == "text":
        sys.stderr.write(format_text_diagnostics(ctx, _use_color(color, sys.stderr) and fmt == "text"))
    rendered = FORMATTERS[fmt](ctx)
    if statistics and fmt == "text":
        rendered += format_statistics(ctx)
    if diff:
        sys.stdout.write(patch)
    if output is None:
        if not (diff and fmt == "text" and quiet):
            stream.write(rendered)
    else:
        write_atomically(Path(output), rendered)
    raise typer.Exit(EXIT_USAGE if failed else exit_code(report, resolved.fail_on))


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
        sys.stderr.write(
            f"wslint: internal error ({type(exc).__name__}: {exc}); this is a bug in wslint, not in your "
            "configuration: please report it with the input that caused it (WSLINT_DEBUG=1 shows the traceback)\n"
        )
        sys.exit(EXIT_USAGE)
