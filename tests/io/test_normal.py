"""The one reading of a column: native Parquet values mean what their text means."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.contract import FLOAT_MONEY_LIMIT, MAX_MONEY_CENTS, column_spec
from auditkit.io.normal import PATTERNS, SHAPES, float_cents, normalise, shaped, written
from auditkit.money import parse_cents
from auditkit.vocab import Kind

FLOAT_CENTS = FLOAT_MONEY_LIMIT * 100


@settings(max_examples=300, deadline=None)
@given(st.integers(-FLOAT_CENTS + 1, FLOAT_CENTS - 1))
def test_the_double_nearest_to_an_amount_reads_as_that_amount(cents: int) -> None:
    nearest = float(Decimal(cents) / 100)  # correctly rounded
    assert float_cents(pa.array([nearest])) == (np.array([cents]), np.array([True]))
    # ... and as the text Python writes for it.
    text, ok = parse_cents(pa.array([repr(nearest)]))
    assert ok.all() and text.tolist() == [cents]


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_read_only_as_the_amount_whose_nearest_double_it_is(value: float) -> None:
    (cents,), (ok,) = float_cents(pa.array([value]))
    if ok:
        assert float(Decimal(int(cents)) / 100) == value
        assert abs(value) < FLOAT_MONEY_LIMIT
    else:
        assert cents == 0


@pytest.mark.parametrize(
    ("values", "kind", "typed", "bad"),
    [
        # pandas writes an integer column with nulls as float64
        (pa.array([4.0, None, 4.5, 2.0**53 + 2]), Kind.INTEGER, [4, None, None, None], [0, 0, 1, 1]),
        (pa.array([1000042.0, None, -1.0]), Kind.UIN, ["1000042", None, "-1"], [0, 0, 1]),
        (pa.array([7, 2**63 - 1], pa.uint64()), Kind.UIN, ["7", str(2**63 - 1)], [0, 0]),
        (pa.array([True, False, None]), Kind.BOOL, [True, False, False], [0, 0, 0]),
        (pa.array([1, 0, 2]), Kind.BOOL, [True, False, False], [0, 0, 1]),
    ],
)  # fmt: skip
def test_native_values_read_as_their_text(
    values: pa.Array, kind: Kind, typed: list, bad: list[int]
) -> None:
    spec = next(column_spec(t, c) for t, c in (("accounts", "internal_type"), ("accounts", "uin"),
                ("accounts", "credit_card_bound")) if column_spec(t, c).kind is kind)  # fmt: skip
    column = normalise(spec, pa.chunked_array([values]))
    got = pd.Series(column.values).astype(object)
    assert got.where(got.notna(), None).tolist() == typed
    assert (column.bad if column.bad is not None else np.zeros(len(values))).astype(
        int
    ).tolist() == bad


@pytest.mark.parametrize(
    ("values", "cents", "ok"),
    [
        (pa.array([10**15 - 1, -(10**15), None], pa.int64()), [MAX_MONEY_CENTS - 99, 0, 0], [1, 0, 1]),
        (pa.array([2**64 - 1, 7], pa.uint64()), [0, 700], [0, 1]),
        (pa.array([Decimal("-999999999999999.99"), Decimal("1E+15")], pa.decimal128(20, 2)),
         [-MAX_MONEY_CENTS, 0], [1, 0]),
        (pa.array(["1.5", "1.505", None]), [150, 0, 0], [1, 0, 1]),
    ],
)  # fmt: skip
def test_money_of_every_type_is_exact_within_the_limit(
    values: pa.Array, cents: list[int], ok: list[int]
) -> None:
    column = normalise(column_spec("accounts", "available_balance"), pa.chunked_array([values]))
    assert column.values.tolist() == cents
    bad = column.bad if column.bad is not None else np.zeros(len(values), bool)
    assert (~bad).astype(int).tolist() == ok


def test_values_are_shown_as_written() -> None:
    column = pa.chunked_array([pa.array([4.0, 1e16, None])])
    assert written(column, np.array([0, 1, 2])) == ["4.0", "1e+16", None]
    stamps = pa.chunked_array([pa.array([253402214400000000], pa.timestamp("us"))])
    assert written(stamps, np.array([0])) == ["9999-12-31T00:00:00"]


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.text(alphabet="09aZ._:-\n é", max_size=6),
            st.text(alphabet="0123456789", min_size=18, max_size=22),
            st.text(alphabet="ab", min_size=60, max_size=130),
        ),
        max_size=5,
    )
)
def test_byte_shapes_agree_with_the_contract_patterns(values: list[str]) -> None:
    for text_type in (pa.string(), pa.large_string()):
        array = pa.array(values, type=text_type)
        for kind in SHAPES:
            expected = all(re.fullmatch(PATTERNS[kind].strip("^$"), v) for v in values)
            assert shaped(array, kind) == expected, (kind, values)


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(
        st.one_of(st.none(), st.sampled_from(["1.00", "-2.5", "3", "1.005", "x", "0.10"])),
        max_size=12,
    ),
    moments=st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(
                ["2026-10-01", "2026-10-01T10:00:00+08:00", "no", "2026-10-01T00:00:00.0000001"]
            ),
        ),
        max_size=12,
    ),
)
def test_text_parsed_block_by_block_reads_as_in_one_go(amounts, moments) -> None:
    """Money and moments in text are parsed in blocks of PARSE_BLOCK rows; with blocks of 3
    rows every value, bad and finer-than-microsecond flag comes out as with one block."""
    import auditkit.io.arrow as arrow

    specs = {"amount": column_spec("orders", "amount"), "at": column_spec("orders", "created_at")}
    columns = {
        "amount": pa.chunked_array([pa.array(amounts, pa.string())]),
        "at": pa.chunked_array([pa.array(moments, pa.string())]),
    }
    whole = {name: normalise(specs[name], column) for name, column in columns.items()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrow, "PARSE_BLOCK", 3)
        split_columns = {name: normalise(specs[name], column) for name, column in columns.items()}
    for name, split in split_columns.items():
        assert np.array_equal(
            np.asarray(split.values), np.asarray(whole[name].values), equal_nan=True
        )
        for flag in ("bad", "imprecise"):
            one, many = getattr(whole[name], flag), getattr(split, flag)
            assert (one is None and many is None) or np.array_equal(one, many), flag
