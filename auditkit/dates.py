"""Dates users give and moments auditkit records: one strict date parser, one clock.

`parse_date` reads YYYY-MM-DD in ASCII digits and raises `ParameterError`
otherwise; `utc_now` is the current moment as a timezone-aware datetime, and
`iso_seconds` writes a moment as manifests and registers show it.
"""

from __future__ import annotations

import datetime as dt
import re

from auditkit.errors import ParameterError

DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)


def parse_date(text: str | dt.date, name: str = "as_of") -> dt.date:
    """Parse a date given as YYYY-MM-DD in ASCII digits (or pass a date through).

    Nothing is stripped or guessed: an empty string, a trailing newline or other
    digits than 0-9 are refused rather than read as some date. `name` is the
    option or field the message names.
    """
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    if isinstance(text, str) and DATE_PATTERN.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ParameterError(f"{name} {text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-01")


def utc_now() -> dt.datetime:
    """The current moment, in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


def iso_seconds(moment: dt.datetime) -> str:
    """A moment as ISO 8601 text to the second, e.g. 2026-11-25T10:15:00+00:00."""
    return moment.isoformat(timespec="seconds")
