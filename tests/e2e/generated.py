"""Generated inputs for the differential tests, drawn up front so that one proxy process can serve many.

A differential test that starts a proxy per generated layout spends most of
its time starting and stopping the proxy. Drawing the layouts first (the same
hypothesis strategies, derandomized: the same layouts on every run) lets the
test serve a batch of them from one process on distinct ports and compare
each one on its own. Nothing is shrunk (it never was: every shrinking step
would restart the proxy); a failure names the layouts it concerns.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

T = TypeVar("T")


def draw_examples(strategy: st.SearchStrategy[T], count: int, name: str) -> list[T]:
    """`count` examples of `strategy` (fewer only if hypothesis runs out of distinct ones), the same every run.

    `name` (the test's) picks the seed, so that two tests drawing from one strategy get different examples.
    """
    drawn: list[T] = []

    @seed(zlib.crc32(name.encode()))
    @settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=count,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(strategy)
    def collect(example: T) -> None:
        drawn.append(example)

    collect()
    return drawn


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
