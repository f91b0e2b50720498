"""A sequence whose items are computed when first read.

Simulating every browser's handshake through every route is most of a large configuration's lint, and most
routes (a site's catch-all, its static files) are never asked for theirs: no rule judges a route without
WebSocket evidence. The items are still there for any rule, built-in or the user's, that reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

In = TypeVar("In")
Out = TypeVar("Out")


class LazySequence(Sequence[Out], Generic[In, Out]):
    """`tuple(make(x) for x in inputs)`, each item made on first use; equal to (and hashed as) that tuple."""

    __slots__ = ("_inputs", "_items", "_make")

    def __init__(self, make: Callable[[In], Out], inputs: Sequence[In]) -> None:
        self._make = make
        self._inputs = tuple(inputs)
        self._items: list[Out | None] = [None] * len(self._inputs)

    def __len__(self) -> int:
        return len(self._inputs)

    def _item(self, i: int) -> Out:
        found = self._items[i]
        if found is None:
            found = self._items[i] = self._make(self._inputs[i])
        return found

    @overload
    def __getitem__(self, index: int) -> Out: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Out, ...]: ...

    def __getitem__(self, index: int | slice) -> Out | tuple[Out, ...]:
        if isinstance(index, slice):
            return tuple(self._item(i) for i in range(len(self))[index])
        return self._item(range(len(self))[index])

    def __iter__(self) -> Iterator[Out]:
        return (self._item(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # a worker process sends its results back pickled: as the plain tuple, not the simulation it closes over
        return (tuple, (tuple(self),))
