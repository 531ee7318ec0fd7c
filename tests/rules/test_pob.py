"""Every rule of the catalogue on tiny hand-built tables: status and exact reason.

The default case is member 1 joining admin 2 in pay-on-behalf mode; both
accounts are external, enterprise-verified as "E1", direct, in good standing
(see conftest). Each case overrides only what it is about.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from conftest import PARAMS, account, build_tables, order, request, voucher

from auditkit import POB, RULES, Params, Tables, evaluate
from auditkit.vocab import Action, PaymentMode

SUB = {"channel_role": "distributor_subcustomer", "distributor_id": "D1"}
QUIT = {"action": "quit"}
SELF_PAY = {"payment_mode": "self_pay"}
NOT_SUB = "member is not a distributor sub-customer"
NEITHER_SUB = "neither member nor admin is a distributor sub-customer"
UNVERIFIED = (
    "member is an internal account of a type outside the verified set; its balance is not checked"
)
OPEN_ORDERS = (
    "member 1 has 1 open order(s) (processing or to_be_paid) totalling 10.00, e.g. O1; "
    "settle or cancel them first"
)
MEMBER_MISSING = "member 1 is not in accounts"
ADMIN_MISSING = "admin 2 is not in accounts"
BOTH_MISSING = f"{MEMBER_MISSING} and {ADMIN_MISSING}"
NOT_JOIN = "applies to join requests only; this request is a quit"
NOT_QUIT = "applies to quit requests only; this request is a join"
NOT_POB = "applies to pay_on_behalf requests only; payment_mode is self_pay"


def tables_for(
    member: dict[str, Any] | None = None,
    admin: dict[str, Any] | None = None,
    req: dict[str, Any] | None = None,
    orders: tuple[dict, ...] = (),
    vouchers: tuple[dict, ...] = (),
    missing: tuple[str, ...] = (),
) -> Tables:
    accounts = []
    if "member" not in missing:
        accounts.append(account("1", **(member or {})))
    if "admin" not in missing:
        accounts.append(account("2", **(admin or {})))
    return build_tables(accounts, orders, vouchers, [request(**(req or {}))])


def outcome(rule_id: str, tables: Tables, params: Params = PARAMS) -> tuple[str, str]:
    return outcome_in(rule_id, evaluate(tables, params, POB).results)


def outcome_in(rule_id: str, results: pd.DataFrame) -> tuple[str, str]:
    row = results[(results["rule_id"] == rule_id).to_numpy()]
    assert len(row) == 1
    return str(row["status"].iloc[0]), str(row["reason"].iloc[0])


# Every rule is judged in each evaluation, and many cases share their tables (the default
# case, the not-applicable ones): each set of tables is built and judged once per module.
_JUDGED: dict[tuple[str, Params], pd.DataFrame] = {}


def judged(params: Params = PARAMS, **given: Any) -> pd.DataFrame:
    """The results of `tables_for(**given)` under `params` (a copy: a test may not change them
    for the next)."""
    key = (repr(sorted(given.items())), params)
    if key not in _JUDGED:
        _JUDGED[key] = evaluate(tables_for(**given), params, POB).results
    return _JUDGED[key].copy()


def case(rule: str, status: str, reason: str, *, params: Params = PARAMS, **given: Any) -> tuple:
    """One table row: rule id, the tables' deviations from default, params, status, reason."""
    return rule, given, params, status, reason


def ids(cases: list[tuple]) -> list:
    return [pytest.param(*c, id=f"{c[0]}-{c[3]}-{i}") for i, c in enumerate(cases)]


