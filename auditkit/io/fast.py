"""The contract's checks as Arrow and numpy kernels: the backend every input file takes.

Each check kind (`auditkit.vocab.CheckKind`) has one implementation here, keyed by
kind in `KERNELS`, run on a table as `auditkit.io.normal` read it (any Arrow type,
so CSV text, Parquet's native types and frames built in memory alike). A kernel
returns the rows failing its check; the usual answer, none, costs a pass over the
column (ascending keys need no hashing). The rows become messages in
`auditkit.io.problems`, worded as `auditkit.io.validate`'s pandera backend words them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import EVENTS, Check, table_checks
from auditkit.errors import Problem, Unlisted
from auditkit.io.arrow import duplicated, increasing, key_codes, pair_duplicated
from auditkit.io.normal import Normalised, normalise_table
from auditkit.io.problems import (
    MAX_EXAMPLES,
    Failure,
    RowOf,
    located,
    missing_columns,
    ordered,
    spreadsheet_row,
)
from auditkit.vocab import CheckKind

NONE = np.zeros(0, dtype=np.int64)
Kernel = Callable[[Check, Normalised], np.ndarray]


class Unsure(Exception):
    """A table breaks a contract check (`typed_frame`); `check_table` says which and where."""


# ---- one kernel per kind ---------------------------------------------------------------


def _required(check: Check, data: Normalised) -> np.ndarray:
    column = data.columns[check.column]
    return np.flatnonzero(column.missing()) if column.raw.null_count else NONE


def _value(check: Check, data: Normalised) -> np.ndarray:
    bad = data.columns[check.column].bad
    return NONE if bad is None else np.flatnonzero(bad)


def _precision(check: Check, data: Normalised) -> np.ndarray:
    imprecise = data.columns[check.column].imprecise
    return NONE if imprecise is None else np.flatnonzero(imprecise)


def _non_negative(check: Check, data: Normalised) -> np.ndarray:
    cents = data.columns[check.column].values
    return np.flatnonzero(cents < 0)  # unparsed and empty values hold 0


def _unique(check: Check, data: Normalised) -> np.ndarray:
    return duplicated(data.columns[check.column].text)


def _decided(check: Check, data: Normalised) -> np.ndarray:
    """Rows where `check.when` holds one of the words that make `check.column` required
    (or forbidden); a word outside the enum decides nothing."""
    words = data.columns[check.when].values
    codes = [list(check.choices).index(word) for word in check.triggers]
    return np.isin(words.codes, codes)


def _required_when(check: Check, data: Normalised) -> np.ndarray:
    return np.flatnonzero(_decided(check, data) & data.columns[check.column].missing())


def _empty_when(check: Check, data: Normalised) -> np.ndarray:
    return np.flatnonzero(_decided(check, data) & ~data.columns[check.column].missing())


def _unique_pair(check: Check, data: Normalised) -> np.ndarray:
    key, moment = data.columns[check.column], data.columns[check.pair]
    codes, _ = key_codes(key.text)
    stamps = moment.values.to_numpy()
    comparable = (codes >= 0) & ~np.isnat(stamps)
    return pair_duplicated(codes, stamps.view(np.int64), comparable)


KERNELS: dict[CheckKind, Kernel] = {
    CheckKind.REQUIRED: _required,
    CheckKind.VALUE: _value,
    CheckKind.ONE_OF: _value,  # an enum's values are its words: `normal` codes them
    CheckKind.PRECISION: _precision,
    CheckKind.NON_NEGATIVE: _non_negative,
    CheckKind.UNIQUE: _unique,
    CheckKind.REQUIRED_WHEN: _required_when,
    CheckKind.EMPTY_WHEN: _empty_when,
    CheckKind.EMPTY_UNLESS: _empty_when,  # `Check.triggers` holds the words it forbids on
    CheckKind.UNIQUE_PAIR: _unique_pair,
}


# ---- a table -----------------------------------------------------------------------------


def failures(data: Normalised) -> list[Failure]:
    """Every check of the table with the rows failing it; a check whose columns are not
    all readable in the file is left out (the missing column is reported instead)."""
    found: list[Failure] = []
    for check in table_checks(data.table):
        if check.kind is CheckKind.COLUMN or not set(check.columns) <= set(data.columns):
            continue
        found.append((check, KERNELS[check.kind](check, data)))
    return found


def check_table(
    table: str, arrow: pa.Table, rows: RowOf = spreadsheet_row, first_row: int = 0
) -> tuple[Normalised, list[Problem], list[Unlisted]]:
    """One table read and checked: the normalised table, its problems (the first
    MAX_EXAMPLES rows of each check) and the rows beyond them. `rows` maps a 0-based row
    of `arrow` to the spreadsheet row named in messages."""
    data, problems = normalise_table(table, arrow, first_row)
    problems += missing_columns(table, arrow.column_names)
    found, unlisted = located(table, failures(data), data.shown, rows)
    return data, ordered(problems + found), unlisted


def typed_frame(table: str, data: pa.Table, only: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The typed frame of one table; Unsure when a contract check fails.

    `only`: the data holds just these columns of a table known to be valid: they are
    typed, not checked again.
    """
    if only is not None:
        normal, problems = normalise_table(table, data)
        if problems:
            raise Unsure
        return normal.typed()
    normal, problems, _ = check_table(table, data)
    if problems:
        raise Unsure
    return normal.typed()


