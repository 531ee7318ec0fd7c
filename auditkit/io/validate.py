"""The contract's checks with pandera on pandas frames: the backend for frames built in memory.

`auditkit.io.tables.tables_from_frames` hands its frames here. Each check kind
(`auditkit.vocab.CheckKind`) has one pandas implementation, keyed by kind in
`CHECKS`; pandera runs them all lazily and collects the failing rows, which become
Problems worded by `auditkit.io.problems`, as those of the Arrow backend
(`auditkit.io.fast`) are. Values are read by `auditkit.io.normal` first, as for every
file, so that a value means the same whichever backend checks it: the pandas side
sees each column as its text (null where empty) and asks the reading for what only
reading can tell (whether a value is one of its kind, an amount, a moment).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow

from auditkit.contract import Check, table_checks
from auditkit.errors import Problem, Unlisted
from auditkit.io.normal import Normalised, as_text, normalise_table
from auditkit.io.problems import RowOf, located, missing_columns, ordered, spreadsheet_row
from auditkit.vocab import CheckKind

if TYPE_CHECKING:
    import pandera.pandas as pa

ColumnCheck = Callable[[Check, Normalised], Callable[[pd.Series], pd.Series]]
FrameCheck = Callable[[Check, Normalised], Callable[[pd.DataFrame], pd.Series]]


def _mask(rows: np.ndarray | None, index: pd.Index) -> pd.Series:
    """True where a row is fine: `rows` marks the failing ones (None: none fails)."""
    if rows is None:
        return pd.Series(True, index=index)
    return pd.Series(~rows, index=index)


# ---- one pandas implementation per kind -------------------------------------------------


def _required(check: Check, data: Normalised) -> Callable[[pd.Series], pd.Series]:
    return lambda values: values.notna()


def _value(check: Check, data: Normalised) -> Callable[[pd.Series], pd.Series]:
    bad = data.columns[check.column].bad
    return lambda values: _mask(bad, values.index) | values.isna()


def _one_of(check: Check, data: Normalised) -> Callable[[pd.Series], pd.Series]:
    return lambda values: values.isin(check.choices) | values.isna()


def _precision(check: Check, data: Normalised) -> Callable[[pd.Series], pd.Series]:
    imprecise = data.columns[check.column].imprecise
    return lambda values: _mask(imprecise, values.index)


def _non_negative(check: Check, data: Normalised) -> Callable[[pd.Series], pd.Series]:
    cents = pd.Series(data.columns[check.column].values)
    return lambda values: cents.set_axis(values.index).ge(0)


def _unique(check: Check, data: Normalised) -> Callable[[pd.Series], pd.Series]:
    return lambda values: ~values.duplicated(keep=False) | values.isna()


COLUMN_CHECKS: dict[CheckKind, ColumnCheck] = {
    CheckKind.REQUIRED: _required,
    CheckKind.VALUE: _value,
    CheckKind.ONE_OF: _one_of,
    CheckKind.PRECISION: _precision,
    CheckKind.NON_NEGATIVE: _non_negative,
    CheckKind.UNIQUE: _unique,
}


def _required_when(check: Check, data: Normalised) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda f: ~(f[check.when].isin(check.triggers) & f[check.column].isna())


def _empty_when(check: Check, data: Normalised) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda f: ~(f[check.when].isin(check.triggers) & f[check.column].notna())


def _unique_pair(check: Check, data: Normalised) -> Callable[[pd.DataFrame], pd.Series]:
    moments = pd.Series(data.columns[check.pair].values)

    def ok(frame: pd.DataFrame) -> pd.Series:
        pairs = pd.DataFrame({"key": frame[check.column], "at": moments.set_axis(frame.index)})
        comparable = pairs.notna().all(axis=1)
        return ~(pairs.duplicated(keep=False) & comparable)

    return ok


FRAME_CHECKS: dict[CheckKind, FrameCheck] = {
    CheckKind.REQUIRED_WHEN: _required_when,
    CheckKind.EMPTY_WHEN: _empty_when,
    CheckKind.EMPTY_UNLESS: _empty_when,  # `Check.triggers` holds the words it forbids on
    CheckKind.UNIQUE_PAIR: _unique_pair,
}
CHECKS = COLUMN_CHECKS | FRAME_CHECKS


# ---- running pandera ---------------------------------------------------------------------


def pandera_schema(data: Normalised) -> tuple[pa.DataFrameSchema, tuple[Check, ...]]:
    """The schema of one table's readable columns, and the checks its check names number.

    pandera is imported here, not with the module: files are checked by the Arrow backend,
    and a run that reads only files does not pay its import (0.15-0.3 s)."""
    import pandera.pandas as pa

    checks = tuple(
        check
        for check in table_checks(data.table)
        if check.kind is not CheckKind.COLUMN and set(check.columns) <= set(data.columns)
    )
    columns: dict[str, list[pa.Check]] = {name: [] for name in data.columns}
    wide: list[pa.Check] = []
    for number, check in enumerate(checks):
        name = str(number)
        if check.kind in COLUMN_CHECKS:
            test = COLUMN_CHECKS[check.kind](check, data)
            columns[check.column].append(pa.Check(test, name=name, error=name, ignore_na=False))
        else:
            wide.append(pa.Check(FRAME_CHECKS[check.kind](check, data), name=name, error=name))
    schema = pa.DataFrameSchema(
        {name: pa.Column(checks=found, nullable=True) for name, found in columns.items()},
        checks=wide,
        strict=False,
        name=data.table,
    )
    return schema, checks


def text_view(data: Normalised) -> pd.DataFrame:
    """Each readable contract column as its text, null where the file holds no value."""
    return pd.DataFrame(
        {
            name: pd.Series(as_text(column.raw), dtype="str")
            for name, column in data.columns.items()
        },
        index=pd.RangeIndex(data.rows),
    )


def validate_frame(
    table: str, arrow: pyarrow.Table, rows: RowOf = spreadsheet_row
) -> tuple[Normalised, list[Problem], list[Unlisted]]:
    """`auditkit.io.fast.check_table` with pandera: the same normalised table, the same
    problems in the same words and order."""
    import pandera.errors

    data, problems = normalise_table(table, arrow)
    problems += missing_columns(table, arrow.column_names)
    schema, checks = pandera_schema(data)
    failing: dict[int, np.ndarray] = {}
    try:
        schema.validate(text_view(data), lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        for name, group in cases.groupby(cases["check"].astype("str")):
            failing[int(name)] = np.unique(group["index"].dropna().astype(np.int64).to_numpy())
    found = [
        (check, failing.get(number, np.zeros(0, np.int64))) for number, check in enumerate(checks)
    ]
    listed, unlisted = located(table, found, data.shown, rows)
    return data, ordered(problems + listed), unlisted
