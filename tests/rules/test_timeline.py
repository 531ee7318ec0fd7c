"""The point-in-time building blocks against their plain numpy definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.rules.features import parents
from auditkit.rules.timeline import by_key_then_moment, key_codes

rows = st.lists(st.tuples(st.integers(0, 6), st.integers(-3, 3)), min_size=0, max_size=60)


@settings(max_examples=300, deadline=None)
@given(rows=rows, grouped=st.booleans())
def test_order_by_key_then_moment_is_lexsort(rows, grouped):
    """Grouped in time order (the one-pass case) or shuffled (the sort), ties kept stable."""
    if grouped:
        rows = sorted(rows)
        # codes are numbered in order of first appearance, as dictionary_encode numbers them
    codes = np.array([c for c, _ in rows], dtype=np.int64)
    _, first = np.unique(codes, return_index=True)
    renumber = {code: rank for rank, code in enumerate(codes[np.sort(first)])}
    codes = np.array([renumber[c] for c in codes], dtype=np.int64)
    at = np.array([a for _, a in rows], dtype=np.int64)
    assert np.array_equal(by_key_then_moment(codes, at), np.lexsort((at, codes)))


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(st.sampled_from(["a", "ab", "b", "B", "é", "", "a\x00"]), max_size=40))
def test_key_codes_equal_text_equal_code_sorted_or_not(keys):
    """Sorted keys take the one-pass path, grouped ones (each key's rows together, in no
    order) the runs once their heads are unique, others the hash; all number codes the
    same way, whether the column is one chunk or many (a cached table's batches)."""
    groups = list(dict.fromkeys(reversed(keys)))
    grouped = [key for key in groups for _ in range(keys.count(key))]
    for order in (keys, sorted(keys), grouped):
        expected = pd.factorize(pd.Series(order, dtype="object"))[0]
        column = pd.Series(order, dtype="str")
        chunks = pa.chunked_array(
            [pa.array(order[i : i + 3], pa.large_string()) for i in range(0, len(order), 3)]
            or [pa.array([], pa.large_string())]
        )
        for series in (column, pd.Series(pd.arrays.ArrowStringArray(chunks))):
            assert np.array_equal(key_codes(series), expected)


def test_parents_finds_each_child_in_the_parent_table() -> None:
    children = pd.Series(["O3", "O1", None, "O9", "O3"], dtype="str")
    orders = pd.Series(["O1", "O2", "O3"], dtype="str")
    assert parents(children, orders).tolist() == [2, 0, -1, -1, 2]
    assert parents(children.iloc[:0], orders).tolist() == []
