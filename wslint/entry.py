"""The `wslint` executable: plain `wslint PATH...` and `wslint --version` without the CLI framework.

A pre-commit hook runs `wslint FILE` on every commit, and importing typer and
building its command tree cost more than the lint of a small file. Exactly
these two spellings skip it; they take no option, so what they do is the
default command's behaviour with its defaults. Everything else (options,
subcommands, help, no argument at all) goes through wslint.cli unchanged.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from typing import Any

# the subcommands and the words typer reads itself: a first argument among them is no path
_NOT_A_PATH = frozenset({"check", "init", "route", "probe", "rules", "apps", "explain"})


def _plain_paths(args: list[str]) -> bool:
    """Only paths, none spelled like an option, and no subcommand or shell completion asked for."""
    return (
        bool(args)
        and args[0] not in _NOT_A_PATH
        and not any(a.startswith("-") for a in args)
        and "_WSLINT_COMPLETE" not in os.environ
    )


def _check(paths: list[str]) -> None:
    """The default command with its defaults, leaving as the framework would on EOF, ^C and a closed pipe."""
    from wslint.check_command import lint_command

    try:
        lint_command(paths)
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
    if not _plain_paths(args):
        from wslint.cli import main as cli_main

        return cli_main(args)
    # as wslint.cli.main: no cyclic collection of the long-lived model, one line for a bug in wslint
    gc.disable()
    try:
        _check(args)
    except Exception as exc:
        if os.environ.get("WSLINT_DEBUG"):
            raise
        from wslint.check_command import internal_error

        internal_error(exc)
    return None