# ---- links between tables ----------------------------------------------------------------


def link_failures(
    tables: dict[str, Normalised],
) -> list[tuple[str, str, str, np.ndarray]]:
    """(table, column, expected, failing rows) for events of unknown orders or vouchers and
    for orders or vouchers without an event.

    Parents are unique (checked before); events come grouped by key, as histories are
    written, or are coded once. When the distinct event keys are exactly the parents'
    keys, in the same order or as a set, nothing is wrong, and no row is looked up.
    """
    found = []
    for link in EVENTS:
        if link.table not in tables or link.parent not in tables:
            continue
        events = tables[link.table].columns[link.column].text
        parents = tables[link.parent].columns[link.column].text
        unknown, orphans = unlinked(events, parents)
        found.append((link.table, link.column, link.unknown_expected, unknown))
        found.append((link.parent, link.column, link.orphan_expected, orphans))
    return found


def unlinked(events: pa.Array, parents: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(events whose key no parent has, parents no event names), as ascending positions."""
    if not len(events) or not len(parents):
        return np.arange(len(events)), np.flatnonzero(
            parents.is_valid().to_numpy(zero_copy_only=False)
        )
    if not events.null_count and not parents.null_count and increasing(parents):
        codes, count = key_codes(events)
        if count == len(parents) and increasing(events, strictly=False):
            heads = events.take(pa.array(np.r_[0, np.flatnonzero(np.diff(codes)) + 1]))
            if pc.all(pc.equal(heads, parents)).as_py() is not False:
                return NONE, NONE
    known = np.asarray(
        pc.is_in(events, value_set=parents).fill_null(True).to_numpy(zero_copy_only=False)
    )
    named = np.asarray(
        pc.is_in(parents, value_set=pc.drop_null(events)).to_numpy(zero_copy_only=False)
    )
    present = ~np.asarray(parents.is_null().to_numpy(zero_copy_only=False))
    return np.flatnonzero(~known), np.flatnonzero(~named & present)


def link_problems(
    tables: dict[str, Normalised], rows: dict[str, RowOf] | None = None
) -> tuple[list[Problem], list[Unlisted]]:
    """The link failures as Problems, each check listing its first MAX_EXAMPLES rows."""
    problems: list[Problem] = []
    unlisted: list[Unlisted] = []
    for table, column, expected, failing in link_failures(tables):
        row_of = (rows or {}).get(table, spreadsheet_row)
        values = tables[table].shown(column, failing[:MAX_EXAMPLES])
        problems += [
            Problem(table, column, row_of(int(i)), value, expected)
            for i, value in zip(failing[:MAX_EXAMPLES], values, strict=True)
        ]
        if len(failing) > MAX_EXAMPLES:
            unlisted.append(Unlisted(table, column, expected, len(failing) - MAX_EXAMPLES))
    return problems, unlisted
