"""Exact money: decimal strings with at most 2 places <-> integer cents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import MONEY_PATTERN


def _arrow_strings(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def parse_cents(values: pd.Series | pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Parse money strings; returns (cents as int64, mask of values that parsed).

    Nulls and malformed values get cents 0 and False in the mask.
    """
    parts = pc.extract_regex(_arrow_strings(values), MONEY_PATTERN)
    ok = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    # flatten() nulls the fields of unmatched rows; .field() would hand back their
    # placeholder "" and the int64 cast below would raise instead of reporting the value.
    sign, units, frac = parts.flatten()
    units = pc.cast(pc.fill_null(units, "0"), pa.int64())
    frac = pc.cast(pc.utf8_rpad(pc.fill_null(frac, ""), 2, "0"), pa.int64())
    cents = pc.add(pc.multiply(units, 100), frac).to_numpy(zero_copy_only=False)
    negative = np.asarray(pc.equal(sign, "-").fill_null(False).to_numpy(zero_copy_only=False))
    cents = np.where(negative, -cents, cents).astype(np.int64)
    return cents, ok


def format_cents(cents: pd.Series | np.ndarray | int) -> pd.Series | str:
    """Render cents as a decimal string with 2 places: -1250 -> '-12.50'."""
    if isinstance(cents, (int, np.integer)):
        sign = "-" if cents < 0 else ""
        units, frac = divmod(abs(int(cents)), 100)
        return f"{sign}{units}.{frac:02d}"
    series = pd.Series(cents)
    values = series.to_numpy(dtype=np.int64, na_value=0)
    absolute = np.abs(values)
    text = (
        pd.Series(np.where(values < 0, "-", ""), index=series.index, dtype="str")
        + pd.Series(absolute // 100, index=series.index).astype("str")
        + "."
        + pd.Series(absolute % 100, index=series.index).astype("str").str.zfill(2)
    )
    return text.where(series.notna())
