"""The vectorized engine against a plain-Python reference written from CONTRACT.md section 2.

Hypothesis draws small typed tables (Python values), renders them as the strings
a CSV would hold, and runs them through `tables_from_frames` and `evaluate`.
The reference judges the same typed values with ordinary loops and ifs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from conftest import frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditkit import POB, Params, evaluate, tables_from_frames
from auditkit.contract import MAX_UIN_DIGITS

# ---- the reference, straight from the contract ---------------------------------------

RULE_IDS = [
    "POB-J01",
    "POB-J02",
    "POB-J03",
    "POB-J04",
    "POB-J05",
    "POB-J06",
    "POB-J07",
    "POB-J08",
    "POB-J09",
    "POB-J10",
    "POB-Q01",
    "POB-Q02",
    "POB-Q03",
]


@dataclass(frozen=True)
class Account:
    uin: str
    source: str
    internal_type: int | None
    identity: str
    enterprise_id: str | None
    role: str
    distributor_id: str | None
    balance: int  # cents
    overdue: int
    tier: str
    followup: bool
    card: bool


@dataclass(frozen=True)
class Order:
    order_id: str
    uin: str
    order_type: str
    status: str
    amount: int


@dataclass(frozen=True)
class Voucher:
    voucher_id: str
    uin: str
    subcustomer: bool
    status: str
    remaining: int
    expires_at: dt.datetime | None  # naive UTC


@dataclass(frozen=True)
class Request:
    request_id: str
    member_uin: str
    admin_uin: str
    action: str
    mode: str
    payer_uin: str | None
    decision: str | None
    decision_code: str | None = None


# Contract v1.2 section 6: the default map of the platform's error codes to rules.
DECISION_CODES = {
    "FailedOperation.AuthInfoEmpty": ["POB-J01"],
    "FailedOperation.AuthNotEnterprise": ["POB-J01"],
    "FailedOperation.AuthInfoNotSame": ["POB-J01"],
    "UnsupportedOperation.MemberIsAgent": ["POB-J02"],
    "UnsupportedOperation.ExistedAgent": ["POB-J02", "POB-J09"],
    "UnsupportedOperation.ExistedClient": ["POB-J03", "POB-J04", "POB-J05"],
    "UnsupportedOperation.AgentNotSame": ["POB-J04"],
    "UnsupportedOperation.MemberIsNotClient": ["POB-J04"],
    "UnsupportedOperation.MemberHasVoucher": ["POB-J05"],
    "UnsupportedOperation.MemberAccountArrears": ["POB-J06", "POB-Q01"],
    "UnsupportedOperation.AbnormalFinancialStatusOfMember": ["POB-J06", "POB-Q01"],
    "UnsupportedOperation.OrderInProgressExisted": ["POB-J07", "POB-Q02"],
    "FailedOperation.PayUinIllegal": ["POB-J08"],
    "UnsupportedOperation.PayerArrearsAndNoCreditAccount": ["POB-J10"],
    "UnsupportedOperation.AbnormalFinancialStatusOfAdmin": ["POB-J10"],
    "UnsupportedOperation.MemberNoPayment": ["POB-Q03"],
}


def reference_code_check(statuses: list[str], req: Request) -> str:
    """supported / unsupported / unmapped / '' for one request, as section 6 says."""
    if req.decision != "rejected" or req.decision_code is None:
        return ""
    if req.decision_code not in DECISION_CODES:
        return "unmapped"
    failing = {rule for rule, status in zip(RULE_IDS, statuses, strict=True) if status == "fail"}
    return "supported" if failing & set(DECISION_CODES[req.decision_code]) else "unsupported"


def is_verified(account: Account, params: Params) -> bool:
    if account.source == "external":
        return True
    return account.internal_type in params.verified_internal_types


def usable(v: Voucher, as_of: dt.datetime) -> bool:
    return (
        v.subcustomer
        and v.status == "valid"
        and v.remaining > 0
        and (v.expires_at is None or v.expires_at > as_of)
    )


def reference_status(
    rule_id: str,
    req: Request,
    accounts: dict[str, Account],
    orders: list[Order],
    vouchers: list[Voucher],
    params: Params,
    moment: dt.datetime | None = None,
) -> str:
    """The contract's status; `moment` is when vouchers must not have expired (default as_of)."""
    action = "quit" if rule_id.startswith("POB-Q") else "join"
    pob_only = rule_id != "POB-J03"
    reads = {
        "POB-J01": {"member", "admin"},
        "POB-J02": {"member"},
        "POB-J03": {"member"},
        "POB-J04": {"member", "admin"},
        "POB-J05": {"member"},
        "POB-J06": {"member"},
        "POB-J07": set(),
        "POB-J08": set(),
        "POB-J09": {"admin"},
        "POB-J10": {"admin"},
        "POB-Q01": {"member"},
        "POB-Q02": set(),
        "POB-Q03": {"member"},
    }[rule_id]

    if req.action != action:
        return "not_applicable"
    if pob_only and req.mode != "pay_on_behalf":
        return "not_applicable"
    member = accounts.get(req.member_uin)
    admin = accounts.get(req.admin_uin)
    if ("member" in reads and member is None) or ("admin" in reads and admin is None):
        return "error"

    as_of = moment or dt.datetime.combine(params.as_of, dt.time())
    open_orders = [
        o for o in orders if o.uin == req.member_uin and o.status in params.open_order_statuses
    ]
    subcustomer = member is not None and member.role == "distributor_subcustomer"
    admin_subcustomer = admin is not None and admin.role == "distributor_subcustomer"

    applies = True
    if rule_id in ("POB-J03", "POB-J05"):
        applies = subcustomer
    elif rule_id == "POB-J04":  # v1.2: distribution mode is entered from either side
        applies = subcustomer or admin_subcustomer
    elif rule_id in ("POB-J06", "POB-Q01"):
        applies = is_verified(member, params)
    elif rule_id == "POB-J10":
        applies = is_verified(admin, params)
    elif rule_id == "POB-Q03":
        applies = member.tier in params.q03_tiers and not member.followup
    if not applies:
        return "not_applicable"

    if rule_id == "POB-J01":
        holds = (
            member.identity == "enterprise"
            and admin.identity == "enterprise"
            and member.enterprise_id is not None
            and member.enterprise_id == admin.enterprise_id
        )
    elif rule_id == "POB-J02":
        holds = member.role not in ("agent", "agent_customer")
    elif rule_id == "POB-J03":
        holds = req.mode == "pay_on_behalf"
    elif rule_id == "POB-J04":
        holds = admin.distributor_id is not None and admin.distributor_id == member.distributor_id
    elif rule_id == "POB-J05":
        holds = not any(v.uin == req.member_uin and usable(v, as_of) for v in vouchers)
    elif rule_id in ("POB-J06", "POB-Q01"):
        holds = member.balance >= 0
    elif rule_id in ("POB-J07", "POB-Q02"):
        holds = not open_orders
    elif rule_id == "POB-J08":
        holds = req.payer_uin is None or req.payer_uin == req.admin_uin
    elif rule_id == "POB-J09":
        holds = admin.role not in ("agent", "agent_customer", "reseller", "reseller_customer")
    elif rule_id == "POB-J10":
        no_overdue, balance_ok = admin.overdue == 0, admin.balance >= 0
        holds = (
            (no_overdue and balance_ok) if params.j10_require_both else (no_overdue or balance_ok)
        )
    else:  # POB-Q03
        holds = member.card
    return "pass" if holds else "fail"