RULE_CASES = [
    # POB-J01: member and admin verified as the same enterprise.
    case("POB-J01", "pass", "member and admin are verified as the same enterprise"),
    case(
        "POB-J01",
        "fail",
        "member 1 enterprise_id 'E1' differs from admin 2 enterprise_id 'E2'",
        admin={"enterprise_id": "E2"},
    ),
    case(
        "POB-J01",
        "fail",
        "member 1 identity_type is personal, must be enterprise (verified) like the admin",
        member={"identity_type": "personal", "enterprise_id": None},
    ),
    case(
        "POB-J01",
        "fail",
        "admin 2 identity_type is unverified, must be enterprise (verified) like the member",
        admin={"identity_type": "unverified", "enterprise_id": None},
    ),
    # Both personal: two null enterprise ids never match.
    case(
        "POB-J01",
        "fail",
        "member 1 identity_type is personal, must be enterprise (verified) like the admin",
        member={"identity_type": "personal", "enterprise_id": None},
        admin={"identity_type": "personal", "enterprise_id": None},
    ),
    # Identifiers are compared as text, exactly.
    case(
        "POB-J01",
        "fail",
        "member 1 enterprise_id 'e1' differs from admin 2 enterprise_id 'E1'",
        member={"enterprise_id": "e1"},
    ),
    case("POB-J01", "error", MEMBER_MISSING, missing=("member",)),
    case("POB-J01", "error", ADMIN_MISSING, missing=("admin",)),
    case("POB-J01", "error", BOTH_MISSING, missing=("member", "admin")),
    # POB-J02: member is not an agent or an agent's customer.
    case("POB-J02", "pass", "member is neither an agent nor an agent's customer"),
    case(
        "POB-J02",
        "pass",
        "member is neither an agent nor an agent's customer",
        member={"channel_role": "reseller"},
    ),
    case(
        "POB-J02",
        "fail",
        "member 1 channel_role is agent; agents and their customers cannot use pay-on-behalf",
        member={"channel_role": "agent"},
    ),
    case(
        "POB-J02",
        "fail",
        "member 1 channel_role is agent_customer; agents and their customers cannot use "
        "pay-on-behalf",
        member={"channel_role": "agent_customer"},
    ),
    case("POB-J02", "error", MEMBER_MISSING, missing=("member",)),
    case(
        "POB-J02",
        "pass",
        "member is neither an agent nor an agent's customer",
        missing=("admin",),
    ),
    # POB-J03: a distributor sub-customer joins in pay-on-behalf mode (any mode is judged).
    case(
        "POB-J03",
        "pass",
        "distributor sub-customer joins with pay_on_behalf",
        member=SUB,
    ),
    case(
        "POB-J03",
        "fail",
        "member 1 is a distributor_subcustomer but payment_mode is self_pay; sub-customers may "
        "only join with pay_on_behalf",
        member=SUB,
        req=SELF_PAY,
    ),
    case("POB-J03", "not_applicable", NOT_SUB),
    case("POB-J03", "not_applicable", NOT_SUB, req=SELF_PAY),
    case("POB-J03", "error", MEMBER_MISSING, missing=("member",)),
    case("POB-J03", "error", MEMBER_MISSING, missing=("member",), req=SELF_PAY),
    case(
        "POB-J03",
        "pass",
        "distributor sub-customer joins with pay_on_behalf",
        member=SUB,
        missing=("admin",),
    ),
    # POB-J04: admin and member belong to the same distributor.
    case(
        "POB-J04",
        "pass",
        "admin and member belong to the same distributor",
        member=SUB,
        admin={"distributor_id": "D1"},
    ),
    case(
        "POB-J04",
        "fail",
        "admin 2 distributor_id is 'D2' but member 1 distributor_id is 'D1'; they must be the "
        "same distributor",
        member=SUB,
        admin={"distributor_id": "D2"},
    ),
    case(
        "POB-J04",
        "fail",
        "admin 2 distributor_id is empty but member 1 distributor_id is 'D1'; they must be the "
        "same distributor",
        member=SUB,
    ),
    case("POB-J04", "not_applicable", NEITHER_SUB),
    case("POB-J04", "not_applicable", NEITHER_SUB, member={"distributor_id": "D1"}),
    # Contract v1.2: distribution mode is entered from either side. A direct member with no
    # distributor joining an admin that is a sub-customer of D1 fails (MemberIsNotClient).
    case(
        "POB-J04",
        "fail",
        "admin 2 distributor_id is 'D1' but member 1 distributor_id is empty; they must be the "
        "same distributor",
        admin=SUB,
    ),
    case(
        "POB-J04",
        "fail",
        "admin 2 distributor_id is 'D1' but member 1 distributor_id is 'D2'; they must be the "
        "same distributor",
        admin=SUB,
        member={"distributor_id": "D2"},
    ),
    case(
        "POB-J04",
        "pass",
        "admin and member belong to the same distributor",
        admin=SUB,
        member={"distributor_id": "D1"},
    ),
    case("POB-J04", "error", MEMBER_MISSING, admin=SUB, missing=("member",)),
    case("POB-J04", "not_applicable", NOT_POB, admin=SUB, req=SELF_PAY),
    # J03 and J05 stay the member's own: a sub-customer admin does not make them apply.
    case("POB-J03", "not_applicable", NOT_SUB, admin=SUB, req=SELF_PAY),
    case("POB-J05", "not_applicable", NOT_SUB, admin=SUB, vouchers=(voucher(),)),
    case("POB-J04", "error", MEMBER_MISSING, missing=("member",)),
    case("POB-J04", "error", ADMIN_MISSING, member=SUB, missing=("admin",)),
    # Missing admin is an error before the member's account condition is looked at.
    case("POB-J04", "error", ADMIN_MISSING, missing=("admin",)),
    # POB-J05: a sub-customer holds no usable sub-customer voucher.
    case("POB-J05", "pass", "member holds no usable sub-customer voucher", member=SUB),
    case(
        "POB-J05",
        "fail",
        "member 1 holds 1 usable sub-customer voucher(s) with 5.00 remaining, e.g. V1; they "
        "must be used up or invalidated first",
        member=SUB,
        vouchers=(voucher(expires_at=None),),
    ),
    case(
        "POB-J05",
        "fail",
        "member 1 holds 2 usable sub-customer voucher(s) with 12.51 remaining, e.g. V1; they "
        "must be used up or invalidated first",
        member=SUB,
        vouchers=(
            voucher("V1", expires_at="2026-11-01T00:00:01"),
            voucher("V2", remaining_amount="7.51", expires_at="2027-01-01"),
            voucher("V3", status="expired"),
        ),
    ),
    *[
        case(
            "POB-J05",
            "pass",
            "member holds no usable sub-customer voucher",
            member=SUB,
            vouchers=(voucher(**unusable),),
        )
        for unusable in (
            {"expires_at": "2026-11-01"},  # expires exactly at as_of
            {"expires_at": "2026-11-01T00:00:00"},
            {"expires_at": "2026-10-31T23:59:59"},
            {"remaining_amount": "0.00"},
            {"subcustomer_voucher": "false"},
            {"status": "used_up"},
            {"status": "expired"},
            {"status": "invalidated"},
            {"uin": "01"},  # a different account
            {"uin": "2"},
        )
    ],
    case("POB-J05", "not_applicable", NOT_SUB, vouchers=(voucher(),)),
    case("POB-J05", "error", MEMBER_MISSING, vouchers=(voucher(),), missing=("member",)),
    case(
        "POB-J05",
        "pass",
        "member holds no usable sub-customer voucher",
        member=SUB,
        missing=("admin",),
    ),
    # POB-J06: member balance is not negative (verified types only).
    case(
        "POB-J06",
        "pass",
        "member available_balance is >= 0.00",
        member={"available_balance": "0.00"},
    ),
    case(
        "POB-J06",
        "pass",
        "member available_balance is >= 0.00",
        member={"available_balance": "-0.00"},
    ),
    case(
        "POB-J06",
        "fail",
        "member 1 available_balance is -0.01, must be >= 0.00",
        member={"available_balance": "-0.01"},
    ),
    case(
        "POB-J06",
        "fail",
        "member 1 available_balance is -12.50, must be >= 0.00",
        member={"available_balance": "-12.5"},
    ),
    *[
        case(
            "POB-J06",
            "fail",
            "member 1 available_balance is -0.01, must be >= 0.00",
            member={"account_source": "internal", "internal_type": t, "available_balance": "-0.01"},
        )
        for t in ("4", "6", "9")
    ],
    case(
        "POB-J06",
        "pass",
        "member available_balance is >= 0.00",
        member={"account_source": "internal", "internal_type": "6", "available_balance": "0.00"},
    ),
    *[
        case(
            "POB-J06",
            "not_applicable",
            UNVERIFIED,
            member={"account_source": "internal", "internal_type": t, "available_balance": "-5"},
        )
        for t in ("5", "1", "0")
    ],
    case(
        "POB-J06",
        "fail",
        "member 1 available_balance is -5.00, must be >= 0.00",
        params=PARAMS.replace(verified_internal_types=frozenset({5})),
        member={"account_source": "internal", "internal_type": "5", "available_balance": "-5"},
    ),
    case("POB-J06", "error", MEMBER_MISSING, missing=("member",)),
    # POB-J07: member has no open order. It reads only orders: a missing member is judged.
    case("POB-J07", "pass", "member has no open orders"),
    case(
        "POB-J07",
        "pass",
        "member has no open orders",
        orders=(order("O1", status="completed"), order("O2", status="cancelled")),
    ),
    case("POB-J07", "fail", OPEN_ORDERS, orders=(order(status="to_be_paid"),)),
    case("POB-J07", "fail", OPEN_ORDERS, orders=(order(status="processing"),)),
    case(
        "POB-J07",
        "fail",
        "member 1 has 2 open order(s) (processing or to_be_paid) totalling 10.01, e.g. O1; "
        "settle or cancel them first",
        orders=(
            order("O1", status="processing"),
            order("O2", status="to_be_paid", amount="0.01"),
            order("O3", status="completed"),
        ),
    ),
    case(
        "POB-J07",
        "pass",
        "member has no open orders",
        orders=(order(uin="01", status="to_be_paid"), order("O2", uin="2", status="to_be_paid")),
    ),
    case(
        "POB-J07",
        "pass",
        "member has no open orders",
        params=PARAMS.replace(open_order_statuses=frozenset({"to_be_paid"})),
        orders=(order(status="processing"),),
    ),
    case(
        "POB-J07",
        "fail",
        "member 1 has 1 open order(s) (completed) totalling 10.00, e.g. O1; settle or cancel "
        "them first",
        params=PARAMS.replace(open_order_statuses=frozenset({"completed"})),
        orders=(order(status="completed"),),
    ),
    case("POB-J07", "pass", "member has no open orders", missing=("member", "admin")),
    case("POB-J07", "fail", OPEN_ORDERS, orders=(order(status="to_be_paid"),), missing=("member",)),
    # POB-J08: the admin is the payer. It reads only the request.
    case("POB-J08", "pass", "the admin is the payer"),
    case("POB-J08", "pass", "the admin is the payer", req={"payer_uin": "2"}),
    case(
        "POB-J08",
        "fail",
        "payer_uin is 3 but only the admin 2 may be the payer",
        req={"payer_uin": "3"},
    ),
    case(
        "POB-J08",
        "fail",
        "payer_uin is 02 but only the admin 2 may be the payer",
        req={"payer_uin": "02"},
    ),
    case(
        "POB-J08",
        "fail",
        "payer_uin is 1 but only the admin 2 may be the payer",
        req={"payer_uin": "1"},
        missing=("member", "admin"),
    ),
    case("POB-J08", "pass", "the admin is the payer", missing=("member", "admin")),
    # POB-J09: admin is not an agent, a reseller, or a customer of either.
    case("POB-J09", "pass", "admin is neither an agent, a reseller nor a customer of either"),
    case(
        "POB-J09",
        "pass",
        "admin is neither an agent, a reseller nor a customer of either",
        admin={"channel_role": "distributor_subcustomer", "distributor_id": "D1"},
    ),
    *[
        case(
            "POB-J09",
            "fail",
            f"admin 2 channel_role is {role}; agents, resellers and their customers cannot be "
            "the payer",
            admin={"channel_role": role},
        )
        for role in ("agent", "agent_customer", "reseller", "reseller_customer")
    ],
    case("POB-J09", "error", ADMIN_MISSING, missing=("admin",)),
    case(
        "POB-J09",
        "pass",
        "admin is neither an agent, a reseller nor a customer of either",
        missing=("member",),
    ),
    # POB-J10: admin has no overdue payment OR a non-negative balance (parameter: AND).
    *[
        case(
            "POB-J10",
            "pass",
            "admin has no overdue payment or a non-negative balance, as required",
            admin={"overdue_amount": overdue, "available_balance": balance},
        )
        for overdue, balance in (("0.00", "0.00"), ("0.00", "-9.99"), ("5.00", "0.00"))
    ],
    case(
        "POB-J10",
        "fail",
        "admin 2 overdue_amount is 0.01 and available_balance is -0.01; needs overdue_amount "
        "0.00 or available_balance >= 0.00",
        admin={"overdue_amount": "0.01", "available_balance": "-0.01"},
    ),
    *[
        case(
            "POB-J10",
            "fail",
            f"admin 2 overdue_amount is {overdue} and available_balance is {balance}; needs "
            "overdue_amount 0.00 and available_balance >= 0.00",
            params=PARAMS.replace(j10_require_both=True),
            admin={"overdue_amount": overdue, "available_balance": balance},
        )
        for overdue, balance in (("0.00", "-9.99"), ("5.00", "0.00"), ("5.00", "-1.00"))
    ],
    # With both required, the pass reason says "and" (it said "or" before the catalogue
    # rendered its sentences from Params).
    case(
        "POB-J10",
        "pass",
        "admin has no overdue payment and a non-negative balance, as required",
        params=PARAMS.replace(j10_require_both=True),
        admin={"overdue_amount": "0.00", "available_balance": "0.00"},
    ),
    case(
        "POB-J10",
        "not_applicable",
        "admin is an internal account of a type outside the verified set; not checked",
        admin={
            "account_source": "internal",
            "internal_type": "5",
            "overdue_amount": "1.00",
            "available_balance": "-1.00",
        },
    ),
    case(
        "POB-J10",
        "fail",
        "admin 2 overdue_amount is 1.00 and available_balance is -1.00; needs overdue_amount "
        "0.00 or available_balance >= 0.00",
        admin={
            "account_source": "internal",
            "internal_type": "9",
            "overdue_amount": "1.00",
            "available_balance": "-1.00",
        },
    ),
    # A member of a non-verified type does not exempt the admin.
    case(
        "POB-J10",
        "pass",
        "admin has no overdue payment or a non-negative balance, as required",
        member={"account_source": "internal", "internal_type": "5"},
    ),
    case("POB-J10", "error", ADMIN_MISSING, missing=("admin",)),
    # POB-Q01: member balance is not negative when quitting.
    case(
        "POB-Q01",
        "pass",
        "member available_balance is >= 0.00",
        req=QUIT,
        member={"available_balance": "0.00"},
    ),
    case(
        "POB-Q01",
        "fail",
        "member 1 available_balance is -0.01, must be >= 0.00",
        req=QUIT,
        member={"available_balance": "-0.01"},
    ),
    *[
        case(
            "POB-Q01",
            "fail",
            "member 1 available_balance is -0.01, must be >= 0.00",
            req=QUIT,
            member={"account_source": "internal", "internal_type": t, "available_balance": "-0.01"},
        )
        for t in ("4", "6", "9")
    ],
    case(
        "POB-Q01",
        "not_applicable",
        UNVERIFIED,
        req=QUIT,
        member={"account_source": "internal", "internal_type": "5", "available_balance": "-0.01"},
    ),
    case("POB-Q01", "error", MEMBER_MISSING, req=QUIT, missing=("member",)),
    case("POB-Q01", "pass", "member available_balance is >= 0.00", req=QUIT, missing=("admin",)),
    # POB-Q02: member has no open order when quitting.
    case("POB-Q02", "pass", "member has no open orders", req=QUIT),
    case("POB-Q02", "fail", OPEN_ORDERS, req=QUIT, orders=(order(status="to_be_paid"),)),
    case("POB-Q02", "fail", OPEN_ORDERS, req=QUIT, orders=(order(status="processing"),)),
    case(
        "POB-Q02",
        "pass",
        "member has no open orders",
        req=QUIT,
        params=PARAMS.replace(open_order_statuses=frozenset({"to_be_paid"})),
        orders=(order(status="processing"),),
    ),
    case(
        "POB-Q02",
        "fail",
        OPEN_ORDERS,
        req=QUIT,
        orders=(order(status="processing"),),
        missing=("member",),
    ),
    # POB-Q03: mid / long-tail member without channel manager has a bound credit card.
    *[
        case(
            "POB-Q03",
            "pass",
            "member has a bound credit card",
            req=QUIT,
            member={"customer_tier": tier, "credit_card_bound": "true"},
        )
        for tier in ("mid", "long_tail")
    ],
    *[
        case(
            "POB-Q03",
            "fail",
            f"member 1 (customer_tier {tier}, no channel manager follow-up) has no credit card "
            "bound",
            req=QUIT,
            member={"customer_tier": tier, "credit_card_bound": "FALSE"},
        )
        for tier in ("mid", "long_tail")
    ],
    case(
        "POB-Q03",
        "not_applicable",
        "member is outside the card tiers or followed up by a channel manager",
        req=QUIT,
        member={"customer_tier": "key", "credit_card_bound": "false"},
    ),
    case(
        "POB-Q03",
        "not_applicable",
        "member is outside the card tiers or followed up by a channel manager",
        req=QUIT,
        member={"customer_tier": "mid", "channel_manager_followup": "1", "credit_card_bound": "0"},
    ),
    case(
        "POB-Q03",
        "fail",
        "member 1 (customer_tier key, no channel manager follow-up) has no credit card bound",
        req=QUIT,
        params=PARAMS.replace(q03_tiers=frozenset({"key"})),
        member={"customer_tier": "key", "credit_card_bound": "false"},
    ),
    case(
        "POB-Q03",
        "not_applicable",
        "member is outside the card tiers or followed up by a channel manager",
        req=QUIT,
        params=PARAMS.replace(q03_tiers=frozenset({"key"})),
        member={"customer_tier": "mid", "credit_card_bound": "false"},
    ),
    case("POB-Q03", "error", MEMBER_MISSING, req=QUIT, missing=("member",)),
]


