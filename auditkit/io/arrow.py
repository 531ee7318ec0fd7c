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


def text_array(values: pd.Series | pd.Index | Iterable[str]) -> pa.Array:
    """Values as one contiguous Arrow large_string array (nulls kept)."""
    if not isinstance(values, pd.Series | pd.Index):
        values = pd.Series(list(values), dtype="str")
    array = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def positions(keys: pd.Series, universe: pd.Series | pd.Index) -> np.ndarray:
    """Position of each key in `universe` (unique values), -1 where absent or null."""
    found = pc.index_in(text_array(keys), value_set=text_array(universe))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def is_in(values: pd.Series, universe: pd.Series | pd.Index | Iterable[str]) -> np.ndarray:
    """Per value, whether it occurs in `universe` (nulls are in nothing)."""
    found = pc.is_in(text_array(values), value_set=text_array(universe), skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
