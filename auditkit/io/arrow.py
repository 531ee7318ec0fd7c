"""Text keys hashed in Arrow: membership and positions over millions of rows.

pandas' `isin` on Arrow-backed strings walks its argument in Python; these
helpers hand both sides to Arrow's hash kernels instead.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def one_array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array: its only chunk as it is (Arrow's `combine_chunks` copies
    even one), several chunks joined."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


PARSE_BLOCK = 1 << 20  # text parsed at a time: its temporaries stay near 100 MB


def blocks(array: pa.Array) -> list[pa.Array]:
    """`array` in slices of PARSE_BLOCK rows (no copy), for parsing text block by block:
    parsing 6M amounts or moments at once held 0.4-0.6 GB of temporaries."""
    return [array.slice(first, PARSE_BLOCK) for first in range(0, len(array), PARSE_BLOCK)] or [
        array
    ]


def joined_masks(masks: list[np.ndarray | None], sizes: list[int]) -> np.ndarray | None:
    """The masks of consecutive blocks as one (a block's None: no row set); None when none."""
    if all(mask is None for mask in masks):
        return None
    return np.concatenate(
        [np.zeros(n, bool) if mask is None else mask for mask, n in zip(masks, sizes, strict=True)]
    )


def text_array(values: pd.Series | pd.Index | Iterable[str]) -> pa.Array:
    """Values as one contiguous Arrow large_string array (nulls kept)."""
    if not isinstance(values, pd.Series | pd.Index):
        values = pd.Series(list(values), dtype="str")
    array = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    return one_array(array) if isinstance(array, pa.ChunkedArray) else array


def positions(keys: pd.Series, universe: pd.Series | pd.Index) -> np.ndarray:
    """Position of each key in `universe` (unique values), -1 where absent or null."""
    found = pc.index_in(text_array(keys), value_set=text_array(universe))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def is_in(values: pd.Series, universe: pd.Series | pd.Index | Iterable[str]) -> np.ndarray:
    """Per value, whether it occurs in `universe` (nulls are in nothing)."""
    found = pc.is_in(text_array(values), value_set=text_array(universe), skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def increasing(text: pa.Array, strictly: bool = True) -> bool:
    """Whether the values (no nulls) are in ascending order, strictly or not: keys stored in
    key order, as extracts usually are, need no hashing to be checked."""
    n = len(text)
    if n < 2:
        return True
    compare = pc.less if strictly else pc.less_equal
    return pc.all(compare(text.slice(0, n - 1), text.slice(1))).as_py() is not False


def key_codes(text: pa.Array) -> tuple[np.ndarray, int]:
    """(int64 code per value, number of distinct values): equal text, equal code; nulls -1.

    Keys stored in ascending order are coded by comparing neighbours, without hashing;
    others by Arrow's dictionary encoding.
    """
    if not text.null_count and increasing(text, strictly=False):
        n = len(text)
        if n == 0:
            return np.zeros(0, np.int64), 0
        changes = pc.not_equal(text.slice(0, n - 1), text.slice(1))
        codes = np.concatenate(
            [[0], np.cumsum(changes.to_numpy(zero_copy_only=False), dtype=np.int64)]
        )
        return codes, int(codes[-1]) + 1
    encoded = text.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, len(encoded.dictionary)


def duplicated(text: pa.Array) -> np.ndarray:
    """Positions (ascending) of the non-null values that occur more than once.

    Ascending keys are unique at a glance. Otherwise each value's bytes are hashed to 64
    bits and the hashes sorted: no two equal, no two values equal. Only a column where two
    hashes meet (a repeat, or a collision) is coded exactly to find the repeats. Hashing
    holds 16 bytes a row where Arrow's hash table of every distinct value held about 110
    (680 MB for 6M order ids, most of a 1M-request run's peak).
    """
    present = len(text) - text.null_count
    if present < 2 or (not text.null_count and increasing(text)):
        return np.zeros(0, np.int64)
    hashes = fingerprints(text)
    if hashes is not None:
        if text.null_count:
            hashes = hashes[np.asarray(text.is_valid().to_numpy(zero_copy_only=False), bool)]
        hashes.sort()
        if not (hashes[1:] == hashes[:-1]).any():
            return np.zeros(0, np.int64)
    elif len(pc.unique(text)) - (1 if text.null_count else 0) == present:
        return np.zeros(0, np.int64)
    codes, count = key_codes(text)
    valid = codes >= 0
    counts = np.bincount(codes[valid], minlength=count)
    return np.flatnonzero(valid & (counts[np.maximum(codes, 0)] > 1))


FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
HASHED_BYTES = 64  # values up to this long are hashed in blocks; longer ones on their own
HASH_BLOCK = 1 << 20  # rows hashed at a time, so that the temporaries stay small


def fingerprints(text: pa.Array, seed: np.uint64 = FNV_OFFSET) -> np.ndarray | None:
    """A 64-bit FNV-1a hash of each value's bytes, its offset basis `seed` xor the value's
    length (equal values, equal hashes; a null's is meaningless), or None when the array
    is not plain text or binary.

    A value's hash depends on its bytes and `seed` alone, never on the array or block it
    is in, so hashes of different arrays (a Dask table's pieces) can be compared. Computed
    one byte position at a time over a block of rows, never a row at a time; values
    longer than HASHED_BYTES (rare for ids) are hashed together over their own length.
    """
    kind = text.type
    if not (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    ):
        return None
    wide = pa.types.is_large_string(kind) or pa.types.is_large_binary(kind)
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[text.offset : text.offset + len(text) + 1].astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] else np.zeros(0, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    hashes = np.empty(len(text), dtype=np.uint64)
    long = np.flatnonzero(lengths > HASHED_BYTES)
    if len(long):
        hashes[long] = _fnv(data, starts[long], lengths[long], seed)
        lengths = np.where(lengths > HASHED_BYTES, 0, lengths)  # the short pass skips them
    # Reads past a value's end (masked out) land in the padding.
    padded = np.concatenate([data, np.zeros(HASHED_BYTES, np.uint8)])
    for first in range(0, len(text), HASH_BLOCK):
        rows = slice(first, first + HASH_BLOCK)
        block = _fnv(padded, starts[rows], lengths[rows], seed)
        keep = long[(long >= first) & (long < first + HASH_BLOCK)]
        block[keep - first] = hashes[keep]
        hashes[rows] = block
    return hashes


def _fnv(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, seed: np.uint64) -> np.ndarray:
    """FNV-1a over each (start, length) span of `data`, byte position by byte position: a
    span contributes nothing past its own end, so the result does not depend on the
    other spans'; `data` must hold a byte at start + position for every position below
    the longest length."""
    hashes = lengths.astype(np.uint64) ^ seed
    shortest = int(lengths.min(initial=0))
    with np.errstate(over="ignore"):
        for position in range(shortest):  # inside every span: no mask
            hashes ^= data[starts + position]
            hashes *= FNV_PRIME
        for position in range(shortest, int(lengths.max(initial=0))):
            inside = lengths > position
            byte = data[np.where(inside, starts + position, 0)].astype(np.uint64)
            hashes = np.where(inside, (hashes ^ byte) * FNV_PRIME, hashes)
    return hashes


def pair_duplicated(codes: np.ndarray, moments: np.ndarray, comparable: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the comparable rows whose (key code, moment) pair repeats.

    Rows grouped by key in time order (as histories are written) are checked in one
    pass; otherwise the pairs are sorted on one 64-bit mix of both and neighbours
    compared exactly, so a collision of the mix never counts as a repeat.
    """
    n = len(codes)
    if n < 2:
        return np.zeros(0, np.int64)
    if comparable.all():
        step = np.diff(codes)
        if (step >= 0).all() and ((step > 0) | (np.diff(moments) > 0)).all():
            return np.zeros(0, np.int64)
    rows = np.flatnonzero(comparable)
    key, moment = codes[rows], moments[rows]
    with np.errstate(over="ignore"):
        mix = key.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ moment.view(np.uint64)
    order = np.argsort(mix, kind="stable")
    mixed, key, moment = mix[order], key[order], moment[order]
    same_mix = mixed[1:] == mixed[:-1]
    if not same_mix.any():
        return np.zeros(0, np.int64)
    # Equal mixes are neighbours; equal pairs have equal mixes. Within a run of equal mixes,
    # pairs are compared with every other of the run by sorting the run's rows exactly.
    candidates = np.flatnonzero(np.r_[same_mix, False] | np.r_[False, same_mix])
    exact = np.lexsort((moment[candidates], key[candidates]))
    picked = candidates[exact]
    same = (key[picked][1:] == key[picked][:-1]) & (moment[picked][1:] == moment[picked][:-1])
    repeated = np.zeros(len(picked), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return np.sort(rows[order[picked[repeated]]])