@pytest.mark.parametrize(("rule_id", "given", "params", "status", "reason"), ids(RULE_CASES))
def test_rule(rule_id: str, given: dict, params: Params, status: str, reason: str) -> None:
    assert outcome_in(rule_id, judged(params, **given)) == (status, reason)


def test_every_rule_has_a_pass_and_a_fail_case() -> None:
    covered = {(c[0], c[3]) for c in RULE_CASES}
    for rule in RULES:
        assert {(rule.id, "pass"), (rule.id, "fail")} <= covered, rule.id


JOIN_RULES = [r.id for r in RULES if r.scope.actions == {Action.JOIN}]
QUIT_RULES = [r.id for r in RULES if r.scope.actions == {Action.QUIT}]
POB_RULES = [
    (r.id, action.value)
    for r in RULES
    if PaymentMode.SELF_PAY not in r.scope.payment_modes
    for action in r.scope.actions
]


@pytest.mark.parametrize("rule_id", JOIN_RULES)
def test_join_rule_is_not_applicable_to_quit(rule_id: str) -> None:
    # The request's own columns come first: missing accounts do not make it an error.
    results = judged(req=QUIT, missing=("member", "admin"))
    assert outcome_in(rule_id, results) == ("not_applicable", NOT_JOIN)


@pytest.mark.parametrize("rule_id", QUIT_RULES)
def test_quit_rule_is_not_applicable_to_join(rule_id: str) -> None:
    results = judged(missing=("member", "admin"))
    assert outcome_in(rule_id, results) == ("not_applicable", NOT_QUIT)


