"""Review states in and out of spreadsheets: `review import` and `review export`.

Both use the contract's columns `request_id, rule_id, state, note, expires`;
an export adds more after them (first and last run, who changed it and when,
the follow-up: owner, due, response, remediation; the last period reported).
An import reads the follow-up columns when its header names them and ignores
the others. An export is spreadsheet-safe (formula-like text gets
a leading apostrophe, which an import takes off again) and written atomically.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from auditkit.contract import REVIEW_EXCHANGE_COLUMNS
from auditkit.errors import InputError, ParameterError, Problem
from auditkit.io.write import staged_files, undefused, write_frame
from auditkit.review.changes import FOLLOW_UP_FIELDS, StateChange, check_change
from auditkit.review.register import Register

EXPORT_EXTRA_COLUMNS = (
    "first_run_id",
    "last_run_id",
    "last_as_of",
    "changed_by",
    "changed_at",
    *FOLLOW_UP_FIELDS,
    "reported_period",
)


@dataclass(frozen=True)
class ImportFile:
    """The changes a CSV file asks for, the spreadsheet row of each, and the problems of its rows."""

    path: Path
    changes: list[StateChange]
    lines: list[int]
    problems: list[Problem]

    @property
    def table(self) -> str:
        return self.path.name

    def frame(self) -> pd.DataFrame:
        """request_id and rule_id of every change."""
        return pd.DataFrame(
            [(c.request_id, c.rule_id) for c in self.changes], columns=["request_id", "rule_id"]
        )

    def unrecorded(self, recorded: pd.DataFrame) -> list[int]:
        """Positions of the changes whose finding is not among `recorded` (request_id, rule_id)."""
        known = pd.MultiIndex.from_frame(recorded[["request_id", "rule_id"]].astype("str"))
        found = pd.MultiIndex.from_frame(self.frame()).isin(known)
        return [int(i) for i in (~found).nonzero()[0]]

    def refuse(self, unknown: Sequence[int] = ()) -> None:
        """Refuse the file when any row is bad: its own problems and the changes at `unknown`
        positions (findings the register never recorded), every one listed in row order."""
        problems = self.problems + [
            Problem(
                self.table,
                "request_id",
                self.lines[i],
                f"{self.changes[i].request_id} {self.changes[i].rule_id}",
                "not a finding recorded in the register (record runs with auditkit check --db)",
            )
            for i in unknown
        ]
        if problems:
            ordered = sorted(problems, key=lambda problem: problem.row or 0)
            raise InputError(ordered, {self.table: str(self.path)})


def read_changes(path: Path, rule_ids: list[str]) -> ImportFile:
    """The changes a CSV file asks for, the spreadsheet row of each and every row's problems.

    A file that cannot be read as such (not UTF-8, not CSV, no header naming the
    contract's columns) is refused at once (InputError). Row problems are
    collected, not raised: `ImportFile.refuse` raises them with the rows naming
    no recorded finding, in one message. The follow-up columns (owner, due,
    response, remediation) are read when the header names them; a column left
    out keeps what each finding holds, an empty cell clears it.
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
    follow_at = {name: header.index(name) for name in FOLLOW_UP_FIELDS if name in header}
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
            {name: undefused(cells[i]) for name, i in follow_at.items()},
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
    return ImportFile(path, changes, lines, problems)


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


def check_export_path(out: Path) -> Path:
    """`--out` of an export: a file name ending in .csv."""
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise ParameterError(f"--out {out}: the export is a CSV file; give a name ending in .csv")
    return out


def write_export(frame: pd.DataFrame, out: Path) -> Path:
    """Write the export to `out` (a .csv file), spreadsheet-safe, replacing it atomically."""
    out = check_export_path(out)
    with staged_files(out.parent) as staging:
        write_frame(frame, staging / out.name)
    return out
