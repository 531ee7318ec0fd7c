"""Rows in and out of the register: the moment a row is written, and query results as frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa


def as_utc(moment: object) -> object:
    """A timestamp read back as UTC (SQLite returns them without a zone)."""
    if isinstance(moment, dt.datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def frame(rows: sa.CursorResult, columns: Sequence[str]) -> pd.DataFrame:
    """A query's rows as a frame with these columns; every `*_at` column as UTC timestamps."""
    table = pd.DataFrame(rows.all(), columns=list(columns))
    for name in table.columns:
        if name.endswith("_at"):
            table[name] = table[name].map(as_utc)
    return table
