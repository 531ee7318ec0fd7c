"""Typed input tables: load a data directory (read once, validate, convert) or in-memory frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import MONEY_COLUMNS, TABLE_NAMES, cents_column, column_spec
from auditkit.errors import InputError, Problem, Unlisted
from auditkit.io.read import SourceFile, find_table_files, read_files
from auditkit.io.validate import bool_values, money_cents, timestamp_values, validate_raw
from auditkit.vocab import Kind

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Tables:
    """The four typed input tables. Money columns are int64 cents named `<column>_cents`.

    `sources` describes the file each table was read from (empty for frames built
    in memory); its sha256 is of the very bytes that were parsed.
    """

    accounts: pd.DataFrame
    orders: pd.DataFrame
    vouchers: pd.DataFrame
    requests: pd.DataFrame
    sources: dict[str, SourceFile] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def replace(self, **frames: pd.DataFrame) -> Tables:
        return Tables(
            **{name: frames.get(name, self[name]) for name in TABLE_NAMES}, sources=self.sources
        )

    def row_counts(self) -> dict[str, int]:
        return {name: len(self[name]) for name in TABLE_NAMES}


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
        spec = column_spec(table, name)
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


# ---- entry points ------------------------------------------------------------------


def load_tables(data_dir: Path | str, progress: Progress | None = None) -> Tables:
    """Load, validate and type the four tables of `data_dir`; raise InputError listing all defects."""
    files = find_table_files(Path(data_dir))
    note = progress or (lambda _: None)
    note("load")
    raw, problems = read_files(files)
    note("validate")
    unlisted: list[Unlisted] = []
    for table, read in raw.items():
        found, more = validate_raw(table, read.frame, read.rows)
        problems += found
        unlisted += more
    if problems:
        raise InputError(problems, {table: path.name for table, path in files.items()}, unlisted)
    typed = {table: convert(table, read.frame) for table, read in raw.items()}
    return Tables(**typed, sources={table: read.source for table, read in raw.items()})


def tables_from_frames(frames: dict[str, pd.DataFrame]) -> Tables:
    """Validate and type in-memory raw frames (strings as in CSV), e.g. built in a notebook or test."""
    problems: list[Problem] = []
    unlisted: list[Unlisted] = []
    for table in TABLE_NAMES:
        if table not in frames:
            problems.append(Problem(table, None, None, None, "table is missing"))
        else:
            found, more = validate_raw(table, frames[table].reset_index(drop=True))
            problems += found
            unlisted += more
    if problems:
        raise InputError(problems, unlisted=unlisted)
    return Tables(**{t: convert(t, frames[t].reset_index(drop=True)) for t in TABLE_NAMES})
