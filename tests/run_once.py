"""Something a test session builds once (a venv, a wheel), shared by the pytest-xdist workers.

Each worker is its own process with its own session fixtures: without this,
every worker that runs a test needing the installed wheel would build it
again. The first worker to ask builds it in the run's shared temporary
directory; the others wait for it (bounded) and get the same value, or the
same error. Without xdist it is an ordinary build.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

WAIT = 900.0  # seconds a worker waits for another one's build (the build's own steps are bounded)


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], T]) -> T:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return build(tmp_path_factory.mktemp(name))
    # the workers' base temporary directories are children of the run's
    base = tmp_path_factory.getbasetemp().parent / f"shared-{name}"
    done = base / "result.pickle"
    try:
        base.mkdir()
    except FileExistsError:
        deadline = time.monotonic() + WAIT
        while not done.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"another worker did not finish building {name} in {WAIT:.0f}s") from None
            time.sleep(0.2)
        outcome = pickle.loads(done.read_bytes())
        if isinstance(outcome, BaseException):
            raise RuntimeError(f"building {name} failed in another worker") from outcome
        return outcome  # type: ignore[no-any-return]
    try:
        value: T | BaseException = build(base / "build")
    except BaseException as exc:
        value = exc
    try:
        data = pickle.dumps(value)
    except Exception:
        data = pickle.dumps(RuntimeError(repr(value)))
    tmp = done.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, done)
    if isinstance(value, BaseException):
        raise value
    return value
