"""The default command, `wslint [check] PATH...`, without the command-line framework.

`wslint FILE` is what a pre-commit hook runs, so it must start fast: this module
imports no CLI framework and nothing it does not use (wslint.entry calls it
directly for plain paths; wslint.cli's `check` command calls it for every other
spelling, so both behave the same). Errors leave with SystemExit and the exit
code, as the framework's own exit would.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from wslint import __version__
from wslint.versions import DEFAULT_VERSIONS

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


def echo_err(message: str) -> None:
    """One line on stderr, as click.echo writes it (which also strips escape sequences off a terminal)."""
    if "\x1b" in message:
        import click

        click.echo(message, err=True)
        return
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def internal_error(exc: Exception) -> NoReturn:
    """A bug in wslint: the user gets one clear line, not a traceback."""
    sys.stderr.write(
        f"wslint: internal error ({type(exc).__name__}: {exc}); this is a bug in wslint, not in your "
        "configuration: please report it with the input that caused it (WSLINT_DEBUG=1 shows the traceback)\n"
    )
    sys.exit(EXIT_USAGE)


def _fail(message: str) -> SystemExit:
    echo_err(f"wslint: error: {message}")
    return SystemExit(EXIT_USAGE)


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
        echo_err("wslint: error: --fix changed no file (every file is checked before any is written)")
        return first
    restored, unrestored = safe_writes.restore(journal)
    if restored:
        echo_err(f"wslint: error: --fix restored what it had written to {', '.join(restored)}")
    for u in unrestored:
        echo_err(f"wslint: error: --fix could not restore {u}")
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
                echo_err(f"wslint: error: cannot fix {r.path}: {r.reason}")
            return _Fixed(_undo(journal, first, options, rules), "".join(shown), failed=True)
        except safe_writes.WriteFailed as exc:
            torn = any(u.startswith(f"{exc.path} ") for u in exc.unrestored)
            left = "" if torn else "; it was left as it was"
            echo_err(f"wslint: error: writing {exc.path} failed ({exc.reason}){left}")
            if exc.restored:
                echo_err(f"wslint: error: --fix restored {', '.join(exc.restored)}")
            for u in exc.unrestored:
                echo_err(f"wslint: error: --fix could not restore {u}")
            if exc.untouched:
                echo_err(f"wslint: error: --fix did not write {', '.join(exc.untouched)}")
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
            echo_err(
                f"wslint: error: the fixed configuration has errors ({', '.join(errors)}); this is a bug in "
                "wslint's fixes, please report it"
            )
            return _Fixed(_undo(journal, first, options, rules), "".join(shown), failed=True)
    changed: dict[str, safe_writes.Written] = {}
    for w in journal:
        changed.setdefault(w.real, w)
    if write:
        for w in sorted(changed.values(), key=lambda w: w.name):
            echo_err(f"wslint: fixed {_count(counts[w.real], 'finding')} in {_named(w)}")
        if changed:
            echo_err(f"wslint: fixed {_count(fixed, 'finding')} in {_count(len(changed), 'file')}")
    return _Fixed(report, "".join(shown))


def lint_command(
    paths: list[str],
    proxy: ProxyKind | None = None,
    output_format: OutputFormat = OutputFormat.auto,
    output: str | None = None,
    fail_on: FailOn | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    rules_dir: list[str] | None = None,
    ws_url: list[str] | None = None,
    ws_path: list[str] | None = None,
    app_names: list[str] | None = None,
    no_apps: bool = False,
    endpoints_file: str | None = None,
    nginx_version: str | None = None,
    haproxy_version: str | None = None,
    traefik_version: str | None = None,
    apache_version: str | None = None,
    caddy_version: str | None = None,
    root: list[str] | None = None,
    stdin_filename: str | None = None,
    idle_threshold: str | None = None,
    config: str | None = None,
    baseline_file: str | None = None,
    write_baseline: bool = False,
    fix: bool = False,
    diff: bool = False,
    statistics: bool = False,
    quiet: bool = False,
    verbose: bool = False,
    confine: bool = False,
    limit: list[str] | None = None,
    skip_unknown: bool = False,
    color: ColorMode = ColorMode.auto,
    jobs: int = 0,
) -> NoReturn:
    """Lint configuration files (the default command); always leaves with SystemExit."""
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
        echo_err(f"wslint: recorded {len(report.findings)} findings in {baseline_file}")
        raise SystemExit(EXIT_CLEAN)
    patch = ""
    failed = False
    if (fix or diff) and not report.has_errors:
        done = _fix(report, options, rules, write=fix)
        report, patch, failed = done.report, done.patch, done.failed
    elif fix or diff:
        broken = sorted({d.path or "wslint" for d in report.diagnostics if d.severity >= Severity.ERROR})
        what = "--fix changed no file" if fix else "--diff shows no fix"
        echo_err(f"wslint: error: {what}: the configuration has errors ({', '.join(broken)}, see the report)")
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
    raise SystemExit(EXIT_USAGE if failed else exit_code(report, resolved.fail_on))
