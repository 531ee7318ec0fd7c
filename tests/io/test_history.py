"""The history tables of contract v1.1 section 4: read, validated and refused like the v1 tables."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import (
    account,
    good_frames,
    order,
    order_event,
    raw_frames,
    request,
    run_cli,
    state,
    voucher,
    voucher_event,
    write_data_dir,
)

from auditkit import InputError, load_tables, tables_from_frames
from auditkit.contract import HISTORY_TABLES

AS_OF = ("--as-of", "2026-11-01")


def history_frames(**changes: list[dict]) -> dict:
    """A valid data set with history; `changes` replaces whole tables."""
    rows = {
        "accounts": [account("1"), account("2")],
        "orders": [order("O1", "1")],
        "vouchers": [voucher("V1", "1")],
        "requests": [request()],
        "account_history": [state("1"), state("2")],
        "order_events": [order_event("O1", "completed", "2026-10-01")],
        "voucher_events": [voucher_event("V1")],
    } | changes
    v1 = {name: rows[name] for name in ("accounts", "orders", "vouchers", "requests")}
    history = {name: rows[name] for name in HISTORY_TABLES}
    return raw_frames(**v1, **history)


def problems(frames: dict) -> list[str]:
    with pytest.raises(InputError) as raised:
        tables_from_frames(frames)
    return [p.describe() for p in raised.value.problems]


def test_valid_history_loads_and_types_its_columns() -> None:
    tables = tables_from_frames(history_frames())
    assert tables.has_history
    assert tables.account_history["valid_from"].dtype == "datetime64[us]"
    assert tables.voucher_events["remaining_amount_cents"].tolist() == [500]
    assert str(tables.order_events["status"].dtype) == "category"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"account_history": [state("1", "2026-01-01"), state("1", "2026-01-01T00:00:00")]},
            "table account_history, column uin, row 3: value '1, valid_from 2026-01-01T00:00:00' - "
            "duplicate (uin, valid_from); each pair must appear only once",
        ),
        (
            {
                "order_events": [
                    order_event("O1", at="2026-10-01"),
                    order_event("O1", at="2026-10-01"),
                ]
            },
            "table order_events, column order_id, row 2: value 'O1, at 2026-10-01' - duplicate "
            "(order_id, at); each pair must appear only once",
        ),
        (
            {"account_history": [state("1", valid_from="yesterday"), state("2")]},
            "table account_history, column valid_from, row 2: value 'yesterday' - expected an "
            "ISO 8601 timestamp like 2026-11-01 or 2026-11-01T10:00:00",
        ),
        (
            {"account_history": [state("1", enterprise_id=None), state("2")]},
            "table account_history, column enterprise_id, row 2: enterprise_id is required when "
            "identity_type is enterprise",
        ),
        (
            {"order_events": [order_event("O1", status="paid")]},
            "table order_events, column status, row 2: value 'paid' - expected one of "
            "to_be_paid | processing | completed | cancelled",
        ),
        (
            {"voucher_events": [voucher_event("V1", remaining="-1.00")]},
            "table voucher_events, column remaining_amount, row 2: value '-1.00' - expected an "
            "amount >= 0.00",
        ),
    ],
)
def test_history_values_are_checked(changes: dict, expected: str) -> None:
    assert expected in problems(history_frames(**changes))


def test_events_must_belong_to_known_orders_and_vouchers() -> None:
    found = problems(
        history_frames(
            order_events=[order_event("O1"), order_event("O9")],
            voucher_events=[voucher_event("V1"), voucher_event("V7")],
        )
    )
    assert (
        "table order_events, column order_id, row 3: value 'O9' - order_id is not in orders"
        in found
    )
    assert (
        "table voucher_events, column voucher_id, row 3: value 'V7' - voucher_id is not in vouchers"
        in found
    )


def test_every_order_and_voucher_needs_an_event_and_is_named() -> None:
    found = problems(
        history_frames(
            orders=[order("O1", "1"), order("O2", "1")],
            vouchers=[voucher("V1", "1"), voucher("V2", "1")],
        )
    )
    assert found == [
        "table orders, column order_id, row 3: value 'O2' - has no event in order_events; every "
        "row of orders needs at least one",
        "table vouchers, column voucher_id, row 3: value 'V2' - has no event in voucher_events; "
        "every row of vouchers needs at least one",
    ]


def test_cli_at_requested_without_history_exits_2_naming_each_missing_table(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    code, _, err = run_cli(
        capsys, "check", "--data", data, "--out", tmp_path / "out", *AS_OF, "--at", "requested"
    )
    assert code == 2
    for table in HISTORY_TABLES:
        assert f"table {table}: missing: expected {table}.csv or {table}.parquet" in err
    # Snapshot mode does not need them.
    assert run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out", *AS_OF)[0] == 0


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_refuses_an_order_without_events_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path, fmt: str
) -> None:
    frames = history_frames(orders=[order("O1", "1"), order("ORD-77", "1")])
    data = write_data_dir(tmp_path / "data", frames, fmt)
    for at in ("requested", "snapshot"):  # present history is validated in snapshot mode too
        argv = ["check", "--data", data, "--out", tmp_path / "out", *AS_OF, "--at", at]
        code, _, err = run_cli(capsys, *argv)
        assert code == 2
        assert f"table orders (orders.{fmt}), column order_id, row 3: value 'ORD-77'" in err


def test_cli_judges_at_requested_at_with_history(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    frames = history_frames(
        account_history=[state("1", available_balance="-3.00"), state("2")],
    )
    data = write_data_dir(tmp_path / "data", frames)
    argv = ["check", "--data", data, "--out", tmp_path / "out", *AS_OF, "--at", "requested"]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    assert "judged each at its requested_at" in out
    results = (tmp_path / "out" / "results.csv").read_text(encoding="utf-8")
    assert "member 1 available_balance was -3.00 at 2026-10-15T00:00:00, must be >= 0.00" in results


def test_check_warns_about_requests_made_after_as_of(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    frames = good_frames()
    frames["requests"] = raw_frames(
        requests=[request("R1"), request("R2", requested_at="2026-11-03T10:00:00")]
    )["requests"]
    data = write_data_dir(tmp_path / "data", frames)
    code, _, err = run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out", *AS_OF)
    assert code == 0
    assert "warning: 1 request(s) are dated after as_of 2026-11-01" in err
    assert "2026-11-03T10:00:00" in err


def test_loading_a_directory_reads_history_when_present(tmp_path) -> None:
    data = write_data_dir(tmp_path / "data", history_frames())
    assert load_tables(data).has_history
    assert not load_tables(write_data_dir(tmp_path / "v1", good_frames())).has_history


# ---- moments outside pandas' nanosecond range (1677-2262) ------------------------------

FAR = {
    "account_history": [
        state("1", "1600-01-01", available_balance="-3.00"),
        state("1", "9999-12-31", available_balance="5.00"),
        state("2", "1600-01-01"),
        state("2", "2262-04-12"),
    ],
    "orders": [order("O1", "1", status="to_be_paid")],
    "order_events": [order_event("O1", "to_be_paid", "1600-01-01"), order_event("O1", "completed", "2262-04-12T00:00:01")],
    "vouchers": [voucher("V1", "1", expires_at="9999-12-31")],
    "voucher_events": [voucher_event("V1", at="1600-01-01")],
    "requests": [
        request("R1", requested_at="2026-10-15"),
        request("R2", requested_at="9999-12-31T00:00:00"),
    ],
}  # fmt: skip


def far_data(tmp_path, fmt: str):
    """The FAR history as CSV text, Parquet text, or Parquet with timestamp[us] columns."""
    frames = history_frames(**FAR)
    data = write_data_dir(tmp_path / "data", frames, "csv" if fmt == "csv" else "parquet")
    if fmt == "parquet timestamps":
        for table, frame in frames.items():
            arrow = pq.read_table(data / f"{table}.parquet")
            for name in ("valid_from", "at", "expires_at", "requested_at", "created_at"):
                if name in arrow.column_names:
                    moments = pa.array(
                        pd.to_datetime(frame[name], format="ISO8601").astype("datetime64[us]")
                    )
                    arrow = arrow.set_column(arrow.column_names.index(name), name, moments)
            pq.write_table(arrow, data / f"{table}.parquet")
    return data


@pytest.mark.parametrize("fmt", ["csv", "parquet", "parquet timestamps"])
def test_moments_outside_the_nanosecond_range_are_accepted_and_judged(
    capsys: pytest.CaptureFixture[str], tmp_path, fmt: str
) -> None:
    """1600-01-01, 2262-04-12 and 9999-12-31 ("open-ended") were refused as a false
    "duplicate (uin, valid_from)" with no row; they are moments like any other."""
    data = far_data(tmp_path, fmt)
    tables = load_tables(data)
    assert tables.account_history["valid_from"].tolist() == [
        pd.Timestamp(moment) for moment in ("1600-01-01", "9999-12-31", "1600-01-01", "2262-04-12")
    ]
    argv = ["check", "--data", data, "--out", tmp_path / "out", *AS_OF, "--at", "requested"]
    code, _, err = run_cli(capsys, *argv, "--format", "csv")
    assert code == 0, err
    results = pd.read_csv(tmp_path / "out" / "results.csv", dtype=str, keep_default_na=False)
    by = results.set_index(["request_id", "rule_id"])["reason"]
    # In 2026 the state of 1600 holds; at 9999-12-31 the state that starts then.
    assert by["R1", "POB-J06"] == (
        "member 1 available_balance was -3.00 at 2026-10-15T00:00:00, must be >= 0.00"
    )
    assert by["R2", "POB-J06"] == "member available_balance is >= 0.00"
    # The order was still to be paid in 2026, completed from 2262-04-12T00:00:01 on.
    assert "open order" in by["R1", "POB-J07"] and "O1" in by["R1", "POB-J07"]
    assert by["R2", "POB-J07"] == "member has no open orders"


def test_a_duplicate_far_moment_is_named_with_its_row(tmp_path) -> None:
    rows = [state("1", "9999-12-31"), state("1", "9999-12-31T00:00:00"), state("2")]
    found = problems(history_frames(account_history=rows))
    assert found == [
        "table account_history, column uin, row 2: value '1, valid_from 9999-12-31' - "
        "duplicate (uin, valid_from); each pair must appear only once",
        "table account_history, column uin, row 3: value '1, valid_from 9999-12-31T00:00:00' - "
        "duplicate (uin, valid_from); each pair must appear only once",
    ]
