"""Reading and validating a data directory: every kind of input defect is exit 2 with a
message naming table, column, spreadsheet row (header = row 1) and value; never a traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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

from auditkit import InputError, load_tables, tables_from_frames

HEADER = "(rows are numbered as in a spreadsheet, header = row 1)"


def check(capsys: pytest.CaptureFixture[str], data: Path, out: Path) -> tuple[int, str]:
    code, _, err = run_cli(capsys, "check", "--data", data, "--out", out, "--as-of", "2026-11-01")
    assert "Traceback" not in err
    return code, err


def assert_invalid(
    code: int, err: str, *fragments: str, out: Path | None = None, problems: int = 1
) -> None:
    assert code == 2, err
    assert err.startswith(f"invalid input: {problems} problem")
    assert HEADER in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    if out is not None:
        assert not (out / "results.csv").exists()


# (table, 0-based data row, overrides of that row, column, value shown, expected text)
ROW_DEFECTS = [
    pytest.param(
        "accounts", 1, {"account_source": "foreign"}, "account_source", "'foreign'",
        "expected one of external | internal", id="bad-enum",
    ),
    pytest.param(
        "requests", 0, {"action": "Join"}, "action", "'Join'", "expected one of join | quit",
        id="enum-is-case-sensitive",
    ),
    pytest.param(
        "accounts", 1, {"customer_tier": None}, "customer_tier", None, "required value is empty",
        id="missing-required-value",
    ),
    pytest.param(
        "requests", 0, {"member_uin": "12a"}, "member_uin", "'12a'", "expected 1 to 20 ASCII digits",
        id="bad-uin",
    ),
    pytest.param(
        "accounts", 0, {"uin": "1" * 21}, "uin", repr("1" * 21), "expected 1 to 20 ASCII digits",
        id="uin-too-long",
    ),
    pytest.param(
        "requests", 0, {"payer_uin": "-2"}, "payer_uin", "'-2'", "expected 1 to 20 ASCII digits",
        id="bad-optional-uin",
    ),
    pytest.param(
        "orders", 0, {"order_id": "-O1"}, "order_id", "'-O1'",
        "expected 1-64 ASCII letters, digits or ._:- starting with a letter or digit",
        id="id-bad-start",
    ),
    pytest.param(
        "vouchers", 0, {"voucher_id": "V 1"}, "voucher_id", "'V 1'",
        "expected 1-64 ASCII letters, digits or ._:- starting with a letter or digit",
        id="id-bad-character",
    ),
    pytest.param(
        "requests", 0, {"request_id": "R" * 65}, "request_id", repr("R" * 65),
        "expected 1-64 ASCII letters", id="id-too-long",
    ),
    pytest.param(
        "accounts", 0, {"available_balance": "1.005"}, "available_balance", "'1.005'",
        "expected a decimal number with at most 2 decimal places", id="money-3-decimals",
    ),
    pytest.param(
        "orders", 0, {"amount": "-1.005"}, "amount", "'-1.005'",
        "expected a decimal number with at most 2 decimal places", id="money-3-decimals-negative",
    ),
    pytest.param(
        "vouchers", 0, {"remaining_amount": "1,00"}, "remaining_amount", "'1,00'",
        "expected a decimal number with at most 2 decimal places", id="money-decimal-comma",
    ),
    pytest.param(
        "accounts", 0, {"overdue_amount": "-0.01"}, "overdue_amount", "'-0.01'",
        "expected an amount >= 0.00", id="negative-overdue",
    ),
    pytest.param(
        "orders", 0, {"amount": "-5"}, "amount", "'-5'", "expected an amount >= 0.00",
        id="negative-order-amount",
    ),
    pytest.param(
        "accounts", 0, {"credit_card_bound": "yes"}, "credit_card_bound", "'yes'",
        "expected true or false (also 1 or 0, any case)", id="bad-boolean",
    ),
    pytest.param(
        "orders", 0, {"created_at": "2026-02-30"}, "created_at", "'2026-02-30'",
        "expected an ISO 8601 timestamp", id="bad-timestamp",
    ),
    pytest.param(
        "vouchers", 0, {"expires_at": "01/11/2026"}, "expires_at", "'01/11/2026'",
        "expected an ISO 8601 timestamp", id="bad-optional-timestamp",
    ),
    pytest.param(
        "accounts", 0, {"internal_type": "4"}, "internal_type", "'4'",
        "internal_type must be empty when account_source is external", id="internal-type-for-external",
    ),
    pytest.param(
        "accounts", 0, {"account_source": "internal"}, "internal_type", None,
        "internal_type is required when account_source is internal", id="internal-type-missing",
    ),
    pytest.param(
        "accounts", 0, {"account_source": "internal", "internal_type": "four"}, "internal_type",
        "'four'", "expected an integer", id="internal-type-not-integer",
    ),
    pytest.param(
        "accounts", 0, {"enterprise_id": None}, "enterprise_id", None,
        "enterprise_id is required when identity_type is enterprise", id="enterprise-id-missing",
    ),
    pytest.param(
        "accounts", 0, {"identity_type": "personal"}, "enterprise_id", "'E1'",
        "enterprise_id must be empty unless identity_type is enterprise",
        id="enterprise-id-for-personal",
    ),
    pytest.param(
        "accounts", 0, {"channel_role": "distributor_subcustomer"}, "distributor_id", None,
        "distributor_id is required when channel_role is distributor_subcustomer",
        id="distributor-id-missing",
    ),
    pytest.param(
        # Echoed values are cut after 80 characters of their repr, with the full length.
        "accounts", 0, {"enterprise_id": "x" * 129}, "enterprise_id",
        repr("x" * 129)[:80] + "... (129 characters)",
        "expected text of at most 128 characters", id="enterprise-id-too-long",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "index", "overrides", "column", "value", "expected"), ROW_DEFECTS
)
def test_row_defect_is_exit_2_naming_table_column_row_value(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    table: str,
    index: int,
    overrides: dict[str, str | None],
    column: str,
    value: str | None,
    expected: str,
) -> None:
    frames = good_frames()
    for name, new in overrides.items():
        frames[table].loc[index, name] = new
    data = write_data_dir(tmp_path / "data", frames)
    code, err = check(capsys, data, tmp_path / "out")
    location = f"table {table} ({table}.csv), column {column}, row {index + 2}"
    shown = "" if value is None else f" value {value} -"
    assert_invalid(code, err, f"{location}:{shown} {expected}", out=tmp_path / "out")


def test_enterprise_id_of_exactly_128_characters_is_fine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["accounts"].loc[:, "enterprise_id"] = "é" * 128  # characters, not bytes
    data = write_data_dir(tmp_path / "data", frames)
    assert check(capsys, data, tmp_path / "out")[0] == 0


@pytest.mark.parametrize(
    ("table", "column", "rows"),
    [
        ("accounts", "uin", [account("1"), account("1"), account("2")]),
        ("orders", "order_id", [order("O1"), order("O1"), order("O2")]),
        ("vouchers", "voucher_id", [voucher("V1"), voucher("V1"), voucher("V2")]),
        ("requests", "request_id", [request("R1"), request("R1"), request("R2")]),
    ],
)
def test_duplicate_id_lists_every_copy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, table: str, column: str, rows: list
) -> None:
    frames = good_frames()
    frames[table] = frame(table, rows)
    data = write_data_dir(tmp_path / "data", frames)
    code, err = check(capsys, data, tmp_path / "out")
    value = repr(rows[0][column])
    assert_invalid(
        code,
        err,
        f"table {table} ({table}.csv), column {column}, row 2: value {value} - duplicate {column}",
        f"table {table} ({table}.csv), column {column}, row 3: value {value} - duplicate {column}",
        problems=2,
    )
    assert "row 4" not in err


def test_leading_zeros_make_different_uins(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["accounts"] = frame("accounts", [account("1"), account("01"), account("2")])
    data = write_data_dir(tmp_path / "data", frames)
    assert check(capsys, data, tmp_path / "out")[0] == 0


def test_missing_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    frames = good_frames()
    frames["accounts"] = frames["accounts"].drop(columns="customer_tier")
    data = write_data_dir(tmp_path / "data", frames)
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(
        code,
        err,
        "table accounts (accounts.csv), column customer_tier, row 1: required column is missing",
    )


@pytest.mark.parametrize(
    ("table", "column"),
    [("requests", "decision"), ("requests", "payer_uin"), ("vouchers", "expires_at")],
)
def test_optional_means_empty_values_not_a_missing_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, table: str, column: str
) -> None:
    # Contract reading pinned here: every listed column must be in the header; "optional"
    # only allows empty values. A missing column is more likely a broken extract.
    frames = good_frames()
    frames[table] = frames[table].drop(columns=column)
    data = write_data_dir(tmp_path / "data", frames)
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(
        code,
        err,
        f"table {table} ({table}.csv), column {column}, row 1: required column is missing",
    )


def test_extra_columns_are_allowed_and_kept(tmp_path: Path) -> None:
    frames = good_frames()
    frames["accounts"]["note"] = ["=1+1", None]
    tables = load_tables(write_data_dir(tmp_path / "data", frames))
    assert tables.accounts["note"].tolist()[0] == "=1+1"


def _write_text(name: str, content: bytes) -> Callable[[Path], None]:
    return lambda data: (data / name).write_bytes(content)


def _remove(name: str) -> Callable[[Path], None]:
    return lambda data: (data / name).unlink()


def _add_parquet_copy(name: str) -> Callable[[Path], None]:
    def add(data: Path) -> None:
        frame = pd.read_csv(data / f"{name}.csv", dtype=str)
        pq.write_table(pa.Table.from_pandas(frame), data / f"{name}.parquet")

    return add


ORDERS_HEADER = b"order_id,uin,order_type,status,amount,created_at\n"
ORDER_ROW = b"O1,1,purchase,completed,10.00,2026-10-01\n"

FILE_DEFECTS = [
    pytest.param(
        _remove("vouchers.csv"),
        ["table vouchers: missing: expected vouchers.csv or vouchers.parquet in"],
        id="missing-table-file",
    ),
    pytest.param(
        _add_parquet_copy("orders"),
        ["table orders: both orders.csv and orders.parquet are present in", "keep exactly one"],
        id="both-csv-and-parquet",
    ),
    pytest.param(
        _write_text("orders.csv", b""),
        ["table orders (orders.csv): orders.csv is empty; expected at least a header row"],
        id="empty-file",
    ),
    pytest.param(
        _write_text("orders.csv", b"\n"),
        ["table orders (orders.csv), row 1: orders.csv has no header row"],
        id="blank-header",
    ),
    pytest.param(
        _write_text("orders.csv", ORDERS_HEADER + ORDER_ROW + b"O\xe92,1,purchase,completed,1,2026-10-01\n"),
        ["table orders (orders.csv), row 3:", "orders.csv is not valid UTF-8 (bad byte 0xe9)"],
        id="non-utf8-row",
    ),
    pytest.param(
        _write_text("orders.csv", b"\xff\xfe" + ORDERS_HEADER),
        ["table orders (orders.csv), row 1: orders.csv is not UTF-8 text (header row)"],
        id="non-utf8-header",
    ),
    pytest.param(
        _write_text("orders.csv", ORDERS_HEADER + ORDER_ROW + b"O2,1,purchase,completed,1,2026-10-01,x\n"),
        [
            "table orders (orders.csv), row 3: value 'O2,1,purchase,completed,1,2026-10-01,x'",
            "expected 6 fields like the header, found 7",
        ],
        id="too-many-fields",
    ),
    pytest.param(
        _write_text("orders.csv", ORDERS_HEADER + b"O1,1,purchase\n"),
        ["table orders (orders.csv), row 2:", "expected 6 fields like the header, found 3"],
        id="too-few-fields",
    ),
    pytest.param(
        _write_text("orders.csv", b"order_id,uin,uin,order_type,status,amount,created_at\n"),
        ["table orders (orders.csv), column uin, row 1: column 'uin' appears more than once"],
        id="duplicate-header",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("damage", "fragments"), FILE_DEFECTS)
def test_file_defect_is_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    damage: Callable[[Path], None],
    fragments: list[str],
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    damage(data)
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(code, err, *fragments, out=tmp_path / "out")


def test_row_numbers_count_records_not_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A quoted value spanning two lines is one spreadsheet row.
    frames = good_frames()
    frames["accounts"] = frame(
        "accounts",
        [account("1", enterprise_id="Acme\nLtd"), account("2"), account("3", customer_tier="x")],
    )
    data = write_data_dir(tmp_path / "data", frames)
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(
        code, err, "table accounts (accounts.csv), column customer_tier, row 4: value 'x'"
    )


def test_missing_data_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = check(capsys, tmp_path / "nowhere", tmp_path / "out")
    assert_invalid(code, err, "table (data directory):", str(tmp_path / "nowhere"))


def test_all_problems_are_collected_across_tables(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["accounts"].loc[0, "credit_card_bound"] = "yes"
    frames["orders"].loc[0, "status"] = "paid"
    frames["orders"].loc[0, "amount"] = "1.001"
    data = write_data_dir(tmp_path / "data", frames)
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(
        code,
        err,
        "table accounts (accounts.csv), column credit_card_bound, row 2: value 'yes'",
        "table orders (orders.csv), column amount, row 2: value '1.001'",
        "table orders (orders.csv), column status, row 2: value 'paid'",
        problems=3,
    )


def test_more_than_20_problems_lists_20_and_counts_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["requests"] = frame("requests", [request(f"R{i}", member_uin="x") for i in range(25)])
    data = write_data_dir(tmp_path / "data", frames)
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(
        code, err, "row 21: value 'x'", "... and 5 more problems not listed", problems=25
    )
    assert err.count("  - table requests") == 20
    assert "row 22:" not in err


# ---- Parquet input -----------------------------------------------------------------


def test_parquet_defect_names_the_parquet_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = good_frames()
    frames["accounts"].loc[0, "available_balance"] = "1.005"
    data = write_data_dir(tmp_path / "data", frames, fmt="parquet")
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(
        code,
        err,
        "table accounts (accounts.parquet), column available_balance, row 2: value '1.005'",
    )


@pytest.mark.parametrize(
    ("column", "values", "shown"),
    [
        (
            "internal_type",
            pa.array([4, None], pa.int64()),
            "value '4' - internal_type must be empty",
        ),
        (
            "overdue_amount",
            pa.array([-1, 0], pa.int64()),
            "value '-1' - expected an amount >= 0.00",
        ),
        (
            "overdue_amount",
            pa.array([Decimal("-1.50"), Decimal("0")], pa.decimal128(10, 2)),
            "value '-1.50' - expected an amount >= 0.00",
        ),
        (
            "available_balance",
            pa.array([1.005, 0.0], pa.float64()),
            "value '1.005' - expected a decimal number with at most 2 decimal places",
        ),
        ("credit_card_bound", pa.array([None, True], pa.bool_()), "required value is empty"),
    ],
)
def test_parquet_native_value_is_shown_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, column: str, values: pa.Array, shown: str
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), fmt="parquet")
    accounts = pq.read_table(data / "accounts.parquet")
    accounts = accounts.set_column(accounts.column_names.index(column), column, values)
    pq.write_table(accounts, data / "accounts.parquet")
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(code, err, f"table accounts (accounts.parquet), column {column}, row 2: {shown}")


def test_unreadable_parquet(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), fmt="parquet")
    (data / "orders.parquet").write_bytes(b"not parquet at all")
    code, err = check(capsys, data, tmp_path / "out")
    assert_invalid(code, err, "table orders (orders.parquet): orders.parquet is not a readable")


def test_parquet_native_types_load_like_csv_text(tmp_path: Path) -> None:
    """Integer uins, integer money (whole units), booleans and timestamps are accepted."""
    csv_tables = load_tables(write_data_dir(tmp_path / "csv", good_frames()))
    data = write_data_dir(tmp_path / "pq", good_frames(), fmt="parquet")
    text = good_frames()["accounts"]
    accounts = pa.Table.from_pandas(text.drop(columns=["uin", "available_balance"])).append_column(
        "uin", pa.array([1, 2], pa.int64())
    )
    accounts = accounts.append_column("available_balance", pa.array([100, 100], pa.int64()))
    accounts = accounts.set_column(
        accounts.column_names.index("credit_card_bound"),
        "credit_card_bound",
        pa.array([True, True]),
    )
    pq.write_table(accounts, data / "accounts.parquet")
    orders = pa.Table.from_pandas(good_frames()["orders"].drop(columns=["amount", "created_at"]))
    orders = orders.append_column("amount", pa.array([Decimal("10.00")], pa.decimal128(10, 2)))
    orders = orders.append_column(
        "created_at", pa.array([dt.datetime(2026, 10, 1)], pa.timestamp("s"))
    )
    pq.write_table(orders, data / "orders.parquet")
    pq_tables = load_tables(data)
    for name in ("accounts", "orders", "vouchers", "requests"):
        pd.testing.assert_frame_equal(
            pq_tables[name][csv_tables[name].columns],
            csv_tables[name],
            check_dtype=False,
            check_categorical=False,
        )


# ---- values that are valid -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("0", 0), ("-0.00", 0), ("12.5", 1250), ("-12.50", -1250), ("0.01", 1), ("-0.01", -1),
     ("999999999999999.99", 99999999999999999)],
)  # fmt: skip
def test_money_is_exact_cents(raw: str, cents: int) -> None:
    frames = raw_frames(accounts=[account("1", available_balance=raw)])
    assert tables_from_frames(frames).accounts["available_balance_cents"].tolist() == [cents]


@pytest.mark.parametrize("raw", ["1e3", " 1", "1.", ".5", "1.234", "+1", "1 000", "NaN"])
def test_money_rejects_other_spellings(raw: str) -> None:
    with pytest.raises(InputError) as error:
        tables_from_frames(raw_frames(accounts=[account("1", available_balance=raw)]))
    [problem] = error.value.problems
    assert (problem.column, problem.row, problem.value) == ("available_balance", 2, raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("true", True), ("TRUE", True), ("True", True), ("1", True), ("false", False),
     ("FALSE", False), ("0", False)],
)  # fmt: skip
def test_booleans(raw: str, value: bool) -> None:
    tables = tables_from_frames(raw_frames(accounts=[account("1", credit_card_bound=raw)]))
    assert tables.accounts["credit_card_bound"].tolist() == [value]


@pytest.mark.parametrize(
    ("raw", "moment"),
    [
        ("2026-11-01", dt.datetime(2026, 11, 1)),
        ("2026-11-01T10:00:00", dt.datetime(2026, 11, 1, 10)),
        ("2026-11-01T10:00:00+08:00", dt.datetime(2026, 11, 1, 2)),
        ("2026-11-01T10:00:00Z", dt.datetime(2026, 11, 1, 10)),
    ],
)
def test_timestamps_are_naive_utc(raw: str, moment: dt.datetime) -> None:
    tables = tables_from_frames(raw_frames(orders=[order(created_at=raw)]))
    assert tables.orders["created_at"].tolist() == [pd.Timestamp(moment)]


def test_utf8_bom_header_is_accepted(tmp_path: Path) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    path = data / "orders.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_tables(data).orders["order_id"].tolist() == ["O1"]


def test_tables_from_frames_reports_a_missing_table() -> None:
    frames = good_frames()
    del frames["orders"]
    with pytest.raises(InputError) as error:
        tables_from_frames(frames)
    assert [(p.table, p.expected) for p in error.value.problems] == [("orders", "table is missing")]


def test_a_check_of_files_does_not_import_pandera(tmp_path: Path) -> None:
    """Files are checked by the Arrow backend: `check` leaves pandera (0.15-0.3 s of start-up)
    unimported; frames built in memory still get it when they are validated."""
    import subprocess
    import sys

    write_data_dir(tmp_path / "data", good_frames())
    script = (
        "import sys\n"
        "from auditkit.cli import main\n"
        f"code = main(['check', '--data', {str(tmp_path / 'data')!r}, '--out', "
        f"{str(tmp_path / 'out')!r}, '--as-of', '2026-11-01'])\n"
        "print(code, 'pandera' in sys.modules)\n"
        "from auditkit import tables_from_frames\n"
        "from conftest import good_frames\n"
        "tables_from_frames(good_frames())\n"
        "print('pandera' in sys.modules)\n"
    )
    tests = str(Path(__file__).resolve().parents[1])
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tests, check=False
    )
    assert run.stdout.split()[-3:] == ["0", "False", "True"], run.stdout + run.stderr
