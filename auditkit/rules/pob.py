"""The pay-on-behalf catalogue: 13 rules from Tencent Cloud Organization's access requirements.

Each rule paraphrases one requirement of "Pay-on-Behalf Mode Access
Requirements" (last updated 2024-03-06) and cites its section. Rules read the
case frame: `member_*` / `admin_*` account attributes, `payment_mode`,
`payer_uin`, and the member's open-order and usable-voucher aggregates.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from auditkit.params import Params
from auditkit.rules.features import ADMIN_STATE, MEMBER_STATE, OPEN_ORDERS, USABLE_VOUCHERS
from auditkit.rules.model import Catalogue, Mask, Reason, Rule, Scope, SourceDocument, one_of
from auditkit.rules.phrasing import moment, money, pick, quoted, tense, text
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


# ---- masks and sentences shared by several rules -----------------------------------


def verified(frame: pd.DataFrame, role: str, params: Params) -> pd.Series:
    """External accounts, or internal ones whose type is in the verified set."""
    internal_verified = frame[f"{role}_internal_type"].isin(sorted(params.verified_internal_types))
    return (frame[f"{role}_account_source"] == AccountSource.EXTERNAL) | (
        (frame[f"{role}_account_source"] == AccountSource.INTERNAL) & internal_verified
    )


def is_subcustomer(f: pd.DataFrame, p: Params) -> pd.Series:
    return f["member_channel_role"] == SUBCUSTOMER


def _balance_reason(role: str) -> Reason:
    return lambda f, p: (
        f"{role} "
        + f[f"{role}_uin"]
        + f" available_balance {tense(p, 'is', 'was')} "
        + money(f[f"{role}_available_balance_cents"])
        + moment(f, p)
        + ", must be >= 0.00"
    )


def _open_orders_reason(f: pd.DataFrame, p: Params) -> pd.Series:
    statuses = " or ".join(sorted(p.open_order_statuses))
    return (
        "member "
        + f["member_uin"]
        + f" {tense(p, 'has', 'had')} "
        + f["open_orders"].astype("str")
        + f" open order(s) ({statuses}) totalling "
        + money(f["open_order_cents"])
        + moment(f, p)
        + ", e.g. "
        + f["first_open_order"]
        + "; settle or cancel them first"
    )


def _not_in(role: str, roles: tuple[ChannelRole, ...]) -> Mask:
    return lambda f, p: ~one_of(f[f"{role}_channel_role"], roles)


def _same_enterprise(f: pd.DataFrame, p: Params) -> pd.Series:
    return (
        (f["member_identity_type"] == ENTERPRISE)
        & (f["admin_identity_type"] == ENTERPRISE)
        & f["member_enterprise_id"].notna()
        & (f["member_enterprise_id"] == f["admin_enterprise_id"])
    )


def _same_enterprise_reason(f: pd.DataFrame, p: Params) -> pd.Series:
    def not_enterprise(role: str) -> pd.Series:
        other = "admin" if role == "member" else "member"
        return (
            f"{role} "
            + f[f"{role}_uin"]
            + f" identity_type {tense(p, 'is', 'was')} "
            + text(f[f"{role}_identity_type"])
            + moment(f, p)
            + f", must be enterprise (verified) like the {other}"
        )

    differ = (
        "member "
        + f["member_uin"]
        + " enterprise_id "
        + quoted(f["member_enterprise_id"])
        + f" {tense(p, 'differs', 'differed')} from admin "
        + f["admin_uin"]
        + " enterprise_id "
        + quoted(f["admin_enterprise_id"])
        + moment(f, p)
    )
    return pick(
        [
            (f["member_identity_type"] != ENTERPRISE, not_enterprise("member")),
            (f["admin_identity_type"] != ENTERPRISE, not_enterprise("admin")),
        ],
        differ,
    )


def _j10_passes(f: pd.DataFrame, p: Params) -> pd.Series:
    no_overdue = f["admin_overdue_amount_cents"] == 0
    balance_ok = f["admin_available_balance_cents"] >= 0
    return (no_overdue & balance_ok) if p.j10_require_both else (no_overdue | balance_ok)


def _j10_reason(f: pd.DataFrame, p: Params) -> pd.Series:
    need = "and" if p.j10_require_both else "or"
    verb = tense(p, "is", "was")
    return (
        "admin "
        + f["admin_uin"]
        + f" overdue_amount {verb} "
        + money(f["admin_overdue_amount_cents"])
        + f" and available_balance {verb} "
        + money(f["admin_available_balance_cents"])
        + moment(f, p)
        + f"; needs overdue_amount 0.00 {need} available_balance >= 0.00"
    )


def _q03_applies(f: pd.DataFrame, p: Params) -> pd.Series:
    return (
        one_of(f["member_customer_tier"], sorted(p.q03_tiers))
        & ~f["member_channel_manager_followup"]
    )


UNVERIFIED_TYPE = (
    "member is an internal account of a type outside the verified set; its balance is not checked"
)


def _shortfall(column: str):
    """How far a balance is below zero, in cents (0 when it is not)."""
    return lambda f: (-f[column].astype("Int64").fillna(0)).clip(lower=0)


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
        passes=lambda f, p: f["member_available_balance_cents"] >= 0,
        compares=("member_available_balance_cents",),
        fail_reason=_balance_reason("member"),
        pass_reason="member available_balance is >= 0.00",
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
        passes=lambda f, p: f["open_orders"] == 0,
        compares=("open_orders", "open_order_cents"),
        fail_reason=_open_orders_reason,
        pass_reason="member has no open orders",
        exposure=lambda f: f["open_order_cents"],
        exposure_kind="open orders",
    )


# ---- the rules ---------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    Rule(
        id="POB-J01",
        title="Member and admin are verified as the same enterprise",
        citation=f"{ENABLE}, member account, account verification, item 1",
        scope=JOIN_POB,
        reads=(Reads.MEMBER, Reads.ADMIN),
        passes=_same_enterprise,
        compares=tuple(
            f"{r}_{c}" for r in ("member", "admin") for c in ("identity_type", "enterprise_id")
        ),
        fail_reason=_same_enterprise_reason,
        pass_reason="member and admin are verified as the same enterprise",
    ),
    Rule(
        id="POB-J02",
        title="Member is not an agent or an agent's customer",
        citation=f"{ENABLE}, member account, account verification, item 2",
        scope=JOIN_POB,
        reads=(Reads.MEMBER,),
        passes=_not_in("member", AGENT_ROLES),
        compares=("member_channel_role",),
        fail_reason=lambda f, p: (
            "member "
            + f["member_uin"]
            + f" channel_role {tense(p, 'is', 'was')} "
            + text(f["member_channel_role"])
            + moment(f, p)
            + "; agents and their customers cannot use pay-on-behalf"
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
        passes=lambda f, p: f["payment_mode"] == PaymentMode.PAY_ON_BEHALF,
        compares=("payment_mode",),
        fail_reason=lambda f, p: (
            "member "
            + f["member_uin"]
            + " is a distributor_subcustomer but payment_mode is "
            + text(f["payment_mode"])
            + "; sub-customers may only join with pay_on_behalf"
        ),
        pass_reason="distributor sub-customer joins with pay_on_behalf",
    ),
    Rule(
        id="POB-J04",
        title="Admin and member belong to the same distributor",
        citation=f"{ENABLE}, member account, distribution mode, item 1",
        scope=JOIN_POB,
        reads=(Reads.MEMBER, Reads.ADMIN),
        applies=is_subcustomer,
        applies_when="member is a distributor_subcustomer",
        not_applicable_reason=NOT_SUBCUSTOMER,
        passes=lambda f, p: f["admin_distributor_id"] == f["member_distributor_id"],
        compares=("member_distributor_id", "admin_distributor_id"),
        fail_reason=lambda f, p: (
            "admin "
            + f["admin_uin"]
            + f" distributor_id {tense(p, 'is', 'was')} "
            + quoted(f["admin_distributor_id"])
            + " but member "
            + f["member_uin"]
            + f" distributor_id {tense(p, 'is', 'was')} "
            + quoted(f["member_distributor_id"])
            + moment(f, p)
            + "; they must be the same distributor"
        ),
        pass_reason="admin and member belong to the same distributor",
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
        passes=lambda f, p: f["usable_vouchers"] == 0,
        compares=("usable_vouchers", "usable_voucher_cents"),
        fail_reason=lambda f, p: (
            "member "
            + f["member_uin"]
            + f" {tense(p, 'holds', 'held')} "
            + f["usable_vouchers"].astype("str")
            + " usable sub-customer voucher(s) with "
            + money(f["usable_voucher_cents"])
            + " remaining"
            + moment(f, p)
            + ", e.g. "
            + f["first_usable_voucher"]
            + "; they must be used up or invalidated first"
        ),
        pass_reason="member holds no usable sub-customer voucher",
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
        passes=lambda f, p: f["payer_uin"].isna() | (f["payer_uin"] == f["admin_uin"]),
        compares=("payer_uin",),
        fail_reason=lambda f, p: (
            "payer_uin is "
            + f["payer_uin"]
            + " but only the admin "
            + f["admin_uin"]
            + " may be the payer"
        ),
        pass_reason="the admin is the payer",
    ),
    Rule(
        id="POB-J09",
        title="Admin is not an agent, a reseller or a customer of either",
        citation=f"{ENABLE}, admin account",
        scope=JOIN_POB,
        reads=(Reads.ADMIN,),
        passes=_not_in("admin", PAYER_FORBIDDEN_ROLES),
        compares=("admin_channel_role",),
        fail_reason=lambda f, p: (
            "admin "
            + f["admin_uin"]
            + f" channel_role {tense(p, 'is', 'was')} "
            + text(f["admin_channel_role"])
            + moment(f, p)
            + "; agents, resellers and their customers cannot be the payer"
        ),
        pass_reason="admin is neither an agent, a reseller nor a customer of either",
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
        passes=_j10_passes,
        compares=("admin_overdue_amount_cents", "admin_available_balance_cents"),
        fail_reason=_j10_reason,
        pass_reason="admin has no overdue payment {j10_connective} a non-negative balance, as required",
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
        passes=lambda f, p: f["member_credit_card_bound"],
        compares=("member_credit_card_bound",),
        fail_reason=lambda f, p: (
            "member "
            + f["member_uin"]
            + " (customer_tier "
            + text(f["member_customer_tier"])
            + f", no channel manager follow-up) {tense(p, 'has', 'had')} no credit card bound"
            + moment(f, p)
        ),
        pass_reason="member has a bound credit card",
    ),
)

# Error codes of Tencent Cloud's Organization API (version 2021-03-31) that refuse a
# switch, and the rules each stands for (contract v1.1 §6; the mapping is our reading).
DECISION_CODES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("FailedOperation.AuthInfoEmpty", ("POB-J01",)),
    ("FailedOperation.AuthNotEnterprise", ("POB-J01",)),
    ("FailedOperation.AuthInfoNotSame", ("POB-J01",)),
    ("UnsupportedOperation.MemberIsAgent", ("POB-J02",)),
    ("UnsupportedOperation.ExistedAgent", ("POB-J02", "POB-J09")),
    ("UnsupportedOperation.ExistedClient", ("POB-J02", "POB-J09")),
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
    features=(MEMBER_STATE, ADMIN_STATE, OPEN_ORDERS, USABLE_VOUCHERS),
    decision_codes=DECISION_CODES,
)
