"""Typed input tables: load a data directory (read once, validate, convert) or in-memory frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import (
    ALL_TABLES,
    EVENTS,
    HISTORY_TABLES,
    MONEY_COLUMNS,
    TABLE_NAMES,
    TABLE_SPECS,
    cents_column,
    column_spec,
)
from auditkit.errors import InputError, Problem, Unlisted
from auditkit.io.arrow import is_in
from auditkit.io.read import SourceFile, find_table_files, read_files
from auditkit.io.validate import (
    MAX_EXAMPLES,
    bool_values,
    money_cents,
    spreadsheet_row,
    timestamp_values,
    validate_raw,
)
from auditkit.progress import Progress
from auditkit.vocab import Kind


@dataclass(frozen=True)
class Tables:
    """The typed input tables. Money columns are int64 cents named `<column>_cents`.

    The four v1 tables are always there; the history tables of contract v1.1
    section 4 (`account_history`, `order_events`, `voucher_events`) are None
    when the data directory has none. `sources` describes the file each table
    was read from (empty for frames built in memory); its sha256 is of the
    very bytes that were parsed.
    """

    accounts: pd.DataFrame
    orders: pd.DataFrame
    vouchers: pd.DataFrame
    requests: pd.DataFrame
    sources: dict[str, SourceFile] = field(default_factory=dict)
    account_history: pd.DataFrame | None = None
    order_events: pd.DataFrame | None = None
    voucher_events: pd.DataFrame | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    @property
    def names(self) -> tuple[str, ...]:
        """The tables present: the four v1 tables, then the history tables there are."""
        return tuple(name for name in ALL_TABLES if self[name] is not None)

    @property
    def has_history(self) -> bool:
        return all(self[name] is not None for name in HISTORY_TABLES)

    def replace(self, **frames: pd.DataFrame | None) -> Tables:
        return Tables(
            **{name: frames.get(name, self[name]) for name in ALL_TABLES}, sources=self.sources
        )

    def row_counts(self) -> dict[str, int]:
        return {name: len(self[name]) for name in self.names}


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
    """Typed frame: enums as categoricals, money as int64 cents, bools, naive-UTC timestamps.

    A column the contract lets a file leave out (`decision_code`) is added, empty.
    """
    out: dict[str, object] = {}
    absent = [
        spec.name
        for spec in TABLE_SPECS[table]
        if spec.optional_column and spec.name not in frame.columns
    ]
    if absent:
        frame = frame.assign(
            **{name: pd.Series(pd.NA, index=frame.index, dtype="str") for name in absent}
        )
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


def events_problems(
    frames: dict[str, pd.DataFrame], rows: dict[str, Callable[[int], int]] | None = None
) -> tuple[list[Problem], list[Unlisted]]:
    """Events of unknown orders or vouchers, and orders or vouchers without an event.

    Like `validate_raw`, each check lists its first MAX_EXAMPLES rows and counts the
    rest; `rows` maps a table's 0-based data row to the row a spreadsheet shows.
    """
    problems: list[Problem] = []
    unlisted: list[Unlisted] = []
    for link in EVENTS:
        if link.table not in frames or link.parent not in frames:
            continue
        events = frames[link.table][link.column].astype("str")
        parents = frames[link.parent][link.column].astype("str")
        for failing, table, values, expected in (
            (
                ~is_in(events, parents.dropna()) & events.notna().to_numpy(),
                link.table,
                events,
                f"{link.column} is not in {link.parent}",
            ),
            (
                ~is_in(parents, events.dropna()) & parents.notna().to_numpy(),
                link.parent,
                parents,
                f"has no event in {link.table}; every row of {link.parent} needs at least one",
            ),
        ):
            row_of = (rows or {}).get(table, spreadsheet_row)
            found = np.flatnonzero(failing)
            problems += [
                Problem(table, link.column, row_of(i), values.iloc[i], expected)
                for i in found[:MAX_EXAMPLES]
            ]
            if len(found) > MAX_EXAMPLES:
                unlisted.append(Unlisted(table, link.column, expected, len(found) - MAX_EXAMPLES))
    return problems, unlisted


def load_tables(
    data_dir: Path | str, progress: Progress | None = None, require_history: bool = False
) -> Tables:
    """Load, validate and type the tables of `data_dir`; raise InputError listing all defects.

    The history tables are read, validated and typed when present; with
    `require_history` (judging at requested_at) a missing one is an input error.
    """
    required = TABLE_NAMES + (HISTORY_TABLES if require_history else ())
    optional = () if require_history else HISTORY_TABLES
    files = find_table_files(Path(data_dir), required, optional)
    note = progress or (lambda _: None)
    note("load")
    raw, problems = read_files(files)
    note("validate")
    unlisted: list[Unlisted] = []
    for table, read in raw.items():
        found, more = validate_raw(table, read.frame, read.rows)
        problems += found
        unlisted += more
    if not problems:
        found, more = events_problems(
            {table: read.frame for table, read in raw.items()},
            {table: read.rows for table, read in raw.items()},
        )
        problems += found
        unlisted += more
    if problems:
        raise InputError(problems, {table: path.name for table, path in files.items()}, unlisted)
    typed = {table: convert(table, read.frame) for table, read in raw.items()}
    return Tables(**typed, sources={table: read.source for table, read in raw.items()})


def tables_from_frames(frames: dict[str, pd.DataFrame]) -> Tables:
    """Validate and type in-memory raw frames (strings as in CSV), e.g. built in a notebook or test.

    The four v1 tables are required; history tables are taken when given.
    """
    problems: list[Problem] = []
    unlisted: list[Unlisted] = []
    given = {name: frame.reset_index(drop=True) for name, frame in frames.items()}
    for table in ALL_TABLES:
        if table in given:
            found, more = validate_raw(table, given[table])
            problems += found
            unlisted += more
        elif table in TABLE_NAMES:
            problems.append(Problem(table, None, None, None, "table is missing"))
    if not problems:
        found, more = events_problems(given)
        problems += found
        unlisted += more
    if problems:
        raise InputError(problems, unlisted=unlisted)
    return Tables(**{t: convert(t, given[t]) for t in ALL_TABLES if t in given})
