"""Turning command-line arguments and the project config into one set of lint options.

Command-line values win; lists that accumulate (endpoints, roots, rule
directories, ignores) take both. Everything that can be wrong is checked here,
before any file is read, and reported as a usage or config error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from wslint import baseline as baselines
from wslint.config import ConfigError, ProjectConfig, discover, load_file
from wslint.core import LintOptions, UsageError, parse_root
from wslint.durations import parse_duration
from wslint.endpoints import EndpointError, load_endpoints_file, parse_endpoint
from wslint.limits import Limits, parse_size
from wslint.profiles import ProfileError, load_profiles

DEFAULT_IDLE = "60s"


@dataclass(frozen=True)
class CliArgs:
    """What the user typed, unvalidated (None: not given)."""

    paths: tuple[str, ...]
    proxy: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_dirs: tuple[str, ...] = ()
    ws_urls: tuple[str, ...] = ()
    ws_paths: tuple[str, ...] = ()
    endpoints_file: str | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    roots: tuple[str, ...] = ()
    stdin_text: str | None = None
    stdin_filename: str | None = None
    idle_threshold: str | None = None
    fail_on: str | None = None
    config: str | None = None
    baseline: str | None = None
    write_baseline: bool = False
    skip_unknown: bool = False
    confine: bool = False
    jobs: int = 0
    apps: tuple[str, ...] = ()
    no_apps: bool = False
    # --limit NAME=VALUE: the command line may raise a limit, a configuration file only lower it
    limits: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolved:
    options: LintOptions
    rule_dirs: tuple[str, ...]
    fail_on: str
    project: ProjectConfig


def project_config(args: CliArgs) -> ProjectConfig:
    if args.config is not None:
        path = Path(args.config)
        if not path.is_file():
            raise ConfigError(f"{args.config}: no such config file")
        return load_file(path)
    start = next((p for p in args.paths if p != "-"), args.stdin_filename or ".")
    found = discover(Path(start) if Path(start).exists() else Path("."))
    return load_file(found) if found is not None else ProjectConfig()


def _with_limits(project: ProjectConfig, given: tuple[str, ...]) -> ProjectConfig:
    values: dict[str, int] = {}
    for item in given:
        name, eq, value = item.partition("=")
        if not eq or name.strip() not in Limits.names():
            raise UsageError(f"--limit takes NAME=VALUE with a NAME of {', '.join(Limits.names())}, got {item!r}")
        number = parse_size(value)
        if number is None or number <= 0:
            raise UsageError(f"--limit {name}: expected a positive number (sizes may say 10MB), got {value!r}")
        values[name.strip().replace("-", "_")] = number
    return replace(project, limits=replace(project.limits, **values)) if values else project


def resolve(args: CliArgs) -> Resolved:
    try:
        project = project_config(args)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    project = _with_limits(project, args.limits)
    idle_text = args.idle_threshold
    threshold = parse_duration(idle_text) if idle_text is not None else project.idle_threshold
    if idle_text is not None and threshold is None:
        raise UsageError(f"--idle-threshold must be a duration such as 60s or 1h, got {idle_text!r}")
    if threshold is None:
        threshold = parse_duration(DEFAULT_IDLE)
    try:
        endpoints = [*project.endpoints, *(parse_endpoint(u) for u in args.ws_urls)]
        if args.endpoints_file:
            endpoints.extend(load_endpoints_file(args.endpoints_file))
    except EndpointError as exc:
        raise UsageError(str(exc)) from None
    versions: dict[str, str | None] = dict(project.versions)
    versions.update({k: v for k, v in args.versions.items() if v is not None})
    known: frozenset[str] = frozenset()
    if args.baseline is not None and not args.write_baseline:
        try:
            known = frozenset(baselines.read(Path(args.baseline)))
        except baselines.BaselineError as exc:
            raise UsageError(str(exc)) from None
    if args.write_baseline and args.baseline is None:
        raise UsageError("--write-baseline needs --baseline FILE")
    try:
        profiles = load_profiles()
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    apps = tuple(dict.fromkeys(a.lower() for a in (*project.apps, *args.apps)))
    known_apps = {p.id for p in profiles}
    for app in apps:
        if app not in known_apps:
            raise UsageError(f"no app profile {app!r} (see `wslint apps`)")
    if args.jobs < 0:
        raise UsageError(f"--jobs must be 0 (decide by the amount of work) or more, got {args.jobs}")
    options = LintOptions(
        paths=args.paths,
        proxy=args.proxy,
        stdin_text=args.stdin_text,
        stdin_filename=args.stdin_filename,
        roots=(*project.roots, *(parse_root(r) for r in args.roots)),
        nginx_version=versions.pop("nginx", None),
        versions=versions,
        ws_paths=args.ws_paths,
        endpoints=tuple(endpoints),
        select=args.select or project.select,
        ignore=(*project.ignore, *args.ignore),
        # every rule about idle timeouts judges against the one threshold
        rule_options={
            rule: {"min_idle": threshold}
            for rule in ("idle-timeout-short", "tunnel-timeout-missing", "tunnel-timeout-in-frontend")
        },
        severity=dict(project.severity),
        project=project,
        baseline=known,
        skip_unknown=args.skip_unknown,
        confine=args.confine,
        jobs=args.jobs,
        profiles=profiles,
        apps=apps,
        recognize_apps=not args.no_apps and project.recognize_apps is not False,
    )
    return Resolved(
        options=options,
        rule_dirs=(*project.rules, *args.rule_dirs),
        fail_on=args.fail_on or project.fail_on or "warning",
        project=project,
    )
