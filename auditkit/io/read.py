"""Find a data directory's table files and read each one into a raw frame.

A file is read from disk exactly once: its bytes are hashed (sha256, for the
manifest) and parsed from the same buffer, so the hash always describes the
data that was judged, even if the file is replaced while a run is going on.

Raw frames keep what the user wrote: strings from CSV; from Parquet the native
booleans, timestamps and integers (an integer money column means whole
currency units and becomes cents here; other money arrives as text).
"""

from __future__ import annotations

import csv
import hashlib
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from auditkit.contract import TABLE_NAMES, ColumnSpec, column_spec
from auditkit.errors import InputError, Problem
from auditkit.vocab import Kind

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class SourceFile:
    """One input file as it was read: where, how big, and the sha256 of the bytes parsed."""

    table: str
    path: Path
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class RawTable:
    """A raw frame and the file it came from."""

    frame: pd.DataFrame
    source: SourceFile


def find_table_files(
    data_dir: Path, required: tuple[str, ...] = TABLE_NAMES, optional: tuple[str, ...] = ()
) -> dict[str, Path]:
    """Map each table to its one file; report missing required tables and CSV/Parquet pairs."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            [
                Problem(
                    "(data directory)",
                    None,
                    None,
                    str(data_dir),
                    "a directory holding accounts, orders, vouchers and requests as .csv or .parquet",
                )
            ]
        )
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for table in (*required, *optional):
        present = [p for p in (data_dir / f"{table}.{ext}" for ext in FORMATS) if p.is_file()]
        if not present:
            if table in required:
                expected = f"missing: expected {table}.csv or {table}.parquet in {data_dir}"
                problems.append(Problem(table, None, None, None, expected))
        elif len(present) == 2:
            expected = (
                f"both {table}.csv and {table}.parquet are present in {data_dir}; keep exactly one"
            )
            problems.append(Problem(table, None, None, None, expected))
        else:
            found[table] = present[0]
    if problems:
        raise InputError(problems)
    return found


def read_files(files: dict[str, Path]) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read every file once, hashing its bytes on a second thread while it is parsed."""
    raw: dict[str, RawTable] = {}
    problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        # hashlib releases the GIL on large buffers, so hashing overlaps parsing.
        pending: list[tuple[str, Path, bytes, Future[str], pd.DataFrame | None]] = []
        for table, path in files.items():
            data = Path(path).read_bytes()
            digest = pool.submit(_sha256, data)
            try:
                frame: pd.DataFrame | None = parse(table, path, data)
            except InputError as error:
                problems += error.problems
                frame = None
            pending.append((table, Path(path), data, digest, frame))
        for table, path, data, digest, frame in pending:
            if frame is not None:
                source = SourceFile(table, path, len(data), digest.result())
                raw[table] = RawTable(frame, source)
    return raw, problems


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_raw(table: str, path: Path) -> pd.DataFrame:
    """Read one table file into a raw frame; unreadable files raise InputError."""
    path = Path(path)
    return parse(table, path, path.read_bytes())


def parse(table: str, path: Path, data: bytes) -> pd.DataFrame:
    """Parse the bytes of `path` (CSV or Parquet by its suffix) into a raw frame."""
    if len(data) == 0:
        expected = f"{path.name} is empty; expected at least a header row"
        raise InputError([Problem(table, None, None, None, expected)])
    if path.suffix == ".csv":
        return _read_csv(table, path, data)
    return _read_parquet(table, path, data)


# ---- CSV ---------------------------------------------------------------------------


