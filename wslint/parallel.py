"""Linting many configurations on all cores.

Each configuration is independent until the results are merged, so a tree of
hundreds of files is split over worker processes. Workers are forked: they
inherit the loaded rules and options instead of re-importing and re-reading
them, which is what makes a pool pay off on a few dozen files. Where fork is
not the platform's safe default (macOS, Windows), the work runs in this
process. Results come back in input order, so the merged output is the same
whatever the number of workers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

# What `--jobs 0` weighs: a pool pays off only when the work is more than its start-up and the results'
# way back (a worker's fork, imports already done, plus pickling every outcome). Work is counted in bytes
# of configuration, with each file worth FILE_BYTES on top for what a lint costs whatever its size (loading,
# the rules' pass): fifty one-server files are less work than a pool's overhead, one 2 MB file is not.
FILE_BYTES = 4096
MIN_WORK_BYTES = 1 << 20


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


class _Job:
    """What a forked worker reads from its parent's memory: set just before the fork."""

    current: _Job | None = None

    def __init__(self, function: Callable[[Any], Any], items: Sequence[Any]) -> None:
        self.function = function
        self.items = items


def _call(index: int) -> Any:
    job = _Job.current
    assert job is not None, "a worker runs only inside map_ordered"
    return job.function(job.items[index])


def map_ordered(function: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """[function(x) for x in items], on `workers` forked processes when more than one."""
    if workers <= 1 or len(items) < 2:
        return [function(x) for x in items]
    import multiprocessing  # only a run that forks pays for it

    _Job.current = _Job(function, items)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            # small chunks keep the load even when a few files are much bigger than the rest
            return cast(list[R], pool.map(_call, range(len(items)), chunksize=1))
    finally:
        _Job.current = None
