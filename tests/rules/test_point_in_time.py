"""Judging each request at its requested_at: every boundary of the point-in-time joins.

The default world: member 1 asks at T = 2026-09-03T10:00:00 to join admin 2.
Both accounts have one good state since 2026-01-01; the snapshot tables
(`accounts`, `orders`, `vouchers`) say the same unless a case changes them,
so each case changes only the history it is about.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import (
    PARAMS,
    account,
    build_tables,
    order,
    order_event,
    request,
    state,
    voucher,
    voucher_event,
)

from auditkit import POB, Params, Tables, evaluate
from auditkit.analysis.evidence import evidence
from auditkit.vocab import Moment

T = "2026-09-03T10:00:00"
AT = PARAMS.replace(at=Moment.REQUESTED)
JUST_BEFORE, JUST_AFTER = "2026-09-03T09:59:59", "2026-09-03T10:00:01"
SUB = {"channel_role": "distributor_subcustomer", "distributor_id": "D1"}
OPEN_AT_T = (
    f"member 1 had 1 open order(s) (processing or to_be_paid) totalling 10.00 at {T}, "
    "e.g. O1; settle or cancel them first"
)


def world(
    *,
    member_states: list[dict] | None = None,
    admin_states: list[dict] | None = None,
    order_events: list[dict] | None = None,
    voucher_events: list[dict] | None = None,
    with_voucher: bool = False,
    req: dict[str, Any] | None = None,
) -> Tables:
    member_states = [state("1", **SUB)] if member_states is None else member_states
    admin_states = [state("2", distributor_id="D1")] if admin_states is None else admin_states
    return build_tables(
        [account("1", **SUB), account("2", distributor_id="D1")],
        orders=[order("O1", "1", status="completed")],
        vouchers=[voucher("V1", "1")] if with_voucher else [],
        requests=[request(requested_at=T, **(req or {}))],
        account_history=[*member_states, *admin_states],
        order_events=order_events or [order_event("O1", "completed", "2026-08-01")],
        voucher_events=voucher_events or [],
    )


def outcome(rule_id: str, tables: Tables, params: Params = AT) -> tuple[str, str]:
    results = evaluate(tables, params, POB).results
    row = results[(results["rule_id"] == rule_id).to_numpy()]
    return str(row["status"].iloc[0]), str(row["reason"].iloc[0])


NEGATIVE = {**SUB, "available_balance": "-12.50"}
CASES = [
    # The account state in force: the row with the greatest valid_from <= T.
    (
        "POB-J06",
        {"member_states": [state("1", T, **NEGATIVE)]},
        "fail",
        f"member 1 available_balance was -12.50 at {T}, must be >= 0.00",
    ),
    (
        "POB-J06",
        {"member_states": [state("1", JUST_AFTER, **NEGATIVE)]},
        "error",
        f"no state of member 1 recorded at or before {T}",
    ),
    (
        "POB-J06",
        {"member_states": [state("1", "2026-01-01", **NEGATIVE), state("1", JUST_AFTER, **SUB)]},
        "fail",
        f"member 1 available_balance was -12.50 at {T}, must be >= 0.00",
    ),
    (
        "POB-J06",
        {"member_states": [state("1", "2026-01-01", **SUB), state("1", JUST_AFTER, **NEGATIVE)]},
        "pass",
        "member available_balance is >= 0.00",
    ),
    (
        "POB-J06",
        {"member_states": [state("1", JUST_BEFORE, **SUB), state("1", "2026-01-01", **NEGATIVE)]},
        "pass",
        "member available_balance is >= 0.00",
    ),
    ("POB-J01", {"member_states": []}, "error", f"no state of member 1 recorded at or before {T}"),
    (
        "POB-J01",
        {"admin_states": [state("2", JUST_AFTER)]},
        "error",
        f"no state of admin 2 recorded at or before {T}",
    ),
    (
        "POB-J01",
        {"member_states": [], "admin_states": []},
        "error",
        f"no state of member 1 or admin 2 recorded at or before {T}",
    ),
    (
        "POB-J09",
        {"admin_states": [state("2", "2026-01-01", channel_role="reseller")]},
        "fail",
        f"admin 2 channel_role was reseller at {T}; agents, resellers and their customers cannot "
        "be the payer",
    ),
    ("POB-J08", {"member_states": []}, "pass", "the admin is the payer"),  # reads the request only
    # Orders: open at T when the last event at or before T has a blocking status.
    ("POB-J07", {"order_events": [order_event("O1", "to_be_paid", T)]}, "fail", OPEN_AT_T),
    (
        "POB-J07",
        {
            "order_events": [
                order_event("O1", "to_be_paid", "2026-09-01"),
                order_event("O1", "completed", JUST_AFTER),
            ]
        },
        "fail",
        OPEN_AT_T,
    ),
    (
        "POB-J07",
        {
            "order_events": [
                order_event("O1", "to_be_paid", "2026-09-01"),
                order_event("O1", "completed", T),
            ]
        },
        "pass",
        "member has no open orders",
    ),
    (
        "POB-J07",
        {"order_events": [order_event("O1", "to_be_paid", JUST_AFTER)]},
        "pass",
        "member has no open orders",
    ),  # created after T: did not exist at T
    (
        "POB-J07",
        {"order_events": [order_event("O1", "processing", JUST_BEFORE)]},
        "fail",
        OPEN_AT_T,
    ),
    # Vouchers: usable at T when the last event at or before T leaves it valid with money
    # left, it is a sub-customer voucher, and expires_at is null or after T.
    (
        "POB-J05",
        {"with_voucher": True, "voucher_events": [voucher_event("V1", "valid", "5.00", T)]},
        "fail",
        f"member 1 held 1 usable sub-customer voucher(s) with 5.00 remaining at {T}, e.g. V1; "
        "they must be used up or invalidated first",
    ),
    (
        "POB-J05",
        {
            "with_voucher": True,
            "voucher_events": [
                voucher_event("V1", "valid", "5.00", "2026-01-01"),
                voucher_event("V1", "used_up", "0.00", JUST_AFTER),
            ],
        },
        "fail",
        f"member 1 held 1 usable sub-customer voucher(s) with 5.00 remaining at {T}, e.g. V1; "
        "they must be used up or invalidated first",
    ),
    (
        "POB-J05",
        {
            "with_voucher": True,
            "voucher_events": [
                voucher_event("V1", "valid", "5.00", "2026-01-01"),
                voucher_event("V1", "used_up", "0.00", T),
            ],
        },
        "pass",
        "member holds no usable sub-customer voucher",
    ),
    (
        "POB-J05",
        {
            "with_voucher": True,
            "voucher_events": [voucher_event("V1", "valid", "5.00", JUST_AFTER)],
        },
        "pass",
        "member holds no usable sub-customer voucher",
    ),
    (
        "POB-J05",
        {
            "with_voucher": True,
            "voucher_events": [voucher_event("V1", "valid", "0.00", "2026-01-01")],
        },
        "pass",
        "member holds no usable sub-customer voucher",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "given", "status", "reason"),
    [pytest.param(*c, id=f"{c[0]}-{c[2]}-{i}") for i, c in enumerate(CASES)],
)
def test_point_in_time(rule_id: str, given: dict, status: str, reason: str) -> None:
    assert outcome(rule_id, world(**given)) == (status, reason)


@pytest.mark.parametrize(
    ("expires_at", "usable"),
    [(None, True), (T, False), (JUST_BEFORE, False), (JUST_AFTER, True)],
)
def test_voucher_expiry_is_compared_with_requested_at(expires_at: str | None, usable: bool) -> None:
    tables = build_tables(
        [account("1", **SUB), account("2", distributor_id="D1")],
        orders=[order()],
        vouchers=[voucher("V1", "1", expires_at=expires_at)],
        requests=[request(requested_at=T)],
        account_history=[state("1", **SUB), state("2", distributor_id="D1")],
        order_events=[order_event()],
        voucher_events=[voucher_event("V1", "valid", "5.00", "2026-01-01")],
    )
    assert outcome("POB-J05", tables)[0] == ("fail" if usable else "pass")


def test_a_sub_customer_voucher_flag_comes_from_vouchers() -> None:
    tables = build_tables(
        [account("1", **SUB), account("2", distributor_id="D1")],
        orders=[order()],
        vouchers=[voucher("V1", "1", subcustomer_voucher="false")],
        requests=[request(requested_at=T)],
        account_history=[state("1", **SUB), state("2", distributor_id="D1")],
        order_events=[order_event()],
        voucher_events=[voucher_event("V1", "valid", "5.00", "2026-01-01")],
    )
    assert outcome("POB-J05", tables) == ("pass", "member holds no usable sub-customer voucher")


def test_snapshot_and_moment_of_decision_differ_as_they_should() -> None:
    """Settled after the request, negative after it: the snapshot blames the wrong things."""
    tables = world(
        member_states=[state("1", "2026-01-01", **SUB), state("1", JUST_AFTER, **NEGATIVE)],
        order_events=[
            order_event("O1", "to_be_paid", "2026-09-01"),
            order_event("O1", "completed", JUST_AFTER),
        ],
    )
    tables = tables.replace(
        accounts=tables.accounts.assign(
            available_balance_cents=[-1250, tables.accounts["available_balance_cents"].iloc[1]]
        )
    )
    snapshot = evaluate(tables, PARAMS, POB).status_matrix().iloc[0]
    requested = evaluate(tables, AT, POB).status_matrix().iloc[0]
    assert (snapshot["POB-J06"], snapshot["POB-J07"]) == ("fail", "pass")
    assert (requested["POB-J06"], requested["POB-J07"]) == ("pass", "fail")


def test_drill_down_shows_the_state_orders_and_vouchers_of_the_moment() -> None:
    tables = build_tables(
        [account("1", **SUB), account("2", distributor_id="D1")],
        orders=[order("O1", "1"), order("O2", "1"), order("O3", "1")],
        vouchers=[voucher("V1", "1"), voucher("V2", "1")],
        requests=[request("R1", requested_at=T), request("R2", requested_at="2026-12-01")],
        account_history=[
            state("1", "2026-01-01", **NEGATIVE),
            state("1", "2026-10-01", **SUB),
            state("2", distributor_id="D1"),
        ],
        order_events=[
            order_event("O1", "to_be_paid", "2026-09-01"),
            order_event("O1", "completed", "2026-09-20"),
            order_event("O2", "processing", "2026-09-02"),
            order_event("O3", "to_be_paid", "2026-10-05"),
        ],
        voucher_events=[
            voucher_event("V1", "valid", "5.00", "2026-01-01"),
            voucher_event("V1", "used_up", "0.00", "2026-09-10"),
            voucher_event("V2", "invalidated", "1.00", "2026-01-01"),
        ],
    )
    result = evaluate(tables, AT, POB)
    first = evidence(result, "R1")
    assert first.open_orders["order_id"].tolist() == ["O1", "O2"]
    assert first.open_orders["order_status"].tolist() == ["to_be_paid", "processing"]
    assert first.usable_vouchers["voucher_id"].tolist() == ["V1"]
    accounts = first.accounts.set_index("attribute")
    assert accounts.loc["available_balance", "member"] == "-12.50"
    assert str(accounts.loc["valid_from", "member"]).startswith("2026-01-01")
    later = evidence(result, "R2")
    assert later.open_orders["order_id"].tolist() == ["O2", "O3"]
    assert later.usable_vouchers.empty
    assert later.accounts.set_index("attribute").loc["available_balance", "member"] == "100.00"


def test_without_history_judging_at_requested_at_is_an_input_error() -> None:
    tables = build_tables([account("1"), account("2")], requests=[request()])
    with pytest.raises(Exception, match="account_history") as raised:
        evaluate(tables, AT, POB)
    assert "order_events" in str(raised.value) and "voucher_events" in str(raised.value)


def test_results_do_not_depend_on_the_order_of_history_rows() -> None:
    import auditkit.demo as demo

    tables = demo.tables(300)
    shuffled = tables.replace(
        **{
            name: tables[name].sample(frac=1, random_state=3).reset_index(drop=True)
            for name in ("account_history", "order_events", "voucher_events", "orders")
        }
    )
    first = evaluate(tables, AT, POB).results.astype("str")
    second = evaluate(shuffled, AT, POB).results.astype("str")
    assert first.equals(second)
