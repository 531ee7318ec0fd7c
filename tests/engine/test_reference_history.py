"""The engine at requested_at against a plain-Python reference written from CONTRACT.md section 4.

Hypothesis draws account states, order and voucher events and requests on a
few moments crowded around each other (equal, one second apart), renders them
as CSV text, and compares the engine's statuses and verdicts with the
reference: the account row with the greatest valid_from <= t, each order's
status from its last event at or before t (no event: it did not exist), each
voucher usable from its last event at or before t and its expires_at > t.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from conftest import frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reference import (
    RULE_IDS,
    Account,
    Order,
    Request,
    Voucher,
    account_strategy,
    bool_text,
    money_text,
    reference_status,
    reference_verdict,
    renamed_request,
    uin_in,
)

from auditkit import POB, Params, evaluate, tables_from_frames
from auditkit.vocab import Moment

MOMENTS = [
    dt.datetime(2026, 9, 1),
    dt.datetime(2026, 9, 3, 9, 59, 59),
    dt.datetime(2026, 9, 3, 10),
    dt.datetime(2026, 9, 3, 10, 0, 1),
    dt.datetime(2026, 9, 20),
    dt.datetime(2026, 10, 1),
]
UINS = ["1", "01", "2", "3"]
ORDER_STATUSES = ["to_be_paid", "processing", "completed", "cancelled"]
VOUCHER_STATUSES = ["valid", "valid", "used_up", "expired", "invalidated"]


def stamp(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@st.composite
def account_states(draw: st.DrawFn) -> list[tuple[dt.datetime, Account, dict]]:
    """Zero to three states per uin, each with a distinct valid_from."""
    out = []
    for uin in UINS:
        moments = draw(st.lists(st.sampled_from(MOMENTS), max_size=3, unique=True))
        for moment in moments:
            account, row = draw(account_strategy(uin))
            out.append((moment, account, row | {"valid_from": stamp(moment)}))
    return out


@st.composite
def orders_with_events(draw: st.DrawFn, holders: list[str]):
    orders, events, rows = [], [], []
    for i in range(draw(st.integers(0, 6))):
        order_id, uin = f"O{i}", draw(st.sampled_from(holders))
        amount = draw(st.sampled_from([0, 1, 999]))
        moments = draw(st.lists(st.sampled_from(MOMENTS), min_size=1, max_size=3, unique=True))
        history = [(m, draw(st.sampled_from(ORDER_STATUSES))) for m in moments]
        orders.append((order_id, uin, amount, history))
        rows.append(
            {
                "order_id": order_id,
                "uin": uin,
                "order_type": "purchase",
                "status": history[-1][1],  # the snapshot's status; not read at requested_at
                "amount": draw(money_text(amount)),
                "created_at": "2026-01-01",
            }
        )
        events += [{"order_id": order_id, "status": s, "at": stamp(m)} for m, s in history]
    return orders, rows, events


@st.composite
def vouchers_with_events(draw: st.DrawFn, holders: list[str]):
    vouchers, events, rows = [], [], []
    for i in range(draw(st.integers(0, 6))):
        voucher_id, uin = f"V{i}", draw(st.sampled_from(holders))
        subcustomer = draw(st.sampled_from([True, True, False]))
        expires = draw(st.sampled_from([None, *MOMENTS]))
        moments = draw(st.lists(st.sampled_from(MOMENTS), min_size=1, max_size=3, unique=True))
        history = [
            (m, draw(st.sampled_from(VOUCHER_STATUSES)), draw(st.sampled_from([0, 1, 500])))
            for m in moments
        ]
        vouchers.append((voucher_id, uin, subcustomer, expires, history))
        rows.append(
            {
                "voucher_id": voucher_id,
                "uin": uin,
                "subcustomer_voucher": bool_text(draw, subcustomer),
                "status": "valid",
                "remaining_amount": "1.00",
                "expires_at": stamp(expires),
            }
        )
        events += [
            {
                "voucher_id": voucher_id,
                "status": status,
                "remaining_amount": draw(money_text(remaining)),
                "at": stamp(m),
            }
            for m, status, remaining in history
        ]
    return vouchers, rows, events


@st.composite
def requests_at(draw: st.DrawFn):
    out = []
    for i in range(draw(st.integers(1, 10))):
        member = draw(st.sampled_from([*UINS, "7"]))
        admin = draw(st.sampled_from([*UINS, "7"]))
        moment = draw(st.sampled_from(MOMENTS))
        r = Request(
            request_id=f"R{i}",
            member_uin=member,
            admin_uin=admin,
            action=draw(st.sampled_from(["join", "join", "quit"])),
            mode=draw(st.sampled_from(["pay_on_behalf", "pay_on_behalf", "self_pay"])),
            payer_uin=draw(st.sampled_from([None, admin, member])),
            decision=draw(st.sampled_from([None, "approved", "rejected"])),
        )
        row = {
            "request_id": r.request_id,
            "member_uin": member,
            "admin_uin": admin,
            "action": r.action,
            "payment_mode": r.mode,
            "payer_uin": r.payer_uin,
            "requested_at": stamp(moment),
            "decision": r.decision,
        }
        out.append((r, moment, row))
    return out


params_strategy = st.builds(
    Params,
    as_of=st.just(dt.date(2026, 11, 1)),
    verified_internal_types=st.sampled_from([frozenset({4, 6, 9}), frozenset({0, 5})]),
    open_order_statuses=st.frozensets(st.sampled_from(ORDER_STATUSES), min_size=1),
    j10_require_both=st.booleans(),
    q03_tiers=st.frozensets(st.sampled_from(["key", "mid", "long_tail"])),
    at=st.just(Moment.REQUESTED),
)


def state_at(states, uin: str, t: dt.datetime) -> Account | None:
    held = [(m, a) for m, a, _ in states if a.uin == uin and m <= t]
    return max(held, key=lambda pair: pair[0])[1] if held else None


def last_event(history, t: dt.datetime):
    before = [event for event in history if event[0] <= t]
    return max(before, key=lambda event: event[0]) if before else None


@st.composite
def history_world(draw: st.DrawFn) -> tuple[list, list, tuple, tuple]:
    """Account states, requests, and orders and vouchers with their events."""
    states = draw(account_states())
    requests = draw(requests_at())
    holders = [r.member_uin for r, _, _ in requests] + UINS
    return (
        states,
        requests,
        draw(orders_with_events(holders)),
        draw(vouchers_with_events(holders)),
    )


def renamed(number: int, world: tuple[list, list, tuple, tuple]) -> tuple:
    """World `number` with uins (`test_reference.uin_in`) and ids of its own."""
    states, requests, (orders, order_rows, order_events), vouchers_drawn = world
    vouchers, voucher_rows, voucher_events = vouchers_drawn
    u = lambda uin: uin_in(number, uin)  # noqa: E731
    tag = f"{number}." if number else ""
    return (
        [(m, replace(a, uin=u(a.uin)), row | {"uin": u(row["uin"])}) for m, a, row in states],
        [
            (copy, moment, renamed_row)
            for r, moment, row in requests
            for copy, renamed_row in [renamed_request(number, r, row)]
        ],
        [(tag + i, u(uin), *rest) for i, uin, *rest in orders],
        [row | {"order_id": tag + row["order_id"], "uin": u(row["uin"])} for row in order_rows],
        [event | {"order_id": tag + event["order_id"]} for event in order_events],
        [(tag + i, u(uin), *rest) for i, uin, *rest in vouchers],
        [
            row | {"voucher_id": tag + row["voucher_id"], "uin": u(row["uin"])}
            for row in voucher_rows
        ],
        [event | {"voucher_id": tag + event["voucher_id"]} for event in voucher_events],
    )


@st.composite
def history_worlds(draw: st.DrawFn) -> tuple:
    """One to 16 independent worlds (`history_world`), renamed apart, judged as one set of
    tables under one Params: the engine's cost is mostly per call."""
    drawn = draw(st.lists(history_world(), min_size=1, max_size=WORLDS_PER_EXAMPLE))
    parts = [renamed(number, world) for number, world in enumerate(drawn)]
    return tuple([item for part in parts for item in part[i]] for i in range(8))