def reference_verdict(statuses: list[str], decision: str | None) -> tuple[str, str, str, str]:
    failed = ";".join(r for r, s in zip(RULE_IDS, statuses, strict=True) if s == "fail")
    errors = ";".join(r for r, s in zip(RULE_IDS, statuses, strict=True) if s == "error")
    verdict = "ineligible" if failed else "unknown" if errors else "eligible"
    exception = ""
    if decision == "approved" and verdict == "ineligible":
        exception = "approved_but_ineligible"
    elif decision == "rejected" and verdict == "eligible":
        exception = "rejected_but_eligible"
    return verdict, failed, errors, exception


# ---- drawing typed tables and rendering them as CSV text ------------------------------

# Few uins, so requests, orders and vouchers often meet; "1", "01" and "001" are three
# different accounts.
UINS = ["1", "01", "001", "2", "12345678901234567890"]
REQUEST_UINS = [*UINS, "7"]  # "7" is never in accounts
AS_OF = dt.date(2026, 11, 1)


def expiry_choices(as_of: dt.date) -> list[tuple[str | None, dt.datetime | None]]:
    """(text as written, the UTC moment it means), crowded around the as_of boundary."""
    midnight = dt.datetime.combine(as_of, dt.time())
    second = dt.timedelta(seconds=1)
    day = as_of.isoformat()
    return [
        (None, None),
        (day, midnight),  # expires exactly at as_of: no longer usable
        (day, midnight),
        (day, midnight),
        (f"{day}T00:00:00", midnight),
        (f"{as_of - dt.timedelta(days=1)}T23:59:59", midnight - second),
        (f"{day}T00:00:01", midnight + second),
        (f"{day}T08:00:00+08:00", midnight),
        (f"{day}T08:00:01+08:00", midnight + second),
        ("2027-03-01T12:00:00", dt.datetime(2027, 3, 1, 12)),
        ("2025-01-01", dt.datetime(2025, 1, 1)),
    ]


