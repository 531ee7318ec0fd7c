"""One way to write counts, shares, dates, moments, money and status colours on every page."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from auditkit.render import format as fmt
from auditkit.render.html import table
from auditkit.render.style import STATUS_COLOURS, VERDICT_COLOURS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (1_000_000, "1,000,000"),
        (np.int64(23573), "23,573"),
    ],
)
def test_count_has_thousands_separators(value, expected):
    assert fmt.count(value) == expected


@pytest.mark.parametrize("missing", [None, pd.NA, np.nan])
def test_missing_values(missing):
    assert fmt.count(missing) == "-"
    assert fmt.percent(missing) == "-"
    assert fmt.date(missing) == ""
    assert fmt.moment(missing) == ""


def test_percent_and_share():
    assert fmt.percent(0.7115) == "71.15 %"
    assert fmt.share(1, 4) == "25.00 %"
    assert fmt.share(1, 0) == "-"


def test_dates_and_moments_are_iso_utc():
    assert fmt.date(dt.date(2026, 11, 1)) == "2026-11-01"
    assert fmt.date(pd.Timestamp("2026-11-03T10:00:00")) == "2026-11-03"
    assert fmt.moment(pd.Timestamp("2026-11-03T10:00:05")) == "2026-11-03 10:00:05 UTC"
    assert fmt.minute("2026-11-24T23:14:09") == "2026-11-24 23:14 UTC"


def test_money_has_two_decimals_and_thousands_separators():
    assert fmt.money(-1250) == "-12.50"
    assert fmt.money(5) == "0.05"
    assert fmt.money(-123456789) == "-1,234,567.89"
    assert fmt.money(None) == "-"


def test_money_carries_its_currency_and_stays_right_aligned():
    assert fmt.money(-123456789, "CNY") == "-1,234,567.89 CNY"
    assert fmt.money(None, "CNY") == "-"
    frame = pd.DataFrame({"at_stake": [fmt.money(1250, "USD"), fmt.money(5, "USD")]})
    assert 'class="ak-col-at_stake ak-num"' in table(frame)


def test_status_and_verdict_colours_come_from_the_palette():
    assert fmt.status_colour("error") == STATUS_COLOURS["error"] != STATUS_COLOURS["pass"]
    assert fmt.verdict_colour("unknown") == VERDICT_COLOURS["unknown"] == fmt.status_colour("error")
    assert fmt.status_colour("nonsense").startswith("#")


def test_shown_writes_a_frame_for_a_page():
    frame = pd.DataFrame(
        {
            "requests": [1234567, 2],
            "share_eligible": [0.7115, None],
            "card": pd.array([True, None], dtype="boolean"),
            "at": pd.to_datetime(["2026-11-03T10:00:00", None]),
            "name": ["a", "b"],
        }
    )
    shown = fmt.shown(frame)
    assert shown["requests"].tolist() == ["1,234,567", "2"]
    assert shown["share_eligible"].iloc[0] == "71.15 %" and pd.isna(shown["share_eligible"].iloc[1])
    assert shown["card"].tolist() == ["true", ""]
    assert shown["at"].iloc[0] == "2026-11-03 10:00:00 UTC"
    assert shown["name"].tolist() == ["a", "b"]


def test_table_formats_only_when_asked():
    frame = pd.DataFrame({"requests": [1234567]})
    assert "1,234,567" in table(frame, formats=True)
    assert 'class="ak-col-requests ak-num"' in table(frame, formats=True)  # still right-aligned
    assert "1234567" in table(frame)
