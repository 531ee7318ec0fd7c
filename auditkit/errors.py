"""Exceptions raised by auditkit; the CLI maps InputError to exit status 2."""

from __future__ import annotations

from dataclasses import dataclass

MAX_LISTED_PROBLEMS = 20


class AuditkitError(Exception):
    """Base class of every error auditkit raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One defect in the input: where it is, what was found, what was expected."""

    table: str
    column: str | None
    row: int | None
    value: object
    expected: str

    def describe(self, source: str | None = None) -> str:
        where = source or self.table
        parts = [f"table {self.table}" if source is None else f"table {self.table} ({where})"]
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        location = ", ".join(parts)
        if self.value is None:
            return f"{location}: {self.expected}"
        return f"{location}: value {self.value!r} - {self.expected}"


class InputError(AuditkitError):
    """The input data breaks the contract; carries every problem found."""

    def __init__(self, problems: list[Problem], sources: dict[str, str] | None = None) -> None:
        self.problems = problems
        self.sources = sources or {}
        super().__init__(self.message())

    def message(self, limit: int = MAX_LISTED_PROBLEMS) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [
            f"invalid input: {count} {noun} found (rows are numbered as in a spreadsheet, header = row 1)"
        ]
        lines += ["  - " + p.describe(self.sources.get(p.table)) for p in self.problems[:limit]]
        if count > limit:
            lines.append(f"  ... and {count - limit} more {noun} not listed")
        lines.append("Fix the input files and run again.")
        return "\n".join(lines)


class ParameterError(AuditkitError):
    """A run parameter (as_of, rule parameter, option) is invalid."""


class ReportError(AuditkitError):
    """Producing a report failed; the previous report was left in place."""


class RegisterError(AuditkitError):
    """The review register cannot be opened, migrated or written (connection, permissions)."""