MONEY = [0, 1, -1, 50, -50, 100, -1250, 123456]
TEXT_IDS = ["E1", "E1", "E2", "=HYPERLINK(1)", 'a "quoted", id']
ROLES = [
    "direct",
    "agent",
    "agent_customer",
    "reseller",
    "reseller_customer",
    "distributor_subcustomer",
    "distributor_subcustomer",
    "distributor_subcustomer",
]

booleans = st.booleans()


@st.composite
def money_text(draw: st.DrawFn, cents: int) -> str:
    """One of the ways a user may write `cents`: 12, 12.5, 12.50, -0.00 for zero."""
    sign = "-" if cents < 0 or (cents == 0 and draw(booleans)) else ""
    units, frac = divmod(abs(cents), 100)
    forms = [f"{sign}{units}.{frac:02d}"]
    if frac % 10 == 0:
        forms.append(f"{sign}{units}.{frac // 10}")
    if frac == 0:
        forms.append(f"{sign}{units}")
    return draw(st.sampled_from(forms))


def bool_text(draw: st.DrawFn, value: bool) -> str:
    return draw(st.sampled_from(["true", "True", "1"] if value else ["false", "FALSE", "0"]))


@st.composite
def accounts_strategy(draw: st.DrawFn) -> list[tuple[Account, dict[str, str | None]]]:
    uins = [uin for uin in UINS if draw(st.integers(0, 3))]  # each present 3 times in 4
    return [draw(account_strategy(uin)) for uin in uins]


