"""wslint.lazy.LazySequence: items made on first read, and otherwise the tuple they would form."""

from __future__ import annotations

import pickle

from wslint.lazy import LazySequence


def test_items_are_made_once_and_only_when_read() -> None:
    made: list[int] = []

    def square(x: int) -> int:
        made.append(x)
        return x * x

    seq = LazySequence(square, [1, 2, 3])
    assert len(seq) == 3 and made == []
    assert seq[-1] == 9 and made == [3]
    assert seq[0] == 1 and seq[0] == 1 and made == [3, 1]
    assert seq[1:] == (4, 9) and made == [3, 1, 2]


def test_it_compares_hashes_and_pickles_as_its_tuple() -> None:
    seq = LazySequence(str, [1, 2])
    assert seq == ("1", "2") and seq == ["1", "2"] and seq != ("1",)
    assert hash(seq) == hash(("1", "2"))
    assert list(seq) == ["1", "2"] and repr(seq) == "('1', '2')"
    # a worker process sends results back pickled: the copy is the plain tuple, not the closure
    assert pickle.loads(pickle.dumps(seq)) == ("1", "2")
    assert type(pickle.loads(pickle.dumps(LazySequence(lambda x: x, [1])))) is tuple


def test_an_index_out_of_range_is_an_index_error() -> None:
    seq = LazySequence(str, [1])
    try:
        seq[1]
    except IndexError:
        pass
    else:
        raise AssertionError("seq[1] on one item did not raise IndexError")