@pytest.mark.parametrize(("rule_id", "action"), POB_RULES)
def test_pob_rule_is_not_applicable_to_self_pay(rule_id: str, action: str) -> None:
    # Also before the missing member is looked at.
    results = judged(req={"payment_mode": "self_pay", "action": action}, missing=("member",))
    assert outcome_in(rule_id, results) == ("not_applicable", NOT_POB)


def test_j03_is_the_only_rule_judging_self_pay() -> None:
    assert [r.id for r in RULES if PaymentMode.SELF_PAY in r.scope.payment_modes] == ["POB-J03"]


# Which rules report `error` when an account is missing: exactly those that read it.
READS_MEMBER = {"POB-J01", "POB-J02", "POB-J03", "POB-J04", "POB-J05", "POB-J06"}
READS_ADMIN = {"POB-J01", "POB-J04", "POB-J09", "POB-J10"}


@pytest.mark.parametrize(
    ("missing", "erroring", "reason"),
    [
        (("member",), READS_MEMBER, MEMBER_MISSING),
        (("admin",), READS_ADMIN, ADMIN_MISSING),
        (("member", "admin"), READS_MEMBER | READS_ADMIN, None),
    ],
)
def test_missing_account_errors_exactly_the_rules_reading_it(
    missing: tuple[str, ...], erroring: set[str], reason: str | None
) -> None:
    tables = tables_for(member=SUB, admin={"distributor_id": "D1"}, missing=missing)
    results = evaluate(tables, PARAMS, POB).results
    errors = results[(results["status"] == "error").to_numpy()]
    assert set(errors["rule_id"].astype(str)) == erroring
    if reason:
        assert set(errors["reason"].astype(str)) == {reason}
    else:
        both = {r for r in erroring if r in READS_MEMBER and r in READS_ADMIN}
        by_rule = dict(
            zip(errors["rule_id"].astype(str), errors["reason"].astype(str), strict=True)
        )
        assert {r for r, text in by_rule.items() if text == BOTH_MISSING} == both