@st.composite
def account_strategy(draw: st.DrawFn, uin: str) -> tuple[Account, dict[str, str | None]]:
    """One account `uin` (typed) and its row (as text)."""
    source = draw(st.sampled_from(["external", "internal"]))
    internal_type = draw(st.integers(0, 10)) if source == "internal" else None
    identity = draw(st.sampled_from(["enterprise", "enterprise", "personal", "unverified"]))
    enterprise_id = draw(st.sampled_from(TEXT_IDS)) if identity == "enterprise" else None
    role = draw(st.sampled_from(ROLES))
    choices = ["D1", "D1", "D2"] + ([] if role == "distributor_subcustomer" else [None])
    account = Account(
        uin=uin,
        source=source,
        internal_type=internal_type,
        identity=identity,
        enterprise_id=enterprise_id,
        role=role,
        distributor_id=draw(st.sampled_from(choices)),
        balance=draw(st.sampled_from(MONEY)),
        overdue=draw(st.sampled_from([0, 1, 700])),
        tier=draw(st.sampled_from(["key", "mid", "long_tail"])),
        followup=draw(booleans),
        card=draw(booleans),
    )
    row = {
        "uin": uin,
        "account_source": source,
        "internal_type": None if internal_type is None else str(internal_type),
        "identity_type": identity,
        "enterprise_id": enterprise_id,
        "channel_role": role,
        "distributor_id": account.distributor_id,
        "available_balance": draw(money_text(account.balance)),
        "overdue_amount": draw(money_text(account.overdue)),
        "customer_tier": account.tier,
        "channel_manager_followup": bool_text(draw, account.followup),
        "credit_card_bound": bool_text(draw, account.card),
    }
    return account, row


@st.composite
def orders_strategy(
    draw: st.DrawFn, holders: list[str]
) -> list[tuple[Order, dict[str, str | None]]]:
    out = []
    for i in range(draw(st.integers(0, 12))):
        o = Order(
            order_id=f"O-{i}",
            uin=draw(st.sampled_from(holders)),
            order_type=draw(st.sampled_from(["purchase", "renewal", "upgrade", "refund"])),
            status=draw(st.sampled_from(["to_be_paid", "processing", "completed", "cancelled"])),
            amount=draw(st.sampled_from([0, 1, 999])),
        )
        row = {
            "order_id": o.order_id,
            "uin": o.uin,
            "order_type": o.order_type,
            "status": o.status,
            "amount": draw(money_text(o.amount)),
            "created_at": "2026-10-01T10:00:00",
        }
        out.append((o, row))
    return out


@st.composite
def vouchers_strategy(
    draw: st.DrawFn, holders: list[str], as_of: dt.date
) -> list[tuple[Voucher, dict[str, str | None]]]:
    out = []
    for i in range(draw(st.integers(0, 16))):
        expiry_text, expiry = draw(st.sampled_from(expiry_choices(as_of)))
        v = Voucher(
            voucher_id=f"V.{i}",
            uin=draw(st.sampled_from(holders)),
            subcustomer=draw(st.sampled_from([True, True, False])),
            status=draw(st.sampled_from(["valid", "valid", "used_up", "expired", "invalidated"])),
            remaining=draw(st.sampled_from([1, 500, 0])),
            expires_at=expiry,
        )
        row = {
            "voucher_id": v.voucher_id,
            "uin": v.uin,
            "subcustomer_voucher": bool_text(draw, v.subcustomer),
            "status": v.status,
            "remaining_amount": draw(money_text(v.remaining)),
            "expires_at": expiry_text,
        }
        out.append((v, row))
    return out


@st.composite
def requests_strategy(draw: st.DrawFn) -> list[tuple[Request, dict[str, str | None]]]:
    out = []
    for i in range(draw(st.integers(1, 24))):
        member = draw(st.sampled_from(REQUEST_UINS))
        admin = draw(st.sampled_from(REQUEST_UINS))
        payer = draw(st.sampled_from([None, admin, member, *REQUEST_UINS]))
        r = Request(
            request_id=f"R:{i}",
            member_uin=member,
            admin_uin=admin,
            action=draw(st.sampled_from(["join", "join", "quit"])),
            mode=draw(st.sampled_from(["pay_on_behalf", "pay_on_behalf", "self_pay"])),
            payer_uin=payer,
            decision=draw(st.sampled_from([None, "approved", "rejected", "rejected"])),
            decision_code=draw(
                st.sampled_from([None, "UnknownCode.X", *DECISION_CODES, *DECISION_CODES])
            ),
        )
        row = {
            "request_id": r.request_id,
            "member_uin": member,
            "admin_uin": admin,
            "action": r.action,
            "payment_mode": r.mode,
            "payer_uin": payer,
            "requested_at": "2026-10-20",
            "decision": r.decision,
            "decision_code": r.decision_code,
        }
        out.append((r, row))
    return out


