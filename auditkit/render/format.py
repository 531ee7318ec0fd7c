"""How numbers are written on every page."""

from __future__ import annotations

import pandas as pd


def percent(share: float | None) -> str:
    """A share as a percentage with two decimals ('87.35 %'); '-' when undefined."""
    if share is None or pd.isna(share):
        return "-"
    return f"{share * 100:.2f} %"


def minute(stamp: object) -> str:
    """An ISO UTC timestamp, to the minute: '2026-11-24 23:14 UTC' ('' when empty)."""
    return f"{str(stamp)[:16].replace('T', ' ')} UTC" if stamp else ""
