"""The pay-on-behalf catalogue: 13 rules from Tencent Cloud Organization's access requirements.

Each rule paraphrases one requirement of "Pay-on-Behalf Mode Access
Requirements" (last updated 2024-03-06) and cites its section. Rules read the
case frame: `member_*` / `admin_*` account attributes, `payment_mode`,
`payer_uin`, and the member's open-order and usable-voucher aggregates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from auditkit.params import Params
from auditkit.rules.checks import (
    AllOf,
    AtLeast,
    Either,
    EmptyOrSame,
    Equal,
    IsTrue,
    NoneHeld,
    NotIn,
    Same,
    admin,
    member,
    one_of,
    request,
)
from auditkit.rules.features import ACCOUNT_STATES, OPEN_ORDERS, USABLE_VOUCHERS
from auditkit.rules.model import Catalogue, Rule, Scope, SourceDocument
from auditkit.rules.phrasing import MONEY, QUOTED
from auditkit.vocab import AccountSource, Action, ChannelRole, IdentityType, PaymentMode, Reads

SOURCE = SourceDocument(
    publisher="Tencent Cloud Organization",
    title="Pay-on-Behalf Mode Access Requirements",
    revision=dt.date(2024, 3, 6),
)
ENABLE = "Requirements for enabling pay-on-behalf mode"
DISABLE = "Requirements for disabling pay-on-behalf mode"

JOIN_POB = Scope(frozenset({Action.JOIN}), frozenset({PaymentMode.PAY_ON_BEHALF}))
JOIN_ANY_MODE = Scope(frozenset({Action.JOIN}))
QUIT_POB = Scope(frozenset({Action.QUIT}), frozenset({PaymentMode.PAY_ON_BEHALF}))

AGENT_ROLES = (ChannelRole.AGENT, ChannelRole.AGENT_CUSTOMER)
PAYER_FORBIDDEN_ROLES = (
    ChannelRole.AGENT,
    ChannelRole.AGENT_CUSTOMER,
    ChannelRole.RESELLER,
    ChannelRole.RESELLER_CUSTOMER,
)
ENTERPRISE = IdentityType.ENTERPRISE
SUBCUSTOMER = ChannelRole.DISTRIBUTOR_SUBCUSTOMER
NOT_SUBCUSTOMER = "member is not a distributor sub-customer"


# ---- account conditions ---------------------------------------------------------------


def verified(frame: pd.DataFrame, role: str, params: Params) -> np.ndarray:
    """External accounts, or internal ones whose type is in the verified set."""
    source = frame[f"{role}_account_source"]
    internal_verified = frame[f"{role}_internal_type"].isin(sorted(params.verified_internal_types))
    external = one_of(source, (AccountSource.EXTERNAL,))
    internal = one_of(source, (AccountSource.INTERNAL,))
    return external | (internal & internal_verified.to_numpy(dtype=bool, na_value=False))


def is_subcustomer(f: pd.DataFrame, p: Params) -> np.ndarray:
    return one_of(f["member_channel_role"], (SUBCUSTOMER,))


def either_is_subcustomer(f: pd.DataFrame, p: Params) -> np.ndarray:
    """Distribution mode, entered from either side (contract v1.2)."""
    return is_subcustomer(f, p) | one_of(f["admin_channel_role"], (SUBCUSTOMER,))


def _q03_applies(f: pd.DataFrame, p: Params) -> np.ndarray:
    followed = f["member_channel_manager_followup"].to_numpy(dtype=bool, na_value=True)
    return one_of(f["member_customer_tier"], sorted(p.q03_tiers)) & ~followed


def _shortfall(column: str):
    """How far a balance is below zero, in cents (0 when it is not)."""
    return lambda f: (-f[column].astype("Int64").fillna(0)).clip(lower=0)


UNVERIFIED_TYPE = (
    "member is an internal account of a type outside the verified set; its balance is not checked"
)
# Readings where the document can be read two ways (contract v1.2 section 8).
AS_PAYER = "The admin is read as the payer: the document lets only the admin account pay."
OPEN_ORDER_READING = (
    "Open orders of every order_type count: the document names orders to be paid, renewed or "
    "refunded and the statuses to be paid or processing, and an upgrade awaiting payment is an "
    "order to be paid. Open means a status among {open_order_statuses}."
)
SUBCUSTOMER_ONLY = (
    "Stays the member's own when only the admin is a distributor sub-customer (contract v1.2)."
)

MEMBER_BALANCE = AtLeast(member("available_balance", MONEY), 0)
OPEN_ORDER_CHECK = NoneHeld(
    "open_orders", "open_order_cents", "first_open_order", "settle or cancel them first"
)


def member_balance_rule(rule_id: str, scope: Scope, title: str, section: str) -> Rule:
    """The balance check, worded alike when joining and quitting."""
    return Rule(
        id=rule_id,
        title=title,
        citation=f"{section}, member account, account type verification",
        scope=scope,
        reads=(Reads.MEMBER,),
        applies=lambda f, p: verified(f, "member", p),
        applies_when="member is of a verified type",
        not_applicable_reason=UNVERIFIED_TYPE,
        check=MEMBER_BALANCE,
        pass_reason=MEMBER_BALANCE.passed(),
        exposure=_shortfall("member_available_balance_cents"),
        exposure_kind="member's negative balance",
    )


def open_orders_rule(rule_id: str, scope: Scope, title: str, section: str) -> Rule:
    """The open-order check, worded alike when joining and quitting."""
    return Rule(
        id=rule_id,
        title=title,
        citation=f"{section}, member account, order verification",
        scope=scope,
        reads=(Reads.ORDERS,),
        check=OPEN_ORDER_CHECK,
        fail_reason="member {member} {has} {count} open order(s) ({open_order_statuses}) "
        "totalling {cents}{at}, e.g. {example}; {why}",
        pass_reason="member has no open orders",
        reading=OPEN_ORDER_READING,
        exposure=lambda f: f["open_order_cents"],
        exposure_kind="open orders",
    )


def _same_enterprise() -> AllOf:
    """Both enterprise-verified, with the same enterprise_id; the first unmet condition says why."""
    return AllOf(
        (
            Equal(member("identity_type"), ENTERPRISE, "(verified) like the admin"),
            Equal(admin("identity_type"), ENTERPRISE, "(verified) like the member"),
            Same(member("enterprise_id", QUOTED), admin("enterprise_id", QUOTED)),
        ),
        ("", "", "{subject} {value} {differs} from {other_subject} {other}{at}"),
    )


# ---- the rules ---------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule(
        id="POB-J01",
        title="Member and admin are verified as the same enterprise",
        citation=f"{ENABLE}, member account, account verification, item 1",
        scope=JOIN_POB,
        reads=(Reads.MEMBER, Reads.ADMIN),
        check=_same_enterprise(),
        pass_reason="member and admin are verified as the same enterprise",
    ),
    Rule(
        id="POB-J02",
        title="Member is not an agent or an agent's customer",
        citation=f"{ENABLE}, member account, account verification, item 2",
        scope=JOIN_POB,
        reads=(Reads.MEMBER,),
        check=NotIn(
            member("channel_role"),
            AGENT_ROLES,
            "agents and their customers cannot use pay-on-behalf",
        ),
        pass_reason="member is neither an agent nor an agent's customer",
    ),
    Rule(
        id="POB-J03",
        title="Distributor sub-customer joins in pay-on-behalf mode",
        citation=f"{ENABLE}, member account, account verification, item 3",
        scope=JOIN_ANY_MODE,
        reads=(Reads.MEMBER,),
        applies=is_subcustomer,
        applies_when="member is a distributor_subcustomer",
        not_applicable_reason=NOT_SUBCUSTOMER,
        check=Equal(request("payment_mode"), PaymentMode.PAY_ON_BEHALF),
        fail_reason="member {member} is a distributor_subcustomer but payment_mode is {value}; "
        "sub-customers may only join with {expected}",
        pass_reason="distributor sub-customer joins with pay_on_behalf",
        reading="Judges every join of a distributor sub-customer, self-pay joins included: "
        "sub-customers may join in pay-on-behalf mode only, so a self-pay join is what it refuses.",
    ),
    Rule(
        id="POB-J04",
        title="Admin and member belong to the same distributor",
        citation=f"{ENABLE}, member account, distribution mode, item 1",
        scope=JOIN_POB,
        reads=(Reads.MEMBER, Reads.ADMIN),
        applies=either_is_subcustomer,
        applies_when="member or admin is a distributor_subcustomer",
        not_applicable_reason="neither member nor admin is a distributor sub-customer",
        check=Same(
            admin("distributor_id", QUOTED),
            member("distributor_id", QUOTED),
            "they must be the same distributor",
        ),
        pass_reason="admin and member belong to the same distributor",
        reading="Distribution mode is entered from either side (contract v1.2): the rule applies "
        "when the member or the admin is a distributor_subcustomer, as the platform's "
        "MemberIsNotClient refusal shows; a direct member with no distributor_id joining a "
        "sub-customer admin fails.",
    ),
    Rule(
        id="POB-J05",
        title="Sub-customer holds no usable sub-customer voucher",
        citation=f"{ENABLE}, member account, distribution mode, item 2",
        scope=JOIN_POB,
        reads=(Reads.MEMBER, Reads.VOUCHERS),
        applies=is_subcustomer,
        applies_when="member is a distributor_subcustomer",
        not_applicable_reason=NOT_SUBCUSTOMER,
        check=NoneHeld(
            "usable_vouchers",
            "usable_voucher_cents",
            "first_usable_voucher",
            "they must be used up or invalidated first",
        ),
        fail_reason="member {member} {holds} {count} usable sub-customer voucher(s) with {cents} "
        "remaining{at}, e.g. {example}; {why}",
        pass_reason="member holds no usable sub-customer voucher",
        reading=SUBCUSTOMER_ONLY,
        exposure=lambda f: f["usable_voucher_cents"],
        exposure_kind="unused sub-customer vouchers",
    ),
    member_balance_rule("POB-J06", JOIN_POB, "Member balance is not negative", ENABLE),
    open_orders_rule("POB-J07", JOIN_POB, "Member has no open orders", ENABLE),
    Rule(
        id="POB-J08",
        title="The admin account is the payer",
        citation=f"{ENABLE}, admin account",
        scope=JOIN_POB,
        reads=(Reads.REQUEST,),
        check=EmptyOrSame(request("payer_uin", "plain"), request("admin_uin")),
        fail_reason="payer_uin is {value} but only the admin {other} may be the payer",
        pass_reason="the admin is the payer",
        reading=AS_PAYER + " An empty payer_uin means the admin pays.",
    ),
    Rule(
        id="POB-J09",
        title="Admin is not an agent, a reseller or a customer of either",
        citation=f"{ENABLE}, admin account",
        scope=JOIN_POB,
        reads=(Reads.ADMIN,),
        check=NotIn(
            admin("channel_role"),
            PAYER_FORBIDDEN_ROLES,
            "agents, resellers and their customers cannot be the payer",
        ),
        pass_reason="admin is neither an agent, a reseller nor a customer of either",
        reading=AS_PAYER + " reseller_customer and distributor_subcustomer are kept apart: the "
        "English page says 'reseller' and 'distributor' for one Chinese word, but this rule would "
        "contradict POB-J04 if they were one role, so a distributor sub-customer admin may pay.",
    ),
    Rule(
        id="POB-J10",
        title="Admin has no overdue payment {j10_connective} a non-negative balance",
        citation=f"{ENABLE}, admin account, item 1",
        scope=JOIN_POB,
        reads=(Reads.ADMIN,),
        applies=lambda f, p: verified(f, "admin", p),
        applies_when="admin is of a verified type",
        not_applicable_reason="admin is an internal account of a type outside the verified set; not checked",
        check=Either(
            Equal(admin("overdue_amount", MONEY), 0),
            AtLeast(admin("available_balance", MONEY), 0),
            both="j10_require_both",
        ),
        fail_reason="admin {admin} overdue_amount {is} {first_value} and available_balance {is} "
        "{second_value}{at}; needs overdue_amount {first_expected} {j10_connective} "
        "available_balance >= {second_bound}",
        pass_reason="admin has no overdue payment {j10_connective} a non-negative balance, as required",
        reading=AS_PAYER + " The document's 'or' is read as written: no overdue payment or a "
        "non-negative balance suffices, unless j10_require_both asks for both (this run: "
        "{j10_connective}).",
        exposure=lambda f: (
            _shortfall("admin_available_balance_cents")(f)
            + f["admin_overdue_amount_cents"].astype("Int64").fillna(0)
        ),
        exposure_kind="admin's negative balance and overdue amount",
    ),
    member_balance_rule(
        "POB-Q01", QUIT_POB, "Member balance is not negative when quitting", DISABLE
    ),
    open_orders_rule("POB-Q02", QUIT_POB, "Member has no open orders when quitting", DISABLE),
    Rule(
        id="POB-Q03",
        title="{q03_tier_names} member without channel manager has a bound credit card",
        citation=f"{DISABLE}, member account, card verification",
        scope=QUIT_POB,
        reads=(Reads.MEMBER,),
        applies=_q03_applies,
        applies_when="member tier is in the card tiers ({q03_tiers}) and no channel manager follows it up",
        not_applicable_reason="member is outside the card tiers or followed up by a channel manager",
        check=IsTrue(member("credit_card_bound")),
        fail_reason="member {member} (customer_tier {member_customer_tier}, no channel manager "
        "follow-up) {has} no credit card bound{at}",
        pass_reason="member has a bound credit card",
    ),
)

# Error codes of Tencent Cloud's Organization API (version 2021-03-31) that refuse a
# switch, and the rules each stands for (contract v1.2 §6; the mapping is our reading).
DECISION_CODES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("FailedOperation.AuthInfoEmpty", ("POB-J01",)),
    ("FailedOperation.AuthNotEnterprise", ("POB-J01",)),
    ("FailedOperation.AuthInfoNotSame", ("POB-J01",)),
    ("UnsupportedOperation.MemberIsAgent", ("POB-J02",)),
    ("UnsupportedOperation.ExistedAgent", ("POB-J02", "POB-J09")),
    ("UnsupportedOperation.ExistedClient", ("POB-J03", "POB-J04", "POB-J05")),  # v1.2
    ("UnsupportedOperation.AgentNotSame", ("POB-J04",)),
    ("UnsupportedOperation.MemberIsNotClient", ("POB-J04",)),
    ("UnsupportedOperation.MemberHasVoucher", ("POB-J05",)),
    ("UnsupportedOperation.MemberAccountArrears", ("POB-J06", "POB-Q01")),
    ("UnsupportedOperation.AbnormalFinancialStatusOfMember", ("POB-J06", "POB-Q01")),
    ("UnsupportedOperation.OrderInProgressExisted", ("POB-J07", "POB-Q02")),
    ("FailedOperation.PayUinIllegal", ("POB-J08",)),
    ("UnsupportedOperation.PayerArrearsAndNoCreditAccount", ("POB-J10",)),
    ("UnsupportedOperation.AbnormalFinancialStatusOfAdmin", ("POB-J10",)),
    ("UnsupportedOperation.MemberNoPayment", ("POB-Q03",)),
)

POB = Catalogue(
    name="pay-on-behalf",
    source=SOURCE,
    rules=RULES,
    features=(ACCOUNT_STATES, OPEN_ORDERS, USABLE_VOUCHERS),
    decision_codes=DECISION_CODES,
)
