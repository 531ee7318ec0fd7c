"""The demo's snapshot at as_of: accounts, orders, vouchers and the requests of recent months.

Built with numpy only (no row loops) so that millions of requests take seconds.
Each request's member starts as its own account; admins are shared by ~20
requests; with several months of requests, some members ask again in a later
month. A few free-text values hold markup and formula-like text on purpose,
to show that every front end renders them as text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_AS_OF = dt.date(2026, 11, 1)
RETRY_SHARE = 0.4  # of a later month's requests, those made by a member who asked before
TRICKY_TEXT = ("<script>alert(1)</script>", '=HYPERLINK("http://x")', 'Acme "Ltd", <b>bold</b>')


def choice(
    rng: np.random.Generator, options: list[str], weights: list[float], size: int
) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p / p.sum())]


def ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return (prefix + pd.Series(numbers).astype("str").str.zfill(width)).to_numpy(dtype=object)


def _where(mask: np.ndarray, a: np.ndarray, b: np.ndarray | object) -> np.ndarray:
    return np.where(mask, a, b).astype(object)


@dataclass(frozen=True)
class Population:
    """The accounts of a demo data set and who asks what: positions into `uins`."""

    uins: np.ndarray
    role: np.ndarray
    request_admin: np.ndarray  # per request, the position of its admin
    n_requests: int
    action: np.ndarray  # per request: join or quit
    mode: np.ndarray  # per request: pay_on_behalf or self_pay

    @property
    def n_accounts(self) -> int:
        return len(self.uins)


def first_request_day(as_of: dt.date, months: int) -> dt.date:
    """The first day of the `months` calendar months that end the day before as_of."""
    last = as_of - dt.timedelta(days=1)
    month = last.year * 12 + last.month - 1 - (months - 1)
    return dt.date(month // 12, month % 12 + 1, 1)


def snapshot(
    requests: int = 2000,
    seed: int = 7,
    as_of: dt.date = DEFAULT_AS_OF,
    request_months: int = 1,
) -> dict[str, pd.DataFrame]:
    """Raw tables at as_of: text columns as strings, money as int64 cents in `<name>_cents`."""
    # One generator drawn from in a fixed order: the same seed gives the same data.
    rng = np.random.default_rng(seed)
    as_of_ts = np.datetime64(as_of, "s")
    accounts, population = _accounts(rng, max(int(requests), 1))
    start = np.datetime64(first_request_day(as_of, request_months), "s")
    requests_frame = _requests(rng, population, start, as_of_ts)
    orders = _orders(rng, population, as_of_ts)
    vouchers = _vouchers(rng, population, as_of_ts)
    return {
        "accounts": accounts,
        "orders": orders,
        "vouchers": vouchers,
        "requests": requests_frame,
    }


def pick(rng: np.random.Generator, among: np.ndarray, share: float, least: int = 1) -> np.ndarray:
    """Exactly max(least, round(share x len)) positions of the mask `among` (all if fewer):
    a rare finding is still present in a small demo, at its rate in a large one."""
    candidates = np.flatnonzero(among)
    wanted = min(len(candidates), max(least, round(share * len(candidates))))
    return np.sort(rng.choice(candidates, size=wanted, replace=False))


# Share of the requests a rule applies to that fail it (member faults; admin faults are
# shares of admins, each shared by ~20 requests): a month in which most requests pass.
FAULTS = {
    "J01": 0.015,  # member not verified as the admin's enterprise
    "J02": 0.006,  # member is an agent or an agent's customer
    "J03": 0.01,  # of self-pay joins: a distributor sub-customer
    "J04": 0.02,  # of sub-customers: another distributor than the admin's
    "J06": 0.012,  # member balance negative
    "J08": 0.008,  # another account pays
    "Q01": 0.015,  # quitting member's balance negative
    "Q03": 0.02,  # mid/long-tail member without channel manager and without a card
    "admin_role": 0.01,  # admin is an agent, a reseller or a customer of either
    "admin_arrears": 0.01,  # admin overdue and balance negative
    "admin_subcustomer": 0.01,  # admin is itself a distributor sub-customer (POB-J04, v1.2)
}
ADMIN_ROLES = ("agent", "agent_customer", "reseller", "reseller_customer")


def _accounts(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, Population]:
    """Members (one per request), admins shared by ~20 requests, and other accounts: clean,
    then a few faults per rule at the rates of FAULTS."""
    n_admins = max(n // 20, 3)
    n_extra = max(int(n * 1.2) - n - n_admins, 5)
    n_acc = n + n_admins + n_extra

    # uins: unique digit strings; every 20th gets a leading zero (a different account than without).
    base = 1_000_000_000 + np.arange(n_acc, dtype=np.int64) * 7 + int(rng.integers(0, 7))
    uins = pd.Series(base).astype("str").to_numpy(dtype=object)
    zero = rng.random(n_acc) < 0.05
    uins[zero] = "00" + uins[zero]
    member_pos = np.arange(n)
    admin_pos = n + np.arange(n_admins)
    action = choice(rng, ["join", "quit"], [70, 30], n)
    mode = choice(rng, ["pay_on_behalf", "self_pay"], [85, 15], n)
    join_pob = (action == "join") & (mode == "pay_on_behalf")
    quit_pob = (action == "quit") & (mode == "pay_on_behalf")

    enterprises = ids("91110000MA", rng.integers(0, 10**8, size=n_acc), 8)
    tricky = rng.random(n_acc) < 0.002
    enterprises[tricky] = choice(rng, list(TRICKY_TEXT), [1, 1, 1], int(tricky.sum()))
    identity = choice(rng, ["enterprise", "personal", "unverified"], [99, 0.6, 0.4], n_acc)
    role = choice(
        rng,
        ["direct", "distributor_subcustomer", "reseller_customer"],
        [88, 11, 1],
        n_acc,
    )
    role[admin_pos] = "direct"
    distributors = ids("DIST-", rng.integers(0, max(n_admins // 2, 2), size=n_acc), 5)
    has_distributor = role == "distributor_subcustomer"
    has_distributor[admin_pos] = rng.random(n_admins) < 0.99

    # Each request's admin; members share their admin's enterprise and distributor.
    request_admin = admin_pos[rng.integers(0, n_admins, size=n)]
    # Free text holding markup and formula-like text, always present: two admins' enterprise
    # ids (their members share them) and a distributor's id.
    shown = admin_pos[np.arange(3) % n_admins]
    enterprises[shown[:2]] = list(TRICKY_TEXT[:2])
    distributors[shown[2]] = TRICKY_TEXT[2]
    enterprises[member_pos] = enterprises[request_admin]
    identity[admin_pos] = "enterprise"
    identity[member_pos] = "enterprise"
    distributors[member_pos] = distributors[request_admin]
    has_distributor[member_pos] |= (role[member_pos] == "distributor_subcustomer") & ~(
        has_distributor[request_admin]
    )

    source = choice(rng, ["external", "internal"], [85, 15], n_acc)
    internal_type = rng.integers(1, 10, size=n_acc).astype(object)
    internal_type = np.where(source == "internal", pd.Series(internal_type).astype("str"), None)
    balance = rng.integers(0, 5_000_000, n_acc)
    other = np.arange(n_acc) >= n + n_admins  # accounts that ask nothing: a few in arrears
    balance[other & (rng.random(n_acc) < 0.05)] *= -1
    overdue = np.where(rng.random(n_acc) < 0.03, rng.integers(1, 300_000, n_acc), 0)
    overdue[member_pos] = 0
    accounts = pd.DataFrame(
        {
            "uin": uins,
            "account_source": source,
            "internal_type": internal_type,
            "identity_type": identity,
            "enterprise_id": enterprises,
            "channel_role": role,
            "distributor_id": distributors,
            "available_balance_cents": balance.astype(np.int64),
            "overdue_amount_cents": overdue.astype(np.int64),
            "customer_tier": choice(rng, ["key", "mid", "long_tail"], [20, 40, 40], n_acc),
            "channel_manager_followup": rng.random(n_acc) < 0.3,
            "credit_card_bound": rng.random(n_acc) < 0.995,
        }
    )
    population = Population(uins, role, request_admin, n, action, mode)
    _member_faults(rng, accounts, population, join_pob, quit_pob, has_distributor)
    _admin_faults(rng, accounts, admin_pos, has_distributor, population)
    accounts["enterprise_id"] = accounts["enterprise_id"].where(
        accounts["identity_type"] == "enterprise", None
    )
    accounts["distributor_id"] = accounts["distributor_id"].where(has_distributor, None)
    return accounts, population


def _member_faults(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    pop: Population,
    join_pob: np.ndarray,
    quit_pob: np.ndarray,
    has_distributor: np.ndarray,
) -> None:
    """Per rule, a few requests whose member breaks it (exact counts, see `pick`)."""
    n = pop.n_requests
    role = pop.role
    join_self = (pop.action == "join") & (pop.mode == "self_pay")
    verified = (accounts["account_source"].to_numpy()[:n] == "external") | np.isin(
        accounts["internal_type"].to_numpy()[:n], ["4", "6", "9"]
    )
    columns = {name: accounts[name].to_numpy().copy() for name in accounts.columns}
    # A sub-customer joins paying on behalf: self-pay joins of sub-customers are rare (J03).
    member_sub = role[:n] == "distributor_subcustomer"
    pop.mode[member_sub & join_self & (rng.random(n) < 0.9)] = "pay_on_behalf"
    join_pob |= member_sub & (pop.action == "join") & (pop.mode == "pay_on_behalf")
    join_self &= pop.mode == "self_pay"
    unverified = pick(rng, join_pob, FAULTS["J01"])
    half = len(unverified) // 2
    columns["identity_type"][unverified[:half]] = "personal"
    columns["enterprise_id"][unverified[half:]] = ids("91440000MA", unverified[half:], 8)
    role[pick(rng, join_pob, FAULTS["J02"])] = "agent"
    subcustomer_self = pick(rng, join_self, FAULTS["J03"])
    role[subcustomer_self] = "distributor_subcustomer"
    has_distributor[subcustomer_self] = True
    sub_joins = join_pob & (role[:n] == "distributor_subcustomer")
    strayed = pick(rng, sub_joins, FAULTS["J04"])
    columns["distributor_id"][strayed] = ids("DIST-9", strayed, 5)
    has_distributor[strayed] = True
    for rule, mask in (("J06", join_pob), ("Q01", quit_pob)):
        negative = pick(rng, mask & verified, FAULTS[rule])
        columns["available_balance_cents"][negative] = -rng.integers(1, 500_000, len(negative))
    no_card = pick(rng, quit_pob, FAULTS["Q03"])
    columns["customer_tier"][no_card] = "mid"
    columns["channel_manager_followup"][no_card] = False
    columns["credit_card_bound"][no_card] = False
    columns["channel_role"] = role
    for name, values in columns.items():
        accounts[name] = values


def _admin_faults(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    admin_pos: np.ndarray,
    has_distributor: np.ndarray,
    pop: Population,
) -> None:
    """A few admins that break an admin rule: each fails the ~20 requests made to it. An admin
    that is a distributor sub-customer mostly has sub-customers of its distributor as members;
    the others fail POB-J04 under contract v1.2."""
    admins = np.zeros(len(accounts), dtype=bool)
    admins[admin_pos] = True
    role = accounts["channel_role"].to_numpy().copy()
    wrong_role = pick(rng, admins, FAULTS["admin_role"])
    role[wrong_role] = choice(rng, list(ADMIN_ROLES), [1, 1, 1, 1], len(wrong_role))
    sub = pick(rng, admins & (role == "direct"), FAULTS["admin_subcustomer"])
    role[sub] = "distributor_subcustomer"
    has_distributor[sub] = True
    members = np.flatnonzero(np.isin(pop.request_admin, sub) & (rng.random(pop.n_requests) < 0.9))
    role[members] = "distributor_subcustomer"
    has_distributor[members] = True
    pop.mode[members[pop.action[members] == "join"]] = "pay_on_behalf"  # as sub-customers do
    distributors = accounts["distributor_id"].to_numpy().copy()
    distributors[members] = distributors[pop.request_admin[members]]
    accounts["distributor_id"] = distributors
    accounts["channel_role"] = role
    arrears = pick(rng, admins & (role == "direct"), FAULTS["admin_arrears"])
    balance = accounts["available_balance_cents"].to_numpy().copy()
    overdue = accounts["overdue_amount_cents"].to_numpy().copy()
    balance[arrears] = -rng.integers(1, 500_000, len(arrears))
    overdue[arrears] = rng.integers(1, 300_000, len(arrears))
    accounts["available_balance_cents"] = balance
    accounts["overdue_amount_cents"] = overdue


def _requests(
    rng: np.random.Generator, pop: Population, start: np.datetime64, as_of_ts: np.datetime64
) -> pd.DataFrame:
    """Requests spread over [start, as_of); a few members and admins are missing from accounts;
    in a later month some members ask again."""
    n, uins = pop.n_requests, pop.uins
    member_uin = uins[np.arange(n)].copy()
    admin_uin = uins[pop.request_admin].copy()
    join_pob = (pop.action == "join") & (pop.mode == "pay_on_behalf")
    quit_pob = (pop.action == "quit") & (pop.mode == "pay_on_behalf")
    payer = np.full(n, None, dtype=object)
    named = rng.random(n) < 0.08  # the admin named as payer: the same as none
    payer[named] = admin_uin[named]
    other_payer = pick(rng, join_pob, FAULTS["J08"])
    payer[other_payer] = uins[-1 - other_payer % 5]  # accounts that ask nothing themselves
    span = int((as_of_ts - start) / np.timedelta64(1, "s"))
    requested = start + np.sort(rng.integers(0, span, size=n)).astype("timedelta64[s]")
    # A member that asked in an earlier month may ask again (a retry), with the same admin.
    month = requested.astype("datetime64[M]")
    later = month > month[0]
    retry = later & (rng.random(n) < RETRY_SHARE)
    earlier = np.searchsorted(month, month, side="left")  # requests before this month: [0, earlier)
    pick_earlier = (rng.random(n) * earlier).astype(np.int64)
    member_uin[retry] = member_uin[pick_earlier[retry]]
    admin_uin[retry] = admin_uin[pick_earlier[retry]]
    payer = np.where(retry, None, payer).astype(object)
    # A few members and admins are missing from accounts (verdict unknown), on both actions.
    lost_member = np.zeros(n, dtype=bool)
    lost_member[pick(rng, join_pob, 0.003)] = True
    lost_member[pick(rng, quit_pob, 0.003)] = True
    lost_admin = np.zeros(n, dtype=bool)
    lost_admin[pick(rng, join_pob & ~lost_member, 0.002)] = True
    member_uin[lost_member] = ids("8", np.flatnonzero(lost_member), 12)[: lost_member.sum()]
    admin_uin[lost_admin] = ids("7", np.flatnonzero(lost_admin), 12)[: lost_admin.sum()]
    return pd.DataFrame(
        {
            "request_id": ids("REQ-", np.arange(n), 8),
            "member_uin": member_uin,
            "admin_uin": admin_uin,
            "action": pop.action,
            "payment_mode": pop.mode,
            "payer_uin": payer,
            "requested_at": requested,
            "decision": choice(rng, ["approved", "rejected", None], [90, 5, 5], n),  # type: ignore[list-item]
        }
    )


def _orders(rng: np.random.Generator, pop: Population, as_of_ts: np.datetime64) -> pd.DataFrame:
    """Six orders per request, mostly the members'; a few belong to no known account."""
    n, n_orders = pop.n_requests, 6 * pop.n_requests
    owner = np.where(
        rng.random(n_orders) < 0.9,
        rng.integers(0, n, n_orders),
        rng.integers(0, pop.n_accounts, n_orders),
    )
    orders = pd.DataFrame(
        {
            "order_id": ids("ORD-", np.arange(n_orders), 9),
            "uin": pop.uins[owner],
            "order_type": choice(
                rng, ["purchase", "renewal", "upgrade", "refund"], [50, 30, 15, 5], n_orders
            ),
            "status": choice(rng, ["completed", "cancelled"], [92, 8], n_orders),
            "amount_cents": rng.integers(0, 2_000_000, n_orders).astype(np.int64),
            "created_at": as_of_ts
            - rng.integers(0, 365 * 86400, size=n_orders).astype("timedelta64[s]"),
        }
    )
    # A few orders still open at as_of (to be paid, or processing).
    status = orders["status"].to_numpy(dtype=object)
    waiting = pick(rng, np.ones(n_orders, dtype=bool), 0.0015, least=2)
    status[waiting] = np.where(np.arange(len(waiting)) % 3 == 2, "processing", "to_be_paid")
    orders["status"] = status
    # A few orders belong to no known account (data-quality finding, counted by J07/Q02).
    orphan = rng.random(n_orders) < 0.001
    orders.loc[orphan, "uin"] = ids("6", np.flatnonzero(orphan), 12)[: orphan.sum()]
    return orders


