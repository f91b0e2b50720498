"""`wslint ARGS` in a directory, run in this process: the exit code and what it prints.

The same command line interface as `python -m wslint` (typer's test runner
calls the same app), without starting Python and importing wslint again for
every call, which is most of the time of a test that runs the CLI hundreds of
times (the --fix tests). An exception is not turned into exit code 2 here:
it fails the test with its traceback.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from wslint.cli import app


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


def wslint_in(cwd: Path, *args: str) -> Completed:
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return Completed(result.exit_code, result.stdout, result.stderr)
