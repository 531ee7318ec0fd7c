"""Failing rows into located Problems: one wording, whichever backend found them.

A backend reports, per contract check (`auditkit.contract.Check`), the 0-based rows
that fail it; here they become Problems (table, column, spreadsheet row, the value as
written, what was expected). Each check lists its first `MAX_EXAMPLES` rows and counts
the rest, so refusing millions of bad rows stays fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

import numpy as np

from auditkit.contract import TABLE_SPECS, Check, table_checks
from auditkit.errors import MAX_LISTED_PROBLEMS, Problem, Unlisted
from auditkit.vocab import CheckKind

HEADER_ROWS = 1  # spreadsheet row of the header; data row i (0-based) is row i + 2
MAX_EXAMPLES = MAX_LISTED_PROBLEMS  # rows kept as examples per check; the rest are counted

RowOf = Callable[[int], int]
Shown = Callable[[str, np.ndarray], list[object]]  # (column, rows) -> values as written
Failure = tuple[Check, np.ndarray]  # a check and the 0-based rows failing it, ascending


def spreadsheet_row(index: int) -> int:
    """The row a spreadsheet shows for 0-based data row `index` (the header is row 1)."""
    return int(index) + HEADER_ROWS + 1


def located(
    table: str, failures: Iterable[Failure], shown: Shown, rows: RowOf = spreadsheet_row
) -> tuple[list[Problem], list[Unlisted]]:
    """Problems for the first MAX_EXAMPLES rows of each failing check, the rest counted;
    sorted by row (table-wide problems first), then column, then the order of the checks."""
    problems: list[Problem] = []
    unlisted: list[Unlisted] = []
    for check, failing in failures:
        if not len(failing):
            continue
        listed = np.asarray(failing[:MAX_EXAMPLES], dtype=np.int64)
        values: list[object] = [None] * len(listed)
        if check.shows_value:
            values = shown(check.column, listed)
        if check.kind is CheckKind.UNIQUE_PAIR:
            moments = shown(check.pair, listed)
            values = [f"{v}, {check.pair} {m}" for v, m in zip(values, moments, strict=True)]
        problems += [
            Problem(table, check.column, rows(int(i)), value, check.expected)
            for i, value in zip(listed, values, strict=True)
        ]
        if len(failing) > MAX_EXAMPLES:
            more = len(failing) - MAX_EXAMPLES
            unlisted.append(Unlisted(table, check.column, check.expected, more))
    return ordered(problems), unlisted


def ordered(problems: list[Problem]) -> list[Problem]:
    """Without repeats, by row (table-wide problems first), then column; stable otherwise."""
    # Keyed by the value's repr: a value read from a nested column may be a list.
    seen = {(p.table, p.column, p.row, repr(p.value), p.expected): p for p in problems[::-1]}
    unique = list(seen.values())[::-1]
    unique.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    return unique


def missing_columns(table: str, header: list[str]) -> list[Problem]:
    """The contract's required columns of `table` absent from `header` (one problem each)."""
    known = {spec.name for spec in TABLE_SPECS[table]}
    return [
        missing_column(table, check, header, known)
        for check in table_checks(table)
        if check.kind is CheckKind.COLUMN and check.column not in header
    ]


def missing_column(table: str, check: Check, header: list[str], known: set[str]) -> Problem:
    """A required column absent from the header, with the header name probably meant."""
    near = near_match(check.column, [name for name in header if name not in known])
    if near is None:
        return Problem(table, check.column, 1, None, check.expected)
    expected = f"{check.expected}; did you mean {check.column!r}?"
    return Problem(table, check.column, 1, near, expected)


def near_match(missing: str, candidates: list[str]) -> str | None:
    """The header name that was probably meant as `missing`: 'UIN', ' uin' or 'uni' for 'uin'."""
    normal = {name.strip().strip("\ufeff").lower(): name for name in candidates}
    if missing in normal:
        return normal[missing]
    close = difflib.get_close_matches(missing, list(normal), n=1, cutoff=0.6)
    return normal[close[0]] if close else None
