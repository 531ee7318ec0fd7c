"""Text keys in Arrow: repeats and (key, moment) repeats against plain Python."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import auditkit.io.arrow as arrow
from auditkit.io.arrow import duplicated, fingerprints, key_codes, pair_duplicated

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


# Values of any length (past HASHED_BYTES too), with prefixes in common, the empty string,
# NUL bytes (a value and the same value with a NUL after it differ only by length) and
# non-ASCII text.
ANY_TEXT = st.one_of(
    st.none(),
    st.text(st.sampled_from(["a", "b", "\x00", "é"]), max_size=3),
    st.text("ab", min_size=60, max_size=70),
)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(ANY_TEXT, max_size=14),
    kind=st.sampled_from([pa.string(), pa.large_string(), pa.binary(), pa.large_binary()]),
    skip=st.integers(0, 3),
)
def test_duplicated_is_exact_on_any_text_type_and_slice(
    values: list[str | None], kind: pa.DataType, skip: int
) -> None:
    """A slice (its offsets start inside the buffer), binary and 32-bit offsets alike."""
    raw = [
        v
        if v is None or (not pa.types.is_binary(kind) and not pa.types.is_large_binary(kind))
        else v.encode()
        for v in values
    ]
    array = pa.array(raw, kind).slice(min(skip, len(raw)))
    shown = raw[min(skip, len(raw)) :]
    counts = Counter(v for v in shown if v is not None)
    expected = [i for i, v in enumerate(shown) if v is not None and counts[v] > 1]
    assert duplicated(array).tolist() == expected


def test_equal_values_hash_alike_and_a_collision_is_no_repeat(monkeypatch) -> None:
    values = pa.array(["ORD-1", "ORD-2", None, "ORD-1", "x" * 65], pa.large_string())
    hashes = fingerprints(values.slice(0, 4))
    assert hashes[0] == hashes[3] and hashes[0] != hashes[1]
    assert fingerprints(pa.array([1, 2])) is None
    # A value's hash is its own: the same in any array, block, offset or string type, long
    # values (past HASHED_BYTES, hashed apart) included; a Dask table's pieces rely on it.
    other = pa.array(["ab", "x" * 65, None, "ORD-1", "ORD-10" * 20], pa.string()).slice(1)
    assert fingerprints(values)[[0, 4]].tolist() == fingerprints(other)[[2, 0]].tolist()
    assert fingerprints(values)[0] != fingerprints(values, seed=np.uint64(7))[0]
    # Every hash the same: the exact coding decides, and unique values stay unique.
    monkeypatch.setattr(arrow, "fingerprints", lambda text: np.zeros(len(text), np.uint64))
    assert duplicated(pa.array(["b", "a", "c"], pa.large_string())).tolist() == []
    assert duplicated(pa.array(["b", "a", "b"], pa.large_string())).tolist() == [0, 2]


@pytest.mark.parametrize("rows", [arrow.HASH_BLOCK - 1, arrow.HASH_BLOCK + 3])
def test_duplicated_across_hash_blocks(rows: int) -> None:
    """Rows hashed in blocks: a repeat whose copies sit in different blocks is found."""
    ids = np.random.default_rng(5).permutation(rows).astype(str).astype(object)
    ids[-1] = ids[0]
    assert duplicated(pa.array(ids, pa.large_string())).tolist() == [0, rows - 1]
