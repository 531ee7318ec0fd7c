"""Exceptions raised by auditkit; the CLI maps InputError and ParameterError to exit status 2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_LISTED_PROBLEMS = 20
MAX_SHOWN_CHARACTERS = 80  # of a value echoed in a message; a 500 KB value is not repeated


class AuditkitError(Exception):
    """Base class of every error auditkit raises on purpose."""


def shown(value: object) -> str:
    """A value for a message: its repr, cut after MAX_SHOWN_CHARACTERS with the full length."""
    text = repr(value)
    if len(text) <= MAX_SHOWN_CHARACTERS:
        return text
    size = f"{len(value):,} characters" if isinstance(value, str) else f"{len(text):,} in all"
    return f"{text[:MAX_SHOWN_CHARACTERS]}... ({size})"


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
        return f"{location}: value {shown(self.value)} - {self.expected}"


@dataclass(frozen=True)
class Unlisted:
    """Rows that failed one check beyond the first examples kept as Problems."""

    table: str
    column: str | None
    expected: str
    count: int


class InputError(AuditkitError):
    """The input data breaks the contract; carries the problems found.

    Each check keeps its first examples as `problems`; further rows failing the same
    check are only counted, in `unlisted`, so refusing millions of bad rows stays fast.
    """

    def __init__(
        self,
        problems: list[Problem],
        sources: dict[str, str] | None = None,
        unlisted: Sequence[Unlisted] = (),
    ) -> None:
        self.problems = problems
        self.sources = sources or {}
        self.unlisted = tuple(unlisted)
        super().__init__(self.message())

    @property
    def count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.problems) + sum(more.count for more in self.unlisted)

    def message(self, limit: int = MAX_LISTED_PROBLEMS) -> str:
        count = self.count
        noun = "problem" if count == 1 else "problems"
        lines = [
            f"invalid input: {count} {noun} found (rows are numbered as in a spreadsheet, header = row 1)"
        ]
        lines += ["  - " + p.describe(self.sources.get(p.table)) for p in self.problems[:limit]]
        if count > limit:
            lines.append(f"  ... and {count - limit} more {noun} not listed")
            lines += self._by_check()
        lines.append("Fix the input files and run again.")
        return "\n".join(lines)

    def _by_check(self) -> list[str]:
        """How many rows failed each check, so a long list still shows every kind of defect."""
        counts: dict[tuple[str, str | None, str], int] = {}
        for problem in self.problems:
            key = (problem.table, problem.column, problem.expected)
            counts[key] = counts.get(key, 0) + 1
        for more in self.unlisted:
            key = (more.table, more.column, more.expected)
            counts[key] = counts.get(key, 0) + more.count
        lines = ["  Problems by check:"]
        for (table, column, expected), n in sorted(counts.items(), key=lambda kv: -kv[1]):
            where = f"table {table}" + (f", column {column}" if column is not None else "")
            lines.append(f"    {n} x {where}: {expected}")
        return lines


class ParameterError(AuditkitError):
    """A run parameter (as_of, rule parameter, option) is invalid."""


class ReportError(AuditkitError):
    """Producing a report failed; the previous report was left in place."""


class RegisterError(AuditkitError):
    """The review register cannot be opened, migrated or written (connection, permissions)."""
