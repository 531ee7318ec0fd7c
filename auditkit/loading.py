"""Read a data directory (CSV or Parquet per table), validate it with pandera, type it.

Raw frames keep what the user wrote: strings from CSV, and from Parquet the
native booleans, timestamps and integers (an integer money column means whole
currency units and is turned into cents here; other money arrives as text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from auditkit.errors import InputError, Problem
from auditkit.money import format_cents
from auditkit.schema import (
    MONEY_COLUMNS,
    TABLE_NAMES,
    TABLE_SPECS,
    UNIQUE_EXPECTED,
    ColumnSpec,
    Kind,
    bool_values,
    cents_column,
    money_cents,
    pandera_schema,
    row_rule_column,
    timestamp_values,
)

HEADER_ROWS = 1  # spreadsheet row of the header; data row i (0-based) is row i + 2
Progress = Callable[[str], None]


def spreadsheet_row(index: int) -> int:
    return int(index) + HEADER_ROWS + 1


@dataclass(frozen=True)
class Tables:
    """The four typed input tables. Money columns are int64 cents named `<column>_cents`."""

    accounts: pd.DataFrame
    orders: pd.DataFrame
    vouchers: pd.DataFrame
    requests: pd.DataFrame
    sources: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def replace(self, **frames: pd.DataFrame) -> Tables:
        return Tables(
            **{name: frames.get(name, self[name]) for name in TABLE_NAMES}, sources=self.sources
        )

    def row_counts(self) -> dict[str, int]:
        return {name: len(self[name]) for name in TABLE_NAMES}


# ---- finding and reading files -----------------------------------------------------


def find_table_files(data_dir: Path) -> dict[str, Path]:
    """Map each table to its one file; report missing tables and CSV/Parquet pairs."""
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
    for table in TABLE_NAMES:
        candidates = [data_dir / f"{table}.{ext}" for ext in ("csv", "parquet")]
        present = [p for p in candidates if p.is_file()]
        if not present:
            problems.append(
                Problem(
                    table,
                    None,
                    None,
                    None,
                    f"missing: expected {table}.csv or {table}.parquet in {data_dir}",
                )
            )
        elif len(present) == 2:
            problems.append(
                Problem(
                    table,
                    None,
                    None,
                    None,
                    f"both {table}.csv and {table}.parquet are present in {data_dir}; keep exactly one",
                )
            )
        else:
            found[table] = present[0]
    if problems:
        raise InputError(problems)
    return found


def read_raw(table: str, path: Path) -> pd.DataFrame:
    """Read one table file into a raw frame (see module docstring); unreadable files raise InputError."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise InputError(
            [
                Problem(
                    table, None, None, None, f"{path.name} is empty; expected at least a header row"
                )
            ]
        )
    if path.suffix == ".csv":
        return _read_csv(table, path)
    return _read_parquet(table, path)


def _read_csv(table: str, path: Path) -> pd.DataFrame:
    header = _csv_header(table, path)
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    parse = pa_csv.ParseOptions(newlines_in_values=True)
    try:
        arrow = pa_csv.read_csv(path, parse_options=parse, convert_options=options)
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise InputError([_locate_csv_defect(table, path, str(error))]) from None
    return arrow.to_pandas()


def _csv_header(table: str, path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            [
                Problem(
                    table,
                    None,
                    1,
                    None,
                    f"{path.name} is not UTF-8 text (header row); save it as UTF-8 CSV",
                )
            ]
        ) from None
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


def _locate_csv_defect(table: str, path: Path, arrow_message: str) -> Problem:
    """Find the first bad row with the (slow, exact) standard library parser."""
    raw = path.read_bytes()
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


def _read_parquet(table: str, path: Path) -> pd.DataFrame:
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(
            [
                Problem(
                    table, None, None, None, f"{path.name} is not a readable Parquet file ({error})"
                )
            ]
        ) from None
    specs = {spec.name: spec for spec in TABLE_SPECS[table]}
    columns: dict[str, pd.Series] = {}
    for name in arrow.column_names:
        chunked = arrow.column(name)
        spec = specs.get(name)
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


# ---- validation --------------------------------------------------------------------


def validate_raw(table: str, frame: pd.DataFrame) -> list[Problem]:
    """Every contract defect of one raw table, lazily collected by pandera."""
    schema = pandera_schema(table, list(frame.columns))
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return _problems_from(table, frame, errors.failure_cases)
    return []


