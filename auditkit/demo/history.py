"""A past for the demo snapshot: account states, order and voucher events up to as_of.

The history is consistent with the snapshot: each account's last state is its
row in `accounts`, each order's and voucher's last event carries its status
(and remaining amount) in `orders` / `vouchers`. Between a request and the
snapshot some things changed, as they do: balances were topped up or went
negative, cards were bound, orders were settled, vouchers were used up. So a
request judged at its requested_at can differ from the same request judged
against the snapshot.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

DAY = 86_400
HOUR = 3_600
OPEN = ("to_be_paid", "processing")


def _seconds(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    return rng.integers(low, high, size=size).astype("timedelta64[s]")


def _clip(moments: np.ndarray, low: np.ndarray, high: np.datetime64) -> np.ndarray:
    return np.minimum(np.maximum(moments, low), high)


def with_history(
    raw: dict[str, pd.DataFrame], seed: int, as_of: dt.date
) -> dict[str, pd.DataFrame]:
    """The snapshot plus account_history, order_events and voucher_events."""
    rng = np.random.default_rng([seed, 9])
    as_of_ts = np.datetime64(as_of, "s")
    requests = raw["requests"]
    # The moment of each member's first request: changes are placed around it.
    asked = requests.groupby("member_uin", sort=False)["requested_at"].min()
    account_history = _account_history(rng, raw["accounts"], asked, as_of_ts)
    orders, order_events = _order_events(rng, raw["orders"], asked, as_of_ts)
    return raw | {
        "orders": orders,
        "account_history": account_history,
        "order_events": order_events,
        "voucher_events": _voucher_events(rng, raw["vouchers"], asked, as_of_ts),
    }


def _asked_at(uins: pd.Series, asked: pd.Series, as_of_ts: np.datetime64) -> np.ndarray:
    """Per row, when its uin first asked to switch (as_of for accounts that never asked)."""
    moments = uins.map(asked).to_numpy(dtype="datetime64[s]")
    return np.where(np.isnat(moments), as_of_ts, moments)


def _account_history(
    rng: np.random.Generator, accounts: pd.DataFrame, asked: pd.Series, as_of_ts: np.datetime64
) -> pd.DataFrame:
    """An account's state from a year back, and the snapshot's state where it differs.

    For a member the change falls a little after its request, and the earlier state
    sometimes differs where a rule looks: a negative balance since topped up, a
    balance that went negative only later, a card bound only later.
    """
    n = len(accounts)
    t = _asked_at(accounts["uin"], asked, as_of_ts)
    began = as_of_ts - _seconds(rng, 380 * DAY, 420 * DAY, n)
    changed = _clip(t + _seconds(rng, HOUR, 20 * DAY, n), began + 1, as_of_ts - 1)
    earlier = accounts.copy()
    balance = accounts["available_balance_cents"].to_numpy()
    topped_up = (balance >= 0) & (rng.random(n) < 0.004)
    # An account with an overdue payment has been in arrears for a while.
    overdue = accounts["overdue_amount_cents"].to_numpy()
    went_negative = (balance < 0) & (overdue == 0) & (rng.random(n) < 0.5)
    earlier_balance = np.where(topped_up, -rng.integers(1, 200_000, n), balance)
    earlier_balance = np.where(went_negative, rng.integers(0, 500_000, n), earlier_balance)
    earlier["available_balance_cents"] = earlier_balance.astype(np.int64)
    card = accounts["credit_card_bound"].to_numpy(dtype=bool)
    earlier["credit_card_bound"] = card & ~(rng.random(n) < 0.005)
    # A second state only where something changed: no identical consecutive rows.
    moved = (earlier["available_balance_cents"].to_numpy() != balance) | (
        earlier["credit_card_bound"].to_numpy() != card
    )
    history = pd.concat(
        [earlier.assign(valid_from=began), accounts[moved].assign(valid_from=changed[moved])],
        ignore_index=True,
    )
    return history.sort_values(["uin", "valid_from"], kind="stable", ignore_index=True)


def _order_events(
    rng: np.random.Generator, orders: pd.DataFrame, asked: pd.Series, as_of_ts: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each order is created to be paid; a settled one was completed or cancelled later.

    Some of a member's orders were still open when it asked and settled only after.
    """
    n = len(orders)
    status = orders["status"].to_numpy(dtype=object)
    created = orders["created_at"].to_numpy(dtype="datetime64[s]")
    t = _asked_at(orders["uin"], asked, as_of_ts)
    open_at_request = (t < as_of_ts) & (rng.random(n) < 0.001) & ~np.isin(status, OPEN)
    created = np.where(open_at_request, t - _seconds(rng, HOUR, 10 * DAY, n), created)
    settled = np.where(
        open_at_request,
        t + _seconds(rng, HOUR, 10 * DAY, n),
        created + _seconds(rng, HOUR, DAY, n),  # orders are settled within a day
    )
    settled = _clip(settled, created + 1, as_of_ts - 1)
    first = pd.DataFrame({"order_id": orders["order_id"], "status": "to_be_paid", "at": created})
    moved = status != "to_be_paid"
    later = pd.DataFrame(
        {"order_id": orders["order_id"][moved], "status": status[moved], "at": settled[moved]}
    )
    events = pd.concat([first, later], ignore_index=True)
    events = events.sort_values(["order_id", "at"], kind="stable", ignore_index=True)
    return orders.assign(created_at=created), events


def _voucher_events(
    rng: np.random.Generator, vouchers: pd.DataFrame, asked: pd.Series, as_of_ts: np.datetime64
) -> pd.DataFrame:
    """Each voucher is issued valid; a used-up, expired or invalidated one changed later.

    A sub-customer's voucher was often still usable when it asked and used up after.
    """
    n = len(vouchers)
    status = vouchers["status"].to_numpy(dtype=object)
    remaining = vouchers["remaining_amount_cents"].to_numpy()
    issued = as_of_ts - _seconds(rng, 60 * DAY, 400 * DAY, n)
    t = _asked_at(vouchers["uin"], asked, as_of_ts)
    after_request = (t < as_of_ts) & (rng.random(n) < 0.2)
    issued = np.where(after_request, np.minimum(issued, t - DAY), issued)
    changed = np.where(
        after_request,
        t + _seconds(rng, HOUR, 15 * DAY, n),
        issued + _seconds(rng, DAY, 50 * DAY, n),
    )
    changed = _clip(changed, issued + 1, as_of_ts - 1)
    first = pd.DataFrame(
        {
            "voucher_id": vouchers["voucher_id"],
            "status": "valid",
            "remaining_amount_cents": np.where(
                status == "valid", remaining, remaining + rng.integers(1, 50_000, n)
            ).astype(np.int64),
            "at": issued,
        }
    )
    moved = status != "valid"
    later = pd.DataFrame(
        {
            "voucher_id": vouchers["voucher_id"][moved],
            "status": status[moved],
            "remaining_amount_cents": remaining[moved],
            "at": changed[moved],
        }
    )
    events = pd.concat([first, later], ignore_index=True)
    return events.sort_values(["voucher_id", "at"], kind="stable", ignore_index=True)
