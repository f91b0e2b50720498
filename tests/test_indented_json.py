"""The reports' JSON writer writes exactly what `json.dumps(value, indent=2, ensure_ascii=False)` writes."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wslint.findings import Severity
from wslint.formatters.indented_json import dumps


class Kind(StrEnum):
    a = "\u00e9-kind"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from([Severity.ERROR, Kind.a, -0.0, 1e300, '\u2028\x00"\\']),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        # keys json converts (numbers, None, booleans): left to json itself
        st.dictionaries(st.one_of(st.integers(), st.none(), st.booleans()), inner, max_size=2),
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_the_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_json_refuses_it_refuses_alike() -> None:
    for bad in ({"k": object()}, {"k": {1j}}):
        try:
            json.dumps(bad, indent=2, ensure_ascii=False)
        except TypeError as exc:
            expected = str(exc)
        try:
            dumps(bad)
        except TypeError as exc:
            assert str(exc) == expected
        else:
            raise AssertionError("accepted what json refuses")


class Level(IntEnum):
    low = 1


def test_a_report_shaped_document() -> None:
    doc = {"version": 1, "findings": [{"severity": Level.low, "message": "ü\n", "fix": None, "also": []}], "x": {}}
    assert dumps(doc) == json.dumps(doc, indent=2, ensure_ascii=False)
