"""The `wslint` executable: the common ways to lint, and `wslint --version`, without the CLI framework.

A pre-commit hook or a CI step runs `wslint FILE...`, often with a few options
(`--format github`, `--jobs 1`, `--select WS1`), and importing typer and
building its command tree cost about as much as linting a small file. So
paths with the options below, each spelled as typer spells it and with a
value typer would accept unchanged, go straight to the command typer would
call, with the same arguments. Anything else (another option, a value typer
would convert or refuse, `--`, `-` for stdin, a subcommand, help, no argument
at all) goes through wslint.cli, which decides and words every error.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from enum import StrEnum
from typing import Any

# the subcommands and the words typer reads itself: a first argument among them is no path
_NOT_A_PATH = frozenset({"check", "init", "route", "probe", "rules", "apps", "explain"})


# check's options taken here, by the parameter they set; those with a fixed set of values take exactly the
# enum's values (typer matches them case-sensitively), and the others any value not spelled like an option
_VALUED = {
    "--format": "output_format",
    "--proxy": "proxy",
    "--fail-on": "fail_on",
    "--color": "color",
    "--jobs": "jobs",
    "-j": "jobs",
    "--select": "select",
    "--ignore": "ignore",
}
_REPEATABLE = frozenset({"select", "ignore"})
_FLAGS = {
    "--quiet": "quiet",
    "-q": "quiet",
    "--verbose": "verbose",
    "-v": "verbose",
    "--statistics": "statistics",
    "--no-apps": "no_apps",
    "--skip-unknown": "skip_unknown",
}


def _quick(args: list[str]) -> tuple[list[str], dict[str, Any]] | None:
    """The paths and check's keyword arguments, when typer would read `args` exactly so; else None."""
    if "_WSLINT_COMPLETE" in os.environ or not args:
        return None
    if args[0] == "check":
        args = args[1:]
    elif args[0] in _NOT_A_PATH:
        return None
    from wslint.check_command import ColorMode, FailOn, OutputFormat, ProxyKind

    enums: dict[str, type[StrEnum]] = {
        "output_format": OutputFormat,
        "proxy": ProxyKind,
        "fail_on": FailOn,
        "color": ColorMode,
    }
    paths: list[str] = []
    options: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg in _FLAGS and _FLAGS[arg] not in options:
            options[_FLAGS[arg]] = True
            continue
        name, eq, value = arg.partition("=")
        if name not in _VALUED or (eq and not name.startswith("--")):  # typer takes no -j=2
            return None
        if not eq:
            if i == len(args):
                return None
            value = args[i]
            i += 1
        parameter = _VALUED[name]
        kind = enums.get(parameter)
        if not value or value.startswith("-") or (kind is not None and value not in {m.value for m in kind}):
            return None
        if parameter == "jobs" and not (value.isascii() and value.isdigit()):
            return None
        if parameter in _REPEATABLE:
            options.setdefault(parameter, []).append(value)
        elif parameter in options:
            return None
        else:
            options[parameter] = value
    if not paths:
        return None
    for parameter, kind in enums.items():
        if parameter in options:
            options[parameter] = kind(options[parameter])
    if "jobs" in options:
        options["jobs"] = int(options["jobs"])
    return paths, options


def _check(paths: list[str], options: dict[str, Any]) -> None:
    """The default command, leaving as the framework would on EOF, ^C and a closed pipe."""
    from wslint.check_command import lint_command

    try:
        lint_command(paths, **options)
    except EOFError:
        sys.stderr.write("\n")
        sys.stderr.write("Aborted!\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from click import utils

        wrap: Any = utils.PacifyFlushWrapper
        sys.stdout, sys.stderr = wrap(sys.stdout), wrap(sys.stderr)
        sys.exit(1)


def main(argv: list[str] | None = None) -> Any:
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from wslint import __version__

        sys.stdout.write(f"wslint {__version__}\n")
        sys.stdout.flush()
        sys.exit(0)
    from wslint import dataclass_methods

    dataclass_methods.install()
    quick = _quick(args)
    if quick is None:
        from wslint.cli import main as cli_main

        return cli_main(args)
    # as wslint.cli.main: no cyclic collection of the long-lived model, one line for a bug in wslint
    gc.disable()
    try:
        _check(*quick)
    except Exception as exc:
        if os.environ.get("WSLINT_DEBUG"):
            raise
        from wslint.check_command import internal_error

        internal_error(exc)
    return None