def _read_csv(table: str, path: Path, data: bytes) -> pd.DataFrame:
    header = _csv_header(table, path, data)
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    parse_options = pa_csv.ParseOptions(newlines_in_values=True)
    try:
        arrow = pa_csv.read_csv(
            pa.BufferReader(data), parse_options=parse_options, convert_options=options
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise InputError([_locate_csv_defect(table, path, data, str(error))]) from None
    return arrow.to_pandas()


def _csv_header(table: str, path: Path, data: bytes) -> list[str]:
    first = data.split(b"\n", 1)[0]
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        expected = f"{path.name} is not UTF-8 text (header row); save it as UTF-8 CSV"
        raise InputError([Problem(table, None, 1, None, expected)]) from None
    header = next(csv.reader([line]), [])
    if not header or all(not name.strip() for name in header):
        raise InputError([Problem(table, None, 1, None, f"{path.name} has no header row")])
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputError(
            [
                Problem(
                    table, name, 1, None, f"column {name!r} appears more than once in the header"
                )
                for name in duplicated
            ]
        )
    return header


def _locate_csv_defect(table: str, path: Path, raw: bytes, arrow_message: str) -> Problem:
    """Find the first bad row with the (slow, exact) standard library parser."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = raw[: error.start].count(b"\n") + 1
        snippet = raw[max(0, error.start - 10) : error.start + 10]
        return Problem(
            table,
            None,
            row,
            snippet.decode("utf-8", "replace"),
            f"{path.name} is not valid UTF-8 (bad byte 0x{raw[error.start]:02x}); save it as UTF-8 CSV",
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    width = None
    for record in reader:
        if width is None:
            width = len(record)
            continue
        if len(record) != width:
            return Problem(
                table,
                None,
                reader.line_num,
                ",".join(record)[:80],
                f"expected {width} fields like the header, found {len(record)}",
            )
    return Problem(
        table, None, None, None, f"{path.name} could not be read as CSV: {arrow_message}"
    )


# ---- Parquet -----------------------------------------------------------------------


def _read_parquet(table: str, path: Path, data: bytes) -> pd.DataFrame:
    try:
        arrow = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        expected = f"{path.name} is not a readable Parquet file ({error})"
        raise InputError([Problem(table, None, None, None, expected)]) from None
    columns: dict[str, pd.Series] = {}
    for name in arrow.column_names:
        chunked = arrow.column(name)
        spec = column_spec(table, name)
        columns[name] = _parquet_column(chunked, spec) if spec else chunked.to_pandas()
    return pd.DataFrame(columns)


def _parquet_column(column: pa.ChunkedArray, spec: ColumnSpec) -> pd.Series:
    kind, arrow_type = spec.kind, column.type
    if pa.types.is_dictionary(arrow_type):
        column = column.cast(arrow_type.value_type)
        arrow_type = column.type
    if kind is Kind.MONEY and pa.types.is_integer(arrow_type):
        units = column.to_pandas().astype("Int64")
        return units * 100
    if kind is Kind.MONEY and pa.types.is_decimal128(arrow_type) and arrow_type.scale <= 2:
        cents = _decimal_cents(column)
        if cents is not None:
            return cents
    if kind is Kind.BOOL and pa.types.is_boolean(arrow_type):
        return column.to_pandas().astype("boolean")
    if kind is Kind.TIMESTAMP and (
        pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)
    ):
        return pd.to_datetime(column.to_pandas())
    if kind is Kind.INTEGER and pa.types.is_integer(arrow_type):
        return column.to_pandas().astype("Int64")
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return column.to_pandas()
    return column.cast(pa.string()).to_pandas()


def _decimal_cents(column: pa.ChunkedArray) -> pd.Series | None:
    """Exact cents from decimal128 with scale <= 2, read straight from the 128-bit values.

    Returns None when a value does not fit in 64 bits; the caller then falls back to
    the text path, which reports the value.
    """
    scale = 10 ** (2 - column.type.scale)
    parts: list[np.ndarray] = []
    valid: list[np.ndarray] = []
    for chunk in column.chunks:
        words = np.frombuffer(chunk.buffers()[1], dtype=np.int64).reshape(-1, 2)
        words = words[chunk.offset : chunk.offset + len(chunk)]
        low, high = words[:, 0], words[:, 1]
        present = chunk.is_valid().to_numpy(zero_copy_only=False)
        if not np.array_equal(high[present], low[present] >> 63):
            return None
        if np.abs(low[present]).max(initial=0) > 10**15 * 100 // scale:
            return None
        parts.append(low * scale)
        valid.append(present)
    values = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    mask = ~np.concatenate(valid) if valid else np.zeros(0, bool)
    return pd.Series(pd.arrays.IntegerArray(values, mask))
