"""Reasons built by Arrow read exactly as the pandas renderings they replaced."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from conftest import PARAMS
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.money import format_cents
from auditkit.rules.phrasing import (
    MONEY,
    PLAIN,
    QUOTED,
    STAMP,
    TEXT,
    Columns,
    Value,
    formatted,
    parts,
    sentence_rows,
    timestamp,
)

cents = st.integers(-(10**17), 10**17)
moments = st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999))


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), cents), max_size=30))
def test_money_reads_as_format_cents(values: list[int | None]) -> None:
    series = pd.Series(values, dtype="Int64")
    expected = format_cents(series)
    assert formatted(series, MONEY).to_pylist() == [
        None if pd.isna(v) else v for v in expected.tolist()
    ]


@settings(deadline=None)
@given(st.lists(moments, max_size=30))
def test_timestamps_read_as_the_pandas_rendering(values: list[dt.datetime]) -> None:
    series = pd.Series(np.array(values, dtype="datetime64[us]"))
    assert formatted(series, STAMP).to_pylist() == timestamp(series).tolist()


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), moments), max_size=30))
def test_a_missing_moment_reads_as_null_and_the_others_as_the_pandas_rendering(
    values: list[dt.datetime | None],
) -> None:
    series = pd.Series(np.array(values, dtype="datetime64[us]"))
    present = series.dropna()
    expected: list[str | None] = [None] * len(series)
    for position, text in zip(present.index, timestamp(present).tolist(), strict=True):
        expected[position] = text
    assert formatted(series, STAMP).to_pylist() == expected


def test_text_forms_of_categories_and_strings() -> None:
    roles = pd.Series(pd.Categorical(["agent", None], categories=["agent", "direct"]))
    ids = pd.Series(["D1", None], dtype="str")
    assert formatted(roles, TEXT).to_pylist() == ["agent", "empty"]
    assert formatted(ids, QUOTED).to_pylist() == ["'D1'", "empty"]
    assert formatted(ids, PLAIN).to_pylist() == ["D1", None]
    assert formatted(pd.Series([3, 0]), TEXT).to_pylist() == ["3", "0"]


def test_a_template_reads_its_slots_tenses_moment_and_parameter_words() -> None:
    frame = pd.DataFrame(
        {
            "member_uin": pd.Series(["0042", "7"], dtype="str"),
            "requested_at": pd.to_datetime(
                ["2026-09-03T10:00:00", "2026-09-03T10:00:00.5"], format="ISO8601"
            ),
        }
    )
    template = "member {member} {has} orders ({open_order_statuses}){at}"
    slots = {"member": Value("member_uin", PLAIN)}
    snapshot = sentence_rows(parts(template, slots, PARAMS), Columns(frame), np.array([1, 0]))
    assert snapshot.to_pylist() == [
        "member 7 has orders (processing or to_be_paid)",
        "member 0042 has orders (processing or to_be_paid)",
    ]
    at = PARAMS.replace(at="requested")
    past = sentence_rows(parts(template, slots, at), Columns(frame), np.array([0, 1]))
    assert past.to_pylist() == [
        "member 0042 had orders (processing or to_be_paid) at 2026-09-03T10:00:00",
        "member 7 had orders (processing or to_be_paid) at 2026-09-03T10:00:00.500000",
    ]