params_strategy = st.builds(
    Params,
    as_of=st.sampled_from([AS_OF - dt.timedelta(days=1), AS_OF, AS_OF + dt.timedelta(days=1)]),
    verified_internal_types=st.frozensets(st.integers(0, 10)),
    open_order_statuses=st.frozensets(
        st.sampled_from(["to_be_paid", "processing", "completed", "cancelled"])
    ),
    j10_require_both=booleans,
    q03_tiers=st.frozensets(st.sampled_from(["key", "mid", "long_tail"])),
)
default_params = st.just(Params(as_of=AS_OF))
WORLDS_PER_EXAMPLE = 8  # worlds judged in one call (world n's uins end in the digit n)
EXAMPLES = 50  # about 4 worlds each: as many worlds as 200 examples of one world


@st.composite
def world(draw: st.DrawFn, params: Params) -> tuple[list, list, list, list]:
    """Accounts and requests; orders and vouchers mostly held by requesting members."""
    accounts = draw(accounts_strategy())
    requests = draw(requests_strategy())
    holders = [r.member_uin for r, _ in requests] * 3 + REQUEST_UINS
    orders = draw(orders_strategy(holders))
    vouchers = draw(vouchers_strategy(holders, params.as_of))
    return accounts, orders, vouchers, requests


def uin_in(number: int, uin: str | None) -> str | None:
    """World `number`'s copy of a uin: world 0 keeps it; world n appends the digit n (the
    20-digit uin swaps its last digit), so "1", "01" and "001" stay three accounts."""
    if uin is None or number == 0:
        return uin
    return (uin if len(uin) < MAX_UIN_DIGITS else uin[:-1]) + str(number)


def renamed_request(number: int, r: Request, row: dict) -> tuple[Request, dict]:
    """A request and its input row with world `number`'s request id and uins."""
    tag = f"{number}." if number else ""
    uins = {name: uin_in(number, row[name]) for name in ("member_uin", "admin_uin", "payer_uin")}
    copy = replace(
        r,
        request_id=tag + r.request_id,
        member_uin=uin_in(number, r.member_uin),
        admin_uin=uin_in(number, r.admin_uin),
        payer_uin=uin_in(number, r.payer_uin),
    )
    return copy, row | {"request_id": tag + row["request_id"], **uins}


def renamed(number: int, world: tuple[list, list, list, list]) -> tuple[list, list, list, list]:
    """The world with its uins and ids made its own, so that worlds judged together in one
    table never meet: every request, order and voucher of world n refers to world n only."""
    accounts, orders, vouchers, requests = world
    u = lambda uin: uin_in(number, uin)  # noqa: E731
    tag = f"{number}." if number else ""
    return (
        [(replace(a, uin=u(a.uin)), row | {"uin": u(row["uin"])}) for a, row in accounts],
        [
            (
                replace(o, order_id=tag + o.order_id, uin=u(o.uin)),
                row | {"order_id": tag + row["order_id"], "uin": u(row["uin"])},
            )
            for o, row in orders
        ],
        [
            (
                replace(v, voucher_id=tag + v.voucher_id, uin=u(v.uin)),
                row | {"voucher_id": tag + row["voucher_id"], "uin": u(row["uin"])},
            )
            for v, row in vouchers
        ],
        [renamed_request(number, r, row) for r, row in requests],
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list, list, list, list, Params]:
    """One to eight independent worlds under one Params, judged as one set of tables.

    The engine's cost is mostly per call (validation, set-up), so several worlds a call
    check as many worlds as one a call, in a fraction of the time."""
    params = draw(st.one_of(default_params, params_strategy))
    drawn = draw(st.lists(world(params), min_size=1, max_size=WORLDS_PER_EXAMPLE))
    parts = [renamed(number, w) for number, w in enumerate(drawn)]
    return (*([item for part in parts for item in part[i]] for i in range(4)), params)


