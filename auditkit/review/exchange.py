"""Review states in and out of spreadsheets: `review import` and `review export`.

Both use the contract's columns `request_id, rule_id, state, note, expires`;
an export adds more after them (first and last run, who changed it and when),
which an import ignores. An export is spreadsheet-safe (formula-like text gets
a leading apostrophe, which an import takes off again) and written atomically.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from auditkit.contract import REVIEW_EXCHANGE_COLUMNS
from auditkit.errors import InputError, ParameterError, Problem
from auditkit.io.write import staged_files, undefused, write_frame
from auditkit.review.changes import StateChange, check_change
from auditkit.review.register import Register

EXPORT_EXTRA_COLUMNS = ("first_run_id", "last_run_id", "last_as_of", "changed_by", "changed_at")


def read_changes(path: Path, rule_ids: list[str]) -> tuple[list[StateChange], list[int]]:
    """The changes a CSV file asks for, and the spreadsheet row of each; every defect refused.

    All rows are checked before anything is returned: one bad row refuses the
    whole file with an InputError listing every problem (file, column, row, value).
    """
    path = Path(path)
    table = path.name
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ParameterError(f"{path}: cannot read the import file ({error.strerror})") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refuse(
            table, path, None, None, None, f"UTF-8 text (byte {error.start} is not)"
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(content, newline=""), strict=True))
    except csv.Error as error:
        raise _refuse(table, path, None, None, None, f"a CSV file ({error})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise _refuse(
            table, path, None, 1, None, "a header row: " + ", ".join(REVIEW_EXCHANGE_COLUMNS)
        )
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name in REVIEW_EXCHANGE_COLUMNS if name not in header]
    if missing:
        raise _refuse(
            table,
            path,
            ", ".join(missing),
            1,
            None,
            "the header must name " + ", ".join(REVIEW_EXCHANGE_COLUMNS) + " (more may follow)",
        )
    at = {name: header.index(name) for name in REVIEW_EXCHANGE_COLUMNS}
    problems: list[Problem] = []
    changes: list[StateChange] = []
    lines: list[int] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, as spreadsheets leave at the end
        if len(cells) != len(header):
            problems.append(
                Problem(table, None, number, None, f"{len(header)} fields, found {len(cells)}")
            )
            continue
        fields = {name: undefused(cells[i]) for name, i in at.items()}
        change, flaws = check_change(
            fields["request_id"],
            fields["rule_id"],
            fields["state"],
            fields["note"],
            fields["expires"],
            rule_ids,
        )
        problems += [Problem(table, f.field, number, f.value, f.expected) for f in flaws]
        if change is None:
            continue
        key = (change.request_id, change.rule_id)
        if key in first_row:
            problems.append(
                Problem(
                    table,
                    "request_id",
                    number,
                    f"{key[0]} {key[1]}",
                    f"each finding may appear only once (also on row {first_row[key]})",
                )
            )
            continue
        first_row[key] = number
        changes.append(change)
        lines.append(number)
    if problems:
        raise InputError(problems, {table: str(path)})
    return changes, lines


def _refuse(
    table: str, path: Path, column: str | None, row: int | None, value: object, expected: str
) -> InputError:
    return InputError([Problem(table, column, row, value, expected)], {table: str(path)})


def export_frame(register: Register) -> pd.DataFrame:
    """Every finding of the register as text: the exchange columns, then where it was seen."""
    found = register.findings()
    columns = [*REVIEW_EXCHANGE_COLUMNS, *EXPORT_EXTRA_COLUMNS]
    text = pd.DataFrame(
        {
            name: found[name].map(_cell).astype("str") if len(found) else pd.Series([], dtype="str")
            for name in columns
        }
    )
    return text


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def write_export(frame: pd.DataFrame, out: Path) -> Path:
    """Write the export to `out` (a .csv file), spreadsheet-safe, replacing it atomically."""
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise ParameterError(f"--out {out}: the export is a CSV file; give a name ending in .csv")
    with staged_files(out.parent) as staging:
        write_frame(frame, staging / out.name)
    return out
