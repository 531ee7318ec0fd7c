"""Odd files from the adversarial review: each is read right or refused with exit 2 naming
table, column, row and value, never a crash and never a silently wrong value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import (
    account,
    frame,
    good_frames,
    order,
    raw_frames,
    request,
    run_cli,
    voucher,
    write_data_dir,
)

from auditkit import POB, InputError, Params, evaluate, load_tables, tables_from_frames
from auditkit.errors import MAX_LISTED_PROBLEMS
from auditkit.io import read

HEADER = "(rows are numbered as in a spreadsheet, header = row 1)"


def check(capsys: pytest.CaptureFixture[str], data: Path, out: Path) -> tuple[int, str]:
    code, _, err = run_cli(capsys, "check", "--data", data, "--out", out, "--as-of", "2026-11-01")
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err


def refused(capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path, *fragments: str) -> str:
    code, err = check(capsys, data, tmp_path / "out")
    assert code == 2, err
    assert err.startswith("invalid input: ") and HEADER in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    assert not (tmp_path / "out" / "results.csv").exists()
    return err


# ---- CSV: one parser for the header and the rows ----------------------------------------


def test_a_quoted_newline_in_the_first_header_name_keeps_uins_as_text(tmp_path: Path) -> None:
    # The header reader used to split the first line at the newline inside the quotes,
    # so no column was forced to text and uin 0100 was read as the number 100.
    frames = good_frames()
    frames["accounts"] = frame("accounts", [account("0100"), account("2")])
    frames["accounts"].insert(0, "note\nsecond line", ["a", "b"])
    frames["requests"] = frame("requests", [request(member_uin="0100")])
    tables = load_tables(write_data_dir(tmp_path / "data", frames))
    assert tables.accounts["uin"].tolist() == ["0100", "2"]
    assert tables.accounts["note\nsecond line"].tolist() == ["a", "b"]
    result = evaluate(tables, Params(as_of="2026-11-01"), POB)
    assert result.verdicts["verdict"].tolist() == ["eligible"]


def test_cr_only_line_endings_are_refused_with_a_location(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    path = data / "orders.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    refused(
        capsys,
        data,
        tmp_path,
        "table orders (orders.csv), row 1: orders.csv has a line that ends in a bare carriage "
        "return (CR)",
        "save it with LF or CRLF line endings",
    )


def test_a_carriage_return_inside_quotes_is_text(tmp_path: Path) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    path = data / "accounts.csv"
    path.write_bytes(path.read_bytes().replace(b",E1,", b',"Acme\rLtd ""x""",', 1))
    tables = load_tables(data)
    assert tables.accounts["enterprise_id"].tolist() == ['Acme\rLtd "x"', "E1"]


def test_a_field_over_a_megabyte_is_a_located_value_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The standard library parser raised csv.Error (field larger than field limit).
    frames = good_frames()
    frames["accounts"].loc[1, "enterprise_id"] = "x" * 2_000_000
    err = refused(
        capsys,
        write_data_dir(tmp_path / "data", frames),
        tmp_path,
        "table accounts (accounts.csv), column enterprise_id, row 3: value 'xxxx",
        "... (2,000,000 characters) - expected text of at most 128 characters",
    )
    assert len(err) < 1000


def test_a_row_longer_than_a_parser_block_is_located(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read, "CSV_BLOCK_BYTES", 1 << 16)
    frames = good_frames()
    frames["accounts"]["note"] = ["short", "y" * 1_000_000]
    refused(
        capsys,
        write_data_dir(tmp_path / "data", frames),
        tmp_path,
        "table accounts (accounts.csv), column note, row 3: value 'yyyy",
        "a row of at most 65,536 bytes",
        "1,000,000 characters in 'note' alone",
    )


def test_blank_lines_count_as_rows_like_a_spreadsheet_shows_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["orders"] = frame("orders", [order("O1"), order("O2", status="paid")])
    data = write_data_dir(tmp_path / "data", frames)
    path = data / "orders.csv"
    header, first, second = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(header + b"\n" + first + b"\n\n" + second)
    # header = 1, blank = 2, O1 = 3, blank = 4 and 5, O2 = 6
    refused(capsys, data, tmp_path, "table orders (orders.csv), column status, row 6: value 'paid'")