def _problems_from(table: str, frame: pd.DataFrame, cases: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    specs = {spec.name: spec for spec in TABLE_SPECS[table]}
    for case in cases.to_dict("records"):  # failure cases only: small by construction
        check = str(case["check"])
        column = case["column"] if isinstance(case["column"], str) else None
        index = case["index"]
        row = spreadsheet_row(index) if pd.notna(index) else None
        if check == "column_in_dataframe":
            problems.append(
                Problem(
                    table,
                    str(case["failure_case"]),
                    1,
                    None,
                    "required column is missing from the header",
                )
            )
            continue
        if case["schema_context"] == "DataFrameSchema":
            column = row_rule_column(table, check)
            if column is None or row is None:
                problems.append(Problem(table, column, row, None, check))
                continue
            value = _as_written(frame[column], int(index), specs.get(column))
            problems.append(Problem(table, column, row, value, check))
            continue
        value = (
            _as_written(frame[column], int(index), specs.get(column))
            if row is not None and column in frame
            else case["failure_case"]
        )
        if check == "not_nullable":
            expected = "required value is empty"
            value = None
        elif check in ("field_uniqueness", UNIQUE_EXPECTED):
            expected = f"duplicate {column}; each {column} must appear only once"
        else:
            expected = f"expected {check}"
        spec = specs.get(column or "")
        if spec is not None and spec.kind is Kind.MONEY and check == "an amount >= 0.00":
            expected = "expected an amount >= 0.00"
        problems.append(Problem(table, column, row, value, expected))
    problems = list(dict.fromkeys(problems))
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    return problems


def _as_written(series: pd.Series, index: int, spec: ColumnSpec | None) -> object:
    """The value at `index` for a message, as the user wrote it.

    Parquet money read as integer cents is shown as a decimal again, and numpy scalars
    as plain Python values (4, not np.int64(4)).
    """
    value = series.iloc[index]
    if pd.isna(value):
        return None
    if spec is not None and spec.kind is Kind.MONEY and pd.api.types.is_integer_dtype(series.dtype):
        return format_cents(int(value))
    return value.item() if isinstance(value, np.generic) else value


# ---- conversion (only after validation passed) -------------------------------------


def extra_column(table: str, name: str) -> str:
    """Name under which an extra input column is kept in the typed frame.

    Extra columns keep their name unless it is one auditkit uses itself for the
    parsed money (`available_balance_cents`, ...): such a column is kept, untouched,
    as `input:<name>` so that it can never replace the amount the rules read.
    """
    reserved = {cents_column(money) for money in MONEY_COLUMNS[table]}
    return f"input:{name}" if name in reserved else name


def convert(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Typed frame: enums as categoricals, money as int64 cents, bools, naive-UTC timestamps."""
    out: dict[str, object] = {}
    for name in frame.columns:
        spec = next((s for s in TABLE_SPECS[table] if s.name == name), None)
        raw = frame[name]
        if spec is None:
            out[extra_column(table, name)] = raw
        elif spec.kind is Kind.MONEY:
            out[cents_column(name)] = money_cents(raw)[0]
        elif spec.kind is Kind.ENUM:
            out[name] = _enum_categorical(raw, spec.choices)
        elif spec.kind is Kind.BOOL:
            out[name] = bool_values(raw)[0]
        elif spec.kind is Kind.TIMESTAMP:
            out[name] = timestamp_values(raw).astype("datetime64[us]")
        elif spec.kind is Kind.INTEGER:
            out[name] = (
                pd.to_numeric(raw, errors="raise").astype("Int64")
                if raw.notna().any()
                else pd.array([pd.NA] * len(raw), dtype="Int64")
            )
        else:
            out[name] = raw.astype("str")
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _enum_categorical(raw: pd.Series, choices: tuple[str, ...]) -> pd.Categorical:
    """Categorical with the contract's categories, coded in Arrow (pandas hashes Python objects)."""
    array = pa.array(raw.astype("str"), type=pa.large_string(), from_pandas=True)
    codes = pc.index_in(array, value_set=pa.array(choices, type=pa.large_string()))
    codes = codes.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int8)
    return pd.Categorical.from_codes(codes, categories=list(choices))


def load_tables(data_dir: Path | str, progress: Progress | None = None) -> Tables:
    """Load, validate and type the four tables of `data_dir`; raise InputError listing all defects."""
    files = find_table_files(Path(data_dir))
    note = progress or (lambda _: None)
    raw: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    note("load")
    for table, path in files.items():
        try:
            raw[table] = read_raw(table, path)
        except InputError as error:
            problems += error.problems
    note("validate")
    for table, frame in raw.items():
        problems += validate_raw(table, frame)
    sources = {table: path.name for table, path in files.items()}
    if problems:
        raise InputError(problems, sources)
    typed = {table: convert(table, frame) for table, frame in raw.items()}
    return Tables(**typed, sources=files)


def tables_from_frames(frames: dict[str, pd.DataFrame]) -> Tables:
    """Validate and type in-memory raw frames (strings as in CSV), e.g. built in a notebook or test."""
    problems: list[Problem] = []
    for table in TABLE_NAMES:
        if table not in frames:
            problems.append(Problem(table, None, None, None, "table is missing"))
        else:
            problems += validate_raw(table, frames[table].reset_index(drop=True))
    if problems:
        raise InputError(problems)
    return Tables(**{t: convert(t, frames[t].reset_index(drop=True)) for t in TABLE_NAMES})


__all__ = [
    "Tables",
    "find_table_files",
    "load_tables",
    "read_raw",
    "tables_from_frames",
    "validate_raw",
]
