"""The rule catalogue: one frozen declaration per requirement, nothing executed here.

Each rule reads columns of the *case frame* (one row per request, built by
engine.build_cases): `member_<column>` and `admin_<column>` from accounts,
`member_found` / `admin_found`, and the member's open-order and usable-voucher
aggregates. `applies` and `passes` return boolean masks over that frame;
`fail_reason` renders the sentences for the failing rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from auditkit.enums import AccountSource, Action, ChannelRole, IdentityType
from auditkit.money import format_cents
from auditkit.params import Params

Mask = Callable[[pd.DataFrame, Params], "pd.Series | np.ndarray"]
Reason = Callable[[pd.DataFrame, Params], pd.Series]

SOURCE_DOCUMENT = "Tencent Cloud Organization, Pay-on-Behalf Mode Access Requirements"
ENABLE = "Requirements for enabling pay-on-behalf mode"
DISABLE = "Requirements for disabling pay-on-behalf mode"


class Reads(StrEnum):
    """What a rule needs; a missing member or admin account makes the rule `error`."""

    MEMBER = "member"
    ADMIN = "admin"
    ORDERS = "orders"
    VOUCHERS = "vouchers"
    REQUEST = "request"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    citation: str
    action: Action
    pob_only: bool
    reads: tuple[Reads, ...]
    passes: Mask
    fail_reason: Reason
    pass_reason: str
    applies: Mask | None = None
    applies_when: str = ""
    not_applicable_reason: str = ""

    @property
    def applies_to(self) -> str:
        """Plain description of the requests this rule judges."""
        mode = "pay_on_behalf" if self.pob_only else "any payment mode"
        text = f"{self.action} requests, {mode}"
        return f"{text}, {self.applies_when}" if self.applies_when else text


# ---- helpers shared by the declarations ---------------------------------------------


def verified(frame: pd.DataFrame, role: str, params: Params) -> pd.Series:
    """External accounts, or internal ones whose type is in the verified set."""
    internal_verified = frame[f"{role}_internal_type"].isin(sorted(params.verified_internal_types))
    return (frame[f"{role}_account_source"] == AccountSource.EXTERNAL) | (
        (frame[f"{role}_account_source"] == AccountSource.INTERNAL) & internal_verified
    )


def text(series: pd.Series) -> pd.Series:
    """Render values as text for a sentence; nulls become 'empty'."""
    return series.astype("str").fillna("empty")


def quoted(series: pd.Series) -> pd.Series:
    return ("'" + series.astype("str") + "'").fillna("empty")


def money(series: pd.Series) -> pd.Series:
    return format_cents(series)


def pick(
    frame: pd.DataFrame, choices: list[tuple[pd.Series, pd.Series]], default: pd.Series
) -> pd.Series:
    """First matching sentence per row, like numpy.select for strings."""
    result = default.copy()
    for condition, sentence in reversed(choices):
        result = result.mask(condition.to_numpy(dtype=bool, na_value=False), sentence)
    return result


def _balance_reason(role: str) -> Reason:
    return lambda f, p: (
        f"{role} "
        + f[f"{role}_uin"]
        + " available_balance is "
        + money(f[f"{role}_available_balance_cents"])
        + ", must be >= 0.00"
    )


def _open_orders_reason(f: pd.DataFrame, p: Params) -> pd.Series:
    statuses = " or ".join(sorted(p.open_order_statuses))
    return (
        "member "
        + f["member_uin"]
        + " has "
        + f["open_orders"].astype("str")
        + f" open order(s) ({statuses}) totalling "
        + money(f["open_order_cents"])
        + ", e.g. "
        + f["first_open_order"]
        + "; settle or cancel them first"
    )


def _not_agent(role: str, roles: tuple[ChannelRole, ...]) -> Mask:
    return lambda f, p: ~f[f"{role}_channel_role"].isin(roles)


AGENT_ROLES = (ChannelRole.AGENT, ChannelRole.AGENT_CUSTOMER)
PAYER_FORBIDDEN_ROLES = (
    ChannelRole.AGENT,
    ChannelRole.AGENT_CUSTOMER,
    ChannelRole.RESELLER,
    ChannelRole.RESELLER_CUSTOMER,
)
ENTERPRISE = IdentityType.ENTERPRISE
SUBCUSTOMER = ChannelRole.DISTRIBUTOR_SUBCUSTOMER


def _same_enterprise(f: pd.DataFrame, p: Params) -> pd.Series:
    return (
        (f["member_identity_type"] == ENTERPRISE)
        & (f["admin_identity_type"] == ENTERPRISE)
        & f["member_enterprise_id"].notna()
        & (f["member_enterprise_id"] == f["admin_enterprise_id"])
    )


def _same_enterprise_reason(f: pd.DataFrame, p: Params) -> pd.Series:
    def not_enterprise(role: str) -> pd.Series:
        return (
            f"{role} "
            + f[f"{role}_uin"]
            + " identity_type is "
            + text(f[f"{role}_identity_type"])
            + ", must be enterprise (verified) like the "
            + ("admin" if role == "member" else "member")
        )

    differ = (
        "member "
        + f["member_uin"]
        + " enterprise_id "
        + quoted(f["member_enterprise_id"])
        + " differs from admin "
        + f["admin_uin"]
        + " enterprise_id "
        + quoted(f["admin_enterprise_id"])
    )
    return pick(
        f,
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
    return (
        "admin "
        + f["admin_uin"]
        + " overdue_amount is "
        + money(f["admin_overdue_amount_cents"])
        + " and available_balance is "
        + money(f["admin_available_balance_cents"])
        + f"; needs overdue_amount 0.00 {need} available_balance >= 0.00"
    )


def _q03_applies(f: pd.DataFrame, p: Params) -> pd.Series:
    return (
        f["member_customer_tier"].isin(sorted(p.q03_tiers)) & ~f["member_channel_manager_followup"]
    )


UNVERIFIED_TYPE = (
    "member is an internal account of a type outside the verified set; its balance is not checked"
)


def member_balance_rule(rule_id: str, action: Action, title: str, section: str) -> Rule:
    """The balance check, worded alike when joining and quitting."""
    return Rule(
        id=rule_id,
        title=title,
        citation=f"{section}, member account, account type verification",
        action=action,
        pob_only=True,
        reads=(Reads.MEMBER,),
        applies=lambda f, p: verified(f, "member", p),
        applies_when="member is of a verified type",
        not_applicable_reason=UNVERIFIED_TYPE,
        passes=lambda f, p: f["member_available_balance_cents"] >= 0,
        fail_reason=_balance_reason("member"),
        pass_reason="member available_balance is >= 0.00",
    )


def open_orders_rule(rule_id: str, action: Action, title: str, section: str) -> Rule:
    """The open-order check, worded alike when joining and quitting."""
    return Rule(
        id=rule_id,
        title=title,
        citation=f"{section}, member account, order verification",
        action=action,
        pob_only=True,
        reads=(Reads.ORDERS,),
        passes=lambda f, p: f["open_orders"] == 0,
        fail_reason=_open_orders_reason,
        pass_reason="member has no open orders",
    )


RULES: tuple[Rule, ...] = (
    Rule(
        id="POB-J01",
        title="Member and admin are verified as the same enterprise",
        citation=f"{ENABLE}, member account, account verification, item 1",
        action=Action.JOIN,
        pob_only=True,
        reads=(Reads.MEMBER, Reads.ADMIN),
        passes=_same_enterprise,
        fail_reason=_same_enterprise_reason,
        pass_reason="member and admin are verified as the same enterprise",
    ),
    Rule(
        id="POB-J02",
        title="Member is not an agent or an agent's customer",
        citation=f"{ENABLE}, member account, account verification, item 2",
        action=Action.JOIN,
        pob_only=True,
        reads=(Reads.MEMBER,),
        passes=_not_agent("member", AGENT_ROLES),
        fail_reason=lambda f, p: (
            "member "
            + f["member_uin"]
            + " channel_role is "
            + text(f["member_channel_role"])
            + "; agents and their customers cannot use pay-on-behalf"
        ),
        pass_reason="member is neither an agent nor an agent's customer",
    ),
    Rule(
        id="POB-J03",
        title="Distributor sub-customer joins in pay-on-behalf mode",
        citation=f"{ENABLE}, member account, account verification, item 3",
        action=Action.JOIN,
        pob_only=False,
        reads=(Reads.MEMBER,),
        applies=lambda f, p: f["member_channel_role"] == SUBCUSTOMER,
        applies_when="member is a distributor_subcustomer",
        not_applicable_reason="member is not a distributor sub-customer",
        passes=lambda f, p: f["payment_mode"] == "pay_on_behalf",
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
        action=Action.JOIN,
        pob_only=True,
        reads=(Reads.MEMBER, Reads.ADMIN),
        applies=lambda f, p: f["member_channel_role"] == SUBCUSTOMER,
        applies_when="member is a distributor_subcustomer",
        not_applicable_reason="member is not a distributor sub-customer",
        passes=lambda f, p: f["admin_distributor_id"] == f["member_distributor_id"],
        fail_reason=lambda f, p: (
            "admin "
            + f["admin_uin"]
            + " distributor_id is "
            + quoted(f["admin_distributor_id"])
            + " but member "
            + f["member_uin"]
            + " distributor_id is "
            + quoted(f["member_distributor_id"])
            + "; they must be the same distributor"
        ),
        pass_reason="admin and member belong to the same distributor",
    ),
    Rule(
        id="POB-J05",
        title="Sub-customer holds no usable sub-customer voucher",
        citation=f"{ENABLE}, member account, distribution mode, item 2",
        action=Action.JOIN,
        pob_only=True,
        reads=(Reads.MEMBER, Reads.VOUCHERS),
        applies=lambda f, p: f["member_channel_role"] == SUBCUSTOMER,
        applies_when="member is a distributor_subcustomer",
        not_applicable_reason="member is not a distributor sub-customer",
        passes=lambda f, p: f["usable_vouchers"] == 0,
        fail_reason=lambda f, p: (
            "member "
            + f["member_uin"]
            + " holds "
            + f["usable_vouchers"].astype("str")
            + " usable sub-customer voucher(s) with "
            + money(f["usable_voucher_cents"])
            + " remaining, e.g. "
            + f["first_usable_voucher"]
            + "; they must be used up or invalidated first"
        ),
        pass_reason="member holds no usable sub-customer voucher",
    ),
    member_balance_rule("POB-J06", Action.JOIN, "Member balance is not negative", ENABLE),
    open_orders_rule("POB-J07", Action.JOIN, "Member has no open orders", ENABLE),
    Rule(
        id="POB-J08",
        title="The admin account is the payer",
        citation=f"{ENABLE}, admin account",
        action=Action.JOIN,
        pob_only=True,
        reads=(Reads.REQUEST,),
        passes=lambda f, p: f["payer_uin"].isna() | (f["payer_uin"] == f["admin_uin"]),
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
        action=Action.JOIN,
        pob_only=True,
        reads=(Reads.ADMIN,),
        passes=_not_agent("admin", PAYER_FORBIDDEN_ROLES),
        fail_reason=lambda f, p: (
            "admin "
            + f["admin_uin"]
            + " channel_role is "
            + text(f["admin_channel_role"])
            + "; agents, resellers and their customers cannot be the payer"
        ),
        pass_reason="admin is neither an agent, a reseller nor a customer of either",
    ),
    Rule(
        id="POB-J10",
        title="Admin has no overdue payment or a non-negative balance",
        citation=f"{ENABLE}, admin account, item 1",
        action=Action.JOIN,
        pob_only=True,
        reads=(Reads.ADMIN,),
        applies=lambda f, p: verified(f, "admin", p),
        applies_when="admin is of a verified type",
        not_applicable_reason="admin is an internal account of a type outside the verified set; not checked",
        passes=_j10_passes,
        fail_reason=_j10_reason,
        pass_reason="admin has no overdue payment or a non-negative balance, as required",
    ),
    member_balance_rule(
        "POB-Q01", Action.QUIT, "Member balance is not negative when quitting", DISABLE
    ),
    open_orders_rule("POB-Q02", Action.QUIT, "Member has no open orders when quitting", DISABLE),
    Rule(
        id="POB-Q03",
        title="Mid and long-tail member without channel manager has a bound credit card",
        citation=f"{DISABLE}, member account, card verification",
        action=Action.QUIT,
        pob_only=True,
        reads=(Reads.MEMBER,),
        applies=_q03_applies,
        applies_when="member tier is in the card tiers (mid, long_tail) and no channel manager follows it up",
        not_applicable_reason="member is outside the card tiers or followed up by a channel manager",
        passes=lambda f, p: f["member_credit_card_bound"],
        fail_reason=lambda f, p: (
            "member "
            + f["member_uin"]
            + " (customer_tier "
            + text(f["member_customer_tier"])
            + ", no channel manager follow-up) has no credit card bound"
        ),
        pass_reason="member has a bound credit card",
    ),
)

RULE_IDS: tuple[str, ...] = tuple(rule.id for rule in RULES)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def catalogue_frame(rules: tuple[Rule, ...] = RULES) -> pd.DataFrame:
    """The catalogue as a table: id, title, applies_to, reads, citation."""
    return pd.DataFrame(
        {
            "rule_id": [r.id for r in rules],
            "title": [r.title for r in rules],
            "applies_to": [r.applies_to for r in rules],
            "reads": [", ".join(r.reads) for r in rules],
            "citation": [r.citation for r in rules],
        }
    )