@pytest.mark.parametrize("written", ["UIN", " uin", "uin ", "uni"])
def test_a_misspelt_header_suggests_the_name_it_should_have(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, written: str
) -> None:
    frames = good_frames()
    frames["accounts"] = frames["accounts"].rename(columns={"uin": written})
    refused(
        capsys,
        write_data_dir(tmp_path / "data", frames),
        tmp_path,
        f"table accounts (accounts.csv), column uin, row 1: value {written!r} - required column "
        "is missing from the header; did you mean 'uin'?",
    )


# ---- timestamps: microseconds kept, anything finer refused, never truncated ---------------

PRECISION = "expected a timestamp to the microsecond at most (6 decimal places of seconds)"


def test_an_expiry_100_ns_after_midnight_is_refused_not_truncated_to_expired(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["vouchers"] = frame("vouchers", [voucher(expires_at="2026-11-01T00:00:00.0000001")])
    refused(
        capsys,
        write_data_dir(tmp_path / "data", frames),
        tmp_path,
        "table vouchers (vouchers.csv), column expires_at, row 2: value "
        f"'2026-11-01T00:00:00.0000001' - {PRECISION}",
    )


@pytest.mark.parametrize(
    ("raw", "moment"),
    [
        ("2026-11-01T00:00:00.000001", dt.datetime(2026, 11, 1, 0, 0, 0, 1)),
        ("2026-11-01T00:00:00.123456000", dt.datetime(2026, 11, 1, 0, 0, 0, 123456)),
        ("2026-11-01T00:00:00.5+01:00", dt.datetime(2026, 10, 31, 23, 0, 0, 500000)),
    ],
)
def test_microseconds_are_kept_and_trailing_zeros_are_fine(raw: str, moment: dt.datetime) -> None:
    tables = tables_from_frames(raw_frames(vouchers=[voucher(expires_at=raw)]))
    assert tables.vouchers["expires_at"].tolist() == [pd.Timestamp(moment)]


def test_a_far_expiry_next_to_nanosecond_zeros_still_parses() -> None:
    # One value written to the nanosecond made pandas parse the column in nanoseconds,
    # where 9999-12-31 (a common "never") does not fit and became "not a timestamp".
    rows = [
        voucher("V1", expires_at="9999-12-31"),
        voucher("V2", expires_at="2026-11-01T00:00:00.000000000"),
    ]
    tables = tables_from_frames(raw_frames(vouchers=rows))
    assert tables.vouchers["expires_at"].tolist() == [
        pd.Timestamp("9999-12-31"),
        pd.Timestamp("2026-11-01"),
    ]


def test_parquet_nanoseconds_are_refused_unless_whole_microseconds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), fmt="parquet")
    vouchers = pq.read_table(data / "vouchers.parquet")
    at = vouchers.column_names.index("expires_at")
    whole = pa.array([pd.Timestamp("2026-11-01T00:00:00.000001").value], pa.timestamp("ns"))
    pq.write_table(vouchers.set_column(at, "expires_at", whole), data / "vouchers.parquet")
    assert load_tables(data).vouchers["expires_at"].tolist() == [
        pd.Timestamp("2026-11-01T00:00:00.000001")
    ]
    finer = pa.array([pd.Timestamp("2026-11-01").value + 100], pa.timestamp("ns"))
    pq.write_table(vouchers.set_column(at, "expires_at", finer), data / "vouchers.parquet")
    refused(
        capsys,
        data,
        tmp_path,
        "table vouchers (vouchers.parquet), column expires_at, row 2: value",
        PRECISION,
    )


# ---- Parquet money: the same 15 digits before the point as CSV ----------------------------


def parquet_with(data: Path, table: str, column: str, values: pa.Array) -> None:
    arrow = pq.read_table(data / f"{table}.parquet")
    arrow = arrow.set_column(arrow.column_names.index(column), column, values)
    pq.write_table(arrow, data / f"{table}.parquet")


MONEY_EXPECTED = "expected a decimal number with at most 2 decimal places"


