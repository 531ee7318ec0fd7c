"""The fast Parquet path gives the same Tables as the full validation, and the same refusals."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import account, good_frames, raw_frames, request, write_data_dir
from hypothesis import given, settings
from hypothesis import strategies as st

import auditkit.demo as demo
from auditkit.demo.files import arrow_table, write
from auditkit.errors import InputError
from auditkit.io import fast
from auditkit.io.read import find_table_files
from auditkit.io.tables import load_tables


def assert_same_tables(folder: Path) -> None:
    expected, actual = load_tables(folder), fast.load(folder)
    assert actual.names == expected.names
    for name in expected.names:
        pd.testing.assert_frame_equal(actual[name], expected[name])
        assert actual.sources[name] == expected.sources[name]


def fast_path_taken(folder: Path) -> bool:
    """fast.load read `folder` itself, down to the event links, without falling back."""
    files = find_table_files(folder, tuple(p.stem for p in folder.glob("*.parquet")))
    try:
        for table, path in files.items():
            fast.typed_frame(table, pq.read_table(path))
    except fast.Unsure:
        return False
    with mock.patch.object(fast, "load_tables", side_effect=AssertionError("fell back")):
        try:
            fast.load(folder)
        except AssertionError:
            return False
    return True


def test_demo_data_takes_the_fast_path_to_the_same_tables(tmp_path: Path) -> None:
    write(demo.generate(requests=300, seed=5), tmp_path, "parquet")
    assert fast_path_taken(tmp_path)
    assert_same_tables(tmp_path)


def test_native_types_and_extras(tmp_path: Path) -> None:
    """Integer uins, integer and text money, zoned timestamps, an extra column."""
    raw = demo.generate(requests=50, seed=2, history=False)
    data = {name: arrow_table(frame, for_csv=False) for name, frame in raw.items()}
    accounts = data["accounts"]
    uins = pa.array(range(1, accounts.num_rows + 1), pa.int64())
    requests = data["requests"]
    data["accounts"] = (
        accounts.set_column(0, "uin", uins)
        .set_column(
            accounts.schema.get_field_index("overdue_amount"),
            "overdue_amount",
            pa.array(range(accounts.num_rows), pa.int64()),
        )
        .append_column("note", pa.array(["=x"] * accounts.num_rows))
    )
    stamps = requests.column("requested_at").cast(pa.timestamp("ms", "Asia/Shanghai"))
    balance = data["orders"].column("amount").cast(pa.string())
    data["requests"] = requests.set_column(
        requests.schema.get_field_index("requested_at"), "requested_at", stamps
    )
    data["orders"] = data["orders"].set_column(
        data["orders"].schema.get_field_index("amount"), "amount", balance
    )
    for name, table in data.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    assert fast_path_taken(tmp_path)
    assert_same_tables(tmp_path)


@pytest.mark.parametrize(
    "frames",
    [
        raw_frames(accounts=[account("1"), account("1")], requests=[request()]),
        raw_frames(accounts=[account("x1")], requests=[request()]),
        raw_frames(accounts=[account("1", available_balance="1.005")], requests=[request()]),
        raw_frames(accounts=[account("1", account_source="internal")], requests=[request()]),
        raw_frames(accounts=[account("1")], requests=[request(action="leave")]),
        raw_frames(accounts=[account("1")], requests=[request(request_id="-R")]),
    ],
    ids=["duplicate", "uin", "money", "row rule", "enum", "id"],
)
def test_refusals_are_worded_by_the_full_validation(tmp_path: Path, frames) -> None:
    write_data_dir(tmp_path, frames, "parquet")
    with pytest.raises(InputError) as full:
        load_tables(tmp_path)
    with pytest.raises(InputError) as quick:
        fast.load(tmp_path)
    assert quick.value.message() == full.value.message()


def _with_column(folder: Path, table: str, column: str, first: object, kind: pa.DataType) -> None:
    """Column `column` of `table` as `kind`: `first` in row 2, the second row's value (or
    the first row's, if `first` is None) everywhere else."""
    arrow = pq.read_table(folder / f"{table}.parquet")
    rest = [first if first is not None else 0] * (arrow.num_rows - 1)
    if kind == pa.bool_():
        rest = [True] * (arrow.num_rows - 1)
    elif column == "uin":
        rest = list(range(2, arrow.num_rows + 1))
    values = pa.array([first, *rest], kind)
    arrow = arrow.set_column(arrow.column_names.index(column), column, values)
    pq.write_table(arrow, folder / f"{table}.parquet")


@pytest.mark.parametrize(
    ("column", "first", "kind"),
    [
        ("available_balance", -(10**17), pa.int64()),
        ("overdue_amount", -(2**63), pa.int64()),
        ("available_balance", 2**64 - 1, pa.uint64()),
        ("available_balance", None, pa.int64()),
        ("available_balance", -(10**15 - 1), pa.int64()),
        ("available_balance", Decimal(-(2**63)), pa.decimal128(20, 0)),
        ("credit_card_bound", None, pa.bool_()),
        ("internal_type", 2**62, pa.int64()),
        ("internal_type", 10**18, pa.int64()),
        ("internal_type", 2**64 - 1, pa.uint64()),
        ("uin", 1, pa.uint64()),
    ],
    ids=[
        "int64 balance wraps",
        "INT64_MIN overdue",
        "uint64 max",
        "null money",
        "money at the limit",
        "decimal INT64_MIN",
        "null boolean",
        "big integer",
        "19-digit integer",
        "uint64 integer",
        "uint64 uins",
    ],
)
def test_hostile_native_columns_read_as_the_full_validation_reads_them(
    tmp_path: Path, column: str, first: object, kind: pa.DataType
) -> None:
    """Native Parquet types the fast path meets first: either both paths refuse with the
    same words, or both give the same tables."""
    write(demo.generate(requests=30, seed=3, history=False), tmp_path, "parquet")
    assert fast_path_taken(tmp_path)
    _with_column(tmp_path, "accounts", column, first, kind)
    try:
        expected = load_tables(tmp_path)
    except InputError as full:
        with pytest.raises(InputError) as quick:
            fast.load(tmp_path)
        assert quick.value.message() == full.message()
        return
    actual = fast.load(tmp_path)
    for name in expected.names:
        pd.testing.assert_frame_equal(actual[name], expected[name])


def test_csv_goes_the_full_way(tmp_path: Path) -> None:
    write_data_dir(tmp_path, good_frames(), "csv")
    assert_same_tables(tmp_path)


@settings(max_examples=300, deadline=None)
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
    array = pa.chunked_array([pa.array(values, type=pa.string())])
    for kind, (_, _, _, pattern) in fast.SHAPES.items():
        expected = all(re.fullmatch(pattern.strip("^$"), v) for v in values)
        assert fast.shaped(array, kind) == expected, (kind, values)