def test_quit_rules_error_on_missing_member() -> None:
    tables = tables_for(req={**QUIT}, member={"customer_tier": "mid"}, missing=("member",))
    statuses = evaluate(tables, PARAMS, POB).status_matrix().iloc[0]
    assert statuses[["POB-Q01", "POB-Q02", "POB-Q03"]].tolist() == ["error", "pass", "error"]


# ---- null handling that validation would not let through ------------------------------


def _with_accounts(tables: Tables, **columns: list) -> Tables:
    accounts = tables.accounts.copy()
    for name, column in columns.items():
        accounts[name] = pd.Series(column, dtype=accounts[name].dtype)
    return tables.replace(accounts=accounts)


def test_j01_same_enterprise_id_but_member_personal_fails() -> None:
    # Validation requires a personal account's enterprise_id to be empty; the rule
    # must still not pass on a matching id alone.
    tables = _with_accounts(tables_for(), identity_type=["personal", "enterprise"])
    assert tables.accounts["enterprise_id"].tolist() == ["E1", "E1"]
    assert outcome("POB-J01", tables) == (
        "fail",
        "member 1 identity_type is personal, must be enterprise (verified) like the admin",
    )


def test_j01_null_enterprise_ids_never_match() -> None:
    tables = _with_accounts(tables_for(), enterprise_id=[None, None])
    assert outcome("POB-J01", tables) == (
        "fail",
        "member 1 enterprise_id empty differs from admin 2 enterprise_id empty",
    )


