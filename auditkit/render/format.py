"""How numbers, money and moments are written on every page (explorer, report, index)."""

from __future__ import annotations

import pandas as pd


def percent(share: float | None) -> str:
    """A share as a percentage with two decimals ('87.35 %'); '-' when undefined."""
    if share is None or pd.isna(share):
        return "-"
    return f"{share * 100:.2f} %"


def count(number: object) -> str:
    """A whole number with thousands separators: 1234567 -> '1,234,567'."""
    if number is None or pd.isna(number):
        return "-"
    return f"{int(number):,}"


def money(cents: object) -> str:
    """Integer cents as an amount with thousands separators: 123456789 -> '1,234,567.89'."""
    if cents is None or pd.isna(cents):
        return "-"
    cents = int(cents)
    units, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{units:,}.{rest:02d}"


def minute(stamp: object) -> str:
    """An ISO UTC timestamp, to the minute: '2026-11-24 23:14 UTC' ('' when empty)."""
    return f"{str(stamp)[:16].replace('T', ' ')} UTC" if stamp else ""


def moment(stamp: object) -> str:
    """A timestamp to the second, ISO style without the 'T': '2026-11-03 10:00:00' ('' if none)."""
    if stamp is None or pd.isna(stamp):
        return ""
    return pd.Timestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")
