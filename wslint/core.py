"""One lint run: find the configurations, build their models, run the rules.

The CLI is a thin shell around `run()`; everything here is usable from Python
and returns values (a `Report`), never prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wslint import baseline, parallel, rule_keys, suppress
from wslint.adapters import ADAPTERS, AdapterOptions
from wslint.config import ProjectConfig
from wslint.detect import cannot_tell, detect
from wslint.discovery import Finder
from wslint.endpoints import Endpoint, EndpointError, parse_endpoint
from wslint.engine.rules import RuleSet
from wslint.engine.runner import RunSettings, run_rules, selected
from wslint.findings import Diagnostic, Finding, Severity
from wslint.inputs import InputFile, display_path
from wslint.model import ProxyConfig
from wslint.path_endpoints import focus_path_endpoints
from wslint.profiles import AppProfile, endpoints_of, forced, recognize
from wslint.textfiles import unreadable

DEFAULT_NGINX_VERSION = ADAPTERS["nginx"].default_version


class UsageError(Exception):
    """Bad command-line input: reported with exit code 2 before anything runs."""


@dataclass(frozen=True)
class LintOptions:
    paths: tuple[str, ...]
    proxy: str | None = None
    stdin_text: str | None = None
    stdin_filename: str | None = None
    roots: tuple[tuple[str, str], ...] = ()
    nginx_version: str | None = None
    # other proxies' versions by kind ("haproxy": "2.6"); None or absent: the adapter's default
    versions: Mapping[str, str | None] = field(default_factory=dict)
    ws_paths: tuple[str, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    severity: Mapping[str, Severity] = field(default_factory=dict)
    project: ProjectConfig = field(default_factory=ProjectConfig)
    # fingerprints of accepted findings (--baseline)
    baseline: frozenset[str] = frozenset()
    # files that are no proxy configuration wslint reads are skipped, not errors (pre-commit)
    skip_unknown: bool = False
    # includes may not leave the linted file's directory and the --root directories
    confine: bool = False
    # worker processes for many configurations: 0 decides by their number, 1 never forks
    jobs: int = 0
    # Report.configs holds the route models; off, workers need not send them back (they are big)
    keep_models: bool = True
    # app profiles (wslint.profiles): those recognized in a configuration add their endpoints; `apps` names
    # profiles checked on every configuration whatever it shows
    profiles: tuple[AppProfile, ...] = ()
    apps: tuple[str, ...] = ()
    recognize_apps: bool = True


@dataclass(frozen=True)
class LintedConfig:
    """What a report says about each configuration it linted, models or not."""

    proxy: str
    version: str
    version_assumed: bool
    main_file: str
    files: tuple[str, ...]

    @classmethod
    def of(cls, config: ProxyConfig) -> LintedConfig:
        return cls(config.proxy, config.version, config.version_assumed, config.main_file, config.files)


@dataclass
class Report:
    findings: list[Finding]
    diagnostics: list[Diagnostic]
    # the route models, when LintOptions.keep_models (the default)
    configs: list[ProxyConfig]
    # the text of every file read, by display path (for fixes)
    texts: dict[str, str] = field(default_factory=dict)
    suppressed: int = 0
    baselined: int = 0
    linted: list[LintedConfig] = field(default_factory=list)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    @property
    def has_errors(self) -> bool:
        return any(d.severity >= Severity.ERROR for d in self.diagnostics)


def parse_version(text: str, kind: str = "nginx") -> tuple[int, ...]:
    parts = text.strip().split(".")
    if not text.strip() or not all(p.isdigit() for p in parts) or len(parts) > 3:
        raise UsageError(f"--{kind}-version must look like 1.24.0, got {text!r}")
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))


def all_endpoints(options: LintOptions) -> tuple[Endpoint, ...]:
    """--ws-url endpoints, then --ws-path paths (a path without a host)."""
    out = list(options.endpoints)
    for path in options.ws_paths:
        try:
            out.append(parse_endpoint(path if path.startswith("/") else "/" + path))
        except EndpointError as exc:
            raise UsageError(str(exc)) from None
    return tuple(out)


def parse_root(text: str) -> tuple[str, str]:
    server, sep, local = text.partition("=")
    if not sep or not server.startswith("/") or not local:
        raise UsageError(f"--root needs SERVER_DIR=LOCAL_DIR with an absolute SERVER_DIR, got {text!r}")
    return server, local


def _inputs(
    options: LintOptions, diagnostics: list[Diagnostic], finder: Finder
) -> tuple[list[tuple[InputFile, str]], list[Path]]:
    """The configurations named on the command line (directories walked), and the directories walked."""
    out: list[tuple[InputFile, str]] = []
    walked: list[Path] = []
    for raw in options.paths:
        if raw == "-":
            name = options.stdin_filename or "<stdin>"
            text = options.stdin_text or ""
            kind = options.proxy or detect(name, text[:65536])
            if kind is None:
                diagnostics.append(
                    Diagnostic(
                        "usage",
                        Severity.ERROR,
                        cannot_tell(name, text[:65536], "stdin"),
                        name,
                    )
                )
                continue
            out.append((InputFile(name, options.stdin_filename, text), kind))
            continue
        path = Path(raw)
        if not path.exists():
            diagnostics.append(Diagnostic("io", Severity.ERROR, f"{raw}: no such file or directory", raw))
            continue
        if path.is_dir():
            walked.append(path)
            before = len(diagnostics)
            found = finder.directory(path, diagnostics)
            if not found:
                looked = sum(1 for d in diagnostics[before:] if d.kind == "skipped")
                seen = (
                    f"{looked} file{'' if looked == 1 else 's'} looked at, none is one (--verbose lists them)"
                    if looked
                    else "no file is named like one"
                )
                diagnostics.append(
                    Diagnostic("io", Severity.ERROR, f"{raw}: no proxy configuration in this directory ({seen})", raw)
                )
            out.extend(found)
            continue
        shown = display_path(str(path))
        candidate = finder.candidate(str(path))
        kind = options.proxy or candidate.kind
        if kind is None and options.skip_unknown:
            diagnostics.append(
                Diagnostic("skipped", Severity.INFO, f"skipped {shown}: not a proxy configuration", shown)
            )
            continue
        if kind is None:
            why = unreadable(str(path), shown) if candidate.text is None else None
            diagnostics.append(
                Diagnostic("io", Severity.ERROR, why, shown)
                if why is not None
                else Diagnostic(
                    "usage",
                    Severity.ERROR,
                    cannot_tell(shown, candidate.text[:65536] if candidate.text is not None else ""),
                    shown,
                )
            )
            continue
        out.append((InputFile(shown, str(path)), kind))
    return out, walked


def adapter_options(options: LintOptions, kind: str) -> AdapterOptions:
    given = options.nginx_version if kind == "nginx" else options.versions.get(kind)
    for other, value in options.versions.items():
        if value is not None and other not in ADAPTERS:
            raise UsageError(f"--{other}-version: wslint cannot read {other} configurations yet")
    version = parse_version(given or ADAPTERS[kind].default_version, kind)
    return AdapterOptions(
        version=version,
        version_text=".".join(map(str, version)),
        version_assumed=given is None,
        roots=options.roots,
        endpoints=all_endpoints(options),
        limits=options.project.limits,
        confine=options.confine,
    )


@dataclass(frozen=True)
class _Outcome:
    """One configuration read and checked (in this process or a worker)."""

    linted: LintedConfig | None
    config: ProxyConfig | None
    texts: Mapping[str, str]
    findings: tuple[Finding, ...]
    load_diagnostics: tuple[Diagnostic, ...]
    rule_diagnostics: tuple[Diagnostic, ...]


def _size_of(inp: InputFile) -> int:
    """A file's size for `--jobs 0` (0 when it cannot be read: its load reports that)."""
    if inp.text is not None or inp.disk_path is None:
        return len(inp.text or "")
    try:
        return os.stat(inp.disk_path).st_size
    except OSError:
        return 0