def _vouchers(rng: np.random.Generator, pop: Population, as_of_ts: np.datetime64) -> pd.DataFrame:
    """Vouchers held mostly by distributor sub-customers, some expired, some used up."""
    n = pop.n_requests
    n_vouchers = max(int(0.015 * n), 5)
    subcustomers = np.flatnonzero(pop.role[:n] == "distributor_subcustomer")
    holders = subcustomers if len(subcustomers) else np.arange(n)
    owner = np.where(
        rng.random(n_vouchers) < 0.8,
        holders[rng.integers(0, len(holders), n_vouchers)],
        rng.integers(0, pop.n_accounts, n_vouchers),
    )
    expires = as_of_ts + rng.integers(-90 * 86400, 365 * 86400, size=n_vouchers).astype(
        "timedelta64[s]"
    )
    return pd.DataFrame(
        {
            "voucher_id": ids("VCH-", np.arange(n_vouchers), 8),
            "uin": pop.uins[owner],
            "subcustomer_voucher": rng.random(n_vouchers) < 0.85,
            "status": choice(
                rng, ["valid", "used_up", "expired", "invalidated"], [45, 35, 12, 8], n_vouchers
            ),
            "remaining_amount_cents": np.where(
                rng.random(n_vouchers) < 0.15, 0, rng.integers(1, 100_000, n_vouchers)
            ).astype(np.int64),
            "expires_at": pd.Series(expires).where(rng.random(n_vouchers) < 0.7),
        }
    )


