"""Text keys in Arrow: repeats and (key, moment) repeats against plain Python."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.io.arrow import duplicated, key_codes, pair_duplicated

KEYS = st.lists(st.one_of(st.none(), st.text("abc", min_size=1, max_size=2)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(values=KEYS, ordered=st.booleans())
def test_duplicated_finds_every_repeated_value(values: list[str | None], ordered: bool) -> None:
    if ordered:
        values = sorted(v for v in values if v is not None)
    counts = Counter(v for v in values if v is not None)
    expected = [i for i, v in enumerate(values) if v is not None and counts[v] > 1]
    assert duplicated(pa.array(values, pa.large_string())).tolist() == expected
    codes, count = key_codes(pa.array(values, pa.string()))
    assert count == len(counts)
    for i, v in enumerate(values):
        same = [j for j, w in enumerate(values) if w == v]
        assert (codes[same] == codes[i]).all() and (codes[i] < 0) == (v is None)


@settings(max_examples=150, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 2), st.booleans()), max_size=12),
    grouped=st.booleans(),
)
def test_pair_duplicated_finds_every_repeated_pair(
    pairs: list[tuple[int, int, bool]], grouped: bool
) -> None:
    if grouped:
        pairs = sorted(pairs)
    codes = np.array([p[0] for p in pairs], dtype=np.int64)
    # Far moments too: the mix of code and moment must never count a collision as a repeat.
    moments = np.array([p[1] * 2**61 + p[0] for p in pairs], dtype=np.int64)
    comparable = np.array([p[2] for p in pairs], dtype=bool)
    counts = Counter((c, m) for c, m, ok in zip(codes, moments, comparable, strict=True) if ok)
    expected = [i for i in range(len(pairs)) if comparable[i] and counts[codes[i], moments[i]] > 1]
    assert pair_duplicated(codes, moments, comparable).tolist() == expected