def run(options: LintOptions, rules: RuleSet) -> Report:
    diagnostics: list[Diagnostic] = []
    per_kind = {kind: adapter_options(options, kind) for kind in ADAPTERS}
    settings = RunSettings(
        select=options.select, ignore=options.ignore, options=options.rule_options, severity=options.severity
    )
    active = selected(rules, settings)
    targets: list[tuple[InputFile, str]] = []
    finder = Finder(lambda kind: per_kind[kind], options.proxy, options.project.limits.file_size)
    named, walked = _inputs(options, diagnostics, finder)
    for inp, kind in finder.through_includers(named, walked):
        if kind in ADAPTERS:
            targets.append((inp, kind))
        elif options.skip_unknown:
            diagnostics.append(
                Diagnostic("skipped", Severity.INFO, f"skipped {inp.path}: {kind} is not supported yet", inp.path)
            )
        else:
            diagnostics.append(
                Diagnostic(
                    "usage",
                    Severity.ERROR,
                    f"{inp.path}: wslint cannot read {kind} configurations yet (supported: {', '.join(ADAPTERS)})",
                    inp.path,
                )
            )

    def lint_one(target: tuple[InputFile, str]) -> _Outcome:
        inp, kind = target
        loading: list[Diagnostic] = []
        result = ADAPTERS[kind].load(inp, per_kind[kind], loading)
        config = result.config
        if config is None:
            return _Outcome(None, None, {}, (), tuple(loading), ())
        extra = app_endpoints(config, options, per_kind[kind].endpoints)
        if extra:
            # the app's endpoints are simulated like declared ones: the configuration is read again with them
            loading = []
            with_apps = replace(per_kind[kind], endpoints=(*per_kind[kind].endpoints, *extra))
            result = ADAPTERS[kind].load(inp, with_apps, loading)
            config = result.config
            if config is None:
                return _Outcome(None, None, {}, (), tuple(loading), ())
        checking: list[Diagnostic] = []
        texts = dict(result.texts)
        found = run_rules(focus_path_endpoints(config), active, settings, texts, checking)
        model = config if keep_models else None
        return _Outcome(LintedConfig.of(config), model, texts, tuple(found), tuple(loading), tuple(checking))

    sizes = [_size_of(inp) for inp, _ in targets]
    workers = parallel.worker_count(options.jobs, sizes)
    # dropped as soon as their rules have run: a worker would pickle them back, which costs more
    # than linting them, and in one process a tree of configurations would pile up in memory
    keep_models = options.keep_models
    outcomes = parallel.map_ordered(lint_one, targets, workers, [parallel.work_of([size]) for size in sizes])
    dropped = _linted_elsewhere([o.linted for o in outcomes])
    findings: list[Finding] = []
    kept: list[ProxyConfig] = []
    linted: list[LintedConfig] = []
    all_texts: dict[str, str] = {}
    for o in outcomes:
        diagnostics.extend(o.load_diagnostics)
        if o.linted is None or o.linted.main_file in dropped:
            continue
        linted.append(o.linted)
        if o.config is not None:
            kept.append(o.config)
        all_texts.update(o.texts)
        findings.extend(o.findings)
        diagnostics.extend(o.rule_diagnostics)
    for proxy in sorted({cfg.proxy for cfg in linted}):
        if not any(proxy in r.spec.proxies for r in active):
            # a configuration file can turn every rule off (ignore: [WS]); that is said, never silent
            where = f" (by select/ignore; configuration: {options.project.path})" if options.project.path else ""
            diagnostics.append(
                Diagnostic(
                    "config",
                    Severity.WARNING,
                    f"every rule for {proxy} is turned off{where}: its configurations were read, nothing was checked",
                )
            )
    unique = sorted({(f.rule, f.path, f.line, f.column): f for f in findings}.values(), key=lambda f: f.sort_key)
    unique = [f for f in unique if not any(matches_finding(f, k) for k in options.project.ignored_for(f.path))]
    counted = len(unique)
    visible = suppress.apply(
        unique,
        suppress.scan(all_texts),
        matches_finding,
        lambda key: any(rule_keys.names(key, r.id, r.code) for r in rules),
        diagnostics,
    )
    suppressed = counted - len(visible)
    visible, baselined = baseline.apply(visible, set(options.baseline))
    return Report(
        findings=visible,
        diagnostics=sorted(set(diagnostics), key=lambda d: d.sort_key),
        configs=kept,
        linted=linted,
        texts=all_texts,
        suppressed=suppressed,
        baselined=baselined,
    )