def evolve(raw: dict[str, pd.DataFrame], seed: int, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """One month later: some findings resolve, new ones appear, requests come and go."""
    rng = np.random.default_rng(seed)
    as_of_ts = np.datetime64(as_of, "s")
    accounts = raw["accounts"].copy()
    balance = accounts["available_balance_cents"].to_numpy().copy()
    negative = balance < 0
    balance[negative & (rng.random(len(balance)) < 0.5)] = 0
    turned = ~negative & (rng.random(len(balance)) < 0.03)
    balance[turned] = -rng.integers(1, 100_000, int(turned.sum()))
    accounts["available_balance_cents"] = balance
    accounts["credit_card_bound"] = accounts["credit_card_bound"].to_numpy() | (
        rng.random(len(accounts)) < 0.2
    )

    orders = raw["orders"].copy()
    status = orders["status"].to_numpy(dtype=object).copy()
    is_open = np.isin(status, ["to_be_paid", "processing"])
    status[pick(rng, is_open, 0.6)] = "completed"
    status[~is_open & (rng.random(len(status)) < 0.005)] = "to_be_paid"
    orders["status"] = status

    vouchers = raw["vouchers"].copy()
    used = (vouchers["status"].to_numpy() == "valid") & (rng.random(len(vouchers)) < 0.4)
    vouchers.loc[used, "status"] = "used_up"

    requests = raw["requests"]
    n = len(requests)
    kept = requests[rng.random(n) >= 0.1]
    n_new = max(n // 10, 1)
    last = int(requests["request_id"].str.removeprefix("REQ-").astype(int).max()) + 1
    # New requests come from members already in an organization: a member that
    # joined now asks to quit and the other way round.
    new = kept.sample(n=n_new, replace=True, random_state=int(rng.integers(0, 2**31)))
    new = new.assign(
        request_id=ids("REQ-", np.arange(last, last + n_new), 8),
        action=np.where(new["action"].to_numpy() == "join", "quit", "join"),
        requested_at=as_of_ts - rng.integers(0, 30 * 86400, size=n_new).astype("timedelta64[s]"),
        decision=choice(rng, ["approved", "rejected", None], [60, 25, 15], n_new),
    )
    requests = pd.concat([kept, new], ignore_index=True)
    return {"accounts": accounts, "orders": orders, "vouchers": vouchers, "requests": requests}