@pytest.mark.parametrize(
    ("column", "values", "shown"),
    [
        # whole units times 100 wrapped around: judged as ">= 0.00"
        ("available_balance", pa.array([-(10**17), 0], pa.int64()), "'-100000000000000000'"),
        # a common missing-value sentinel; became 0.00 and let POB-J10 pass
        ("overdue_amount", pa.array([-(2**63), 0], pa.int64()), "'-9223372036854775808'"),
        ("overdue_amount", pa.array([10**15, 0], pa.int64()), "'1000000000000000'"),
        # uint64 crashed the int64 conversion
        ("available_balance", pa.array([2**64 - 1, 0], pa.uint64()), "'18446744073709551615'"),
        # abs(INT64_MIN) is negative, so the range check let it through as 0
        (
            "available_balance",
            pa.array([Decimal(-(2**63)), Decimal(0)], pa.decimal128(20, 0)),
            "'-9223372036854775808'",
        ),
        (
            "available_balance",
            pa.array([Decimal("1000000000000000.00"), Decimal(0)], pa.decimal128(20, 2)),
            "'1000000000000000.00'",
        ),
        ("available_balance", pa.array([1e16, 0.0], pa.float64()), "'1e+16'"),
    ],
)
def test_parquet_money_out_of_range_is_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    column: str,
    values: pa.Array,
    shown: str,
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), fmt="parquet")
    parquet_with(data, "accounts", column, values)
    refused(
        capsys,
        data,
        tmp_path,
        f"table accounts (accounts.parquet), column {column}, row 2: value {shown} - "
        f"{MONEY_EXPECTED}",
    )


@pytest.mark.parametrize(
    ("values", "cents"),
    [
        (pa.array([10**15 - 1, -(10**15 - 1)], pa.int64()), [99999999999999900, -99999999999999900]),
        (pa.array([7, 0], pa.uint64()), [700, 0]),
        (pa.array([Decimal("999999999999999.99"), Decimal("-0.01")], pa.decimal128(17, 2)), [99999999999999999, -1]),
    ],
)  # fmt: skip
def test_parquet_money_at_the_limits_is_exact(
    tmp_path: Path, values: pa.Array, cents: list[int]
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), fmt="parquet")
    parquet_with(data, "accounts", "available_balance", values)
    assert load_tables(data).accounts["available_balance_cents"].tolist() == cents


@pytest.mark.parametrize(
    ("column", "values", "row", "kind"),
    [
        ("uin", pa.array([["1"], ["2"]], pa.list_(pa.string())), 2, "list<element: string>"),
        (
            "available_balance",
            pa.array([None, {"units": 1}], pa.struct([("units", pa.int64())])),
            3,
            "struct<units: int64>",
        ),
        ("customer_tier", pa.array([b"\xff", b"key"], pa.binary()), 2, "binary"),
    ],
)
def test_parquet_list_struct_or_binary_columns_are_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    column: str,
    values: pa.Array,
    row: int,
    kind: str,
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), fmt="parquet")
    parquet_with(data, "accounts", column, values)
    refused(
        capsys,
        data,
        tmp_path,
        f"table accounts (accounts.parquet), column {column}, row {row}: value",
        f"a Parquet column of type {kind}, which auditkit cannot read; expected",
    )


# ---- many problems: examples per check, a count of the rest --------------------------------


def test_each_check_keeps_20_examples_and_counts_the_rest() -> None:
    rows = [request(f"R{i}", member_uin="x", action="hop") for i in range(30)]
    with pytest.raises(InputError) as raised:
        tables_from_frames(raw_frames(accounts=[account()], requests=rows))
    error = raised.value
    assert error.count == 60
    by_column = pd.Series([p.column for p in error.problems]).value_counts().to_dict()
    assert by_column == {"member_uin": MAX_LISTED_PROBLEMS, "action": MAX_LISTED_PROBLEMS}
    assert {(u.column, u.count) for u in error.unlisted} == {("member_uin", 10), ("action", 10)}
    message = error.message()
    assert message.count("\n  - table requests") == MAX_LISTED_PROBLEMS
    assert "... and 40 more problems not listed" in message
    assert "    30 x table requests, column member_uin: expected 1 to 20 ASCII digits" in message
    assert "    30 x table requests, column action: expected one of join | quit" in message


def test_a_long_value_is_cut_in_the_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["orders"].loc[0, "order_id"] = "O" * 500_000
    err = refused(
        capsys,
        write_data_dir(tmp_path / "data", frames),
        tmp_path,
        "column order_id, row 2: value 'OOOO",
        "... (500,000 characters) - expected 1-64 ASCII letters",
    )
    assert len(err) < 1000