def _linted_elsewhere(linted: list[LintedConfig | None]) -> set[str]:
    """Main files whose configuration another target already covers: a file that another target
    includes is linted as part of that target only, and of files read together (a Traefik file-provider
    directory, each reading the others) the first stands for all."""
    readers: dict[str, list[LintedConfig]] = {}
    for cfg in linted:
        if cfg is not None:
            for f in cfg.files[1:]:
                readers.setdefault(f, []).append(cfg)
    dropped: set[str] = set()
    kept: set[str] = set()
    for cfg in linted:
        if cfg is None:
            continue
        others = [r for r in readers.get(cfg.main_file, ()) if r.main_file != cfg.main_file]
        if any(r.main_file not in cfg.files for r in others) or any(r.main_file in kept for r in others):
            dropped.add(cfg.main_file)
        else:
            kept.add(cfg.main_file)
    return dropped


def app_endpoints(config: ProxyConfig, options: LintOptions, declared: tuple[Endpoint, ...]) -> tuple[Endpoint, ...]:
    """The endpoints of the app profiles a configuration shows it proxies, and of those named outright."""
    if not options.profiles:
        return ()
    found = recognize(config, options.profiles) if options.recognize_apps else []
    named = [p for p in options.profiles if p.id in options.apps]
    if named:
        found += forced(config, named, "--app or apps: in the configuration file")
    return endpoints_of(found, declared)


def matches_finding(f: Finding, key: str) -> bool:
    """A rule id, code or code prefix (WS1), in any case, naming this finding's rule."""
    return rule_keys.names(key, f.rule, f.code)
