"""Writing result tables: atomic, spreadsheet-safe CSV or Parquet."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "parquet")


@contextlib.contextmanager
def staged_files(out: Path, last: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a staging folder inside `out`; on success move its files over `out`'s, else discard.

    Every file is complete before it is moved and each move is an atomic rename,
    so a failed run leaves the previous files untouched. Files named in `last`
    (a manifest) are removed first and moved in after all others: if a crash
    interrupts the moves, no manifest claims the mixed set of files.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".auditkit-staging-", dir=out))
    try:
        yield staging
        staged = sorted(staging.iterdir(), key=lambda path: (path.name in last, path.name))
        blocked = [out / p.name for p in staged if (out / p.name).is_dir()]
        if blocked:
            raise IsADirectoryError(f"cannot replace {blocked[0]}: it is a directory")
        for name in last:
            (out / name).unlink(missing_ok=True)
        for path in staged:
            os.replace(path, out / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def spreadsheet_safe(values: pd.Series) -> pd.Series:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories.to_series().astype("str")
        return values.cat.rename_categories(_defuse(categories).to_numpy())
    if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        return _defuse(values.astype("str"))
    return values


def _defuse(text: pd.Series) -> pd.Series:
    risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
    return text.where(~risky, "'" + text)


def _arrow(frame: pd.DataFrame, as_text: bool) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if not as_text:
        # With no rows, a text categorical may arrive with null-typed values; keep it text
        # so that the Parquet schema does not depend on whether there were requests.
        columns = [
            column.cast(pa.dictionary(column.type.index_type, pa.string()))
            if pa.types.is_dictionary(column.type) and pa.types.is_null(column.type.value_type)
            else column
            for column in table.columns
        ]
        return pa.table(columns, names=table.column_names)
    columns = [
        column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def write_frame(frame: pd.DataFrame | pa.Table, path: Path) -> None:
    """Write one frame as CSV (text, safe for spreadsheets) or Parquet, by the file suffix.

    Parquet also takes an Arrow table as it is; CSV needs a DataFrame.
    """
    if path.suffix == ".csv":
        safe = frame.apply(spreadsheet_safe)
        pa_csv.write_csv(
            _arrow(safe, as_text=True), path, pa_csv.WriteOptions(quoting_style="needed")
        )
    else:
        # One row group with room for large dictionaries: results repeat each request
        # 13 times, and per-row-group dictionaries made writing 13M rows 3-4x slower.
        table = frame if isinstance(frame, pa.Table) else _arrow(frame, as_text=False)
        pq.write_table(
            table,
            path,
            row_group_size=max(table.num_rows, 1),
            dictionary_pagesize_limit=512 << 20,
        )


def write_tables(
    frames: dict[str, pd.DataFrame | pa.Table],
    out: Path,
    fmt: str = "csv",
    documents: dict[str, object] | None = None,
) -> dict[str, Path]:
    """Write NAME.fmt for each frame and NAME for each JSON document into `out`, all or nothing."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    documents = documents or {}
    with staged_files(out, last=tuple(documents)) as staging:
        for name, frame in frames.items():
            write_frame(frame, staging / f"{name}.{fmt}")
        for name, document in documents.items():
            (staging / name).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    for name in frames:
        for other in FORMATS:
            # Results of an earlier run in the other format would sit beside the new
            # manifest without being described by it.
            if other != fmt:
                (Path(out) / f"{name}.{other}").unlink(missing_ok=True)
    written = {name: Path(out) / f"{name}.{fmt}" for name in frames}
    return written | {name: Path(out) / name for name in documents}
