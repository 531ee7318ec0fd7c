"""What-if: each scenario edit and parameter change on a tiny hand-built data set, and the diff."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import PARAMS, account, build_tables, order, request, voucher

from auditkit import POB, evaluate
from auditkit.analysis.whatif import (
    BindCard,
    ClearVouchers,
    SettleOpenOrders,
    TopUpBalances,
    apply_edits,
    diff,
    whatif,
)
from auditkit.errors import ParameterError


@pytest.fixture(scope="module")
def tables():
    """Seven requests, each failing (or nearly failing) one rule a what-if can move.

    R1 member 1 joins: negative balance (J06) and an open to_be_paid order (J07).
    R2 member 3 joins admin 20: open processing order (J07); admin 20 is overdue but
       has a positive balance, so J10 passes only when either condition suffices.
    R3 member 4 joins: internal type 5 with a negative balance (J06 n/a by default).
    R4 member 5, a distributor sub-customer, joins: holds usable voucher V1 (J05),
       which expires on 2026-11-15.
    R5 member 6 quits: mid tier, no channel manager, no card (Q03).
    R6 member 7 quits: key tier without card (Q03 n/a by default).
    R7 member 9 is not in accounts: unknown.
    """
    return build_tables(
        accounts=[
            account("2"),
            account("20", overdue_amount="10.00", available_balance="5.00"),
            account("21", distributor_id="D1"),
            account("1", available_balance="-5.00"),
            account("3"),
            account("4", account_source="internal", internal_type="5", available_balance="-3.00"),
            account("5", channel_role="distributor_subcustomer", distributor_id="D1"),
            account("6", customer_tier="mid", credit_card_bound="false"),
            account("7", customer_tier="key", credit_card_bound="false"),
        ],
        orders=[
            order("O1", "1", status="to_be_paid"),
            order("O2", "3", status="processing"),
            order("O3", "3", status="completed"),
            order("O4", "1", status="cancelled"),
        ],
        vouchers=[
            voucher("V1", "5", expires_at="2026-11-15"),
            voucher("V2", "5", status="expired"),
            voucher("V3", "1", subcustomer_voucher="false"),
        ],
        requests=[
            request("R1", "1", "2", decision="approved"),
            request("R2", "3", "20"),
            request("R3", "4", "2", decision="rejected"),
            request("R4", "5", "21"),
            request("R5", "6", "2", action="quit"),
            request("R6", "7", "2", action="quit"),
            request("R7", "9", "2"),
        ],
    )


@pytest.fixture(scope="module")
def baseline(tables):
    return evaluate(tables, PARAMS, POB)


def test_baseline_is_what_the_scenarios_assume(baseline):
    verdicts = baseline.verdicts.set_index("request_id")
    assert verdicts["verdict"].astype(str).to_dict() == {
        "R1": "ineligible",
        "R2": "ineligible",
        "R3": "eligible",
        "R4": "ineligible",
        "R5": "ineligible",
        "R6": "eligible",
        "R7": "unknown",
    }
    assert verdicts.loc["R1", "failed_rules"] == "POB-J06;POB-J07"


SCENARIOS = [
    # name, params changes, edits, verdict changes, failure changes
    ("nothing", {}, [], set(), set()),
    (
        "settle all open orders",
        {},
        [SettleOpenOrders()],
        {("R2", "ineligible", "eligible")},
        {("R1", "POB-J07", "lost"), ("R2", "POB-J07", "lost")},
    ),
    (
        "settle orders of member 1",
        {},
        [SettleOpenOrders({"1"})],
        set(),
        {("R1", "POB-J07", "lost")},
    ),
    ("top up all balances", {}, [TopUpBalances()], set(), {("R1", "POB-J06", "lost")}),
    (
        "top up and settle member 1",
        {},
        [TopUpBalances({"1"}), SettleOpenOrders({"1"})],
        {("R1", "ineligible", "eligible")},
        {("R1", "POB-J06", "lost"), ("R1", "POB-J07", "lost")},
    ),
    (
        "use up vouchers",
        {},
        [ClearVouchers("use_up")],
        {("R4", "ineligible", "eligible")},
        {("R4", "POB-J05", "lost")},
    ),
    (
        "void vouchers of member 5",
        {},
        [ClearVouchers("void", {"5"})],
        {("R4", "ineligible", "eligible")},
        {("R4", "POB-J05", "lost")},
    ),
    ("void vouchers of someone else", {}, [ClearVouchers("void", {"1"})], set(), set()),
    (
        "bind a card for member 6",
        {},
        [BindCard({"6"})],
        {("R5", "ineligible", "eligible")},
        {("R5", "POB-Q03", "lost")},
    ),
    ("J10 requires both", {"j10_require_both": True}, [], set(), {("R2", "POB-J10", "gained")}),
    (
        "internal type 5 verified",
        {"verified_internal_types": {4, 5, 6, 9}},
        [],
        {("R3", "eligible", "ineligible")},
        {("R3", "POB-J06", "gained")},
    ),
    (
        "only to_be_paid blocks",
        {"open_order_statuses": {"to_be_paid"}},
        [],
        {("R2", "ineligible", "eligible")},
        {("R2", "POB-J07", "lost")},
    ),
    (
        "Q03 for every tier",
        {"q03_tiers": {"key", "mid", "long_tail"}},
        [],
        {("R6", "eligible", "ineligible")},
        {("R6", "POB-Q03", "gained")},
    ),
    (
        "a month later the voucher has expired",
        {"as_of": dt.date(2026, 12, 1)},
        [],
        {("R4", "ineligible", "eligible")},
        {("R4", "POB-J05", "lost")},
    ),
]


@pytest.mark.parametrize(
    ("changes", "edits", "verdicts", "failures"),
    [scenario[1:] for scenario in SCENARIOS],
    ids=[scenario[0] for scenario in SCENARIOS],
)
def test_scenario(tables, baseline, changes, edits, verdicts, failures):
    result = whatif(tables, baseline, PARAMS.replace(**changes), edits)
    changed = {
        (row["request_id"], row["from"], row["to"]) for row in result.changed.to_dict("records")
    }
    assert changed == verdicts
    moved = {
        (row["request_id"], row["rule_id"], row["change"])
        for row in result.failure_changes.to_dict("records")
    }
    assert moved == failures
    assert result.edits == tuple(edits)
    assert result.params == PARAMS.replace(**changes)
    for rule_id, row in result.by_rule.iterrows():
        gained = {r for r, rule, c in failures if rule == rule_id and c == "gained"}
        lost = {r for r, rule, c in failures if rule == rule_id and c == "lost"}
        assert (row["gained"], row["lost"]) == (len(gained), len(lost))
        assert row["fail_after"] == row["fail_before"] + len(gained) - len(lost)
        assert set(result.gained(rule_id)) == gained
        assert set(result.lost(rule_id)) == lost


def test_unknown_stays_unknown_and_counts_add_up(tables, baseline):
    result = whatif(tables, baseline, edits=[SettleOpenOrders(), TopUpBalances()])
    assert result.verdicts_before == {"eligible": 2, "ineligible": 4, "unknown": 1}
    assert result.verdicts_after == {"eligible": 4, "ineligible": 2, "unknown": 1}
    transitions = result.transitions()
    assert transitions.loc["ineligible", "eligible"] == 2
    assert transitions.loc["unknown", "unknown"] == 1
    assert int(transitions.to_numpy().sum()) == 7
    assert result.changed["member_uin"].tolist() == ["1", "3"]


def test_params_default_to_the_baseline(tables, baseline):
    result = whatif(tables, baseline)
    assert result.params == baseline.params
    assert result.changed_params() == {}
    assert "no change from the baseline" in result.summary()


def test_summary_names_the_changes(tables, baseline):
    result = whatif(
        tables, baseline, PARAMS.replace(j10_require_both=True), [SettleOpenOrders({"1"})]
    )
    text = result.summary()
    assert "parameter j10_require_both: False -> True" in text
    assert "edit: settle open orders of 1 account(s): 1" in text
    assert "POB-J10: failures 0 -> 1 (+1 / -0)" in text
    assert result.changed_params() == {"j10_require_both": (False, True)}


# ---- the edits themselves ----------------------------------------------------------------


def test_settle_uses_the_scenario_blocking_set_and_leaves_the_input_alone(tables):
    before = tables.orders.copy()
    settled = SettleOpenOrders().apply(tables, PARAMS.replace(open_order_statuses={"to_be_paid"}))
    assert settled.orders["status"].astype(str).tolist() == [
        "completed",
        "processing",
        "completed",
        "cancelled",
    ]
    pd.testing.assert_frame_equal(tables.orders, before)
    assert settled.accounts is tables.accounts


def test_top_up_raises_only_negative_balances_in_scope(tables):
    topped = TopUpBalances({"1", "3"}).apply(tables, PARAMS)
    balances = topped.accounts.set_index("uin")["available_balance_cents"].to_dict()
    assert balances["1"] == 0
    assert balances["3"] == 10_000
    assert balances["4"] == -300
    everyone = TopUpBalances().apply(tables, PARAMS)
    assert (everyone.accounts["available_balance_cents"] >= 0).all()


@pytest.mark.parametrize(
    ("how", "status", "remaining"),
    [("use_up", "used_up", 0), ("void", "invalidated", 500)],
)
def test_clear_vouchers_touches_only_usable_ones(tables, how, status, remaining):
    cleared = ClearVouchers(how).apply(tables, PARAMS)
    v = cleared.vouchers.set_index("voucher_id")
    assert (v.loc["V1", "status"], v.loc["V1", "remaining_amount_cents"]) == (status, remaining)
    assert v.loc["V2", "status"] == "expired"
    assert v.loc["V3", "status"] == "valid"  # not a sub-customer voucher


def test_a_voucher_expired_at_the_scenario_date_is_not_cleared(tables):
    later = PARAMS.replace(as_of=dt.date(2026, 12, 1))
    assert ClearVouchers("use_up").apply(tables, later) is tables


def test_bind_card_for_listed_uins_only(tables):
    bound = BindCard({"6"}).apply(tables, PARAMS)
    cards = bound.accounts.set_index("uin")["credit_card_bound"].to_dict()
    assert cards["6"] and not cards["7"]
    assert BindCard(set()).apply(tables, PARAMS) is tables


def test_edits_apply_in_order(tables):
    edited = apply_edits(tables, [TopUpBalances({"1"}), BindCard({"1"})], PARAMS)
    member = edited.accounts.set_index("uin").loc["1"]
    assert member["available_balance_cents"] == 0 and member["credit_card_bound"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ClearVouchers("burn"), "voucher action 'burn' is unknown"),
        (lambda: SettleOpenOrders("123"), "uins must be a collection"),
    ],
)
def test_invalid_edits_are_parameter_errors(make, message):
    with pytest.raises(ParameterError, match=message):
        make()


def test_edits_describe_their_scope():
    assert SettleOpenOrders().describe() == "settle open orders of every account"
    assert BindCard({"7", "6"}).describe() == "bind a credit card for 2 account(s): 6, 7"
    many = TopUpBalances({str(i) for i in range(10, 17)}).describe()
    assert many.endswith("10, 11, 12, 13, 14 and 2 more")


def test_diff_refuses_results_of_other_requests(tables, baseline):
    other = evaluate(tables.replace(requests=tables.requests.iloc[::-1]), PARAMS, POB)
    with pytest.raises(ParameterError, match="different requests"):
        diff(baseline, other)


def test_gained_of_an_unknown_rule_is_a_key_error(tables, baseline):
    with pytest.raises(KeyError, match="POB-X99"):
        whatif(tables, baseline).gained("POB-X99")


def test_edits_scoped_to_accounts_change_only_the_events_of_their_orders_and_vouchers() -> None:
    """With history, a scoped edit reaches the events of the scoped accounts' orders and
    vouchers only (each event's owner is looked up through its order or voucher)."""
    from conftest import order_event, voucher_event

    tables = build_tables(
        accounts=[account("1"), account("3")],
        orders=[order("O1", "1", status="to_be_paid"), order("O2", "3", status="processing")],
        vouchers=[voucher("V1", "1"), voucher("V2", "3")],
        requests=[request()],
        account_history=[],
        order_events=[
            order_event("O2", "to_be_paid", "2026-09-01"),
            order_event("O1", "to_be_paid", "2026-09-02"),
            order_event("O2", "processing", "2026-09-03"),
        ],
        voucher_events=[voucher_event("V2"), voucher_event("V1")],
    )

    def statuses(edited, table: str) -> list[str]:
        return edited[table]["status"].astype("str").tolist()

    settled = SettleOpenOrders({"1"}).apply(tables, PARAMS)
    assert statuses(settled, "order_events") == ["to_be_paid", "completed", "processing"]
    settled = SettleOpenOrders().apply(tables, PARAMS)
    assert statuses(settled, "order_events") == ["completed"] * 3
    voided = ClearVouchers("void", {"3"}).apply(tables, PARAMS)
    assert statuses(voided, "voucher_events") == ["invalidated", "valid"]
    assert statuses(ClearVouchers("void", set()).apply(tables, PARAMS), "voucher_events") == [
        "valid",
        "valid",
    ]
