"""How values are written on every page: the explorer, the report and the reports index.

One place for counts (thousands separators), shares (percentages), dates and
moments (ISO, UTC), money (two decimals and thousands separators) and the
colour of each status and verdict. `shown` applies them to a whole frame
before `render.html.table` escapes it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from auditkit.render.style import MUTED, STATUS_COLOURS, VERDICT_COLOURS

MISSING = "-"
SHARE_PREFIX = "share"  # a column named share* holds a share of 1, shown as a percentage


def count(n: object) -> str:
    """A whole number with thousands separators ('1,000,000'); '-' when undefined."""
    if n is None or (np.ndim(n) == 0 and pd.isna(n)):
        return MISSING
    return f"{int(n):,}"


def percent(share: float | None) -> str:
    """A share as a percentage with two decimals ('87.35 %'); '-' when undefined."""
    if share is None or pd.isna(share):
        return MISSING
    return f"{share * 100:.2f} %"


def share(part: float, whole: float) -> str:
    """part / whole as a percentage; '-' when the whole is zero."""
    return percent(part / whole) if whole else MISSING


def date(value: object) -> str:
    """A date as YYYY-MM-DD ('' when empty); a timestamp is cut to its day."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def moment(value: object) -> str:
    """A UTC moment to the second: '2026-11-03 10:00:00 UTC' ('' when empty)."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    return f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S} UTC"


def minute(stamp: object) -> str:
    """An ISO UTC timestamp, to the minute: '2026-11-24 23:14 UTC' ('' when empty)."""
    return f"{str(stamp)[:16].replace('T', ' ')} UTC" if stamp else ""


def money(cents: object, currency: str = "") -> str:
    """Integer cents as an amount with thousands separators: 123456789 -> '1,234,567.89', and
    with `currency` its code beside it: '1,234,567.89 CNY'."""
    if cents is None or pd.isna(cents):
        return MISSING
    cents = int(cents)
    units, rest = divmod(abs(cents), 100)
    amount = f"{'-' if cents < 0 else ''}{units:,}.{rest:02d}"
    return f"{amount} {currency}" if currency else amount


def status_colour(status: object) -> str:
    """The palette colour of a rule status (pass, fail, error, not_applicable)."""
    return STATUS_COLOURS.get(str(status), MUTED)


def verdict_colour(verdict: object) -> str:
    """The palette colour of a verdict (eligible, ineligible, unknown)."""
    return VERDICT_COLOURS.get(str(verdict), MUTED)


def _column(values: pd.Series, name: str) -> pd.Series:
    """One column written as text for a page (nulls stay null: the table shows them empty)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map(lambda v: "" if pd.isna(v) else str(bool(v)).lower(), na_action=None)
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.map(count, na_action="ignore")
    if pd.api.types.is_float_dtype(values.dtype) and name.startswith(SHARE_PREFIX):
        return values.map(percent, na_action="ignore")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.map(moment, na_action="ignore")
    return values


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a small frame with counts, shares, booleans and moments written out.

    Only for frames that are shown whole (a page, a summary): it maps cell by cell.
    """
    return pd.DataFrame(
        {name: _column(frame[name], str(name)) for name in frame.columns}, index=frame.index
    )
