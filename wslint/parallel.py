"""Linting many configurations on all cores.

Each configuration is independent until the results are merged, so a tree of
many files is split over processes. This process takes one share and forks one
child for each other share: a child inherits the loaded rules and options
instead of re-importing and re-reading them, and sends its results back through
a pipe once, pickled. That costs about as much as a fork, far less than a pool
(no import of multiprocessing, no task queue, no result per message), which is
what lets a few dozen small files pay for a second process. Where fork is not
the platform's safe default (macOS, Windows), the work runs in this process.
Results come back in input order, so the merged output is the same whatever the
number of processes; whatever a child did not send back (it raised, could not
pickle a result, or died) is done again here, so an error surfaces as it would
in one process.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# What `--jobs 0` weighs: a second process pays off only when the work is more than its cost (a fork,
# the child's copy-on-write of the pages it touches, pickling its results back). Work is counted in bytes
# of configuration, with each file worth FILE_BYTES on top for what a lint costs whatever its size (loading,
# the rules' pass): a handful of one-server files is less work than a fork, fifty of them or one 2 MB file
# are more.
FILE_BYTES = 4096
MIN_WORK_BYTES = 96 << 10


def work_of(sizes: Sequence[int]) -> int:
    """The amount of work `--jobs 0` weighs for files of these sizes in bytes."""
    return sum(sizes) + FILE_BYTES * len(sizes)


def worker_count(requested: int, sizes: Sequence[int]) -> int:
    """How many processes to use for files of these sizes: `requested` (0 = decide by the amount of work),
    never more than there are files."""
    inputs = len(sizes)
    if requested == 1 or inputs < 2 or not sys.platform.startswith("linux"):
        return 1
    if requested > 1:
        return min(requested, inputs)
    if work_of(sizes) < MIN_WORK_BYTES:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), inputs))


def shares(weights: Sequence[int], count: int) -> list[list[int]]:
    """Indices of `weights` split into `count` shares of about equal weight, each in input order.

    The heaviest item goes to the lightest share first, so one big file does not leave a
    process idle while another works through it and half the small ones."""
    loads = [0] * count
    out: list[list[int]] = [[] for _ in range(count)]
    for index in sorted(range(len(weights)), key=lambda i: -weights[i]):
        lightest = loads.index(min(loads))
        out[lightest].append(index)
        loads[lightest] += weights[index]
    return [sorted(share) for share in out if share]


def map_ordered(
    function: Callable[[T], R], items: Sequence[T], workers: int, weights: Sequence[int] | None = None
) -> list[R]:
    """[function(x) for x in items], on `workers` processes when more than one (`weights`: each item's
    expected cost, for splitting the work evenly; equal when not given)."""
    if workers <= 1 or len(items) < 2:
        return [function(x) for x in items]
    weights = weights if weights is not None else [1] * len(items)
    split = shares(weights, min(workers, len(items)))
    mine, theirs = split[0], split[1:]
    results: dict[int, R] = {}
    if len(mine) > 1:
        # this share's lightest item is done before the fork: what the first lint loads (an adapter's
        # modules, the rules' code) is then loaded once for all processes instead of once in each
        first = min(mine, key=lambda i: weights[i])
        results[first] = function(items[first])
    # a child inherits unwritten output: write it now, or the child would write it again
    sys.stdout.flush()
    sys.stderr.flush()
    children = [_fork(function, items, share) for share in theirs]
    try:
        for index in mine:
            if index not in results:
                results[index] = function(items[index])
        for child in children:
            results.update(_collect(child))
    finally:
        for child in children:
            _stop(child)
    # what a child did not bring back is done here: an error is raised as one process would raise it
    return [results[i] if i in results else function(items[i]) for i in range(len(items))]


class _Child:
    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader
        self.reaped = False


def _fork(function: Callable[[T], R], items: Sequence[T], share: list[int]) -> _Child:
    import pickle  # only a run that forks pays for it

    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return _Child(pid, reader)
    # the child: never returns into the caller's code, whatever happens
    try:
        os.close(reader)
        done: list[tuple[int, Any]] = []
        try:
            for index in share:
                done.append((index, function(items[index])))
        except Exception:
            pass  # the parent does this item again and raises its error itself
        try:
            data = pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            # a result that does not pickle: the parent does the whole share itself
            data = pickle.dumps([], protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(data)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


def _collect(child: _Child) -> list[tuple[int, Any]]:
    """The results a child sent: none when it died before sending them all."""
    import pickle

    with os.fdopen(child.reader, "rb") as pipe:
        data = pipe.read()
    child.reader = -1
    os.waitpid(child.pid, 0)
    child.reaped = True
    try:
        return list(pickle.loads(data)) if data else []
    except Exception:
        return []  # a truncated message: the parent does the share itself


def _stop(child: _Child) -> None:
    """Ends a child that is still running (this process raised while it worked) and releases its pipe."""
    import signal

    if child.reader >= 0:
        os.close(child.reader)
        child.reader = -1
    if not child.reaped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
        os.waitpid(child.pid, 0)
        child.reaped = True
