"""The member view: every request of one uin and the account state each was judged at."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import (
    PARAMS,
    account,
    order,
    order_event,
    raw_frames,
    request,
    state,
    voucher,
    voucher_event,
    write_data_dir,
)

from auditkit.analysis.member import member_view, table_rows
from auditkit.engine.cache import EvaluationCache
from auditkit.engine.evaluate import evaluate
from auditkit.io.tables import Tables, tables_from_frames
from auditkit.rules.pob import POB
from auditkit.vocab import Moment

AT = PARAMS.replace(at=Moment.REQUESTED)


def world() -> dict[str, pd.DataFrame]:
    """Member 1 joins admin 2 on 3 Sept with a negative balance, and again on 20 Sept after a
    top-up; its order O1 was open in early September. Member 3 is also administered by 2."""
    return raw_frames(
        [account("1"), account("2"), account("3")],
        orders=[order("O1", "1", status="completed", amount="12.50"), order("O2", "3")],
        vouchers=[voucher("V1", "1", subcustomer_voucher="false")],
        requests=[
            request("R1", "1", "2", requested_at="2026-09-03T10:00:00", decision="approved"),
            request("R2", "1", "2", requested_at="2026-09-20T10:00:00"),
            request("R3", "3", "2", requested_at="2026-09-21T10:00:00"),
        ],
        account_history=[
            state("1", "2026-01-01", available_balance="-5.00"),
            state("1", "2026-09-10", available_balance="7.00"),
            state("2", "2026-01-01"),
            state("3", "2026-01-01"),
        ],
        order_events=[
            order_event("O1", "to_be_paid", "2026-08-01"),
            order_event("O1", "completed", "2026-09-15"),
            order_event("O2", "completed", "2026-08-01"),
        ],
        voucher_events=[voucher_event("V1", "valid", "5.00", "2026-01-01")],
    )


@pytest.fixture
def tables() -> Tables:
    return tables_from_frames(world())


def test_member_view_at_each_requested_at(tables: Tables):
    view = member_view(evaluate(tables, AT, POB), "1", table_rows(tables))
    assert view.judged_at_request
    assert view.requests[["request_id", "role"]].values.tolist() == [
        ["R1", "member"],
        ["R2", "member"],
    ]
    assert view.requests["verdict"].astype(str).tolist() == ["ineligible", "eligible"]
    states = view.states.set_index("request_id")
    assert states.loc["R1", "available_balance"] == "-5.00"
    assert states.loc["R2", "available_balance"] == "7.00"
    assert states.loc["R2", "state_from"] == pd.Timestamp("2026-09-10")
    assert states["open_orders"].tolist() == [1, 0]
    assert view.history["available_balance"].tolist() == ["-5.00", "7.00"]
    orders = view.orders.set_index("order_id")
    assert orders.loc["O1", "amount"] == "12.50"
    assert orders.loc["O1", "history"] == "to_be_paid 2026-08-01 00:00; completed 2026-09-15 00:00"
    assert view.vouchers["voucher_id"].tolist() == ["V1"]
    assert view.verdicts == {"ineligible": 1, "eligible": 1}


def test_an_admin_sees_the_requests_it_administers(tables: Tables):
    view = member_view(evaluate(tables, PARAMS, POB), "2", table_rows(tables))
    assert view.requests["role"].tolist() == ["admin"] * 3
    assert view.states.empty and view.orders.empty


def test_an_unknown_uin_is_a_key_error(tables: Tables):
    with pytest.raises(KeyError, match="'42' made no request"):
        member_view(evaluate(tables, PARAMS, POB), "42", table_rows(tables))


def test_the_cache_gives_the_same_view(tables: Tables, tmp_path):
    write_data_dir(tmp_path / "data", world())
    run = EvaluationCache(tmp_path / "cache").open(tmp_path / "data", AT, POB)
    cached = member_view(run.result, "1", run.rows_of)
    direct = member_view(evaluate(tables, AT, POB), "1", table_rows(tables))
    for name in ("requests", "states", "history", "orders", "vouchers"):
        pd.testing.assert_frame_equal(
            getattr(cached, name), getattr(direct, name), check_dtype=False
        )