def test_j04_null_distributor_never_equals_null() -> None:
    tables = _with_accounts(tables_for(member=SUB), distributor_id=[None, None])
    assert outcome("POB-J04", tables) == (
        "fail",
        "admin 2 distributor_id is empty but member 1 distributor_id is empty; they must be "
        "the same distributor",
    )


# ---- the whole request: 13 rows, verdicts, control exceptions -------------------------


def test_every_request_gets_one_row_per_rule_in_catalogue_order() -> None:
    tables = build_tables(
        [account("1"), account("2")],
        requests=[request("R1"), request("R2", action="quit"), request("R3", member_uin="9")],
    )
    results = evaluate(tables, PARAMS, POB).results
    assert len(results) == 3 * 13
    assert results["request_id"].astype(str).tolist() == [
        r for r in ("R1", "R2", "R3") for _ in range(13)
    ]
    assert results["rule_id"].astype(str).tolist() == [r.id for r in RULES] * 3
    assert set(results["status"].astype(str)) <= {"pass", "fail", "not_applicable", "error"}


def test_status_and_reason_come_from_one_judgement() -> None:
    tables = build_tables(
        [account("1", available_balance="-1.00"), account("2")],
        requests=[request("R1"), request("R2", member_uin="3"), request("R3", action="quit")],
    )
    result = evaluate(tables, PARAMS, POB)
    matrix = result.status_matrix()
    assert matrix.loc["R1", "POB-J06"] == "fail"
    assert matrix.loc["R2", "POB-J06"] == "error"
    assert matrix.loc["R3", "POB-Q01"] == "fail"
    evidence = result.evidence("R2")["rules"].set_index("rule_id")
    assert evidence.loc["POB-J06", "reason"] == "member 3 is not in accounts"


