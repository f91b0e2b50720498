"""One lint run: find the configurations, build their models, run the rules.

The CLI is a thin shell around `run()`; everything here is usable from Python
and returns values (a `Report`), never prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wslint import baseline, parallel, suppress
from wslint.adapters import ADAPTERS, AdapterOptions
from wslint.config import ProjectConfig
from wslint.detect import cannot_tell, detect
from wslint.endpoints import Endpoint, EndpointError, parse_endpoint
from wslint.engine.rules import RuleSet
from wslint.engine.runner import RunSettings, run_rules, selected
from wslint.findings import Diagnostic, Finding, Severity
from wslint.inputs import InputFile, display_path
from wslint.model import ProxyConfig
from wslint.path_endpoints import focus_path_endpoints

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


# A directory holding one of these is linted through it (the rest are its includes).
MAIN_FILES = (
    "nginx.conf",
    "haproxy.cfg",
    "traefik.yml",
    "traefik.yaml",
    "traefik.toml",
    "httpd.conf",
    "apache2.conf",
    "Caddyfile",
    # Caddy's JSON configuration, by the name its documentation uses
    "caddy.json",
)


def _targets_in(directory: Path) -> list[Path]:
    """The files of a directory that are configurations of their own (not snippets)."""
    mains = [directory / name for name in MAIN_FILES if (directory / name).is_file()]
    if mains:
        return mains
    found: list[Path] = []
    for pattern in ("*.conf", "*.cfg", "conf.d/*.conf", "sites-enabled/*", "sites-available/*", "**/*.conf"):
        for p in sorted(directory.glob(pattern)):
            if p.is_file() and p not in found:
                found.append(p)
    if not found:
        # a Traefik file provider directory: its first file is linted together with the others
        yamls = sorted(p for ext in ("*.yml", "*.yaml", "*.toml") for p in directory.glob(ext) if p.is_file())
        found = [p for p in yamls if detect(str(p), _head(p)) == "traefik"][:1]
    return found


def _head(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _inputs(options: LintOptions, diagnostics: list[Diagnostic]) -> list[tuple[InputFile, str]]:
    out: list[tuple[InputFile, str]] = []
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
        files = _targets_in(path) if path.is_dir() else [path]
        if path.is_dir() and not files:
            diagnostics.append(Diagnostic("io", Severity.WARNING, f"{raw}: no configuration files found", raw))
        for f in files:
            shown = display_path(str(f))
            kind = options.proxy or detect(shown, _head(f))
            if kind is None and options.skip_unknown:
                diagnostics.append(
                    Diagnostic("usage", Severity.INFO, f"skipped {shown}: not a proxy configuration", shown)
                )
                continue
            if kind is None:
                diagnostics.append(
                    Diagnostic(
                        "usage",
                        Severity.ERROR,
                        cannot_tell(shown, _head(f)),
                        shown,
                    )
                )
                continue
            out.append((InputFile(shown, str(f)), kind))
    return out


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


def _repository_root(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def include_aware(inputs: list[tuple[InputFile, str]], options: LintOptions) -> list[tuple[InputFile, str]]:
    """Replace a snippet by the main configurations (in its ancestors) that include it.

    A pre-commit hook sees only the changed file; `proxy_set_header` in a
    snippet means nothing until it is placed where the main file includes it.
    """
    out: list[tuple[InputFile, str]] = []
    closures: dict[str, set[str]] = {}
    for inp, kind in inputs:
        adapter = ADAPTERS.get(kind)
        if inp.disk_path is None or adapter is None or adapter.includes is None:
            out.append((inp, kind))
            continue
        here = Path(inp.disk_path).resolve()
        stop = _repository_root(here.parent)
        mains: list[Path] = []
        # up to the repository root; outside a repository, a few levels (conf.d/, sites-*/)
        ancestors = (here.parent, *here.parent.parents)
        for depth, directory in enumerate(ancestors):
            mains.extend(directory / n for n in adapter.main_names if (directory / n).is_file())
            if directory == stop or (stop is None and depth >= 2):
                break
        users: list[Path] = []
        for main in mains:
            if main.resolve() == here:
                users = []
                break
            key = str(main.resolve())
            if key not in closures:
                closures[key] = adapter.includes(
                    InputFile(display_path(str(main)), str(main)), adapter_options(options, kind)
                )
            if str(here) in closures[key]:
                users.append(main)
        if users:
            out.extend((InputFile(display_path(str(m)), str(m)), kind) for m in users)
        else:
            out.append((inp, kind))
    seen: set[str] = set()
    unique = []
    for inp, kind in out:
        key = (inp.disk_path and str(Path(inp.disk_path).resolve())) or inp.path
        if key not in seen:
            seen.add(key)
            unique.append((inp, kind))
    return unique


@dataclass(frozen=True)
class _Outcome:
    """One configuration read and checked (in this process or a worker)."""

    linted: LintedConfig | None
    config: ProxyConfig | None
    texts: Mapping[str, str]
    findings: tuple[Finding, ...]
    load_diagnostics: tuple[Diagnostic, ...]
    rule_diagnostics: tuple[Diagnostic, ...]


def run(options: LintOptions, rules: RuleSet) -> Report:
    diagnostics: list[Diagnostic] = []
    per_kind = {kind: adapter_options(options, kind) for kind in ADAPTERS}
    settings = RunSettings(
        select=options.select, ignore=options.ignore, options=options.rule_options, severity=options.severity
    )
    active = selected(rules, settings)
    targets: list[tuple[InputFile, str]] = []
    for inp, kind in include_aware(_inputs(options, diagnostics), options):
        if kind in ADAPTERS:
            targets.append((inp, kind))
        elif options.skip_unknown:
            diagnostics.append(
                Diagnostic("usage", Severity.INFO, f"skipped {inp.path}: {kind} is not supported yet", inp.path)
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
        if result.config is None:
            return _Outcome(None, None, {}, (), tuple(loading), ())
        checking: list[Diagnostic] = []
        texts = dict(result.texts)
        found = run_rules(focus_path_endpoints(result.config), active, settings, texts, checking)
        model = result.config if keep_models else None
        return _Outcome(LintedConfig.of(result.config), model, texts, tuple(found), tuple(loading), tuple(checking))

    workers = parallel.worker_count(options.jobs, len(targets))
    # dropped as soon as their rules have run: a worker would pickle them back, which costs more
    # than linting them, and in one process a tree of configurations would pile up in memory
    keep_models = options.keep_models
    outcomes = parallel.map_ordered(lint_one, targets, workers)
    # a file that another target includes is linted as part of that target only
    included = {f for o in outcomes if o.linted is not None for f in o.linted.files[1:]}
    findings: list[Finding] = []
    kept: list[ProxyConfig] = []
    linted: list[LintedConfig] = []
    all_texts: dict[str, str] = {}
    for o in outcomes:
        diagnostics.extend(o.load_diagnostics)
        if o.linted is None or o.linted.main_file in included:
            continue
        linted.append(o.linted)
        if o.config is not None:
            kept.append(o.config)
        all_texts.update(o.texts)
        findings.extend(o.findings)
        diagnostics.extend(o.rule_diagnostics)
    unique = sorted({(f.rule, f.path, f.line, f.column): f for f in findings}.values(), key=lambda f: f.sort_key)
    unique = [f for f in unique if not any(matches_finding(f, k) for k in options.project.ignored_for(f.path))]
    counted = len(unique)
    known = {key for r in rules for key in (r.id, r.code)}
    visible = suppress.apply(
        unique,
        suppress.scan(all_texts),
        matches_finding,
        lambda key: key in known or (key.isupper() and any(r.code.startswith(key) for r in rules)),
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


def matches_finding(f: Finding, key: str) -> bool:
    """A rule id, code or code prefix (WS1) naming this finding's rule."""
    key = key.strip()
    return key in (f.rule, f.code) or (key.isupper() and f.code.startswith(key))
