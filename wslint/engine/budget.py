"""A time budget for evaluating a rule that a user wrote.

Jinja's sandbox keeps a rule from touching what it must not, not from taking
forever: `range()` is capped at 100,000 items, but two nested loops over it are
10^10 steps, and a loop body needs no function call that a check could hook.
So a user rule runs under an interval timer; when its budget for one
configuration is spent the timer's signal stops it wherever it is, and the
rule is reported as stopped while every other rule goes on. The timer needs
the main thread (signals are delivered there): anywhere else the budget is
not enforced, and the sandbox's own limits are what remains.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class BudgetSpent(Exception):
    """The rule ran past its time budget."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise BudgetSpent


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise BudgetSpent inside the block once `seconds` have passed (None: no budget)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