MEMBER_AGENT = {"channel_role": "agent"}


@pytest.mark.parametrize(
    ("given", "verdict", "failed", "errors"),
    [
        ({}, "eligible", "", ""),
        ({"member": MEMBER_AGENT}, "ineligible", "POB-J02", ""),
        (
            {"member": {"available_balance": "-1"}, "orders": (order(status="processing"),)},
            "ineligible",
            "POB-J06;POB-J07",
            "",
        ),
        ({"missing": ("admin",)}, "unknown", "", "POB-J01;POB-J04;POB-J09;POB-J10"),
        # Ineligible beats unknown: a failure is a finding even when other data is missing.
        (
            {"missing": ("admin",), "member": MEMBER_AGENT},
            "ineligible",
            "POB-J02",
            "POB-J01;POB-J04;POB-J09;POB-J10",
        ),
        (
            {"missing": ("member",), "admin": {"channel_role": "reseller"}},
            "ineligible",
            "POB-J09",
            "POB-J01;POB-J02;POB-J03;POB-J04;POB-J05;POB-J06",
        ),
        ({"req": QUIT, "member": MEMBER_AGENT}, "eligible", "", ""),
        ({"req": {"payment_mode": "self_pay"}, "missing": ("admin",)}, "eligible", "", ""),
        ({"req": {"payment_mode": "self_pay"}, "missing": ("member",)}, "unknown", "", "POB-J03"),
        (
            {"req": QUIT, "member": {"customer_tier": "long_tail", "credit_card_bound": "false"}},
            "ineligible",
            "POB-Q03",
            "",
        ),
    ],
)
def test_verdict(given: dict, verdict: str, failed: str, errors: str) -> None:
    row = evaluate(tables_for(**given), PARAMS, POB).verdicts.iloc[0]
    assert (row["verdict"], row["failed_rules"], row["error_rules"]) == (verdict, failed, errors)


