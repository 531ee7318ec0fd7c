"""Timestamps of any Arrow type as the contract reads them: naive UTC, to the microsecond.

Text is ISO 8601 (`2026-11-01`, `2026-11-01T10:00:00+08:00`), parsed by pandas; native
timestamps (any unit, any zone) and dates are taken as they are. A value finer than a
microsecond is refused, never rounded or cut: cutting moved a voucher expiring 100 ns
after midnight to midnight, and so made it expired as of that day. Microseconds reach
from year 1 to 9999 and beyond, so `9999-12-31` ("open-ended") and `1600-01-01` are
moments like any other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.io.arrow import blocks, joined_masks, one_array

# A fraction of a second with more than 6 digits. Digits past the 6th that are all zero
# are dropped; any other is finer than the microseconds the engine keeps.
LONG_FRACTION = r"[.,][0-9]{7}"
FINER_THAN_MICROSECONDS = r"[.,][0-9]{6}[0-9]*[1-9]"
MICROSECONDS = pa.timestamp("us")


def timestamps(column: pa.ChunkedArray) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    """(naive-UTC datetime64[us] values, rows that are no timestamp, rows finer than a
    microsecond); the masks are None when no row is such. Values of flagged rows are NaT."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return _native(one_array(column))
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        column = column.cast(pa.string())
    parts = [_text(block) for block in blocks(one_array(column))]
    if len(parts) == 1:
        return parts[0]
    sizes = [len(values) for values, _, _ in parts]
    return (
        pd.Series(np.concatenate([values.to_numpy() for values, _, _ in parts])),
        joined_masks([bad for _, bad, _ in parts], sizes),
        joined_masks([finer for _, _, finer in parts], sizes),
    )


def _native(column: pa.Array) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    if pa.types.is_date(column.type):
        column = column.cast(pa.timestamp("s"))
    unit = column.type.unit
    ticks = np.asarray(column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False))
    imprecise = None
    if unit == "ns":
        finer = ticks % 1000 != 0
        imprecise = finer if finer.any() else None
        micros = ticks // 1000
    else:
        per = {"s": 1_000_000, "ms": 1000, "us": 1}[unit]
        micros = ticks * per
        # A moment too far for int64 microseconds (beyond 292,000 years) is no timestamp.
        limit = np.iinfo(np.int64).max // per
        far = np.abs(ticks) > limit
        if far.any():
            return _flagged(micros, column, far, None)
    return _flagged(micros, column, None, imprecise)


def _flagged(
    micros: np.ndarray, column: pa.Array, bad: np.ndarray | None, imprecise: np.ndarray | None
) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    missing = ~np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    for flagged in (bad, imprecise):
        if flagged is not None:
            missing = missing | flagged
    values = micros.astype("datetime64[us]")
    values[missing] = np.datetime64("NaT")
    return pd.Series(values), bad, imprecise


def _text(text: pa.Array) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    finer = np.zeros(len(text), dtype=bool)
    if pc.any(pc.match_substring_regex(text, LONG_FRACTION)).as_py():
        finer = np.asarray(
            pc.match_substring_regex(text, FINER_THAN_MICROSECONDS)
            .fill_null(False)
            .to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        # Past the 6th digit only zeros remain once the finer values are set aside: drop
        # them, so that every value parses to microseconds.
        text = pc.replace_substring_regex(text, r"([.,][0-9]{6})[0-9]+", r"\1")
        text = pc.if_else(pa.array(finer), None, text)
    parsed = pd.to_datetime(
        pd.Series(text.to_pandas(), dtype="str"), format="ISO8601", errors="coerce", utc=True
    )
    values = parsed.dt.tz_localize(None).astype("datetime64[us]")
    present = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    bad = present & values.isna().to_numpy()
    return (
        values,
        bad if bad.any() else None,
        finer if finer.any() else None,
    )