def edge(moment: dt.datetime | None, t: dt.datetime) -> str:
    return (
        "none" if moment is None else "at" if moment == t else "before" if moment < t else "after"
    )


# Every run must meet these, so that batching worlds cannot quietly narrow the test: each
# verdict, and each edge of the history at a request's moment: no account state yet, one
# from that very moment or from before; an order's or a voucher's last event at or before
# it, or none yet (only later events); a voucher expiring before, at or after it, or never.
# (Rule outcomes are not listed: some are rare here, and POB-J05 never fails in these
# worlds, as it never did with one world an example; test_reference covers them all.)
EXPECTED_OUTCOMES = (
    {("verdict", v) for v in ("eligible", "ineligible", "unknown")}
    | {("account", e) for e in ("none", "at", "before")}
    | {("order", e) for e in ("none", "at", "before")}
    | {("voucher", e) for e in ("none", "at", "before")}
    | {("expiry", e) for e in ("none", "at", "before", "after")}
)
# Worlds judged in one call (world n's uins end in the digits of n: the base uins begin with
# different characters, so no two worlds' uins meet). Building and judging the tables costs
# mostly per call: 25 examples of about 8 worlds judge as many requests (about 1,050) as 50
# of about 4, in three quarters of the time.
WORLDS_PER_EXAMPLE = 16
EXAMPLES = 25