@pytest.mark.parametrize(
    ("given", "decision", "exception"),
    [
        ({}, "approved", ""),
        ({}, "rejected", "rejected_but_eligible"),
        ({}, None, ""),
        ({"member": MEMBER_AGENT}, "approved", "approved_but_ineligible"),
        ({"member": MEMBER_AGENT}, "rejected", ""),
        ({"member": MEMBER_AGENT}, None, ""),
        ({"missing": ("member",)}, "approved", ""),
        ({"missing": ("member",)}, "rejected", ""),
        ({"missing": ("member",)}, None, ""),
    ],
)
def test_control_exception(given: dict, decision: str | None, exception: str) -> None:
    tables = tables_for(req={"decision": decision}, **given)
    row = evaluate(tables, PARAMS, POB).verdicts.iloc[0]
    assert row["control_exception"] == exception
    assert (None if pd.isna(row["decision"]) else row["decision"]) == decision


def test_verdicts_columns_follow_the_contract() -> None:
    verdicts = evaluate(tables_for(), PARAMS, POB).verdicts
    assert list(verdicts.columns) == [
        "request_id",
        "member_uin",
        "admin_uin",
        "action",
        "payment_mode",
        "verdict",
        "failed_rules",
        "error_rules",
        "decision",
        "control_exception",
        "decision_code_check",
    ]


def test_no_requests_give_empty_results() -> None:
    result = evaluate(build_tables([account("1")]), PARAMS, POB)
    assert len(result.results) == 0
    assert len(result.verdicts) == 0
    assert list(result.results.columns) == [
        "request_id",
        "member_uin",
        "admin_uin",
        "action",
        "rule_id",
        "status",
        "reason",
    ]


def test_empty_accounts_make_every_reading_rule_an_error() -> None:
    result = evaluate(build_tables(requests=[request()]), PARAMS, POB)
    row = result.verdicts.iloc[0]
    assert row["verdict"] == "unknown"
    assert row["error_rules"] == "POB-J01;POB-J02;POB-J03;POB-J04;POB-J05;POB-J06;POB-J09;POB-J10"
