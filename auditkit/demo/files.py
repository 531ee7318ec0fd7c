"""Writing a demo data set: CSV text as a user would write it, or Parquet with native types."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from auditkit.io.write import staged_files


def _decimal_from_cents(cents: np.ndarray) -> pa.Array:
    """Exact decimal128(18, 2) from int64 cents: the unscaled value *is* the cents."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension to 128 bits
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def arrow_table(frame: pd.DataFrame, for_csv: bool) -> pa.Table:
    """A raw demo frame as Arrow: money as decimals, timestamps, booleans; as text for CSV."""
    columns: dict[str, pa.Array] = {}
    for name in frame.columns:
        series = frame[name]
        if name.endswith("_cents"):
            decimal = _decimal_from_cents(series.to_numpy())
            columns[name.removesuffix("_cents")] = decimal.cast(pa.string()) if for_csv else decimal
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            stamps = pa.array(
                series.astype("datetime64[s]"), type=pa.timestamp("s"), from_pandas=True
            )
            columns[name] = pc.strftime(stamps, "%Y-%m-%dT%H:%M:%S") if for_csv else stamps
        elif series.dtype == bool:
            array = pa.array(series.to_numpy())
            columns[name] = pc.if_else(array, "true", "false") if for_csv else array
        else:
            columns[name] = pa.array(series.astype("str"), type=pa.string(), from_pandas=True)
    return pa.table(columns)


def as_csv_text(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The raw frames as the strings a CSV file would hold."""
    return {name: arrow_table(frame, for_csv=True).to_pandas() for name, frame in raw.items()}


def write(tables: dict[str, pd.DataFrame], out: Path, fmt: str = "csv") -> dict[str, Path]:
    """Write each table as out/NAME.csv or out/NAME.parquet, atomically as a whole."""
    out = Path(out)
    written: dict[str, Path] = {}
    other = "parquet" if fmt == "csv" else "csv"
    with staged_files(out) as staging:
        for name, frame in tables.items():
            table = arrow_table(frame, for_csv=fmt == "csv")
            path = staging / f"{name}.{fmt}"
            if fmt == "csv":
                pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
            else:
                pq.write_table(table, path)
            written[name] = out / path.name
    for name in tables:
        # A leftover file of the other format would make the directory ambiguous.
        (out / f"{name}.{other}").unlink(missing_ok=True)
    return written