# Outcomes every run must have met, so that batching worlds cannot quietly narrow the test:
# each rule passes, fails and does not apply; each rule that reads an account meets a
# missing one (error); every verdict, control exception and decision-code check occurs.
READS_NO_ACCOUNT = {"POB-J03", "POB-J07", "POB-J08", "POB-Q02"}
EXPECTED_OUTCOMES = (
    {
        (rule, status)
        for rule in RULE_IDS
        for status in ("pass", "fail", "not_applicable", "error")
        if not (status == "error" and rule in READS_NO_ACCOUNT)
    }
    | {("verdict", v) for v in ("eligible", "ineligible", "unknown")}
    | {("exception", e) for e in ("", "approved_but_ineligible", "rejected_but_eligible")}
    | {("code", c) for c in ("", "supported", "unsupported", "unmapped")}
)


def test_engine_matches_reference() -> None:
    seen: set[tuple[str, str]] = set()
    check_engine_against_reference(seen)
    assert EXPECTED_OUTCOMES - seen == set(), "outcomes no example met"


# Derandomized: the same examples every run, so the outcomes they must meet are met on
# every machine (a random draw of 50 missed ('code', 'unmapped') once in CI).
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(world=worlds())
def check_engine_against_reference(
    seen: set[tuple[str, str]], world: tuple[list, list, list, list, Params]
) -> None:
    accounts, orders, vouchers, requests, params = world
    tables = tables_from_frames(
        {
            "accounts": frame("accounts", [row for _, row in accounts]),
            "orders": frame("orders", [row for _, row in orders]),
            "vouchers": frame("vouchers", [row for _, row in vouchers]),
            "requests": frame("requests", [row for _, row in requests]),
        }
    )
    result = evaluate(tables, params, POB)

    by_uin = {a.uin: a for a, _ in accounts}
    order_values = [o for o, _ in orders]
    voucher_values = [v for v, _ in vouchers]
    expected_status = {
        r.request_id: [
            reference_status(rule, r, by_uin, order_values, voucher_values, params)
            for rule in RULE_IDS
        ]
        for r, _ in requests
    }

    seen.update(
        (rule, status)
        for statuses in expected_status.values()
        for rule, status in zip(RULE_IDS, statuses, strict=True)
    )
    assert result.rule_ids == RULE_IDS
    matrix = result.status_matrix().astype(str)
    assert {rid: list(row) for rid, row in matrix.iterrows()} == expected_status

    results = result.results
    assert len(results) == 13 * len(requests)
    assert results["status"].astype(str).tolist() == [
        status for r, _ in requests for status in expected_status[r.request_id]
    ]
    assert results["request_id"].astype(str).tolist() == [
        r.request_id for r, _ in requests for _ in RULE_IDS
    ]
    assert results["member_uin"].astype(str).tolist() == [
        r.member_uin for r, _ in requests for _ in RULE_IDS
    ]
    # Only pass may come without a sentence; fail and error always say why.
    explained = results[results["status"].isin(["fail", "error"]).to_numpy()]
    assert explained["reason"].astype(str).str.len().gt(0).all()

    verdicts = result.verdicts.astype(object)
    actual = verdicts.where(verdicts.notna(), None).to_dict("records")
    expected = []
    for r, _ in requests:
        verdict, failed, errors, exception = reference_verdict(
            expected_status[r.request_id], r.decision
        )
        code_check = reference_code_check(expected_status[r.request_id], r)
        seen.update({("verdict", verdict), ("exception", exception), ("code", code_check)})
        expected.append(
            {
                "request_id": r.request_id,
                "member_uin": r.member_uin,
                "admin_uin": r.admin_uin,
                "action": r.action,
                "payment_mode": r.mode,
                "verdict": verdict,
                "failed_rules": failed,
                "error_rules": errors,
                "decision": r.decision,
                "control_exception": exception,
                "decision_code_check": code_check,
            }
        )
    assert actual == expected