def test_engine_at_requested_at_matches_reference() -> None:
    seen: set[tuple[str, str]] = set()
    check_engine_at_requested_at(seen)
    assert EXPECTED_OUTCOMES - seen == set(), "outcomes no example met"


# Derandomized: the same examples every run, so the outcomes they must meet are met on
# every machine (a random draw of 50 missed ('code', 'unmapped') once in CI).
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def check_engine_at_requested_at(seen: set[tuple[str, str]], data: st.DataObject) -> None:
    drawn = data.draw(history_worlds())
    states, requests, orders, order_rows, order_events = drawn[:5]
    vouchers, voucher_rows, voucher_events = drawn[5:]
    params = data.draw(params_strategy)
    tables = tables_from_frames(
        {
            "accounts": frame("accounts", []),
            "orders": frame("orders", order_rows),
            "vouchers": frame("vouchers", voucher_rows),
            "requests": frame("requests", [row for _, _, row in requests]),
            "account_history": frame("account_history", [row for _, _, row in states]),
            "order_events": frame("order_events", order_events),
            "voucher_events": frame("voucher_events", voucher_events),
        }
    )
    result = evaluate(tables, params, POB)

    expected = {}
    for r, t, _ in requests:
        accounts = {
            uin: account
            for uin in {r.member_uin, r.admin_uin}
            if (account := state_at(states, uin, t)) is not None
        }
        orders_then = [
            Order(order_id, uin, "purchase", event[1], amount)
            for order_id, uin, amount, history in orders
            if (event := last_event(history, t)) is not None
        ]
        vouchers_then = [
            Voucher(voucher_id, uin, subcustomer, event[1], event[2], expires)
            for voucher_id, uin, subcustomer, expires, history in vouchers
            if (event := last_event(history, t)) is not None
        ]
        expected[r.request_id] = [
            reference_status(rule, r, accounts, orders_then, vouchers_then, params, moment=t)
            for rule in RULE_IDS
        ]
        held = [m for m, a, _ in states if a.uin == r.member_uin and m <= t]
        seen.add(("account", edge(max(held, default=None), t)))
        for _, uin, _, history in orders:
            if uin == r.member_uin:
                seen.add(("order", edge((last_event(history, t) or (None,))[0], t)))
        for _, uin, _, expires, history in vouchers:
            if uin == r.member_uin:
                seen.add(("voucher", edge((last_event(history, t) or (None,))[0], t)))
                seen.add(("expiry", edge(expires, t)))
        seen.add(("verdict", reference_verdict(expected[r.request_id], r.decision)[0]))

    matrix = result.status_matrix().astype(str)
    assert {rid: list(row) for rid, row in matrix.iterrows()} == expected
    verdicts = result.verdicts.astype(object)
    actual = verdicts.where(verdicts.notna(), None)[["verdict", "failed_rules", "error_rules"]]
    assert actual.to_dict("records") == [
        dict(
            zip(
                ("verdict", "failed_rules", "error_rules"),
                reference_verdict(expected[r.request_id], r.decision)[:3],
                strict=True,
            )
        )
        for r, _, _ in requests
    ]
